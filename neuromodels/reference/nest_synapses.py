"""NEST 3 synapse models driven by imposed pre- and postsynaptic spike trains.

The same protocol as :mod:`neuromodels.networks.imposed`: ``spike_generator`` ->
``parrot_neuron`` on both sides, the plastic synapse from the presynaptic parrot
onto receptor 1 of the postsynaptic parrot (receptor 1 does not repeat spikes).
NEST treats a synapse's delay ``d`` as dendritic: the synapse sees a
postsynaptic spike ``d`` after the neuron emits it, and Brian2's rules see it
at once, so the postsynaptic train is emitted ``d`` early here; the
presynaptic spike meets the synapse at its emission time in both.  Spike times
must lie on the grid (``resolution``) and be later than two steps.

Returned per presynaptic spike, in order: the weight after its update
(``weight_recorder``; STDP rules), or the efficacy it transmits
(``tsodyks2_synapse``: release ``u x`` times ``weight``, read from the jump of a
non-leaky ``iaf_psc_delta``).  Times in ms, as NEST takes them.
"""
from __future__ import annotations

import numpy as np

from . import import_nest, nest_unavailable as available

__all__ = ["available", "run", "equivalent", "compare"]

STDP_MODELS = ("stdp_synapse", "stdp_nn_symm_synapse", "stdp_triplet_synapse",
               "stdp_dopamine_synapse")


def _kernel(resolution):
    nest = import_nest()
    nest.ResetKernel()
    nest.resolution = resolution
    return nest


def _parrot(nest, times, shift, resolution):
    times = np.round((np.asarray(times, float) + shift) / resolution) * resolution
    if np.any(times < resolution):
        raise ValueError("NEST spike times must be later than the delays (shift the trains).")
    generator = nest.Create("spike_generator", params={"spike_times": times})
    parrot = nest.Create("parrot_neuron")
    nest.Connect(generator, parrot, syn_spec={"delay": resolution})
    return parrot


def run(model: str, pre, post, *, synapse: dict, post_neuron: dict | None = None, dopamine=None,
        resolution: float = 0.1, delay: float | None = None,
        duration: float | None = None) -> np.ndarray:
    """Per presynaptic spike of ``pre`` (ms), the weight after its update (or, for
    ``tsodyks2_synapse``, the efficacy it transmits), with NEST ``model`` and parameters
    ``synapse``; ``post_neuron`` sets e.g. ``tau_minus`` on the postsynaptic parrot;
    ``dopamine`` (ms) are the dopamine spikes of ``stdp_dopamine_synapse``."""
    delay = resolution if delay is None else delay
    nest = _kernel(resolution)
    last = max([np.max(t) for t in (pre, post, dopamine) if t is not None and len(t)] + [0.0])
    duration = duration or last + 10 * delay + 10
    # parrots fire one step after their generator; the post parrot fires `delay` early
    source = _parrot(nest, pre, -resolution, resolution)
    if model == "tsodyks2_synapse":
        target = nest.Create("iaf_psc_delta", params={"tau_m": 1e12, "V_th": 1e12, "E_L": 0.0,
                                                      "V_m": 0.0, "V_reset": 0.0, "C_m": 1.0})
        nest.Connect(source, target, syn_spec={"synapse_model": model, "delay": delay, **synapse})
        meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": resolution})
        nest.Connect(meter, target)
        nest.Simulate(duration)
        jumps = np.diff(np.concatenate([[0.0], meter.events["V_m"]]))
        return jumps[jumps > 1e-9]
    target = _parrot(nest, post, -resolution - delay, resolution)
    if post_neuron:
        target.set(post_neuron)
    recorder = nest.Create("weight_recorder")
    name = f"{model}_recorded"
    defaults = {"weight_recorder": recorder}
    if model == "stdp_dopamine_synapse":
        transmitter = nest.Create("volume_transmitter")
        dopamine_parrot = _parrot(nest, dopamine, -2 * resolution, resolution)
        nest.Connect(dopamine_parrot, transmitter, syn_spec={"delay": resolution})
        defaults.update(volume_transmitter=transmitter,
                        **{k: synapse[k] for k in synapse if k not in ("weight",)})
        synapse = {k: synapse[k] for k in ("weight",) if k in synapse}
    nest.CopyModel(model, name, defaults)
    nest.Connect(source, target, syn_spec={"synapse_model": name, "receptor_type": 1,
                                           "delay": delay, **synapse})
    nest.Simulate(duration)
    events = recorder.events
    return np.asarray(events["weights"])[np.argsort(events["times"], kind="stable")]


def _ms(value) -> float:
    return float(value) * 1e3


def equivalent(model, tau_n=0.2) -> tuple[str, dict, dict]:
    """``(nest_model, synapse, post_neuron)``: the NEST model and parameters that implement
    our synapse ``model`` (a :class:`~neuromodels.model.SynapseModel` of
    :mod:`neuromodels.synapses`, with its default parameters); ``tau_n`` (s) is the
    dopamine time constant of the neurons (:func:`~neuromodels.synapses.reward.with_dopamine`)."""
    p = dict(model.namespace())
    local = {q.name: q.default for q in model.local_parameters}
    w_max, name = p.get("w_max"), model.name
    if name.startswith("stdp_"):
        _, interaction, bounds = name.split("_")
        mu = 0.0 if bounds == "additive" else 1.0
        nest_model = "stdp_synapse" if interaction == "all" else "stdp_nn_symm_synapse"
        return nest_model, {"weight": local["w"], "Wmax": w_max, "lambda": p["A_plus"],
                            "alpha": p["A_minus"] / p["A_plus"], "mu_plus": mu, "mu_minus": mu,
                            "tau_plus": _ms(p["tau_plus"])}, {"tau_minus": _ms(p["tau_minus"])}
    if name.startswith("triplet_") and "_all_" in name:
        return "stdp_triplet_synapse", {
            "weight": local["w"], "Wmax": w_max, "Aplus": w_max * p["A2_plus"],
            "Aplus_triplet": w_max * p["A3_plus"], "Aminus": w_max * p["A2_minus"],
            "Aminus_triplet": w_max * p["A3_minus"], "tau_plus": _ms(p["tau_plus"]),
            "tau_plus_triplet": _ms(p["tau_x"])}, {"tau_minus": _ms(p["tau_minus"]),
                                                   "tau_minus_triplet": _ms(p["tau_y"])}
    if name.startswith("tm_"):
        # u starts at U: NEST's state is that of the next spike (x = 1, u = U from rest)
        return "tsodyks2_synapse", {"weight": local["w"], "U": p["U"], "u": p["U"], "x": 1.0,
                                    "tau_rec": _ms(p["tau_rec"]),
                                    "tau_fac": _ms(p["tau_fac"]) if "tau_fac" in p else 0.0}, {}
    if name == "reward_stdp":
        return "stdp_dopamine_synapse", {
            "weight": local["w_init"], "Wmin": 0.0, "Wmax": w_max, "A_plus": w_max * p["A_plus"],
            "A_minus": w_max * p["A_minus"], "tau_plus": _ms(p["tau_plus"]),
            "tau_c": _ms(p["tau_c"]), "tau_n": _ms(tau_n), "b": float(p["b"]) / 1e3}, {
            "tau_minus": _ms(p["tau_minus"])}
    raise ValueError(f"No NEST equivalent known for synapse model '{name}'.")


def compare(model, pre, post, ours, *, dopamine=None, tau_n=0.2, resolution=0.1) -> dict:
    """Drive NEST's equivalent of ``model`` with each pair of trains ``pre[k]``, ``post[k]``
    (s) and compare with ``ours[k]`` (our values after each presynaptic spike).  Returns the
    NEST model, NEST's values for the first train, the largest absolute difference and the
    largest change of NEST's values from their first one (the scale of the comparison)."""
    nest_model, synapse, neuron = equivalent(model, tau_n=tau_n)
    dopamine = None if dopamine is None else np.asarray(dopamine, float) * 1e3
    theirs = [run(nest_model, np.asarray(a, float) * 1e3, np.asarray(b, float) * 1e3,
                  synapse=synapse, post_neuron=neuron, dopamine=dopamine, resolution=resolution)
              for a, b in zip(pre, post)]
    return {"nest_model": nest_model, "nest": theirs[0],
            "max_difference": max(float(np.max(np.abs(np.asarray(a) - b)))
                                  for a, b in zip(ours, theirs)),
            "scale": max(float(np.ptp(b)) for b in theirs)}
