"""Training and evaluation loops over :class:`~.program.Program` runs.

* :func:`train`: epochs; each epoch is ONE run that trains on the (shuffled, freshly
  encoded) training set and then tests on the test set with learning-rate factor 0, so
  one program (one C++ build) serves every epoch.  Every epoch draws fresh noise: its run
  is seeded with :func:`epoch_seed` (``seed``, epoch), so a seed gives the same training.
* :func:`train_epoch`: one run of training on given input spikes.
* :func:`evaluate`: a forward pass, no learning, on an evaluation program (also on GeNN)
  or a training program, in chunks of its size.

Device handling is left to the caller: wrap the call in the package's device context
(``with use_device('cpp_standalone') as session: train(..., session=session)``); results
are read before the functions return.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..analysis.classification import accuracy
from ..history import History
from .program import DivergenceError, Program

__all__ = ["train", "train_epoch", "evaluate", "cosine_schedule", "epoch_seed"]


def cosine_schedule(epoch: int, epochs: int) -> float:
    """Learning-rate factor of ``epoch`` (0-based) for cosine annealing over ``epochs``."""
    return 0.5 * (1.0 + np.cos(np.pi * epoch / epochs))


def epoch_seed(seed: int, epoch: int, stream: int = 0) -> int:
    """The Brian2 seed of one run: a 31-bit integer from (``seed``, ``stream``, ``epoch``)."""
    return int(np.random.SeedSequence([int(seed), int(stream), int(epoch)]).generate_state(1)[0]
               & 0x7FFFFFFF)


def _default_encode(network):
    if network.input.mode == "rates":
        return lambda x, T, rng: x
    from ..datasets.encoding import rate_encode

    return lambda x, T, rng: np.moveaxis(rate_encode(x, T, seed=rng), 0, 1)


def _warn_clipped(clipped: dict, rule_floor="v_reset + theta_min"):
    total = {name: n for name, n in clipped.items() if n}
    if total:
        warnings.warn("learned thresholds reached their floor " + rule_floor + " and were "
                      "clipped there (" + ", ".join(f"layer '{k}': {n} updates"
                                                    for k, n in total.items()) + ")",
                      RuntimeWarning, stacklevel=3)


def _warn_silent(network, counts, epoch):
    """An output layer that never fires trains at chance: say so (once, after epoch 1)."""
    layer = network.readout.layer
    if epoch == 0 and network.layers[layer].spiking(network.model(layer)) and \
            not np.any(counts):
        warnings.warn(f"the output layer '{layer}' fired no spike in epoch 1: training runs at "
                      f"chance; give its input more weight (init_scale) or lower its threshold",
                      RuntimeWarning, stacklevel=3)


def _is_targets(labels) -> bool:
    """Per-step regression targets (n, T, n_out) rather than class labels (n,)."""
    return np.ndim(labels) == 3


def train_epoch(network, state, inputs, labels, *, lr_scale=1.0, seed=None, session=None,
                program=None) -> dict:
    """One run of training on ``inputs`` (spikes (n, T, n_in) or rates (n, n_in)) in the given
    order; ``labels``: class labels (n,) or per-step targets (n, T, n_out) of a regression
    error; returns the program's result with 'accuracy' (from the readout; class labels)."""
    labels = np.asarray(labels)
    program = program or Program(network, len(labels), plastic=True)
    res = program.run(state, inputs, labels, lr_scale=lr_scale, seed=seed, session=session)
    _warn_clipped(res["clipped"])
    out = res["counts"][network.readout.layer]
    _warn_silent(network, out, 0)
    if getattr(network.readout, "fits", False):    # class voting on these responses
        network.readout.fit(out, labels)
    if not _is_targets(labels):
        res["predictions"] = network.readout.predict(out)
        res["accuracy"] = accuracy(res["predictions"], labels)
    return res


def evaluate(network, state, inputs, labels=None, *, seed=None, session=None, record=(),
             program=None) -> dict:
    """Forward pass without learning; returns {'counts', 'predictions', 'accuracy'}.

    ``program``: an evaluation program, or a training program (run with learning-rate
    factor 0: no learning, the same spikes; no second build).  More inputs than the
    program presents run in chunks of its size, the last one padded with the first inputs;
    ``seed``: one number (chunk k > 0 is seeded with ``epoch_seed(seed, k, stream=2)``) or
    a sequence of one per chunk."""
    inputs = np.asarray(inputs, dtype=float)
    program = program or Program(network, inputs.shape[0], plastic=False, record=record)
    n, total = program.n_samples, inputs.shape[0]
    n_chunks = -(-total // n)
    if np.ndim(seed) == 0:
        seed = [seed if k == 0 or seed is None else epoch_seed(seed, k, stream=2)
                for k in range(n_chunks)]
    elif len(seed) != n_chunks:
        raise ValueError(f"seed: {len(seed)} seeds given for {n_chunks} chunks of {n} samples")
    counts = {}
    for k, start in enumerate(range(0, total, n)):
        index = np.arange(start, start + n) % total
        res = program.run(state, inputs[index], None if labels is None else
                          np.asarray(labels)[index], seed=seed[k], session=session)
        for layer, c in res["counts"].items():
            counts.setdefault(layer, []).append(c[:total - start])
    res["counts"] = {layer: np.concatenate(c) for layer, c in counts.items()}
    res["predictions"] = network.readout.predict(res["counts"][network.readout.layer])
    if labels is not None:
        res["accuracy"] = accuracy(res["predictions"], np.asarray(labels))
    return res


def train(network, state, x_train, y_train, x_test=None, y_test=None, *, epochs=1,
          encode=None, seed=0, lr_schedule=cosine_schedule, session=None, progress=None,
          program: Program | None = None, record=(), record_state=()) -> dict:
    """Train for ``epochs`` epochs; each epoch is ONE Brian2 run that also tests.

    x_train/x_test: analogue inputs in [0, 1] (n, n_in), encoded afresh every epoch by
    ``encode(x, T, rng)`` (default: Bernoulli rate coding, spike probability x per step;
    with a 'rates' input the probabilities themselves); the training samples are shuffled
    every epoch.  y_train/y_test: class labels (n,), or per-step targets (n, T, n_out) of a
    regression error (``OutputError(loss='mse', targets='given')``).  ``program``: a
    training :class:`Program` (or a :class:`~.twin_program.TwinProgram`: BPTT) for n_train +
    n_test samples to reuse (the same C++ build for several seeds, or for a network that
    differs only in its learning rates: :meth:`~.program.Program.adopt`).
    ``record``: layers whose spike counts per sample are kept for every epoch;
    ``record_state``: keys ``(owner, variable)`` of the state (e.g. ``('hidden', 'v_th')``,
    a learned threshold) whose values are kept before training and after every epoch.  Returns a
    dict: 'state' (trained), 'history' (:class:`~neuromodels.history.History`, one row per
    epoch 0, 1, ...: 'train_accuracy', 'test_accuracy' (class labels; with a test set; a
    :class:`~.readout.VotingReadout` is fitted on the epoch's training responses first),
    'train_loss', 'test_loss' (mean per sample of the readout layer's loss), 'seconds' (wall
    time of the epoch's run), 'build_seconds', 'simulation_seconds', 'repeats' (samples
    shown again, :class:`~.schedule.Repeat`: showings beyond the first; the run has the
    repeat's spare slots besides the training and test samples); summary 'builds',
    'reruns'), 'counts' {layer: [per epoch (n_samples, n)]}, 'states' {key: [initial, after
    epoch 1, ...]} (epochs + 1 copies of each ``record_state`` value).  A run that diverges raises
    :class:`DivergenceError` naming the epoch and the data-set sample.
    """
    encode = encode or _default_encode(network)
    rng = np.random.default_rng(seed)
    x_train, y_train = np.asarray(x_train, dtype=float), np.asarray(y_train)
    regression = _is_targets(y_train)
    n_train = len(y_train)
    has_test = x_test is not None
    if has_test:
        x_test, y_test = np.asarray(x_test, dtype=float), np.asarray(y_test)
    n_total = n_train + (len(y_test) if has_test else 0)
    if program is None:
        program = Program(network, n_total, plastic=True, record=record)
    elif program.n_samples != n_total or not program.plastic:
        raise ValueError(f"program must be a training program for {n_total} samples; it "
                         f"presents {program.n_samples}")
    elif set(record) - set(program.counted):
        raise ValueError(f"record={tuple(record)!r}: the given program counts the spikes of "
                         f"{program.counted} only; build it with Program(..., record=...)")
    if hasattr(program, "adopt"):   # the same build for a network with other learning rates
        program.adopt(network)
    missing = [key for key in record_state if key not in state]
    if missing:
        raise ValueError(f"record_state: {missing} are not in the state; it holds "
                         f"{sorted(state)}")
    builds, reruns = program.builds, program.reruns
    history, counts = History("epoch"), {}
    states = {key: [state[key].copy()] for key in record_state}
    clipped = {}
    readout = network.readout
    for epoch in range(int(epochs)):
        order = rng.permutation(n_train)
        inputs = encode(x_train[order], network.T, rng)
        labels = y_train[order]
        lr = np.full(n_total, float(lr_schedule(epoch, epochs)))
        index = order
        if has_test:
            inputs = np.concatenate([inputs, encode(x_test, network.T, rng)])
            labels = np.concatenate([labels, y_test])
            lr[n_train:] = 0.0
            index = np.concatenate([order, np.arange(len(y_test))])
        try:
            res = program.run(state, inputs, labels, lr_scale=lr, seed=epoch_seed(seed, epoch),
                              session=session)
        except DivergenceError as err:
            k = err.sample
            raise DivergenceError(err.variable, err.owner, k, epoch=epoch,
                                  index=int(index[k]) if 0 <= k < len(index) else None) from None
        state = res["state"]
        for name, n in res["clipped"].items():
            clipped[name] = clipped.get(name, 0) + n
        _warn_silent(network, res["counts"][readout.layer][:n_train], epoch)
        row = {}
        if getattr(readout, "fits", False):    # class voting on this epoch's training responses
            readout.fit(res["counts"][readout.layer][:n_train], y_train[order])
        if not regression:
            predicted = readout.predict(res["counts"][readout.layer])
            row["train_accuracy"] = accuracy(predicted[:n_train], y_train[order])
            if has_test:
                row["test_accuracy"] = accuracy(predicted[n_train:], y_test)
        if "loss" in res:
            row["train_loss"] = float(np.nanmean(res["loss"][:n_train]))
            if has_test:
                row["test_loss"] = float(np.nanmean(res["loss"][n_train:]))
        timings = res["timings"]
        shown_again = {"repeats": int(np.sum(res["repeats"]))} if "repeats" in res else {}
        history.record(epoch, **row, seconds=timings["wall"],
                       build_seconds=timings.get("build", np.nan),
                       simulation_seconds=timings.get("simulation", np.nan), **shown_again)
        for name in record:
            counts.setdefault(name, []).append(res["counts"][name])
        for key in record_state:
            states[key].append(state[key].copy())
        if progress is not None:
            progress(f"epoch {epoch + 1}/{epochs}: "
                     + ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in row.items())
                     + f" ({timings['wall']:.2f} s" + (", re-run" if res["rerun"] else "")
                     + ")")
    _warn_clipped(clipped)
    history.summary.update(builds=program.builds - builds, reruns=program.reruns - reruns)
    return {"state": state, "history": history, "counts": counts, "states": states}
