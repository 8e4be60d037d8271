"""The Brette et al. (2007) benchmark networks: CUBA and COBA.

``n`` LIF neurons, a fraction ``exc_fraction`` excitatory, every pair
connected with probability ``p_connect`` (no autapses); excitatory spikes
make ``g_e`` jump by ``w_e``, inhibitory ones make ``g_i`` jump by ``w_i``.

* ``"cuba"``, benchmark 2: current-based, 1.62 mV and 9 mV (Brian2's
  ``examples/CUBA.py`` writes these as ``(60*0.27/10)*mV`` and ``(-20*4.5/10)*mV``);
  the drive is ``v_rest`` = -49 mV, above threshold; initial ``v`` uniform in
  ``[v_reset, v_th]``.
* ``"coba"``, benchmark 1: conductance-based, dg_e = 6 nS, dg_i = 67 nS, **no external
  input**: the activity is self-sustained. Initial state as in R. Brette's published
  benchmark script (COBA.py of the paper's supplementary code, conductances in units of
  g_l, potentials relative to rest): ``v ~ E_l - 5 mV + 5 mV N(0, 1)``,
  ``g_e ~ (4 + 1.5 N(0, 1)) g_l``, ``g_i ~ (20 + 12 N(0, 1)) g_l`` (not clipped at 0,
  as in the script).
* ``"coba_driven"``: the same network with a constant 200 pA drive
  (:data:`neuromodels.neurons.lif.COBA_DRIVEN`), started at rest (``v`` uniform in
  ``[v_reset, v_th]``, conductances 0), as later benchmark scripts run COBA.

Reference: Brette R et al. (2007) Simulation of networks of spiking neurons: a review of
tools and strategies. J Comput Neurosci 23:349-398, appendix B.

Connectivity and initial values are drawn with numpy (see
:mod:`neuromodels.connectivity`), so a seed gives the same network on
every device; a large draw made before is read from the build caches
(:func:`neuromodels.buildcache.cached_blocks`: the same draw; the draw itself takes about
0.3 s at 64,000 neurons), and the blocks of a connection make one code object on cpp_standalone
(:func:`neuromodels.devices.connect_in_blocks`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from brian2 import NeuronGroup, SpikeMonitor, Synapses, mV, nS

from .. import connectivity
from ..buildcache import cached_blocks
from ..connectivity import fixed_probability_blocks
from ..devices import connect_in_blocks
from ..model import NeuronModel
from ..neurons import lif
from ..parameters import Parameter, ParameterSet, unprefixed
from ..synapses.static import jump

__all__ = ["Benchmark", "BENCHMARKS", "STRUCTURE", "EINetwork", "build", "resting_start",
           "brette_coba_start"]

#: Size and wiring, shared by both benchmarks.
STRUCTURE = ParameterSet(
    Parameter("n", 4000, "number of neurons", low=2, integer=True),
    Parameter("exc_fraction", 0.8, "fraction of excitatory neurons", low=0.0, high=1.0),
    Parameter("p_connect", 0.02, "connection probability", low=0.0, high=1.0),
)


def resting_start(rng: np.random.Generator, n: int, values: dict[str, Any]) -> dict[str, Any]:
    """Initial ``v`` uniform in ``[v_reset, v_th]`` (one uniform draw per neuron)."""
    v_reset, v_th = values["v_reset"], values["v_th"]
    return {"v": v_reset + rng.uniform(size=n) * (v_th - v_reset)}


def brette_coba_start(rng: np.random.Generator, n: int, values: dict[str, Any]) -> dict[str, Any]:
    """R. Brette's initial state of benchmark 1: ``v ~ N(E_l - 5 mV, 5 mV)``,
    ``g_e ~ N(4, 1.5) g_l``, ``g_i ~ N(20, 12) g_l`` (drawn in this order)."""
    v = values["E_l"] - 5 * mV + 5 * mV * rng.standard_normal(n)
    g_e = (4 + 1.5 * rng.standard_normal(n)) * values["g_l"]
    g_i = (20 + 12 * rng.standard_normal(n)) * values["g_l"]
    return {"v": v, "g_e": g_e, "g_i": g_i}


@dataclass(frozen=True)
class Benchmark:
    """One benchmark network: its neuron model, the two synaptic weights and how its
    initial state is drawn (``start(rng, n, neuron_values) -> {variable: values}``)."""

    name: str
    neuron: NeuronModel
    w_e: Any
    w_i: Any
    start: Callable[[np.random.Generator, int, dict[str, Any]], dict[str, Any]] = resting_start

    @property
    def parameters(self) -> ParameterSet:
        """Neuron parameters plus the weights ``w_e`` and ``w_i``."""
        return ParameterSet(
            self.neuron.parameters,
            Parameter("w_e", self.w_e, "excitatory weight (jump of g_e)", low=0 * self.w_e),
            Parameter("w_i", self.w_i, "inhibitory weight (jump of g_i)", low=0 * self.w_i),
        )


BENCHMARKS = {
    "cuba": Benchmark("cuba", lif.CUBA, w_e=1.62 * mV, w_i=9 * mV),
    "coba": Benchmark("coba", lif.COBA, w_e=6 * nS, w_i=67 * nS, start=brette_coba_start),
    "coba_driven": Benchmark("coba_driven", lif.COBA_DRIVEN, w_e=6 * nS, w_i=67 * nS),
}


@dataclass
class EINetwork:
    """The Brian2 objects of one built network (add them all to a ``Network``)."""

    neurons: NeuronGroup
    exc_synapses: Synapses
    inh_synapses: Synapses
    spikes: SpikeMonitor
    n_exc: int

    @property
    def objects(self) -> list:
        return [self.neurons, self.exc_synapses, self.inh_synapses, self.spikes]


def build(benchmark: Benchmark, params: dict[str, Any], rng: np.random.Generator,
          prefix: str = "") -> EINetwork:
    """Build ``benchmark`` with ``params`` (structure + neuron + weights, optionally prefixed)."""
    values = unprefixed(params, prefix) if prefix else dict(params)
    structure = STRUCTURE.resolve({k: values[k] for k in STRUCTURE.names if k in values})
    model_values = benchmark.parameters.resolve(
        {k: v for k, v in values.items() if k in benchmark.parameters})
    n = structure["n"]
    n_exc = int(round(structure["exc_fraction"] * n))
    neuron_values = {k: v for k, v in model_values.items() if k in benchmark.neuron.parameters}
    name = benchmark.name
    group = benchmark.neuron.group(n, name=name, params=neuron_values)
    for var, value in benchmark.start(rng, n, neuron_values).items():
        setattr(group, var, value)

    syn_e = jump("g_e", benchmark.w_e).synapses(group, group, name=f"{name}_exc",
                                                params={"w": model_values["w_e"]})
    syn_i = jump("g_i", benchmark.w_i).synapses(group, group, name=f"{name}_inh",
                                                params={"w": model_values["w_i"]})
    # blocks of sources, handed over one at a time (sources 0..n_exc-1 are excitatory); a
    # repeated draw (the same rng state) is read from the build caches
    with connect_in_blocks() as connect:
        for i, j in cached_blocks(fixed_probability_blocks, n, n, structure["p_connect"],
                                  rng=rng, autapses=False, block=connectivity.BLOCK_SYNAPSES):
            k = int(np.searchsorted(i, n_exc))
            connect(syn_e, i[:k], j[:k])
            connect(syn_i, i[k:], j[k:])
    return EINetwork(group, syn_e, syn_i, SpikeMonitor(group, name=f"{name}_spikes"), n_exc)
