r"""Analytic weight changes of spike-timing-dependent plasticity rules.

Independent of any simulation code: the rules' defining sums over spike pairs
and triplets, evaluated from the spike times.  Times are in seconds (plain
numbers, or Brian2 quantities converted to seconds); weights are plain numbers
in units of ``w_max`` (amplitudes are fractions of ``w_max``, as in the synapse
models of :mod:`neuromodels.synapses`).  No weight bounds are applied: use
these where the weight stays inside them.

Pair rule, one pre spike at :math:`t_{pre}` and one post spike at
:math:`t_{post}`, :math:`\Delta t = t_{post} - t_{pre}` (additive bounds):

.. math::
    \Delta w = w_{max} A_+ e^{-\Delta t/\tau_+} \ (\Delta t > 0), \qquad
    \Delta w = -w_{max} A_- e^{\Delta t/\tau_-} \ (\Delta t < 0),

and with multiplicative (soft) bounds the factor :math:`w_{max}` becomes
:math:`w_{max} - w_0` for potentiation and :math:`w_0` for depression.

Triplet rule (Pfister & Gerstner 2006, J Neurosci 26:9673, Eqs. 3-4), at each
post spike :math:`t^{post}` and each pre spike :math:`t^{pre}`:

.. math::
    \Delta w(t^{post}) = w_{max}\, r_1 \,[A_2^+ + A_3^+ o_2(t^{post}-\epsilon)],\qquad
    \Delta w(t^{pre}) = -w_{max}\, o_1 \,[A_2^- + A_3^- r_2(t^{pre}-\epsilon)],

where, for all-to-all interactions, :math:`r_1 = \sum_{t^{pre}<t}
e^{-(t-t^{pre})/\tau_+}` (and :math:`r_2, o_1, o_2` likewise with
:math:`\tau_x, \tau_-, \tau_y`), and for nearest-spike interactions only the
latest earlier spike counts (the traces saturate at 1).  Spikes at exactly the
same time do not interact (the sums run over strictly earlier spikes).
"""
from __future__ import annotations

import numpy as np

from ..units import as_float, as_seconds

__all__ = ["pair_window", "pairing_protocol", "triplet_weight_change", "reward_weight_change",
           "INTERACTIONS"]

INTERACTIONS = ("all", "nearest")


def pair_window(lag, A_plus, A_minus, tau_plus, tau_minus, w_max=1.0, w0=None,
                bounds="additive"):
    """Weight change of the pair rule for one pre/post pair at lag ``t_post - t_pre``.

    ``bounds='multiplicative'`` needs the initial weight ``w0``.  Zero lag gives zero.
    """
    lag = as_seconds(lag, "lag")
    tau_plus, tau_minus = as_seconds(tau_plus, "tau_plus"), as_seconds(tau_minus, "tau_minus")
    if bounds == "additive":
        up, down = w_max, w_max
    elif bounds == "multiplicative":
        if w0 is None:
            raise ValueError("Multiplicative bounds need the initial weight 'w0'.")
        up, down = w_max - w0, w0
    else:
        raise ValueError(f"bounds must be 'additive' or 'multiplicative'; got {bounds!r}.")
    return np.where(lag > 0, up * A_plus * np.exp(-np.abs(lag) / tau_plus),
                    np.where(lag < 0, -down * A_minus * np.exp(-np.abs(lag) / tau_minus), 0.0))


def pairing_protocol(n_pairs, frequency, lag, start=0.1):
    """Spike times (s) of ``n_pairs`` pre/post pairings repeated at ``frequency`` (Hz).

    Pairing ``k`` has its pre spike at ``start + k / frequency`` and its post spike
    ``lag`` later (earlier for a negative lag), as in Sjostrom et al. (2001).
    Returns ``(pre_times, post_times)``.
    """
    frequency = float(as_float(frequency, "frequency", "hertz"))
    lag = float(as_seconds(lag, "lag"))
    if frequency <= 0 or n_pairs < 1:
        raise ValueError("pairing_protocol needs frequency > 0 and n_pairs >= 1.")
    pre = start + max(0.0, -lag) + np.arange(int(n_pairs)) / frequency
    return pre, pre + lag


def _trace(at, spikes, tau, interaction):
    """Trace of ``spikes`` just before each time in ``at`` (strictly earlier spikes)."""
    delay = at[:, None] - spikes[None, :]
    kernel = np.where(delay > 0, np.exp(-np.where(delay > 0, delay, 0.0) / tau), 0.0)
    if interaction == "all":
        return kernel.sum(axis=1)
    nearest = np.where(delay > 0, delay, np.inf).min(axis=1)
    return np.where(np.isfinite(nearest), np.exp(-nearest / tau), 0.0)


def triplet_weight_change(pre, post, *, A2_plus, A3_plus, A2_minus, A3_minus, tau_plus, tau_minus,
                          tau_x, tau_y, interaction="all", w_max=1.0):
    """Total weight change of the triplet rule (the pair rule when ``A3_plus = A3_minus = 0``)
    for the given pre and post spike times; ``interaction`` is 'all' or 'nearest'."""
    if interaction not in INTERACTIONS:
        raise ValueError(f"interaction must be one of {INTERACTIONS}; got {interaction!r}.")
    pre, post = np.sort(as_seconds(pre, "pre")), np.sort(as_seconds(post, "post"))
    taus = [as_seconds(t, name) for t, name in
            ((tau_plus, "tau_plus"), (tau_minus, "tau_minus"), (tau_x, "tau_x"), (tau_y, "tau_y"))]
    tau_plus, tau_minus, tau_x, tau_y = taus
    r1 = _trace(post, pre, tau_plus, interaction)
    o2 = _trace(post, post, tau_y, interaction)
    o1 = _trace(pre, post, tau_minus, interaction)
    r2 = _trace(pre, pre, tau_x, interaction)
    potentiation = np.sum(r1 * (A2_plus + A3_plus * o2))
    depression = np.sum(o1 * (A2_minus + A3_minus * r2))
    return w_max * (potentiation - depression)


def reward_weight_change(pre, post, dopamine, *, A_plus, A_minus, tau_plus, tau_minus, tau_c, tau_n,
                         w_max=1.0):
    r"""Weight change of reward-modulated STDP (all-to-all pair eligibility, ``b = 0``).

    Each post spike at :math:`t` adds :math:`w_{max} A_+ a_{pre}(t)` to the eligibility
    :math:`c`, each pre spike adds :math:`-w_{max} A_- a_{post}(t)`; :math:`c` decays with
    :math:`\tau_c`; each dopamine spike at :math:`t_d` adds :math:`e^{-(t-t_d)/\tau_n}/\tau_n`
    to :math:`n`; :math:`\Delta w = \int c\, n\, dt`.  Each (jump at :math:`t_p`, dopamine
    spike at :math:`t_d`) pair contributes
    :math:`c_p\, e^{-(T-t_p)/\tau_c - (T-t_d)/\tau_n} \tau_c/(\tau_c+\tau_n)`,
    :math:`T = \max(t_p, t_d)`.
    """
    pre, post = np.sort(as_seconds(pre, "pre")), np.sort(as_seconds(post, "post"))
    dopamine = np.sort(as_seconds(dopamine, "dopamine"))
    tau_c, tau_n = as_seconds(tau_c, "tau_c"), as_seconds(tau_n, "tau_n")
    jumps = np.concatenate([
        w_max * A_plus * _trace(post, pre, as_seconds(tau_plus, "tau_plus"), "all"),
        -w_max * A_minus * _trace(pre, post, as_seconds(tau_minus, "tau_minus"), "all")])
    times = np.concatenate([post, pre])
    later = np.maximum(times[:, None], dopamine[None, :])
    overlap = np.exp(-(later - times[:, None]) / tau_c - (later - dopamine[None, :]) / tau_n)
    return float(np.sum(jumps[:, None] * overlap) * tau_c / (tau_c + tau_n))
