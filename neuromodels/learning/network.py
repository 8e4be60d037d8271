"""A learning network: its parts, and its state (the numbers that learning changes).

:class:`LearningNetwork` composes an :class:`~.layers.InputLayer`, :class:`~.layers.Layer` s,
:class:`~.projections.Projection` s, learning signals (:mod:`.signals`), rules
(:mod:`.rules`) and a :class:`~.readout.Readout`, for samples of ``T`` steps of length
``dt``.  It checks that the parts fit (names, a signal for every trained layer, timings,
no cycle in the signal graph) before anything is built.  :class:`State` holds the numbers:
weights as ``(n_pre, n_post)`` matrices, per-neuron parameters (learned thresholds), and
whatever else a part declares as state; :mod:`.program` turns a network and a state into
Brian2 objects and back.

:func:`feedforward` builds the layered network of the noise-learning study (Ma, Yan &
Tang 2023): escape-noise LIF layers with the reference's discrete-time parameters
(:data:`NDL_NEURON_PARAMETERS`: decay 1/2 per 1 ms step, threshold 1 mV above rest and
reset, no dead time), NDL at sample ends, cross-entropy on the output counts.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from brian2 import Equations, Quantity, mV, ms

from ..neurons.noisy import escape_lif
from ..parameters import ParameterError, ParameterSet
from .layers import InputLayer, Layer
from .projections import Projection
from .readout import Readout
from .rules import NDL
from .schedule import ORDER_LEVEL
from .signals import Feedback, OutputError

__all__ = ["LearningNetwork", "State", "feedforward", "ndl_neuron", "NDL_NEURON_PARAMETERS"]

#: The discrete-time LIF of Ma, Yan & Tang (2023) in physical units: v decays by 1/2 per
#: 1 ms step (tau_m = 1 ms/ln 2), threshold 1 mV above rest, hard reset to rest.
NDL_NEURON_PARAMETERS = {"tau_m": 1 * ms / np.log(2), "E_L": 0 * mV, "v_reset": 0 * mV,
                         "v_th": 1 * mV}


def ndl_neuron(noise="gaussian", sigma=0.4 * mV, deterministic=False, surrogate_sigma=None):
    """The escape-noise LIF of the NDL network (:func:`~neuromodels.neurons.noisy.escape_lif`;
    its parameters: :data:`NDL_NEURON_PARAMETERS`, passed as layer ``params``) without a dead
    time.  (Brian2's ``(unless refractory)`` also drops input that arrives in the step of a
    spike, even with ``t_ref = 0``; the reference's neuron keeps it.)  ``deterministic``:
    Heaviside firing with the same-shaped surrogate of width ``sigma``."""
    if deterministic:
        model = escape_lif(noise, deterministic=True, surrogate_sigma=surrogate_sigma or sigma)
    else:
        model = escape_lif(noise, sigma=sigma, surrogate_sigma=surrogate_sigma)
    return replace(model, name=model.name.replace("escape_lif", "ndl_lif"),
                   equations=model.equations.replace(" (unless refractory)", ""),
                   refractory=None,
                   parameters=ParameterSet(p for p in model.parameters if p.name != "t_ref"))


class State(dict):
    """``{(owner, variable): array}``: weights ``(n_pre, n_post)``, per-neuron values ``(n,)``."""

    def copy(self) -> "State":
        return State({key: value.copy() for key, value in self.items()})

    def __repr__(self):
        return "State(" + ", ".join(f"{o}.{v}: {np.shape(x)}" for (o, v), x in self.items()) + ")"


class LearningNetwork:
    """The parts of a learning network (module docstring)."""

    def __init__(self, input: InputLayer, layers, projections, signals=(), rules=(),
                 readout: Readout | None = None, *, T: int = 20, dt=1 * ms):
        if int(T) != T or T < 1:
            raise ParameterError(f"Parameter 'T' (time steps per sample) must be a whole number "
                                 f">= 1; got {T!r}.")
        self.input, self.T, self.dt = input, int(T), dt
        self.layers = {}
        for layer in layers:
            if layer.name in self.layers or layer.name == input.name:
                raise ParameterError(f"Two populations are named '{layer.name}'.")
            self.layers[layer.name] = layer
        self.projections = list(projections)
        self.signals = list(signals)
        self.rules = list(rules)
        self.readout = readout
        for proj in self.projections:
            if proj.pre not in self.layers and proj.pre != input.name:
                raise ParameterError(f"Projection '{proj.name}': unknown population '{proj.pre}'.")
            if proj.post not in self.layers:
                raise ParameterError(f"Projection '{proj.name}': '{proj.post}' is not a layer.")
        for sig in self.signals:
            for name in (sig.target, *sig.sources()):
                if name not in self.layers:
                    raise ParameterError(f"{sig!r}: '{name}' is not a layer of the network.")
        if readout is not None:
            if readout.layer not in self.layers:
                raise ParameterError(f"Readout: '{readout.layer}' is not a layer.")
            readout.n_classes(self)
        self._models = {}
        for name, layer in self.layers.items():
            model = layer.model
            for rule in self.rules:
                if name in rule.governs(self):
                    model = rule.prepare(layer, model)
            self._models[name] = model
        self.levels = self._levels()
        problems = self._rule_problems()
        for part in [self.input] + self.projections + self.signals + self.rules:
            problems += part.problems(self) if hasattr(part, "problems") else []
        if problems:
            raise ParameterError("The learning network does not fit together:\n  - "
                                 + "\n  - ".join(dict.fromkeys(problems)))
        self.routes = [route for sig in self.signals for route in sig.routes(self)]
        names = [p.name for p in self.projections + self.routes]
        if len(set(names)) != len(names):
            raise ParameterError(f"Two projections have the same name: {names}.")

    # -- structure ----------------------------------------------------------------------
    def size(self, name) -> int:
        return self.input.n if name == self.input.name else self.layers[name].n

    def model(self, name):
        """The neuron model of layer ``name`` as trained (a learned threshold per neuron)."""
        return self._models[name]

    def projection(self, name):
        """The projection named ``name``; None where the network has none of that name."""
        return next((p for p in self.projections if p.name == name), None)

    def signals_into(self, name):
        return [sig for sig in self.signals if sig.target == name]

    def populations(self):
        return [self.input.name, *self.layers]

    def order(self, name) -> int:
        """Scheduling order of a population's group: grows with its level in the signal graph
        (the output is 0), so that per-sample signals are computed output first."""
        if name == self.input.name:
            return ORDER_LEVEL * (max(self.levels.values(), default=0) + 1)
        return ORDER_LEVEL * self.levels[name]

    def _levels(self):
        """Longest path from a layer without incoming feedback, along feedback routes."""
        below = {name: [s.target for s in self.signals if name in s.sources()]
                 for name in self.layers}
        level = {name: 0 for name in self.layers}
        for _ in range(len(self.layers) + 1):
            changed = False
            for src, targets in below.items():
                for tgt in targets:
                    if level[tgt] < level[src] + 1:
                        level[tgt] = level[src] + 1
                        changed = True
            if not changed:
                return level
        raise ParameterError("The learning signals form a cycle (a layer's signal depends on "
                             "itself); per-sample feedback must flow from the output down.")

    def _rule_problems(self) -> list[str]:
        """Which rules train which layer, and whether their signals fit (every problem)."""
        out, governed = [], {}
        for rule in self.rules:
            for name in rule.governs(self):
                if name not in self.layers:
                    out.append(f"{rule!r} trains '{name}', which is not a layer.")
                    continue
                for other in governed.get(name, []):
                    unsupervised = getattr(rule, "unsupervised", False) or \
                        getattr(other, "unsupervised", False)
                    if (rule.learns_weights and other.learns_weights) or \
                            (rule.learns_thresholds and other.learns_thresholds):
                        out.append(f"Layer '{name}' is trained by two rules that change the same "
                                   f"values ({other.NAME} and {rule.NAME}); give them "
                                   f"learn='weights' and learn='thresholds'.")
                    elif not unsupervised and other.signal_timing != rule.signal_timing:
                        out.append(f"Layer '{name}': its rules read the learning signal at "
                                   f"different timings ({other.signal_timing!r}, "
                                   f"{rule.signal_timing!r}).")
                governed.setdefault(name, []).append(rule)
                if getattr(rule, "unsupervised", False):   # needs no learning signal
                    continue
                sigs = self.signals_into(name)
                if not sigs:
                    out.append(f"Layer '{name}' is trained but receives no learning signal "
                               f"(add an OutputError or a Feedback into it).")
                wrong = [s for s in sigs if s.timing != rule.signal_timing]
                if wrong:
                    out.append(f"Layer '{name}' is trained with a learning signal at timing "
                               f"'{rule.signal_timing}' but receives {wrong[0]!r}; the signals "
                               f"of a layer must have the timing its rule reads.")
        for sig in self.signals:
            for src in sig.sources():
                timings = {r.signal_timing for r in governed.get(src, [])
                           if not getattr(r, "unsupervised", False)}
                if timings and sig.timing not in timings:
                    out.append(f"{sig!r} has timing '{sig.timing}' but its source is trained "
                               f"with signals at '{timings.pop()}'.")
        self.governed = governed
        return out

    def parts(self):
        """Every part that contributes code, in a fixed order."""
        return [self.input, *self.layers.values(), *self.projections, *self.routes,
                *self.signals, *self.rules]

    # -- state --------------------------------------------------------------------------
    def initial_state(self, seed=0) -> State:
        """Initial weights (projections in order, then feedback routes; one numpy generator
        seeded with ``seed``) and per-neuron parameters (the layers' ``params`` or defaults)."""
        rng = np.random.default_rng(seed)
        state = State()
        for proj in self.projections + self.routes:
            for var, value in proj.initial_state(self, rng).items():
                state[proj.name, var] = value
        for name, layer in self.layers.items():
            model = self.model(name)
            for var in layer.state_variables(model):
                if var in model.local_parameters:
                    value = layer.params.get(var, model.local_parameters[var].default)
                    value = model.local_parameters[var].check(value)
                elif var in dict(model.initial):
                    value = dict(model.initial)[var]
                    if isinstance(value, str):
                        value = layer.parameter(value, model)
                else:
                    raise ParameterError(f"Layer '{name}': state variable '{var}' has no "
                                         f"initial value; give it in the model's `initial`.")
                unit = Quantity(1, dim=Equations(model.equations)[var].dim)
                state[name, var] = Quantity(np.broadcast_to(np.asarray(value / unit, float),
                                                            (layer.n,)).copy(), dim=unit.dim)
        return state

    def check_state(self, state: State):
        want = set(self.initial_state_keys())
        have = set(state)
        if want != have:
            raise ParameterError(f"The state does not fit the network: missing "
                                 f"{sorted(want - have)}, unknown {sorted(have - want)}.")

    def built_in_values(self) -> dict:
        """(part, name) -> value (as text) of the parameters a program is built with (C++
        standalone: constants of its code): each layer's parameters that are not state of
        the network, and each projection's synapse model's parameters (a rule's learning
        rates are run-time values, not among them)."""
        state, out = set(self.initial_state_keys()), {}
        for name, layer in self.layers.items():
            out.update({(name, k): repr(v) for k, v in layer.params.items()
                        if (name, k) not in state})
        for proj in self.projections + self.routes:
            model = getattr(proj, "synapse", None)
            for par in (model.parameters if model is not None else ()):
                out[proj.name, par.name] = repr(par.default)
        return out

    def initial_state_keys(self):
        keys = [(p.name, v) for p in self.projections + self.routes for v in
                p.code(self)[p.name].state]
        for name, layer in self.layers.items():
            keys += [(name, v) for v in layer.state_variables(self.model(name))]
        return keys

    def describe(self) -> dict:
        """The network as text: every part, and each layer's neuron model."""
        out = {"parts": "\n".join(repr(p) for p in self.parts() + [self.readout]),
               "T": str(self.T), "dt": str(self.dt)}
        for name in self.layers:
            out[f"model_{name}"] = str(self.model(name))
        return out

    def __repr__(self):
        return f"LearningNetwork({', '.join(self.populations())}; T={self.T}, dt={self.dt})"


def feedforward(sizes, neuron, *, params=None, feedback="symmetric", loss="ce", rule=None,
                per_class=1, T=20, dt=1 * ms, beta=10.0, init_scale=2 * mV, input_mode="spikes",
                layer_state=()) -> LearningNetwork:
    """A chain ``sizes[0] - ... - sizes[-1]`` of layers of ``neuron`` (one NeuronModel, or one
    per trained layer), trained by ``rule`` (default :class:`~.rules.NDL`) from the output's
    error (``loss``), routed down layer by layer (``feedback``: 'symmetric' or 'random').
    Layers are named 'hidden' (or 'hidden1', 'hidden2', ...) and 'output'; ``params`` are the
    layers' parameter overrides (default :data:`NDL_NEURON_PARAMETERS`)."""
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2:
        raise ParameterError(f"sizes must list the input and at least one layer; got {sizes}.")
    n_hidden = len(sizes) - 2
    names = (["hidden"] if n_hidden == 1 else [f"hidden{k + 1}" for k in range(n_hidden)]) \
        + ["output"]
    neurons = list(neuron) if isinstance(neuron, (list, tuple)) else [neuron] * len(names)
    params = NDL_NEURON_PARAMETERS if params is None else params
    layers = [Layer(name, n, model, params=params, state=layer_state)
              for name, n, model in zip(names, sizes[1:], neurons)]
    pre = ["input"] + names[:-1]
    projections = [Projection(a, b, init_scale=init_scale) for a, b in zip(pre, names)]
    signals = [OutputError("output", loss=loss, beta=beta)]
    signals += [Feedback(upper, lower, weights=feedback)
                for upper, lower in zip(names[:0:-1], names[-2::-1])]
    return LearningNetwork(InputLayer(sizes[0], mode=input_mode), layers, projections, signals,
                   [rule or NDL()], Readout("output", per_class=per_class), T=T, dt=dt)
