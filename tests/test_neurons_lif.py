"""LIF models against analytic results and an independent ODE solver."""
import numpy as np
import pytest
from brian2 import Network, SpikeGeneratorGroup, StateMonitor, mV, ms, nS, second
from scipy.integrate import solve_ivp

from neuromodels.devices import brian2_settings
from neuromodels.neurons.lif import COBA, CUBA
from neuromodels.parameters import ParameterError
from neuromodels.synapses.static import jump

pytestmark = pytest.mark.compat


# The rate formula under constant drive is the declared check lif_rate("v_rest") of
# neuromodels/networks/neuron_checks.py, run by tests/test_validation.py and `neuromodels validate`.


def test_cuba_psp_matches_difference_of_exponentials():
    """One input spike of weight w:
    v - v_rest = w tau_e/(tau_e - tau_m) (e^{-t/tau_e} - e^{-t/tau_m})."""
    with brian2_settings(dt=0.1 * ms):
        neuron = CUBA.group(1, params={"v_rest": -65 * mV})
        neuron.v = -65 * mV
        source = SpikeGeneratorGroup(1, [0], [10] * ms)
        w = 1.62 * mV
        syn = jump("g_e", w).connect(source, neuron, [0], [0])
        mon = StateMonitor(neuron, "v", record=0)
        Network(neuron, source, syn, mon).run(100 * ms)
    p = CUBA.parameters.defaults
    t = mon.t - 10 * ms - 0.1 * ms  # the spike is applied at 10 ms; traces record before update
    after = t >= 0 * ms
    tau_m, tau_e = p["tau_m"], p["tau_e"]
    expected = w * tau_e / (tau_e - tau_m) * (np.exp(-t[after] / tau_e) - np.exp(-t[after] / tau_m))
    measured = mon.v[0][after] + 65 * mV
    assert np.max(np.abs(measured - expected)) < 1e-3 * float(w / mV) * mV
    assert np.all(np.abs(mon.v[0][~after] + 65 * mV) < 1e-9 * mV)


def test_coba_psp_matches_scipy_ode_solver():
    """A conductance jump of 6 nS, integrated by Brian2 (Euler) and by scipy's RK45."""
    dt = 0.005 * ms
    assert COBA.parameters.defaults["I_ext"] == 0  # benchmark 1 has no external drive
    neuron = COBA.group(1, dt=dt)
    neuron.v = -60 * mV
    source = SpikeGeneratorGroup(1, [0], [0] * ms, dt=dt)
    syn = jump("g_e", 6 * nS).connect(source, neuron, [0], [0])
    mon = StateMonitor(neuron, "v", record=0, dt=0.1 * ms)
    Network(neuron, source, syn, mon).run(60 * ms)
    p = {k: float(v) for k, v in COBA.parameters.defaults.items()}

    def rhs(t, y):
        v, g_e = y
        return [(p["g_l"] * (p["E_l"] - v) + g_e * (p["E_e"] - v)) / p["C_m"], -g_e / p["tau_e"]]

    t_eval = np.asarray(mon.t / second) - float(dt / second)
    keep = t_eval >= 0
    sol = solve_ivp(rhs, (0, 0.06), [-0.060, 6e-9], t_eval=t_eval[keep], rtol=1e-10, atol=1e-14)
    depol = sol.y[0] + 0.060
    err = np.abs(np.asarray(mon.v[0][keep]) - sol.y[0])
    assert depol.max() > 1e-4  # a real PSP of a few tenths of a mV
    assert err.max() < 0.01 * depol.max()


def test_models_print_and_reject_bad_parameters():
    text = str(CUBA)
    assert "dv/dt = (v_rest - v + g_e - g_i) / tau_m" in text and "tau_m" in text
    with pytest.raises(ParameterError, match="'tau_m' must be > 0"):
        CUBA.group(10, params={"tau_m": -5 * ms})
    with pytest.raises(ParameterError, match="'C_m' must have unit farad"):
        COBA.group(10, params={"C_m": 200 * mV})
    with pytest.raises(ValueError, match="'n' must be a whole number >= 1"):
        CUBA.group(0)
