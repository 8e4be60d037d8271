r"""Spike binning: the one rule every analysis uses to count spikes in time bins.

The interval :math:`[t_0, t_0 + T)` is cut into :math:`n_b` **whole** bins of width
:math:`\Delta`,

.. math::

    n_b = \left\lfloor T/\Delta + \epsilon \right\rfloor, \qquad
    \text{bin } k = [t_0 + k\Delta,\; t_0 + (k+1)\Delta), \quad k = 0, \dots, n_b - 1,

and a spike at time :math:`t` falls into bin

.. math:: k(t) = \left\lfloor (t - t_0)/\Delta + \epsilon \right\rfloor,
          \qquad \epsilon = 10^{-9} .

Bins are half-open (a spike on an edge belongs to the bin that starts there). The
tolerance :math:`\epsilon` (a fraction of one bin) absorbs floating-point error: Brian2
records spike times as ``step * dt``, and ``0.3 / 0.1`` is ``2.9999999999999996`` in
double precision, so without it a spike on a bin edge would land one bin early, and a
duration of 0.3 s would hold only two 0.1 s bins. A remainder of the interval shorter than
one bin is dropped, with the spikes in it (choose ``duration`` as a multiple of
``bin_size`` to use every spike). Spikes outside :math:`[t_0, t_0 + n_b\Delta)` are ignored.

:func:`bin_spikes` counts; :func:`n_bins` and :func:`bin_edges` give the grid alone;
:func:`value_histogram` bins values (weights) on ``[0, high]`` by the same rule.
Times are plain numbers in seconds or Brian2 quantities with time dimension.
"""
import numpy as np

from ..units import as_seconds

__all__ = ["EDGE_TOLERANCE", "n_bins", "bin_edges", "bin_index", "bin_spikes",
           "value_histogram"]

#: Tolerance, as a fraction of one bin, for spikes and durations on bin edges.
EDGE_TOLERANCE = 1e-9


def _positive(x, name):
    val = as_seconds(x, name)
    if val.ndim != 0:
        raise ValueError(f"{name} must be a scalar (s), got shape {val.shape}")
    val = float(val)
    if not (np.isfinite(val) and val > 0):
        raise ValueError(f"{name} must be finite and > 0 (s), got {val!r}")
    return val


def _grid(duration, bin_size, name="bin_size"):
    duration = _positive(duration, "duration")
    bin_size = _positive(bin_size, name)
    if bin_size > duration * (1 + EDGE_TOLERANCE):
        raise ValueError(f"{name} must be in (0, duration] = (0, {duration}] s, got {bin_size}")
    return duration, bin_size, int(np.floor(duration / bin_size + EDGE_TOLERANCE))


def n_bins(duration, bin_size, name="bin_size"):
    """Number of whole bins of ``bin_size`` in ``duration`` (both in s, ``0 < bin_size <=
    duration``): ``floor(duration / bin_size + 1e-9)``. ``name``: what the caller calls the
    bin width, for the error message."""
    return _grid(duration, bin_size, name)[2]


def bin_edges(duration, bin_size, t_start=0.0, name="bin_size"):
    """The ``n_bins + 1`` bin edges ``t_start + k * bin_size`` (s)."""
    _, bin_size, n = _grid(duration, bin_size, name)
    return float(as_seconds(t_start, "t_start")) + bin_size * np.arange(n + 1)


def bin_index(t, bin_size, t_start=0.0):
    """Bin of each spike time: ``floor((t - t_start) / bin_size + 1e-9)`` (int array; may be
    negative or beyond the last bin for spikes outside the interval)."""
    bin_size = _positive(bin_size, "bin_size")
    t = np.atleast_1d(as_seconds(t, "t")).ravel()
    t_start = float(as_seconds(t_start, "t_start"))
    return np.floor((t - t_start) / bin_size + EDGE_TOLERANCE).astype(np.int64)


def bin_spikes(t, duration, bin_size, t_start=0.0, i=None, n=None, name="bin_size",
               dtype=None):
    """Spike counts in the bins of ``[t_start, t_start + duration)`` (module docstring).

    Parameters
    ----------
    t : array_like or brian2.Quantity
        Spike times (s).
    duration : float or brian2.Quantity
        Length of the interval (s), > 0.
    bin_size : float or brian2.Quantity
        Bin width (s), in (0, duration].
    t_start : float or brian2.Quantity, default 0.0
        Start of the interval (s).
    i : array_like of int or None, default None
        Neuron (or trial) index of each spike, in ``[0, n-1]``; with it the counts are
        per neuron.
    n : int or None
        Number of neurons; required with ``i``.
    name : str, default ``"bin_size"``
        What the caller calls the bin width (named in error messages).
    dtype : numpy dtype or None
        With ``i``: count straight into an array of this type (no int64 array of the same
        shape on the way; the caller makes sure that no count overflows it).

    Returns
    -------
    numpy.ndarray of int
        Shape ``(n_bins,)`` without ``i``; ``(n_bins, n)`` with it (bins along axis 0).
    """
    _, bin_size, nb = _grid(duration, bin_size, name)
    b = bin_index(t, bin_size, t_start)
    keep = (b >= 0) & (b < nb)
    if i is None:
        return np.bincount(b[keep], minlength=nb)
    if n is None or int(n) != n or n < 1:
        raise ValueError(f"n (number of neurons) must be an integer >= 1 with i, got {n!r}")
    n = int(n)
    i = np.atleast_1d(np.asarray(i)).ravel()
    if i.shape != b.shape:
        raise ValueError(f"i and t must have the same length, got {i.size} and {b.size}")
    if i.size and (np.any(i != np.round(i)) or i.min() < 0 or i.max() >= n):
        raise ValueError(f"i must hold integer neuron indices in [0, n-1] = [0, {n - 1}]")
    i = i.astype(np.int64)
    if dtype is not None:
        counts = np.zeros((nb, n), dtype=dtype)
        np.add.at(counts, (b[keep], i[keep]), 1)
        return counts
    return np.bincount(b[keep] * n + i[keep], minlength=nb * n).reshape(nb, n)


def value_histogram(x, high, bins: int = 20) -> np.ndarray:
    """Per row of ``x`` (one row per neuron or network), the counts of its values in ``bins``
    equal bins of ``[0, high]`` by the module's rule; ``high`` itself (a weight at its bound)
    falls in the last bin.  Returns shape ``(rows, bins)``."""
    x = np.atleast_2d(np.asarray(x, float))
    top = high * (1.0 - 0.5 / bins)  # high (and the top half of the last bin) to its middle
    rows = np.repeat(np.arange(len(x)), x.shape[1])
    return bin_spikes(np.minimum(x.ravel(), top), high, high / bins, i=rows, n=len(x),
                      name="bins").T
