r"""BPTT as a program of the one training loop: :class:`TwinProgram`.

:func:`~.train.train` runs one program per epoch; a :class:`TwinProgram` is such a program
whose run trains the network's differentiable twin (:mod:`.twin`) by stochastic gradient
descent on the surrogate gradient (back-propagation through time), sample by sample in the
given order, as the framework's own rules learn at sample ends (``batch_size`` B > 1: one
update per B consecutive samples, with the mean of their terms):

.. math:: \theta \leftarrow \theta - \eta\,\lambda_k\,\partial \mathcal{L}_k/\partial\theta

for sample k with learning-rate factor :math:`\lambda_k` (``lr_scale``: the epoch's
schedule; 0 for test samples, which are only presented), :math:`\eta` = ``lr`` (unit: the
square of the trained parameters' unit, volt^2 for weights added to a membrane in volt,
as NDL's ``eta``; a dict ``{parameter name: eta}`` gives each its own, e.g. a leaky
readout's dimensionless weights besides a hidden layer's in volt).  The loss is the
readout's :class:`~.signals.OutputError` as the Brian2 program computes it (per sample or
per step, labels or given per-step targets: :mod:`.twin_losses`).  The counts (tallies:
a readout's summed ``y``) and losses of a sample are those of the forward pass that its
update differentiates (before the update).  ``detach_reset=True``: e-prop's convention
(:class:`~.twin.Twin`); with it, SGD on a network without recurrence makes e-prop's
updates.

The whole run is one jitted ``jax.lax.scan`` over batches, its inputs, labels and the
models' per-step draws (numpy's PCG64 seeded with the run's ``seed``, drawn on the host:
the same distribution as Brian2's, not its numbers) transferred once; a batch whose factors
are all 0 (test samples) runs forward only; XLA's compilation goes to the package's
compile cache (:func:`~neuromodels.buildcache.compile_cache`: a fresh process reads it).
``precision``: 'float32' (default: about 4x faster on a CPU than float64, where the
Gaussian escape noise's ``erf`` dominates; the test accuracy of the digits benchmark is
that of float64 within the seeds' spread) or 'float64' (the exact twin's,
:class:`~.twin.Twin`: what exact comparisons need).

    program = TwinProgram(net, n_train + n_test, lr=0.5 * mV**2)
    result = train(net, state, x_train, y_train, x_test, y_test, epochs=3, program=program)
"""
from __future__ import annotations

import time

import numpy as np
from brian2 import Quantity, have_same_dimensions, mV

from ..buildcache import compile_cache
from ..exact.precision import in_float64, scoped_precision
from ..parameters import Parameter, ParameterError, ParameterSet, positive
from .errors import DivergenceError
from .twin import Twin, TwinError

__all__ = ["TwinProgram"]

PARAMETERS = ParameterSet(
    positive("lr", 1 * mV ** 2, "SGD step eta (unit: the trained parameters' unit squared)"),
    Parameter("batch_size", 1, "samples per update (their mean gradient)", low=1,
              integer=True),
    Parameter("precision", "float32", "floating-point type of the training run",
              choices=("float32", "float64")),
)


def _batches(values, size):
    """``values`` (n, ...) as (ceil(n/size), size, ...), padded with zeros."""
    import jax.numpy as jnp

    pad = -len(values) % size
    values = np.concatenate([values, np.zeros((pad,) + values.shape[1:], values.dtype)])
    return jnp.asarray(values.reshape((-1, size) + values.shape[1:]))


class TwinProgram:
    """A training program for ``n_samples`` samples that learns by BPTT on the twin of
    ``network`` (module docstring); ``per_neuron=True`` also trains the layers' per-neuron
    parameters (learned thresholds); ``record``: layers whose counts are returned besides
    the readout's."""

    plastic = True

    def __init__(self, network, n_samples: int, *, record=(), per_neuron=False,
                 detach_reset=False, **params):
        lr = params.pop("lr", None) if isinstance(params.get("lr"), dict) else None
        self.p = PARAMETERS.resolve(params)
        self.network, self.n_samples = network, int(n_samples)
        self.twin = Twin(network, detach_reset=detach_reset)
        readout = network.readout.layer if network.readout else list(network.layers)[-1]
        self.counted = list(dict.fromkeys([readout, *record]))
        unknown = [name for name in self.counted if name not in network.layers]
        if unknown:
            raise TwinError(f"record: {unknown} are not layers of the network.")
        plastic = {p.name for p in network.projections if p.plastic}
        self.trained = [k for k in self.twin.keys()
                        if (k[1] == "w" and k[0] in plastic) or (k[1] != "w" and per_neuron)]
        self.twin._output_error()                       # a loss exists (else: TwinError now)
        self.lr = self._learning_rates(lr, network.initial_state(seed=0))
        self._lr_text = self.p["lr"] if lr is None else lr
        self.builds, self.reruns = 0, 0
        self._epoch = None

    def _learning_rates(self, given, state):
        """{trained parameter name: eta in SI}: ``lr`` for all, or the dict ``given``."""
        names = [Twin._name(k) for k in self.trained]
        if given is not None:
            unknown, missing = sorted(set(given) - set(names)), sorted(set(names) - set(given))
            if unknown or missing:
                raise ParameterError(f"Parameter 'lr' as a dict needs one learning rate per "
                                     f"trained parameter {names}; unknown {unknown}, missing "
                                     f"{missing}.")
        out = {}
        for key, name in zip(self.trained, names):
            lr = self.p["lr"] if given is None else given[name]
            value = state[key]
            unit = Quantity(1, dim=value.dim) if isinstance(value, Quantity) else Quantity(1)
            if not have_same_dimensions(lr, unit ** 2) or not float(lr) > 0:
                raise ParameterError(f"Parameter 'lr' of {name} must be > 0 with the unit of "
                                     f"{key[0]}.{key[1]} squared ({unit ** 2}); got {lr}.")
            out[name] = float(lr)
        return out

    def _compile(self):
        import jax
        import jax.numpy as jnp

        twin, names = self.twin, [Twin._name(k) for k in self.trained]
        lr, counted = self.lr, self.counted

        def batch_loss(params, x, y, scale, d):
            records = twin._batch(params, x, d, False)
            counts = {name: records[0][name].sum(axis=1) for name in counted}
            losses = twin._losses(records, y)
            return jnp.mean(scale * losses), (counts, losses)

        grad = jax.value_and_grad(batch_loss, has_aux=True)

        def learn(p, item):
            (_, (counts, losses)), g = grad(p, *item)
            new = dict(p)
            for name in names:
                new[name] = p[name] - lr[name] * g[name]
            finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(new[n])) for n in names])) \
                if names else jnp.array(True)
            return new, (counts, losses, finite)

        def present(p, item):                 # factor 0 for the whole batch: forward only
            _, (counts, losses) = batch_loss(p, *item)
            return dict(p), (counts, losses, jnp.array(True))

        def epoch(params, xs, ys, scales, draws):
            def one(p, item):
                return jax.lax.cond(jnp.any(item[2] != 0), learn, present, p, item)

            return jax.lax.scan(one, params, (xs, ys, scales, draws))

        return jax.jit(epoch)

    @in_float64
    def run(self, state, inputs, labels=None, lr_scale=0.0, seed=None, session=None) -> dict:
        """Present ``inputs`` (0/1 spikes (n_samples, T, n_in); a 'rates' input's spike
        probabilities (n_samples, n_in)) once, learning from each
        sample with factor ``lr_scale`` (scalar or per sample); ``labels``: class labels
        (n_samples,) or given per-step targets (n_samples, T, n_out); returns {'counts' {layer:
        (n_samples, n)}, 'loss' (n_samples,), 'state', 'timings', 'rerun', 'clipped'} as a
        Program does.
        ``seed``: the seed of the models' per-step draws; ``session`` is not used."""
        import jax

        start = time.perf_counter()
        self.network.check_state(state)
        self.twin._check_inputs(inputs)
        n = self.n_samples
        if len(inputs) != n:
            raise TwinError(f"The program presents {n} samples; got {len(inputs)} inputs.")
        if labels is None:
            raise TwinError(f"labels (or per-step targets) of the {n} samples are needed to "
                            f"train.")
        self.twin._check_targets(labels, n)
        scales = np.broadcast_to(np.asarray(lr_scale, dtype=float), (n,))
        rerun = self._epoch is not None
        if not rerun:
            self._epoch = self._compile()
        B = int(self.p["batch_size"])
        pad = -n % B                       # padded samples learn nothing (factor 0)
        real = np.dtype(self.p["precision"])
        rng = np.random.default_rng(0 if seed is None else int(seed))
        draws = jax.tree_util.tree_map(lambda a: _batches(a, B),    # one transfer each
                                       self.twin._draws(rng, n, real))
        with compile_cache(compiler=False), scoped_precision(self.p["precision"]):
            params, (counts, losses, finite) = self._epoch(
                self.twin.parameters(state, real), _batches(np.asarray(inputs, real), B),
                _batches(np.asarray(labels, real), B), _batches(scales.astype(real), B), draws)
        counts = {name: np.asarray(c, dtype=float).reshape((n + pad,) + c.shape[2:])[:n]
                  for name, c in counts.items()}
        losses = np.asarray(losses, dtype=float).reshape(-1)[:n]
        finite = np.asarray(finite)
        if not finite.all():
            k = int(np.argmin(finite)) * B
            bad = next((key for key in self.trained
                        if not np.all(np.isfinite(np.asarray(params[Twin._name(key)])))),
                       self.trained[0])
            raise DivergenceError(bad[1], bad[0], k)
        if rerun:
            self.reruns += 1
        else:
            self.builds += 1
        wall = time.perf_counter() - start
        spiking = {name: self.twin.layers[name].spiking for name in counts}
        return {"counts": {name: np.rint(c).astype(np.int64) if spiking[name] else c
                           for name, c in counts.items()},
                "loss": losses, "losses": {self.twin._output_error().layer: losses},
                "state": self.twin.state(params, state),
                "timings": {"wall": wall, "simulation": wall, "build": 0.0},
                "rerun": rerun, "clipped": {}}

    def __repr__(self):
        return f"TwinProgram({self.network!r}, {self.n_samples} samples, lr={self._lr_text})"
