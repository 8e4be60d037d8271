"""The ALIF spike-to-spike map (neuromodels.theory.alif) against scipy's ODE solver and limits."""
import numpy as np
import pytest
from brian2 import mV, ms
from scipy.integrate import solve_ivp

from neuromodels.theory.alif import alif_isi_map, alif_periodic_state, alif_spike_times
from neuromodels.theory.lif import lif_rate_deterministic

pytestmark = pytest.mark.compat

P = dict(tau_m=10e-3, v_th=-50e-3, v_reset=-65e-3, t_ref=2e-3, tau_theta=0.1, delta_theta=2e-3)
ARGS = ("tau_m", "v_th", "v_reset", "t_ref", "tau_theta", "delta_theta")


def _args(mu, **changes):
    p = dict(P, **changes)
    return (mu, *(p[k] for k in ARGS))


def _ode_spike_times(mu, n, reset, t_ref=P["t_ref"]):
    """Spike times by integrating (v, theta_a) with solve_ivp and an event at v = theta."""
    tau_m, v_th, v_reset, tau_th, dth = (P[k] for k in ("tau_m", "v_th", "v_reset", "tau_theta",
                                                        "delta_theta"))

    def rhs(t, y):
        return [(mu - y[0]) / tau_m, -y[1] / tau_th]

    def crossing(t, y):
        return y[0] - v_th - y[1]
    crossing.terminal, crossing.direction = True, 1

    t, y, times = 0.0, np.array([-65e-3, 0.0]), []
    while len(times) < n:
        if crossing(t, y) >= 0:  # above threshold when the dead time ends (no reset only)
            t_spike, y_spike = t, y
        else:
            sol = solve_ivp(rhs, (t, t + 10.0), y, events=crossing, rtol=1e-12, atol=1e-15,
                            method="DOP853")
            t_spike, y_spike = sol.t_events[0][0], sol.y_events[0][0]
        times.append(t_spike)
        a = y_spike[1] + dth
        if reset:  # v held at v_reset for t_ref, theta_a decays
            t, y = t_spike + t_ref, np.array([v_reset, a * np.exp(-t_ref / tau_th)])
        else:      # v free, no spike possible for t_ref
            sol = solve_ivp(rhs, (t_spike, t_spike + t_ref), [y_spike[0], a], rtol=1e-12,
                            atol=1e-15, method="DOP853")
            t, y = t_spike + t_ref, sol.y[:, -1]
    return np.array(times)


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize("mu", [-45e-3, -35e-3, -15e-3])
def test_spike_times_match_ode_solver(mu, reset):
    """30 spikes from rest: the closed-form map equals a high-order ODE integration."""
    exact = alif_spike_times(*_args(mu), 30, v0=-65e-3, reset=reset)
    ode = _ode_spike_times(mu, 30, reset)
    assert np.max(np.abs(exact - ode)) < 1e-10   # measured <= 5e-12 s


@pytest.mark.parametrize("reset", [True, False])
@pytest.mark.parametrize("mu", [-45e-3, -35e-3, -15e-3])
def test_periodic_state_is_the_limit_of_the_transient(mu, reset):
    """Iterating the map from rest converges to the fixed point; the map leaves it unchanged."""
    state = alif_periodic_state(*_args(mu), reset=reset)
    times = alif_spike_times(*_args(mu), 400, v0=-65e-3, reset=reset)
    assert np.diff(times)[-1] == pytest.approx(state["isi"], rel=1e-9)
    if reset:
        T, a_next = alif_isi_map(state["theta_a"], *_args(mu))
        assert T == pytest.approx(state["isi"], rel=1e-12)
        assert a_next == pytest.approx(state["theta_a"], rel=1e-9)
    # the transient is spike-frequency adaptation: intervals lengthen from the first one
    assert np.diff(times)[0] < 0.8 * state["isi"]


def test_no_adaptation_is_the_lif_rate_formula():
    """delta_theta = 0: the ALIF is the LIF, r = 1/(t_ref + tau ln((mu - V_r)/(mu - theta)))."""
    for mu in (-49e-3, -40e-3, 0.0):
        state = alif_periodic_state(*_args(mu, delta_theta=0.0))
        expected = lif_rate_deterministic(mu, P["tau_m"], P["v_th"], P["v_reset"], P["t_ref"])
        assert state["rate"] == pytest.approx(expected, rel=1e-12)


def test_refractory_limited_state_without_reset():
    """No reset, strong drive: the neuron fires every t_ref with the closed-form adaptation."""
    state = alif_periodic_state(*_args(0.2), reset=False)
    decay = np.exp(-P["t_ref"] / P["tau_theta"])
    assert state["isi"] == P["t_ref"]
    assert state["theta_a"] == pytest.approx(P["delta_theta"] * decay / (1 - decay))


def test_subthreshold_input_and_bad_parameters():
    assert alif_periodic_state(*_args(-50e-3))["isi"] == np.inf
    assert np.all(np.isinf(alif_spike_times(*_args(-51e-3), 3, v0=-65e-3)))
    state = alif_periodic_state(-45 * mV, 10 * ms, -50 * mV, -65 * mV, 2 * ms, 100 * ms, 2 * mV)
    assert state["isi"] == pytest.approx(alif_periodic_state(*_args(-45e-3))["isi"])
    with pytest.raises(ValueError, match="tau_theta must be > 0"):
        alif_periodic_state(*_args(-45e-3, tau_theta=0.0))
    with pytest.raises(ValueError, match="v_reset must be < v_th"):
        alif_periodic_state(*_args(-45e-3, v_reset=-40e-3))
    with pytest.raises(ValueError, match="tau_m must have units of second"):
        alif_periodic_state(-45 * mV, 10 * mV, -50 * mV, -65 * mV, 2 * ms, 100 * ms, 2 * mV)
