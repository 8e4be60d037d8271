"""The independent checks of the plasticity rules of :mod:`neuromodels.synapses`
(``neuromodels validate`` and the tests), on spike trains imposed by
:class:`neuromodels.networks.imposed.Stage`:

* pair STDP (all/nearest x additive/multiplicative): one pre/post pair per lag against the
  window of :func:`neuromodels.theory.stdp.pair_window` (Song et al. 2000);
* triplet STDP (the fits of Pfister & Gerstner 2006): pairings at several frequencies
  against the rule's sum over pairs and triplets (``triplet_weight_change``);
* Tsodyks-Markram (depressing, facilitating): the release after every spike of regular
  trains against the exact recursion of :func:`neuromodels.theory.short_term.release_per_spike`;
* each rule that NEST 3 has against that model on the same Poisson trains
  (:func:`neuromodels.reference.nest_synapses.compare`; listed as not run without NEST).

A rule applies when it has the code of the shipped rule (any parameter values): the closed
forms are those of that code.
"""
from __future__ import annotations

import os

import numpy as np
from brian2 import Hz, Network, ms, second

from ..reference import nest_synapses
from ..synapses import short_term, stdp, triplet
from ..devices import brian2_settings
from ..theory.short_term import release_per_spike
from ..theory.stdp import pair_window, pairing_protocol, triplet_weight_change
from ..validation.check import Check, Validated, same_code
from ..validation.errors import Unavailable
from . import imposed

__all__ = ["VALIDATED", "stdp_window", "triplet_pairing", "tm_release", "rule_nest"]


# ------------------------------------------------------------------------ plasticity rules
def _same_rule(model, reference, what: str) -> str | None:
    """``None`` when ``model`` has the code of rule ``reference`` (any parameter values)."""
    if not hasattr(model, "on_pre"):
        return f"{what} is a synapse rule's reference: {type(model).__name__} is not one"
    missing = [n for n in reference.parameters.names if n not in model.parameters]
    if missing:
        return f"{what} needs the parameter(s) {', '.join(missing)}, which the rule lacks"
    for part in ("model", "on_pre", "on_post"):
        if not same_code(getattr(model, part), getattr(reference, part)):
            return f"{what} holds for the code of {reference.name}: the rule's {part} differs"
    return None


def _initial(model, name: str) -> float:
    return float({q.name: q.default for q in model.local_parameters}[name])


def stdp_window(interaction: str, bounds: str) -> Check:
    """Pair STDP: one pair per lag, against the analytic window."""
    reference = stdp.pair_stdp(interaction=interaction, bounds=bounds)
    what = "the pair STDP window"

    def measure(model, size, run):
        lags = np.setdiff1d(np.arange(-100, 101, size["lag_step_ms"]), [0]) * 1e-3
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage()
            i, j = stage.add([[0.2]] * lags.size, [[0.2 + x] for x in lags])
            stage.build()
            syn = stage.connect(model, i, j)
            run(Network(*stage.objects), 0.35 * second)
            w = np.asarray(syn.w[:])
        p = model.namespace()
        w0 = _initial(model, "w")
        expected = pair_window(lags, p["A_plus"], p["A_minus"], p["tau_plus"], p["tau_minus"],
                               p["w_max"], w0, bounds)
        return float(np.max(np.abs(w - w0 - expected)) / p["w_max"])

    return Check(
        name=f"STDP window ({interaction}, {bounds})",
        compares="Δw of one pre/post pair per lag, −100 to 100 ms",
        reference="pair window A± e^(−|Δt|/τ±) (Song, Miller & Abbott 2000), theory/stdp.py",
        tolerance=1e-12, error_unit="w_max",
        why="the traces are event-driven and solved exactly: only rounding remains",
        measure=measure, applies=lambda model: _same_rule(model, reference, what),
        quick=dict(dt=0.1 * ms, lag_step_ms=10), full=dict(dt=0.1 * ms, lag_step_ms=2))


def triplet_pairing(interaction: str) -> Check:
    """Triplet STDP: 15 pairings at each frequency, lag +10 and -10 ms (Sjöström et al. 2001),
    against the rule's expectation for those spikes."""
    reference = triplet.triplet_stdp(interaction=interaction)
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
        p = model.namespace()
        expected = [triplet_weight_change(a, b, interaction=interaction,
                                          **{k: p[k] for k in names}) for a, b in protocols]
        return float(np.max(np.abs(w - _initial(model, "w") - expected)) / p["w_max"])

    return Check(
        name=f"triplet pairing ({interaction})",
        compares="Δw after 15 pairings, lag ±10 ms, at each pairing frequency",
        reference="the rule's sum over pairs and triplets (Pfister & Gerstner 2006), "
                  "theory/stdp.py",
        tolerance=1e-12, error_unit="w_max",
        why="the four traces are event-driven and solved exactly: only rounding remains",
        measure=measure, applies=lambda model: _same_rule(model, reference, what),
        quick=dict(dt=0.1 * ms, frequencies_Hz=[10, 20, 40, 50]),
        full=dict(dt=0.1 * ms, frequencies_Hz=[1, 10, 20, 40, 50]))


def tm_release(facilitating: bool) -> Check:
    """Tsodyks-Markram: the release after each spike of regular trains, against the exact
    recursion."""
    reference = short_term.tsodyks_markram(facilitating=facilitating)
    what = "the Tsodyks-Markram recursion"

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
        p = model.namespace()
        exact = [release_per_spike(t, p["U"], p["tau_rec"], p.get("tau_fac")) for t in trains]
        return max(float(np.max(np.abs(a / b - 1))) for a, b in zip(ours, exact))

    return Check(
        name=f"release recursion ({'facilitating' if facilitating else 'depressing'})",
        compares="release r after every spike of regular trains, 1-100 Hz",
        reference="exact recursion of u and x between spikes (Tsodyks, Pawelzik & Markram "
                  "1998), theory/short_term.py",
        tolerance=1e-9, error_unit="relative",
        why="u and x are event-driven and solved exactly between spikes: only rounding remains",
        measure=measure, applies=lambda model: _same_rule(model, reference, what),
        quick=dict(dt=0.1 * ms, duration=1 * second, rates_Hz=[1, 5, 20, 100]),
        full=dict(dt=0.1 * ms, duration=5 * second, rates_Hz=[1, 2, 5, 10, 20, 50, 100]))


def rule_nest(reference) -> Check:
    """The rule against its NEST 3 model on two pairs of 15 Hz Poisson trains."""
    nest_model = nest_synapses.equivalent(reference)[0]
    what = f"the comparison with NEST {nest_model}"
    variable = "r" if reference.name.startswith("tm_") else "w"

    def measure(model, size, run):
        os.environ.setdefault("PYNEST_QUIET", "1")  # no banner inside the table's progress
        why = nest_synapses.available()
        if why:
            raise Unavailable(why)
        rng = np.random.default_rng(size["seed"])
        grid = 1 * ms
        pre = imposed.poisson_trains(rng, 2, 15 * Hz, size["duration"], dt=grid)
        post = imposed.poisson_trains(rng, 2, 15 * Hz, size["duration"], dt=grid, avoid=pre)
        with brian2_settings(dt=size["dt"]):
            stage = imposed.Stage()
            i, j = stage.add(pre, post)
            stage.build()
            syn = stage.connect(model, i, j)
            mon = stage.monitor(syn, variable, record=np.arange(len(pre)), dt=grid)
            run(Network(*stage.objects), size["duration"] + 0.1 * second)
            ours = imposed.values_at(mon, stage.steps(i))
        result = nest_synapses.compare(model, pre, post, ours,
                                       resolution=float(size["dt"] / ms))
        return result["max_difference"] / result["scale"]

    def applies(model):
        why = _same_rule(model, reference, what)
        if why is None and model.name != reference.name:
            why = f"{what} knows the rule by name ({reference.name}): the model is {model.name}"
        return why

    return Check(
        name=f"NEST {nest_model} ({reference.name})",
        compares=f"{variable} after every presynaptic spike of two 15 Hz Poisson pairs",
        reference=f"NEST 3 {nest_model}, same trains",
        tolerance=1e-9, error_unit="of NEST's range",
        why="both integrate the same event-driven traces exactly on the same grid: only "
            "rounding differs (1e-13 to 1e-11 measured)",
        measure=measure, applies=applies,
        quick=dict(dt=0.1 * ms, duration=2 * second, seed=0),
        full=dict(dt=0.1 * ms, duration=10 * second, seed=0))


_PAIR = {(i, b): stdp.pair_stdp(interaction=i, bounds=b)
         for i in stdp.INTERACTIONS for b in stdp.BOUNDS}
_TM = {f: short_term.tsodyks_markram(facilitating=f) for f in (False, True)}
_TRIPLET = {key: triplet.triplet_stdp(data=key[0], interaction=key[1], fit=key[2])
            for key in triplet.FITS}

VALIDATED = (
    *(Validated(rule.name, rule, (stdp_window(*key), rule_nest(rule)), "pair STDP")
      for key, rule in _PAIR.items()),
    *(Validated(rule.name, rule, (triplet_pairing(key[1]),)
                + ((rule_nest(rule),) if key[2] == "full" else ()), "triplet STDP")
      for key, rule in _TRIPLET.items()),
    *(Validated(rule.name, rule, (tm_release(f), rule_nest(rule)), "Tsodyks-Markram")
      for f, rule in _TM.items()),
)
