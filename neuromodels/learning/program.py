"""The Brian2 program of a learning network: a whole data set in one run.

:class:`Program` merges the code of every part (:mod:`.owner_code`), builds each
population and projection once (a layer's group is its neuron model extended by that
code) with its operations on the program's clocks (:mod:`.operations`), and runs
``n_samples`` samples in one continuous run (:mod:`.schedule`).  :meth:`Program.run` takes
a network :class:`~.network.State` (moved into Brian2's variables and back by
:mod:`.state_transfer`) and data, and returns the spike counts per sample and the new state.

* The first run builds the Brian2 objects; later runs re-run them with the new state,
  inputs, labels, learning-rate factors and random seed, by the one rule for re-runs
  (:class:`neuromodels.devices.CompiledProgram`): on cpp_standalone the same binary
  (brian2 >= 2.6, a rebuild on older brian2), on runtime the same objects with their code
  objects kept (:mod:`neuromodels.devices.runtime_rerun`).
* The state that must survive a re-run is what the parts declare (``Code.state``:
  weights, feedback weights, per-neuron parameters such as learned thresholds, declared
  layer variables); nothing else is carried from run to run.
* ``seed``: Brian2's random numbers of this run (noise, rate-coded input) are drawn from
  it, also in a standalone re-run, so every epoch draws fresh noise and a seed gives the
  same run again (GeNN cannot be seeded).
* A training program (``plastic=True``) checks at every sample end whether a declared
  variable became non-finite; the first one stops the run with :class:`DivergenceError`
  (variable, population or projection, sample; :mod:`.divergence`).  An evaluation program
  (``plastic=False``, no learning) uses one clock only and also runs on GeNN.
"""
from __future__ import annotations

import time

import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses

from ..devices import CompiledProgram, active_device, require_active_device
from ..model import NeuronModel
from ..parameters import ParameterSet
from . import layers, schedule as sch
from .code import Code
from .divergence import check_equations, raise_if_diverged
from .errors import DivergenceError, LearningError
from .operations import ProgramClocks, operations
from .owner_code import owner_codes
from .state_transfer import read_state, state_items, write_state

__all__ = ["Program", "DivergenceError", "LearningError", "TRAINING_DEVICES", "EVALUATION_DEVICES"]

#: A training program (a sample-end clock, summed variables, scheduling): not brian2genn.
TRAINING_DEVICES = ("runtime", "cpp_standalone")
#: An evaluation program (forward pass, no learning) uses one clock and runs everywhere.
EVALUATION_DEVICES = ("runtime", "cpp_standalone", "genn")


class Program:
    """The Brian2 objects presenting ``n_samples`` samples of ``network`` in one run.

    ``plastic``: a training program (learning, per-sample signals; runtime and
    cpp_standalone) or an evaluation program (forward pass; also GeNN).  ``record``: layers
    whose spike counts per sample are returned besides the readout layer's.
    ``sparse_counts``: a training program records spike counts as spikes, binned per sample
    afterwards, not every neuron's count at every sample end: the same counts, in memory
    that grows with the spikes, not samples x neurons (for layers of which few fire).
    """

    def __init__(self, network, n_samples: int, *, plastic: bool = True, record=(),
                 sparse_counts: bool = False):
        self.network = network
        self.n_samples = int(n_samples)
        self.plastic = bool(plastic)
        self.sparse_counts = bool(sparse_counts)
        readout = network.readout.layer if network.readout else list(network.layers)[-1]
        self.counted = list(dict.fromkeys([readout, *record]))
        for name in self.counted:
            if name not in network.layers:
                raise LearningError(f"record: '{name}' is not a layer of the network.")
        self.repeat = getattr(network.input, "repeat", None)
        if self.repeat is not None and not self.plastic:
            raise LearningError("A network that shows samples again (InputLayer(repeat=...)) "
                                "runs in training programs only (plastic=True; lr_scale 0 "
                                "for samples that are only tested).")
        only = [repr(rule) for rule in network.rules if getattr(rule, "training_only", False)]
        if only and not self.plastic:
            raise LearningError(f"{', '.join(only)} runs in training programs only "
                                "(plastic=True; train() shows test samples there with "
                                "lr_scale 0): build the Program with plastic=True.")
        spare = self.repeat.slots(self.n_samples) - self.n_samples if self.repeat else 0
        self.schedule = sch.SampleSchedule(self.n_samples, network.T, network.dt, spare=spare)
        self._compiled = CompiledProgram(runtime=True)
        self.builds = 0
        self.reruns = 0

    # -- building -------------------------------------------------------------------------
    def _build(self, state):
        net, sched = self.network, self.schedule
        self.on_genn = self._check_device()
        self.clocks = ProgramClocks(sched, self.plastic)
        self.step_clock, self.sample_clock = self.clocks.step, self.clocks.sample
        self.packed = sch.packs_spikes(active_device())
        stimulus = sched.stimulus(net.input.mode, net.input.n, self.packed)
        label = sched.per_sample_array("nm_label")
        lr = sched.per_sample_array("nm_lr_scale")
        self.arrays = {"stimulus": stimulus, "label": label, "lr_scale": lr}
        self.namespace = {"stimulus": stimulus, "label": label, "lr_scale": lr,
                          "T_sample": sched.sample_period}
        for layer in self.target_layers():   # per-step targets of regression errors
            self.arrays[f"target_{layer}"] = self.namespace[f"target_{layer}"] = sch.timed_array(
                np.zeros((sched.n_steps, net.size(layer))), dt=net.dt, name=f"nm_target_{layer}")
        if not self.plastic:
            self.namespace["sample_start"] = sched.sample_start()
        self.codes = owner_codes(net, plastic=self.plastic, on_genn=self.on_genn)
        slots = self._slots() if self.repeat else []
        objects = slots + self._populations() + self._projections()
        if self.repeat:
            objects += self._slot_tally()
        self.extra_objects = {}
        if self.plastic:     # signals that need objects of their own (the readout's softmax)
            for sig in net.signals:
                for obj in sig.objects(self):
                    self.extra_objects[obj.name] = obj
                    objects.append(obj)
        self.monitors = {}
        for name in self.counted:
            tally = net.layers[name].tally(net.model(name))
            if self.plastic and not (self.sparse_counts and tally == "count"):   # at ends
                self.monitors[name] = StateMonitor(
                    self.groups[name], tally, record=True, clock=self.sample_clock,
                    when="groups", order=sch.ORDER_RECORD, name=f"nm_{name}_counts")
            elif tally == "count":
                self.monitors[name] = SpikeMonitor(self.groups[name], name=f"nm_{name}_spikes")
            else:              # a readout's summed output, read in each sample's last step
                self.monitors[name] = StateMonitor(
                    self.groups[name], tally, record=True, when="end",
                    order=sch.ORDER_END_TALLY + 1, name=f"nm_{name}_sums")
        self.loss_monitors = {}
        if self.plastic:
            for sig in net.signals:
                source = sig.loss_source(self) if hasattr(sig, "loss_source") else None
                if source is not None:
                    self.loss_monitors[sig.layer] = StateMonitor(
                        source[0], source[1], record=True, clock=self.sample_clock,
                        when="groups", order=sch.ORDER_RECORD, name=f"nm_{sig.layer}_loss")
        slot_monitor = []
        if self.repeat:   # the sample and its repetition of every slot, at its end
            self.slot_monitor = StateMonitor(
                self.slot_group, ["slot_sample", "slot_repeat"], record=True,
                clock=self.sample_clock, when="groups", order=sch.ORDER_RECORD,
                name="nm_slots_record")
            slot_monitor = [self.slot_monitor]
        self.brian_network = Network(*objects, *self.monitors.values(),
                                     *self.loss_monitors.values(), *slot_monitor)
        write_state(net, self.groups, self.synapses, state)

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

    def _slots(self):
        """The group deciding at slot ends which sample is shown (:class:`~.schedule.Repeat`)."""
        rep = self.repeat
        self.slot_group = NeuronGroup(
            1, sch.SLOT_EQUATIONS, clock=self.sample_clock, name="nm_slots",
            namespace={"T_sample": self.schedule.sample_period, "repeat_below": rep.below,
                       "repeat_cap": rep.cap})
        self.slot_group.intensity = 1
        decide = self.slot_group.run_regularly(sch.SLOT_DECISION, when="before_start",
                                               order=sch.ORDER_DECIDE, name="nm_slots_decide")
        return [self.slot_group, decide]

    def _slot_tally(self):
        """The watched layer's spikes of the slot summed into the slot group before the
        decision (at the slot end's start, before the counts are cleared)."""
        layer = self.groups[self.repeat.layer]
        tally = Synapses(layer, self.slot_group, "total_post = count_pre : integer (summed)",
                         clock=self.sample_clock, name="nm_slots_tally")
        tally.connect(i=np.arange(layer.N), j=np.zeros(layer.N, dtype=int))
        updater = sch.sum_at_sample_ends(tally, "total_post", self.sample_clock,
                                         order=sch.ORDER_DECIDE - 1)
        updater.when = "before_start"
        return [tally]

    def _copy_shown(self, name, group):
        """``t_shown`` (and the input's ``intensity``) copied from the slot group into every
        neuron of ``group`` right after the decision (a summed variable of one synapse)."""
        copied = ["t_shown_post = t_shown_pre : second (summed)"]
        if name == self.network.input.name:
            copied.append("intensity_post = intensity_pre : 1 (summed)")
        copy = Synapses(self.slot_group, group, "\n".join(copied), clock=self.sample_clock,
                        name=f"nm_slots_to_{name}")
        copy.connect(i=np.zeros(group.N, dtype=int), j=np.arange(group.N))
        for var in ("t_shown_post", "intensity_post")[:len(copied)]:
            updater = sch.sum_at_sample_ends(copy, var, self.sample_clock,
                                             order=sch.ORDER_DECIDE + 1)
            updater.when = "before_start"
        return [copy]

    def _populations(self):
        """The input and layer groups (each layer: its model extended by the merged code)."""
        net, codes, groups = self.network, self.codes, {}
        check = check_equations("") if self.plastic else []
        shown = [sch.SHOWN_EQUATION] if self.repeat else []
        inp, code = net.input, self.codes.get(net.input.name, Code())
        eqs = code.equations + ([] if self.on_genn else
                                ["rng_seed : integer (shared, constant)   # seed of this run"])
        eqs += shown + (["intensity : 1   # of the shown sample"] if self.repeat else [])
        packed = self.packed and inp.mode == "spikes"   # the constants of its read
        eqs += sch.SPIKE_CONSTANTS if packed else []
        model = NeuronModel(name="input", equations="\n".join(eqs), parameters=ParameterSet(),
                            threshold=inp.threshold(read_at_start=self.on_genn,
                                                    sample_clock=self.plastic, packed=self.packed),
                            reset="\n".join(code.on_spike) or None)   # none: no resetter
        with layers.no_reset_note(f"nm_{inp.name}"):
            groups[inp.name] = model.group(inp.n, clock=self.step_clock, name=f"nm_{inp.name}",
                                           namespace={**self.namespace, **code.namespace})
        for var, values in (sch.spike_constants(inp.n) if packed else {}).items():
            setattr(groups[inp.name], var, values)
        for name, layer in net.layers.items():
            code, model = codes[name], net.model(name)
            reset = "\n".join([line for line in [model.reset] if line] + code.on_spike)
            extended = model.extended(
                "\n".join(code.equations + (check if code.checked else []) + shown),
                name=f"{model.name}_in_{name}", **({"reset": reset} if reset else {}))
            groups[name] = extended.group(layer.n, params=layer.params, clock=self.step_clock,
                                          name=f"nm_{name}",
                                          namespace={**self.namespace, **code.namespace})
        objects = []
        for name, group in groups.items():
            if self.repeat:
                objects += self._copy_shown(name, group)
            group.order = net.order(name)
            for obj in group.contained_objects:   # state update, threshold, reset, model code
                obj.order = group.order
            if "nf_sample" in group.variables:
                group.nf_sample = -1
            objects += [group] + operations(group, codes.get(name, Code()), self.clocks,
                                            plastic=self.plastic,
                                            dynamic_vars=set(group.equations.diff_eq_names))
        self.groups = groups
        return objects

    def _projections(self):
        """Synapses of the projections (and, when training, of the feedback routes)."""
        net, objects, self.synapses = self.network, [], {}
        for proj in net.projections + (net.routes if self.plastic else []):
            code = self.codes.get(proj.name, Code())
            base = proj.synapse_model(net)
            check = check_equations("_syn") if self.plastic and code.checked else []
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
            objects += [syn] + operations(syn, code, self.clocks, plastic=self.plastic,
                                          dynamic_vars=set())
        return objects

    def _run_time_values(self):
        """(variable, value) of every run-time value (learning rates) of the network's parts."""
        items = []
        for owner, code in self.codes.items():
            obj = self.groups.get(owner, self.synapses.get(owner))
            if obj is not None:
                items += [(getattr(obj, name), value) for name, value in code.values.items()]
        return items

    def adopt(self, network):
        """Run ``network`` from now on: a network whose parts generate the same code as this
        program's except for run-time values (learning rates), e.g. the same rule with another
        eta; a compiled program then re-runs without a new build.  Anything else differing is
        a :class:`LearningError` naming the first difference."""
        if network is self.network:
            return
        mine = owner_codes(self.network, plastic=self.plastic, on_genn=False)
        theirs = owner_codes(network, plastic=self.plastic, on_genn=False)
        for owner in sorted(set(mine) | set(theirs)):
            a, b = mine.get(owner), theirs.get(owner)
            if a is None or b is None or {**vars(a), "values": None} != {**vars(b), "values": None}:
                raise LearningError(f"program: the network given differs from the program's "
                                    f"in more than its run-time values (learning rates), at "
                                    f"'{owner}'; build a Program for it.")
        if [p.name for p in network.projections + network.routes] != \
                [p.name for p in self.network.projections + self.network.routes]:
            raise LearningError("program: the network given has other projections than the "
                                "program's; build a Program for it.")
        mine, theirs = self.network.built_in_values(), network.built_in_values()
        for (part, name), value in mine.items():    # constants of a compiled program
            if theirs[part, name] != value:
                raise LearningError(f"program: the network given has {part}'s '{name}' = "
                                    f"{theirs[part, name]}, the program's {value}: not a "
                                    f"run-time value; build a Program for it.")
        self.network = network
        if hasattr(self, "codes"):
            self.codes = owner_codes(network, plastic=self.plastic, on_genn=self.on_genn)

    def objects_named(self, name):
        """An object a signal added (``nm_output_classes``)."""
        return self.extra_objects[name]

    def target_layers(self) -> list[str]:
        """Layers whose error compares with per-step targets given to :meth:`run`."""
        if not self.plastic:
            return []
        return [sig.layer for sig in self.network.signals
                if getattr(sig, "p", {}).get("targets") == "given"]

    # -- running --------------------------------------------------------------------------
    def _target_values(self, targets):
        """Per-step target values (n_samples*T + 1, n) of every regression error."""
        out = []
        for layer in self.target_layers():
            given = targets.get(layer) if isinstance(targets, dict) else targets
            n = self.network.size(layer)
            want = (self.n_samples, self.network.T, n)
            if given is None or np.shape(given) != want:
                raise LearningError(f"targets: the error of layer '{layer}' compares with "
                                    f"per-step targets of shape (n_samples, T, n) = {want}; "
                                    f"got {None if given is None else np.shape(given)}.")
            flat = np.asarray(given, dtype=float).reshape(-1, n)
            out.append((f"target_{layer}", np.vstack([flat, np.zeros((1, n))])))
        return out

    def run(self, state, inputs, labels=None, lr_scale=0.0, seed=None, session=None,
            targets=None) -> dict:
        """Present ``inputs`` once; returns a dict.

        inputs: 0/1 spikes (n_samples, T, n_in) ('spikes' input) or spike probabilities
        (n_samples, n_in) ('rates'); labels: (n_samples,) class indices, or per-step targets
        (n_samples, T, n) of the regression errors (``OutputError(targets='given')``; or
        ``targets=``, one array for all or ``{layer: array}``); lr_scale:
        learning-rate factor per sample (scalar or (n_samples,); 0 = no learning); seed:
        Brian2's random numbers of this run.  Keys: 'counts' {layer: (n_samples, n)} (spike
        counts as the schedule's ``count_dtype``, uint8 for T <= 255; a non-spiking
        readout's output summed over the sample), 'losses' {layer: (n_samples,)} and 'loss'
        (the readout layer's; training programs),
        'state' (the new state; training programs), 'clipped' {layer: number of clipped
        threshold updates}, 'timings' (wall, simulation, build; seconds), 'rerun'; with
        :class:`~.schedule.Repeat`: 'counts' of each sample's last showing, 'repeats'
        (n_samples,) its showings beyond the first, 'slots' {'sample', 'repeat'} per slot
        (sample n_samples: a spare slot left over).
        """
        import brian2

        net = self.network
        net.check_state(state)
        inputs = np.asarray(inputs)   # bool spikes stay bool (the schedule's values convert)
        if inputs.shape[-1] != net.input.n:
            raise LearningError(f"inputs have {inputs.shape[-1]} channels, the network has "
                                f"n_in = {net.input.n}")
        stim = self.schedule.stimulus_values(self.network.input.mode, inputs,
                                             sch.packs_spikes(active_device()))
        if labels is not None and np.ndim(labels) == 3:
            targets, labels = labels, None
        target_values = self._target_values(targets) if self.target_layers() else []
        labels = np.full(self.n_samples, -1.0) if labels is None else labels
        self._labels = np.asarray(labels)
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
            values += [(self.arrays[name], value) for name, value in target_values]
        values += self._run_time_values()
        if rerun:                                        # (a build has set them: _build)
            values += state_items(net, self.groups, self.synapses, state)
        if session is not None:
            seed_var = None if self.on_genn else self.groups[net.input.name].rng_seed
            # namespace={}: every name comes from the objects' own namespaces, none
            # from the caller's frames (whose 'lr_scale' etc. Brian2 would warn about)
            self._compiled.run(session, self.brian_network, self.schedule.duration, values,
                               seed=seed, seed_variable=seed_var, namespace={})
            timings = dict(session.timings)
        else:
            self._compiled.run(None, self.brian_network, self.schedule.duration, values,
                               seed=seed, namespace={})
            wall = time.perf_counter() - start
            timings = {"wall": wall, "simulation": wall, "build": 0.0}
        if rerun:
            self.reruns += 1
        else:
            self.builds += 1
        return self._results(state, timings, rerun)

    def _slot_map(self) -> dict:
        """The sample and repetition of every slot, and the samples done."""
        sample = np.asarray(self.slot_monitor.slot_sample[0])[1:]
        repeat = np.asarray(self.slot_monitor.slot_repeat[0])[1:]
        return {"sample": sample, "repeat": repeat,
                "done": int(np.asarray(self.slot_group.shown[:])[0])}

    def _samples_of_slots(self, slots) -> dict:
        """Each sample's last showing and repetitions (:meth:`_slot_map`); a
        :class:`LearningError` if the spare slots did not suffice."""
        sample, repeat, done = slots["sample"], slots["repeat"], slots["done"]
        if done < self.n_samples:
            raise LearningError(
                f"{self.repeat!r}: {self.n_samples - done} of {self.n_samples} samples were "
                f"not shown in the {self.schedule.n_slots} slots of the run (samples shown "
                f"again took the spare ones); raise parameter 'spare' (now "
                f"{self.repeat.spare} slots per sample, at most cap = {self.repeat.cap}).")
        shown = sample < self.n_samples
        last = np.flatnonzero(shown & (np.append(sample[1:], -1) != sample))
        dtype = np.min_scalar_type(self.repeat.cap)
        return {"last": last, "repeats": repeat[last].astype(dtype),
                "sample": np.minimum(sample, self.n_samples).astype(   # n: no sample
                    np.min_scalar_type(self.n_samples)),
                "repeat": repeat.astype(dtype)}

    def _results(self, state, timings, rerun):
        counts, net = {}, self.network
        slots = None
        if self.repeat:   # a divergence names its sample, not its slot; then all were shown
            slots = self._slot_map()
            try:
                raise_if_diverged({**self.groups, **self.synapses}, self.codes)
            except DivergenceError as err:
                k = err.sample
                raise DivergenceError(err.variable, err.owner, int(slots["sample"][k])
                                      if 0 <= k < len(slots["sample"]) else k) from None
            slots = self._samples_of_slots(slots)
        for name, mon in self.monitors.items():
            tally = net.layers[name].tally(net.model(name))
            if isinstance(mon, SpikeMonitor):   # binned per sample (per slot: Repeat)
                counts[name] = self.schedule.counts_per_sample(
                    np.asarray(mon.t_), mon.i[:], self.groups[name].N,
                    slots=slots is not None)
                if slots is not None:
                    counts[name] = counts[name][slots["last"]]
            elif self.plastic:
                values = np.asarray(getattr(mon, tally)[:]).T[1:]   # count: int32 records
                counts[name] = (values.astype(self.schedule.count_dtype) if tally == "count"
                                else values)
                if slots is not None:
                    counts[name] = counts[name][slots["last"]]
            else:
                values = np.asarray(getattr(mon, tally)[:]).T
                counts[name] = values[net.T - 1::net.T][:self.n_samples]
        result = {"counts": counts, "timings": timings, "rerun": rerun, "clipped": {}}
        if slots is not None:
            result["repeats"] = slots["repeats"]
            result["slots"] = {"sample": slots["sample"], "repeat": slots["repeat"]}
        if self.plastic:
            result["losses"] = self._losses(counts)
            readout = net.readout.layer if net.readout else None
            if readout in result["losses"]:
                result["loss"] = result["losses"][readout]
            raise_if_diverged({**self.groups, **self.synapses}, self.codes)
            for name, group in self.groups.items():
                if "clipped" in group.variables:
                    result["clipped"][name] = int(np.sum(group.clipped[:]))
            result["state"] = read_state(self.network, self.groups, self.synapses, state)
        return result

    def _losses(self, counts):
        """The loss of every output error per sample: summed in the run, or from the
        recorded counts (a per-sample cross-entropy)."""
        losses = {}
        for sig in self.network.signals:
            if not hasattr(sig, "loss_source"):
                continue
            if sig.layer in self.loss_monitors:
                mon = self.loss_monitors[sig.layer]
                losses[sig.layer] = np.asarray(mon.loss_sample[:]).T[1:].sum(axis=1)
            elif hasattr(sig, "loss_from_counts") and sig.layer in counts:
                losses[sig.layer] = sig.loss_from_counts(self.network, counts[sig.layer],
                                                         self._labels)
        return losses
