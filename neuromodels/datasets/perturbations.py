r"""Perturbations of inputs, spike arrays and weights, for robustness curves.

Each function takes a strength parameter (0 means no change), a seed (an int,
a ``numpy.random.Generator`` or None), validates its input and returns a new
array (the input is never modified).

========================  ==================================  ================
kind (for :func:`perturb`)  operation                         strength
========================  ==================================  ================
``"gaussian"``            :math:`x + \sigma\xi`, clipped       :math:`\sigma \ge 0`
``"salt_and_pepper"``     element -> low/high w.p. p/2 each    :math:`p \in [0,1]`
``"deletion"``            each spike removed w.p. p            :math:`p \in [0,1]`
``"jitter"``              each spike moved by round(σξ) steps  :math:`\sigma \ge 0` (steps)
``"weight"``              :math:`w(1 + \sigma\xi)` (relative)   :math:`\sigma \ge 0`
========================  ==================================  ================

:math:`\xi` are independent standard normal numbers. Dense spike arrays are
time-first boolean/0-1 arrays ``(n_steps, ...)`` (as produced by
:func:`neuromodels.datasets.encoding.rate_encode`); event-based versions for
flat spike-time arrays are :func:`delete_spike_events` and
:func:`jitter_spike_times`.  :func:`perturbed_test_sets` builds, for a robustness curve,
the rate-coded test set under every input (``INPUT_KINDS``) and spike (``SPIKE_KINDS``)
perturbation level in one array.

References
----------
Ma G, Yan R, Tang H (2023) Exploiting noise as a resource for computation and
learning in spiking neural networks. Patterns 4:100831 (robustness tests).
Gonzalez RC, Woods RE (2018) Digital Image Processing, 4th ed., sec. 5.2
(salt-and-pepper noise).
"""

import numpy as np

__all__ = [
    "KINDS",
    "gaussian_noise",
    "salt_and_pepper",
    "delete_spikes",
    "delete_spike_events",
    "jitter_spikes",
    "jitter_spike_times",
    "weight_noise",
    "perturb",
    "INPUT_KINDS",
    "SPIKE_KINDS",
    "perturbed_test_sets",
]


def _sigma(sigma, name="sigma"):
    if not (np.isscalar(sigma) and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {sigma!r}")
    return float(sigma)


def _prob(p, name="p"):
    if not (np.isscalar(p) and np.isfinite(p) and 0 <= p <= 1):
        raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
    return float(p)


def gaussian_noise(x, sigma, seed=None, clip=(0.0, 1.0)):
    r"""Additive Gaussian noise on analogue inputs: :math:`x + \sigma\xi`.

    Parameters
    ----------
    x : array_like
        Inputs (e.g. pixels in [0, 1]).
    sigma : float
        Noise s.d. (units of x), >= 0.
    seed : int, numpy.random.Generator or None, default None
        Random seed.
    clip : (float, float) or None, default (0.0, 1.0)
        Clip the result to this range (keeps probabilities valid); None for
        no clipping.

    Returns
    -------
    numpy.ndarray of float
    """
    sigma = _sigma(sigma)
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(seed)
    out = x + sigma * rng.standard_normal(x.shape)
    if clip is not None:
        lo, hi = clip
        if not lo < hi:
            raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
        out = np.clip(out, lo, hi)
    return out


def salt_and_pepper(x, p, seed=None, low=0.0, high=1.0):
    """Salt-and-pepper noise: each element, with probability ``p``, is set to
    ``low`` or ``high`` (equally likely).

    Parameters
    ----------
    x : array_like
        Inputs.
    p : float
        Fraction of corrupted elements, in [0, 1].
    seed : int, numpy.random.Generator or None, default None
        Random seed.
    low, high : float, defaults 0.0 and 1.0
        "Pepper" and "salt" values.

    Returns
    -------
    numpy.ndarray of float
    """
    p = _prob(p)
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(seed)
    u = rng.random(x.shape)
    out = x.copy()
    out[u < p / 2] = low
    out[(u >= p / 2) & (u < p)] = high
    return out


def delete_spikes(spikes, p, seed=None):
    """Delete each spike of a dense spike array independently with probability ``p``.

    Parameters
    ----------
    spikes : array_like of bool or {0, 1}
        Dense spikes (any shape, e.g. time-first ``(n_steps, n_inputs)``).
    p : float
        Deletion probability, in [0, 1].
    seed : int, numpy.random.Generator or None, default None
        Random seed.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``spikes``.
    """
    p = _prob(p)
    s = np.asarray(spikes)
    rng = np.random.default_rng(seed)
    keep = rng.random(s.shape) >= p
    return (s.astype(bool) & keep).astype(s.dtype)


def delete_spike_events(i, t, p, seed=None):
    """Delete each spike of flat ``(i, t)`` arrays with probability ``p``.

    Parameters
    ----------
    i : array_like of int
        Neuron index of each spike.
    t : array_like
        Spike times (any unit; Brian2 quantities give seconds), same length.
    p : float
        Deletion probability, in [0, 1].
    seed : int, numpy.random.Generator or None, default None

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The kept ``i`` and ``t``, in their original order.
    """
    p = _prob(p)
    i = np.asarray(i)
    t = np.asarray(np.asarray(t), dtype=float)
    if i.shape != t.shape:
        raise ValueError(f"i and t must have the same length, got {i.shape} and {t.shape}")
    keep = np.random.default_rng(seed).random(t.shape) >= p
    return i[keep], t[keep]


def jitter_spikes(spikes, sigma, seed=None):
    r"""Move each spike of a dense time-first array by a rounded Gaussian number of steps.

    Spike at step :math:`k` moves to :math:`\mathrm{clip}(k + \mathrm{round}(\sigma\xi),
    0, T-1)`. Spikes landing on the same step and input merge (the output is
    binary), so a few spikes can be lost at large :math:`\sigma`.

    Parameters
    ----------
    spikes : array_like of bool or {0, 1}, shape (n_steps, ...)
        Dense spikes, time first.
    sigma : float
        Jitter s.d. in time steps, >= 0.
    seed : int, numpy.random.Generator or None, default None

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as ``spikes``.
    """
    sigma = _sigma(sigma)
    s = np.asarray(spikes)
    if s.ndim < 1:
        raise ValueError("spikes must have a time axis (axis 0)")
    rng = np.random.default_rng(seed)
    idx = np.nonzero(s.astype(bool))
    shift = np.rint(sigma * rng.standard_normal(idx[0].size)).astype(np.int64)
    k = np.clip(idx[0] + shift, 0, s.shape[0] - 1)
    out = np.zeros(s.shape, dtype=bool)
    out[(k,) + idx[1:]] = True
    return out.astype(s.dtype)


def jitter_spike_times(t, sigma, seed=None, t_min=None, t_max=None):
    r"""Add Gaussian jitter to spike times: :math:`t + \sigma\xi`, clipped to [t_min, t_max].

    Parameters
    ----------
    t : array_like or brian2.Quantity
        Spike times (s for a quantity).
    sigma : float or brian2.Quantity
        Jitter s.d. (same unit as t), >= 0.
    seed : int, numpy.random.Generator or None, default None
    t_min, t_max : float or None, default None
        Optional bounds (same unit as t).

    Returns
    -------
    numpy.ndarray of float
        Jittered times, same order as the input (re-sort if needed).
    """
    sigma = _sigma(float(np.asarray(sigma)))
    t = np.asarray(np.asarray(t), dtype=float)
    out = t + sigma * np.random.default_rng(seed).standard_normal(t.shape)
    if t_min is not None or t_max is not None:
        out = np.clip(out, -np.inf if t_min is None else t_min, np.inf if t_max is None else t_max)
    return out


def weight_noise(w, sigma, seed=None, mode="relative"):
    r"""Noise on a weight array.

    * ``"relative"``: :math:`w (1 + \sigma\xi)` (each weight perturbed in
      proportion to its size);
    * ``"additive"``: :math:`w + \sigma\xi`;
    * ``"scaled"``: :math:`w + \sigma\, \mathrm{sd}(w)\, \xi` (additive, in units
      of the weights' spread).

    Parameters
    ----------
    w : array_like
        Weights (any shape; plain numbers).
    sigma : float
        Strength, >= 0.
    seed : int, numpy.random.Generator or None, default None
    mode : {"relative", "additive", "scaled"}, default "relative"

    Returns
    -------
    numpy.ndarray of float
    """
    sigma = _sigma(sigma)
    modes = ("relative", "additive", "scaled")
    if mode not in modes:
        raise ValueError(f"mode must be one of {modes}, got {mode!r}")
    w = np.asarray(w, dtype=float)
    xi = np.random.default_rng(seed).standard_normal(w.shape)
    if mode == "relative":
        return w * (1 + sigma * xi)
    if mode == "additive":
        return w + sigma * xi
    return w + sigma * w.std() * xi


KINDS = {
    "gaussian": gaussian_noise,
    "salt_and_pepper": salt_and_pepper,
    "deletion": delete_spikes,
    "jitter": jitter_spikes,
    "weight": weight_noise,
}


def perturb(kind, x, strength, seed=None, **kwargs):
    """Apply the perturbation named ``kind`` with the given strength.

    Parameters
    ----------
    kind : str
        One of ``KINDS``: ``"gaussian"`` (inputs), ``"salt_and_pepper"``
        (inputs), ``"deletion"`` (dense spikes), ``"jitter"`` (dense spikes,
        strength in steps), ``"weight"`` (weights).
    x : array_like
        What to perturb.
    strength : float
        Sigma or probability of the perturbation (see the table in the module
        docstring).
    seed : int, numpy.random.Generator or None, default None
    **kwargs
        Passed on to the function (e.g. ``clip``, ``mode``).

    Returns
    -------
    numpy.ndarray
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind](x, strength, seed, **kwargs)


#: perturbations of the analogue inputs (before rate coding) and of the dense spikes (after)
INPUT_KINDS = ("gaussian", "salt_and_pepper")
SPIKE_KINDS = ("deletion", "jitter")


def perturbed_test_sets(x, T, levels, n_repeats=1, seed=None):
    """The rate-coded test set, clean and under every nonzero perturbation level, in one array.

    Conditions: ``("clean", 0.0)`` first, then ``(kind, level)`` for each kind of ``levels``
    (in its order) and each of its nonzero levels.  Each condition is encoded
    ``n_repeats`` times with :func:`~neuromodels.datasets.encoding.rate_encode` (Bernoulli,
    spike probability x per step): an input kind (``INPUT_KINDS``) perturbs ``x`` and then
    encodes it; a spike kind (``SPIKE_KINDS``) encodes ``x`` and perturbs the time-first
    spikes.  All random numbers come from one generator, in that order.

    Parameters
    ----------
    x : array_like, shape (n, n_in)
        Analogue test inputs in [0, 1].
    T : int
        Time steps per sample, >= 1.
    levels : mapping kind -> sequence of float
        Strengths per kind (``INPUT_KINDS`` or ``SPIKE_KINDS``; 0 = clean, skipped).
    n_repeats : int, default 1
        Encodings per condition, >= 1.
    seed : int, numpy.random.Generator or None, default None

    Returns
    -------
    inputs : numpy.ndarray of float, shape (n_conditions * n_repeats * n, T, n_in)
        Sample-first spikes: condition c, repeat r, sample k at ``(c*n_repeats + r)*n + k``.
    conditions : list of (str, float)
    """
    from .encoding import rate_encode

    if int(T) != T or T < 1:
        raise ValueError(f"T must be a whole number >= 1, got {T!r}")
    if int(n_repeats) != n_repeats or n_repeats < 1:
        raise ValueError(f"n_repeats must be a whole number >= 1, got {n_repeats!r}")
    unknown = sorted(set(levels) - set(INPUT_KINDS + SPIKE_KINDS))
    if unknown:
        raise ValueError(f"levels: kinds must be among {INPUT_KINDS + SPIKE_KINDS}, got {unknown}")
    rng = np.random.default_rng(seed)
    x = np.asarray(x, dtype=float)
    conditions = [("clean", 0.0)]
    for kind, strengths in levels.items():
        conditions += [(kind, float(level)) for level in strengths if level > 0]
    sets = []
    for kind, level in conditions:
        for _ in range(int(n_repeats)):
            if kind in SPIKE_KINDS:
                spikes = perturb(kind, rate_encode(x, int(T), seed=rng), level, rng)
            else:
                inputs = x if kind == "clean" else perturb(kind, x, level, rng)
                spikes = rate_encode(inputs, int(T), seed=rng)
            sets.append(np.moveaxis(spikes, 0, 1).astype(float))
    return np.concatenate(sets), conditions
