"""Exact QIF solver: closed-form flow and spike times against numerical integration."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

jax = pytest.importorskip("jax", reason="the exact solver needs JAX: pip install -e '.[exact]'")

import jax.numpy as jnp  # noqa: E402 (after the importorskip)

from neuromodels.exact import float64, qif  # noqa: E402 (after the importorskip)
from neuromodels.exact.network import run  # noqa: E402 (after the importorskip)
from neuromodels.theory import theta as th  # noqa: E402 (after the importorskip)


@pytest.fixture(autouse=True)
def _float64_scope():
    """These tests build JAX arrays themselves (jnp.asarray), which needs the scope."""
    with float64():
        yield


def _ode(V0, I0, t_end, tau=1.0):
    """Integrate tau V' = V(V-1)+I, tau I' = -2I with a tight tolerance (no spike)."""
    sol = solve_ivp(lambda t, y: [(y[0] * (y[0] - 1) + y[1]) / tau, -2 * y[1] / tau],
                    (0, t_end), [V0, I0], rtol=1e-12, atol=1e-12, method="DOP853")
    return sol.y[:, -1]


@pytest.mark.parametrize("V0,I0,dt", [(0.3, 1.5, 0.7), (-0.4, -2.0, 1.3), (0.2, 0.0, 0.9),
                                      (0.5, 1e-7, 0.5), (-3.0, 4.0, 0.2), (0.9, -0.5, 2.0)])
def test_flow_matches_ode(V0, I0, dt):
    p, q = qif.state_from_voltage(V0)
    p1, q1, I1 = qif.flow(p, q, jnp.asarray(I0), dt)
    V_ref, I_ref = _ode(V0, I0, dt)
    assert float(p1 / q1) == pytest.approx(V_ref, rel=1e-9, abs=1e-10)
    assert float(I1) == pytest.approx(I0 * np.exp(-2 * dt), rel=1e-14, abs=1e-300)
    assert float(I1) == pytest.approx(I_ref, rel=1e-9, abs=1e-12)


def test_cos_sin_continuous_across_series_switch():
    x = 0.7
    for z in (qif._Z_SMALL * (1 - 1e-9), qif._Z_SMALL * (1 + 1e-9)):
        for sign in (1, -1):
            I = sign * z / x**2
            C, S = qif.cos_sin(jnp.asarray(I), x)
            w = np.sqrt(abs(I))
            Cr = np.cos(w * x) if I > 0 else np.cosh(w * x)
            Sr = (np.sin(w * x) if I > 0 else np.sinh(w * x)) / w
            assert float(C) == pytest.approx(Cr, rel=1e-15)
            assert float(S) == pytest.approx(Sr, rel=1e-15)


@pytest.mark.parametrize("V0,I0", [(0.0, 3.0), (0.4, 2.6), (-1.0, 8.0), (0.0, 100.0)])
def test_time_to_spike_matches_theory_and_ode(V0, I0):
    p, q = qif.state_from_voltage(V0)
    t_s = float(qif.time_to_spike(p, q, jnp.asarray(I0)))
    assert t_s == pytest.approx(float(th.first_spike_time_decaying(V0, I0)), rel=1e-13)
    # the ODE blows up at t_s: V is large just before, and V(t_s - h) ~ 1/h
    h = 1e-4 * t_s
    V_before, _ = _ode(V0, I0, t_s - h)
    assert V_before * h == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize("V0,I0", [(0.0, 2.4), (0.3, -1.0), (-0.2, 0.0), (0.99, 0.0)])
def test_no_spike_when_subthreshold(V0, I0):
    p, q = qif.state_from_voltage(V0)
    assert np.isinf(float(qif.time_to_spike(p, q, jnp.asarray(I0))))


def test_negative_current_spike_from_high_voltage():
    # I < 0 and V > sqrt(-I): spike after tau*artanh(...)-based time; check against ODE
    V0, I0 = 3.0, -1.0
    p, q = qif.state_from_voltage(V0)
    t_s = float(qif.time_to_spike(p, q, jnp.asarray(I0)))
    assert 0 < t_s < np.inf
    h = 1e-5 * t_s
    V_before, _ = _ode(V0, I0, t_s - h)
    assert V_before * h == pytest.approx(1.0, rel=1e-3)


def test_rheobase():
    I_c = th.rheobase_decaying()
    p, q = qif.state_from_voltage(0.0)
    assert np.isfinite(float(qif.time_to_spike(p, q, jnp.asarray(I_c * (1 + 1e-6)))))
    assert np.isinf(float(qif.time_to_spike(p, q, jnp.asarray(I_c * (1 - 1e-6)))))


def test_event_driven_matches_ode_through_spikes():
    """Single neuron with inputs: event-driven spike times vs the theta-form ODE."""
    t_in = np.array([0.5, 2.0, 3.1, 6.0])
    w = np.array([[4.0, -1.0, 6.0, 3.0]]).T  # (n_in, N) = (4, 1)
    res = run(np.zeros((1, 1)), w, t_in, np.arange(4), np.zeros(1), np.zeros(1), 10.0)
    spikes = res["spikes"][0]
    assert len(spikes) >= 2

    # theta form: theta' = -cos(theta) + 2 I (1 + cos(theta)); spikes at theta = pi (mod 2pi)
    def f(t, y):
        return [-np.cos(y[0]) + 2 * y[1] * (1 + np.cos(y[0])), -2 * y[1]]

    y = [th.theta_from_voltage(0.0), 0.0]
    t0, crossings = 0.0, []
    for tk, wk in list(zip(t_in, w[:, 0])) + [(10.0, 0.0)]:
        ev = lambda t, y: np.sin((y[0] - np.pi) / 2)  # noqa: E731  zero at theta = pi (mod 2pi)
        sol = solve_ivp(f, (t0, tk), y, rtol=1e-12, atol=1e-12, method="DOP853", events=ev)
        crossings += list(sol.t_events[0])
        y = [sol.y[0, -1], sol.y[1, -1] + wk]
        t0 = tk
    np.testing.assert_allclose(spikes, crossings, rtol=0, atol=1e-8)


def test_free_running_pseudo_period_matches_theory():
    """Constant drive J: (V - 1/2)^2 + J has period tau pi / sqrt(J) (pseudodynamics)."""
    J, tau = 2.3, 1.7
    theta0 = th.theta_from_voltage(0.5)

    def f(t, y):  # theta form of tau V' = (V-1/2)^2 + J with V = 1/2 + sqrt(J) tan(theta/2)
        return [2 * np.sqrt(J) / tau]

    # phase advances uniformly: one period = 2 pi / (2 sqrt(J)/tau)
    T_num = 2 * np.pi / f(0, [theta0])[0]
    assert T_num == pytest.approx(float(th.period(J, tau)), rel=1e-14)
    # and the QIF with constant current I = J + 1/4, integrated from spike to spike
    sol = solve_ivp(lambda t, y: [(-np.cos(y[0]) + 2 * (J + 0.25) * (1 + np.cos(y[0]))) / tau],
                    (0, 10 * tau), [-np.pi], rtol=1e-12, atol=1e-12, method="DOP853",
                    events=lambda t, y: np.sin((y[0] - np.pi) / 2))
    isi = np.diff(sol.t_events[0])
    np.testing.assert_allclose(isi, float(th.qif_period(J + 0.25, tau)), rtol=1e-9)


@pytest.mark.parametrize("kwargs,name", [
    ({"T": -1.0}, "T"), ({"W": np.zeros((2, 3))}, "W"), ({"w_in": np.zeros((2, 3))}, "w_in"),
    ({"V_init": np.zeros(3)}, "V_init"), ({"I_init": np.full(2, np.inf)}, "I_init"),
    ({"in_channels": np.array([5, 0])}, "in_channels"),
    ({"tau": 0.0}, "tau"),
])
def test_bad_parameters_raise(kwargs, name):
    args = dict(W=np.zeros((2, 2)), w_in=np.ones((2, 2)), in_times=np.array([1.0, 2.0]),
                in_channels=np.array([0, 1]), V_init=np.zeros(2), I_init=np.zeros(2), T=10.0,
                tau=1.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        run(**args)


def test_theory_rejects_bad_input():
    with pytest.raises(ValueError, match="I"):
        th.qif_period(0.2)
    with pytest.raises(ValueError, match="J"):
        th.period(-1.0)
