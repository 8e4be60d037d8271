r"""Encoding analogue inputs in [0, 1] as spikes.

* :func:`rate_encode` -- Bernoulli rate coding: in each of ``n_steps`` time
  steps an input with value :math:`x` spikes with probability :math:`x`
  (as snnTorch's ``spikegen.rate``). Expected count :math:`x T`.
* :func:`latency_encode` -- time-to-first-spike coding: one spike at
  :math:`t = t_{max}(1 - x)` (strong inputs fire early); optional threshold
  below which an input stays silent, and a binary variant.
* :func:`binarize` -- threshold inputs to {0, 1} (binary variants of both
  codes: a binarised input rate-codes to a spike in every step or none).
* :func:`dense_to_spikes` -- convert a dense (time, ..., inputs) boolean
  array into flat ``(i, t)`` arrays for a Brian2 ``SpikeGeneratorGroup``.

Dense spike arrays are **time-first**: shape ``(n_steps,) + x.shape``.

References
----------
Eshraghian JK et al. (2023) Training spiking neural networks using lessons
from deep learning. Proc IEEE 111:1016-1054 (rate and latency coding).
Thorpe S, Delorme A, Van Rullen R (2001) Spike-based strategies for rapid
processing. Neural Netw 14:715-725 (latency coding).
"""

import numpy as np

__all__ = ["rate_encode", "latency_encode", "binarize", "dense_to_spikes"]


def _unit_interval(x, name="x"):
    x = np.asarray(x, dtype=float)
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1 or np.isnan(x).any()):
        raise ValueError(f"{name} must hold values in [0, 1], "
                         f"got range [{np.nanmin(x)}, {np.nanmax(x)}]")
    return x


def rate_encode(x, n_steps, seed=None):
    r"""Bernoulli rate coding.

    .. math:: s_t \sim \mathrm{Bernoulli}(x), \quad t = 0, \dots, T-1,

    independently for every input and step.

    Parameters
    ----------
    x : array_like
        Inputs in [0, 1] (e.g. pixels / 16), any shape.
    n_steps : int
        Number of time steps :math:`T`, >= 1.
    seed : int, numpy.random.Generator or None, default None
        Seed or generator (``numpy.random.default_rng``).

    Returns
    -------
    numpy.ndarray of bool, shape ``(n_steps,) + x.shape``
        Spikes, time first.
    """
    x = _unit_interval(x)
    if int(n_steps) != n_steps or n_steps < 1:
        raise ValueError(f"n_steps must be an integer >= 1, got {n_steps!r}")
    rng = np.random.default_rng(seed)
    return rng.random((int(n_steps),) + x.shape) < x


def latency_encode(x, t_max, threshold=0.0, binary=False, binary_threshold=0.5):
    r"""Time-to-first-spike latency coding, one spike per input at most.

    .. math:: t = t_{max}\,(1 - x)

    Inputs with :math:`x \le` ``threshold`` (when ``threshold > 0``) do not
    spike (time ``np.inf``). With ``binary=True`` inputs are first
    binarised (:func:`binarize` at ``binary_threshold``), so "on" inputs fire
    at 0 and "off" inputs at :math:`t_{max}` (or never, if ``threshold > 0``).

    Parameters
    ----------
    x : array_like
        Inputs in [0, 1], any shape.
    t_max : float or brian2.Quantity
        Latency of the weakest input (s, or steps if you work in steps), > 0.
    threshold : float, default 0.0
        Inputs at or below it stay silent when > 0; in [0, 1).
    binary : bool, default False
        Binarise inputs first.
    binary_threshold : float, default 0.5
        Threshold of the binarisation, in [0, 1).

    Returns
    -------
    numpy.ndarray of float, shape ``x.shape``
        Spike times (in the unit of ``t_max``; seconds for a quantity);
        ``np.inf`` for silent inputs.
    """
    x = _unit_interval(x)
    t_max = float(np.asarray(t_max))  # a brian2 quantity gives seconds
    if not (np.isfinite(t_max) and t_max > 0):
        raise ValueError(f"t_max must be a finite number > 0, got {t_max!r}")
    if not (0 <= threshold < 1):
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    if binary:
        x = binarize(x, binary_threshold).astype(float)
    t = t_max * (1.0 - x)
    if threshold > 0:
        t = np.where(x <= threshold, np.inf, t)
    return t


def binarize(x, threshold=0.5):
    """Binarise inputs: ``x > threshold``.

    Parameters
    ----------
    x : array_like
        Inputs in [0, 1].
    threshold : float, default 0.5
        In [0, 1).

    Returns
    -------
    numpy.ndarray of bool
    """
    x = _unit_interval(x)
    if not (0 <= threshold < 1):
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    return x > threshold


def dense_to_spikes(spikes, dt, t0=0.0):
    """Flat ``(i, t)`` spike arrays from a dense time-first boolean array.

    Parameters
    ----------
    spikes : array_like of bool, shape (n_steps, n_inputs) or (n_steps, ...)
        Spikes, time first; trailing axes are flattened in C order to input
        indices.
    dt : float
        Time step (s), > 0; spike of step k is at ``t0 + k * dt``.
    t0 : float, default 0.0
        Time of step 0 (s).

    Returns
    -------
    i : numpy.ndarray of int64
        Input index of each spike.
    t : numpy.ndarray of float
        Spike time (s), sorted.
    """
    s = np.asarray(spikes)
    if s.ndim < 1:
        raise ValueError("spikes must have a time axis (axis 0)")
    dt = float(np.asarray(dt))
    if not (np.isfinite(dt) and dt > 0):
        raise ValueError(f"dt must be a finite number > 0 (s), got {dt!r}")
    flat = s.reshape(s.shape[0], -1).astype(bool)
    k, i = np.nonzero(flat)
    return i.astype(np.int64), t0 + k * dt
