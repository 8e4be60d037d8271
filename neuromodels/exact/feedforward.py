r"""Layered, event-driven network of pulse-coupled theta oscillators with time-to-first-spike
coding, solved exactly and trained by exact gradients (JAX).

**Neuron** (Klos & Memmesheimer 2025, the neuron of their deep-network experiments): a QIF
neuron with constant suprathreshold drive :math:`I_0 > 1/4` and delta-pulse coupling,

.. math:: \tau\dot V = V(V-1) + I_0 + \tau\textstyle\sum_i w_i\,\delta(t-t_i),

written in its phase :math:`\psi = \Phi(V) = \frac{\tau}{r}\bigl(\arctan\frac{V-1/2}{r}
+ \frac\pi2\bigr)`, :math:`r = \sqrt{I_0 - 1/4}`. Between inputs :math:`\dot\psi = 1`; a spike
is :math:`\psi = \Theta = \tau\pi/r` (:math:`V=+\infty`); an input of weight :math:`w` maps
:math:`\psi \mapsto H(\psi, w) = \Phi(\Phi^{-1}(\psi) + w)` (a jump of :math:`V` by
:math:`w`). Simultaneous inputs therefore simply add in :math:`V`.

**Network.** Layers ``n_in -> n_1 -> ... -> n_out``, all-to-all feed-forward; every neuron
fires **at most once** per trial (time-to-first-spike coding; after its first spike a neuron
is refractory until the trial ends, which the Brian2 version,
:func:`neuromodels.networks.theta.run_feedforward`, reproduces). Weights ``W[l]`` are
``(n_pre, n_post)``. A layer's first-spike times follow from
its input spike times by one ``lax.scan`` over the time-sorted input events (state: phases of
the layer's neurons), so the cost per sample is :math:`O(\sum_l n_{l-1} n_l)`.

**Pseudodynamics.** With :math:`\psi_0 = \Theta/2` and :math:`T < \Theta/2` every neuron is
silent in :math:`[0, T]` without input (the network starts silent). Since the neurons are
oscillators, every neuron fires eventually: at :math:`t_\mathrm{last} + \Theta - \psi` after
its last input. We continue the *exact* network dynamics past the trial end (a silent
neuron's pseudospike is the spike it would fire if the trial went on, and it is passed on to
the next layer as such). All first-spike times are then finite and continuous, mostly smooth
functions of weights, initial phases and input times; spikes enter or leave the trial only
at :math:`t = T`, where their effect downstream starts after :math:`T`, so the in-trial
spike times stay continuous. (The reference instead feeds silent neurons' pseudo-rates into a
rate network; continuing the event dynamics is exact and needs no separate rate model.)

**Loss** (as the reference's deep networks): cross-entropy on negative output first-spike
times, :math:`-\log\mathrm{softmax}(-t_\mathrm{out})_y + \gamma\,(e^{t_{\mathrm{out},y}/T}-1)`.
Prediction: earliest output spike (:mod:`neuromodels.analysis.classification`). *Trial
accuracy* counts a sample as correct only when the correct output neuron fires first
**within** :math:`[0,T]`; *pseudo accuracy* also uses pseudospikes.

Every public function runs in float64 (:mod:`.precision`), whatever JAX's global setting.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from ..analysis.classification import accuracy, predict_first_spike
from ..history import History
from ..theory.theta import OSCILLATOR_I0, OSCILLATOR_TAU
from .optimizers import adabelief, exponential_decay
from .precision import in_float64

__all__ = ["ThetaOsc", "init_params", "layer_first_spikes", "forward", "loss_fn",
           "batch_loss", "metrics", "metrics_jax", "TrainConfig", "train", "yinyang_inputs",
           "digits_inputs"]


@dataclass(frozen=True)
class ThetaOsc:
    """Theta oscillator with constant drive ``I0`` (> 1/4); ``tau`` is the time constant in
    the time unit of the model. Defaults: the reference's oscillator
    (:data:`neuromodels.theory.theta.OSCILLATOR_I0`, ``OSCILLATOR_TAU``: period 6)."""

    tau: float = OSCILLATOR_TAU
    I0: float = OSCILLATOR_I0
    eps: float = 1e-6

    def __post_init__(self):
        if not self.I0 > 0.25:
            raise ValueError(f"I0 must be > 1/4 (oscillator), got {self.I0!r}")
        if not self.tau > 0:
            raise ValueError(f"tau must be > 0, got {self.tau!r}")

    @property
    def root(self):
        return float(np.sqrt(self.I0 - 0.25))

    @property
    def Theta(self):
        """Free-running period (phase at spike)."""
        return self.tau * np.pi / self.root

    def Phi(self, V):
        return self.tau / self.root * (jnp.arctan((V - 0.5) / self.root) + jnp.pi / 2)

    def iPhi(self, psi):
        return self.root * jnp.tan(psi * self.root / self.tau - jnp.pi / 2) + 0.5

    def H(self, psi, w):
        """Phase after an input pulse ``w``; phases within eps of 0 or Theta are kept."""
        ok = (psi > self.eps) & (psi < self.Theta - self.eps)
        safe = jnp.where(ok, psi, self.Theta / 2)
        return jnp.where(ok, self.Phi(self.iPhi(safe) + w), psi)


@in_float64
def init_params(key, sizes, neuron: ThetaOsc, w_scale=0.5):
    """Weights ``U(-w_scale/sqrt(n_in), +w_scale/sqrt(n_in))`` per layer, initial phases
    ``Theta/2`` (the reference's initialisation). Returns ``{"W": [...], "psi0": [...]}``
    with ``W[l]`` of shape ``(n_pre, n_post) = (sizes[l], sizes[l+1])``."""
    Ws, psis = [], []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        key, sub = jax.random.split(key)
        width = w_scale / np.sqrt(n_in)
        # drawn as (n_post, n_pre) and transposed: the same numbers as before the layout
        # became (n_pre, n_post), so a seed gives the same network
        Ws.append(jax.random.uniform(sub, (n_out, n_in), minval=-width, maxval=width).T)
        psis.append(jnp.full((n_out,), neuron.Theta / 2))
    return {"W": Ws, "psi0": psis}


@in_float64
def layer_first_spikes(t_in, W, psi0, neuron: ThetaOsc):
    """Exact first-spike times of one layer (one sample).

    ``t_in`` (M,) finite input spike times (an input that must not act gets weight 0),
    ``W`` (M, N) = (n_pre, n_post), ``psi0`` (N,). Every neuron fires once (a pseudospike if
    after the trial); returns (N,) spike times.
    """
    Theta = neuron.Theta
    t_in = jnp.asarray(t_in, dtype=jnp.float64)
    W, psi0 = jnp.asarray(W, dtype=jnp.float64), jnp.asarray(psi0, dtype=jnp.float64)
    order = jnp.argsort(t_in)
    ts = t_in[order]
    Ws = W[order]  # (M, N), rows in input-time order

    def step(carry, x):
        psi, t_prev, t_sp, done = carry
        t_k, w_k = x
        pre = psi + (t_k - t_prev)
        fire = (~done) & (pre >= Theta)
        t_sp = jnp.where(fire, t_prev + Theta - psi, t_sp)
        done = done | fire
        psi = jnp.where(done, psi, neuron.H(jnp.where(done, Theta / 2, pre), w_k))
        return (psi, t_k, t_sp, done), None

    N = W.shape[1]
    init = (psi0, jnp.zeros((), t_in.dtype), jnp.zeros(N, t_in.dtype), jnp.zeros(N, bool))
    (psi, t_last, t_sp, done), _ = jax.lax.scan(step, init, (ts, Ws))
    return jnp.where(done, t_sp, t_last + Theta - psi)


@in_float64
def forward(params, t_in, w_mask, neuron: ThetaOsc):
    """First-spike times of every layer for one sample: list of arrays (hidden..., output).
    ``w_mask`` (n_in,) multiplies the input weights (0 for inputs that do not spike)."""
    out = []
    t = t_in
    W0 = params["W"][0] * jnp.asarray(w_mask)[:, None]
    for l, (W, psi0) in enumerate(zip(params["W"], params["psi0"])):
        t = layer_first_spikes(t, W0 if l == 0 else W, psi0, neuron)
        out.append(t)
    return out


_forward_batch = jax.jit(jax.vmap(forward, in_axes=(None, 0, 0, None)), static_argnums=3)


@in_float64
def loss_fn(t_out, label, T, gamma, temperature=1.0):
    """Cross-entropy on ``-t_out / temperature`` plus ``gamma (exp(t_label / T) - 1)``."""
    logp = jax.nn.log_softmax(-t_out / temperature)
    return -logp[label] + gamma * (jnp.exp(t_out[label] / T) - 1)


@in_float64
def batch_loss(params, t_in, w_mask, labels, neuron, T, gamma, temperature=1.0):
    outs = jax.vmap(forward, in_axes=(None, 0, 0, None))(params, t_in, w_mask, neuron)
    losses = jax.vmap(loss_fn, in_axes=(0, 0, None, None, None))(outs[-1], labels, T, gamma,
                                                                  temperature)
    return jnp.mean(losses)


@in_float64
def metrics_jax(params, t_in, w_mask, labels, neuron, T, gamma, temperature=1.0):
    """Loss (with ``temperature``, as in training), trial accuracy (correct output first
    within ``[0, T]``), pseudo accuracy (pseudospikes count), silent hidden neurons; and the
    first-spike times of every layer. Jittable; :func:`metrics` is its numpy version."""
    outs = jax.vmap(forward, in_axes=(None, 0, 0, None))(params, t_in, w_mask, neuron)
    t_out = outs[-1]
    loss = jnp.mean(jax.vmap(loss_fn, in_axes=(0, 0, None, None, None))(
        t_out, labels, T, gamma, temperature))
    hidden = jnp.concatenate(outs[:-1], axis=1)  # (B, n_hidden_total)
    f = t_out.dtype
    return {"loss": loss,
            "acc_pseudo": accuracy(predict_first_spike(t_out), labels),
            "acc_trial": accuracy(predict_first_spike(t_out, T), labels),
            # never fires in the trial; fraction silent per sample, averaged
            "silent_never": jnp.mean((~jnp.any(hidden <= T, axis=0)).astype(f)),
            "silent_per_sample": jnp.mean((hidden > T).astype(f))}, outs


@in_float64
def metrics(params, t_in, w_mask, labels, neuron, T, gamma=0.0, temperature=1.0):
    """:func:`metrics_jax` as numpy floats, and the first-spike times per layer (numpy)."""
    mets, outs = _metrics_jit(
        jax.tree.map(jnp.asarray, params), jnp.asarray(t_in), jnp.asarray(w_mask),
        jnp.asarray(labels), neuron, T, gamma, temperature)
    return {k: float(v) for k, v in mets.items()}, [np.asarray(o) for o in outs]


_metrics_jit = jax.jit(metrics_jax, static_argnums=4)


# ---------------------------------------------------------------------- data encodings
def yinyang_inputs(X, t_max=1.0):
    """Yin-Yang features ``(x, y, 1-x, 1-y)`` in [0, 1] as spike times ``t_max * (1 - x)``
    plus a bias input at 0; returns (times (B, 5), mask (B, 5))."""
    from ..datasets.encoding import latency_encode

    X = np.clip(np.asarray(X, float), 0.0, 1.0)
    t = latency_encode(X, t_max)
    t = np.concatenate([t, np.zeros((len(t), 1))], axis=1)
    return t, np.ones_like(t)


def digits_inputs(X, t_max=1.0):
    """Grey levels in [0, 1] as first-spike latencies ``t_max * (1 - x)``; black pixels
    (``x = 0``) never spike (weight masked to 0). Returns (times (B, 64), mask (B, 64)).
    (Binary input, all "on" pixels at one time, reached 89 % instead of 94 % on the test
    set: 30 epochs, one seed.)"""
    from ..datasets.encoding import latency_encode

    X = np.clip(np.asarray(X, float), 0.0, 1.0)
    on = X > 0
    return np.where(on, latency_encode(X, t_max), 0.0), on.astype(float)


# ---------------------------------------------------------------------- training
@dataclass
class TrainConfig:
    sizes: tuple = (5, 120, 120, 3)
    T: float = 2.0
    neuron: ThetaOsc = ThetaOsc()
    w_scale: float = 0.5
    gamma: float = 1e-2
    temperature: float = 1.0  # softmax over -t_out / temperature (reference: 1)
    lr: float = 4e-3
    lr_decay_epochs: float = 100.0  # lr * exp(-epoch / lr_decay_epochs)
    batch: int = 50
    epochs: int = 10
    seed: int = 0
    eval_every: int = 1
    extra: dict = field(default_factory=dict)


#: Evaluation results of :func:`metrics_jax` and their History columns.
_TEST_COLUMNS = {"loss": "test_loss", "acc_trial": "test_accuracy",
                 "acc_pseudo": "test_accuracy_pseudo", "silent_never": "test_silent_never",
                 "silent_per_sample": "test_silent_per_sample"}


@in_float64
def train(cfg: TrainConfig, train_set, test_set, progress=None):
    """Train with AdaBelief (:mod:`neuromodels.exact.optimizers`). ``train_set`` /
    ``test_set`` are ``(times, mask, labels)`` numpy arrays. Returns a dict: ``params`` and
    ``params_init`` (weights ``(n_pre, n_post)``), ``neuron`` (``cfg.neuron``) and ``history``
    (:class:`~neuromodels.history.History` per epoch: ``loss`` (mean training loss),
    ``seconds`` (compilation excluded after the first epoch), and at epoch 0 and every
    ``eval_every`` epochs the test metrics ``test_loss``, ``test_accuracy`` (trial),
    ``test_accuracy_pseudo``, ``test_silent_never``, ``test_silent_per_sample``; summary
    ``seconds_per_epoch``: the median over epochs after the first)."""
    neuron = cfg.neuron
    key = jax.random.PRNGKey(cfg.seed)
    key, sub = jax.random.split(key)
    params = init_params(sub, cfg.sizes, neuron, cfg.w_scale)
    p_init = jax.tree.map(lambda x: x, params)
    t_tr, m_tr, y_tr = (np.asarray(a) for a in train_set)
    n = len(y_tr)
    n_batches = n // cfg.batch
    sched = exponential_decay(cfg.lr, cfg.lr_decay_epochs * n_batches, np.exp(-1.0))
    opt = adabelief(1.0)  # unit rate; the schedule multiplies the steps (one compilation)
    state = opt.init(params)
    step, eval_fn = _compiled(neuron, float(cfg.T), float(cfg.gamma), float(cfg.temperature))

    def evaluate(p):
        return {_TEST_COLUMNS[k]: float(v) for k, v in eval_fn(p, *test_set).items()}

    history = History("epoch")
    history.record(0, **evaluate(params))
    rng = np.random.default_rng(cfg.seed)
    for epoch in range(1, cfg.epochs + 1):
        perm = rng.permutation(n)
        t0 = time.perf_counter()
        losses = []
        for b in range(n_batches):
            idx = perm[b * cfg.batch:(b + 1) * cfg.batch]
            lr = sched((epoch - 1) * n_batches + b)
            params, state, loss = step(params, state, t_tr[idx], m_tr[idx], y_tr[idx], lr)
            losses.append(loss)
        row = {"loss": float(np.mean([float(x) for x in losses])),
               "seconds": time.perf_counter() - t0}
        if epoch % cfg.eval_every == 0 or epoch == cfg.epochs:
            row.update(evaluate(params))
        history.record(epoch, **row)
        if progress and "test_accuracy" in row:
            progress(f"epoch {epoch}: train loss {row['loss']:.4f}, test acc "
                     f"{row['test_accuracy']:.4f} (pseudo {row['test_accuracy_pseudo']:.4f}), "
                     f"silent {row['test_silent_never']:.3f}, {row['seconds']:.2f} s")
    seconds = history["seconds"][1:]  # the first epoch includes JIT compilation
    history.summary["seconds_per_epoch"] = float(np.median(seconds[1:]) if seconds.size > 1
                                                 else seconds[0])
    return {"params": jax.tree.map(np.asarray, params),
            "params_init": jax.tree.map(np.asarray, p_init),
            "neuron": neuron, "history": history}


@functools.lru_cache(maxsize=16)
def _compiled(neuron, T, gamma, temperature):
    """Jitted training step and evaluation, shared by all runs with the same settings."""
    opt = adabelief(1.0)
    Theta = neuron.Theta

    @jax.jit
    def step(params, state, t, m, y, lr):
        loss, g = jax.value_and_grad(batch_loss)(params, t, m, y, neuron, T, gamma,
                                                 temperature)
        steps, state = opt.update(g, state)
        params = jax.tree.map(lambda p, s: p + lr * s, params, steps)
        params["psi0"] = [jnp.clip(p, 0.0, Theta) for p in params["psi0"]]
        return params, state, loss

    eval_fn = jax.jit(lambda p, t, m, y: metrics_jax(p, t, m, y, neuron, T, gamma,
                                                     temperature)[0])
    return step, eval_fn

