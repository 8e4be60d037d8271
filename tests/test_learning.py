"""Learning framework: NDL rule vs finite-difference gradient, routing, devices."""
import numpy as np
import pytest
from brian2 import prefs

from neuromodels.learning.network import (NDLParams, build_ndl_network, evaluate,
                                          train_epoch)
from neuromodels.learning.rules import NDLRule, surrogate_baseline


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


def _device_run(device, net, spikes, labels, tmpdir):
    """The one place that selects a device (switch to neuromodels.devices.use_device)."""
    from brian2 import device as current, set_device
    if device == "runtime":
        return train_epoch(net, spikes, labels)
    set_device("cpp_standalone", directory=str(tmpdir), build_on_run=True)
    try:
        return train_epoch(net, spikes, labels)
    finally:
        current.reinit()
        current.activate()
        set_device("runtime")


@pytest.mark.long  # C++ compilation: ~75 s on the shared 2-core machine
def test_surrogate_baseline_same_on_runtime_and_cpp_standalone(tmp_path):
    """Deterministic firing (the surrogate baseline) has no randomness in the
    forward pass: both devices must give the same weights (checks the whole
    schedule incl. feedback summed variables in generated C++)."""
    rng = np.random.default_rng(2)
    spikes, labels = _toy_task(rng, 20, 10)
    rule = surrogate_baseline(NDLRule(eta=1.0, eta_theta=0.05, mode="both"))
    net = build_ndl_network(8, 5, 2, "gaussian", NDLParams(T=10, theta0=0.3, init_scale=3.0),
                            rule=rule, seed=4)
    r1 = _device_run("runtime", net, spikes, labels, tmp_path)
    r2 = _device_run("cpp_standalone", net, spikes, labels, tmp_path)
    assert r1["counts"].sum() > 0
    np.testing.assert_array_equal(r1["counts"], r2["counts"])
    for a, b in zip(r1["network"].weights, r2["network"].weights):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert not np.allclose(r1["network"].weights[0], net.weights[0])
