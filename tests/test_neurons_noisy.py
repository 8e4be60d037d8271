"""Escape-noise and diffusive-noise LIF neurons."""
import numpy as np
import pytest
from brian2 import (Network, NeuronGroup, SpikeMonitor, StateMonitor, defaultclock, mV, ms,
                    nA, pA, prefs, second)
from scipy import stats

from neuromodels.neurons.noise import get_noise
from neuromodels.neurons.noisy import (NoisyLIFParams, make_diffusive_lif, make_escape_lif)

SHIPPED = ("gaussian", "logistic", "uniform", "triangular", "arctan")


@pytest.fixture(autouse=True)
def _numpy_target():
    """Small networks: numpy code generation (no compilation); one helper to switch."""
    old = prefs.codegen.target
    prefs.codegen.target = "numpy"
    defaultclock.dt = 0.1 * ms
    yield
    prefs.codegen.target = old


def test_monte_carlo_firing_probability_equals_cdf_for_every_noise():
    """At fixed v, P(spike in a step) = F((v - v_th)/sigma) within binomial error."""
    n_steps, per = 1000, 30
    p = NoisyLIFParams(t_ref=0 * ms)
    groups, mons, v0s = {}, {}, {}
    for name in SHIPPED:
        sigma = get_noise(name).default_scale * (p.v_th - p.v_reset)
        v0 = p.v_th + np.linspace(-2.5, 2.5, per) * sigma
        g = make_escape_lif(per, name, p, per_neuron=("E_L", "v_reset"))
        g.E_L = v0
        g.v_reset = v0  # v stays at v0: no leak towards elsewhere, reset to v0
        g.v = v0
        groups[name], mons[name], v0s[name] = g, SpikeMonitor(g), v0
    net = Network(*groups.values(), *mons.values())
    net.run(n_steps * defaultclock.dt)
    for name in SHIPPED:
        g = groups[name]
        assert np.allclose(g.v[:] / mV, v0s[name] / mV)
        counts = np.bincount(mons[name].i[:], minlength=per)
        F = get_noise(name).firing_probability((v0s[name] - p.v_th) / mV, g.model_info["sigma"] / mV)
        var = n_steps * F * (1 - F)
        ok = var > 0
        # where F is 0 or 1 exactly the count must be exactly 0 or n_steps
        assert np.all(counts[~ok] == np.round(n_steps * F[~ok]))
        z = (counts[ok] - n_steps * F[ok]) / np.sqrt(var[ok])
        assert np.max(np.abs(z)) < 4.5, (name, z)
        chi2 = np.sum(z ** 2)
        assert stats.chi2.sf(chi2, ok.sum()) > 1e-4, (name, chi2)


def test_every_spike_comes_from_the_one_draw_and_is_followed_by_reset():
    """spike(n) <=> u_draw(n) < p_fire(n); reset iff spike; one draw per step."""
    p = NoisyLIFParams(t_ref=0 * ms)
    N, n_steps = 50, 600
    g = make_escape_lif(N, "logistic", p, per_neuron=("v_th",))
    g.I_ext = np.linspace(0.05, 0.25, N) * nA
    g.v_th = np.linspace(-55, -50, N) * mV
    before = StateMonitor(g, ["u_draw", "p_fire", "v"], record=True, when="thresholds", order=-1)
    after = StateMonitor(g, ["v", "u_draw"], record=True, when="resets", order=1)
    sm = SpikeMonitor(g)
    net = Network(g, before, after, sm)
    net.run(n_steps * defaultclock.dt)
    spiked = np.zeros((N, n_steps), bool)
    steps = np.round(sm.t[:] / defaultclock.dt).astype(int)
    spiked[sm.i[:], steps] = True
    assert 500 < spiked.sum() < 0.5 * N * n_steps
    assert np.array_equal(spiked, before.u_draw[:] < before.p_fire[:])
    # the draw is not changed by threshold/reset (one draw per step)
    assert np.array_equal(before.u_draw[:], after.u_draw[:])
    # draws are uniform on [0, 1)
    assert stats.kstest(before.u_draw[:].ravel(), "uniform").pvalue > 1e-4
    v_after = after.v[:] / mV
    assert np.allclose(v_after[spiked], p.v_reset / mV)                    # spike -> reset
    assert np.array_equal(v_after[~spiked], (before.v[:] / mV)[~spiked])   # no reset otherwise


@pytest.mark.parametrize("name", ["gaussian", "arctan", "uniform"])
def test_sigma_to_zero_is_heaviside(name):
    """deterministic=True (same code, sigma -> 0) == LIF with threshold v > v_th."""
    p = NoisyLIFParams(t_ref=2 * ms)
    N = 20
    g = make_escape_lif(N, name, p, deterministic=True)
    ref = NeuronGroup(N, "dv/dt = (E_L - v + R_m*I_ext)/tau_m : volt (unless refractory)\n"
                         "I_ext : amp",
                      threshold="v > v_th", reset="v = v_reset", refractory=p.t_ref,
                      method="exact", namespace=p.as_dict())
    ref.v = p.E_L
    I = np.linspace(0.1, 0.4, N) * nA
    g.I_ext = I
    ref.I_ext = I
    m1, m2 = SpikeMonitor(g), SpikeMonitor(ref)
    st = StateMonitor(g, "p_fire", record=True, when="thresholds", order=-1)
    Network(g, ref, m1, m2, st).run(100 * ms)
    assert m2.num_spikes > 50
    assert np.array_equal(m1.i[:], m2.i[:]) and np.array_equal(m1.t[:], m2.t[:])
    assert set(np.unique(st.p_fire[:])) <= {0.0, 1.0}


def test_bad_input_rejected():
    p = NoisyLIFParams()
    with pytest.raises(ValueError, match="sigma"):
        make_escape_lif(3, "gaussian", p, sigma=0 * mV)
    with pytest.raises(ValueError, match="sigma"):
        make_escape_lif(3, "gaussian", p, sigma=-1 * mV)
    with pytest.raises(ValueError, match="sigma"):
        make_escape_lif(3, "gaussian", p, sigma=2 * ms)
    with pytest.raises(ValueError, match="sigma"):
        make_escape_lif(3, "gaussian", p, sigma=2.0)
    with pytest.raises(ValueError, match="noise"):
        make_escape_lif(3, "gausian", p)
    with pytest.raises(ValueError, match="tau_m"):
        NoisyLIFParams(tau_m=10 * mV)
    with pytest.raises(ValueError, match="v_th"):
        NoisyLIFParams(v_th=-70 * mV)
    with pytest.raises(ValueError, match="per_neuron"):
        make_escape_lif(3, "gaussian", p, per_neuron=("tau",))
    with pytest.raises(ValueError, match="sigma_v"):
        make_diffusive_lif(3, p, sigma_v=0 * mV)


def test_diffusive_lif_free_membrane_sd():
    """Without threshold crossings the membrane sd equals sigma_v (OU process)."""
    p = NoisyLIFParams(v_th=0 * mV)   # unreachable threshold
    g = make_diffusive_lif(400, p, sigma_v=3 * mV)
    mon = StateMonitor(g, "v", record=True, dt=5 * ms)
    Network(g, mon).run(300 * ms)
    v = mon.v[:, 10:] / mV   # after 50 ms (5 tau)
    assert abs(v.mean() - p.E_L / mV) < 0.2
    assert v.std() == pytest.approx(3.0, rel=0.05)
