"""Presenting a whole data set in ONE continuous Brian2 run.

Sample k occupies time steps k*T ... k*T+T-1.  Operations are ordered within
Brian2's time step (slots 'start', 'groups', 'thresholds', 'synapses',
'resets', 'end') as follows:

every step
    thresholds, ORDER_INPUT  input layer reads its TimedArray (s_in)
    thresholds, ORDER_DRAW   each layer: one uniform draw, psi, epsi += psi
    thresholds, (group)      threshold ``u_draw < p_fire``
    thresholds, ORDER_TRACE  synapses: e += psi_post*xbar_pre
    synapses                 v_post += w
    resets                   v reset, count += 1, xbar += 1

at the sample boundary (steps k*T, on a clock of period T*dt, 'groups' slot,
after the state update that only decays v; nothing of sample k has happened
yet, sample k-1 is complete)
    output order + 1         output error L from the counts and label(t - dt)
    (summed variables)       hidden L = sum feedback * delta of the layer above
                             (Brian2 runs them at target order - 1; layers
                             nearer the input get larger orders, so the chain
                             runs output -> input)
    ORDER_UPDATE             synapses: w update scaled by lr_scale(t - dt), e = 0
    ORDER_NEURON_UPDATE      layers: theta update, then clear v, count,
                             xbar, epsi for the next sample

Per-sample values (label, learning-rate factor ``lr_scale``: a schedule over
epochs, 0 for samples that are only tested) are TimedArrays with one entry per
sample, read at the boundary as ``f(t - dt)``.  The run lasts n_samples*T + 1 steps: the last step only applies the update
of the last sample (its spikes are discarded).  The boundary at step 0 is a
no-op (all traces are 0).
"""

from dataclasses import dataclass, field

import numpy as np
from brian2 import TimedArray, ms

ORDER_OUTPUT = 0
ORDER_LAYER_STEP = 3          # hidden layer k below the output: order = 3*k
ORDER_INPUT = -300
ORDER_DRAW = -200
ORDER_TRACE = 200
ORDER_UPDATE = 500
ORDER_NEURON_UPDATE = 510


def layer_order(levels_below_output: int) -> int:
    """Scheduling order of a layer (0 = output, 1 = last hidden, ...)."""
    return ORDER_LAYER_STEP * levels_below_output


@dataclass(frozen=True)
class SampleSchedule:
    """n_samples samples of T steps of length dt, one continuous run."""

    n_samples: int
    T: int
    dt: object = field(default_factory=lambda: 1 * ms)

    def __post_init__(self):
        if int(self.n_samples) < 1:
            raise ValueError(f"parameter 'n_samples' must be >= 1, got {self.n_samples!r}")
        if int(self.T) < 1:
            raise ValueError(f"parameter 'T' must be >= 1 time step, got {self.T!r}")

    @property
    def n_steps(self):
        return self.n_samples * self.T + 1

    @property
    def duration(self):
        return self.n_steps * self.dt

    @property
    def sample_period(self):
        return self.T * self.dt

    def every_step(self, group, code, order, name=None):
        """Per-step operation of ``group`` in the thresholds slot."""
        return group.run_regularly(code, when="thresholds", order=order,
                                   name=name or group.name + "_step")

    def at_boundary(self, group, code, order, name=None):
        """Operation of ``group`` at every sample boundary (groups slot)."""
        return group.run_regularly(code, dt=self.sample_period, when="groups", order=order,
                                   name=name or group.name + "_boundary")

    def spike_stimulus(self, spikes):
        """TimedArray of 0/1 input spikes, spikes shape (n_samples, T, n_in)."""
        return TimedArray(self.spike_values(spikes), dt=self.dt)

    def rate_stimulus(self, rates):
        """TimedArray of per-sample spike probabilities, shape (n_samples, n_in)."""
        return TimedArray(self.rate_values(rates), dt=self.sample_period)

    def label_array(self, labels):
        """TimedArray of labels, one per sample (read at boundaries as label(t - dt))."""
        return TimedArray(self.per_sample_values(labels, "labels"), dt=self.sample_period)

    def per_sample_values(self, values, name="values"):
        """(n_samples + 1,) array of one value per sample for a per-sample TimedArray
        (read at sample boundaries as ``f(t - dt)``; the extra entry repeats the last)."""
        values = np.asarray(values, dtype=float)
        if values.ndim == 0:
            values = np.full(self.n_samples, float(values))
        if values.shape != (self.n_samples,):
            raise ValueError(f"{name} must have shape ({self.n_samples},), got {values.shape}")
        return np.append(values, values[-1])

    def spike_values(self, spikes):
        """Values of :meth:`spike_stimulus` (n_samples*T + 1, n_in)."""
        spikes = np.asarray(spikes, dtype=float)
        if spikes.ndim != 3 or spikes.shape[:2] != (self.n_samples, self.T):
            raise ValueError(f"input spikes must have shape (n_samples={self.n_samples}, "
                             f"T={self.T}, n_in), got {spikes.shape}")
        flat = spikes.reshape(self.n_samples * self.T, -1)
        return np.vstack([flat, np.zeros((1, flat.shape[1]))])

    def rate_values(self, rates):
        """Values of :meth:`rate_stimulus` (n_samples + 1, n_in)."""
        rates = np.asarray(rates, dtype=float)
        if rates.ndim != 2 or rates.shape[0] != self.n_samples:
            raise ValueError(f"input rates must have shape (n_samples={self.n_samples}, n_in), "
                             f"got {rates.shape}")
        if np.any(rates < 0) or np.any(rates > 1):
            raise ValueError("input rates are spike probabilities per step and must be in [0, 1]")
        return np.vstack([rates, np.zeros((1, rates.shape[1]))])

    def counts(self, spike_i, spike_t, n_neurons):
        """Spike counts per sample, shape (n_samples, n_neurons)."""
        step = np.round(np.asarray(spike_t) / float(self.dt)).astype(np.int64)
        sample = step // self.T
        keep = sample < self.n_samples
        out = np.zeros((self.n_samples, n_neurons), dtype=np.int64)
        np.add.at(out, (sample[keep], np.asarray(spike_i)[keep]), 1)
        return out
