r"""The differentiable twin of a learning network: BPTT with a surrogate derivative.

:class:`Twin` generates a JAX version of a :class:`~.network.LearningNetwork` from the SAME
Brian2 definitions the Brian2 program runs (:mod:`.jax_code`: the state update Brian2
generates, the threshold condition, the reset, each synapse's ``on_pre``, the firing
declaration), with the parameter values of the layers in SI units, float64.  It replays the
program's time step exactly (:mod:`.schedule`): every sample starts from the layers'
initial values; in step n, the state update of every layer ('groups'), every threshold
('thresholds'), the delivery of step n's spikes, the input's included ('synapses'), the
resets ('resets') -- as ``jax.lax.scan`` over steps, ``vmap`` over samples.  Uniform draws
of a model's per-step code (``u_draw = rand()`` at 'start') are drawn from a JAX key: the
same distribution as Brian2's, not the same numbers (a deterministic model fires alike for
every draw).

A spike :math:`s = H(\text{threshold})` is differentiated through the model's declared
:math:`dP/dv` (``model.firing.derivative``): the surrogate gradient.  Its partial derivatives
in the other variables (a learned threshold) are those of the smooth
:math:`P(v) = \int_{-\infty}^v dP/dv'\,dv'` (:func:`~.jax_code.antiderivative`; the normal
CDF for a Gaussian surrogate).  The *smoothed* network (``smooth=True``) fires :math:`P(v)`
itself and resets by :math:`x \to x + s\,(x_{reset} - x)`, a differentiable network whose
exact gradient the same spike function gives -- what central finite differences check.

Losses (the readout's, as :class:`~.signals.OutputError` defines them, mean over samples):
'ce' :math:`-\log\mathrm{softmax}(\beta s)_y` with :math:`s_c = \sum_{o\in c} n_o/(PT)`;
'mse' :math:`\tfrac12\sum_o (n_o/T - y_o)^2`.

    twin = Twin(net)
    params = twin.parameters(state)                      # {'input_to_hidden': W, ...}
    loss, grads = twin.loss_and_gradient(params, spikes, labels)
    state = twin.state(params, state)                    # back to a State with units
"""
from __future__ import annotations

import numpy as np
from brian2 import Equations, Quantity

from ..exact.precision import in_float64
from .jax_code import (Expression, Statements, TwinError, antiderivative, lambdify,
                       state_update_code, subexpression_order)
from .network import State

__all__ = ["Twin", "TwinError"]

_DRAW = "rand()"


def _si(value) -> float:
    return float(np.asarray(value, dtype=float)) if not isinstance(value, Quantity) \
        else float(value)


class _LayerTwin:
    """One layer: its translated state update, threshold, reset, firing and start values."""

    def __init__(self, network, name, problems):
        layer, model = network.layers[name], network.model(name)
        where = f"layer '{name}' (model '{model.name}')"
        eqs = Equations(model.equations)
        self.name, self.n, self.membrane = name, layer.n, model.firing.membrane
        if model.refractory is not None or any("unless refractory" in eqs[v].flags
                                               for v in eqs.diff_eq_names):
            problems.append(f"{where}: refractory period ({model.refractory!r})")
        if eqs.stochastic_variables:
            problems.append(f"{where}: noise {sorted(eqs.stochastic_variables)} in the equations")
        if layer.extra_state:
            problems.append(f"{where}: variables kept across samples {layer.extra_state}")
        self.shared = {k: _si(v) for k, v in model.namespace(layer.params).items()}
        self.shared["dt"] = _si(network.dt)
        self.per_neuron = [p.name for p in model.local_parameters]
        subs = set(eqs.subexpr_names)
        self.variables = [v for v in eqs.names if v not in subs and v not in self.per_neuron]
        known = set(eqs.names) | set(self.shared)
        self.draws = []
        for code, when in model.run_regularly:
            var, _, rhs = code.partition("=")
            if rhs.strip() == _DRAW and var.strip() in self.variables and when == "start":
                self.draws.append(var.strip())
            else:
                problems.append(f"{where}: per-step code {code!r} at {when!r} (only 'x = rand()' "
                                f"at 'start', a uniform draw per step, is translated)")
        self.subexpressions = subexpression_order(eqs)
        self._subs = [(n, Expression(e, known, f"{where}, subexpression {n}", problems))
                      for n, e in self.subexpressions]
        try:
            update = state_update_code(eqs, model.method, f"twin_{name}")
        except Exception as err:   # Brian2's own refusal (a method that cannot integrate)
            problems.append(f"{where}: state update ({err})")
            update = ""
        self.update = Statements(update, known, f"{where}, state update", problems)
        self.threshold = Expression(model.threshold or "False", known, f"{where}, threshold",
                                    problems)
        self.reset = Statements(model.reset or "", known, f"{where}, reset", problems)
        self.derivative = Expression(model.firing.derivative, known, f"{where}, dP/dv",
                                     problems)
        self.initial = []
        for var, value in model.initial:
            if var in self.per_neuron:
                continue
            if isinstance(value, str):
                value = Expression(value, known, f"{where}, initial value of {var}", problems)
            else:
                value = _si(value)
            self.initial.append((var, value))
        self._where, self._smooth = where, None

    # -- evaluation ----------------------------------------------------------------------
    def full(self, base):
        """``base`` (variables and per-neuron parameters) with shared values and the
        subexpressions."""
        env = {**self.shared, **base}
        for name, expr in self._subs:
            env[name] = expr(env)
        return env

    def start(self, per_neuron):
        """The variables at a sample start (Layer.code: initial values, else 0)."""
        import jax.numpy as jnp

        base = {v: jnp.zeros(self.n) for v in self.variables}
        env = {**self.shared, **per_neuron, **base}
        for var, value in self.initial:
            value = value(env) if isinstance(value, Expression) else value
            base[var] = env[var] = jnp.broadcast_to(jnp.asarray(value, dtype=float), (self.n,))
        return base

    def smooth(self):
        """P(v) as a JAX function of the base environment (lazy: sympy integrates once)."""
        if self._smooth is None:
            expr = antiderivative(self.derivative.code, self.membrane,
                                  self.subexpressions, self.shared)
            if expr is None:
                raise TwinError(f"The smoothed twin of {self._where} needs P(v) = the integral "
                                f"of dP/dv = {self.derivative.code!r}, which sympy cannot "
                                f"integrate in closed form.")
            names = sorted(s.name for s in expr.free_symbols)
            f = lambdify(expr, names)
            self._smooth = lambda base: f(*(base[n] for n in names))
        return self._smooth

    def spike_function(self, smooth: bool):
        """s(base): the hard (threshold) or smooth (P(v)) spike, differentiated through dP/dv
        in the membrane and through P(v)'s partial derivatives in the other variables."""
        import jax
        import jax.numpy as jnp

        membrane = self.membrane

        def hard(base):
            return jnp.asarray(self.threshold(self.full(base)), dtype=float) * jnp.ones(self.n)

        primal = (lambda base: self.smooth()(base) * jnp.ones(self.n)) if smooth else hard

        @jax.custom_jvp
        def spike(base):
            return primal(base)

        @spike.defjvp
        def _jvp(primals, tangents):
            (base,), (dbase,) = primals, tangents
            out = primal(base)
            tangent = self.derivative(self.full(base)) * dbase[membrane]
            rest = {k: (jnp.zeros_like(t) if k == membrane else t) for k, t in dbase.items()}
            try:
                p_smooth = self.smooth()
            except TwinError:
                if smooth:
                    raise
                return out, tangent          # no P(v): the surrogate in the membrane only
            tangent = tangent + jax.jvp(lambda b: p_smooth(b) * jnp.ones(self.n),
                                        (base,), (rest,))[1]
            return out, tangent

        return spike


class _ProjectionTwin:
    """One projection: its mask and ``on_pre`` = ``<var>_post += <expr>`` as a weight matrix."""

    def __init__(self, network, proj, layers, problems):
        syn = proj.synapse_model(network)
        where = f"projection '{proj.name}' (synapse model '{syn.name}')"
        self.name, self.pre, self.post = proj.name, proj.pre, proj.post
        self.mask = np.asarray(proj.mask(network), dtype=float)
        eqs = Equations(syn.model)
        others = sorted(set(eqs.names) - {"w"})
        if others or syn.local_parameters:
            problems.append(f"{where}: synaptic variables besides w "
                            f"{others + [p.name for p in syn.local_parameters]}")
        if syn.on_post:
            problems.append(f"{where}: on_post {syn.on_post!r}")
        self.shared = {k: _si(v) for k, v in syn.namespace().items()}
        self.shared["dt"] = _si(network.dt)
        lines = [line.strip() for line in (syn.on_pre or "").splitlines()
                 if line.split("#")[0].strip()]
        target, op, expr = (lines[0].partition("+=") if len(lines) == 1 else ("", "", ""))
        target = target.strip()
        post_vars = layers[proj.post].variables
        pre_vars = layers[proj.pre].variables if proj.pre in layers else []
        self.target = target[:-len("_post")] if target.endswith("_post") else None
        if not op or self.target not in post_vars:
            problems.append(f"{where}: on_pre {syn.on_pre!r} is not '<variable>_post += "
                            f"<expression>' (one statement)")
            self.target = None
        known = ({"w"} | set(self.shared) | {f"{v}_post" for v in post_vars}
                 | {f"{v}_pre" for v in pre_vars})
        self.effect = Expression(expr.strip() or "w", known, f"{where}, on_pre", problems)

    def deliver(self, w, spikes, pre_env, post_env):
        """Sum over spiking presynaptic neurons of the on_pre expression, per target."""
        import jax.numpy as jnp

        env = {**self.shared, "w": w}
        env.update({f"{k}_pre": jnp.asarray(v)[:, None] for k, v in pre_env.items()})
        env.update({f"{k}_post": jnp.asarray(v)[None, :] for k, v in post_env.items()})
        effect = self.effect(env) if self.effect.names != ["w"] else w
        return spikes @ (jnp.broadcast_to(effect, self.mask.shape) * self.mask)


class Twin:
    """The differentiable twin of ``network`` (module docstring).  Every piece that cannot be
    translated is named in ONE :class:`TwinError`, raised here."""

    def __init__(self, network):
        problems = []
        if network.input.mode != "spikes":
            problems.append(f"input '{network.input.name}': mode {network.input.mode!r} (spike "
                            f"probabilities drawn in the run; the twin takes 0/1 spikes)")
        self.network = network
        self.layers = {name: _LayerTwin(network, name, problems) for name in network.layers}
        self.projections = [_ProjectionTwin(network, p, self.layers, problems)
                            for p in network.projections]
        if problems:
            raise TwinError("The differentiable twin cannot translate:\n  - "
                            + "\n  - ".join(problems))
        self.T, self.dt = network.T, network.dt
        self._compiled = {}

    # -- parameters ------------------------------------------------------------------------
    def keys(self):
        """The state keys the twin differentiates: weights, then per-neuron parameters."""
        return [(p.name, "w") for p in self.projections] + [
            (name, var) for name, layer in self.layers.items() for var in layer.per_neuron]

    @staticmethod
    def _name(key):
        return key[0] if key[1] == "w" else f"{key[0]}.{key[1]}"

    @in_float64
    def parameters(self, state: State) -> dict:
        """``{name: float64 array in SI units}`` of the state: weights ``(n_pre, n_post)`` by
        projection name, per-neuron parameters as ``'layer.var'``."""
        import jax.numpy as jnp

        return {self._name(k): jnp.asarray(np.asarray(state[k], dtype=float)) for k in self.keys()}

    def state(self, params: dict, state: State) -> State:
        """A copy of ``state`` with the values of ``params`` (in the state's units)."""
        new = state.copy()
        for key in self.keys():
            value = np.asarray(params[self._name(key)], dtype=float)
            old = state[key]
            new[key] = Quantity(value, dim=old.dim) if isinstance(old, Quantity) else value
        return new

    # -- forward ---------------------------------------------------------------------------
    def _sample(self, params, spikes, draws, smooth):
        """Spikes {layer: (T, n)} of one sample (spikes: (T, n_in))."""
        import jax
        import jax.numpy as jnp

        per_neuron = {name: {v: params[f"{name}.{v}"] for v in layer.per_neuron}
                      for name, layer in self.layers.items()}
        fire = {name: layer.spike_function(smooth) for name, layer in self.layers.items()}
        start = {name: layer.start(per_neuron[name]) for name, layer in self.layers.items()}
        inp = self.network.input.name

        def step(carry, xs):
            x, drawn = xs
            env = {}
            for name, layer in self.layers.items():      # 'start' draws, 'groups' update
                base = {**carry[name], **drawn[name], **per_neuron[name]}
                new = layer.update(layer.full(base))
                env[name] = {**base, **{v: new[v] for v in layer.variables}}
            s = {name: fire[name](env[name]) for name in self.layers}   # 'thresholds'
            s[inp] = x
            delivered = {name: dict(e) for name, e in env.items()}
            for proj in self.projections:                               # 'synapses'
                pre_env = env.get(proj.pre, {})
                delivered[proj.post][proj.target] = delivered[proj.post][proj.target] + \
                    proj.deliver(params[proj.name], s[proj.pre], pre_env, env[proj.post])
            out = {}
            for name, layer in self.layers.items():      # 'resets'
                base = delivered[name]
                reset = layer.reset(layer.full(base))
                k = s[name]
                hard = jax.lax.stop_gradient(k) > 0.5
                out[name] = {}
                for v in layer.variables:
                    old = base[v]
                    if v not in layer.reset.targets:
                        out[name][v] = old
                    elif smooth:
                        out[name][v] = old + k * (reset[v] - old)
                    else:    # the exact reset, with the smoothed reset's derivative
                        out[name][v] = jnp.where(hard, reset[v], old) + \
                            (k - jax.lax.stop_gradient(k)) * (reset[v] - old)
            return out, {name: s[name] for name in self.layers}

        _, spikes_out = jax.lax.scan(step, start, (spikes, draws))
        return spikes_out

    def _draws(self, key, n_samples):
        """Uniform draws {layer: {var: (n_samples, T, n)}} of the models' per-step code."""
        import jax

        draws, k = {}, 0
        for name, layer in self.layers.items():
            draws[name] = {}
            for var in layer.draws:
                draws[name][var] = jax.random.uniform(jax.random.fold_in(key, k),
                                                      (n_samples, self.T, layer.n))
                k += 1
        return draws

    def _check_inputs(self, inputs):
        shape = np.shape(inputs)
        n_in = self.network.input.n
        if len(shape) != 3 or shape[1:] != (self.T, n_in):
            raise TwinError(f"inputs must be 0/1 spikes of shape (n_samples, T={self.T}, "
                            f"n_in={n_in}); got {shape}.")

    @in_float64
    def run(self, params, inputs, *, smooth=False, key=None) -> dict:
        """Spikes (smooth: firing probabilities) ``{layer: (n_samples, T, n)}`` for input
        spikes ``inputs`` (n_samples, T, n_in); ``key``: the JAX key of the per-step draws
        (default ``PRNGKey(0)``)."""
        import jax
        import jax.numpy as jnp

        self._check_inputs(inputs)
        inputs = jnp.asarray(inputs, dtype=float)
        key = jax.random.PRNGKey(0) if key is None else key
        draws = self._draws(key, inputs.shape[0])
        if smooth not in self._compiled:
            self._compiled[smooth] = jax.jit(lambda p, x, d: jax.vmap(
                lambda xi, di: self._sample(p, xi, di, smooth))(x, d))
        return self._compiled[smooth](params, inputs, draws)

    def counts(self, params, inputs, **kwargs) -> dict:
        """Spike counts per sample ``{layer: (n_samples, n)}``."""
        return {name: s.sum(axis=1) for name, s in self.run(params, inputs, **kwargs).items()}

    # -- loss and gradient -----------------------------------------------------------------
    def _output_error(self):
        from .signals import OutputError

        readout = self.network.readout
        for sig in self.network.signals:
            if isinstance(sig, OutputError) and readout is not None \
                    and sig.layer == readout.layer:
                if sig.timing != "sample":
                    raise TwinError(f"The twin's loss is the per-sample loss of {sig!r}; its "
                                    f"timing is {sig.timing!r}.")
                return sig
        raise TwinError("The twin's loss is the readout's OutputError; the network has none "
                        "(add OutputError(readout layer) and a Readout).")

    @in_float64
    def losses_of_counts(self, counts, labels):
        """The readout's loss of each sample (n_samples,) from output counts (n_samples, n_out)."""
        import jax
        import jax.numpy as jnp

        sig, readout = self._output_error(), self.network.readout
        n_out = counts.shape[-1]
        cls = readout.classes(n_out)
        n_classes = readout.n_classes(self.network)
        labels = jnp.asarray(labels)
        if sig.p["loss"] == "ce":
            member = jnp.asarray(cls[:, None] == np.arange(n_classes)[None, :], dtype=float)
            scores = counts @ member / (readout.per_class * self.T)
            logp = jax.nn.log_softmax(sig.p["beta"] * scores, axis=-1)
            return -jnp.take_along_axis(logp, labels[:, None].astype(int), axis=1)[:, 0]
        on = jnp.asarray(cls)[None, :] == labels[:, None]
        target = sig.p["y_off"] + (sig.p["y_on"] - sig.p["y_off"]) * on
        return 0.5 * jnp.sum((counts / self.T - target) ** 2, axis=1)

    @in_float64
    def loss_of_counts(self, counts, labels):
        """The mean over samples of :meth:`losses_of_counts`."""
        return self.losses_of_counts(counts, labels).mean()

    @in_float64
    def loss(self, params, inputs, labels, *, smooth=False, key=None):
        counts = self.counts(params, inputs, smooth=smooth, key=key)
        return self.loss_of_counts(counts[self.network.readout.layer], labels)

    @in_float64
    def loss_and_gradient(self, params, inputs, labels, *, smooth=False, key=None):
        """(loss, d loss/d params): BPTT through the surrogate spike (smooth: the exact
        gradient of the smoothed network)."""
        import jax

        self._check_inputs(inputs)
        key = jax.random.PRNGKey(0) if key is None else key
        name = ("gradient", smooth)
        if name not in self._compiled:
            def loss(p, x, y, d):
                spikes = jax.vmap(lambda xi, di: self._sample(p, xi, di, smooth))(x, d)
                return self.loss_of_counts(spikes[self.network.readout.layer].sum(axis=1), y)

            self._compiled[name] = jax.jit(jax.value_and_grad(loss))
        return self._compiled[name](params, jax.numpy.asarray(inputs, dtype=float),
                                    jax.numpy.asarray(labels), self._draws(key, len(inputs)))
