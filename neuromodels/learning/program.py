"""The Brian2 program of a learning network: a whole data set in one run.

:class:`Program` merges the code of every part (:mod:`.code`), builds each population and
projection once (a layer's group is its neuron model extended by that code), and runs
``n_samples`` samples in one continuous run (:mod:`.schedule`).  :meth:`Program.run` takes
a network :class:`~.network.State` and data, and returns the spike counts per sample and
the new state.

* On runtime every run builds fresh objects (Cython code is cached).  On cpp_standalone
  the first run builds the program; later runs re-run the same binary with the new state,
  inputs, labels, learning-rate factors and random seed, by the one rule for re-runs
  (:class:`neuromodels.devices.CompiledProgram`; brian2 >= 2.6, a rebuild on older brian2).
* The state that must survive a re-run is what the parts declare (``Code.state``:
  weights, feedback weights, per-neuron parameters such as learned thresholds, declared
  layer variables); nothing else is carried from run to run.
* ``seed``: Brian2's random numbers of this run (noise, rate-coded input) are drawn from
  it, also in a standalone re-run, so every epoch draws fresh noise and a seed gives the
  same run again (GeNN cannot be seeded).
* A training program (``plastic=True``) checks at every sample end whether a declared
  variable became non-finite; the first one stops the run with :class:`DivergenceError`
  (variable, population or projection, sample).  An evaluation program (``plastic=False``,
  no learning) uses one clock only and also runs on GeNN.
"""
from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from brian2 import Clock, Network, Quantity, SpikeMonitor, StateMonitor

from ..devices import CompiledProgram, active_device, assign, require_active_device
from ..model import NeuronModel, _unit_string
from ..parameters import ParameterSet
from ..errors import UserError
from . import schedule as sch
from .code import Code, merge
from .layers import Layer

__all__ = ["Program", "DivergenceError", "TRAINING_DEVICES", "EVALUATION_DEVICES"]

#: A training program uses a second clock (sample ends), summed variables and custom
#: scheduling, which brian2genn does not support.
TRAINING_DEVICES = ("runtime", "cpp_standalone")
#: An evaluation program (forward pass, no learning) uses one clock and runs everywhere.
EVALUATION_DEVICES = ("runtime", "cpp_standalone", "genn")

_BIG = 1e300   # |x| < _BIG*unit is false for inf and NaN


class LearningError(UserError, ValueError):
    """A network, its inputs and its program do not fit together (said before training)."""


class DivergenceError(UserError, ArithmeticError):
    """A variable became non-finite during training (no results are written)."""

    def __init__(self, variable, owner, sample, epoch=None, index=None):
        self.variable, self.owner, self.sample, self.epoch, self.index = \
            variable, owner, sample, epoch, index
        where = f"epoch {epoch}, " if epoch is not None else ""
        which = f"sample {sample}" + (f" (data-set sample {index})" if index is not None else "")
        super().__init__(f"Training diverged: variable '{variable}' of '{owner}' became "
                         f"non-finite (inf or NaN) in {where}{which}; lower the learning rates "
                         f"or check the model.")


def _check_suffix(obj):
    from brian2 import Synapses

    return "_syn" if isinstance(obj, Synapses) else ""


def _check_equations(suffix):
    """Variables of the divergence check (synapses need other names than their neurons')."""
    return [f"nf_sample{suffix} : integer   # sample in which a variable became non-finite",
            f"nf_mask{suffix} : integer   # which (one bit per checked variable)"]


def _masked(statement):
    """``x = expr`` -> ``x = x + sample_start(t)*((expr) - x)`` (a clear on sample starts)."""
    var, _, expr = statement.partition("=")
    var = var.strip()
    return f"{var} = {var} + sample_start(t)*(({expr.strip()}) - {var})"


class Program:
    """The Brian2 objects presenting ``n_samples`` samples of ``network`` in one run.

    ``plastic``: a training program (learning, per-sample signals; runtime and
    cpp_standalone) or an evaluation program (forward pass; also GeNN).  ``record``: layers
    whose spike counts per sample are returned besides the readout layer's.
    """

    def __init__(self, network, n_samples: int, *, plastic: bool = True, record=()):
        self.network = network
        self.n_samples = int(n_samples)
        self.plastic = bool(plastic)
        readout = network.readout.layer if network.readout else list(network.layers)[-1]
        self.counted = list(dict.fromkeys([readout, *record]))
        for name in self.counted:
            if name not in network.layers:
                raise LearningError(f"record: '{name}' is not a layer of the network.")
        self.schedule = sch.SampleSchedule(self.n_samples, network.T, network.dt)
        self._compiled = CompiledProgram()
        self.builds = 0
        self.reruns = 0

    # -- code of all parts ---------------------------------------------------------------
    def _codes(self):
        net = self.network
        shares = defaultdict(list)
        parts = net.parts() if self.plastic else [net.input, *net.layers.values(),
                                                  *net.projections]
        for part in parts:
            if isinstance(part, Layer):
                code = part.code(net, learning=self.plastic)
            elif part is net.input:
                code = part.code(net, read_at_start=self.on_genn)
            else:
                code = part.code(net)
            for owner, share in code.items():
                shares[owner] += share if isinstance(share, list) else [share]
        codes = {owner: merge(owner, share) for owner, share in shares.items()}
        if self.plastic:
            for name in net.layers:
                sources = [sig.variable for sig in net.signals_into(name)]
                if sources:
                    codes[name].equations.append(f"L = {' + '.join(sources)} : 1   # learning "
                                                 f"signal (sum of its sources)")
        return codes

    # -- building -------------------------------------------------------------------------
    def _clock(self, n_steps):
        if n_steps == 1:
            return self.step_clock
        if n_steps == self.network.T:
            return self.sample_clock
        if n_steps not in self._clocks:
            self._clocks[n_steps] = Clock(n_steps * self.network.dt, name="nm_chunk_clock*")
        return self._clocks[n_steps]

    def _ops(self, obj, code: Code, dynamic_vars):
        """The operations of one group or synapses object; operations on the same clock, slot
        and order are fused into one (fewer code objects per step)."""
        ops = []    # (n_steps, when, order, statements)
        for stmt, when, order in code.every_step:
            ops.append((1, when, order, stmt))
        if self.plastic:
            if code.at_sample_start:
                ops.append((self.network.T, "start", sch.ORDER_CLEAR_DYNAMICS,
                            "\n".join(code.at_sample_start)))
            for stmt, order in code.at_sample_end:
                ops.append((self.network.T, "groups", order, stmt))
            for stmt, n_steps, when, order in code.periodic:
                ops.append((n_steps, when, order, stmt))
            for var in code.summed_at_sample_ends:
                sch.sum_at_sample_ends(obj, var, self.sample_clock)
            ops += self._divergence_checks(obj, code, dynamic_vars)
        elif code.at_sample_start:
            ops.append((1, "start", sch.ORDER_CLEAR_DYNAMICS,
                        "\n".join(_masked(s) for s in code.at_sample_start)))
        fused = {}
        for n_steps, when, order, stmt in ops:
            fused.setdefault((n_steps, when, order), []).append(stmt)
        return [obj.run_regularly("\n".join(stmts), clock=self._clock(n_steps), when=when,
                                  order=order, name=f"{obj.name}_run_regularly_learning{k}")
                for k, ((n_steps, when, order), stmts) in enumerate(fused.items())]

    def _divergence_checks(self, obj, code, dynamic_vars):
        """At sample ends: the sample in which a checked variable first became non-finite
        (``nf_sample``) and which (``nf_mask``, one bit per variable of ``code.checked``)."""
        if not code.checked:
            return []
        ops, sfx = [], _check_suffix(obj)
        sample = "(int(t/T_sample + 0.5) - 1)"
        groups = [("start", sch.ORDER_CHECK, [v for v in code.checked if v in dynamic_vars]),
                  ("groups", sch.ORDER_RECORD, [v for v in code.checked if v not in dynamic_vars])]
        for when, order, variables in groups:
            if not variables:
                continue
            bits = " + ".join(
                f"int(not (abs({v}) < {_BIG!r}*{self._unit(obj, v)}))*{2 ** code.checked.index(v)}"
                for v in variables)
            ops.append((self.network.T, when, order - 1,
                        f"bad_now = {bits}\n"
                        f"nf_sample{sfx} = nf_sample{sfx} + int(nf_sample{sfx} < 0 and "
                        f"bad_now > 0)*({sample} - nf_sample{sfx})\n"
                        f"nf_mask{sfx} = nf_mask{sfx} + int(nf_mask{sfx} == 0)*bad_now"))
        return ops

    @staticmethod
    def _unit(obj, var):
        return _unit_string(Quantity(1, dim=obj.variables[var].dim))

    def _build(self, state):
        net, sched = self.network, self.schedule
        self.on_genn = self._check_device()
        self.step_clock = sched.step_clock()
        self.sample_clock = sched.sample_clock() if self.plastic else None
        self._clocks = {}
        stimulus = sched.stimulus(net.input.mode, net.input.n)
        label = sched.per_sample_array("nm_label")
        lr = sched.per_sample_array("nm_lr_scale")
        self.arrays = {"stimulus": stimulus, "label": label, "lr_scale": lr}
        self.namespace = {"stimulus": stimulus, "label": label, "lr_scale": lr,
                          "T_sample": sched.sample_period}
        if not self.plastic:
            self.namespace["sample_start"] = sched.sample_start()
        self.codes = self._codes()
        objects = self._populations() + self._projections()
        if self.plastic:     # signals that need objects of their own (the readout's softmax)
            for sig in net.signals:
                objects += sig.objects(self)
        self.monitors = {}
        for name in self.counted:
            if self.plastic:   # the counts at every sample end
                self.monitors[name] = StateMonitor(
                    self.groups[name], "count", record=True, clock=self.sample_clock,
                    when="groups", order=sch.ORDER_RECORD, name=f"nm_{name}_counts")
            else:
                self.monitors[name] = SpikeMonitor(self.groups[name], name=f"nm_{name}_spikes")
        self.brian_network = Network(*objects, *self.monitors.values())
        self._set_state(state)

    def _check_device(self) -> bool:
        require_active_device(
            TRAINING_DEVICES if self.plastic else EVALUATION_DEVICES,
            "A learning network's training program (learning at sample ends needs a second "
            "clock, summed variables and custom scheduling, which brian2genn does not support; "
            "evaluation programs, plastic=False, run on GeNN)" if self.plastic
            else "A learning network's evaluation program")
        on_genn = active_device() == "genn"
        if on_genn:
            from brian2 import defaultclock

            if abs(float(defaultclock.dt - self.network.dt)) > 1e-15:
                from ..devices import DeviceError

                raise DeviceError(f"brian2genn runs every object on Brian2's default clock; this "
                                  f"network's time step is {self.network.dt}: build it inside "
                                  f"neuromodels.devices.brian2_settings(dt={self.network.dt}).")
        return on_genn

    def _populations(self):
        """The input and layer groups (each layer: its model extended by the merged code)."""
        net, codes, groups = self.network, self.codes, {}
        check = _check_equations("") if self.plastic else []
        inp, code = net.input, self.codes.get(net.input.name, Code())
        eqs = code.equations + ([] if self.on_genn else
                                ["rng_seed : integer (shared, constant)   # seed of this run"])
        model = NeuronModel(name="input", equations="\n".join(eqs), parameters=ParameterSet(),
                            threshold=inp.threshold(read_at_start=self.on_genn),
                            reset="\n".join(code.on_spike))
        groups[inp.name] = model.group(inp.n, clock=self.step_clock, name=f"nm_{inp.name}",
                                       namespace={**self.namespace, **code.namespace})
        for name, layer in net.layers.items():
            code, model = codes[name], net.model(name)
            extended = model.extended(
                "\n".join(code.equations + (check if code.checked else [])),
                name=f"{model.name}_in_{name}",
                reset="\n".join([line for line in [model.reset] if line] + code.on_spike))
            groups[name] = extended.group(layer.n, params=layer.params, clock=self.step_clock,
                                          name=f"nm_{name}",
                                          namespace={**self.namespace, **code.namespace})
        objects = []
        for name, group in groups.items():
            group.order = net.order(name)
            for obj in group.contained_objects:   # state update, threshold, reset, model code
                obj.order = group.order
            if "nf_sample" in group.variables:
                group.nf_sample = -1
            objects += [group] + self._ops(group, codes.get(name, Code()),
                                           set(group.equations.diff_eq_names))
        self.groups = groups
        return objects

    def _projections(self):
        """Synapses of the projections (and, when training, of the feedback routes)."""
        net, objects, self.synapses = self.network, [], {}
        for proj in net.projections + (net.routes if self.plastic else []):
            code = self.codes.get(proj.name, Code())
            base = proj.synapse_model(net)
            check = _check_equations("_syn") if self.plastic and code.checked else []
            model = base.extended("\n".join(code.equations + check),
                                  on_pre="\n".join(code.on_spike), append=True,
                                  name=f"{base.name}_{proj.name}")
            pre, post = self.groups[proj.pre], self.groups[proj.post]
            # the synapses also read their neurons' subexpressions (delta_post, ...)
            namespace = {**pre.namespace, **post.namespace, **self.namespace, **code.namespace}
            syn = model.synapses(pre, post, clock=self.step_clock, name=f"nm_{proj.name}",
                                 namespace=namespace)
            i, j = np.nonzero(proj.mask(net))
            syn.connect(i=i, j=j)
            model.initialise(syn)
            if check:
                syn.nf_sample_syn = -1
            self.synapses[proj.name] = syn
            objects += [syn] + self._ops(syn, code, set())
        return objects

    # -- state in and out ---------------------------------------------------------------
    def _owner(self, name):
        return self.groups[name] if name in self.groups else self.synapses.get(name)

    def _state_items(self, state):
        """(VariableView, values) of every state variable of the program's objects (an
        evaluation program has no feedback routes), in the Brian2 layout."""
        net = self.network
        items = []
        for (owner, var), value in state.items():
            obj = self._owner(owner)
            if obj is None:
                continue
            if owner in self.synapses:
                proj = next(p for p in net.projections + net.routes if p.name == owner)
                value = value[proj.mask(net)]
            items.append((getattr(obj, var), value))
        return items

    def _set_state(self, state):
        for view, value in self._state_items(state):
            view[:] = value

    def _read_state(self, state):
        net = self.network
        new = state.copy()
        for owner, var in state:
            obj = self._owner(owner)
            if obj is None:
                continue
            values = getattr(obj, var)[:]
            if owner in self.synapses:
                proj = next(p for p in net.projections + net.routes if p.name == owner)
                full = np.zeros(proj.mask(net).shape)
                full[proj.mask(net)] = np.asarray(values)
                values = Quantity(full, dim=state[owner, var].dim) \
                    if isinstance(state[owner, var], Quantity) else full
            new[owner, var] = values.copy() if hasattr(values, "copy") else values
        return new

    # -- running --------------------------------------------------------------------------
    def _stimulus_values(self, inputs):
        if self.network.input.mode == "spikes":
            return self.schedule.spike_values(inputs)
        return self.schedule.rate_values(inputs)

    def run(self, state, inputs, labels=None, lr_scale=0.0, seed=None, session=None) -> dict:
        """Present ``inputs`` once; returns a dict.

        inputs: 0/1 spikes (n_samples, T, n_in) ('spikes' input) or spike probabilities
        (n_samples, n_in) ('rates'); labels: (n_samples,) class indices; lr_scale:
        learning-rate factor per sample (scalar or (n_samples,); 0 = no learning); seed:
        Brian2's random numbers of this run.  Keys: 'counts' {layer: (n_samples, n)},
        'state' (the new state; training programs), 'clipped' {layer: number of clipped
        threshold updates}, 'timings' (wall, simulation, build; seconds), 'rerun'.
        """
        import brian2

        net = self.network
        net.check_state(state)
        inputs = np.asarray(inputs, dtype=float)
        if inputs.shape[-1] != net.input.n:
            raise LearningError(f"inputs have {inputs.shape[-1]} channels, the network has "
                                f"n_in = {net.input.n}")
        stim = self._stimulus_values(inputs)
        labels = np.full(self.n_samples, -1.0) if labels is None else labels
        label_values = self.schedule.per_sample_values(labels, "labels")
        # no learning in the last step, which only finishes the last sample
        lr_values = self.schedule.per_sample_values(lr_scale, "lr_scale", extra=0.0)
        device = active_device()
        dev = brian2.get_device() if device == "cpp_standalone" else None
        start = time.perf_counter()
        # a re-run of the compiled program takes the new state, inputs and seed as values
        rerun = self._compiled.holds(session)
        if not rerun:
            if dev is not None and dev.has_been_run:
                if session is None:
                    raise LearningError("a second program on a standalone device needs the "
                                        "DeviceSession: pass session= (from use_device)")
                session.new_build()
            self._build(state)
        values = [(self.arrays["stimulus"], stim)]
        if self.plastic or not rerun:  # an evaluation program's re-run needs its inputs only
            values += [(self.arrays["label"], label_values), (self.arrays["lr_scale"], lr_values)]
        if rerun:
            values += self._state_items(state)  # a build has set them (_build)
        if session is not None:
            seed_var = None if self.on_genn else self.groups[net.input.name].rng_seed
            # namespace={}: every name comes from the objects' own namespaces, none
            # from the caller's frames (whose 'lr_scale' etc. Brian2 would warn about)
            self._compiled.run(session, self.brian_network, self.schedule.duration, values,
                               seed=seed, seed_variable=seed_var, namespace={})
            timings = dict(session.timings)
        else:
            for target, value in values:
                assign(target, value)
            if seed is not None:
                brian2.seed(int(seed))
            self.brian_network.run(self.schedule.duration, namespace={})
            wall = time.perf_counter() - start
            timings = {"wall": wall, "simulation": wall, "build": 0.0}
        if rerun:
            self.reruns += 1
        else:
            self.builds += 1
        return self._results(state, timings, rerun)

    def _results(self, state, timings, rerun):
        counts = {}
        for name, mon in self.monitors.items():
            if self.plastic:
                counts[name] = np.rint(np.asarray(mon.count[:]).T[1:]).astype(np.int64)
            else:
                counts[name] = self.schedule.counts_per_sample(np.asarray(mon.t_), mon.i[:],
                                                                       self.groups[name].N)
        result = {"counts": counts, "timings": timings, "rerun": rerun, "clipped": {}}
        if self.plastic:
            self._raise_if_diverged()
            for name, group in self.groups.items():
                if "clipped" in group.variables:
                    result["clipped"][name] = int(np.sum(group.clipped[:]))
            result["state"] = self._read_state(state)
        return result

    def _raise_if_diverged(self):
        first = None
        codes = self.codes
        for owner, obj in list(self.groups.items()) + list(self.synapses.items()):
            sfx = _check_suffix(obj)
            if "nf_sample" + sfx not in obj.variables:
                continue
            samples = np.asarray(getattr(obj, "nf_sample" + sfx)[:])
            bad = samples >= 0
            if not bad.any():
                continue
            k = int(samples[bad].min())
            mask = int(np.bitwise_or.reduce(np.asarray(getattr(obj, "nf_mask" + sfx)[:])
                                            [samples == k]))
            checked = codes[owner].checked
            variable = next(v for b, v in enumerate(checked) if mask & (1 << b))
            if first is None or k < first[2]:
                first = (variable, owner, k)
        if first is not None:
            raise DivergenceError(*first)
