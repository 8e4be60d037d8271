r"""A ring population measured through one neuron type: decoding error and Fisher information.

A homogeneous population of :math:`N` neurons whose preferred stimuli evenly cover one
period is, by symmetry, described by one neuron's responses at the :math:`M` stimuli
relative to its preference. Given spike counts ``counts[m, k]`` (relative stimulus
:math:`m \cdot P/M`, trial :math:`k`; every trial from an independent neuron), neuron
:math:`j` (preferred stimulus :math:`j M/N` grid steps) responds to stimulus :math:`s` as
the relative stimulus ``(s - j M/N) mod M`` (:func:`ring_indices`); population trials
are then independent across neurons.

* :func:`cross_validated_ml_error`: the root-mean-square error of maximum-likelihood
  decoding (:func:`neuromodels.analysis.population.ml_decode_poisson`) of every stimulus
  on the grid, with tuning curves measured on the other folds' trials and refined by
  Fourier interpolation (:func:`fourier_interpolate`) to a candidate grid ``upsample``
  times finer (so that the estimate is not limited to the stimulus grid).
* :func:`ring_linear_fisher`: linear Fisher information between neighbouring stimuli,
  bias-corrected (:func:`neuromodels.analysis.population.empirical_fisher_information`,
  Kanitscheider et al. 2015), averaged over the ring; silent neurons are left out.
* :func:`jackknife_se`: the leave-one-fold-out standard error of an estimate.

References
----------
Kanitscheider I, Coen-Cagli R, Kohn A, Pouget A (2015) PLoS Comput Biol 11:e1004218.
Seung HS, Sompolinsky H (1993) PNAS 90:10749. Efron B, Stein C (1981) The jackknife
estimate of variance. Ann Stat 9:586.
"""
import numpy as np

from .population import decoding_error, empirical_fisher_information, ml_decode_poisson

__all__ = ["ring_indices", "fourier_interpolate", "cross_validated_ml_error",
           "ring_linear_fisher", "jackknife_se"]


def _counts(counts):
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or c.shape[0] < 3 or c.shape[1] < 2:
        raise ValueError(f"counts must have shape (n_stimuli >= 3, n_trials >= 2), got {c.shape}")
    return c


def ring_indices(n_stimuli, n_neurons, upsample=1):
    """``idx[s, j]``: the relative stimulus (on a grid ``upsample`` times finer) at which
    neuron ``j`` of ``n_neurons`` sees stimulus ``s`` of ``n_stimuli * upsample``.
    ``n_neurons`` must divide ``n_stimuli``."""
    M, N, up = int(n_stimuli), int(n_neurons), int(upsample)
    if N < 1 or M % N or up < 1:
        raise ValueError(f"n_neurons ({n_neurons}) must divide n_stimuli ({n_stimuli}) and "
                         f"upsample ({upsample}) be >= 1")
    shift = np.arange(N) * (M // N)  # preferred stimuli on the grid
    return (np.arange(M * up)[:, None] - up * shift[None, :]) % (M * up)


def fourier_interpolate(values, factor):
    """A periodic curve sampled at M points, Fourier-interpolated to ``M * factor`` points
    (``scipy.signal.resample``; exact for band-limited curves), clipped at 0."""
    from scipy.signal import resample

    values = np.asarray(values, dtype=float)
    return np.maximum(resample(values, values.size * int(factor)), 0.0)


def cross_validated_ml_error(counts, n_neurons, duration, folds, upsample=8, period=np.pi):
    """RMS maximum-likelihood decoding error (stimulus units) of a ring population, one
    value per fold of test trials.

    Parameters
    ----------
    counts : array_like, shape (M, K)
        Spike counts at the M relative stimuli (grid over ``period``), K trials.
    n_neurons : int
        Population size N (divides M).
    duration : float
        Counting window (s).
    folds : sequence of index arrays
        Test trials of each fold (the rest train the tuning curves).
    upsample : int, default 8
        Candidate grid: M * upsample stimuli.
    period : float, default ``np.pi``
        Stimulus period (orientation).
    """
    c = _counts(counts)
    M, K = c.shape
    stim = np.arange(M) * period / M
    cand = np.arange(M * upsample) * period / (M * upsample)
    idx = ring_indices(M, n_neurons)  # [stimulus, neuron] -> relative stimulus
    idx_fine = ring_indices(M, n_neurons, upsample)
    out = []
    for test in folds:
        train = np.setdiff1d(np.arange(K), test)
        rates = fourier_interpolate(c[:, train].mean(axis=1) / duration, upsample)[idx_fine]
        X = c[idx][:, :, test].transpose(0, 2, 1)  # (stimulus, trial, neuron)
        est = ml_decode_poisson(X, rates, cand, duration, period=period)
        out.append(np.sqrt(np.mean(decoding_error(est, stim[:, None], period=period) ** 2)))
    return np.array(out)


def ring_linear_fisher(counts, n_neurons, trials=None, period=np.pi):
    """Linear Fisher information (per squared stimulus unit) of a ring population,
    averaged over the M stimuli, from ``trials`` (default all): between stimulus s and
    s + 1 grid step, bias-corrected, neurons silent at both left out (0 where all are).
    NaN where the trials are too few for the bias correction (2K <= N_live + 3)."""
    c = _counts(counts)
    M, K = c.shape
    trials = np.arange(K) if trials is None else np.asarray(trials)
    idx = ring_indices(M, n_neurons)
    vals = []
    for s in range(M):
        A = c[idx[s]][:, trials].T
        B = c[idx[(s + 1) % M]][:, trials].T
        live = (A.var(axis=0) + B.var(axis=0)) > 0  # silent neurons carry nothing here
        if not live.any():
            vals.append(0.0)
        elif 2 * len(trials) > live.sum() + 3:
            vals.append(empirical_fisher_information(A[:, live], B[:, live], period / M))
        else:
            return np.nan
    return float(np.mean(vals))


def jackknife_se(leave_one_out):
    r"""Jackknife standard error from the G leave-one-out estimates :math:`x_g`:
    :math:`\sqrt{\frac{G-1}{G}\sum_g (x_g - \bar x)^2}`."""
    x = np.asarray(leave_one_out, dtype=float)
    if x.ndim != 1 or x.size < 2:
        raise ValueError(f"need >= 2 leave-one-out estimates, got shape {x.shape}")
    G = x.size
    return float(np.sqrt((G - 1) / G * np.sum((x - x.mean()) ** 2)))
