"""The pieces of the differentiable twin (:mod:`.twin`): one layer and one projection,
translated from the model strings the Brian2 program runs (:mod:`.jax_code`).

:class:`LayerTwin`: a layer's state update, threshold, reset, firing (P(v) and dP/dv, the
surrogate spike function) and start values; :class:`ProjectionTwin`: a projection's mask and
``on_pre`` = ``<var>_post += <expr>`` as a weight matrix.  Every piece that cannot be
translated is appended to ``problems`` (the twin names them all in one error).
"""
from __future__ import annotations

import numpy as np
from brian2 import Equations, Quantity

from .jax_code import Expression, Statements, TwinError, antiderivative, lambdify, \
    state_update_code, subexpression_order

__all__ = ["LayerTwin", "ProjectionTwin"]

_DRAW = "rand()"


def _si(value) -> float:
    return float(np.asarray(value, dtype=float)) if not isinstance(value, Quantity) \
        else float(value)


class LayerTwin:
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
        self.spiking = layer.spiking(model)      # a non-spiking readout has no threshold
        self.threshold = Expression(model.threshold, known, f"{where}, threshold",
                                    problems) if self.spiking else None
        self.reset = Statements(model.reset or "", known, f"{where}, reset", problems)
        self.derivative = Expression(model.firing.derivative, known, f"{where}, dP/dv",
                                     problems)
        self.probability = None           # P(spike) of the step, where a per-step error reads it
        self._probability = (model.firing.probability, known, f"{where}, firing probability")
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


class ProjectionTwin:
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
