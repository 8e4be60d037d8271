"""Song, Miller & Abbott (2000, Nat Neurosci 3:919): Poisson inputs with additive STDP onto one
neuron drive the weights to a bimodal distribution.

``n_neurons`` independent LIF neurons (CUBA, ``tau_m = 10 ms``, rest -74 mV, threshold
-54 mV, reset -60 mV), each with ``n_inputs`` Poisson inputs of 15 Hz through all-to-all
additive pair STDP (:func:`neuromodels.synapses.stdp.pair_stdp`, ``w_max = 0.01``,
``J = 60 mV``, ``tau_e = 5 ms``, initial weights uniform in ``[0, w_max]`` drawn on the host),
as Brian2's
``examples/synapses/STDP.py`` (which reports 28 % of the weights below 0.1 w_max and 17.6 %
above 0.9 w_max after 100 s).  The inputs fall silent after ``duration``.
:func:`bimodality` gives each neuron's fractions of weights near 0 and near ``w_max``,
:func:`histogram` each neuron's weight histogram.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Hz, PoissonGroup, SpikeMonitor, StateMonitor, Synapses, mV, ms

from ..analysis.binning import value_histogram
from ..neurons.lif import CUBA
from ..synapses.stdp import pair_stdp

__all__ = ["Song2000", "build", "bimodality", "histogram", "W_MAX"]

W_MAX = 0.01


@dataclass
class Song2000:
    synapses: Synapses
    snapshots: StateMonitor
    output: SpikeMonitor
    objects: list

    def results(self, duration) -> dict:
        """After a run of ``duration``: final weights and their ten snapshots (``w / w_max``),
        and the mean output rate."""
        return {"w": self.synapses.w[:] / W_MAX, "t": self.snapshots.t[:],
                "w_t": self.snapshots.w[:] / W_MAX,
                "rate": self.output.num_spikes / (len(self.output.source) * duration)}


def build(n_neurons: int, duration, rng: np.random.Generator, n_inputs: int = 1000,
          rate=15 * Hz) -> Song2000:
    """The network; synapse ``k`` goes from input ``k`` onto neuron ``k // n_inputs``; the
    weights are recorded ten times over ``duration``."""
    n = n_inputs * int(n_neurons)
    inputs = PoissonGroup(n, rates="rate * int(t < duration)",
                          namespace={"duration": duration, "rate": rate})
    neurons = CUBA.group(int(n_neurons), params={
        "tau_m": 10 * ms, "v_rest": -74 * mV, "v_th": -54 * mV, "v_reset": -60 * mV,
        "t_ref": 0 * ms,
        # no inhibition; tau_i != tau_m keeps the exact solution finite
        "tau_i": 20 * ms})
    neurons.v = -60 * mV
    synapses = pair_stdp("g_e", 60 * mV, w_max=W_MAX).connect(
        inputs, neurons, np.arange(n), np.arange(n) // n_inputs,
        params={"w": rng.uniform(0, W_MAX, n)})
    snapshots = StateMonitor(synapses, "w", record=True, dt=duration / 10)
    output = SpikeMonitor(neurons)
    return Song2000(synapses, snapshots, output, [inputs, neurons, synapses, snapshots, output])


def bimodality(w, n_inputs: int = 1000, low: float = 0.1, high: float = 0.9):
    """Per neuron, the fractions of its weights (``w / w_max``, synapse ``k`` onto neuron
    ``k // n_inputs``) below ``low`` and above ``high``: two arrays of ``len(w) // n_inputs``."""
    w = np.reshape(np.asarray(w, float), (-1, n_inputs))
    return (w < low).mean(axis=1), (w > high).mean(axis=1)


def histogram(w, n_inputs: int = 1000, bins: int = 20) -> np.ndarray:
    """Per neuron (one row each), the counts of its weights (``w / w_max`` in [0, 1]) in ``bins``
    equal bins of [0, 1]; ``w_max`` itself falls in the last bin."""
    return value_histogram(np.reshape(np.asarray(w, float), (-1, n_inputs)), 1.0, bins)
