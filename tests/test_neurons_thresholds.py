"""Dynamic-threshold neurons (neuromodels.neurons.thresholds) against the exact ALIF map,
the LIF rate formula, their own integral identities, the target rate, and NEST."""
from pathlib import Path

import numpy as np
import pytest
from brian2 import (Network, SpikeGeneratorGroup, SpikeMonitor, Synapses, defaultclock, mV,
                    ms, nA, second, usecond)

from neuromodels.devices import brian2_settings, use_device
from neuromodels.networks.alif_step import (alif_step_data, alif_step_errors, alif_step_network,
                                            alif_step_validation, plot_alif_step_validation)
from neuromodels.neurons.noise import get_noise
from neuromodels.neurons.thresholds import (ALIF, FIXED_THRESHOLD_LIF, HOMEOSTATIC_LIF,
                                            adaptive_threshold, homeostatic_threshold,
                                            learnable_threshold)
from neuromodels.parameters import ParameterError
from neuromodels.theory.lif import lif_rate_deterministic

from .conftest import require_device
from .test_neurons_noisy import _check_counts

DT = 10 * usecond
P = FIXED_THRESHOLD_LIF.parameters.defaults
CURRENTS = np.array([0.2, 0.3, 0.5]) * nA
V_TH0 = np.array([-52.0, -50.0, -48.0]) * mV


def _lif_period(current, v_th):
    mu = P["E_L"] + P["R_m"] * current
    return 1 / lif_rate_deterministic(mu, P["tau_m"], v_th, P["v_reset"], P["t_ref"])


@pytest.mark.compat
def test_models_print_and_reject_bad_parameters():
    text = str(ALIF)
    assert "dtheta_a/dt = -theta_a / tau_theta" in text and "theta_a += delta_theta" in text
    assert ALIF.threshold == "v > theta" and "v = v_reset" in ALIF.reset
    escape = adaptive_threshold(noise="logistic", sigma=1 * mV)
    assert escape.threshold == "u_draw < p_fire" and "(v - (theta))" in escape.equations
    no_reset = adaptive_threshold(reset_membrane=False)
    assert "v_reset" not in no_reset.parameters and "unless refractory" not in no_reset.equations
    assert no_reset.reset == "theta_a += delta_theta"
    learnable = learnable_threshold(ALIF)
    assert "v_th" not in learnable.parameters
    assert "v_th : volt" in learnable.equations and "(constant)" not in learnable.equations
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'"):
        learnable.group(2, params={"v_th": [-50, -70] * mV})  # per-neuron values still checked
    with pytest.raises(ParameterError, match="'tau_theta' must be > 0"):
        ALIF.group(1, params={"tau_theta": 0 * ms})
    with pytest.raises(ParameterError, match="'r_target' must have unit hertz"):
        HOMEOSTATIC_LIF.group(1, params={"r_target": 5 * mV})
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'"):
        ALIF.group(1, params={"v_th": -70 * mV})
    with pytest.raises(ParameterError, match="give 'noise'"):
        adaptive_threshold(sigma=1 * mV)
    with pytest.raises(ParameterError, match="'delta_theta' must be >= 0"):
        alif_step_network(params={"delta_theta": -1 * mV})
    with pytest.raises(ParameterError, match="Unknown parameter"):
        alif_step_network(params={"tau_w": 1 * ms})


def _device_network(dt, duration, t_switch, dv_th):
    """Every threshold model in one network: ALIF (both membranes) under current steps, the
    fixed threshold, a learnable one written by a synapse at t_switch, the homeostatic one
    and the escape-noise ALIF."""
    alif = alif_step_network(CURRENTS, dt=dt)
    groups = {}
    for key, model in [("fixed", FIXED_THRESHOLD_LIF),
                       ("learnable", learnable_threshold(FIXED_THRESHOLD_LIF)),
                       ("homeostatic", homeostatic_threshold()),
                       ("escape", adaptive_threshold(noise="logistic", sigma=1 * mV))]:
        g = model.group(len(CURRENTS), name=f"threshold_{key}")
        g.I_ext = CURRENTS
        groups[key] = g
    groups["learnable"].v_th = V_TH0  # per neuron, as a learning framework sets it
    switch = SpikeGeneratorGroup(1, [0], [t_switch], name="switch")
    rule = Synapses(switch, groups["learnable"], on_pre="v_th_post += dv_th",
                    namespace={"dv_th": dv_th}, name="threshold_rule")
    rule.connect()
    monitors = {k: SpikeMonitor(g, name=f"spikes_{k}") for k, g in groups.items()}
    net = Network(*alif["objects"], *groups.values(), *monitors.values(), switch, rule)
    return net, alif, groups, monitors


@pytest.mark.compat
@pytest.mark.parametrize("device", ["runtime", "cpp_standalone", "genn"])
def test_threshold_models_on_device(device, tmp_path):
    """On each device: ALIF ISIs within 1.5 steps of the exact map (both membranes); the fixed
    and the learnable threshold at the LIF period of the threshold a synapse wrote; the
    homeostatic and escape-noise thresholds equal to their closed forms given the spikes."""
    require_device(device)
    duration, t_switch, dv_th, step = 0.5 * second, 250 * ms, 3 * mV, 0.1 * ms
    # runtime: ~40 short code objects, numpy avoids compiling them; GeNN runs everything on
    # the default clock
    with use_device(device, seed=3, build_root=tmp_path) as session, \
            brian2_settings(target="numpy" if device == "runtime" else None, dt=step):
        net, alif, groups, monitors = _device_network(step, duration, t_switch, dv_th)
        session.run(net, duration)
        data = alif_step_data(alif, duration, nest=False)
        trains = {k: [np.asarray(m.t[m.i == j] / second) for j in range(len(CURRENTS))]
                  for k, m in monitors.items()}
        theta_h = np.asarray(groups["homeostatic"].theta_h[:])
        theta_a = np.asarray(groups["escape"].theta_a[:])
        v_th_end = np.asarray(groups["learnable"].v_th[:])
    dt, T = float(step / second), float(duration / second)
    for variant in ("reset", "no_reset"):
        errors = alif_step_errors(data, variant, n_transient=10)
        assert np.all(errors["transient_brian2"] < 1.5 * dt), \
            (variant, errors["transient_brian2"] / dt)
    for j, current in enumerate(CURRENTS):
        period = _lif_period(current, P["v_th"])
        assert np.all(np.abs(np.diff(trains["fixed"][j]) - period) < dt)
        t = trains["learnable"][j]
        v_th0 = V_TH0[j]
        before = np.diff(t[t < float(t_switch / second)])
        # the interval with the write left out
        after = np.diff(t[t > float(t_switch / second)])[1:]
        assert len(before) >= 5 and len(after) >= 5
        assert np.all(np.abs(before - _lif_period(current, v_th0)) < dt)
        assert np.all(np.abs(after - _lif_period(current, v_th0 + dv_th)) < dt)
    assert np.allclose(v_th_end, np.asarray(V_TH0 + dv_th), rtol=0, atol=1e-12)
    hp = HOMEOSTATIC_LIF.parameters.defaults
    counts = np.array([len(t) for t in trains["homeostatic"]])
    expected_h = float(hp["delta_theta_h"]) * (counts - float(hp["r_target"]) * T)
    assert np.allclose(theta_h, expected_h, rtol=0, atol=1e-12)
    ap = ALIF.parameters.defaults
    expected_a = [float(ap["delta_theta"]) * np.sum(np.exp(-(T - t - dt) / float(ap["tau_theta"])))
                  for t in trains["escape"]]
    assert all(len(t) > 10 for t in trains["escape"])
    assert np.allclose(theta_a, expected_a, rtol=1e-9, atol=0)


# The ALIF's intervals against the exact map (both membranes), against NEST gif_psc_exp /
# mat2_psc_exp, and the homeostatic fixed point are declared checks
# (neuromodels/networks/neuron_checks.py), run by tests/test_validation.py.


def test_the_comparison_with_nest_prints_no_nest_banner():
    """A study that compares with NEST showed NEST's 20-line copyright banner
    (threshold-learning) or its deprecation warning (plasticity-rules) between its own
    progress lines: every import of NEST is the quiet one."""
    import subprocess
    import sys

    from neuromodels.reference.nest_synapses import available

    if available():
        pytest.skip(available())
    code = ("from brian2 import ms, second\n"
            "from neuromodels.networks.alif_step import DEFAULT_CURRENTS, VARIANTS, "
            "nest_spike_trains\n"
            "model = VARIANTS['reset'][0]\n"
            "trains = nest_spike_trains('reset', model.namespace(model.parameters.defaults), "
            "DEFAULT_CURRENTS[-1:], 0.05 * second, 0.1 * ms)\n"
            "assert len(trains[0]) > 1, trains\n"
            "from neuromodels.reference.nest_synapses import _kernel\n"
            "_kernel(0.1)\n")                       # (plasticity-rules' comparisons)
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYNEST_QUIET"}
    proc = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True,
                          text=True, env=env,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "NEST Initiative" not in proc.stdout + proc.stderr
    assert "backward compatibility" not in proc.stdout + proc.stderr   # NEST's set_verbosity


def test_every_comparison_with_nest_asks_one_question_whether_it_is_here(monkeypatch):
    """Where NEST cannot be imported (here: blocked in ``sys.modules``, as a broken
    installation), the ALIF step protocol, its NEST check and the synapse comparisons give the
    one reason, before any simulation (the ALIF asked ``find_spec``, which does not import,
    and said 'not installed')."""
    import sys

    from neuromodels.networks.neuron_checks import alif_nest
    from neuromodels.reference import nest_unavailable
    from neuromodels.reference.nest_synapses import available
    from neuromodels.validation.errors import Unavailable

    monkeypatch.setitem(sys.modules, "nest", None)
    why = nest_unavailable()
    assert why and "pip install nest-simulator" in why and available() == why
    with pytest.raises(Unavailable) as err:
        alif_nest(True).measure(None, {}, None)            # before it reads model or size
    assert str(err.value) == why
    with pytest.raises(ImportError, match="nest=True needs NEST"):
        alif_step_validation(nest=True)
    with brian2_settings(target="numpy"):
        data = alif_step_validation(duration=5 * ms, dt=DT, nest=None)
    assert data["nest_missing"] == why and "nest" not in data["reset"]


def test_stored_alif_validation_plots(tmp_path):
    """The data a study stores, read back, gives the validation figure (numpy target: Cython
    compiled its code objects first, 54-85 s in CI, for a plotting test)."""
    from neuromodels import store

    with brian2_settings(target="numpy"):
        data = alif_step_validation(duration=0.1 * second, dt=DT, nest=False)
    store.write(tmp_path / "alif.h5", data, {})
    fig = plot_alif_step_validation(store.read(tmp_path / "alif.h5"))
    assert len(fig.axes) == 3 and fig.axes[0].get_ylabel() == "inter-spike interval (ms)"


@pytest.mark.compat
def test_escape_alif_fires_with_the_probability_of_its_distance_to_theta():
    """Clamped v, theta = v_th + theta_a held (delta_theta = 0, tau_theta = 1e6 s):
    P(spike in a step) = F((v - theta)/sigma) within binomial error."""
    with brian2_settings(target="numpy", dt=0.1 * ms):
        sigma, per, n_steps = 1 * mV, 24, 2000
        model = adaptive_threshold(noise="logistic", sigma=sigma).per_neuron("E_L", "v_reset")
        g = model.group(per, params={"t_ref": 0 * ms, "delta_theta": 0 * mV,
                                     "tau_theta": 1e6 * second})
        g.E_L = g.v_reset = g.v = -52 * mV
        g.theta_a = np.linspace(-3, 7, per) * mV    # theta from -53 to -43 mV
        m = SpikeMonitor(g)
        Network(g, m).run(n_steps * defaultclock.dt)
    F = get_noise("logistic").firing_probability((-52 - (-50 + np.linspace(-3, 7, per))), 1.0)
    _check_counts(np.bincount(np.asarray(m.i), minlength=per), n_steps, F)


def test_alif_panel_labels_say_signed_deviation():
    """plot_alif_step_validation labels panel (b) as the signed ISI − theory ISI with its
    unit, panel (c) with a true minus sign (no study has to override them)."""
    import matplotlib
    matplotlib.use("Agg")
    from neuromodels.networks.alif_step import plot_alif_step_validation

    isi = np.array([[0.02, 0.03, 0.035], [0.01, 0.015, 0.017]])
    block = {"theory": {"isi": isi, "isi_steady": isi[:, -1]},
             "brian2": {"isi": isi + 1e-5, "isi_steady": isi[:, -1] + 1e-5}}
    fig = plot_alif_step_validation({"reset": block, "current": np.array([0.2e-9, 0.3e-9]),
                                     "dt": 1e-5, "duration": 1.0})
    _, ax_d, ax_s = fig.axes[:3]
    assert ax_d.get_ylabel() == "ISI − theory ISI, signed (time steps of 10 µs)"
    assert ax_s.get_ylabel() == "|last ISI / fixed-point ISI − 1| (%)"
    study = Path(__file__).resolve().parent.parent / "studies" / "threshold_learning.py"
    assert "set_ylabel" not in study.read_text()
