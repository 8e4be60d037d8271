"""Escape-noise and diffusive-noise LIF neurons (neuromodels.neurons.noisy)."""
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, defaultclock, mV, ms, nA
from scipy import stats

from neuromodels.devices import brian2_settings
from neuromodels.neurons.noise import get_noise
from neuromodels.neurons.noisy import DIFFUSIVE_LIF, diffusive_lif, escape_lif
from neuromodels.networks.neuron_checks import binomial_z, escape_probability
from neuromodels.parameters import ParameterError
from neuromodels.validation import run_check

from .conftest import require_device

DEFAULTS = escape_lif().parameters.defaults
V_TH, V_RESET = DEFAULTS["v_th"], DEFAULTS["v_reset"]


@pytest.fixture(autouse=True)
def _numpy_target():
    """Small networks: numpy code generation (no compilation)."""
    with brian2_settings(target="numpy", dt=0.1 * ms):
        yield


def _check_counts(counts, n_steps, F):
    """Binomial counts vs n*F (the checks' binomial_z: exact where F is 0 or 1): |z| < 4.5
    and a chi^2 test."""
    z = binomial_z(counts, n_steps, F)
    assert np.max(np.abs(z)) < 4.5, z
    ok = n_steps * F * (1 - F) > 0
    chi2 = np.sum(z[ok] ** 2)
    assert stats.chi2.sf(chi2, ok.sum()) > 1e-4, chi2


# At fixed v, P(spike in a step) = F((v - v_th)/sigma) for every noise: the declared checks
# escape_probability(name) of neuromodels/networks/neuron_checks.py, run by tests/test_validation.py
# on the runtime device and below on the standalone devices.


def test_every_spike_comes_from_the_one_draw_and_is_followed_by_reset():
    """spike(n) <=> u_draw(n) < p_fire(n); reset iff spike; one draw per step."""
    N, n_steps = 50, 600
    g = escape_lif("logistic").per_neuron("v_th").group(N, params={"t_ref": 0 * ms})
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
    assert np.allclose(v_after[spiked], V_RESET / mV)                      # spike -> reset
    assert np.array_equal(v_after[~spiked], (before.v[:] / mV)[~spiked])   # no reset otherwise


@pytest.mark.parametrize("name", ["gaussian", "arctan", "uniform"])
def test_sigma_to_zero_is_heaviside(name):
    """deterministic=True (same code, sigma -> 0) == LIF with threshold v > v_th."""
    N = 20
    model = escape_lif(name, deterministic=True)
    g = model.group(N)
    p = model.parameters.defaults
    ref = NeuronGroup(N, "dv/dt = (E_L - v + R_m*I_ext)/tau_m : volt (unless refractory)\n"
                         "I_ext : amp",
                      threshold="v > v_th", reset="v = v_reset", refractory=p["t_ref"],
                      method="exact", namespace=p)
    ref.v = p["E_L"]
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
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian", sigma=0 * mV)
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian", sigma=-1 * mV)
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian", sigma=2 * ms)
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian", sigma=2.0)
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian").group(3, params={"sigma": 0 * mV})
    with pytest.raises(ValueError, match="sigma"):
        escape_lif("gaussian", sigma=1 * mV, deterministic=True)
    with pytest.raises(ValueError, match="noise"):
        escape_lif("gausian")
    with pytest.raises(ParameterError, match="tau_m"):
        escape_lif().group(3, params={"tau_m": 10 * mV})
    with pytest.raises(ParameterError, match="v_th"):
        escape_lif().group(3, params={"v_th": -70 * mV})
    with pytest.raises(ParameterError, match="'tau'"):
        escape_lif().per_neuron("tau")
    with pytest.raises(ValueError, match="sigma_v"):
        diffusive_lif(sigma_v=0 * mV)
    with pytest.raises(ValueError, match="sigma_v"):
        DIFFUSIVE_LIF.group(3, params={"sigma_v": 1 * ms})


def test_per_neuron_parameters_are_set_before_initial_values():
    """v starts at the per-neuron E_L (initial values see per-neuron parameters)."""
    for model in (escape_lif("logistic"), DIFFUSIVE_LIF):
        g = model.per_neuron("E_L", "v_th").group(4)
        assert np.allclose(g.E_L[:] / mV, DEFAULTS["E_L"] / mV)
        assert np.allclose(g.v[:] / mV, DEFAULTS["E_L"] / mV)
        assert np.allclose(g.v_th[:] / mV, V_TH / mV)


def test_diffusive_lif_free_membrane_sd():
    """Without threshold crossings the membrane sd equals sigma_v (OU process)."""
    g = diffusive_lif(sigma_v=3 * mV).group(400, params={"v_th": 0 * mV})  # unreachable
    mon = StateMonitor(g, "v", record=True, dt=5 * ms)
    Network(g, mon).run(300 * ms)
    v = mon.v[:, 10:] / mV   # after 50 ms (5 tau)
    assert abs(v.mean() - DEFAULTS["E_L"] / mV) < 0.2
    assert v.std() == pytest.approx(3.0, rel=0.05)


@pytest.mark.parametrize("device", ["cpp_standalone", "genn"])
def test_escape_probability_on_standalone_devices(device, tmp_path):
    """P(spike | v) = F((v - v_th)/sigma) also in generated C++ and GeNN code (the Gaussian's
    erf included): the declared check, on that device."""
    require_device(device)
    outcome = run_check(escape_probability("gaussian"), escape_lif("gaussian"), device=device,
                        seed=11, build_root=tmp_path)
    assert outcome.passed, (outcome.error, outcome.note)


@pytest.mark.parametrize("deterministic", [False, True])
def test_declared_firing_is_the_noise_cdf_and_its_derivative(deterministic):
    """``escape_lif().firing``: P(spike) = F((v - v_th)/sigma) and dP/dv = the density (a
    finite difference of P); the deterministic model declares the same-shaped surrogate at
    ``sigma_surrogate`` (the noise's default sigma)."""
    model = escape_lif("logistic", deterministic=deterministic)
    probe = model.extended(f"dpdv = {model.firing.derivative} : volt**-1", name="probe")
    v = V_TH + np.linspace(-10, 10, 41) * mV
    g = probe.group(len(v))
    g.v = v
    noise, p = get_noise("logistic"), model.parameters.defaults
    width = p["sigma_surrogate"] if deterministic else p["sigma"]
    np.testing.assert_allclose(g.dpdv[:] * mV, noise.density((v - V_TH) / mV, width / mV),
                               rtol=1e-12)
    if not deterministic:
        h = 1e-4 * mV
        g.v = v + h
        up = np.asarray(g.p_fire[:])
        g.v = v - h
        down = np.asarray(g.p_fire[:])
        np.testing.assert_allclose((up - down) / (2 * float(h / mV)),
                                   noise.density((v - V_TH) / mV, width / mV), rtol=1e-5, atol=1e-9)
    else:
        assert width == get_noise("logistic").default_scale * (V_TH - V_RESET)
