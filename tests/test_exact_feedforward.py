"""Layered theta-oscillator network (neuromodels.exact.feedforward): exact first-spike times,
exact gradients, learning, and the Brian2 version (neuromodels.networks.theta.run_feedforward)."""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the exact solver needs JAX: pip install -e '.[exact]'")
import jax.numpy as jnp  # noqa: E402

from neuromodels.exact import feedforward as ff  # noqa: E402
from neuromodels.exact import float64  # noqa: E402

NEURON = ff.ThetaOsc()  # tau = 6/pi, I0 = 5/4: period 6
T = 2.0


@pytest.fixture(autouse=True)
def _float64_scope():
    """The tests transform the package's functions themselves (jax.grad, vmap, jit), which
    needs the float64 scope open around them (neuromodels.exact.precision)."""
    with float64():
        yield


def _direct_first_spike(t_in, w, psi0, neuron, t_end=20.0):
    """Independent check: integrate the theta-form ODE (V = 1/2 + tan(theta/2)/2)
    numerically with scipy, apply pulses V += w, stop at theta = pi."""
    from scipy.integrate import solve_ivp

    r = np.sqrt(neuron.I0 - 0.25)
    V0 = r * np.tan(psi0 * r / neuron.tau - np.pi / 2) + 0.5
    th = 2 * np.arctan(2 * V0 - 1)

    def f(t, y):
        return [(-np.cos(y[0]) + 2 * neuron.I0 * (1 + np.cos(y[0]))) / neuron.tau]

    def hit(t, y):
        return y[0] - np.pi
    hit.terminal, hit.direction = True, 1
    order = np.argsort(t_in)
    t0 = 0.0
    for tk, wk in zip(np.append(t_in[order], t_end), np.append(w[order], 0.0)):
        sol = solve_ivp(f, (t0, tk), [th], events=hit, rtol=1e-12, atol=1e-12)
        if sol.t_events[0].size:
            return sol.t_events[0][0]
        th = sol.y[0, -1]
        th = 2 * np.arctan(np.tan(th / 2) + 2 * wk)
        t0 = tk
    return np.inf


def test_single_layer_first_spikes_match_direct_integration():
    rng = np.random.default_rng(1)
    M, N = 6, 5
    t_in = rng.uniform(0, 1.5, M)
    W = rng.normal(0, 0.6, (M, N))  # (n_pre, n_post)
    psi0 = rng.uniform(0.5, 5.5, N)
    got = np.asarray(ff.layer_first_spikes(jnp.asarray(t_in), jnp.asarray(W),
                                           jnp.asarray(psi0), NEURON))
    want = np.array([_direct_first_spike(t_in, W[:, i], psi0[i], NEURON) for i in range(N)])
    assert np.all(np.isfinite(want))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-8)
    # without input the neuron fires after Theta - psi0
    solo = ff.layer_first_spikes(jnp.asarray(t_in), jnp.zeros((M, N)), jnp.asarray(psi0),
                                 NEURON)
    np.testing.assert_allclose(np.asarray(solo), NEURON.Theta - psi0, atol=1e-9)


def _small_problem(seed=3):
    rng = np.random.default_rng(seed)
    sizes = (4, 6, 5, 3)
    params = ff.init_params(jax.random.PRNGKey(seed), sizes, NEURON, w_scale=3.0)
    t_in = rng.uniform(0, 1.0, (4, sizes[0]))
    mask = np.ones_like(t_in)
    mask[0, 1] = 0.0  # an input that does not spike
    y = rng.integers(0, 3, 4)
    return params, jnp.asarray(t_in), jnp.asarray(mask), jnp.asarray(y)


def test_gradient_matches_central_differences_including_silent_neurons():
    params, t_in, mask, y = _small_problem()
    outs = jax.vmap(ff.forward, in_axes=(None, 0, 0, None))(params, t_in, mask, NEURON)
    hidden = np.concatenate([np.asarray(o) for o in outs[:-1]], axis=1)
    # the problem contains neurons silent in the trial (pseudospikes) and firing ones
    assert np.any(hidden > T) and np.any(hidden <= T)

    @jax.jit
    def loss(p, t):
        return ff.batch_loss(p, t, mask, y, NEURON, T, 0.1)

    g_p, g_t = jax.grad(loss, argnums=(0, 1))(params, t_in)
    h = 1e-6
    rng = np.random.default_rng(0)
    checked = 0
    for name in ("W", "psi0"):
        for l in range(3):
            arr = np.asarray(params[name][l])
            for _ in range(4):
                idx = tuple(rng.integers(0, s) for s in arr.shape)
                if name == "W" and l == 0 and idx[0] == 1:  # from the masked input
                    continue

                def shifted(d):
                    p = jax.tree.map(lambda x: x, params)
                    p[name] = list(p[name])
                    p[name][l] = p[name][l].at[idx].add(d)
                    return float(loss(p, t_in))
                fd = (shifted(h) - shifted(-h)) / (2 * h)
                an = float(g_p[name][l][idx])
                assert abs(an - fd) <= 1e-5 * max(abs(fd), 1e-3), (name, l, idx, an, fd)
                checked += 1
    for idx in [(1, 0), (2, 3), (3, 2)]:
        fd = (float(loss(params, t_in.at[idx].add(h)))
              - float(loss(params, t_in.at[idx].add(-h)))) / (2 * h)
        assert abs(float(g_t[idx]) - fd) <= 1e-5 * max(abs(fd), 1e-3)
        checked += 1
    assert checked >= 20


def test_gradient_flows_through_pseudospikes_of_a_silent_network():
    """Initialised as in training, the network is silent in [0, T], yet every layer gets a
    gradient through the continued dynamics (only from neurons whose pseudospikes precede
    the output's, so not necessarily every single weight)."""
    from neuromodels.datasets.yinyang import make_yinyang

    params = ff.init_params(jax.random.PRNGKey(0), (5, 8, 8, 3), NEURON)
    X, y = make_yinyang(30, seed=3)
    X, y = X[:6], y[:6]
    t, m = ff.yinyang_inputs(X)
    outs = jax.vmap(ff.forward, in_axes=(None, 0, 0, None))(params, t, m, NEURON)
    assert all(np.all(np.asarray(o) > T) for o in outs)  # all silent
    g = jax.grad(ff.batch_loss)(params, t, m, y, NEURON, T, 0.1)
    for l in range(3):
        assert np.mean(np.abs(np.asarray(g["W"][l])) > 0) > 0.3
        assert np.any(np.abs(np.asarray(g["psi0"][l])) > 0)


def test_tiny_training_reduces_loss():
    from neuromodels.datasets.yinyang import make_yinyang

    X, y = make_yinyang(200, seed=5)
    t, m = ff.yinyang_inputs(X)
    cfg = ff.TrainConfig(sizes=(5, 10, 10, 3), epochs=10, batch=20, lr=2e-2, gamma=0.1)
    res = ff.train(cfg, (t, m, y), (t, m, y))
    h = res["history"]
    assert h.step_name == "epoch" and list(h.steps) == list(range(11))
    losses = h["test_loss"]
    assert losses[-1] < 0.9 * losses[0]
    assert h["test_silent_never"][0] == 1.0  # starts silent
    assert res["neuron"] == cfg.neuron and res["params"]["W"][0].shape == (5, 10)
    # the trainer's accuracy is the analysis module's, on the same first-spike times
    from neuromodels.analysis.classification import accuracy, predict_first_spike

    mets, outs = ff.metrics(res["params"], t, m, y, NEURON, T, cfg.gamma, cfg.temperature)
    assert mets["acc_trial"] == pytest.approx(accuracy(predict_first_spike(outs[-1], T), y),
                                              abs=1e-12)
    assert mets["acc_trial"] == pytest.approx(h.last("test_accuracy"), abs=1e-12)
    assert mets["loss"] == pytest.approx(h.last("test_loss"), rel=1e-12)


def _brian2_vs_exact(device=None, build_root=None):
    """A small random 5-6-6-3 network (some neurons fire in the trial) on 3 Yin-Yang-like
    samples: exact first-spike times and Brian2's (dt = 1e-4 units) on ``device``."""
    from brian2 import ms

    from neuromodels.devices import brian2_settings, use_device
    from neuromodels.networks.theta import run_feedforward

    rng = np.random.default_rng(7)
    params = ff.init_params(jax.random.PRNGKey(1), (5, 6, 6, 3), NEURON, w_scale=4.0)
    params["psi0"] = [p + 1.0 for p in params["psi0"]]  # so that some neurons fire in T
    t, m = ff.yinyang_inputs(rng.uniform(0, 1, (3, 4)))
    exact = jax.vmap(ff.forward, in_axes=(None, 0, 0, None))(params, t, m, NEURON)
    if device is None:
        with brian2_settings(target="numpy"):
            b2 = run_feedforward(params, t, m, neuron=NEURON, T=T, unit=10 * ms, dt=0.001 * ms)
    else:
        with use_device(device, build_root=build_root) as session, \
                brian2_settings(dt=0.001 * ms):  # GeNN runs only on the default clock
            b2 = run_feedforward(params, t, m, neuron=NEURON, T=T, unit=10 * ms,
                                 dt=0.001 * ms, runner=session.run)
    return [np.asarray(e) for e in exact], b2


def _check_brian2_vs_exact(exact, b2):
    n_fired = 0
    for e, b in zip(exact, b2):
        inside = e < T - 1e-2
        n_fired += inside.sum()
        np.testing.assert_array_equal(np.isfinite(b[inside]), True)
        np.testing.assert_allclose(b[inside], e[inside], atol=2e-3)
        assert np.all(~np.isfinite(b[e > T + 1e-2]))
    assert n_fired > 5


def test_brian2_network_reproduces_exact_spike_times():
    pytest.importorskip("brian2")
    _check_brian2_vs_exact(*_brian2_vs_exact())


@pytest.mark.parametrize("device", ["cpp_standalone", "genn"])
def test_brian2_network_on_standalone_devices(device, tmp_path):
    """Train exactly, run anywhere: the same layered network in generated C++ and GeNN code
    reproduces the exact first-spike times (tolerance as on runtime)."""
    from .conftest import require_device

    require_device(device)
    _check_brian2_vs_exact(*_brian2_vs_exact(device, tmp_path))


def test_digits_inputs_are_latencies_of_grey_levels():
    """t = t_max (1 - x) for x > 0; black pixels (x = 0) are masked out (they never spike)."""
    X = np.array([[0.0, 0.25, 1.0, 0.5]])
    t, m = ff.digits_inputs(X, t_max=2.0)
    np.testing.assert_array_equal(m, [[0, 1, 1, 1]])
    np.testing.assert_allclose(t[m > 0], [1.5, 0.0, 1.0])


def test_float64_whatever_was_imported_first():
    """Importing feedforward alone (nothing else of the package) in a fresh process gives
    float64 first-spike times equal to the closed form (Theta - psi0 without input), and leaves
    JAX's global setting (float32) untouched."""
    code = textwrap.dedent("""
        import jax, numpy as np
        from neuromodels.exact import feedforward as ff
        n = ff.ThetaOsc()
        psi0 = np.array([0.1, 1.0, 2.5])
        t = ff.layer_first_spikes(np.array([0.3]), np.zeros((1, 3)), psi0, n)
        assert t.dtype == np.float64, t.dtype
        # no input: the first spike comes at Theta - psi0; float32 would be off by ~1e-7
        assert np.max(np.abs(np.asarray(t) - (n.Theta - psi0))) < 1e-13
        assert jax.config.jax_enable_x64 is False
        assert jax.numpy.zeros(1).dtype == np.float32  # the user's setting, unchanged
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_transforming_outside_the_scope_is_refused():
    """jax.grad begun in float32 cannot become float64 inside: refused with the remedy."""
    code = textwrap.dedent("""
        import jax, numpy as np
        from neuromodels.exact import feedforward as ff
        n = ff.ThetaOsc()
        f = lambda w: ff.layer_first_spikes(np.array([0.3]), w, np.array([1.0]), n)[0]
        try:
            jax.grad(f)(np.array([[0.2]]))
        except TypeError as err:
            assert "float64" in str(err), err
            print("refused")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.stdout.strip() == "refused", out.stderr[-2000:]
