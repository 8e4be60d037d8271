r"""Exact spike times of the deterministic adaptive-threshold LIF (ALIF) under a current step.

Independent of any simulation code (numpy and scipy only).  The model, in continuous time:

.. math::
    \tau_m \frac{dv}{dt} = \mu - v, \qquad
    \theta(t) = v_{th} + \theta_a(t), \qquad
    \tau_\theta \frac{d\theta_a}{dt} = -\theta_a ,

with :math:`\mu = E_L + R_m I` the steady-state potential of the constant input :math:`I`.
A spike is emitted at the first time :math:`v \ge \theta` outside the refractory period;
at each spike :math:`\theta_a \to \theta_a + \Delta\theta` and

* ``reset=True`` (the ALIF of :mod:`neuromodels.neurons.thresholds`, and NEST's
  ``gif_psc_exp``): :math:`v` is set to :math:`v_{reset}` and held there for
  :math:`t_{ref}`, then integrates again;
* ``reset=False`` (NEST's ``mat2_psc_exp``): :math:`v` is not reset and keeps integrating;
  the neuron cannot fire for :math:`t_{ref}` after a spike.

:math:`\theta_a` decays in both cases, also while the neuron is refractory.

Between spikes both variables have closed forms, so the distance to threshold ``t`` after a
spike is

.. math:: f(t) = A + B e^{-t/\tau_m} + C e^{-t/\tau_\theta},

with :math:`A = \mu - v_{th}`, :math:`C = -\theta_a^+` (the adaptation just after the spike)
and :math:`B = (v_{reset} - \mu) e^{t_{ref}/\tau_m}` (reset) or :math:`B = v_k - \mu`
(no reset, :math:`v_k` the potential at the spike).  A sum of two exponentials has at most
one extremum, so :math:`f` is monotone on at most two pieces and the first time
:math:`t \ge t_{ref}` with :math:`f(t) \ge 0` is found exactly with ``scipy.optimize.brentq``
(:func:`_first_crossing`).  This gives the spike-to-spike map

.. math::
    \theta_a^-_{k+1} = (\theta_a^-_k + \Delta\theta)\, e^{-T_k/\tau_\theta},\qquad
    T_k = T(\theta_a^-_k + \Delta\theta),

(:func:`alif_isi_map`; :math:`\theta_a^-` is the adaptation just before a spike).  Its fixed
point is the periodic steady state (:func:`alif_periodic_state`); iterating it from rest gives
the transient of spike-frequency adaptation (:func:`alif_spike_times`).

Without reset the map is two-dimensional (:math:`v_k, \theta_a^-_k`); its fixed point has
:math:`v^* = \mu` (from :math:`v(T) = v(0)`), so the steady state is in closed form:
:math:`T^* = \tau_\theta \ln\frac{\mu - v_{th} + \Delta\theta}{\mu - v_{th}}` with
:math:`\theta_a^{-*} = \mu - v_{th}` when :math:`T^* \ge t_{ref}`, and otherwise
:math:`T^* = t_{ref}`,
:math:`\theta_a^{-*} = \Delta\theta\, e^{-t_{ref}/\tau_\theta}/(1 - e^{-t_{ref}/\tau_\theta})`.

All functions take plain numbers in SI units (volt, second) or Brian2 quantities and return
seconds and volts as floats.

References
----------
Bellec G, Salaj D, Subramoney A, Legenstein R, Maass W (2018) Long short-term memory and
learning-to-learn in networks of spiking neurons. NeurIPS 31 (the ALIF neuron).
Bellec G et al. (2020) A solution to the learning dilemma for recurrent networks of spiking
neurons. Nat Commun 11:3625 (e-prop, ALIF).
Kobayashi R, Tsubo Y, Shinomoto S (2009) Made-to-order spiking neuron model equipped with a
multi-timescale adaptive threshold. Front Comput Neurosci 3:9 (NEST ``mat2_psc_exp``).
Mensi S et al. (2012) J Neurophysiol 107:1756; Pozzorini C et al. (2015) PLoS Comput Biol
11:e1004275 (NEST ``gif_psc_exp``).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from ..units import as_float

__all__ = ["alif_isi_map", "alif_periodic_state", "alif_spike_times"]

_XTOL = 1e-15  # seconds; brentq's absolute tolerance on spike times


def _scalar(x, name, unit):
    value = as_float(x, name, unit)
    if value.ndim != 0:
        raise ValueError(f"{name} must be a scalar; got shape {value.shape}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    return value


def _parameters(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, reset):
    p = dict(mu=_scalar(mu, "mu", "volt"), tau_m=_scalar(tau_m, "tau_m", "second"),
             v_th=_scalar(v_th, "v_th", "volt"),
             v_reset=None if v_reset is None else _scalar(v_reset, "v_reset", "volt"),
             t_ref=_scalar(t_ref, "t_ref", "second"),
             tau_theta=_scalar(tau_theta, "tau_theta", "second"),
             delta_theta=_scalar(delta_theta, "delta_theta", "volt"))
    for name in ("tau_m", "tau_theta"):
        if not p[name] > 0:
            raise ValueError(f"{name} must be > 0 (s); got {p[name]}")
    if not p["t_ref"] >= 0:
        raise ValueError(f"t_ref must be >= 0 (s); got {p['t_ref']}")
    if not p["delta_theta"] >= 0:
        raise ValueError(f"delta_theta must be >= 0 (V); got {p['delta_theta']}")
    if reset:
        if p["v_reset"] is None:
            raise ValueError("v_reset (V) is needed with reset=True")
        if not p["v_reset"] < p["v_th"]:
            raise ValueError(f"v_reset must be < v_th; "
                             f"got v_reset={p['v_reset']}, v_th={p['v_th']}")
    return p


def _first_crossing(A, B, tau_1, C, tau_2, t0):
    """First ``t >= t0`` with ``A + B exp(-t/tau_1) + C exp(-t/tau_2) >= 0``, or ``inf``.

    The function has at most one extremum, so it is monotone on ``[t0, t_e]`` and on
    ``[t_e, inf)``; each piece holds at most one root, found by ``brentq``.
    """
    def f(t):
        return A + B * math.exp(-t / tau_1) + C * math.exp(-t / tau_2)

    if f(t0) >= 0:
        return t0
    edges = [t0]
    if tau_1 != tau_2 and B != 0 and C != 0:
        ratio = -C * tau_1 / (B * tau_2)
        if ratio > 0:  # f'(t) = 0 at exp(t (1/tau_2 - 1/tau_1)) = ratio
            t_e = math.log(ratio) / (1 / tau_2 - 1 / tau_1)
            if t_e > t0:
                edges.append(t_e)
    for k, start in enumerate(edges):
        if k + 1 < len(edges):
            end = edges[k + 1]
        else:  # last piece: monotone towards A; reach a point with f >= 0 if there is one
            if A <= 0:
                return math.inf
            end, width = start, max(tau_1, tau_2)
            while f(end) < 0:
                end += width
                width *= 2
        if f(end) >= 0:
            return brentq(f, start, end, xtol=_XTOL, rtol=4 * np.finfo(float).eps)
    return math.inf


def _next_spike(p, theta_a_plus, v_spike, reset):
    """Time from a spike to the next one, given theta_a just after the spike."""
    B = ((p["v_reset"] - p["mu"]) * math.exp(p["t_ref"] / p["tau_m"]) if reset
         else v_spike - p["mu"])
    return _first_crossing(p["mu"] - p["v_th"], B, p["tau_m"], -theta_a_plus, p["tau_theta"],
                           p["t_ref"])


def alif_isi_map(theta_a_minus, mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta):
    r"""One step of the spike-to-spike map of the ALIF with reset.

    From the adaptation :math:`\theta_a^-` just before a spike, returns the inter-spike
    interval :math:`T` (s) to the next spike and :math:`\theta_a^-` just before it (V):
    :math:`T = \min\{t \ge t_{ref}: v(t) \ge \theta(t)\}` with :math:`v` held at
    :math:`v_{reset}` for :math:`t_{ref}`, and
    :math:`\theta_a^-_{next} = (\theta_a^- + \Delta\theta) e^{-T/\tau_\theta}`.
    ``T`` is ``inf`` when :math:`\mu \le v_{th}` (no next spike).
    """
    p = _parameters(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, True)
    a_plus = _scalar(theta_a_minus, "theta_a_minus", "volt") + p["delta_theta"]
    T = _next_spike(p, a_plus, None, True)
    return T, a_plus * math.exp(-T / p["tau_theta"]) if math.isfinite(T) else 0.0


def alif_periodic_state(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, reset=True):
    r"""The periodic steady state of the ALIF under constant input: a fixed point of the map.

    Returns a dict with ``isi`` (s; ``inf`` if the neuron does not fire periodically,
    :math:`\mu \le v_{th}`), ``rate`` (Hz), ``theta_a`` (the adaptation just before each
    spike, V) and ``threshold`` (:math:`v_{th} + \theta_a^-`, V).  With ``reset=True`` the
    fixed point :math:`\theta_a^{-*}` of :func:`alif_isi_map` is found by ``brentq`` on
    :math:`g(a) = (a + \Delta\theta)\,e^{-T(a+\Delta\theta)/\tau_\theta} - a`, which is
    positive at :math:`a = 0` and negative for large :math:`a`; with ``reset=False`` it is
    the closed form of the module docstring (``v_reset`` is not used and may be ``None``).
    """
    p = _parameters(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, reset)
    A, dth, tau_th = p["mu"] - p["v_th"], p["delta_theta"], p["tau_theta"]
    if A <= 0:
        return dict(isi=math.inf, rate=0.0, theta_a=math.nan, threshold=math.nan)
    if not reset:
        if dth == 0:
            T, a = p["t_ref"], 0.0
        else:
            T, a = tau_th * math.log((A + dth) / A), A
            if T < p["t_ref"]:
                decay = math.exp(-p["t_ref"] / tau_th)
                T, a = p["t_ref"], dth * decay / (1 - decay)
    else:
        def g(a):
            a_plus = a + dth
            return a_plus * math.exp(-_next_spike(p, a_plus, None, True) / tau_th) - a

        if dth == 0:
            a = 0.0
        else:
            hi = dth
            while g(hi) > 0:
                hi *= 2
            a = brentq(g, 0.0, hi, xtol=1e-18, rtol=4 * np.finfo(float).eps)
        T = _next_spike(p, a + dth, None, True)
    return dict(isi=T, rate=1.0 / T, theta_a=a, threshold=p["v_th"] + a)


def alif_spike_times(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, n_spikes, *,
                     v0, theta_a0=0.0, reset=True):
    r"""The first ``n_spikes`` spike times (s) after a current step at ``t = 0``.

    At ``t = 0`` the neuron is at ``v0`` with adaptation ``theta_a0`` and not refractory
    (it starts from rest: ``v0 = E_L``, ``theta_a0 = 0``); from then on the input is
    constant, :math:`\mu = E_L + R_m I`.  The first spike is the first crossing from
    ``v0``; each later one follows from the map.  ``np.diff`` of the result is the sequence
    of inter-spike intervals of spike-frequency adaptation, which tends to
    :func:`alif_periodic_state`'s ``isi``.  Times after a missing spike are ``inf``.
    """
    p = _parameters(mu, tau_m, v_th, v_reset, t_ref, tau_theta, delta_theta, reset)
    v0 = _scalar(v0, "v0", "volt")
    a = _scalar(theta_a0, "theta_a0", "volt")
    n_spikes = int(n_spikes)
    times = np.full(n_spikes, np.inf)
    if n_spikes == 0:
        return times
    t = _first_crossing(p["mu"] - p["v_th"], v0 - p["mu"], p["tau_m"], -a, p["tau_theta"], 0.0)
    v_spike = p["mu"] + (v0 - p["mu"]) * math.exp(-t / p["tau_m"]) if math.isfinite(t) else None
    a = a * math.exp(-t / p["tau_theta"]) if math.isfinite(t) else 0.0
    for k in range(n_spikes):
        if not math.isfinite(t):
            break
        times[k] = t
        a_plus = a + p["delta_theta"]
        T = _next_spike(p, a_plus, v_spike, reset)
        if not math.isfinite(T):
            break
        if not reset:
            v_spike = p["mu"] + (v_spike - p["mu"]) * math.exp(-T / p["tau_m"])
        a = a_plus * math.exp(-T / p["tau_theta"])
        t = t + T
    return times
