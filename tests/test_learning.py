"""Learning framework: NDL rule vs finite-difference gradient, routing, devices."""
import numpy as np
import pytest
from brian2 import prefs

from neuromodels.devices import use_device
from neuromodels.learning.network import (NDLParams, NDLProgram, build_ndl_network, evaluate,
                                          train, train_epoch)
from neuromodels.learning.rules import NDLRule, surrogate_baseline

from .conftest import require_device


@pytest.fixture(autouse=True)
def _numpy_target():
    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    yield
    prefs.codegen.target = old


def _expected_counts(noise, W, theta, sigma, spikes, a, shift=False):
    """Numpy model of one layer without reset: returns x̄ (T, n_in), v (T, n_out)."""
    T, n_in = spikes.shape
    xbar = np.zeros((T, n_in))
    acc = np.zeros(n_in)
    for n in range(T):
        acc = a * acc               # decay in the state update of step n
        xbar[n] = acc               # value at the threshold of step n
        acc = acc + spikes[n]       # spike of step n (reset slot)
    if shift:                       # deliberately wrong timing (negative control)
        xbar = xbar + spikes
    v = xbar @ W
    return xbar, v


def _loss(noise, W, theta, sigma, spikes, a, y):
    _, v = _expected_counts(noise, W, theta, sigma, spikes, a)
    T = spikes.shape[0]
    Ec = noise.firing_probability(v - theta, sigma).sum(axis=0)
    return 0.5 * np.sum((Ec / T - y) ** 2)


def test_ndl_update_matches_finite_difference_gradient():
    rng = np.random.default_rng(3)
    T, K, n_in, n_rows, R = 10, 40, 6, 3, 100
    params = NDLParams(T=T, reset="none", loss="mse", y_off=0.3, y_on=0.3, theta0=1.0)
    eta = 1e-4
    net = build_ndl_network(n_in, (), n_rows * R, "gaussian", params,
                            rule=NDLRule(eta=eta, eta_theta=eta, mode="both", w_max=10.0))
    W = rng.uniform(0, 0.7, size=(n_in, n_rows)) * np.array([0.5, 1.0, 1.6])
    net.weights[0] = np.tile(W, (1, R))            # R independent copies of each row
    spikes = (rng.random((T, n_in)) < 0.5).astype(float)
    inputs = np.broadcast_to(spikes, (K, T, n_in))
    res = train_epoch(net, inputs, -np.ones(K))    # label -1: every target is y_off
    dW = (res["network"].weights[0] - net.weights[0]).reshape(n_in, R, n_rows)
    dth = (res["network"].thresholds[0] - net.thresholds[0]).reshape(R, n_rows)
    est_w = -dW.mean(axis=1) / (eta * K)           # per-sample gradient estimate
    est_th = -dth.mean(axis=0) / (eta * K)

    noise, sigma, a, y = net.noise, net.sigma, params.decay, params.y_off
    theta = np.ones(n_rows)
    h = 1e-5
    G = np.zeros_like(W)
    for j in range(n_in):
        for i in range(n_rows):
            Wp, Wm = W.copy(), W.copy()
            Wp[j, i] += h
            Wm[j, i] -= h
            G[j, i] = (_loss(noise, Wp, theta, sigma, spikes, a, y)
                       - _loss(noise, Wm, theta, sigma, spikes, a, y)) / (2 * h)
    Gth = np.array([(_loss(noise, W, theta + h * (np.arange(n_rows) == i), sigma, spikes, a, y)
                     - _loss(noise, W, theta - h * (np.arange(n_rows) == i), sigma, spikes, a, y))
                    / (2 * h) for i in range(n_rows)])
    # sampling error: L_i = (c_i/T - y)/T with Var(c_i) = sum_n p(1-p); e is deterministic
    xbar, v = _expected_counts(noise, W, theta, sigma, spikes, a)
    p = noise.firing_probability(v - theta, sigma)
    psi = noise.density(v - theta, sigma)
    elig = xbar.T @ psi                               # (n_in, n_rows)
    sd_L = np.sqrt((p * (1 - p)).sum(axis=0)) / T ** 2
    se_w = np.abs(elig) * sd_L / np.sqrt(R * K) + 1e-9
    se_th = psi.sum(axis=0) * sd_L / np.sqrt(R * K) + 1e-9
    assert np.abs(G).max() > 10 * se_w.max()          # the gradient is resolvable
    z_w = (est_w - G) / se_w
    z_th = (est_th - Gth) / se_th
    assert np.max(np.abs(z_w)) < 4.5, z_w
    assert np.max(np.abs(z_th)) < 4.5, z_th
    # negative control: a trace one step off (x̄ including the current spike)
    # is rejected by the same comparison -> the test can fail
    xbar_bad, _ = _expected_counts(noise, W, theta, sigma, spikes, a, shift=True)
    Ec = p.sum(axis=0)
    G_bad = xbar_bad.T @ psi * ((Ec / T - y) / T)
    assert np.max(np.abs((est_w - G_bad) / se_w)) > 6


def _toy_task(rng, K, T, n_in=8):
    labels = rng.integers(0, 2, K)
    rates = np.where(labels[:, None] == 1, np.r_[np.full(4, 0.6), np.full(4, 0.05)],
                     np.r_[np.full(4, 0.05), np.full(4, 0.6)])
    spikes = (rng.random((K, T, n_in)) < rates[:, None, :]).astype(float)
    return spikes, labels


@pytest.mark.parametrize("feedback", ["random", "symmetric"])
def test_hidden_layer_learns_through_feedback(feedback):
    rng = np.random.default_rng(0)
    spikes, labels = _toy_task(rng, 60, 10)
    net = build_ndl_network(8, 6, 2, "logistic", NDLParams(T=10), feedback=feedback,
                            rule=NDLRule(eta=2.0), seed=1)
    res = train_epoch(net, spikes, labels)
    new = res["network"]
    assert not np.allclose(new.weights[0], net.weights[0])   # hidden weights moved
    assert not np.allclose(new.weights[1], net.weights[1])
    assert res["counts"].shape == (60, 2)
    ev = evaluate(new, spikes[:10], labels[:10])
    assert ev["predictions"].shape == (10,) and 0 <= ev["accuracy"] <= 1


def test_bad_configuration_rejected():
    with pytest.raises(ValueError, match="feedback"):
        build_ndl_network(4, 3, 2, feedback="transposed")
    with pytest.raises(ValueError, match="loss"):
        NDLParams(loss="hinge")
    with pytest.raises(ValueError, match="sigma"):
        NDLParams(sigma=0.0)
    with pytest.raises(ValueError, match="noise"):
        build_ndl_network(4, 3, 2, noise="cauchy2")
    with pytest.raises(ValueError, match="mode"):
        NDLRule(mode="bias")
    net = build_ndl_network(4, 3, 2)
    with pytest.raises(ValueError, match="n_in"):
        evaluate(net, np.zeros((2, 5)))


def _reference_deterministic_epoch(net, spikes, labels, lr=1.0):
    """Independent numpy implementation of one training epoch with Heaviside firing.

    Written from the equations in the module docstrings (Gaussian surrogate,
    'ce' loss, 'gain' upstream signal, hard reset); returns weights, thresholds
    and output counts.
    """
    p, rule = net.params, net.rule
    a, T, sigma, beta = p.decay, p.T, net.sigma, p.beta
    W = [w.copy() for w in net.weights]
    th = [t.copy() for t in net.thresholds]
    fb = [W_ if b is None else b for W_, b in zip(W, net.feedback_weights)]
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
            B = W[l] if net.feedback == "symmetric" else fb[l]
            L[l - 1] = B @ delta
        for l in range(n_layers):
            W[l] = np.clip(W[l] - rule.eta * lr * L[l][None, :] * elig[l], -rule.w_max, rule.w_max)
            th[l] = th[l] + rule.eta_theta * lr * L[l] * epsi[l]
        if net.feedback == "symmetric":
            fb = W
    return W, th, np.array(all_counts)


def _deterministic_setup(feedback, K=24, T=10):
    rng = np.random.default_rng(2)
    spikes, labels = _toy_task(rng, K, T)
    rule = surrogate_baseline(NDLRule(eta=1.0, eta_theta=0.05, mode="both"))
    net = build_ndl_network(8, 5, 2, "gaussian", NDLParams(T=T, theta0=0.3, init_scale=3.0),
                            feedback=feedback, rule=rule, seed=4)
    return net, spikes, labels


@pytest.mark.parametrize("feedback", ["random", "symmetric"])
def test_deterministic_epoch_equals_numpy_reference(feedback):
    """Brian2's generated code (schedule, traces, softmax error, feedback routing,
    weight and threshold updates) == an independent numpy implementation."""
    net, spikes, labels = _deterministic_setup(feedback)
    res = train_epoch(net, spikes, labels)
    W, th, counts = _reference_deterministic_epoch(net, spikes, labels)
    assert counts.sum() > 0 and 0 < res["counts"].sum()
    np.testing.assert_array_equal(res["counts"], counts)
    for got, want, before in zip(res["network"].weights, W, net.weights):
        assert not np.allclose(want, before)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for got, want in zip(res["network"].thresholds, th):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_evaluation_samples_do_not_learn():
    """lr_scale 0 (the test part of a training run) leaves weights unchanged."""
    net, spikes, labels = _deterministic_setup("random")
    program = NDLProgram(net, len(labels), plastic=True)
    res = program.run(net, spikes, labels, lr_scale=0.0)
    for got, before in zip(res["network"].weights, net.weights):
        np.testing.assert_array_equal(got, before)
    ev = evaluate(net, spikes, labels)
    np.testing.assert_array_equal(ev["counts"], res["counts"])


@pytest.mark.parametrize("device", ["runtime", pytest.param("cpp_standalone",
                                                             marks=pytest.mark.long)])
def test_train_epochs_equal_numpy_reference(device):
    """train(): two epochs (shuffled, new inputs, learning-rate schedule) equal the numpy
    reference (deterministic firing).  On C++ standalone (long: ~40-90 s of compilation)
    epoch 1 builds and epoch 2 re-runs the binary with new values (run_args), or
    rebuilds on brian2 < 2.6."""
    net, spikes, labels = _deterministic_setup("symmetric")
    x = spikes.mean(axis=1)              # analogue inputs; the spikes come from `encode`
    epoch_spikes = [spikes, spikes[::-1]]
    fixed = iter(epoch_spikes)

    def encode(x_, T, rng):
        return next(fixed)

    def lr_schedule(epoch, epochs):
        return 1.0 / (epoch + 1)

    def train_and_test(session=None):
        hist = train(net, x, labels, epochs=2, encode=encode, seed=0, session=session,
                     lr_schedule=lr_schedule)
        # then a second program (a new build on C++ standalone), run twice
        evaluator = NDLProgram(hist["network"], len(labels), plastic=False)
        counts = [evaluator.run(hist["network"], sp, session=session)["counts"]
                  for sp in epoch_spikes]
        return hist, counts, evaluator

    if device == "runtime":
        hist, test_counts, evaluator = train_and_test()
        assert (hist["builds"], hist["reruns"], evaluator.builds) == (2, 0, 2)
    else:
        require_device(device)
        from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
        with use_device(device, seed=0) as session:
            hist, test_counts, evaluator = train_and_test(session)
        if hasattr(CPPStandaloneDevice, "_prepare_timed_array_run_arg"):   # brian2 >= 2.6
            assert (hist["builds"], hist["reruns"]) == (1, 1)
            assert (evaluator.builds, evaluator.reruns) == (1, 1)
        else:
            assert (hist["builds"], hist["reruns"], evaluator.builds) == (2, 0, 2)
    # the same two epochs in numpy (train() permutes with default_rng(seed) once per epoch)
    rng = np.random.default_rng(0)
    ref = net.copy()
    for epoch, sp in enumerate(epoch_spikes):
        order = rng.permutation(len(labels))
        W, th, counts = _reference_deterministic_epoch(ref, sp, labels[order],
                                                        lr=lr_schedule(epoch, 2))
        assert hist["train_accuracy"][epoch] == pytest.approx(np.mean(counts.argmax(1)
                                                                      == labels[order]))
        ref.weights, ref.thresholds = W, th
    for got, want, before in zip(hist["network"].weights, ref.weights, net.weights):
        assert not np.allclose(want, before)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    for sp, got in zip(epoch_spikes, test_counts):   # evaluation: learning-rate factor 0
        _, _, want = _reference_deterministic_epoch(ref, sp, labels, lr=0.0)
        np.testing.assert_array_equal(got, want)
