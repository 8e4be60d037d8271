r"""Population coding: tuning curves, decoders and Fisher information.

* Tuning curves (to build inputs and to decode): :func:`von_mises_tuning`,
  :func:`gaussian_tuning` and their derivatives with respect to the
  stimulus.
* Decoders: :func:`population_vector` (Georgopoulos et al. 1986),
  :func:`ml_decode_poisson` (maximum likelihood for independent Poisson
  counts), :func:`decoding_error` (signed, wrapped for circular stimuli).
* Fisher information: :func:`fisher_information_poisson` (analytic,
  :math:`I(s) = T \sum_i f_i'(s)^2 / f_i(s)`) and
  :func:`empirical_fisher_information` (linear Fisher information from
  responses to two nearby stimuli, bias-corrected as in Kanitscheider et al.
  2015).

A linear readout that classifies spike counts is a classifier: it lives in
:mod:`neuromodels.analysis.classification`.

Stimuli are in any unit (radians by default for circular variables);
``period`` is the stimulus period (``np.pi`` for orientation, ``2*np.pi``
for direction, ``None`` for a non-circular stimulus). Rates are in Hz and
durations in seconds (Brian2 quantities are accepted for them); counts are
numbers of spikes.

References
----------
Georgopoulos AP, Schwartz AB, Kettner RE (1986) Neuronal population coding
of movement direction. Science 233:1416-1419.
Seung HS, Sompolinsky H (1993) Simple models for reading neuronal
population codes. PNAS 90:10749-10753.
Dayan P, Abbott LF (2001) Theoretical Neuroscience, ch. 3. MIT Press.
Kanitscheider I, Coen-Cagli R, Kohn A, Pouget A (2015) Measuring Fisher
information accurately in correlated neural populations. PLoS Comput Biol
11:e1004218.
"""

import numpy as np

from .spiketrains import as_float, as_seconds

__all__ = [
    "von_mises_tuning",
    "von_mises_tuning_derivative",
    "gaussian_tuning",
    "gaussian_tuning_derivative",
    "preferred_values",
    "population_vector",
    "ml_decode_poisson",
    "decoding_error",
    "fisher_information_poisson",
    "empirical_fisher_information",
]


def _period(period, allow_none=True):
    if period is None:
        if allow_none:
            return None
        raise ValueError("period must be a finite number > 0, got None")
    p = float(period)
    if not (np.isfinite(p) and p > 0):
        raise ValueError(f"period must be None or a finite number > 0, got {period!r}")
    return p


def _rate(x, name):
    return as_float(x, name, "hertz")


def _grid(stimulus, preferred):
    s = np.asarray(stimulus, dtype=float)
    p = np.asarray(preferred, dtype=float)
    return s[..., None] if p.ndim else s, p


def _wrap(d, period):
    return d if period is None else (d + period / 2) % period - period / 2


def preferred_values(n, period=np.pi):
    """``n`` preferred stimuli evenly covering one period: ``k * period / n``.

    Parameters
    ----------
    n : int
        Number of neurons, >= 1.
    period : float, default ``np.pi``
        Stimulus period (rad), > 0.

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return np.arange(int(n)) * _period(period, False) / int(n)


def von_mises_tuning(stimulus, preferred, r_max, kappa, baseline=0.0, period=np.pi):
    r"""Von Mises (circular) tuning curves.

    .. math::

        f_i(s) = b + r_{max} \exp\left(\kappa\left[\cos\frac{2\pi (s - s_i)}{P}
        - 1\right]\right)

    Parameters
    ----------
    stimulus : float or array_like
        Stimulus value(s) :math:`s` (rad).
    preferred : float or array_like
        Preferred stimuli :math:`s_i` (rad), one per neuron.
    r_max : float or brian2.Quantity
        Peak rate above baseline (Hz), >= 0.
    kappa : float
        Concentration :math:`\kappa` (dimensionless), > 0; the tuning width
        (s.d. in units of P/(2 pi)) is about :math:`1/\sqrt\kappa`.
    baseline : float or brian2.Quantity, default 0.0
        Baseline rate :math:`b` (Hz), >= 0.
    period : float, default ``np.pi``
        Stimulus period :math:`P` (rad): ``np.pi`` for orientation,
        ``2*np.pi`` for direction.

    Returns
    -------
    numpy.ndarray
        Rates (Hz), shape ``stimulus.shape + preferred.shape``.

    References
    ----------
    Swindale NV (1998) Orientation tuning curves: empirical description and
    estimation of parameters. Biol Cybern 78:45-56.
    """
    r_max, baseline = _rate(r_max, "r_max"), _rate(baseline, "baseline")
    if np.any(r_max < 0) or np.any(baseline < 0):
        raise ValueError("r_max and baseline must be >= 0 (Hz)")
    if not (np.isfinite(kappa) and kappa > 0):
        raise ValueError(f"kappa must be a finite number > 0, got {kappa!r}")
    period = _period(period, False)
    s, p = _grid(stimulus, preferred)
    return baseline + r_max * np.exp(kappa * (np.cos(2 * np.pi * (s - p) / period) - 1))


def von_mises_tuning_derivative(stimulus, preferred, r_max, kappa, period=np.pi):
    r"""Derivative :math:`f_i'(s)` of :func:`von_mises_tuning` (Hz/rad).

    .. math::

        f_i'(s) = -r_{max}\,\kappa\,\frac{2\pi}{P}\sin\frac{2\pi(s-s_i)}{P}
        \exp\left(\kappa\left[\cos\frac{2\pi(s-s_i)}{P} - 1\right]\right)

    Parameters are those of :func:`von_mises_tuning` (the baseline drops
    out). Returns an array of shape ``stimulus.shape + preferred.shape``.
    """
    r_max = _rate(r_max, "r_max")
    if not (np.isfinite(kappa) and kappa > 0):
        raise ValueError(f"kappa must be a finite number > 0, got {kappa!r}")
    period = _period(period, False)
    s, p = _grid(stimulus, preferred)
    x = 2 * np.pi * (s - p) / period
    return -r_max * kappa * (2 * np.pi / period) * np.sin(x) * np.exp(kappa * (np.cos(x) - 1))


def gaussian_tuning(stimulus, preferred, r_max, width, baseline=0.0, period=None):
    r"""Gaussian tuning curves (wrapped difference for a circular stimulus).

    .. math:: f_i(s) = b + r_{max} \exp\left(-\frac{d(s, s_i)^2}{2 w^2}\right)

    with :math:`d` the difference :math:`s - s_i`, wrapped into
    :math:`[-P/2, P/2)` when ``period`` is given (Dayan & Abbott 2001,
    eq. 1.14).

    Parameters
    ----------
    stimulus : float or array_like
        Stimulus value(s).
    preferred : float or array_like
        Preferred stimuli, one per neuron.
    r_max : float or brian2.Quantity
        Peak rate above baseline (Hz), >= 0.
    width : float
        Tuning width :math:`w` (stimulus units), > 0.
    baseline : float or brian2.Quantity, default 0.0
        Baseline rate (Hz), >= 0.
    period : float or None, default None
        Stimulus period, or None for a non-circular stimulus.

    Returns
    -------
    numpy.ndarray
        Rates (Hz), shape ``stimulus.shape + preferred.shape``.
    """
    r_max, baseline = _rate(r_max, "r_max"), _rate(baseline, "baseline")
    if np.any(r_max < 0) or np.any(baseline < 0):
        raise ValueError("r_max and baseline must be >= 0 (Hz)")
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"width must be a finite number > 0, got {width!r}")
    period = _period(period)
    s, p = _grid(stimulus, preferred)
    d = _wrap(s - p, period)
    return baseline + r_max * np.exp(-(d**2) / (2 * width**2))


def gaussian_tuning_derivative(stimulus, preferred, r_max, width, period=None):
    r"""Derivative of :func:`gaussian_tuning`:
    :math:`f_i'(s) = -r_{max}\, d/w^2\, \exp(-d^2/2w^2)` (Hz per stimulus unit)."""
    r_max = _rate(r_max, "r_max")
    if not (np.isfinite(width) and width > 0):
        raise ValueError(f"width must be a finite number > 0, got {width!r}")
    period = _period(period)
    s, p = _grid(stimulus, preferred)
    d = _wrap(s - p, period)
    return -r_max * d / width**2 * np.exp(-(d**2) / (2 * width**2))


def population_vector(counts, preferred, period=np.pi):
    r"""Population-vector estimate of a circular stimulus.

    .. math::

        \hat s = \frac{P}{2\pi}\arg \sum_i n_i\, e^{2\pi i s_i / P}
        \pmod P

    Unbiased for a uniform array of preferred stimuli with identical tuning
    shapes, but generally less efficient than maximum likelihood.

    Parameters
    ----------
    counts : array_like, shape (..., n)
        Spike counts (or rates) of the ``n`` neurons (last axis).
    preferred : array_like, shape (n,)
        Preferred stimuli (rad).
    period : float, default ``np.pi``
        Stimulus period :math:`P` (rad).

    Returns
    -------
    numpy.ndarray or float
        Estimates in :math:`[0, P)`, shape ``counts.shape[:-1]``; NaN where
        all counts are 0.

    References
    ----------
    Georgopoulos et al. (1986) Science 233:1416; Dayan & Abbott (2001)
    sec. 3.3.
    """
    period = _period(period, False)
    counts = np.asarray(counts, dtype=float)
    preferred = np.asarray(preferred, dtype=float)
    if counts.shape[-1:] != preferred.shape:
        raise ValueError(
            f"counts (last axis {counts.shape[-1:]}) and preferred {preferred.shape} "
            "must have the same number of neurons"
        )
    z = counts @ np.exp(2j * np.pi * preferred / period)
    est = np.mod(np.angle(z) * period / (2 * np.pi), period)
    est = np.where(np.abs(z) > 0, est, np.nan)
    return est[()] if est.ndim == 0 else est


def ml_decode_poisson(counts, rates, candidates, duration, period=None, refine=True):
    r"""Maximum-likelihood decoding for independent Poisson spike counts.

    For counts :math:`n_i` in a window :math:`T` and tuning curves
    :math:`f_i(s)`,

    .. math::

        \log L(s) = \sum_i \left[n_i \log(f_i(s) T) - f_i(s) T\right] + \text{const},
        \qquad \hat s = \arg\max_{s \in \text{candidates}} \log L(s).

    With ``refine`` the maximum is refined by fitting a parabola through the
    grid maximum and its two neighbours (wrapping for a circular stimulus),
    so the estimate is not limited to the grid. Rates of 0 are floored at
    1e-12 Hz.

    Parameters
    ----------
    counts : array_like, shape (..., n)
        Spike counts of the ``n`` neurons (last axis), e.g. many trials.
    rates : array_like or brian2.Quantity, shape (n_candidates, n)
        Tuning curves :math:`f_i(s)` evaluated at the candidates (Hz).
    candidates : array_like, shape (n_candidates,)
        Stimulus grid, increasing and evenly spaced when ``refine`` is used.
    duration : float or brian2.Quantity
        Counting window :math:`T` (s), > 0.
    period : float or None, default None
        Stimulus period for a circular stimulus (the grid must cover one
        period without repeating its end point), or None.
    refine : bool, default True
        Parabolic refinement of the maximum.

    Returns
    -------
    numpy.ndarray or float
        Estimates, shape ``counts.shape[:-1]`` (wrapped into the period's
        range when ``period`` is given).

    References
    ----------
    Seung & Sompolinsky (1993) PNAS 90:10749; Dayan & Abbott (2001)
    sec. 3.3.
    """
    duration = float(as_seconds(duration, "duration"))
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be finite and > 0 (s), got {duration}")
    period = _period(period)
    counts = np.asarray(counts, dtype=float)
    rates = _rate(rates, "rates")
    cand = np.asarray(candidates, dtype=float).ravel()
    if rates.ndim != 2 or rates.shape[0] != cand.size:
        raise ValueError(
            f"rates must have shape (n_candidates, n) = ({cand.size}, n), got {rates.shape}"
        )
    if counts.shape[-1:] != rates.shape[1:]:
        raise ValueError(
            f"counts must have the same number of neurons as rates: "
            f"{counts.shape[-1:]} vs {rates.shape[1:]}"
        )
    lam = np.maximum(rates, 1e-12) * duration
    ll = counts @ np.log(lam).T - lam.sum(axis=1)  # (..., n_candidates)
    k = np.argmax(ll, axis=-1)
    est = cand[k]
    if refine and cand.size >= 3:
        step = cand[1] - cand[0]
        m = cand.size
        if period is None:
            kk = np.clip(k, 1, m - 2)
        else:
            kk = k
        lm = np.take_along_axis(ll, ((kk - 1) % m)[..., None], -1)[..., 0]
        l0 = np.take_along_axis(ll, kk[..., None], -1)[..., 0]
        lp = np.take_along_axis(ll, ((kk + 1) % m)[..., None], -1)[..., 0]
        denom = lm - 2 * l0 + lp
        with np.errstate(invalid="ignore", divide="ignore"):
            shift = np.where(denom < 0, 0.5 * (lm - lp) / denom, 0.0)
        shift = np.clip(shift, -1.0, 1.0)
        interior = (kk == k)
        est = np.where(interior, cand[kk] + shift * step, est)
    if period is not None:
        est = np.mod(est - cand[0], period) + cand[0]
    return est[()] if np.ndim(est) == 0 else est


def decoding_error(estimate, true, period=None):
    r"""Signed decoding error :math:`\hat s - s`, wrapped into
    :math:`[-P/2, P/2)` for a circular stimulus.

    Parameters
    ----------
    estimate, true : array_like
        Estimated and true stimuli (broadcast).
    period : float or None, default None
        Stimulus period, or None.

    Returns
    -------
    numpy.ndarray or float
        Errors; the root-mean-square error is ``np.sqrt(np.mean(err**2))``.
    """
    period = _period(period)
    d = np.asarray(estimate, dtype=float) - np.asarray(true, dtype=float)
    d = _wrap(d, period)
    return d[()] if d.ndim == 0 else d


def fisher_information_poisson(rates, derivatives, duration):
    r"""Fisher information of a population of independent Poisson neurons.

    .. math:: I(s) = T \sum_i \frac{f_i'(s)^2}{f_i(s)}

    (Seung & Sompolinsky 1993). Neurons with :math:`f_i = 0` contribute 0.
    The Cramér-Rao bound says an unbiased decoder has variance
    :math:`\ge 1/I(s)`.

    Parameters
    ----------
    rates : array_like or brian2.Quantity, shape (..., n)
        Tuning curves at the stimulus, :math:`f_i(s)` (Hz).
    derivatives : array_like, shape (..., n)
        :math:`f_i'(s)` (Hz per stimulus unit).
    duration : float or brian2.Quantity
        Counting window :math:`T` (s), > 0.

    Returns
    -------
    numpy.ndarray or float
        :math:`I(s)` (per squared stimulus unit), summed over the last axis.

    References
    ----------
    Seung & Sompolinsky (1993) PNAS 90:10749; Dayan & Abbott (2001) sec. 3.3.
    """
    duration = float(as_seconds(duration, "duration"))
    if not (np.isfinite(duration) and duration > 0):
        raise ValueError(f"duration must be finite and > 0 (s), got {duration}")
    f = _rate(rates, "rates")
    df = np.asarray(np.asarray(derivatives), dtype=float)  # SI values if a quantity
    if f.shape != df.shape:
        raise ValueError(f"rates and derivatives must have the same shape, got {f.shape} and "
                         f"{df.shape}")
    if np.any(f < 0):
        raise ValueError("rates must be >= 0 (Hz)")
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(f > 0, df**2 / np.where(f > 0, f, 1.0), 0.0)
    out = duration * terms.sum(axis=-1)
    return out[()] if np.ndim(out) == 0 else out


def empirical_fisher_information(counts_a, counts_b, delta, bias_correct=True):
    r"""Linear Fisher information estimated from responses to two stimuli.

    From :math:`K` trials at each of :math:`s - \delta/2` (``counts_a``) and
    :math:`s + \delta/2` (``counts_b``) of :math:`N` neurons:

    .. math::

        \hat f' = \frac{\bar n_b - \bar n_a}{\delta}, \quad
        \hat\Sigma = \tfrac12(\hat\Sigma_a + \hat\Sigma_b), \quad
        \hat I = \hat f'^{\,T} \hat\Sigma^{-1} \hat f' ,

    and, with ``bias_correct``, the unbiased estimator of Kanitscheider et
    al. (2015) for Gaussian noise,

    .. math::

        \hat I_{bc} = \hat I \,\frac{2K - N - 3}{2K - 2} - \frac{2N}{K\delta^2}.

    For independent Poisson neurons the linear Fisher information equals the
    full Fisher information :math:`T\sum_i f_i'^2/f_i`
    (:func:`fisher_information_poisson`), up to the finite-difference error
    of :math:`f'` (use a small :math:`\delta`).

    Parameters
    ----------
    counts_a, counts_b : array_like, shape (K, N)
        Spike counts at the two stimuli (trials along axis 0); the same K.
    delta : float
        Stimulus difference :math:`\delta`, > 0.
    bias_correct : bool, default True
        Apply the bias correction (needs :math:`2K > N + 3`).

    Returns
    -------
    float
        Estimated Fisher information (per squared stimulus unit).

    References
    ----------
    Kanitscheider I, Coen-Cagli R, Kohn A, Pouget A (2015) PLoS Comput Biol
    11:e1004218 (bias-corrected estimator, Methods).
    """
    a = np.asarray(counts_a, dtype=float)
    b = np.asarray(counts_b, dtype=float)
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(
            f"counts_a and counts_b must be 2-D arrays (trials, neurons) of the same "
            f"shape, got {a.shape} and {b.shape}"
        )
    if not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"delta must be a finite number > 0, got {delta!r}")
    K, N = a.shape
    if K < 2:
        raise ValueError(f"counts need at least 2 trials per stimulus, got {K}")
    if bias_correct and 2 * K <= N + 3:
        raise ValueError(f"bias_correct needs 2K > N + 3 trials, got K={K}, N={N}")
    df = (b.mean(axis=0) - a.mean(axis=0)) / delta
    cov = 0.5 * (np.atleast_2d(np.cov(a, rowvar=False)) + np.atleast_2d(np.cov(b, rowvar=False)))
    info = float(df @ np.linalg.solve(cov, df))
    if bias_correct:
        info = info * (2 * K - N - 3) / (2 * K - 2) - 2 * N / (K * delta**2)
    return info
