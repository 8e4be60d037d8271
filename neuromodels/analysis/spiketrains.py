"""Basic statistics of spike trains: rates, counts, irregularity, variability.

Every function here takes spikes as flat arrays, the form a Brian2
``SpikeMonitor`` gives (``mon.i``, ``mon.t``): ``i`` holds the index of the
neuron (or trial) that fired each spike and ``t`` the spike time. Times may be
plain numpy arrays in **seconds** or Brian2 quantities with time dimension
(they are converted to seconds by :func:`as_seconds`). Results are plain
numpy numbers/arrays in SI units (Hz, s).

The functions know nothing of how the spikes were produced.

References
----------
Dayan P, Abbott LF (2001) Theoretical Neuroscience, ch. 1. MIT Press.
Gerstein GL, Kiang NY-S (1960) An approach to the quantitative analysis of
electrophysiological data from single neurons. Biophys J 1:15-28.
"""

import numpy as np

from ..units import as_float, as_seconds
from .binning import bin_edges, bin_spikes

__all__ = [
    "as_seconds",
    "as_float",
    "split_trains",
    "firing_rates",
    "population_rate",
    "isi_cv",
    "spike_counts",
    "fano_factor",
]


def _check_n(n):
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer (>= 1), got {n!r}")
    return int(n)


def _positive_scalar(x, name):
    val = as_seconds(x, name)
    if val.ndim != 0:
        raise ValueError(f"{name} must be a scalar, got shape {val.shape}")
    val = float(val)
    if not np.isfinite(val) or val <= 0:
        raise ValueError(f"{name} must be finite and > 0 (seconds), got {val!r}")
    return val


def _spikes(i, t, n):
    """Validate a pair of flat spike arrays, return (int indices, times in s)."""
    t = np.atleast_1d(as_seconds(t, "t")).ravel()
    i = np.atleast_1d(np.asarray(as_float(i, "i"))).ravel()
    if i.shape != t.shape:
        raise ValueError(
            f"i and t must have the same length, got len(i)={i.size}, len(t)={t.size}"
        )
    if i.size and (np.any(i != np.round(i)) or i.min() < 0 or i.max() >= n):
        raise ValueError(f"i must hold integer neuron indices in [0, n-1] = [0, {n - 1}]")
    return i.astype(np.int64), t


def split_trains(i, t, n):
    """Split flat spike arrays into one sorted array of spike times per neuron.

    Parameters
    ----------
    i : array_like of int
        Neuron (or trial) index of each spike, in ``[0, n-1]``.
    t : array_like or brian2.Quantity
        Spike times (s), same length as ``i``.
    n : int
        Number of neurons (or trials).

    Returns
    -------
    list of numpy.ndarray
        ``n`` arrays of spike times in seconds, each sorted.
    """
    n = _check_n(n)
    i, t = _spikes(i, t, n)
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    bounds = np.searchsorted(i, np.arange(n + 1))
    return [t[bounds[k]:bounds[k + 1]] for k in range(n)]


def firing_rates(i, t, n, duration):
    r"""Mean firing rate of each neuron.

    .. math:: r_k = N_k / T

    with :math:`N_k` the number of spikes of neuron :math:`k` and :math:`T`
    the recording duration.

    Parameters
    ----------
    i : array_like of int
        Neuron index of each spike, in ``[0, n-1]``.
    t : array_like or brian2.Quantity
        Spike times (s), same length as ``i`` (only used for validation).
    n : int
        Number of neurons (neurons that never fired get rate 0).
    duration : float or brian2.Quantity
        Recording duration :math:`T` (s), > 0.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Firing rate of each neuron in Hz.

    References
    ----------
    Dayan & Abbott (2001), Theoretical Neuroscience, sec. 1.2.
    """
    n = _check_n(n)
    duration = _positive_scalar(duration, "duration")
    i, _ = _spikes(i, t, n)
    return np.bincount(i, minlength=n).astype(float) / duration


def population_rate(t, n, duration, bin_size, t_start=0.0):
    r"""Population firing rate (PSTH of the pooled spikes), per neuron.

    .. math:: R(t_b) = \frac{\#\{\text{spikes in } [t_b - \Delta/2, t_b + \Delta/2)\}}{n\,\Delta}

    The interval ``[t_start, t_start + duration)`` is cut into whole bins of
    width :math:`\Delta` by :func:`neuromodels.analysis.binning.bin_spikes`
    (its rounding rule; a last partial bin is dropped). Spikes outside the bins
    are ignored.

    Parameters
    ----------
    t : array_like or brian2.Quantity
        Spike times of all neurons pooled (s).
    n : int
        Number of neurons the spikes come from (>= 1); divides the rate so the
        result is the mean rate of one neuron.
    duration : float or brian2.Quantity
        Length of the analysed interval (s), > 0.
    bin_size : float or brian2.Quantity
        Bin width :math:`\Delta` (s), > 0 and <= ``duration``.
    t_start : float or brian2.Quantity, default 0.0
        Start of the analysed interval (s).

    Returns
    -------
    centres : numpy.ndarray, shape (n_bins,)
        Bin centres (s).
    rate : numpy.ndarray, shape (n_bins,)
        Mean rate per neuron in each bin (Hz).

    References
    ----------
    Gerstein & Kiang (1960) Biophys J 1:15-28; Dayan & Abbott (2001) sec. 1.2.
    """
    n = _check_n(n)
    t = np.atleast_1d(as_seconds(t, "t")).ravel()
    edges = bin_edges(duration, bin_size, t_start)
    bin_size = float(edges[1] - edges[0])
    counts = bin_spikes(t, duration, bin_size, t_start)
    return edges[:-1] + bin_size / 2, counts / (n * bin_size)


def isi_cv(i, t, n, min_spikes=3):
    r"""Coefficient of variation of the inter-spike intervals of each neuron.

    .. math:: C_V = \sigma_{ISI} / \langle ISI \rangle

    with the standard deviation taken with ``ddof=0`` (as in Elephant's
    ``cv``). A Poisson process has :math:`C_V = 1`, a perfectly regular train
    :math:`C_V = 0`.

    Parameters
    ----------
    i : array_like of int
        Neuron index of each spike, in ``[0, n-1]``.
    t : array_like or brian2.Quantity
        Spike times (s), same length as ``i``; need not be sorted.
    n : int
        Number of neurons.
    min_spikes : int, default 3
        Neurons with fewer spikes get NaN (>= 2; 3 means at least 2 ISIs).

    Returns
    -------
    numpy.ndarray, shape (n,)
        CV of each neuron (dimensionless), NaN where fewer than
        ``min_spikes`` spikes.

    References
    ----------
    Softky WR, Koch C (1993) J Neurosci 13:334-350;
    Dayan & Abbott (2001) sec. 1.4.
    """
    n = _check_n(n)
    if int(min_spikes) != min_spikes or min_spikes < 2:
        raise ValueError(f"min_spikes must be an integer >= 2, got {min_spikes!r}")
    i, t = _spikes(i, t, n)
    order = np.lexsort((t, i))
    i, t = i[order], t[order]
    same = i[1:] == i[:-1]
    isi = np.diff(t)[same]
    owner = i[1:][same]
    n_isi = np.bincount(owner, minlength=n).astype(float)
    s1 = np.bincount(owner, weights=isi, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / n_isi
        dev = isi - mean[owner]
        var = np.bincount(owner, weights=dev * dev, minlength=n) / n_isi
        cv = np.sqrt(var) / mean
    cv[n_isi + 1 < min_spikes] = np.nan
    return cv


def spike_counts(i, t, n, t_start, t_stop, bin_size=None):
    r"""Number of spikes of each neuron in a window (or in consecutive windows).

    Counts spikes with :math:`t_{start} \le t < t_{stop}`, binned by
    :func:`neuromodels.analysis.binning.bin_spikes` (its edge rule).

    Parameters
    ----------
    i : array_like of int
        Neuron index of each spike, in ``[0, n-1]``.
    t : array_like or brian2.Quantity
        Spike times (s), same length as ``i``.
    n : int
        Number of neurons.
    t_start, t_stop : float or brian2.Quantity
        Window (s), ``t_stop > t_start``.
    bin_size : float or brian2.Quantity or None, default None
        If given (s, > 0), the window is cut into consecutive whole bins (a
        last partial bin is dropped) and the counts of every bin are returned.

    Returns
    -------
    numpy.ndarray of int
        Shape ``(n,)`` without ``bin_size``; shape ``(n_bins, n)`` with it
        (repetitions along axis 0, as :func:`fano_factor` expects).
    """
    n = _check_n(n)
    t_start = float(as_seconds(t_start, "t_start"))
    t_stop = float(as_seconds(t_stop, "t_stop"))
    if not t_stop > t_start:
        raise ValueError(
            f"t_stop must be > t_start, got t_start={t_start}, t_stop={t_stop} (s)"
        )
    i, t = _spikes(i, t, n)
    if bin_size is None:  # one window: one bin of the whole width
        return bin_spikes(t, t_stop - t_start, t_stop - t_start, t_start, i=i, n=n)[0]
    return bin_spikes(t, t_stop - t_start, bin_size, t_start, i=i, n=n)


def fano_factor(counts, axis=0, ddof=1):
    r"""Fano factor of spike counts across repetitions (trials or windows).

    .. math:: F = \mathrm{Var}[N] / \mathrm{E}[N]

    A Poisson process has :math:`F = 1` for any window. With the default
    ``ddof=1`` the variance is the unbiased sample variance, so the estimate
    of a Poisson process is unbiased (its sampling s.d. is about
    :math:`\sqrt{2/(K-1)}` for :math:`K` repetitions when the mean is large).

    Parameters
    ----------
    counts : array_like
        Spike counts; repetitions along ``axis``.
    axis : int, default 0
        Axis of repetitions.
    ddof : int, default 1
        Delta degrees of freedom of the variance (0 or 1).

    Returns
    -------
    float or numpy.ndarray
        Fano factor (dimensionless) along ``axis``; NaN where the mean count
        is 0.

    References
    ----------
    Fano U (1947) Phys Rev 72:26-29; Dayan & Abbott (2001) sec. 1.4.
    """
    counts = np.asarray(counts, dtype=float)
    if counts.ndim == 0:
        raise ValueError("counts must be an array with at least one axis")
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 or 1, got {ddof!r}")
    k = counts.shape[axis]
    if k < 1 + ddof:
        raise ValueError(
            f"counts needs at least {1 + ddof} repetitions along axis {axis}, got {k}"
        )
    mean = counts.mean(axis=axis)
    var = counts.var(axis=axis, ddof=ddof)
    with np.errstate(invalid="ignore", divide="ignore"):
        ff = np.where(mean > 0, var / np.where(mean > 0, mean, 1.0), np.nan)
    return ff[()] if ff.ndim == 0 else ff
