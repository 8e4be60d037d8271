"""Learning framework: NDL vs finite-difference gradient, exact numpy epochs (the chain of
issue 4 and the three design tests: a recurrent layer, direct feedback to two layers, a
per-step rule), learning criteria, fresh and reproducible noise, divergence, devices."""
import contextlib
import warnings

import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.devices import brian2_settings, use_device
from neuromodels.learning import (NDL, NDL_NEURON_PARAMETERS, DivergenceError, Feedback,
                                  InputLayer, Layer, LearningNetwork, OutputError, Program,
                                  Projection, Readout, evaluate, feedforward, ndl_neuron, train,
                                  train_epoch)
from neuromodels.model import NeuronModel
from neuromodels.parameters import ParameterError, ParameterSet

from .conftest import readme_example, require_device

A = 0.5                  # membrane and trace decay per step of the NDL neuron (tau_m = dt/ln 2)


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _mV(x):
    return np.asarray(x / mV)


# --------------------------------------------------------------------------------------------
# NDL = gradient of the expected loss (single layer, no reset)
# --------------------------------------------------------------------------------------------

def test_ndl_update_matches_finite_difference_gradient():
    """The declared check (neuromodels/networks/learning_checks.py, also run by
    `neuromodels validate`): one epoch's mean NDL update of W and theta (one layer, no
    reset) equals the finite-difference gradient of the expected loss within 4.5 standard
    errors, and a reference with the trace one step off is rejected (the check can fail)."""
    from neuromodels.networks import learning_checks

    check = learning_checks.ndl_gradient()
    found = learning_checks.gradient_errors(ndl_neuron("gaussian"), check.size("quick"))
    assert np.abs(found["G"]).max() > 10 * found["se_w"].max()     # the gradient is resolvable
    assert max(np.abs(found["z_w"]).max(), np.abs(found["z_theta"]).max()) < check.tolerance
    # negative control: a trace one step off (x̄ including the current spike)
    run, noise = found["run"], found["noise"]
    xbar_bad, _ = learning_checks.expected_counts(run["W"], run["spikes"], run["a"], shift=True)
    _, v = learning_checks.expected_counts(run["W"], run["spikes"], run["a"])
    p = noise.firing_probability(v - run["theta"], run["sigma"])
    psi = noise.density(v - run["theta"], run["sigma"])
    T = run["spikes"].shape[0]
    G_bad = xbar_bad.T @ psi * ((p.sum(axis=0) / T - run["y"]) / T)
    assert np.max(np.abs((run["est_w"] - G_bad) / found["se_w"])) > 6


# --------------------------------------------------------------------------------------------
# the layered network of issue 4: one deterministic epoch == numpy
# --------------------------------------------------------------------------------------------

def _toy_task(rng, K, T, n_in=8):
    labels = rng.integers(0, 2, K)
    rates = np.where(labels[:, None] == 1, np.r_[np.full(4, 0.6), np.full(4, 0.05)],
                     np.r_[np.full(4, 0.05), np.full(4, 0.6)])
    spikes = (rng.random((K, T, n_in)) < rates[:, None, :]).astype(float)
    return spikes, labels


def _reference_deterministic_epoch(net, state, spikes, labels, lr=1.0):
    """Independent numpy implementation of one training epoch with Heaviside firing.

    Written from the equations in the module docstrings (Gaussian surrogate, 'ce' loss,
    'gain' upstream signal, hard reset; numbers in mV); returns weights, thresholds and
    output counts.  Learned thresholds stay >= v_reset + theta_min (the rule's floor).
    """
    rule = net.rules[0].p
    a, T = A, net.T
    sigma = float(net.layers["output"].model.parameters["sigma_surrogate"].default / mV)
    beta = net.signals[0].p["beta"]
    eta, eta_theta = float(rule["eta"] / mV ** 2), float(rule["eta_theta"] / mV ** 2)
    eta = 0.0 if rule["learn"] == "thresholds" else eta                 # TL
    eta_theta = 0.0 if rule["learn"] == "weights" else eta_theta        # SL
    w_max, floor = float(rule["w_max"] / mV), float(rule["theta_min"] / mV)
    feedback = net.signals[1].p["weights"]
    names = list(net.layers)
    W = [_mV(state[p.name, "w"]).copy() for p in net.projections]
    th = [_mV(state[n, "v_th"]).copy() if (n, "v_th") in state      # learned: per neuron
          else np.full(net.size(n), float(net.layers[n].parameter("v_th") / mV)) for n in names]
    fb = [None] + [_mV(state[r.name, "B"]) for r in net.routes][::-1]
    n_layers = len(W)
    all_counts = []
    for spikes_k, label in zip(spikes, labels):
        v = [np.zeros(w.shape[1]) for w in W]
        xb = [np.zeros(w.shape[0]) for w in W]      # trace of each layer's presynaptic spikes
        elig = [np.zeros_like(w) for w in W]
        epsi = [np.zeros(w.shape[1]) for w in W]
        count = [np.zeros(w.shape[1]) for w in W]
        for n in range(T):
            for l in range(n_layers):
                v[l] *= a
                xb[l] *= a
            fired = []
            for l in range(n_layers):
                x = (v[l] - th[l]) / sigma
                psi = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi) / sigma
                epsi[l] += psi
                elig[l] += np.outer(xb[l], psi)
                fired.append((v[l] > th[l]).astype(float))
            pre = [spikes_k[n]] + fired[:-1]
            for l in range(n_layers):
                v[l] += pre[l] @ W[l]
                v[l][fired[l] > 0] = 0.0
                count[l] += fired[l]
                xb[l] += pre[l]
        c = count[-1]
        all_counts.append(c)
        soft = np.exp(beta * c / T) / np.exp(beta * c / T).sum()
        L = [None] * n_layers
        L[-1] = beta / T * (soft - (np.arange(len(c)) == label))
        for l in range(n_layers - 1, 0, -1):
            delta = L[l] * epsi[l] / T * a / (1 - a)
            L[l - 1] = W[l] @ delta if feedback == "symmetric" else delta @ fb[l]
        for l in range(n_layers):
            W[l] = np.clip(W[l] - eta * lr * L[l][None, :] * elig[l], -w_max, w_max)
            th[l] = np.maximum(th[l] + eta_theta * lr * L[l] * epsi[l], floor)
    return W, th, np.array(all_counts)


def _deterministic_setup(feedback, K=24, T=10, eligibility="auto", learn="both"):
    rng = np.random.default_rng(2)
    spikes, labels = _toy_task(rng, K, T)
    net = feedforward([8, 5, 2], ndl_neuron("gaussian", deterministic=True), T=T,
                      params=dict(NDL_NEURON_PARAMETERS, v_th=0.3 * mV), feedback=feedback,
                      init_scale=3 * mV,
                      rule=NDL(eta=1.0 * mV ** 2, eta_theta=0.05 * mV ** 2, learn=learn,
                               eligibility=eligibility))
    return net, net.initial_state(seed=4), spikes, labels


def _assert_equal_epoch(res, state, W, th, counts, net):
    assert counts.sum() > 0
    np.testing.assert_array_equal(res["counts"]["output"], counts)
    for proj, want in zip(net.projections, W):
        assert not np.allclose(want, _mV(state[proj.name, "w"]))
        np.testing.assert_allclose(_mV(res["state"][proj.name, "w"]), want, rtol=1e-9, atol=1e-12)
    for name, want in zip(net.layers, th):
        np.testing.assert_allclose(_mV(res["state"][name, "v_th"]), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("feedback, eligibility", [("random", "auto"), ("symmetric", "auto"),
                                                   ("symmetric", "per_step")])
def test_deterministic_epoch_equals_numpy_reference(feedback, eligibility):
    """Brian2's generated code (schedule, traces, softmax error, feedback routing,
    weight and threshold updates) == an independent numpy implementation; the eligibility
    computed per step and event-driven ('auto' here: one chunk per sample) alike."""
    net, state, spikes, labels = _deterministic_setup(feedback, eligibility=eligibility)
    assert net.rules[0].chunk(net, "output") == (1 if eligibility == "per_step" else 10)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = train_epoch(net, state, spikes, labels)
    W, th, counts = _reference_deterministic_epoch(net, state, spikes, labels)
    _assert_equal_epoch(res, state, W, th, counts, net)
    # symmetric feedback drives hidden thresholds to their floor: clipped, one warning
    clipped = [w for w in caught if "clipped" in str(w.message)]
    assert len(clipped) == (1 if feedback == "symmetric" else 0)
    assert (res["clipped"]["hidden"] > 0) == (feedback == "symmetric")


@pytest.mark.parametrize("learn", ["weights", "thresholds"])
def test_sl_and_tl_train_only_weights_or_only_thresholds(learn):
    """The SL / TL / STL switch (Sun et al. 2023; STL is 'both', tested above): SL leaves
    every threshold, TL every weight exactly as it was, and the trained half equals the
    numpy reference with the other learning rate set to zero."""
    net, state, spikes, labels = _deterministic_setup("random", learn=learn)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the thresholds' floor
        res = train_epoch(net, state, spikes, labels)
    W, th, counts = _reference_deterministic_epoch(net, state, spikes, labels)
    np.testing.assert_array_equal(res["counts"]["output"], counts)
    trained, fixed = ((net.projections, net.layers) if learn == "weights"
                      else (net.layers, net.projections))
    if learn == "weights":   # the thresholds are no state at all: the model's shared v_th
        assert not any(key in res["state"] for key in ((n, "v_th") for n in fixed))
    for part in fixed if learn == "thresholds" else ():
        key = (part.name, "w")
        np.testing.assert_array_equal(_mV(res["state"][key]), _mV(state[key]))
    for part, want in zip(trained, W if learn == "weights" else th):
        key = (part.name, "w") if learn == "weights" else (part, "v_th")
        assert not np.allclose(want, _mV(state[key]))
        np.testing.assert_allclose(_mV(res["state"][key]), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("learn", ["weights", "thresholds"])
def test_sl_and_tl_equal_stl_with_the_other_learning_rate_zero(learn):
    """How the threshold-learning study runs SL and TL (one program structure for all
    three): ``learn='both'`` with eta_theta = 0 gives the same spikes and weights as
    ``learn='weights'``, and with eta = 0 the same spikes and thresholds as
    ``learn='thresholds'`` (thresholds resp. weights stay exactly as they were)."""
    net, state, spikes, labels = _deterministic_setup("random", learn=learn)
    zero = {"eta_theta" if learn == "weights" else "eta": 0 * mV ** 2}
    rule = NDL(**dict(net.rules[0].p, learn="both", **zero))
    both = feedforward([8, 5, 2], ndl_neuron("gaussian", deterministic=True), T=net.T,
                       params=dict(NDL_NEURON_PARAMETERS, v_th=0.3 * mV), feedback="random",
                       init_scale=3 * mV, rule=rule)
    state_both = both.initial_state(seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the thresholds' floor
        res = train_epoch(net, state, spikes, labels)
        res_both = train_epoch(both, state_both, spikes, labels)
    assert res["counts"]["output"].sum() > 0
    np.testing.assert_array_equal(res_both["counts"]["output"], res["counts"]["output"])
    for key, value in res["state"].items():
        np.testing.assert_array_equal(_mV(res_both["state"][key]), _mV(value))
    fixed = [(n, "v_th") for n in both.layers] if learn == "weights" else \
        [(p.name, "w") for p in both.projections]
    for key in fixed:
        np.testing.assert_array_equal(_mV(res_both["state"][key]), _mV(state_both[key]))


def test_train_records_state_per_epoch():
    """``record_state``: the values before training and after every epoch; the last is the
    trained state, and with learning thresholds they move."""
    net, state, _, _ = _deterministic_setup("random")
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 16)
    x = np.where(y[:, None] == 1, np.r_[np.full(4, 0.6), np.full(4, 0.05)],
                 np.r_[np.full(4, 0.05), np.full(4, 0.6)])
    keys = [("hidden", "v_th"), ("output", "v_th")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # the thresholds' floor
        h = train(net, state, x, y, epochs=2, seed=1, record_state=keys)
    for key in keys:
        assert len(h["states"][key]) == 3
        np.testing.assert_array_equal(h["states"][key][0], state[key])
        np.testing.assert_array_equal(h["states"][key][-1], h["state"][key])
        assert not np.array_equal(h["states"][key][1], h["states"][key][0])
    with pytest.raises(ValueError, match="record_state"):
        train(net, state, x, y, record_state=[("hidden", "nope")])


def test_evaluation_samples_do_not_learn():
    """lr_scale 0 (the test part of a training run) leaves weights unchanged, and the
    evaluation program (one clock; also GeNN) counts the same spikes as the training one,
    also when a smaller training program evaluates the data set in chunks."""
    net, state, spikes, labels = _deterministic_setup("random")
    res = Program(net, len(labels), plastic=True).run(state, spikes, labels, lr_scale=0.0)
    for key in state:
        np.testing.assert_array_equal(res["state"][key], state[key])
    ev = evaluate(net, state, spikes, labels, record=("hidden",))
    np.testing.assert_array_equal(ev["counts"]["output"], res["counts"]["output"])
    assert ev["counts"]["hidden"].shape == (len(labels), 5) and ev["counts"]["hidden"].sum() > 0
    # a training program of 10 samples evaluates the 24 in three chunks (the last padded)
    chunked = evaluate(net, state, spikes, labels, program=Program(net, 10), seed=[1, 2, 3])
    np.testing.assert_array_equal(chunked["counts"]["output"], res["counts"]["output"])
    assert chunked["accuracy"] == ev["accuracy"]
    with pytest.raises(ValueError, match="seed"):
        evaluate(net, state, spikes, labels, program=Program(net, 10), seed=[1, 2])


@pytest.mark.parametrize("device", ["runtime", pytest.param("cpp_standalone",
                                                             marks=pytest.mark.long)])
def test_train_epochs_equal_numpy_reference(device):
    """train(): two epochs (shuffled, new inputs, learning-rate schedule) equal the numpy
    reference (deterministic firing).  On C++ standalone (long: ~40-90 s of compilation)
    epoch 1 builds and epoch 2 re-runs the binary with new values (run_args), or
    rebuilds on brian2 < 2.6."""
    net, state, spikes, labels = _deterministic_setup("symmetric")
    x = spikes.mean(axis=1)              # analogue inputs; the spikes come from `encode`
    epoch_spikes = [spikes, spikes[::-1]]
    fixed = iter(epoch_spikes)

    def encode(x_, T, rng):
        return next(fixed)

    def lr_schedule(epoch, epochs):
        return 1.0 / (epoch + 1)

    def builds(hist):
        return hist["history"].summary["builds"], hist["history"].summary["reruns"]

    def train_and_test(session=None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)   # the thresholds' floor
            hist = train(net, state, x, labels, epochs=2, encode=encode, seed=0,
                         session=session, lr_schedule=lr_schedule)
        # then a second program (a new build on C++ standalone), run twice
        evaluator = Program(net, len(labels), plastic=False)
        counts = [evaluator.run(hist["state"], sp, session=session)["counts"]["output"]
                  for sp in epoch_spikes]
        return hist, counts, evaluator

    if device == "runtime":   # epoch 2 re-runs epoch 1's objects with their code objects
        hist, test_counts, evaluator = train_and_test()
        assert builds(hist) == (1, 1)
        assert (evaluator.builds, evaluator.reruns) == (1, 1)
    else:
        require_device(device)
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        with use_device(device, seed=0) as session:
            hist, test_counts, evaluator = train_and_test(session)
        if hasattr(CPPStandaloneDevice, "_prepare_timed_array_run_arg"):   # brian2 >= 2.6
            assert builds(hist) == (1, 1)
            assert (evaluator.builds, evaluator.reruns) == (1, 1)
        else:
            assert (*builds(hist), evaluator.builds) == (2, 0, 2)
    # the same two epochs in numpy (train() permutes with default_rng(seed) once per epoch)
    rng = np.random.default_rng(0)
    ref = state.copy()
    for epoch, sp in enumerate(epoch_spikes):
        order = rng.permutation(len(labels))
        W, th, counts = _reference_deterministic_epoch(net, ref, sp, labels[order],
                                                        lr=lr_schedule(epoch, 2))
        assert hist["history"]["train_accuracy"][epoch] == pytest.approx(
            np.mean(counts.argmax(1) == labels[order]))
        for proj, w in zip(net.projections, W):
            ref[proj.name, "w"] = w * mV
        for name, t in zip(net.layers, th):
            ref[name, "v_th"] = t * mV
    for proj in net.projections:
        assert not np.allclose(_mV(ref[proj.name, "w"]), _mV(state[proj.name, "w"]))
        np.testing.assert_allclose(_mV(hist["state"][proj.name, "w"]), _mV(ref[proj.name, "w"]),
                                   rtol=1e-9, atol=1e-12)
    for sp, got in zip(epoch_spikes, test_counts):   # evaluation: learning-rate factor 0
        _, _, want = _reference_deterministic_epoch(net, ref, sp, labels, lr=0.0)
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------------------------
# design tests: a recurrent layer, direct feedback to two layers, a per-step rule
# --------------------------------------------------------------------------------------------

def _reference_epoch(net, state, spikes, labels, lr=1.0):
    """Numpy model of one epoch of ANY network of this file's design tests, written from the
    docstrings of rules/signals/schedule: deterministic NDL neurons (decay A, reset to 0,
    threshold v_th), Gaussian surrogate of width sigma_surrogate, NDL per sample or per step,
    'ce' (per sample) or per-step 'mse' output errors, symmetric/random feedback (per step:
    routed and applied at the end of the same step).  Numbers in mV.  Returns (state, output
    counts)."""
    rule = net.rules[0].p
    step_rule = rule["timing"] == "step"
    eta, eta_th = float(rule["eta"] / mV ** 2), float(rule["eta_theta"] / mV ** 2)
    w_max, floor = float(rule["w_max"] / mV), float(rule["theta_min"] / mV)
    learn_w = rule["learn"] in ("weights", "both")
    learn_th = rule["learn"] in ("thresholds", "both")
    T, names = net.T, list(net.layers)
    sig = {n: float(net.layers[n].model.parameters["sigma_surrogate"].default / mV) for n in names}
    W = {p.name: _mV(state[p.name, "w"]).copy() for p in net.projections}
    B = {r.name: _mV(state[r.name, "B"]) for r in net.routes}
    th = {n: _mV(state[n, "v_th"]).copy() for n in names}
    size = {n: net.size(n) for n in ["input"] + names}
    out_err = next(s for s in net.signals if isinstance(s, OutputError))
    feedbacks = [s for s in net.signals if isinstance(s, Feedback)]
    levels = sorted(names, key=lambda n: net.levels[n])      # output first
    k = A / (1 - A)
    P = net.readout.per_class
    cls = np.arange(size["output"]) // P                    # class of each output neuron
    counts_out = []

    def routed(fb, delta):
        if fb.p["weights"] == "symmetric":
            return W[f"{fb.target}_to_{fb.source}"] @ delta[fb.source]
        return delta[fb.source] @ B[fb.route_name]

    for s_k, label in zip(spikes, labels):
        v = {n: np.zeros(size[n]) for n in names}
        xb = {n: np.zeros(size[n]) for n in ["input"] + names}
        psi = {n: np.zeros(size[n]) for n in names}
        epsi = {n: np.zeros(size[n]) for n in names}
        count = {n: np.zeros(size[n]) for n in names}
        elig = {p.name: np.zeros_like(W[p.name]) for p in net.projections}
        L_err = np.zeros(size["output"])
        target = out_err.p["y_off"] + (out_err.p["y_on"] - out_err.p["y_off"]) * (cls == label)
        for n in range(T):
            for d in (v, xb):
                for key in d:
                    d[key] *= A
            L = {}
            fired = {}
            for name in names:
                x = (v[name] - th[name]) / sig[name]
                psi[name] = np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi) / sig[name]
                epsi[name] += psi[name]
                fired[name] = (v[name] > th[name]).astype(float)
            if step_rule:        # the error of this step (thresholds slot)
                L_err = (fired["output"] - target) / T
            pre_spikes = {"input": s_k[n], **fired}
            for proj in net.projections:   # this step's eligibility (per step) or its sum
                e_step = np.outer(xb[proj.pre], psi[proj.post])
                if step_rule:
                    elig[proj.name] = e_step
                else:
                    elig[proj.name] += e_step
            mask = {p.name: p.mask(net) for p in net.projections}
            for proj in net.projections:
                v[proj.post] += pre_spikes[proj.pre] @ (W[proj.name] * mask[proj.name])
            for name in names:
                v[name][fired[name] > 0] = 0.0
                count[name] += fired[name]
            for key in xb:
                xb[key] += pre_spikes[key]
            if step_rule:        # 'end' slot: routed in the same step, output first; updates
                L["output"] = L_err
                delta = {"output": L_err * psi["output"] * k}
                for name in levels:
                    into = [routed(fb, delta) for fb in feedbacks if fb.target == name]
                    if into:
                        L[name] = sum(into)
                        delta[name] = L[name] * psi[name] * k
                for name in names:
                    if learn_th and name in L:
                        th[name] = np.maximum(th[name] + eta_th * lr * L[name] * psi[name], floor)
                for proj in net.projections:
                    if learn_w:
                        W[proj.name] = np.clip(W[proj.name] - eta * lr * elig[proj.name]
                                               * L[proj.post][None, :], -w_max, w_max)
        counts_out.append(count["output"].copy())
        if step_rule:
            continue
        beta = out_err.p["beta"]
        score = count["output"].reshape(-1, P).sum(axis=1) / (P * T)     # class scores
        soft = np.exp(beta * score) / np.exp(beta * score).sum()
        L = {"output": (beta / (P * T) * (soft - (np.arange(len(score)) == label)))[cls]}
        delta = {"output": L["output"] * epsi["output"] / T * k}
        for name in levels:
            into = [routed(fb, delta) for fb in feedbacks if fb.target == name]
            if into:
                L[name] = sum(into)
                delta[name] = L[name] * epsi[name] / T * k
        for proj in net.projections:
            W[proj.name] = np.clip(W[proj.name] - eta * lr * L[proj.post][None, :]
                                   * elig[proj.name], -w_max, w_max)
        if learn_th:
            for name in names:
                th[name] = np.maximum(th[name] + eta_th * lr * L[name] * epsi[name], floor)
    new = state.copy()
    for proj in net.projections:
        new[proj.name, "w"] = W[proj.name] * mask[proj.name] * mV
    for name in names:
        new[name, "v_th"] = th[name] * mV
    return new, np.array(counts_out)


_NEURON = ndl_neuron("gaussian", deterministic=True)
_PARAMS = dict(NDL_NEURON_PARAMETERS, v_th=0.3 * mV)


def _design_network(kind):
    layer = lambda name, n: Layer(name, n, _NEURON, params=_PARAMS)  # noqa: E731
    rule = dict(eta=1.0 * mV ** 2, eta_theta=0.02 * mV ** 2, learn="both")
    per_class = 1
    if kind == "recurrent":                   # and a readout of 2 neurons per class (JDF)
        per_class = 2
        layers = [layer("hidden", 6), layer("output", 4)]
        projections = [Projection("input", "hidden", init_scale=3 * mV),
                       Projection("hidden", "hidden", init_scale=1.5 * mV),
                       Projection("hidden", "output", init_scale=3 * mV)]
        signals = [OutputError("output"), Feedback("output", "hidden", weights="random")]
        rules = [NDL(**rule)]
    elif kind == "direct":
        layers = [layer("hidden1", 6), layer("hidden2", 5), layer("output", 2)]
        projections = [Projection("input", "hidden1", init_scale=3 * mV),
                       Projection("hidden1", "hidden2", init_scale=3 * mV),
                       Projection("hidden2", "output", init_scale=3 * mV)]
        # hidden1 has two sources at once: direct from the output and from hidden2
        signals = [OutputError("output"), Feedback("output", "hidden2", weights="random"),
                   Feedback("output", "hidden1", weights="random"),
                   Feedback("hidden2", "hidden1", weights="symmetric")]
        rules = [NDL(**rule)]
    else:   # per step
        layers = [layer("hidden", 6), layer("output", 2)]
        projections = [Projection("input", "hidden", init_scale=3 * mV),
                       Projection("hidden", "output", init_scale=3 * mV)]
        signals = [OutputError("output", loss="mse", timing="step"),
                   Feedback("output", "hidden", weights="random", timing="step", scale=4 * mV)]
        rules = [NDL(timing="step", **dict(rule, eta=0.5 * mV ** 2))]
    return LearningNetwork(InputLayer(8), layers, projections, signals, rules,
                   Readout("output", per_class=per_class), T=8)


@pytest.mark.parametrize("kind", ["recurrent", "direct", "step"])
def test_design_network_epoch_equals_numpy_reference(kind):
    """(a) an explicitly recurrent hidden layer (read out by 2 neurons per class), (b) direct
    random feedback from the output to two hidden layers (one of them also fed by the layer
    above: two sources, one layer), (c) NDL applied every step with per-step errors: one
    epoch == the numpy model."""
    rng = np.random.default_rng(7)
    spikes, labels = _toy_task(rng, 12, 8)
    net = _design_network(kind)
    state = net.initial_state(seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = train_epoch(net, state, spikes, labels)
    want, counts = _reference_epoch(net, state, spikes, labels)
    assert counts.sum() > 0
    np.testing.assert_array_equal(res["counts"]["output"], counts)
    for key in state:
        if key[1] == "B":
            continue
        np.testing.assert_allclose(_mV(res["state"][key]), _mV(want[key]), rtol=1e-9,
                                   atol=1e-12, err_msg=str(key))
        assert not np.allclose(_mV(want[key]), _mV(state[key])), key   # it learned
    if kind == "recurrent":
        assert np.all(np.diag(_mV(res["state"]["hidden_to_hidden", "w"])) == 0)
        np.testing.assert_array_equal(res["predictions"], counts.reshape(-1, 2, 2).sum(2).argmax(1))


# --------------------------------------------------------------------------------------------
# learning, noise, reliability
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("feedback", ["random", "symmetric"])
def test_hidden_layer_learns_through_feedback(feedback):
    """From weak input weights (the hidden neurons barely respond, test accuracy at chance),
    one epoch in which only the feedback route can teach the hidden layer brings the test
    accuracy to >= 90 %; with the hidden weights frozen the same epoch stays below 75 %."""
    rng = np.random.default_rng(0)
    spikes, labels = _toy_task(rng, 80, 10)
    test_spikes, test_labels = _toy_task(rng, 60, 10)

    def run(train_hidden):
        neuron = ndl_neuron("logistic")
        layers = [Layer("hidden", 6, neuron, params=NDL_NEURON_PARAMETERS),
                  Layer("output", 2, neuron, params=NDL_NEURON_PARAMETERS)]
        projections = [Projection("input", "hidden", plastic=train_hidden, init_scale=0.5 * mV),
                       Projection("hidden", "output")]
        net = LearningNetwork(InputLayer(8), layers, projections,
                      [OutputError("output"), Feedback("output", "hidden", weights=feedback)],
                      [NDL(eta=3.0 * mV ** 2)], Readout("output"), T=10)
        state = net.initial_state(seed=1)
        before = evaluate(net, state, test_spikes, test_labels, seed=9)["accuracy"]
        state = train_epoch(net, state, spikes, labels, seed=0)["state"]
        return before, evaluate(net, state, test_spikes, test_labels, seed=9)["accuracy"]

    before, trained = run(True)
    assert before <= 0.75 and trained >= 0.9, (before, trained)
    if feedback == "random":                  # the control does not depend on the route
        assert run(False)[1] <= 0.75


def test_fresh_noise_every_epoch_and_reproducible_from_the_seed():
    """Noisy firing, no learning: two epochs of train() on the same input spikes draw
    different noise (different counts), and the same seed gives the same training."""
    rng = np.random.default_rng(1)
    spikes, labels = _toy_task(rng, 10, 10)
    net = feedforward([8, 6, 2], ndl_neuron("gaussian"), T=10, rule=NDL(eta=0 * mV ** 2))
    state = net.initial_state(seed=2)

    def run(seed):
        return train(net, state, spikes.mean(axis=1), labels, epochs=2, seed=seed,
                     encode=lambda x, T, rng: spikes, record=("hidden",))

    a, b = run(3), run(3)
    first, second = a["counts"]["hidden"]
    assert first.sum() > 20 and not np.array_equal(first, second)
    for x, y in zip(a["counts"]["hidden"], b["counts"]["hidden"]):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(run(4)["counts"]["hidden"][0], first)


def _diverging_network():
    """A layer whose membrane explodes (an unstable 'leak'): v becomes inf in the first step."""
    from neuromodels.neurons.noisy import with_surrogate
    from neuromodels.parameters import Parameter, positive

    unstable = with_surrogate(NeuronModel(
        name="unstable", equations="dv/dt = (v + I0)/tau_g : volt",
        parameters=ParameterSet(positive("tau_g", 0.001 * ms), Parameter("I0", 1 * mV),
                                Parameter("v_th", 1 * mV)),
        threshold="v > v_th", reset="", initial=(("v", 0 * mV),)), sigma_surrogate=0.4 * mV)
    layers = [Layer("hidden", 3, unstable),
              Layer("output", 2, ndl_neuron(), params=NDL_NEURON_PARAMETERS)]
    return LearningNetwork(InputLayer(4), layers, [Projection("input", "hidden"),
                                           Projection("hidden", "output")],
                   [OutputError("output"), Feedback("output", "hidden", weights="random")],
                   [NDL(tau_x=1 * ms)], Readout("output"), T=5)


def test_divergence_stops_with_the_variable_layer_epoch_and_sample(tmp_path):
    from neuromodels.study import Study, run_study

    net = _diverging_network()
    x, y = np.full((3, 4), 0.5), np.array([0, 1, 0])
    with pytest.raises(DivergenceError, match=r"variable 'v' of 'hidden' became non-finite "
                                              r"\(inf or NaN\) in epoch 0, sample 0 "
                                              r"\(data-set sample \d\)"):
        train(net, net.initial_state(), x, y, epochs=1)
    def simulate(p, ctx):
        with brian2_settings(target="numpy"):
            return train(net, net.initial_state(), x, y)

    study = Study("diverging", "", simulate=simulate, plot=lambda data: None,
                  parameters=ParameterSet(), devices=("runtime",))
    with pytest.raises(DivergenceError):
        run_study(study, device="runtime", out=tmp_path, verbose=False)
    assert list(tmp_path.iterdir()) == []          # no results file


def test_bad_configuration_rejected():
    neuron = ndl_neuron()
    with pytest.raises(ParameterError, match="'weights'"):
        Feedback("output", "hidden", weights="transposed")
    with pytest.raises(ParameterError, match="'loss'"):
        OutputError("output", loss="hinge")
    with pytest.raises(ParameterError, match="'learn'"):
        NDL(learn="bias")
    with pytest.raises(ParameterError, match="'eta' must have the unit"):
        feedforward([4, 3, 2], neuron, rule=NDL(eta=0.2))     # weights in volt: eta in volt**2
    with pytest.raises(ParameterError, match="'eta'"):
        NDL(eta=-0.2 * mV ** 2)
    with pytest.raises(ValueError, match="sigma"):
        ndl_neuron(sigma=0 * mV)
    with pytest.raises(ValueError, match="noise"):
        ndl_neuron("cauchy2")
    from neuromodels.neurons.lif import LIF
    with pytest.raises(ParameterError, match="declares no firing function"):
        Layer("hidden", 3, LIF)
    with pytest.raises(ParameterError, match="receives no learning signal"):
        LearningNetwork(InputLayer(4), [Layer("output", 2, neuron)],
                        [Projection("input", "output")], [], [NDL(layers=("output",))],
                        Readout("output"))
    with pytest.raises(ParameterError, match="timing"):
        LearningNetwork(InputLayer(4), [Layer("output", 2, neuron)],
                        [Projection("input", "output")], [OutputError("output")],
                        [NDL(timing="step")], Readout("output"))
    with pytest.raises(ParameterError, match="weights of the projection"):
        LearningNetwork(InputLayer(4), [Layer("hidden", 3, neuron), Layer("output", 2, neuron)],
                [Projection("input", "hidden")],
                [OutputError("output"), Feedback("output", "hidden", weights="symmetric")],
                [NDL()], Readout("output"))
    net = feedforward([4, 3, 2], neuron)
    with pytest.raises(Exception, match="n_in"):
        evaluate(net, net.initial_state(), np.zeros((2, 20, 5)))
    with pytest.raises(ValueError, match=r"record=\('hidden',\): the given program counts"):
        train(net, net.initial_state(), np.zeros((2, 4)), np.array([0, 1]),
              program=Program(net, 2), record=("hidden",))


# --------------------------------------------------------------------------------------------
# devices: one standalone build (state survives re-runs, fresh noise); GeNN evaluation
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("device", ["runtime", "cpp_standalone"])
def test_reruns_keep_declared_state_and_draw_fresh_noise(device, tmp_path):
    """One build (C++ standalone: one binary; runtime: one set of Brian2 objects and code
    objects), re-run: (1) a declared layer variable (a threshold drift that is not reset
    between samples) carries over from run to run like the weights, (2) every run's seed
    gives fresh noise, the same seed the same run."""
    require_device(device)
    from neuromodels.devices import DeviceSession

    if not DeviceSession(device).can_rerun and device != "runtime":
        pytest.skip("re-runs need brian2 >= 2.6")
    drifting = ndl_neuron("gaussian").extended(
        "dtheta_h/dt = 0.001*mV/ms : volt   # a drift that must persist", name="drifting",
        method="exponential_euler", initial=(("v", "E_L"), ("theta_h", 0 * mV)))
    drifting = drifting.substituted(v_th="v_th + theta_h")
    rng = np.random.default_rng(1)
    spikes, labels = _toy_task(rng, 12, 10)
    net = feedforward([8, 6, 2], drifting, T=10, rule=NDL(eta=0 * mV ** 2),
                      layer_state=("theta_h",))
    state = net.initial_state(seed=2)
    with contextlib.ExitStack() as scope:
        session = scope.enter_context(use_device(device, build_root=tmp_path))
        if device == "runtime":     # (use_device's runtime is Cython: a compile per object)
            scope.enter_context(brian2_settings(target="numpy"))
        program = Program(net, len(labels), plastic=True, record=("hidden",))
        runs = [program.run(state, spikes, labels, seed=s, session=session) for s in (1, 2)]
        again = program.run(state, spikes, labels, seed=1, session=session)
        carried = program.run(runs[0]["state"], spikes, labels, seed=1, session=session)
        assert program.builds == 1 and program.reruns == 3
    drift = 0.001 * float(program.schedule.duration / ms)    # mV: 0.001 mV/ms over the run
    np.testing.assert_allclose(_mV(runs[0]["state"]["hidden", "theta_h"]), drift, rtol=1e-6)
    np.testing.assert_allclose(_mV(carried["state"]["hidden", "theta_h"]), 2 * drift, rtol=1e-6)
    a, b = runs[0]["counts"]["hidden"], runs[1]["counts"]["hidden"]
    assert a.sum() > 20 and not np.array_equal(a, b)
    np.testing.assert_array_equal(again["counts"]["hidden"], a)


@pytest.mark.parametrize("firing", ["deterministic", "noisy"])
def test_evaluation_on_genn_gives_the_predictions_of_cpp_standalone(firing, tmp_path):
    """A trained network's forward pass (evaluation program, one clock) on GeNN and on
    cpp_standalone: the same predictions (deterministic: the same spike counts)."""
    require_device("genn")
    require_device("cpp_standalone")
    rng = np.random.default_rng(5)
    spikes, labels = _toy_task(rng, 40, 10)
    neuron = ndl_neuron("gaussian", deterministic=firing == "deterministic")
    net = feedforward([8, 6, 2], neuron, T=10)
    state = net.initial_state(seed=6)
    results = {}
    for device in ("cpp_standalone", "genn"):
        # GeNN runs everything on the default clock
        with use_device(device, seed=0, build_root=tmp_path) as session, \
                brian2_settings(dt=net.dt):
            results[device] = evaluate(net, state, spikes, labels, session=session, seed=3)
    a, b = results["cpp_standalone"], results["genn"]
    if firing == "deterministic":
        np.testing.assert_array_equal(a["counts"]["output"], b["counts"]["output"])
        np.testing.assert_array_equal(a["predictions"], b["predictions"])
    else:   # GeNN draws its own noise: the same accuracy within sampling error
        assert abs(a["accuracy"] - b["accuracy"]) < 0.25


# --------------------------------------------------------------------------------------------
# the README's "Extending" example: train a neuron model of your own
# --------------------------------------------------------------------------------------------

def test_readme_training_example_runs_and_learns():
    namespace = {}
    exec(readme_example("Training a neuron model of your own"), namespace)
    history = namespace["result"]["history"]
    assert history["train_accuracy"][-1] > history["train_accuracy"][0]
    assert history["test_accuracy"][-1] >= 0.9


# --------------------------------------------------------------------------------------------
# a dynamic-threshold layer through the framework
# --------------------------------------------------------------------------------------------

def _alif_network(delta_theta, seed=0):
    """The README's two-pattern task with an ALIF hidden layer (surrogate derivative at
    ``theta``); returns the trained result and the network."""
    from neuromodels.learning import (NDL, Feedback, InputLayer, Layer, LearningNetwork,
                                      OutputError, Projection, Readout, train)
    from neuromodels.neurons.noisy import with_surrogate
    from neuromodels.neurons.thresholds import adaptive_threshold, fixed_threshold

    def model(alif):
        base = adaptive_threshold() if alif else fixed_threshold()
        return with_surrogate(base, sigma_surrogate=0.4 * mV)

    # the README example's scale: rest and reset 0, threshold 1 mV, tau_m 2 ms
    scale = {"E_L": 0 * mV, "v_th": 1 * mV, "v_reset": 0 * mV, "t_ref": 0 * ms, "tau_m": 2 * ms}
    params = dict(scale) if delta_theta is None else {**scale, "delta_theta": delta_theta,
                                                      "tau_theta": 20 * ms}
    net = LearningNetwork(InputLayer(8),
                  [Layer("hidden", 12, model(delta_theta is not None), params=params),
                   Layer("output", 2, model(False), params=scale)],
                  [Projection("input", "hidden"), Projection("hidden", "output")],
                  [OutputError("output", loss="ce"),
                   Feedback("output", "hidden", weights="random")],
                  [NDL(eta=1 * mV ** 2)], Readout("output"), T=10)
    rng = np.random.default_rng(seed)

    def two_patterns(n):
        y = rng.integers(0, 2, n)
        return np.where((np.arange(8) < 4) == (y[:, None] == 0), 0.6, 0.05), y

    (x_train, y_train), (x_test, y_test) = two_patterns(60), two_patterns(40)
    result = train(net, net.initial_state(seed=0), x_train, y_train, x_test, y_test, epochs=2,
                   record=("hidden",))
    return result, net


def test_an_adaptive_threshold_layer_trains_through_the_framework():
    """An ALIF hidden layer (neurons.thresholds.adaptive_threshold) in a framework network:
    (1) with delta_theta = 0 it is the fixed-threshold LIF, so training gives exactly the
    fixed-threshold network's weights and spike counts (the ALIF's equations, firing and
    surrogate reach the program unchanged); (2) with delta_theta > 0 the threshold adapts
    inside the program: the hidden layer fires less than with delta_theta = 0 on the same
    inputs (measured 1035 against 1369 spikes in epoch 1), its input weights are trained
    through the random feedback, and the network still solves the task."""
    with brian2_settings(target="numpy"):
        fixed, _ = _alif_network(None)
        zero, _ = _alif_network(0 * mV)
        adapting, net = _alif_network(1 * mV)
    for key in fixed["state"]:
        if key in zero["state"]:
            assert np.array_equal(np.asarray(fixed["state"][key]),
                                  np.asarray(zero["state"][key])), key
    assert all(np.array_equal(a, b)
               for a, b in zip(fixed["counts"]["hidden"], zero["counts"]["hidden"]))
    first_epoch = (zero["counts"]["hidden"][0].sum(), adapting["counts"]["hidden"][0].sum())
    assert 0 < first_epoch[1] < first_epoch[0], first_epoch
    assert adapting["history"]["test_accuracy"][-1] >= 0.8
    initial = net.initial_state(seed=0)
    hidden_in = [k for k in initial if k[0] == net.projections[0].name]
    assert hidden_in and any(not np.array_equal(np.asarray(initial[k]),
                                                np.asarray(adapting["state"][k]))
                             for k in hidden_in)


# --------------------------------------------------------------------------------------------
# The evaluation program's masked sample starts (issue 19: `_masked` broke on `+=`)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("statement", ["x = e", "x += e", "x -= e", "x *= e", "x /= e",
                                       "x += e  # a comment\ny = x"])
def test_masked_sample_start_applies_only_on_sample_starts(statement):
    """Each masked statement, run as Python with s = sample_start(t) in {0, 1}: s = 1 gives
    exactly what the statement itself gives, s = 0 leaves every variable as it was."""
    from neuromodels.learning.operations import masked_at_sample_start

    masked = masked_at_sample_start([statement], variables={"x", "y"})
    assert len(masked) == statement.count("\n") + 1
    start = {"x": 0.7, "y": -3.0, "e": 0.1}
    want = dict(start)
    exec(statement, {}, want)
    for s, expected in ((1.0, want), (0.0, start)):
        got = dict(start, sample_start=lambda t, s=s: s, t=0.0)
        exec("\n".join(masked), {}, got)
        assert {k: got[k] for k in start} == expected, (s, masked)


def test_masked_sample_start_keeps_temporaries_and_refuses_what_it_cannot_mask():
    import re

    from neuromodels.errors import UserError
    from neuromodels.learning.operations import masked_at_sample_start

    assert masked_at_sample_start(["a = 2*e\nx += a"], variables={"x"}) == [
        "a = 2*e", "x = sample_start(t)*(x + (a)) + (1 - sample_start(t))*x"]
    for bad in ["x **= 2", "x //= 2", "x %= 2", "x == e", "x[0] = 1", "f(x)", "x ="]:
        with pytest.raises(UserError, match=re.escape(repr(bad))):
            masked_at_sample_start(["x = 0", bad], variables={"x"})


class _StartOffsetLayer(Layer):
    """``layer`` whose sample-start values end with ``statements`` (augmented assignments)."""

    def __init__(self, layer, statements):
        super().__init__(layer.name, layer.n, layer.model, params=layer.params)
        self.statements = list(statements)

    def code(self, network, learning=True):
        codes = super().code(network, learning)
        codes[self.name].at_sample_start += self.statements
        return codes


def test_evaluation_program_masks_augmented_sample_start_values():
    """A hidden layer that starts every sample at v = ((E_L + 0.4 mV)*3 - 0.2 mV)/1.25
    = 0.8 mV (written with +=, *=, -=, /=; above threshold after one step's decay): the
    evaluation program (one clock, masked statements) counts the same spikes as the
    training program (sample clock, lr 0) on the same inputs, and the start value takes
    effect (every hidden neuron fires in every sample; measured 403 hidden spikes against
    317 without the offset)."""
    net, state, spikes, labels = _deterministic_setup("random")
    hidden = net.layers["hidden"]
    layers = [_StartOffsetLayer(hidden, ["v += 0.4*mV", "v *= 3", "v -= 0.2*mV",
                                         "v /= 1.25"]), net.layers["output"]]
    offset = LearningNetwork(net.input, layers, net.projections, net.signals, net.rules,
                             net.readout, T=net.T, dt=net.dt)
    counts = {}
    for name, network in (("plain", net), ("offset", offset)):
        for plastic in (True, False):
            program = Program(network, len(labels), plastic=plastic, record=("hidden",))
            counts[name, plastic] = program.run(state, spikes, labels, lr_scale=0.0)["counts"]
    for layer in ("hidden", "output"):
        np.testing.assert_array_equal(counts["offset", False][layer], counts["offset", True][layer])
    assert counts["plain", True]["hidden"].min() == 0
    assert counts["offset", True]["hidden"].min() >= 1


@pytest.mark.parametrize("n_in", [1, 30, 31, 64, 91])
def test_input_spikes_are_packed_30_to_a_stimulus_value(n_in):
    """The 'spikes' stimulus (schedule.spike_values) read back as the input layer reads it
    (schedule.SPIKE_READ with its constants, evaluated by Brian2 on its numpy target): every
    spike, nothing else, in the steps of its sample; the extra last step silent."""
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms

    from neuromodels.devices import brian2_settings
    from neuromodels.learning import schedule as sch

    n, T = 3, 4
    schedule = sch.SampleSchedule(n, T, 1 * ms)
    rng = np.random.default_rng(n_in)
    spikes = rng.random((n, T, n_in)) < 0.4
    values = schedule.spike_values(np.where(spikes, rng.uniform(0.51, 1, spikes.shape), 0))
    assert values.shape == (n * T + 1, -(-n_in // 30)) and np.all(values < 2 ** 30)
    stimulus = schedule.stimulus("spikes", n_in)
    with brian2_settings(target="numpy"):
        group = NeuronGroup(n_in, "\n".join(sch.SPIKE_CONSTANTS),
                            threshold=f"{sch.SPIKE_READ} == 1",
                            namespace={"stimulus": stimulus}, dt=1 * ms)
        for var, constant in sch.spike_constants(n_in).items():
            setattr(group, var, constant)
        monitor = SpikeMonitor(group)
        stimulus.values[:] = values
        Network(group, monitor).run(schedule.duration)
    got = np.zeros((n * T + 1, n_in), dtype=bool)
    got[np.round(np.asarray(monitor.t / ms)).astype(int), np.asarray(monitor.i)] = True
    np.testing.assert_array_equal(got[:-1], spikes.reshape(n * T, n_in))
    assert not got[-1].any()


def test_a_program_shows_no_brian2_note_on_its_input_without_reset():
    """The input layer fires from its stimulus with no reset, on purpose: Brian2's "did you
    forget" note about an evaluation program's was printed by noise-learning.
    Read from Brian2's console handler itself (its stream was bound when Brian2 started)."""
    import io

    from brian2 import BrianLogger
    from brian2.utils.logger import get_logger

    from neuromodels.networks import locality as loc

    net, console = loc.network("e-prop", "feedforward", 4, 4, 2, T=loc.WINDOW), io.StringIO()
    stream = BrianLogger.console_handler.setStream(console)
    try:
        Program(net, 2, plastic=False).run(net.initial_state(seed=0),
                                           np.zeros((2, loc.WINDOW, 4)))
        get_logger("brian2.neuromodels_test").warn("a note that is shown")
    finally:
        BrianLogger.console_handler.setStream(stream)
    assert "a note that is shown" in console.getvalue()
    assert "sets a threshold but neither a reset" not in console.getvalue(), console.getvalue()


def test_the_schedules_timed_arrays_read_what_brian2s_read():
    """schedule.timed_array's numpy look-up (a scalar time without numpy's per-call cost)
    against Brian2's own TimedArray on the same grids: 1-D and 2-D, a scalar time and an
    array of times, a TimedArray dt that is not a multiple of the group's, two runs."""
    from brian2 import Network, NeuronGroup, StateMonitor, TimedArray

    from neuromodels.learning.schedule import timed_array

    rng = np.random.default_rng(0)
    one, two, seen = rng.random(37), rng.random((73, 5)), {}
    for make in (TimedArray, timed_array):
        with brian2_settings(target="numpy", dt=0.1 * ms):
            a, b = make(one, dt=0.7 * ms, name="a1"), make(two, dt=0.3 * ms, name="b2")
            c = make(two, dt=0.1 * ms, name="c2")            # the group's dt (a program's)
            group = NeuronGroup(5, "x : 1\ny : 1\nz : 1\nw : 1",
                                namespace={"a1": a, "b2": b, "c2": c})
            group.run_regularly("x = a1(t)\ny = b2(t, i)\nz = a1(t - i*0.05*ms)\nw = c2(t, i)")
            monitor = StateMonitor(group, ["x", "y", "z", "w"], record=True)
            net = Network(group, monitor)
            net.run(4 * ms)
            net.run(30 * ms)                    # past the arrays' ends: their last values
        seen[make] = np.array([monitor.x, monitor.y, monitor.z, monitor.w])
    np.testing.assert_array_equal(seen[timed_array], seen[TimedArray])
    assert len(np.unique(seen[TimedArray][1])) > 50           # (many distinct entries read)
