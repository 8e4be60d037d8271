r"""The independent checks of the neuron models (``neuromodels validate`` and the tests).

They live in ``networks/`` because each builds and runs a small network (``neurons/`` holds
the models only); :data:`VALIDATED` names the models of ``neurons/`` they belong to.

Each check runs on a model *object* (a shipped one or a user's variant of it) and compares
what Brian2 simulates with a reference that shares no code with the model:

* LIF rate formula (Lapicque; Burkitt 2006): for a constant drive :math:`\mu` above
  threshold the period is :math:`t_{ref} + \tau_m \ln\frac{\mu - V_r}{\mu - \theta}`
  (:func:`neuromodels.theory.lif.lif_rate_deterministic`);
* Siegert (1951), in Brunel & Hakim's (1999) form, for the diffusive LIF
  (:func:`~neuromodels.theory.lif.siegert_rate`);
* escape noise: at a clamped ``v``, P(spike in a step) = F((v − v_th)/σ) with F the
  distribution's CDF (:mod:`neuromodels.neurons.noise`, numpy), per distribution;
* ALIF: every inter-spike interval of the step response equals the exact spike-to-spike
  map iterated from rest (:func:`neuromodels.theory.alif.alif_spike_times`), and NEST 3's
  ``gif_psc_exp`` / ``mat2_psc_exp`` on the same grid with the same parameters
  (:func:`neuromodels.networks.alif_step.nest_spike_trains`; listed as not run where NEST is
  missing);
* homeostatic threshold: its only bounded state fires at ``r_target`` (Lazar et al. 2009).

The theta neuron's checks (its period, the exact solver) are in
:mod:`neuromodels.networks.theta_checks`.

Escape noise and the ALIF take their inputs from the model's code: a model whose ``p_fire``
(or reset and threshold) reads a constant expression where the shipped one reads ``sigma``,
``v_th``, ``delta_theta`` or ``v_reset`` (``substituted(sigma="2*sigma")``) is checked with
that value (:mod:`neuromodels.validation.template`).

:data:`VALIDATED` lists the shipped models with their checks; ``CHECKS`` every check once.
"""
from __future__ import annotations

import numpy as np
from brian2 import Network, SpikeMonitor, mV, ms, nA, second, usecond

from ..devices import brian2_settings
from ..theory.alif import alif_spike_times
from ..theory.lif import lif_rate_deterministic, siegert_rate
from ..validation.check import (Check, Validated, expression_of, has_noise, requires,
                                same_code)
from ..neurons.lif import LIF
from ..neurons.noise import available_noises, get_noise
from ..neurons.noisy import DIFFUSIVE_LIF, escape_lif
from ..neurons.thresholds import (ALIF, FIXED_THRESHOLD_LIF, HOMEOSTATIC_LIF,
                                  adaptive_threshold)
from ..validation import template
from ..validation.errors import Unavailable
from .alif_step import nest_spike_trains

__all__ = ["VALIDATED", "lif_rate", "siegert", "escape_probability", "alif_map", "alif_nest",
           "homeostatic_rate", "binomial_z"]

_LIF_NAMES = ("tau_m", "v_th", "v_reset", "t_ref")
_CURRENT_DRIVE = ("E_L", "R_m")


def _trains(monitor, n: int, shift: float = 0.0) -> list[np.ndarray]:
    t, i = np.asarray(monitor.t / second), np.asarray(monitor.i)
    return [np.sort(t[i == k]) + shift for k in range(n)]


# ------------------------------------------------------------------- LIF rate formula
def lif_rate(drive: str) -> Check:
    """The LIF period under constant drive; ``drive`` is ``'v_rest'`` (a parameter: the
    mean input, as in :data:`~neuromodels.neurons.lif.LIF`) or ``'I_ext'`` (a current
    variable: μ = E_L + R_m I_ext, as in the models of :mod:`~neuromodels.neurons.noisy`)."""
    by_current = drive == "I_ext"

    def measure(model, size, run):
        p = model.namespace()
        mu = p["v_th"] + np.asarray(size["above_threshold_mV"]) * mV
        dt = size["dt"]
        with brian2_settings(dt=dt):
            if by_current:
                g = model.group(len(mu))
                g.I_ext = (mu - p["E_L"]) / p["R_m"]
            else:
                g = model.per_neuron("v_rest").group(len(mu))
                g.v_rest = mu
            g.v = p["v_reset"]
            m = SpikeMonitor(g)
            run(Network(g, m), size["duration"])
            trains = _trains(m, len(mu))
        period = 1 / lif_rate_deterministic(mu, *(p[k] for k in _LIF_NAMES))
        isis = [np.diff(t) for t in trains]
        if min(len(i) for i in isis) < 2:
            return np.inf
        return max(np.max(np.abs(i - T)) for i, T in zip(isis, period)) / float(dt / second)

    def applies(model):
        return requires(model, what="the LIF rate formula",
                        parameters=_LIF_NAMES + (_CURRENT_DRIVE if by_current else ("v_rest",)),
                        variables=("v", "I_ext") if by_current else ("v",),
                        allowed=("theta",) if by_current else (),
                        threshold=("v > v_th", "v > theta")) or _theta_is_v_th(model) or (
            "the LIF rate formula is for a noiseless membrane: the model's equations draw xi"
            if has_noise(model) else None)

    return Check(
        name=f"rate formula ({'current' if by_current else 'v_rest'} drive)",
        compares="inter-spike intervals at 5 constant drives above threshold",
        reference="1/(t_ref + τ_m ln((μ−V_r)/(μ−θ))), Lapicque (1907), Burkitt (2006)",
        tolerance=1.0, error_unit="steps",
        why="a spike is found at the first step after the crossing, so each interval on the "
            "grid is within one step of the continuous one",
        measure=measure, applies=applies,
        quick=dict(dt=0.01 * ms, duration=0.3 * second, above_threshold_mV=[1, 5, 10, 20, 40]),
        full=dict(dt=0.01 * ms, duration=2 * second, above_threshold_mV=[1, 5, 10, 20, 40]))


def _theta_is_v_th(model) -> str | None:
    theta = expression_of(model, "theta")
    if theta is not None and not same_code(theta, "v_th"):
        return f"the LIF rate formula assumes a fixed threshold: the model's theta = {theta}"
    return None


# ---------------------------------------------------------------------------- Siegert
def siegert() -> Check:
    names = ("sigma_v",) + _LIF_NAMES

    def measure(model, size, run):
        p = model.namespace()
        mu = p["v_th"] - p["sigma_v"]  # one s.d. below threshold: firing driven by the noise
        theory = siegert_rate(mu, **{k: p[k] for k in names})
        n, T = size["neurons"], size["duration"]
        with brian2_settings(dt=size["dt"]):
            g = model.group(n)
            g.I_ext = (mu - p["E_L"]) / p["R_m"]
            g.v = np.random.default_rng(3).uniform(float(p["v_reset"] / mV),
                                                   float(p["v_th"] / mV), n) * mV
            m = SpikeMonitor(g)
            run(Network(g, m), T)
            count = m.num_spikes
        return abs(count / n / float(T / second) / theory - 1)

    def applies(model):
        return requires(model, what="the Siegert formula", parameters=names + _CURRENT_DRIVE,
                        variables=("v", "I_ext"), threshold="v > v_th") or (
            None if has_noise(model) else
            "the Siegert formula is the rate of a diffusive (white-noise) LIF: the model's "
            "equations have no xi")

    return Check(
        name="Siegert rate", compares="mean rate at μ = v_th − σ_v",
        reference="Siegert (1951); Brunel & Hakim (1999) Neural Comput 11:1621",
        tolerance=0.06, error_unit="relative",
        why="the discrete-time threshold misses excursions between steps, lowering the rate "
            "by O(√(dt/τ_m)) (1.6 % at dt = 10 µs), plus the sampling error of the count",
        measure=measure, applies=applies,
        quick=dict(dt=10 * usecond, neurons=400, duration=0.5 * second),
        full=dict(dt=10 * usecond, neurons=1000, duration=2 * second))


# ------------------------------------------------------------------------ escape noise
def binomial_z(counts, n_trials: int, p) -> np.ndarray:
    """(counts − n p)/√(n p (1 − p)) per entry; where p is 0 or 1 the count must equal
    n p exactly, else that entry is ``inf``."""
    counts, p = np.asarray(counts, float), np.asarray(p, float)
    var = n_trials * p * (1 - p)
    z = np.where(counts == np.round(n_trials * p), 0.0, np.inf)
    ok = var > 0
    z[ok] = (counts[ok] - n_trials * p[ok]) / np.sqrt(var[ok])
    return z


def escape_probability(noise: str) -> Check:
    dist, reference = get_noise(noise), escape_lif(noise)

    def parts(model):  # the reference reads v_th and sigma where p_fire has them
        return {"p_fire": (expression_of(model, "p_fire"),
                           expression_of(reference, "p_fire"))}

    def measure(model, size, run):
        p = {**model.namespace(), **template.inputs(model, reference, parts(model),
                                                      ("v_th", "sigma"))}
        per, n_steps, dt = size["neurons"], size["steps"], size["dt"]
        v0 = p["v_th"] + np.linspace(-2.5, 2.5, per) * p["sigma"]
        with brian2_settings(dt=dt):
            g = model.per_neuron("E_L", "v_reset").group(per, params={"t_ref": 0 * ms})
            g.E_L = g.v_reset = g.v = v0  # v stays at v0: it relaxes to v0 and resets to v0
            m = SpikeMonitor(g)
            run(Network(g, m), n_steps * dt)
            counts = np.bincount(np.asarray(m.i), minlength=per)
        F = dist.firing_probability(np.asarray((v0 - p["v_th"]) / mV), float(p["sigma"] / mV))
        return float(np.max(np.abs(binomial_z(counts, n_steps, F))))

    def applies(model):
        why = requires(model, what=f"the firing probability F_{dist.name}((v − v_th)/σ)",
                       parameters=("sigma", "v_th", "E_L", "v_reset", "t_ref"),
                       variables=("v", "u_draw", "p_fire"), allowed=("I_ext",),
                       threshold="u_draw < p_fire", extra_reason="other state")
        if why:
            return why
        if template.distance(model, reference, parts(model)):
            return (f"the reference is the {dist.name} CDF of (v − v_th)/σ: the model's p_fire "
                    f"is {expression_of(model, 'p_fire')}")
        return None

    return Check(
        name=f"firing probability, {dist.name}", compares="spike counts of 30 clamped neurons",
        reference=f"the {dist.name} CDF F((v − v_th)/σ) (numpy), binomial counts",
        tolerance=4.5, error_unit="max abs z",
        why="counts are binomial: the largest of 30 |z| exceeds 4.5 with probability 2e-4 "
            "when the model is right",
        measure=measure, applies=applies,
        quick=dict(dt=0.1 * ms, neurons=30, steps=1000),
        full=dict(dt=0.1 * ms, neurons=30, steps=20000))


# -------------------------------------------------------------------------------- ALIF
_ALIF_NAMES = ("tau_m", "E_L", "R_m", "v_th", "t_ref", "tau_theta", "delta_theta")


def _alif_reference(reset: bool):
    return ALIF if reset else adaptive_threshold(reset_membrane=False)


def _alif_parts(model, reset: bool) -> dict:
    """The code in which the map reads ``v_reset``, ``delta_theta`` and ``v_th``."""
    reference = _alif_reference(reset)
    return {"reset": (model.reset, reference.reset),
            "theta": (expression_of(model, "theta"), expression_of(reference, "theta"))}


def _alif_inputs(model, reset: bool) -> dict:
    """The model's parameters, with the constant expressions that replace ``v_reset``,
    ``delta_theta`` or ``v_th`` in its reset or threshold (:mod:`~neuromodels.validation.
    template`)."""
    return {**model.namespace(), **template.inputs(
        model, _alif_reference(reset), _alif_parts(model, reset),
        ("v_th", "delta_theta") + (("v_reset",) if reset else ()))}


def _alif_applies(model, reset: bool, what: str) -> str | None:
    names = _ALIF_NAMES + (("v_reset",) if reset else ())
    why = requires(model, what=what, parameters=names,
                   variables=("v", "I_ext", "theta", "theta_a"), threshold="v > theta")
    if why:
        return why
    reference = _alif_reference(reset)
    parts = _alif_parts(model, reset)
    if template.distance(model, reference, {"reset": parts["reset"]}):
        return f"{what} assumes the reset {reference.reset!r}: the model's is {model.reset!r}"
    if template.distance(model, reference, {"theta": parts["theta"]}):
        return f"{what} assumes theta = v_th + theta_a: the model's is " \
               f"{expression_of(model, 'theta')}"
    return None


def _alif_trains(model, size, run):
    """Brian2's spike times (s; a spike at the end of its step, NEST's convention)."""
    currents, dt = np.asarray(size["currents_nA"]) * nA, size["dt"]
    with brian2_settings(dt=dt):
        g = model.group(len(currents))
        g.I_ext = currents
        m = SpikeMonitor(g)
        run(Network(g, m), size["duration"])
        return currents, _trains(m, len(currents), float(dt / second))


def _max_isi_difference(trains_a, trains_b, n_isi=None) -> float:
    worst = 0.0
    for a, b in zip(trains_a, trains_b):
        ia, ib = np.diff(a), np.diff(b)
        n = min(len(ia), len(ib), n_isi or len(ia))  # the first n_isi, where both have them
        if n < 3 or abs(len(ia) - len(ib)) > 1:
            return np.inf
        worst = max(worst, float(np.max(np.abs(ia[:n] - ib[:n]))))
    return worst


def alif_map(reset: bool = True) -> Check:
    what = "the ALIF spike-to-spike map" + ("" if reset else " without membrane reset")

    def measure(model, size, run):
        p = {k: float(v) for k, v in _alif_inputs(model, reset).items()}
        currents, trains = _alif_trains(model, size, run)
        T = float(size["duration"] / second)
        theory = []
        for k, current in enumerate(currents):
            t = alif_spike_times(p["E_L"] + p["R_m"] * float(current), p["tau_m"], p["v_th"],
                                 p.get("v_reset"), p["t_ref"], p["tau_theta"],
                                 p["delta_theta"], len(trains[k]) + 2, v0=p["E_L"], reset=reset)
            theory.append(t[t <= T])
        return _max_isi_difference(trains, theory) / float(size["dt"] / second)

    return Check(
        name="exact map" + ("" if reset else " (no reset)"),
        compares="every ISI of the step response at 3 currents (transient and steady state)",
        reference="the spike-to-spike map iterated from rest, theory/alif.py (= scipy's ODE "
                  "solver to 5e-12 s); Bellec et al. (2018)",
        tolerance=1.5, error_unit="steps",
        why="Brian2 detects a crossing up to one step late at each end of an interval, and "
            "the adaptation it carries differs from the map's by O(dt/τ_θ)",
        measure=measure, applies=lambda model: _alif_applies(model, reset, what),
        quick=dict(dt=10 * usecond, duration=0.3 * second, currents_nA=[0.2, 0.3, 0.5]),
        full=dict(dt=10 * usecond, duration=1 * second, currents_nA=[0.2, 0.3, 0.5]))


def alif_nest(reset: bool = True) -> Check:
    """Brian2 against NEST gif_psc_exp (``reset``) or mat2_psc_exp on the same step protocol."""
    variant, nest_model = ("reset", "gif_psc_exp") if reset else ("no_reset", "mat2_psc_exp")
    what = f"the comparison with NEST {nest_model}"

    def measure(model, size, run):
        from ..reference import nest_unavailable

        why = nest_unavailable()
        if why:
            raise Unavailable(why)
        currents, trains = _alif_trains(model, size, run)
        nest = nest_spike_trains(variant, _alif_inputs(model, reset), currents, size["duration"],
                                 size["dt"])
        return _max_isi_difference(trains, nest, size["n_isi"]) / float(size["dt"] / second)

    sizes = dict(dt=10 * usecond, currents_nA=[0.2, 0.3, 0.5])
    return Check(
        name=f"NEST {nest_model}", compares="the first ISIs of the step response at 3 currents",
        reference=f"NEST 3 {nest_model}, same grid and parameters",
        tolerance=1.5 if reset else 1e-4, error_unit="steps",
        why="gif compares the potential at the end of a step with the threshold at its start, "
            "so its intervals may be one step longer" if reset else
            "mat2 given t_ref − dt updates in the model's order: identical up to rounding",
        measure=measure, applies=lambda model: _alif_applies(model, reset, what),
        quick=dict(sizes, duration=0.3 * second, n_isi=7),
        full=dict(sizes, duration=1 * second, n_isi=None))


# --------------------------------------------------------------------------- homeostasis
def homeostatic_rate() -> Check:
    def measure(model, size, run):
        currents = np.asarray(size["currents_nA"]) * nA
        T, window = float(size["duration"] / second), float(size["window"] / second)
        with brian2_settings(dt=size["dt"]):
            g = model.group(len(currents))
            g.I_ext = currents
            m = SpikeMonitor(g)
            run(Network(g, m), size["duration"])
            t, i = np.asarray(m.t / second), np.asarray(m.i)
        rates = np.bincount(i[t >= T - window], minlength=len(currents)) / window
        return float(np.max(np.abs(rates / float(model.namespace()["r_target"]) - 1)))

    def applies(model):
        why = requires(model, what="the homeostatic fixed point",
                       parameters=("r_target", "delta_theta_h"),
                       variables=("v", "I_ext", "theta", "theta_h"),
                       allowed=("u_draw", "p_fire"), extra_reason="other state")
        if why is None and not same_code(expression_of(model, "theta"), "v_th + theta_h"):
            why = "the fixed point needs theta = v_th + theta_h: the model's theta is " \
                  f"{expression_of(model, 'theta')}"
        return why

    return Check(
        name="homeostatic fixed point",
        compares="rate in the last seconds at 5 currents (μ = −49 … +15 mV)",
        reference="θ_h stops drifting only at r = r_target (Lazar et al. 2009)",
        tolerance=0.05, error_unit="relative",
        why="θ_h jitters by Δθ_h around its fixed point and a window holds a whole number "
            "of spikes (±1 in 40-80)",
        measure=measure, applies=applies,
        quick=dict(dt=0.1 * ms, duration=6 * second, window=3 * second,
                   currents_nA=[0.16, 0.2, 0.3, 0.5, 0.8]),
        full=dict(dt=0.1 * ms, duration=8 * second, window=4 * second,
                  currents_nA=[0.16, 0.2, 0.3, 0.5, 0.8]))


_ESCAPE = {name: escape_lif(name) for name in available_noises()
           if name in ("gaussian", "logistic", "uniform", "triangular", "arctan")}

VALIDATED = (
    Validated("lif", LIF, (lif_rate("v_rest"),), "LIF, constant drive"),
    Validated("lif_fixed_threshold", FIXED_THRESHOLD_LIF, (lif_rate("I_ext"),),
              "LIF with a threshold variable"),
    Validated("diffusive_lif", DIFFUSIVE_LIF, (siegert(),), "diffusive-noise LIF"),
    *(Validated(model.name, model, (escape_probability(name),), f"escape-noise LIF, {name}")
      for name, model in _ESCAPE.items()),
    Validated("alif", ALIF, (alif_map(True), alif_nest(True)), "adaptive threshold"),
    Validated("alif_no_reset", adaptive_threshold(reset_membrane=False),
              (alif_map(False), alif_nest(False)), "adaptive threshold, no membrane reset"),
    Validated("lif_homeostatic_threshold", HOMEOSTATIC_LIF, (homeostatic_rate(),),
              "homeostatic threshold"),
)
