"""Error bars over independent groups of repeated trials.

A statistic that needs many trials at once (a Fano factor, a reliability, a spectrum)
gets its error bar from splitting the ``K`` trials of a condition into ``G`` disjoint,
contiguous groups, computing the statistic on each group, and reporting the mean and the
sample standard deviation (``ddof=1``) over groups. The groups are independent when the
trials are, so the s.d. estimates the spread of the statistic at ``K/G`` trials.
"""
import warnings

import numpy as np

__all__ = ["trial_groups", "mean_sd", "over_groups"]


def trial_groups(n_trials, groups):
    """Trial indices ``0 .. n_trials - 1`` split into ``groups`` nearly equal, contiguous
    groups (``numpy.array_split``); ``2 <= groups <= n_trials``."""
    if int(groups) != groups or not 2 <= groups <= n_trials:
        raise ValueError(f"groups must be an integer in [2, n_trials = {n_trials}], got {groups!r}")
    return np.array_split(np.arange(int(n_trials)), int(groups))


def mean_sd(values, axis=0):
    """NaN-ignoring mean and sample s.d. (``ddof=1``) along ``axis`` (all-NaN slices give
    NaN without a warning)."""
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=axis), np.nanstd(values, axis=axis, ddof=1)


def over_groups(statistic, n_trials, groups):
    """``(mean, sd, values)`` of ``statistic(indices)`` over :func:`trial_groups`;
    ``statistic`` returns a number or an array (the same shape for every group)."""
    values = np.array([statistic(idx) for idx in trial_groups(n_trials, groups)], dtype=float)
    mean, sd = mean_sd(values, axis=0)
    return mean, sd, values
