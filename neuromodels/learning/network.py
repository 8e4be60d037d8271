"""Layered networks of escape-noise LIF neurons trained by noise-driven learning.

The network state (weights, thresholds, feedback weights) lives in numpy
arrays in an :class:`NDLNetwork`.  An :class:`NDLProgram` turns it into Brian2
objects that present a whole data set in one continuous run
(:mod:`.schedule`) and reads the results back; everything during the run
(dynamics, traces, learning signals, updates) is Brian2 generated code.
On C++ standalone a program is built once and re-run with new values
(weights, inputs, labels, learning-rate factors) for every later epoch.

* :func:`train`: several epochs; each epoch is one run that trains on the
  (shuffled, freshly encoded) training set and then tests on the test set
  with learning-rate factor 0, so one build serves the whole training.
* :func:`train_epoch`, :func:`evaluate`: one run each.

Device handling is left to the caller: wrap the call in the package's device
context (``with use_device('cpp_standalone') as session: train(..., session=session)``);
the functions read all results before returning.

Neuron model (dimensionless, discrete time; Ma, Yan & Tang 2023):
``v <- a*v`` every step (a = exp(-dt/tau_m), default 0.5), synaptic input
``v += w`` on presynaptic spikes, fire with probability F((v - theta)/sigma)
from one uniform draw, hard reset to 0 (or subtract theta, or no reset).
Defaults follow the reference implementation (threshold 1, tau = 2 steps,
sigma = 0.4, Gaussian noise); the output layer spikes and its counts give the
class (cross-entropy on ``beta*count/T``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Equations, Network, NeuronGroup, SpikeMonitor, Synapses, TimedArray, ms

from ..devices import active_device, require_active_device
from ..neurons.noise import NoiseDistribution, check_sigma, get_noise
from . import schedule as sch
from . import signals, traces
from .rules import NDLRule

__all__ = [
    "LAYER_EQUATIONS",
    "INPUT_EQUATIONS",
    "FORWARD_SYNAPSE_EQUATIONS",
    "NDLParams",
    "NDLNetwork",
    "build_ndl_network",
    "build_brian_objects",
    "NDLProgram",
    "train",
    "train_epoch",
    "evaluate",
    "cosine_schedule",
    "describe",
    "SUPPORTED_DEVICES",
]

#: The learning network uses run_regularly on a second clock (sample
#: boundaries), run_regularly on Synapses and custom scheduling; brian2genn
#: supports none of these, so GeNN is not supported.
SUPPORTED_DEVICES = ("runtime", "cpp_standalone")

#: Trainable layer (hidden or output).  p_fire is appended from the noise CDF.
LAYER_EQUATIONS = """
dv/dt = -v/tau_m : 1                 # leaky membrane, threshold ~ 1
theta : 1                            # firing threshold (trainable)
u_draw : 1                           # the one uniform draw of this step
sigma_fire : 1 (shared, constant)    # noise scale of firing (~0: deterministic)
x_fire = (v - theta)/sigma_fire : 1  # standardized distance to threshold (firing)
x_grad = (v - theta)/sigma_grad : 1  # the same for the learning rule
count : 1                            # spikes in the current sample
"""

#: Input layer: replays 0/1 spikes (or draws them from rates) from a TimedArray.
INPUT_EQUATIONS = """
s_in : 1    # input spike of this step (0 or 1)
"""
INPUT_READ = {"spikes": "s_in = stimulus(t, i)", "rates": "s_in = int(rand() < stimulus(t, i))"}

#: Forward synapse between consecutive layers.
FORWARD_SYNAPSE_EQUATIONS = """
w : 1      # forward weight
"""
FORWARD_ON_PRE = "v_post += w"

RESETS = {
    "hard": "v = 0",
    "subtract": "v = v - theta",
    "none": "",
}


@dataclass(frozen=True)
class NDLParams:
    """Parameters of the learning network.

    T: time steps per sample; dt: step length; decay: membrane factor per
    step a (tau_m = -dt/ln a; presynaptic traces use the same factor);
    theta0: initial threshold; sigma: noise scale (dimensionless, default
    noise.default_scale); reset: 'hard' | 'subtract' | 'none'; loss: 'mse' |
    'ce'; y_on/y_off: mse targets (spike probability per step); beta: softmax
    inverse temperature for 'ce'; upstream: 'gain' | 'raw' (see
    :mod:`.signals`); init_scale: initial weights ~ U(-1, 1)*init_scale/sqrt(n_pre)."""

    T: int = 20
    dt: object = field(default_factory=lambda: 1 * ms)
    decay: float = 0.5
    theta0: float = 1.0
    sigma: float | None = None
    reset: str = "hard"
    loss: str = "ce"
    y_on: float = 0.8
    y_off: float = 0.05
    beta: float = 10.0
    upstream: str = "gain"
    init_scale: float = 2.0

    def __post_init__(self):
        signals.check_choice(self.reset, RESETS, "reset")
        signals.check_choice(self.loss, signals.OUTPUT_ERRORS, "loss")
        signals.check_choice(self.upstream, signals.UPSTREAM, "upstream")
        if not 0 < self.decay < 1:
            raise ValueError(f"parameter 'decay' must be in (0, 1), got {self.decay!r}")
        if int(self.T) < 1:
            raise ValueError(f"parameter 'T' must be >= 1, got {self.T!r}")
        if self.sigma is not None:
            check_sigma(self.sigma, None, "sigma")

    @property
    def tau_m(self):
        return -self.dt / np.log(self.decay)

    @property
    def k_up(self):
        return self.decay / (1 - self.decay)


@dataclass
class NDLNetwork:
    """Numpy state and configuration of a layered NDL network."""

    sizes: tuple
    noise: NoiseDistribution
    params: NDLParams
    rule: NDLRule
    feedback: str
    weights: list          # weights[l]: (n_l, n_{l+1})
    thresholds: list       # thresholds[l]: (n_{l+1},)
    feedback_weights: list  # random B for layers l >= 1 (None for symmetric / l = 0)
    supported_devices: tuple = SUPPORTED_DEVICES

    @property
    def sigma(self):
        return self.params.sigma if self.params.sigma is not None else self.noise.default_scale

    def copy(self):
        return replace(self, weights=[w.copy() for w in self.weights],
                       thresholds=[t.copy() for t in self.thresholds],
                       feedback_weights=[None if b is None else b.copy()
                                         for b in self.feedback_weights])


def build_ndl_network(n_in, n_hidden, n_out, noise="gaussian", params: NDLParams | None = None,
                      feedback="random", rule: NDLRule | None = None, seed=0) -> NDLNetwork:
    """Create the numpy state of an n_in - n_hidden - n_out network.

    ``n_hidden`` is an int or a sequence of ints (may be empty: single layer).
    ``feedback`` is 'random' or 'symmetric'.  Initial weights and random
    feedback weights come from ``numpy.random.default_rng(seed)``.
    """
    noise = get_noise(noise)
    params = params or NDLParams()
    rule = rule or NDLRule()
    signals.check_choice(feedback, signals.FEEDBACK, "feedback")
    hidden = (n_hidden,) if np.isscalar(n_hidden) else tuple(n_hidden)
    sizes = (int(n_in), *[int(h) for h in hidden], int(n_out))
    if any(s < 1 for s in sizes):
        raise ValueError(f"layer sizes must be >= 1, got {sizes}")
    rng = np.random.default_rng(seed)
    weights, thresholds, fb = [], [], []
    for l in range(len(sizes) - 1):
        n_pre, n_post = sizes[l], sizes[l + 1]
        scale = params.init_scale / np.sqrt(n_pre)
        weights.append(rng.uniform(-scale, scale, size=(n_pre, n_post)))
        thresholds.append(np.full(n_post, params.theta0))
        if l >= 1 and feedback == "random":
            fb.append(rng.uniform(-1, 1, size=(n_pre, n_post)) / np.sqrt(n_post))
        else:
            fb.append(None)
    return NDLNetwork(sizes, noise, params, rule, feedback, weights, thresholds, fb)


def _sigma_fire(net: NDLNetwork, firing: str) -> float:
    """Noise scale of firing: sigma (noisy) or 1e-28 sigma (Heaviside in double precision)."""
    signals.check_choice(firing, ("noisy", "deterministic"), "firing")
    return net.sigma if firing == "noisy" else net.sigma * 1e-28


def _layer_namespace(net: NDLNetwork):
    p = net.params
    sigma = net.sigma
    ns = {"tau_m": p.tau_m, "tau_x": p.tau_m, "sigma_grad": sigma,
          "T_steps": float(p.T), "y_on": p.y_on, "y_off": p.y_off, "beta": p.beta,
          "k_up": p.k_up}
    ns.update(net.noise.namespace)
    ns.update(net.rule.namespace())
    return ns


def build_brian_objects(net: NDLNetwork, n_samples: int, plastic=True, firing=None,
                        input_mode="spikes", record_hidden=False):
    """Brian2 objects presenting ``n_samples`` samples in one run; returns a dict.

    The objects hold the network's current weights and thresholds; the input,
    labels and learning-rate factors are TimedArrays (initially zero) that
    :class:`NDLProgram` fills.  ``firing``: 'noisy' | 'deterministic' (default:
    the rule's).  Keys: 'network', 'schedule', 'layers' (input first),
    'synapses', 'stimulus', 'label', 'lr_scale', 'output_monitor',
    'hidden_monitors'.
    """
    p = net.params
    signals.check_choice(input_mode, INPUT_READ, "input_mode")
    firing = firing or net.rule.firing
    signals.check_choice(firing, ("noisy", "deterministic"), "firing")
    sched = sch.SampleSchedule(int(n_samples), p.T, p.dt)
    n_in = net.sizes[0]
    if input_mode == "spikes":
        stim = TimedArray(np.zeros((sched.n_samples * p.T + 1, n_in)), dt=p.dt, name="nm_stimulus")
    else:
        stim = TimedArray(np.zeros((sched.n_samples + 1, n_in)), dt=sched.sample_period,
                          name="nm_stimulus")
    label_ta = TimedArray(np.zeros(sched.n_samples + 1), dt=sched.sample_period, name="nm_label")
    lr_ta = TimedArray(np.zeros(sched.n_samples + 1), dt=sched.sample_period, name="nm_lr_scale")
    ns = _layer_namespace(net)
    ns.update({"stimulus": stim, "label": label_ta, "lr_scale": lr_ta})
    n_layers = len(net.sizes) - 1
    objects = []

    # input layer
    inp = NeuronGroup(n_in, Equations(INPUT_EQUATIONS) +
                      Equations(traces.PRESYNAPTIC_TRACE_EQUATIONS),
                      threshold="s_in > 0.5", reset=traces.PRESYNAPTIC_TRACE_ON_SPIKE,
                      method="exact", namespace=ns, dt=p.dt, name="nm_input")
    objects.append(inp)
    objects.append(sched.every_step(inp, INPUT_READ[input_mode], sch.ORDER_INPUT))
    objects.append(sched.at_boundary(inp, traces.PRESYNAPTIC_TRACE_CLEAR,
                                     sch.ORDER_NEURON_UPDATE))
    layers = [inp]

    pdf_grad = net.noise.pdf_expr("x_grad")
    for l in range(n_layers):
        is_output = l == n_layers - 1
        eqs = (Equations(LAYER_EQUATIONS)
               + Equations(f"p_fire = {net.noise.cdf_expr('x_fire')} : 1  # P(spike in this step)")
               + Equations(traces.POSTSYNAPTIC_TRACE_EQUATIONS)
               + Equations(signals.SIGNAL_EQUATIONS))
        if not is_output:
            eqs += Equations(traces.PRESYNAPTIC_TRACE_EQUATIONS)
        if is_output:
            eqs += Equations(signals.OUTPUT_ERROR_EQUATIONS[p.loss])
        eqs += Equations(signals.UPSTREAM[p.upstream])
        reset = "\n".join(c for c in (RESETS[p.reset], "count += 1",
                                      "" if is_output else traces.PRESYNAPTIC_TRACE_ON_SPIKE) if c)
        order = sch.layer_order(n_layers - 1 - l)
        g = NeuronGroup(net.sizes[l + 1], eqs, threshold="u_draw < p_fire", reset=reset,
                        method="exact", namespace=ns, dt=p.dt, order=order,
                        name=f"nm_layer{l + 1}")
        g.theta = net.thresholds[l]
        g.sigma_fire = _sigma_fire(net, firing)
        objects.append(g)
        step = "u_draw = rand()" + ("\n" + traces.psi_statement(pdf_grad) if plastic else "")
        objects.append(sched.every_step(g, step, sch.ORDER_DRAW + order))
        boundary = []
        if is_output and plastic:
            boundary.append(signals.OUTPUT_ERRORS[p.loss])
        if plastic and net.rule.neuron_update():
            boundary.append(net.rule.neuron_update())
        clear = ["v = 0", "count = 0", traces.POSTSYNAPTIC_TRACE_CLEAR]
        if not is_output:
            clear.append(traces.PRESYNAPTIC_TRACE_CLEAR)
        if is_output and plastic:
            # output error first (order + 1, before the feedback summed variables),
            # threshold update and clearing after the weight updates
            objects.append(sched.at_boundary(g, boundary[0], order + 1,
                                             name=g.name + "_signal"))
            boundary = boundary[1:]
        objects.append(sched.at_boundary(g, "\n".join(boundary + clear),
                                         sch.ORDER_NEURON_UPDATE))
        layers.append(g)
        if is_output and p.loss == "ce" and plastic:
            # needed only at sample boundaries: runs on the sample clock
            z = Synapses(g, g, model=signals.SOFTMAX_NORMALISER, namespace=ns,
                         dt=sched.sample_period, name="nm_softmax")
            z.connect()
            objects.append(z)

    synapses = []
    for l in range(n_layers):
        pre, post = layers[l], layers[l + 1]
        model = Equations(FORWARD_SYNAPSE_EQUATIONS)
        sends_signal = plastic and l >= 1
        if plastic:
            model += Equations(traces.SYNAPTIC_TRACE_EQUATIONS)
        if sends_signal:
            model += Equations(signals.FEEDBACK_EQUATIONS[net.feedback])
            model += Equations(signals.FEEDBACK[net.feedback])
        s = Synapses(pre, post, model=model, on_pre=FORWARD_ON_PRE, namespace=ns, dt=p.dt,
                     name=f"nm_syn{l + 1}")
        s.connect()  # all-to-all, synapse k = (i_pre, j_post) in C order
        s.w = net.weights[l].ravel()
        if sends_signal and net.feedback == "random":
            s.B = net.feedback_weights[l].ravel()
        objects.append(s)
        if plastic:
            objects.append(sched.every_step(s, traces.SYNAPTIC_TRACE_STEP, sch.ORDER_TRACE))
            code = "\n".join(c for c in (net.rule.synapse_update(),
                                         traces.SYNAPTIC_TRACE_CLEAR) if c)
            objects.append(sched.at_boundary(s, code, sch.ORDER_UPDATE))
        synapses.append(s)

    out_mon = SpikeMonitor(layers[-1], name="nm_output_spikes")
    objects.append(out_mon)
    hidden_mons = []
    if record_hidden:
        for g in layers[1:-1]:
            m = SpikeMonitor(g, name=f"{g.name}_spikes")
            hidden_mons.append(m)
            objects.append(m)
    network = Network(*objects)
    return {"network": network, "schedule": sched, "layers": layers, "synapses": synapses,
            "stimulus": stim, "label": label_ta, "lr_scale": lr_ta,
            "output_monitor": out_mon, "hidden_monitors": hidden_mons}


def _standalone_device():
    """The active C++ standalone device, or None (runtime); GeNN is refused (the learning
    network needs run_regularly on a second clock and summed variables)."""
    import brian2

    require_active_device(SUPPORTED_DEVICES, "The learning network")
    return brian2.get_device() if active_device() == "cpp_standalone" else None


class NDLProgram:
    """One Brian2 program presenting ``n_samples`` samples (training and/or evaluation).

    :meth:`run` runs it for a network state and data.  On runtime every call
    builds fresh Brian2 objects (Cython code is cached).  On C++ standalone the
    first call builds the program; later calls re-run the same binary with the
    new weights, thresholds, inputs, labels and learning-rate factors
    (``device.run(run_args=...)``, brian2 >= 2.6), or rebuild on older brian2.
    Re-runs use the same seed for Brian2's random numbers (the noise sequence
    repeats from run to run; shuffling the samples between runs makes each
    sample meet other noise).
    """

    def __init__(self, net: NDLNetwork, n_samples: int, *, plastic=True, firing=None,
                 input_mode="spikes", record_hidden=False):
        self.structure = _structure(net)
        self.n_samples = int(n_samples)
        self.plastic = plastic
        self.firing = firing
        self.input_mode = input_mode
        self.record_hidden = record_hidden
        self.schedule = sch.SampleSchedule(self.n_samples, net.params.T, net.params.dt)
        self._objects = None
        self._token = None
        self.builds = 0
        self.reruns = 0

    def _stimulus_values(self, inputs):
        if self.input_mode == "spikes":
            return self.schedule.spike_values(inputs)
        return self.schedule.rate_values(inputs)

    def run(self, net: NDLNetwork, inputs, labels=None, lr_scale=0.0, session=None) -> dict:
        """Present ``inputs`` once; returns counts (and the updated network if plastic).

        inputs: 0/1 spikes (n_samples, T, n_in) ('spikes' mode) or spike
        probabilities (n_samples, n_in) ('rates'); labels: (n_samples,);
        lr_scale: learning-rate factor per sample (scalar or (n_samples,); 0 =
        evaluate only).  Result keys: 'counts', 'hidden_counts' (if recorded),
        'network' (if plastic), 'timings' (wall, simulation, build; seconds),
        'rerun' (True if an existing binary was re-run).
        """
        if _structure(net) != self.structure:
            raise ValueError("the network's structure differs from the program's")
        inputs = np.asarray(inputs, dtype=float)
        if inputs.shape[-1] != net.sizes[0]:
            raise ValueError(f"inputs have {inputs.shape[-1]} channels, the network has "
                             f"n_in = {net.sizes[0]}")
        stim = self._stimulus_values(inputs)
        labels = np.zeros(self.n_samples) if labels is None else labels
        label_values = self.schedule.per_sample_values(labels, "labels")
        lr_values = self.schedule.per_sample_values(lr_scale, "lr_scale")
        device = _standalone_device()
        start = time.perf_counter()
        rerun = (device is not None and session is not None and session.can_rerun
                 and self._objects is not None
                 and self._token == (id(device), device.project_dir) and device.has_been_run)
        if rerun:
            objs = self._objects
            run_args = {objs["stimulus"]: stim}
            if self.plastic:   # labels and learning-rate factors exist only in plastic code
                run_args.update({objs["label"]: label_values, objs["lr_scale"]: lr_values})
            for l, s in enumerate(objs["synapses"]):
                run_args[s.w] = net.weights[l].ravel()
                if self.plastic and l >= 1 and net.feedback == "random":
                    run_args[s.B] = net.feedback_weights[l].ravel()
            for l, g in enumerate(objs["layers"][1:]):
                run_args[g.theta] = net.thresholds[l]
                run_args[g.sigma_fire] = _sigma_fire(net, self.firing or net.rule.firing)
            session.rerun(run_args)
            timings = dict(session.timings)
            self.reruns += 1
        else:
            if device is not None and device.has_been_run:
                if session is None:
                    raise ValueError("a second program on a standalone device needs the "
                                     "DeviceSession: pass session= (from use_device)")
                session.new_build()
                device = _standalone_device()
            objs = build_brian_objects(net, self.n_samples, plastic=self.plastic,
                                       firing=self.firing, input_mode=self.input_mode,
                                       record_hidden=self.record_hidden)
            objs["stimulus"].values[:] = stim
            objs["label"].values[:] = label_values
            objs["lr_scale"].values[:] = lr_values
            if session is not None:
                session.run(objs["network"], self.schedule.duration)
                timings = dict(session.timings)
            else:
                objs["network"].run(self.schedule.duration)
                wall = time.perf_counter() - start
                timings = {"wall": wall, "simulation": wall, "build": 0.0}
            self._objects = objs
            self._token = (id(device), device.project_dir) if device is not None else None
            self.builds += 1
        if session is not None:
            session.timings = dict(timings)
        return self._results(net, objs, timings, rerun)

    def _results(self, net, objs, timings, rerun):
        sched = self.schedule
        mon = objs["output_monitor"]
        result = {"counts": sched.counts(np.asarray(mon.i[:]), mon.t[:], net.sizes[-1]),
                  "timings": timings, "rerun": rerun}
        if self.record_hidden:
            result["hidden_counts"] = [sched.counts(np.asarray(m.i[:]), m.t[:], m.source.N)
                                       for m in objs["hidden_monitors"]]
        if self.plastic:
            new = net.copy()
            for l, s in enumerate(objs["synapses"]):
                n_pre, n_post = net.sizes[l], net.sizes[l + 1]
                new.weights[l] = np.asarray(s.w[:]).reshape(n_pre, n_post).copy()
            for l, g in enumerate(objs["layers"][1:]):
                new.thresholds[l] = np.asarray(g.theta[:]).copy()
            result["network"] = new
        return result


def _structure(net: NDLNetwork):
    """What a program is built for (firing noisy/deterministic is a run-time value)."""
    return (net.sizes, net.noise, net.params, replace(net.rule, firing="noisy"), net.feedback)


def train_epoch(net: NDLNetwork, inputs, labels, shuffle_seed=None, session=None,
                lr_scale=1.0):
    """One epoch (one Brian2 run) of NDL training; returns a dict.

    'network': the updated NDLNetwork (the argument is not modified);
    'counts': output spike counts during training (n_samples, n_out);
    'accuracy': training accuracy from those counts; 'order': sample order.
    ``session``: a neuromodels.devices.DeviceSession to run through (timings).
    """
    inputs = np.asarray(inputs)
    labels = np.asarray(labels)
    order = np.arange(len(labels))
    if shuffle_seed is not None:
        order = np.random.default_rng(shuffle_seed).permutation(len(labels))
    program = NDLProgram(net, len(labels), plastic=True, input_mode=_input_mode(inputs))
    res = program.run(net, inputs[order], labels[order], lr_scale=lr_scale, session=session)
    res["order"] = order
    res["accuracy"] = accuracy(res["counts"], labels[order])
    return res


def _input_mode(inputs):
    return "spikes" if np.ndim(inputs) == 3 else "rates"


def evaluate(net: NDLNetwork, inputs, labels=None, firing=None, record_hidden=False,
             session=None):
    """Run without plasticity; returns {'counts', 'predictions', 'accuracy'}.

    ``firing`` defaults to the rule's ('noisy' for NDL, 'deterministic' for the
    surrogate baseline); pass 'deterministic' for noise-free inference.
    """
    inputs = np.asarray(inputs, dtype=float)
    if inputs.shape[-1] != net.sizes[0]:
        raise ValueError(f"inputs have {inputs.shape[-1]} channels, the network has "
                         f"n_in = {net.sizes[0]}")
    program = NDLProgram(net, inputs.shape[0], plastic=False, firing=firing,
                         input_mode=_input_mode(inputs), record_hidden=record_hidden)
    res = program.run(net, inputs, labels, session=session)
    res["predictions"] = predict(res["counts"])
    if labels is not None:
        res["accuracy"] = accuracy(res["counts"], np.asarray(labels))
    return res


def cosine_schedule(epoch: int, epochs: int) -> float:
    """Learning-rate factor of ``epoch`` (0-based) for cosine annealing over ``epochs``."""
    return 0.5 * (1.0 + np.cos(np.pi * epoch / epochs))


def train(net: NDLNetwork, x_train, y_train, x_test=None, y_test=None, *, epochs=1,
          encode=None, seed=0, lr_schedule=cosine_schedule, session=None, progress=None,
          program: NDLProgram | None = None):
    """Train for ``epochs`` epochs; each epoch is ONE Brian2 run that also tests.

    x_train/x_test: analogue inputs in [0, 1] (n, n_in), encoded afresh every
    epoch by ``encode(x, T, rng)`` (default: Bernoulli rate coding, spike
    probability x per step); the training samples are shuffled every epoch.
    The test samples follow the training samples in the same run with
    learning-rate factor 0, so one program (one C++ build) serves every epoch.
    ``program``: an :class:`NDLProgram` for n_train + n_test samples to reuse (e.g. the
    same C++ build for several seeds, or for noisy and deterministic firing).
    Returns a dict: 'network' (trained), 'train_accuracy', 'test_accuracy',
    'epoch_seconds' (wall time of each epoch's run), 'timings' (per epoch),
    'builds', 'reruns'.
    """
    if encode is None:
        from ..datasets.encoding import rate_encode

        def encode(x, T, rng):
            return np.moveaxis(rate_encode(x, T, seed=rng), 0, 1)
    rng = np.random.default_rng(seed)
    x_train, y_train = np.asarray(x_train, dtype=float), np.asarray(y_train)
    n_train = len(y_train)
    has_test = x_test is not None
    if has_test:
        x_test, y_test = np.asarray(x_test, dtype=float), np.asarray(y_test)
    n_total = n_train + (len(y_test) if has_test else 0)
    T = net.params.T
    if program is None:
        program = NDLProgram(net, n_total, plastic=True)
    elif program.n_samples != n_total or not program.plastic:
        raise ValueError(f"program must be plastic and present {n_total} samples; "
                         f"it presents {program.n_samples}")
    builds, reruns = program.builds, program.reruns
    history = {"train_accuracy": [], "test_accuracy": [], "epoch_seconds": [], "timings": []}
    for epoch in range(int(epochs)):
        order = rng.permutation(n_train)
        spikes = encode(x_train[order], T, rng)
        labels = y_train[order]
        lr = np.full(n_total, float(lr_schedule(epoch, epochs)))
        if has_test:
            spikes = np.concatenate([spikes, encode(x_test, T, rng)])
            labels = np.concatenate([labels, y_test])
            lr[n_train:] = 0.0
        res = program.run(net, spikes, labels, lr_scale=lr, session=session)
        net = res["network"]
        counts = res["counts"]
        history["train_accuracy"].append(accuracy(counts[:n_train], y_train[order]))
        if has_test:
            history["test_accuracy"].append(accuracy(counts[n_train:], y_test))
        history["epoch_seconds"].append(res["timings"]["wall"])
        history["timings"].append(res["timings"])
        if progress is not None:
            progress(f"epoch {epoch + 1}/{epochs}: train accuracy "
                     f"{history['train_accuracy'][-1]:.3f}"
                     + (f", test accuracy {history['test_accuracy'][-1]:.3f}" if has_test else "")
                     + f" ({res['timings']['wall']:.2f} s"
                     + (", re-run" if res["rerun"] else "") + ")")
    history.update(network=net, builds=program.builds - builds, reruns=program.reruns - reruns)
    return history


def describe(net: NDLNetwork) -> dict:
    """The model as text: layer equations (with the noise CDF), firing, reset, per-step and
    sample-boundary code, learning signals and rule, and the parameters."""
    p = net.params
    return {
        "layer": LAYER_EQUATIONS.strip() + f"\np_fire = {net.noise.cdf_expr('x_fire')} : 1",
        "threshold": "u_draw < p_fire   (u_draw = rand(), one draw per step)",
        "reset": RESETS[p.reset],
        "surrogate": traces.psi_statement(net.noise.pdf_expr("x_grad")),
        "synaptic_trace": traces.SYNAPTIC_TRACE_STEP,
        "output_error": signals.OUTPUT_ERRORS[p.loss],
        "upstream": signals.UPSTREAM[p.upstream],
        "feedback": signals.FEEDBACK[net.feedback],
        "weight_update": net.rule.synapse_update(),
        "threshold_update": net.rule.neuron_update(),
        "parameters": f"{p}; sizes {net.sizes}; noise {net.noise.name}, sigma {net.sigma}; "
                      f"{net.rule}",
    }


def predict(counts):
    """Class with most output spikes; ties broken towards the lower index."""
    return np.argmax(np.asarray(counts), axis=1)


def accuracy(counts, labels):
    return float(np.mean(predict(counts) == np.asarray(labels)))
