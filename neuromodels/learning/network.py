"""Layered networks of escape-noise LIF neurons trained by noise-driven learning.

The network state (weights, thresholds, feedback weights) lives in numpy
arrays in an :class:`NDLNetwork`.  :func:`train_epoch` and :func:`evaluate`
build Brian2 objects from it, present the whole data set in one continuous
run (:mod:`.schedule`) and read the results back; everything during the run
(dynamics, traces, learning signals, updates) is Brian2 generated code.

Device handling is left to the caller: wrap the call in the package's device
context (e.g. ``with use_device('cpp_standalone'): train_epoch(...)``); the
functions read all results before returning.  One call = one ``Network.run``.

Neuron model (dimensionless, discrete time; Ma, Yan & Tang 2023):
``v <- a*v`` every step (a = exp(-dt/tau_m), default 0.5), synaptic input
``v += w`` on presynaptic spikes, fire with probability F((v - theta)/sigma)
from one uniform draw, hard reset to 0 (or subtract theta, or no reset).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Equations, Network, NeuronGroup, SpikeMonitor, Synapses, ms

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
    "train_epoch",
    "evaluate",
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
    beta: float = 5.0
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


def _layer_namespace(net: NDLNetwork, firing: str):
    p = net.params
    sigma = net.sigma
    sigma_fire = sigma if firing == "noisy" else sigma * 1e-28
    ns = {"tau_m": p.tau_m, "tau_x": p.tau_m, "sigma_fire": sigma_fire, "sigma_grad": sigma,
          "T_steps": float(p.T), "y_on": p.y_on, "y_off": p.y_off, "beta": p.beta,
          "k_up": p.k_up}
    ns.update(net.noise.namespace)
    ns.update(net.rule.namespace())
    return ns


def build_brian_objects(net: NDLNetwork, inputs, labels, plastic=True, firing=None,
                        input_mode=None, record_hidden=False):
    """Brian2 objects for one pass over ``inputs``; returns a dict.

    inputs: 0/1 spikes (n_samples, T, n_in) or spike probabilities
    (n_samples, n_in) (then drawn by Brian2's rand()).  labels: (n_samples,)
    integers (only used if plastic).  firing: 'noisy' | 'deterministic'
    (default: the rule's).  Keys: 'network', 'schedule', 'layers' (input
    first), 'synapses', 'output_monitor', 'hidden_monitors'.
    """
    p = net.params
    inputs = np.asarray(inputs, dtype=float)
    if input_mode is None:
        input_mode = "spikes" if inputs.ndim == 3 else "rates"
    signals.check_choice(input_mode, INPUT_READ, "input_mode")
    firing = firing or net.rule.firing
    signals.check_choice(firing, ("noisy", "deterministic"), "firing")
    n_samples = inputs.shape[0]
    if inputs.shape[-1] != net.sizes[0]:
        raise ValueError(f"inputs have {inputs.shape[-1]} channels, the network has "
                         f"n_in = {net.sizes[0]}")
    sched = sch.SampleSchedule(n_samples, p.T, p.dt)
    stim = sched.spike_stimulus(inputs) if input_mode == "spikes" else sched.rate_stimulus(inputs)
    if labels is None:
        labels = np.zeros(n_samples)
    label_ta = sched.label_array(labels)
    ns = _layer_namespace(net, firing)
    ns.update({"stimulus": stim, "label": label_ta})
    n_layers = len(net.sizes) - 1
    objects = []

    # input layer
    inp = NeuronGroup(net.sizes[0], Equations(INPUT_EQUATIONS) +
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
        objects.append(g)
        objects.append(sched.every_step(
            g, "u_draw = rand()\n" + traces.psi_statement(pdf_grad), sch.ORDER_DRAW + order))
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
            z = Synapses(g, g, model=signals.SOFTMAX_NORMALISER, namespace=ns, dt=p.dt,
                         name="nm_softmax")
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
            m = SpikeMonitor(g)
            hidden_mons.append(m)
            objects.append(m)
    network = Network(*objects)
    return {"network": network, "schedule": sched, "layers": layers, "synapses": synapses,
            "output_monitor": out_mon, "hidden_monitors": hidden_mons}


def _check_synapse_order(syn, n_pre, n_post):
    i = np.asarray(syn.i[:])
    j = np.asarray(syn.j[:])
    if not (np.array_equal(i, np.repeat(np.arange(n_pre), n_post))
            and np.array_equal(j, np.tile(np.arange(n_post), n_pre))):
        # reorder (should not happen with connect() all-to-all)
        return np.lexsort((j, i))
    return None


def _run(net: NDLNetwork, inputs, labels, plastic, firing, record_hidden=False, session=None):
    objs = build_brian_objects(net, inputs, labels, plastic=plastic, firing=firing,
                               record_hidden=record_hidden)
    sched = objs["schedule"]
    if session is not None:   # neuromodels.devices.DeviceSession: times build and run
        session.run(objs["network"], sched.duration)
    else:
        objs["network"].run(sched.duration)
    mon = objs["output_monitor"]
    counts = sched.counts(mon.i[:], mon.t[:], net.sizes[-1])
    result = {"counts": counts}
    if record_hidden:
        result["hidden_counts"] = [sched.counts(m.i[:], m.t[:], m.source.N)
                                   for m in objs["hidden_monitors"]]
    if plastic:
        new = net.copy()
        for l, s in enumerate(objs["synapses"]):
            w = np.asarray(s.w[:])
            n_pre, n_post = net.sizes[l], net.sizes[l + 1]
            idx = _check_synapse_order(s, n_pre, n_post)
            if idx is not None:
                w = w[idx]
            new.weights[l] = w.reshape(n_pre, n_post)
        for l, g in enumerate(objs["layers"][1:]):
            new.thresholds[l] = np.asarray(g.theta[:]).copy()
        result["network"] = new
    return result


def train_epoch(net: NDLNetwork, inputs, labels, shuffle_seed=None, session=None):
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
    res = _run(net, inputs[order], labels[order], plastic=True, firing=None, session=session)
    res["order"] = order
    res["accuracy"] = accuracy(res["counts"], labels[order])
    return res


def evaluate(net: NDLNetwork, inputs, labels=None, firing=None, record_hidden=False,
             session=None):
    """Run without plasticity; returns {'counts', 'predictions', 'accuracy'}.

    ``firing`` defaults to the rule's ('noisy' for NDL, 'deterministic' for the
    surrogate baseline); pass 'deterministic' for noise-free inference.
    """
    res = _run(net, inputs, labels, plastic=False, firing=firing, record_hidden=record_hidden,
               session=session)
    res["predictions"] = predict(res["counts"])
    if labels is not None:
        res["accuracy"] = accuracy(res["counts"], np.asarray(labels))
    return res


def predict(counts):
    """Class with most output spikes; ties broken towards the lower index."""
    return np.argmax(np.asarray(counts), axis=1)


def accuracy(counts, labels):
    return float(np.mean(predict(counts) == np.asarray(labels)))
