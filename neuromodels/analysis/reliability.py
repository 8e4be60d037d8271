r"""Spike-timing reliability and precision across repeated trials.

Mainen & Sejnowski (1995) showed that a neuron driven repeatedly by the same
(frozen) fluctuating current fires at the same times in every trial, while a
constant current gives spike times that drift apart. Two families of measures
are provided:

* :func:`schreiber_reliability` -- the correlation-based measure of Schreiber
  et al. (2003): every trial's spike train is convolved with a Gaussian of
  width :math:`\sigma_g`, and the reliability is the mean cosine similarity of
  all pairs of filtered trains,

  .. math::

      R_{corr} = \frac{2}{N(N-1)} \sum_{i<j}
                 \frac{\vec s_i \cdot \vec s_j}{|\vec s_i|\,|\vec s_j|} .

  It is 1 for identical trains and, for independent Poisson trains of rate
  :math:`\nu`, about :math:`2\sqrt\pi\sigma_g\nu / (1 + 2\sqrt\pi\sigma_g\nu)`.
  For copies of one sparse train jittered by Gaussian noise of s.d. J it is
  about :math:`1/\sqrt{1 + J^2/\sigma_g^2}`.

* :func:`event_reliability_precision` -- PSTH-based measures in the spirit
  of Mainen & Sejnowski (1995): *events* are the intervals where the
  smoothed PSTH exceeds a threshold; *reliability* is the fraction of spikes
  that fall inside events, *event reliability* the mean fraction of trials
  that fire in an event, and *precision* (jitter) the mean over events of
  the standard deviation of the trials' first spike times within the event.

Trials are given as a list of spike-time arrays (seconds, or Brian2
quantities), one per trial; :func:`neuromodels.analysis.spiketrains.split_trains`
converts the flat ``(i, t)`` arrays of a ``SpikeMonitor`` (with ``i`` the
trial index) into that form.

References
----------
Mainen ZF, Sejnowski TJ (1995) Reliability of spike timing in neocortical
neurons. Science 268:1503-1506.
Schreiber S, Fellous JM, Whitmer D, Tiesinga P, Sejnowski TJ (2003) A new
correlation-based measure of spike timing reliability. Neurocomputing
52-54:925-931.
Tiesinga P, Fellous JM, Sejnowski TJ (2008) Regulation of spike timing in
visual cortical circuits. Nat Rev Neurosci 9:97-107 (Box 1: measures).
"""

from collections import namedtuple

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..units import as_float, as_seconds
from .binning import bin_spikes, n_bins
from .groups import over_groups

__all__ = ["schreiber_reliability", "event_reliability_precision", "EventStats",
           "poisson_chance", "trial_reliability"]


EventStats = namedtuple(
    "EventStats",
    ["reliability", "event_reliability", "precision", "n_events", "events"],
)
EventStats.__doc__ = """Result of :func:`event_reliability_precision`.

reliability : float
    Fraction of all spikes that lie inside events (0..1).
event_reliability : float
    Mean over events of the fraction of trials with at least one spike in it.
precision : float
    Mean over events of the s.d. (ddof=1) of the first spike time of each
    participating trial (s); lower is more precise. NaN if no event has two
    participating trials.
n_events : int
    Number of events found.
events : numpy.ndarray, shape (n_events, 2)
    Start and stop time of each event (s).
"""


def _trials(trains, duration, t_start):
    if isinstance(trains, np.ndarray) and trains.dtype != object and trains.ndim == 1:
        raise ValueError(
            "trains must be a sequence of spike-time arrays, one per trial "
            "(got one flat array; use split_trains(i, t, n_trials))"
        )
    trains = [np.atleast_1d(as_seconds(tr, "trains")).ravel() for tr in trains]
    if len(trains) < 2:
        raise ValueError(f"trains must hold at least 2 trials, got {len(trains)}")
    n_bins(duration, duration)  # checks duration
    return trains, float(as_seconds(duration, "duration")), float(as_seconds(t_start, "t_start"))


def _binned(trains, duration, t_start, dt, name):
    """(n_trials, n_bins) spike counts (:func:`neuromodels.analysis.binning.bin_spikes`)."""
    return np.array([bin_spikes(tr, duration, dt, t_start, name=name) for tr in trains],
                    dtype=float)


def schreiber_reliability(trains, duration, sigma, dt=None, t_start=0.0):
    r"""Correlation-based spike-timing reliability (Schreiber et al. 2003).

    Each trial is binned with step ``dt`` over ``[t_start, t_start +
    duration)`` (whole bins, :func:`neuromodels.analysis.binning.bin_spikes`), convolved
    with a Gaussian of s.d. :math:`\sigma_g`
    (``scipy.ndimage.gaussian_filter1d``, truncated at 4 s.d., zero padding
    outside the interval) and the mean pairwise cosine similarity is returned:

    .. math::

        R_{corr} = \frac{2}{N(N-1)} \sum_{i<j}
        \frac{\vec s_i \cdot \vec s_j}{|\vec s_i|\,|\vec s_j|} .

    A pair in which exactly one trial is silent contributes 0; a pair of two
    silent trials is left out (its cosine is undefined).

    Parameters
    ----------
    trains : sequence of array_like or brian2.Quantity
        Spike times of each trial (s), relative to the trial start.
    duration : float or brian2.Quantity
        Trial duration (s), > 0.
    sigma : float or brian2.Quantity
        Width :math:`\sigma_g` of the Gaussian filter (s), > 0 (Schreiber et
        al. scan 1-10 ms; report the value used).
    dt : float or brian2.Quantity or None, default None
        Bin size of the time grid (s), > 0; ``None`` means ``sigma / 10``
        (spike-time quantisation error <= dt/2).
    t_start : float or brian2.Quantity, default 0.0
        Start of the analysed interval (s).

    Returns
    -------
    float
        :math:`R_{corr}` in [0, 1]; NaN if every pair is silent.

    References
    ----------
    Schreiber et al. (2003) Neurocomputing 52-54:925-931.
    """
    trains, duration, t_start = _trials(trains, duration, t_start)
    sigma = float(as_seconds(sigma, "sigma"))
    if not (np.isfinite(sigma) and sigma > 0):
        raise ValueError(f"sigma must be finite and > 0 (s), got {sigma}")
    dt = sigma / 10 if dt is None else float(as_seconds(dt, "dt"))
    x = _binned(trains, duration, t_start, dt, "dt")
    s = gaussian_filter1d(x, sigma / dt, axis=1, mode="constant", truncate=4.0)
    norm = np.linalg.norm(s, axis=1)
    gram = s @ s.T
    iu = np.triu_indices(len(trains), k=1)
    num = gram[iu]
    den = norm[iu[0]] * norm[iu[1]]
    both_silent = (norm[iu[0]] == 0) & (norm[iu[1]] == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    cos = cos[~both_silent]
    return float(cos.mean()) if cos.size else float("nan")


def event_reliability_precision(
    trains,
    duration,
    bin_size=1e-3,
    smooth=2e-3,
    threshold=3.0,
    t_start=0.0,
):
    r"""Event-based reliability and precision (after Mainen & Sejnowski 1995).

    1. The PSTH of the :math:`N` trials is computed with bins of
       ``bin_size`` and smoothed with a Gaussian of s.d. ``smooth``.
    2. *Events* are the maximal intervals where the smoothed PSTH exceeds
       ``threshold`` times its mean over the whole interval (for a flat PSTH
       there are then no events).
    3. Per event :math:`e`, each trial's first spike inside the event is
       taken; :math:`p_e` is the fraction of trials that have one and
       :math:`\mathrm{sd}_e` the standard deviation (ddof=1) of those times.

    Returned measures:

    .. math::

        \text{reliability} = \frac{\#\{\text{spikes inside events}\}}
                                  {\#\{\text{spikes}\}}, \quad
        \text{event reliability} = \langle p_e \rangle_e, \quad
        \text{precision} = \langle \mathrm{sd}_e \rangle_e .

    For spikes that are copies of one sparse train jittered by Gaussian noise
    of s.d. J (J not much larger than ``smooth``), precision is close to J.

    Parameters
    ----------
    trains : sequence of array_like or brian2.Quantity
        Spike times of each trial (s), relative to the trial start.
    duration : float or brian2.Quantity
        Trial duration (s), > 0.
    bin_size : float or brian2.Quantity, default 1e-3
        PSTH bin (s), > 0.
    smooth : float or brian2.Quantity, default 2e-3
        S.d. of the Gaussian smoothing of the PSTH (s), >= 0.
    threshold : float, default 3.0
        Event threshold as a multiple of the mean PSTH rate, > 1.
    t_start : float or brian2.Quantity, default 0.0
        Start of the analysed interval (s).

    Returns
    -------
    EventStats
        Named tuple ``(reliability, event_reliability, precision, n_events,
        events)``; rates are NaN when there are no spikes / no events.

    References
    ----------
    Mainen & Sejnowski (1995) Science 268:1503-1506; Tiesinga, Fellous &
    Sejnowski (2008) Nat Rev Neurosci 9:97-107, Box 1.
    """
    trains, duration, t_start = _trials(trains, duration, t_start)
    x = _binned(trains, duration, t_start, bin_size, "bin_size")
    bin_size = float(as_seconds(bin_size, "bin_size"))
    smooth = float(as_seconds(smooth, "smooth"))
    if not (np.isfinite(smooth) and smooth >= 0):
        raise ValueError(f"smooth must be finite and >= 0 (s), got {smooth}")
    if not (np.isfinite(threshold) and threshold > 1):
        raise ValueError(f"threshold must be a finite number > 1, got {threshold}")

    psth = x.sum(axis=0)
    total = psth.sum()
    if total == 0:
        return EventStats(np.nan, np.nan, np.nan, 0, np.zeros((0, 2)))
    if smooth > 0:
        psth = gaussian_filter1d(psth, smooth / bin_size, mode="constant", truncate=4.0)
    above = psth > threshold * psth.mean()
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    events = np.column_stack([t_start + starts * bin_size, t_start + stops * bin_size])

    n_in = 0
    p_e, sd_e = [], []
    for lo, hi in events:
        firsts = []
        for tr in trains:
            inside = tr[(tr >= lo) & (tr < hi) & (tr < t_start + duration)]
            n_in += inside.size
            if inside.size:
                firsts.append(inside.min())
        p_e.append(len(firsts) / len(trains))
        if len(firsts) >= 2:
            sd_e.append(np.std(firsts, ddof=1))
    return EventStats(
        reliability=n_in / total,
        event_reliability=float(np.mean(p_e)) if p_e else np.nan,
        precision=float(np.mean(sd_e)) if sd_e else np.nan,
        n_events=len(events),
        events=events,
    )


def poisson_chance(rate, sigma):
    r"""The :func:`schreiber_reliability` of independent Poisson trains of rate ``rate``
    (Hz, or a Brian2 quantity) with a filter of width ``sigma`` (s, or a quantity), the
    chance level of the measure (Schreiber et al. 2003):

    .. math:: R_{corr} \approx \frac{a}{1 + a}, \qquad a = 2\sqrt\pi\,\sigma_g\,\nu .
    """
    a = 2 * np.sqrt(np.pi) * float(as_seconds(sigma, "sigma")) * as_float(rate, "rate", "hertz")
    return a / (1 + a)


def trial_reliability(trains, duration, sigma, groups, t_start=0.0):
    """The reliability of one condition's repeated trials (``trains``: one spike-time array
    per trial, spikes in ``[t_start, t_start + duration)``), a dict of numbers:
    ``schreiber`` (:func:`schreiber_reliability` of all trials, filter width ``sigma``),
    ``schreiber_group_mean`` and ``schreiber_group_sd`` (over ``groups`` groups of trials,
    :func:`neuromodels.analysis.groups.over_groups`), ``event_reliability`` and
    ``precision`` (s) (:func:`event_reliability_precision` of all trials) and ``rate`` (Hz,
    spikes per trial and second)."""
    duration = float(as_seconds(duration, "duration"))
    mean, sd, _ = over_groups(lambda idx: schreiber_reliability(
        [trains[k] for k in idx], duration, sigma, t_start=t_start), len(trains), groups)
    events = event_reliability_precision(trains, duration, t_start=t_start)
    return {"schreiber": schreiber_reliability(trains, duration, sigma, t_start=t_start),
            "schreiber_group_mean": mean, "schreiber_group_sd": sd,
            "event_reliability": events.event_reliability, "precision": events.precision,
            "rate": sum(np.size(x) for x in trains) / (len(trains) * duration)}
