"""The independent checks of the plasticity rules of :mod:`neuromodels.synapses`
(``neuromodels validate`` and the tests), on spike trains imposed by
:class:`neuromodels.networks.imposed.Stage`:

* pair STDP (all/nearest x additive/multiplicative): one pre/post pair per lag against the
  window of :func:`neuromodels.theory.stdp.pair_window` (Song et al. 2000);
* triplet STDP (the fits of Pfister & Gerstner 2006): pairings at several frequencies
  against the rule's sum over pairs and triplets (``triplet_weight_change``);
* Tsodyks-Markram (depressing, facilitating): the release after every spike of regular
  trains against the exact recursion of :func:`neuromodels.theory.short_term.release_per_spike`;
* reward-modulated STDP (Izhikevich 2007): rewarded, unrewarded and reversed pairings
  against the closed form :func:`neuromodels.theory.stdp.reward_weight_change`;
* APB: k co-active synapses against the closed form :func:`apb_potentiation`;
* each rule that NEST 3 has against that model on the same Poisson trains (R-STDP with
  Poisson dopamine: ``stdp_dopamine_synapse``) (:func:`neuromodels.reference.nest_synapses.
  compare`; listed as not run without NEST).

A check applies to a rule with the reference's parameters and variables whose code is
nearest the reference's among its siblings (:mod:`neuromodels.validation.template`): a
user's variant of all-additive pair STDP is checked against the all-additive window, and
fails it if its code no longer makes that window.  The reference's inputs are the rule's
parameter values, or the constant expressions the rule puts in their place
(``substituted(A_minus="0.02")``).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from brian2 import Equations, Hz, Network, SpikeGeneratorGroup, ms, second

from ..devices import brian2_settings
from ..reference import nest_synapses
from ..synapses import apb, reward, short_term, stdp, triplet
from ..theory.short_term import release_per_spike
from ..theory.stdp import (pair_window, pairing_protocol, reward_weight_change,
                           triplet_weight_change)
from ..validation import template
from ..validation.check import Check, Validated
from ..validation.errors import Unavailable
from . import imposed

__all__ = ["VALIDATED", "stdp_window", "triplet_pairing", "tm_release", "reward_pairs",
           "apb_coactive", "apb_potentiation", "rule_nest"]


# ------------------------------------------------------------------------ plasticity rules
_PARTS = ("model", "on_pre", "on_post")


def _rule_applies(model, reference, family, what: str) -> str | None:
    """``None`` when ``model`` is a rule with ``reference``'s parameters and variables whose
    code is nearest ``reference``'s among the rules of ``family`` (those whose checks are
    siblings of this one: the four pair STDP variants, ...); else why not."""
    if not hasattr(model, "on_pre"):
        return f"{what} is a synapse rule's reference: {type(model).__name__} is not one"
    have = set(model.parameters.names) | set(model.local_parameters.names)
    missing = [n for n in (*reference.parameters.names, *reference.local_parameters.names)
               if n not in have]
    if missing:
        return f"{what} needs the parameter(s) {', '.join(missing)}, which the rule lacks"
    ours, theirs = (set(Equations(m.model).names) for m in (model, reference))
    if ours != theirs:
        return (f"{what} assumes the variables {', '.join(sorted(theirs))}: the rule has "
                f"{', '.join(sorted(ours))}")
    own = template.distance(model, reference, _PARTS)
    apart, nearest = min((template.distance(model, r, _PARTS), r.name) for r in family)
    if own > apart:
        return (f"{what} is the reference of {reference.name}'s code: the rule's is nearer "
                f"{nearest}'s ({apart} statement(s) differ, {own} from {reference.name}'s)")
    return None


def _inputs(model, reference, names) -> dict:
    """The reference's inputs ``names`` for ``model`` (:func:`~neuromodels.validation.
    template.inputs`), as floats in SI units."""
    return {k: float(v) for k, v in template.inputs(model, reference, _PARTS, names).items()}


def _initial(model, name: str) -> float:
    return float({q.name: q.default for q in model.local_parameters}[name])


def stdp_window(interaction: str, bounds: str) -> Check:
    """Pair STDP: one pair per lag, against the analytic window."""
    reference = _PAIR[interaction, bounds]
    what = "the pair STDP window"
    names = ("A_plus", "A_minus", "tau_plus", "tau_minus", "w_max")

    def measure(model, size, run):
        lags = np.setdiff1d(np.arange(-100, 101, size["lag_step_ms"]), [0]) * 1e-3
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage()
            i, j = stage.add([[0.2]] * lags.size, [[0.2 + x] for x in lags])
            stage.build()
            syn = stage.connect(model, i, j)
            run(Network(*stage.objects), 0.35 * second)
            w = np.asarray(syn.w[:])
        p, w0 = _inputs(model, reference, names), _initial(model, "w")
        expected = pair_window(lags, *(p[k] for k in names), w0, bounds)
        return float(np.max(np.abs(w - w0 - expected)) / p["w_max"])

    return Check(
        name=f"STDP window ({interaction}, {bounds})",
        compares="Δw of one pre/post pair per lag, −100 to 100 ms",
        reference="pair window A± e^(−|Δt|/τ±) (Song, Miller & Abbott 2000), theory/stdp.py",
        tolerance=1e-12, error_unit="w_max",
        why="the traces are event-driven and solved exactly: only rounding remains",
        measure=measure, applies=lambda model: _rule_applies(model, reference,
                                                             _PAIR.values(), what),
        quick=dict(dt=0.1 * ms, lag_step_ms=10), full=dict(dt=0.1 * ms, lag_step_ms=2))


def triplet_pairing(interaction: str) -> Check:
    """Triplet STDP: 15 pairings at each frequency, lag +10 and -10 ms (Sjöström et al. 2001),
    against the rule's expectation for those spikes."""
    reference = _TRIPLET_CODE[interaction]
    what = f"the triplet rule ({interaction})"
    names = ("A2_plus", "A3_plus", "A2_minus", "A3_minus", "tau_plus", "tau_minus", "tau_x",
             "tau_y", "w_max")

    def measure(model, size, run):
        dt = float(size["dt"] / second)
        protocols = [tuple(k * dt for k in imposed.grid_steps(
            pairing_protocol(15, f, lag), size["dt"]))  # on the grid, as simulated
            for f in size["frequencies_Hz"] for lag in (0.01, -0.01)]
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage()
            i, j = stage.add(*zip(*protocols))
            stage.build()
            syn = stage.connect(model, i, j)
            last = max(max(a[-1], b[-1]) for a, b in protocols)
            run(Network(*stage.objects), (last + 0.01) * second)
            w = np.asarray(syn.w[:])
        p = _inputs(model, reference, names)
        expected = [triplet_weight_change(a, b, interaction=interaction, **p)
                    for a, b in protocols]
        return float(np.max(np.abs(w - _initial(model, "w") - expected)) / p["w_max"])

    return Check(
        name=f"triplet pairing ({interaction})",
        compares="Δw after 15 pairings, lag ±10 ms, at each pairing frequency",
        reference="the rule's sum over pairs and triplets (Pfister & Gerstner 2006), "
                  "theory/stdp.py",
        tolerance=1e-12, error_unit="w_max",
        why="the four traces are event-driven and solved exactly: only rounding remains",
        measure=measure, applies=lambda model: _rule_applies(model, reference,
                                                             _TRIPLET_CODE.values(), what),
        quick=dict(dt=0.1 * ms, frequencies_Hz=[10, 20, 40, 50]),
        full=dict(dt=0.1 * ms, frequencies_Hz=[1, 10, 20, 40, 50]))


def tm_release(facilitating: bool) -> Check:
    """Tsodyks-Markram: the release after each spike of regular trains, against the exact
    recursion."""
    reference = _TM[facilitating]
    what = "the Tsodyks-Markram recursion"
    names = ("U", "tau_rec") + (("tau_fac",) if facilitating else ())

    def measure(model, size, run):
        rates = np.asarray(size["rates_Hz"], float)
        trains = [np.arange(0.1, float(size["duration"] / second), 1 / r) for r in rates]
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage()
            i, j = stage.add(trains, [[]] * len(trains))
            stage.build()
            syn = stage.connect(model, i, j)
            mon = stage.monitor(syn, "r", record=np.arange(len(trains)), dt=1 * ms)
            run(Network(*stage.objects), size["duration"])
            ours = imposed.values_at(mon, stage.steps(i))
        p = _inputs(model, reference, names)
        exact = [release_per_spike(t, p["U"], p["tau_rec"], p.get("tau_fac")) for t in trains]
        return max(float(np.max(np.abs(a / b - 1))) for a, b in zip(ours, exact))

    return Check(
        name=f"release recursion ({'facilitating' if facilitating else 'depressing'})",
        compares="release r after every spike of regular trains, 1-100 Hz",
        reference="exact recursion of u and x between spikes (Tsodyks, Pawelzik & Markram "
                  "1998), theory/short_term.py",
        tolerance=1e-9, error_unit="relative",
        why="u and x are event-driven and solved exactly between spikes: only rounding remains",
        measure=measure, applies=lambda model: _rule_applies(model, reference, _TM.values(),
                                                             what),
        quick=dict(dt=0.1 * ms, duration=1 * second, rates_Hz=[1, 5, 20, 100]),
        full=dict(dt=0.1 * ms, duration=5 * second, rates_Hz=[1, 2, 5, 10, 20, 50, 100]))


def reward_pairs() -> Check:
    """Reward-modulated STDP: a rewarded pre-post pairing, the same pairing unrewarded and a
    rewarded post-pre pairing, against the closed form of the eligibility and dopamine."""
    reference, neuron = _REWARD, reward.with_dopamine(imposed.post_neuron())
    tau_n = float(neuron.local_parameters["tau_n"].default)
    what = "the distal-reward closed form"
    names = ("A_plus", "A_minus", "tau_plus", "tau_minus", "tau_c", "w_max")

    def measure(model, size, run):
        pairs, delay = np.asarray(size["pairs_s"], float), float(size["delay"] / second)
        lag = 0.01
        protocol = [(pairs, pairs + lag, pairs + lag + delay), (pairs, pairs + lag, []),
                    (pairs + lag, pairs, pairs + lag + delay)]
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage(neuron)
            i, j = stage.add([a for a, _, _ in protocol], [b for _, b, _ in protocol])
            stage.build()
            syn = stage.connect(model, i, j)
            source = SpikeGeneratorGroup(1, np.zeros(pairs.size, int),
                                         (pairs + lag + delay) * second)
            release = reward.dopamine_release().connect(source, stage.post, [0, 0], j[[0, 2]])
            run(Network(*stage.objects, source, release),
                (pairs[-1] + lag + delay) * second + size["after"])
            dw = np.asarray(syn.w[:]) - _initial(model, "w_init")
        p = _inputs(model, reference, names)
        expected = np.array([reward_weight_change(a, b, d, tau_n=tau_n, **p)
                             for a, b, d in protocol])
        return float(np.max(np.abs(dw - expected)) / np.max(np.abs(expected)))

    def applies(model):
        why = _rule_applies(model, reference, (reference,), what)
        if why is None and _inputs(model, reference, ("b",))["b"] != 0:
            why = f"{what} assumes no dopamine baseline (b = 0): the rule's b is not 0"
        return why

    return Check(
        name="distal reward pairs",
        compares="Δw of a rewarded pre-post, an unrewarded pre-post and a rewarded post-pre "
                 "pairing (10 ms; dopamine 1 s later)",
        reference="∫ c n dt in closed form (Izhikevich 2007), theory/stdp.py",
        tolerance=3e-3, full_tolerance=6e-4, error_unit="of the largest Δw",
        why="the weight is integrated by Euler on the grid: about dt/(2τ) per reward, "
            "1/τ = 1/τ_c + 1/τ_n (0.15 % at dt = 0.5 ms, 0.03 % at 0.1 ms)",
        measure=measure, applies=applies,
        quick=dict(dt=0.5 * ms, pairs_s=[0.5, 2.5], delay=1 * second, after=1.5 * second),
        full=dict(dt=0.1 * ms, pairs_s=[1, 3, 5, 7, 9], delay=1 * second, after=2 * second))


def apb_coactive() -> Check:
    """APB: k = 1 ... 8 synapses onto one neuron fire together, the neuron fires a lag
    later; each synapse's potentiation against the rule's closed form."""
    reference, neuron = _APB, apb.with_coactivity(imposed.post_neuron())
    tau_apb = float(neuron.local_parameters["tau_apb"].default)
    what = "the APB closed form"
    names = ("A_plus", "tau_plus", "w_max", "beta")

    def measure(model, size, run):
        k = np.arange(1, size["most_coactive"] + 1)
        lags = np.asarray(size["lags_ms"], float) * 1e-3
        onto = np.tile(np.repeat(np.arange(k.size), k), lags.size) \
            + np.repeat(np.arange(lags.size), k.sum()) * k.size
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage(neuron)
            i, j = stage.add([[0.1]] * onto.size, [[0.1 + x] for x in lags for _ in k], onto)
            stage.build()
            syn = stage.connect(model, i, j)
            run(Network(*stage.objects), 0.2 * second)
            dw = np.asarray(syn.w[:]) - _initial(model, "w")
        p = _inputs(model, reference, names)
        gain = apb_potentiation(np.tile(k, lags.size), np.repeat(lags, k.size),
                                tau_apb=tau_apb, **p)
        return float(np.max(np.abs(dw - gain[onto])) / p["w_max"])

    return Check(
        name="APB co-active boost",
        compares="Δw of each of k = 1 … 8 synapses firing together before their neuron",
        reference="w_max A₊ e^(−Δ/τ₊) [1 + β (k−1) e^(−Δ/τ_apb)], synapses/apb.py "
                  "(Shen et al. 2022, mechanism)",
        tolerance=1e-12, error_unit="w_max",
        why="every trace is event-driven and solved exactly: only rounding remains",
        measure=measure, applies=lambda model: _rule_applies(model, reference, (reference,),
                                                             what),
        quick=dict(dt=0.1 * ms, most_coactive=8, lags_ms=[5]),
        full=dict(dt=0.1 * ms, most_coactive=8, lags_ms=[1, 5, 10, 20]))


def apb_potentiation(k, lag, *, A_plus, tau_plus, w_max, beta, tau_apb):
    r"""The weight gained by each of ``k`` synapses firing together ``lag`` (s) before their
    neuron: :math:`w_{max} A_+ e^{-\Delta/\tau_+}[1 + \beta (k-1) e^{-\Delta/\tau_{apb}}]`
    (the other inputs' co-activity at the postsynaptic spike; :mod:`neuromodels.synapses.apb`).
    """
    k, lag = np.asarray(k, float), np.asarray(lag, float)
    return w_max * A_plus * np.exp(-lag / tau_plus) * (1 + beta * (k - 1)
                                                       * np.exp(-lag / tau_apb))


def _nest_reference(model, reference):
    """``reference`` with ``model``'s inputs as its parameter values (NEST is given those)."""
    shared = list(reference.parameters.names)
    local = list(reference.local_parameters.names)
    values = template.inputs(model, reference, _PARTS, shared + local)
    return replace(reference,
                   parameters=reference.parameters.with_defaults(
                       **{n: values[n] for n in shared}),
                   local_parameters=reference.local_parameters.with_defaults(
                       **{n: values[n] for n in local}))


def rule_nest(reference, family) -> Check:
    """The rule against its NEST 3 model on two pairs of 15 Hz Poisson trains (and, for
    reward-modulated STDP, 2 Hz Poisson dopamine onto every neuron)."""
    nest_model = nest_synapses.equivalent(reference)[0]
    what = f"the comparison with NEST {nest_model}"
    variable = "r" if reference.name.startswith("tm_") else "w"
    dopamine = reference.name == _REWARD.name
    neuron = reward.with_dopamine(imposed.post_neuron()) if dopamine else imposed.post_neuron()
    tau_n = float(neuron.local_parameters["tau_n"].default) if dopamine else None

    def measure(model, size, run):
        why = nest_synapses.available()
        if why:
            raise Unavailable(why)
        rng = np.random.default_rng(size["seed"])
        grid = 1 * ms
        pre = imposed.poisson_trains(rng, 2, 15 * Hz, size["duration"], dt=grid)
        post = imposed.poisson_trains(rng, 2, 15 * Hz, size["duration"], dt=grid, avoid=pre)
        reward_times = imposed.poisson_trains(rng, 1, 2 * Hz, size["duration"], dt=grid)[0] \
            if dopamine else None
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage(neuron)
            i, j = stage.add(pre, post)
            stage.build()
            syn = stage.connect(model, i, j)
            mon = stage.monitor(syn, variable, record=np.arange(len(pre)), dt=grid)
            extra = []
            if dopamine:
                source = SpikeGeneratorGroup(1, np.zeros(reward_times.size, int),
                                             reward_times * second)
                extra = [source, reward.dopamine_release().connect(
                    source, stage.post, np.zeros(j.size, int), j)]
            run(Network(*stage.objects, *extra), size["duration"] + 0.1 * second)
            ours = imposed.values_at(mon, stage.steps(i))
        result = nest_synapses.compare(_nest_reference(model, reference), pre, post, ours,
                                       dopamine=reward_times,
                                       tau_n=tau_n or 0.2, resolution=float(size["dt"] / ms))
        return result["max_difference"] / result["scale"]

    qualifier = {"stdp_synapse": reference.name.split("_")[-1],
                 "stdp_nn_symm_synapse": reference.name.split("_")[-1],
                 "tsodyks2_synapse": reference.name.split("_")[-1]}.get(nest_model)
    return Check(
        name=f"NEST {nest_model}" + (f" ({qualifier})" if qualifier else ""),
        compares=f"{variable} after every presynaptic spike of two 15 Hz Poisson pairs"
                 + (", 2 Hz dopamine" if dopamine else ""),
        reference=f"NEST 3 {nest_model}, same trains",
        tolerance=1e-3 if dopamine else 1e-9, error_unit="of NEST's range",
        why="NEST integrates the weight exactly, Brian2 by Euler on the grid: about "
            "dt/(2τ_n) per reward, 2.5e-4 at dt = 0.1 ms (measured 1.3e-4)" if dopamine else
            "both integrate the same event-driven traces exactly on the same grid: only "
            "rounding differs (1e-13 to 1e-11 measured)",
        measure=measure, applies=lambda model: _rule_applies(model, reference, family, what),
        quick=dict(dt=0.1 * ms, duration=2 * second, seed=0),
        full=dict(dt=0.1 * ms, duration=10 * second, seed=0))


_PAIR = {(i, b): stdp.pair_stdp(interaction=i, bounds=b)
         for i in stdp.INTERACTIONS for b in stdp.BOUNDS}
_TM = {f: short_term.tsodyks_markram(facilitating=f) for f in (False, True)}
_TRIPLET = {key: triplet.triplet_stdp(data=key[0], interaction=key[1], fit=key[2])
            for key in triplet.FITS}
#: one triplet rule per interaction: the fits of one interaction share its code
_TRIPLET_CODE = {i: triplet.triplet_stdp(interaction=i) for i in ("all", "nearest")}
_REWARD = reward.reward_stdp()
#: APB as in the plasticity study (at beta = 0, the default, it is pair STDP)
_APB = apb.apb_stdp(beta=0.2)

VALIDATED = (
    *(Validated(rule.name, rule, (stdp_window(*key), rule_nest(rule, _PAIR.values())),
                "pair STDP") for key, rule in _PAIR.items()),
    *(Validated(rule.name, rule, (triplet_pairing(key[1]),) + (
        (rule_nest(_TRIPLET_CODE["all"], _TRIPLET_CODE.values()),) if key[1] == "all"
        else ()),
        "triplet STDP") for key, rule in _TRIPLET.items()),
    *(Validated(rule.name, rule, (tm_release(f), rule_nest(rule, _TM.values())),
                "Tsodyks-Markram") for f, rule in _TM.items()),
    Validated(_REWARD.name, _REWARD, (reward_pairs(), rule_nest(_REWARD, (_REWARD,))),
              "reward-modulated STDP"),
    Validated("apb_stdp", _APB, (apb_coactive(),), "APB, β = 0.2"),
)
