"""Synapses driven by imposed pre- and postsynaptic spike trains (pairing protocols).

A :class:`Stage` holds spike generators that fire the imposed presynaptic trains and
postsynaptic neurons that fire exactly at the imposed postsynaptic times: a driver
generator fires one step earlier and a relay synapse pushes the neuron over threshold for
the next step (a count, so that spikes in consecutive steps are kept), much as NEST's
``parrot_neuron`` repeats an imposed train.  It works on every device (GeNN included) and
lets a rule's ``on_post`` run at the imposed times.  Any number of rules share one stage
(one set of generators and neurons: few objects to compile); each experiment gets its own
presynaptic and postsynaptic neurons.  Spike times are put on the time grid (rounded to
the nearest step); two spikes of one neuron in one step are an error.  The postsynaptic
neurons are a :class:`~neuromodels.model.NeuronModel` that holds the rules' target
variable (default ``g``, dimensionless) and whatever else the rules ask of the neuron
(extend :func:`post_neuron`, e.g. with ``reward.with_dopamine``).

    stage = Stage()
    i, j = stage.add(pre_trains, post_trains)      # synapse k: pre[k] onto post[k]
    objects = stage.build()                        # after every add()
    syn = stage.connect(pair_stdp(), i, j)
"""
from __future__ import annotations

import numpy as np
from brian2 import SpikeGeneratorGroup, StateMonitor, Synapses, defaultclock, second

from ..analysis.binning import n_bins
from ..model import NeuronModel
from ..parameters import ParameterError, ParameterSet
from ..units import as_seconds

__all__ = ["post_neuron", "Stage", "grid_steps", "poisson_trains", "values_at"]


def post_neuron(target: str = "g", unit: str = "1") -> NeuronModel:
    """Neurons that fire when told to (``fire``) and hold the rules' ``target`` variable."""
    return NeuronModel(
        name="imposed_post",
        equations=f"fire : 1\n{target} : {unit}",
        parameters=ParameterSet(),
        threshold="fire > 0.5",
        reset="fire -= 1",
        reference="spikes imposed by a driver generator one step earlier",
    )


def grid_steps(trains, dt, what: str = "spike train") -> list[np.ndarray]:
    """Each train's spike times as whole time steps (rounded); one spike per step per neuron."""
    out = []
    for k, train in enumerate(trains):
        seconds = as_seconds(train if hasattr(train, "dim") else np.asarray(train, float))
        steps = np.round(np.sort(seconds) / float(dt)).astype(np.int64)
        if np.any(np.diff(steps) == 0):
            raise ParameterError(f"{what} {k} has two spikes in one time step of {dt}.")
        out.append(steps)
    return out


def poisson_trains(rng: np.random.Generator, n: int, rate, duration, *, start=0.5, dt=None,
                   avoid=None) -> list[np.ndarray]:
    """``n`` Poisson trains (s) of ``rate`` on a grid of ``dt`` in ``[start, duration)``, at
    most one spike per step, none in a step of the matching train of ``avoid``."""
    dt = float(dt if dt is not None else defaultclock.dt)
    first, last = grid_steps([[float(start)]], dt)[0][0], n_bins(float(duration), dt, "dt")
    trains = []
    for k in range(n):
        spikes = np.flatnonzero(rng.random(last - first) < float(rate) * dt) + first
        if avoid is not None:
            spikes = np.setdiff1d(spikes, grid_steps([avoid[k]], dt, "train to avoid")[0])
        trains.append(spikes * dt)
    return trains


def _generator(steps, offset, dt, name):
    index = np.concatenate([np.full(s.size, k, dtype=np.int32) for k, s in enumerate(steps)])
    times = np.concatenate(steps) + offset if index.size else np.zeros(0)
    if np.any(times < 0):
        raise ParameterError("Imposed postsynaptic spikes must come at t >= one time step.")
    order = np.argsort(times, kind="stable")
    return SpikeGeneratorGroup(len(steps), index[order], times[order] * float(dt) * second,
                               name=name)


class Stage:
    """Imposed trains for many experiments and rules; see the module docstring."""

    def __init__(self, neuron: NeuronModel | None = None, name: str = "imposed"):
        self.neuron, self.name = neuron or post_neuron(), name
        self.pre_steps, self.post_steps, self.objects = [], [], []
        self.pre = self.post = None

    def add(self, pre, post, targets=None) -> tuple[np.ndarray, np.ndarray]:
        """Add presynaptic trains ``pre`` and postsynaptic trains ``post`` (s or quantities);
        synapse ``k`` will go from ``pre[k]`` onto ``post[targets[k]]`` (default ``k``).
        Returns the neuron indices ``(i, j)`` to connect."""
        if self.pre is not None:
            raise RuntimeError("Stage.add() after build(): add every train first.")
        targets = np.arange(len(pre)) if targets is None else np.asarray(targets, dtype=np.int32)
        in_range = not targets.size or 0 <= targets.min() <= targets.max() < len(post)
        if targets.shape != (len(pre),) or not in_range:
            raise ParameterError(f"'targets' must give one postsynaptic train "
                                 f"(0 to {len(post) - 1}) per presynaptic train ({len(pre)}).")
        i = len(self.pre_steps) + np.arange(len(pre), dtype=np.int32)
        j = len(self.post_steps) + targets
        self.pre_steps += grid_steps(pre, defaultclock.dt, "presynaptic train")
        self.post_steps += grid_steps(post, defaultclock.dt, "postsynaptic train")
        return i, j

    def build(self, neuron_params=None) -> list:
        """Create the generators and the postsynaptic neurons; returns the Brian2 objects."""
        dt = defaultclock.dt
        self.pre = _generator(self.pre_steps, 0, dt, f"{self.name}_pre*")
        driver = _generator(self.post_steps, -1, dt, f"{self.name}_driver*")
        self.post = self.neuron.group(len(self.post_steps), name=f"{self.name}_post*",
                                      params=neuron_params)
        relay = Synapses(driver, self.post, on_pre="fire_post += 1", name=f"{self.name}_relay*")
        relay.connect(j="i")
        self.objects = [self.pre, driver, self.post, relay]
        return list(self.objects)

    def connect(self, model, i, j, *, params=None, name: str | None = None) -> Synapses:
        """Synapses of ``model`` from stage neurons ``i`` onto ``j`` (after :meth:`build`)."""
        syn = model.connect(self.pre, self.post, i, j, params=params,
                            name=name or f"{self.name}_syn*")
        self.objects.append(syn)
        return syn

    def monitor(self, synapses: Synapses, variable: str, record, dt=None) -> StateMonitor:
        """Record ``variable`` of synapses ``record`` (indices) after the synapses' code, every
        step or every ``dt`` (then the spikes of those synapses must lie on that grid);
        read it with :func:`values_at`."""
        mon = StateMonitor(synapses, variable, record=record, when="end", dt=dt,
                           name=f"{synapses.name}_{variable}*")
        self.objects.append(mon)
        return mon

    def steps(self, i) -> list[np.ndarray]:
        """The spike steps of presynaptic stage neurons ``i``."""
        return [self.pre_steps[k] for k in np.atleast_1d(i)]


def values_at(monitor: StateMonitor, steps) -> list[np.ndarray]:
    """Per recorded synapse, the monitored values just after each of its spikes at ``steps``
    (time steps, one array per recorded synapse, e.g. :meth:`Stage.steps`); the spikes must
    lie on the monitor's grid, with no other event of the synapse between spike and sample."""
    values = np.asarray(getattr(monitor, monitor.record_variables[0]))
    samples = np.round(np.asarray(monitor.t[:]) / float(defaultclock.dt)).astype(np.int64)
    out = []
    for row, at in zip(values, steps):
        where = np.searchsorted(samples, at)
        if np.any(samples[np.minimum(where, samples.size - 1)] != at):
            raise ParameterError("A spike lies between the monitor's samples; "
                                 "put the trains on its grid.")
        out.append(row[where])
    return out
