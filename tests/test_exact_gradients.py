"""Exact gradients (JAX autodiff through the closed-form event-driven solution) against
central finite differences, float64, relative error < 1e-5."""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the exact solver needs JAX: pip install -e '.[exact]'")

import jax.numpy as jnp  # noqa: E402 (after the importorskip)

from neuromodels.exact import float64  # noqa: E402 (after the importorskip)
from neuromodels.exact.network import neuron_spikes, simulate  # noqa: E402 (after the importorskip)
from neuromodels.exact.pseudo import output_times  # noqa: E402 (after the importorskip)
from neuromodels.exact.tasks import SingleNeuronTask  # noqa: E402 (after the importorskip)
from neuromodels.theory.theta import voltage_from_theta  # noqa: E402 (after the importorskip)

RTOL = 1e-5


@pytest.fixture(autouse=True)
def _float64_scope():
    """jax.jit / jacrev of the package's functions need the float64 scope around them."""
    with float64():
        yield


def _fd_jacobian(f, x, h):
    x = np.asarray(x, dtype=float)
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e.flat[k] = h
        cols.append((np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * h))
    return np.stack(cols, axis=-1)


def _rel_err(J, J_fd):
    """Largest error relative to the largest entry, per output (row)."""
    J, J_fd = np.atleast_2d(J), np.atleast_2d(J_fd)
    scale = np.max(np.abs(J), axis=1, keepdims=True)
    assert np.all(scale > 0)
    return float(np.max(np.abs(J - J_fd) / scale))


# ---------------------------------------------------------------- single neuron (task 1)
TASK1 = SingleNeuronTask()


def _task1_out(x):
    return TASK1.output((x[:2], x[2:]))[0]


_TASK1_F = jax.jit(_task1_out)
_TASK1_J = jax.jit(jax.jacrev(_task1_out))


@pytest.mark.parametrize("x0", [
    [0.0, 0.0, 1.0, 9.0],      # silent: both outputs are pseudospikes
    [1.2, 2.0, 2.0, 6.0],      # one real spike, one pseudospike
    [2.5, 3.0, 1.5, 5.5],      # two real spikes
])
def test_single_neuron_spike_time_jacobian(x0):
    x0 = jnp.asarray(x0)
    J = np.asarray(_TASK1_J(x0))
    J_fd = _fd_jacobian(_TASK1_F, x0, 1e-6)
    assert _rel_err(J, J_fd) < RTOL


def test_single_neuron_loss_gradient():
    loss = jax.jit(lambda x: TASK1.loss((x[:2], x[2:]))[0])
    x0 = jnp.asarray([0.7, 1.9, 2.2, 7.1])
    g = np.asarray(jax.grad(lambda x: TASK1.loss((x[:2], x[2:]))[0])(x0))
    g_fd = _fd_jacobian(loss, x0, 1e-6)
    assert _rel_err(g, g_fd) < RTOL


def test_gradient_across_spike_appearance_at_trial_end():
    """Raise the weight of the late learned input until a spike enters the trial at T:
    the output time is continuous there and the gradient is exact on both sides."""
    base = np.array([0.0, 0.0, 1.0, 9.3])
    f = _TASK1_F
    # first output is a pseudospike (> T) at low weight, real (< T) at high weight
    lo, hi = 0.0, 20.0
    assert float(f(base)[0]) > TASK1.T
    x = base.copy()
    x[1] = hi
    assert float(f(x)[0]) < TASK1.T
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        x[1] = mid
        lo, hi = (mid, hi) if float(f(x)[0]) > TASK1.T else (lo, mid)
    w_star = 0.5 * (lo + hi)
    jac = _TASK1_J
    vals = []
    for side in (-1e-4, 1e-4):
        x = base.copy()
        x[1] = w_star + side
        t = float(f(x)[0])
        assert (t > TASK1.T) == (side < 0)  # pseudospike before, real spike after
        J = np.asarray(jac(jnp.asarray(x)))
        J_fd = _fd_jacobian(f, x, 1e-7)
        assert _rel_err(J, J_fd) < RTOL
        vals.append(t)
    # continuity: the jump over 2e-4 in weight is of the order of the slope times 2e-4
    slope = np.max(np.abs(np.asarray(jac(jnp.asarray(x)))[0]))
    assert abs(vals[1] - vals[0]) < 3 * slope * 2e-4
    assert abs(vals[1] - TASK1.T) < 3 * slope * 1e-4


# ---------------------------------------------------------------- recurrent network
N, T, K = 4, 6.0, 200
RNG = np.random.default_rng(5)
W_IN = np.zeros((2 * N, N))  # (n_in, N): channel i excites, N + i inhibits neuron i
W_IN[np.arange(N), np.arange(N)] = 5.0
W_IN[N + np.arange(N), np.arange(N)] = -5.0
IN_T = np.sort(RNG.uniform(0, T, 24))
IN_C = RNG.integers(0, 2 * N, 24)
W0 = RNG.normal(0, 1.0, (N, N)) * (1 - np.eye(N))  # (n_pre, n_post)
M = 3


def _rec_out(W, t_in, V_init, I_init):
    tr = simulate(W, jnp.asarray(W_IN), t_in, jnp.asarray(IN_C), V_init, I_init, T, K)
    outs = []
    for i in range(N):
        real, n = neuron_spikes(tr, i, M)
        outs.append(output_times(real, n, tr.p[i], tr.q[i], tr.I[i], 0.0, T))
    return jnp.concatenate(outs), tr.complete


_REC_F = jax.jit(_rec_out)
_REC_J = jax.jit(jax.jacrev(lambda *a: _rec_out(*a)[0], argnums=(0, 1, 2, 3)))
_ARGS = ("W", "t_in", "V_init", "I_init")


def _rec_errors(args, which, h=3e-5):
    """Relative error of the autodiff Jacobian of all spike times w.r.t. ``args[which]``.

    Step 3e-5: FD truncation ~1e-8; smaller steps are dominated by the ~1e-11 rounding
    noise of spike times after ~100 events (measured: h=1e-6 -> 8e-6, 1e-7 -> 1e-4)."""
    args = [jnp.asarray(a) for a in args]
    assert bool(_REC_F(*args)[1])
    k = _ARGS.index(which)
    J = np.asarray(_REC_J(*args)[k]).reshape(N * M, -1)
    x0 = np.asarray(args[k])

    def f(x):
        a = list(args)
        a[k] = jnp.asarray(x.reshape(x0.shape))
        return _REC_F(*a)[0]

    J_fd = _fd_jacobian(f, x0.ravel(), h)
    rows = np.max(np.abs(J), axis=1) > 0  # outputs that do not depend on x are skipped
    assert rows.sum() >= N
    return _rel_err(J[rows], J_fd[rows])


BASE = (W0, IN_T, np.array([0.1, -0.4, 0.3, 0.0]), np.full(N, 1.0))


@pytest.mark.parametrize("which", _ARGS)
@pytest.mark.parametrize("I_init", [np.full(N, 1.0), np.zeros(N),
                                    np.array([0.5, -0.3, 2.0, 0.0])])
def test_recurrent_gradients(which, I_init):
    """Weights, input times, initial voltages and currents (I = 0 is where the flow's
    closed form changes branch)."""
    assert _rec_errors((W0, IN_T, BASE[2], I_init), which) < RTOL


def test_recurrent_gradient_initial_phase():
    """Initial phases theta0 with V0 = 1/2 + tan(theta0/2)/2 (chain rule through V0)."""
    theta0 = np.array([-1.0, 0.3, 1.2, -2.5])
    V0 = voltage_from_theta(theta0)
    args = [jnp.asarray(a) for a in (W0, IN_T, V0, np.full(N, 1.0))]
    J = np.asarray(_REC_J(*args)[2]).reshape(N * M, N) * (0.25 / np.cos(theta0 / 2) ** 2)
    J_fd = _fd_jacobian(lambda th: _REC_F(args[0], args[1], jnp.asarray(
        voltage_from_theta(th)), args[3])[0].ravel(), theta0, 3e-5)
    rows = np.max(np.abs(J), axis=1) > 0
    assert _rel_err(J[rows], J_fd[rows]) < RTOL
