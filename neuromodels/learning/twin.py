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
every draw).  A 'rates' input draws its spikes so too, :math:`\mathbb{1}[u < r]` per step
and channel from the sample's probabilities :math:`r` (:meth:`Twin._input_spikes`); an
input's ``rest`` steps are silent, as in the Brian2 program.

A spike :math:`s = H(\text{threshold})` is differentiated through the model's declared
:math:`dP/dv` (``model.firing.derivative``): the surrogate gradient.  Its partial derivatives
in the other variables (a learned threshold) are those of the smooth
:math:`P(v) = \int_{-\infty}^v dP/dv'\,dv'` (:func:`~.jax_code.antiderivative`; the normal
CDF for a Gaussian surrogate).  The *smoothed* network (``smooth=True``) fires :math:`P(v)`
itself and resets by :math:`x \to x + s\,(x_{reset} - x)`, a differentiable network whose
exact gradient the same spike function gives -- what central finite differences check.

A non-spiking layer (a leaky readout: no threshold) never spikes; its output is its
membrane variable ``y`` after each step, what the layers above and the loss read, and its
tally (the Brian2 program's 'counts') is ``y`` summed over the sample.  ``detach_reset=True``
makes the jump of each membrane's reset a constant for the gradient (e-prop's convention,
Bellec et al. 2020, Methods: the surrogate flows through v, not through the reset's
dependence on the spike); with it, e-prop's updates are the exact BPTT gradient of a
network without recurrence.

Losses: the readout's :class:`~.signals.OutputError`, per sample or per step, with its
window and targets (:mod:`.twin_losses`); :meth:`Twin.losses` per sample (the program's
``res['loss']``), mean over samples in :meth:`Twin.loss_and_gradient`.  Gradients with respect
to the input (attacks): :meth:`Twin.input_gradient` (the 0/1 spike array) and
:meth:`Twin.rate_gradient` (Bernoulli rates, straight-through).

    twin = Twin(net)
    params = twin.parameters(state)                      # {'input_to_hidden': W, ...}
    loss, grads = twin.loss_and_gradient(params, spikes, labels)
    state = twin.state(params, state)                    # back to a State with units
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity

from ..exact.precision import in_float64
from .jax_code import Expression, TwinError
from .network import State
from .twin_layers import LayerTwin, ProjectionTwin
from .twin_losses import reads_probability, sample_loss

__all__ = ["Twin", "TwinError"]


class Twin:
    """The differentiable twin of ``network`` (module docstring).  Every piece that cannot be
    translated is named in ONE :class:`TwinError`, raised here.  ``detach_reset=True``: the
    reset of each layer's membrane variable is a constant for the gradient (e-prop's
    convention; other reset targets, an adaptive threshold's jump, stay differentiated)."""

    def __init__(self, network, *, detach_reset: bool = False):
        from .signals import OutputError

        problems = []
        self.network, self.detach_reset = network, bool(detach_reset)
        inp = network.input
        self.rates = inp.mode == "rates"
        self._presenting = np.arange(network.T) < network.T - inp.rest     # rest: silent
        self.layers = {name: LayerTwin(network, name, problems) for name in network.layers}
        for sig in network.signals:
            if isinstance(sig, OutputError) and sig.layer in self.layers \
                    and reads_probability(network, sig):
                layer = self.layers[sig.layer]
                layer.probability = Expression(*layer._probability, problems)
        self.projections = [ProjectionTwin(network, p, self.layers, problems)
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
    def parameters(self, state: State, dtype=float) -> dict:
        """``{name: array in SI units}`` of the state (float64; ``dtype``: another, e.g. for a
        float32 training run): weights ``(n_pre, n_post)`` by projection name, per-neuron
        parameters as ``'layer.var'``."""
        import jax.numpy as jnp

        return {self._name(k): jnp.asarray(np.asarray(state[k], dtype=dtype))
                for k in self.keys()}

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
        """({layer: (T, n)} per-step outputs: spikes, or a non-spiking layer's membrane
        variable after the step; {layer: (T, n)} firing probabilities where an error reads
        them) of one sample (spikes: (T, n_in))."""
        import jax
        import jax.numpy as jnp

        per_neuron = {name: {v: params[f"{name}.{v}"] for v in layer.per_neuron}
                      for name, layer in self.layers.items()}
        fire = {name: layer.spike_function(smooth) for name, layer in self.layers.items()
                if layer.spiking}
        start = {name: layer.start(per_neuron[name]) for name, layer in self.layers.items()}
        inp, detach = self.network.input.name, self.detach_reset

        def step(carry, xs):
            x, drawn = xs
            env = {}
            for name, layer in self.layers.items():      # 'start' draws, 'groups' update
                base = {**carry[name], **drawn[name], **per_neuron[name]}
                new = layer.update(layer.full(base))
                env[name] = {**base, **{v: new[v] for v in layer.variables}}
            s = {name: fire[name](env[name]) if layer.spiking else jnp.zeros(layer.n)
                 for name, layer in self.layers.items()}                # 'thresholds'
            prob = {name: layer.probability(layer.full(env[name])) * jnp.ones(layer.n)
                    for name, layer in self.layers.items() if layer.probability is not None}
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
                    elif detach and v == layer.membrane:    # the jump: a constant
                        jump = (k if smooth else jnp.where(hard, 1.0, 0.0)) * (reset[v] - old)
                        out[name][v] = old + jax.lax.stop_gradient(jump)
                    elif smooth:
                        out[name][v] = old + k * (reset[v] - old)
                    else:    # the exact reset, with the smoothed reset's derivative
                        out[name][v] = jnp.where(hard, reset[v], old) + \
                            (k - jax.lax.stop_gradient(k)) * (reset[v] - old)
            outputs = {name: s[name] if layer.spiking else out[name][layer.membrane]
                       for name, layer in self.layers.items()}
            return out, (outputs, prob)

        x = self._input_spikes(spikes, draws.get(inp, {}).get("u"))
        draws = {name: d for name, d in draws.items() if name != inp}
        _, records = jax.lax.scan(step, start, (x, draws))
        return records

    def _input_spikes(self, x, u):
        r"""The input's spikes (T, n_in) of one sample: the given 0/1 spikes ``x`` (T, n_in),
        or, for a 'rates' input, :math:`s = \mathbb{1}[u < r]` from the probabilities ``x``
        (n_in,) and the uniform draws ``u`` (T, n_in), differentiated as :math:`r` (the
        straight-through estimator, :math:`\partial s/\partial r := 1`); 0 in a rest."""
        import jax
        import jax.numpy as jnp

        if self.rates:
            x = x[None, :] + jax.lax.stop_gradient(jnp.where(u < x[None, :], 1.0, 0.0)
                                                   - x[None, :])
        return x if self._presenting.all() else x * self._presenting[:, None]

    def _draws(self, key, n_samples, dtype=float):
        """Uniform draws {owner: {var: (n_samples, T, n)}} of the models' per-step code and a
        'rates' input's, from the JAX ``key``, or (a :class:`numpy.random.Generator` ``key``)
        drawn on the host in ``dtype``: on a CPU 5x cheaper than JAX's threefry (training)."""
        import jax

        inp = self.network.input
        wanted = [(name, var, layer.n) for name, layer in self.layers.items()
                  for var in layer.draws] + ([(inp.name, "u", inp.n)] if self.rates else [])
        draws = {name: {} for name in self.layers}
        for k, (name, var, n) in enumerate(wanted):
            shape = (n_samples, self.T, n)
            draws.setdefault(name, {})[var] = key.random(shape, dtype=dtype) \
                if isinstance(key, np.random.Generator) else \
                jax.random.uniform(jax.random.fold_in(key, k), shape)
        return draws

    def _check_inputs(self, inputs, what="0/1 spikes"):
        shape = np.shape(inputs)
        inp = self.network.input
        n_in = inp.n
        if self.rates and what == "0/1 spikes":
            if len(shape) != 2 or shape[1] != n_in or np.any(
                    (np.asarray(inputs) < 0) | (np.asarray(inputs) > 1)):
                raise TwinError(f"inputs of the 'rates' input '{inp.name}' must be spike "
                                f"probabilities in [0, 1] of shape (n_samples, n_in={n_in}); "
                                f"got shape {shape}.")
            return
        if len(shape) != 3 or shape[1:] != (self.T, n_in):
            raise TwinError(f"inputs must be {what} of shape (n_samples, T={self.T}, "
                            f"n_in={n_in}); got {shape}.")

    def _check_targets(self, y, n_samples):
        """Labels (n_samples,), or given targets (n_samples, T, n_out) of a regression error."""
        sig = self._output_error()
        if sig.p["targets"] == "given":
            want = (n_samples, self.T, self.network.size(sig.layer))
            what = "per-step targets (targets='given')"
        else:
            want, what = (n_samples,), "one label per sample"
        if np.shape(y) != want:
            raise TwinError(f"{what} of shape {want} are needed for the loss of {sig!r}; got "
                            f"{np.shape(y)}.")

    def _batch(self, params, x, d, smooth):
        import jax

        return jax.vmap(lambda xi, di: self._sample(params, xi, di, smooth))(x, d)

    @in_float64
    def run(self, params, inputs, *, smooth=False, key=None) -> dict:
        """Per-step outputs ``{layer: (n_samples, T, n)}`` -- spikes (smooth: firing
        probabilities), a non-spiking layer's output variable ``y`` after each step -- for
        input spikes ``inputs`` (n_samples, T, n_in) (a 'rates' input: probabilities
        (n_samples, n_in)); ``key``: the JAX key of the per-step draws (default
        ``PRNGKey(0)``)."""
        import jax
        import jax.numpy as jnp

        self._check_inputs(inputs)
        inputs = jnp.asarray(inputs, dtype=float)
        key = jax.random.PRNGKey(0) if key is None else key
        draws = self._draws(key, inputs.shape[0])
        if smooth not in self._compiled:
            self._compiled[smooth] = jax.jit(lambda p, x, d: self._batch(p, x, d, smooth)[0])
        return self._compiled[smooth](params, inputs, draws)

    @in_float64
    def counts(self, params, inputs, **kwargs) -> dict:
        """The tally of each layer per sample ``{layer: (n_samples, n)}``: spike counts, or a
        non-spiking layer's output summed over the sample (the Brian2 program's 'counts')."""
        return {name: s.sum(axis=1) for name, s in self.run(params, inputs, **kwargs).items()}

    # -- loss and gradient -----------------------------------------------------------------
    def _output_error(self):
        from .signals import OutputError

        readout = self.network.readout
        for sig in self.network.signals:
            if isinstance(sig, OutputError) and readout is not None \
                    and sig.layer == readout.layer:
                return sig
        raise TwinError("The twin's loss is the readout's OutputError; the network has none "
                        "(add OutputError(readout layer) and a Readout).")

    def _losses(self, records, y):
        """The loss of each sample (n_samples,) from the batch's records and labels/targets."""
        import jax

        sig = self._output_error()
        f = sample_loss(self.network, sig)
        source = records[1] if reads_probability(self.network, sig) else records[0]
        return jax.vmap(f)(source[sig.layer], y)

    @in_float64
    def losses_of_counts(self, counts, labels):
        """The readout's loss of each sample (n_samples,) from output tallies (n_samples,
        n_out) (per-sample errors only: a per-step error needs the outputs of every step)."""
        import jax
        import jax.numpy as jnp

        sig = self._output_error()
        if sig.timing != "sample":
            raise TwinError(f"The loss of {sig!r} is per step; it needs the outputs of every "
                            f"step (Twin.losses), not the tallies.")
        counts = jnp.asarray(counts, dtype=float)
        return jax.vmap(sample_loss(self.network, sig))(counts[:, None, :], jnp.asarray(labels))

    @in_float64
    def loss_of_counts(self, counts, labels):
        """The mean over samples of :meth:`losses_of_counts`."""
        return self.losses_of_counts(counts, labels).mean()

    def _compiled_fn(self, name, smooth, make):
        import jax

        if (name, smooth) not in self._compiled:
            self._compiled[name, smooth] = jax.jit(make())
        return self._compiled[name, smooth]

    def _prepare(self, inputs, y, key, what="0/1 spikes"):
        import jax
        import jax.numpy as jnp

        self._check_inputs(inputs, what)
        self._check_targets(y, len(inputs))
        key = jax.random.PRNGKey(0) if key is None else key
        return (jnp.asarray(inputs, dtype=float), jnp.asarray(y, dtype=float),
                self._draws(key, len(inputs)))

    @in_float64
    def losses(self, params, inputs, y, *, smooth=False, key=None):
        """The readout's loss of each sample (n_samples,); ``y``: labels (n_samples,) or given
        per-step targets (n_samples, T, n_out) (the Brian2 program's ``res['loss']``)."""
        f = self._compiled_fn("losses", smooth, lambda: lambda p, x, y, d: self._losses(
            self._batch(p, x, d, smooth), y))
        return f(params, *self._prepare(inputs, y, key))

    @in_float64
    def loss(self, params, inputs, y, *, smooth=False, key=None):
        """The mean over samples of :meth:`losses`."""
        return self.losses(params, inputs, y, smooth=smooth, key=key).mean()

    @in_float64
    def loss_and_gradient(self, params, inputs, y, *, smooth=False, key=None):
        """(loss, d loss/d params): BPTT through the surrogate spike (smooth: the exact
        gradient of the smoothed network; ``detach_reset``: without the reset's path)."""
        import jax

        def make():
            return jax.value_and_grad(
                lambda p, x, y, d: self._losses(self._batch(p, x, d, smooth), y).mean())

        return self._compiled_fn("gradient", smooth, make)(params, *self._prepare(inputs, y, key))

    @in_float64
    def input_gradient(self, params, inputs, y, *, smooth=False, key=None):
        r"""(losses (n_samples,), :math:`\partial \mathcal{L}_k/\partial x_k` (n_samples, T,
        n_in)): the gradient of each sample's loss with respect to its input spike array, the
        0/1 values taken as real numbers (they enter the membranes linearly, through the
        ``on_pre`` of the input's projections; the spikes of the layers above through the
        surrogate): what a gradient attack (FGSM, PGD) steps along.  A 'rates' input:
        :math:`\partial \mathcal{L}_k/\partial r_k` (n_samples, n_in), straight through its
        draws (:meth:`rate_gradient`'s estimator)."""
        import jax

        def make():
            def total(x, p, y, d):
                losses = self._losses(self._batch(p, x, d, smooth), y)
                return losses.sum(), losses      # sample k's loss depends on x_k only
            g = jax.grad(total, has_aux=True)
            return lambda p, x, y, d: g(x, p, y, d)[::-1]

        return self._compiled_fn("input", smooth, make)(params, *self._prepare(inputs, y, key))

    @in_float64
    def rate_gradient(self, params, rates, y, *, smooth=False, key=None):
        r"""(losses, :math:`\partial \mathcal{L}_k/\partial r_k`) for analogue inputs encoded
        by Bernoulli rates (:func:`neuromodels.datasets.encoding.rate_encode`: a spike with
        probability :math:`r_i` in every step; ``rates`` (n_samples, n_in), or (n_samples,
        T, n_in) per step), through the straight-through estimator
        :math:`s = r + \mathrm{sg}(\mathbb{1}[u < r] - r)`, i.e. :math:`\partial s/\partial r
        := 1`: the gradient is the spike array's (:meth:`input_gradient`) at the drawn
        spikes, summed over the steps for per-sample rates (``smooth``: of the smoothed
        network).  The draws :math:`u` come from
        the JAX ``key`` (default ``PRNGKey(1)``): Brian2's distribution, not its numbers."""
        import jax
        import jax.numpy as jnp

        if self.rates:
            raise TwinError(f"The input '{self.network.input.name}' draws its spikes from "
                            f"rates itself: its gradient is input_gradient's.")
        rates = np.asarray(rates, dtype=float)
        if rates.ndim not in (2, 3) or np.any((rates < 0) | (rates > 1)):
            raise TwinError(f"rates must be spike probabilities in [0, 1] of shape (n_samples, "
                            f"n_in) or (n_samples, T, n_in); got shape {rates.shape}.")
        full = rates if rates.ndim == 3 else np.broadcast_to(
            rates[:, None, :], (len(rates), self.T, rates.shape[1]))
        key = jax.random.PRNGKey(1) if key is None else key
        x, y, d = self._prepare(full, y, jax.random.fold_in(key, 1), "rates")
        u = jax.random.uniform(key, x.shape)

        def make():
            def total(r, p, y, d, u):
                full = jnp.broadcast_to(r[:, None, :] if r.ndim == 2 else r, u.shape)
                s = full + jax.lax.stop_gradient(jnp.where(u < full, 1.0, 0.0) - full)
                losses = self._losses(self._batch(p, s, d, smooth), y)
                return losses.sum(), losses
            g = jax.grad(total, has_aux=True)
            return lambda r, p, y, d, u: g(r, p, y, d, u)[::-1]

        name = f"rates{rates.ndim}"
        return self._compiled_fn(name, smooth, make)(jnp.asarray(rates), params, y, d, u)
