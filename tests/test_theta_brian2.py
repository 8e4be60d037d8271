"""Brian2 theta neuron against the exact event-driven solver and the analytic period."""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the exact solver needs JAX: pip install -e '.[exact]'")

brian2 = pytest.importorskip("brian2")
from brian2 import Network, NeuronGroup, SpikeMonitor, ms, start_scope  # noqa: E402

from neuromodels.devices import DeviceError, brian2_settings  # noqa: E402
from neuromodels.exact.network import run as run_exact  # noqa: E402
from neuromodels.networks.theta import network_from_exact  # noqa: E402
from neuromodels.networks.theta_checks import exact_case, exact_solver_errors  # noqa: E402
from neuromodels.neurons.theta import THETA, spike_times, theta_group  # noqa: E402
from neuromodels.theory.theta import qif_period  # noqa: E402

from .conftest import require_device  # noqa: E402


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


brian2.BrianLogger.suppress_name("brian2.codegen.generators.base")
TAU = 10 * ms


def _fit_order(hs, errs):
    return float(np.polyfit(np.log(hs), np.log(errs), 1)[0])


def _brian_errors(case, T, ks):
    """The declared check's comparison (networks/theta_checks.py), one home: the largest
    spike-time difference from the exact solver at dt = tau/2^k for each k."""
    errs = []
    for k in ks:
        start_scope()
        errs.append(exact_solver_errors(THETA, case, T, [k])[0])
    assert np.all(np.isfinite(errs)), "a spike count differs from the exact solver's"
    return np.array(errs)


def test_feedforward_converges_at_rk4_order():
    """Inputs on the grid of every dt: the only errors are RK4's (order 4) and the
    O(dt^3) spike-time interpolation, so the fitted order must be close to 4."""
    ks = [4, 5, 6, 7]
    errs = _brian_errors(exact_case("grid"), 10.0, ks)
    order = _fit_order(2.0 ** -np.array(ks), errs)
    assert 3.5 < order < 4.5
    assert errs[-1] < 1e-6


def test_recurrent_network_off_grid_inputs_converge():
    """Arbitrary input times and recurrent spikes fall between steps; the synapses'
    sub-step correction is exact to O(delta^2), so the order must be at least ~2."""
    ks = [6, 7, 8, 9]
    errs = _brian_errors(exact_case("recurrent"), 10.0, ks)
    order = _fit_order(2.0 ** -np.array(ks), errs)
    assert order > 1.8
    assert errs[-1] < 1e-4


# The free-running period and the exact solver at one dt are the declared checks
# theta_period() and exact_solver() of neuromodels/networks/theta_checks.py, run by
# tests/test_validation.py.


def test_equations_are_plain_brian2():
    start_scope()
    G = NeuronGroup(2, THETA.equations, threshold=THETA.threshold, reset=THETA.reset,
                    method=THETA.method, namespace=THETA.namespace())
    assert set(G.variables).issuperset({"theta", "I"})
    assert "tau" in str(THETA) and "I0" in str(THETA)


@pytest.mark.parametrize("kwargs,name", [
    ({"W": np.zeros((2, 3))}, "W"), ({"w_in": np.zeros((1, 3))}, "w_in"),
    ({"in_times": np.array([-1.0])}, "in_times"),
])
def test_conversion_validates(kwargs, name):
    args = dict(W=np.zeros((2, 2)), w_in=np.ones((1, 2)), in_times=np.array([1.0]),
                in_channels=np.array([0]), V_init=np.zeros(2), I_init=np.zeros(2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        network_from_exact(**args)


def test_theta_parameters_validate():
    start_scope()
    with pytest.raises(ValueError, match="tau"):
        theta_group(1, tau=-1 * ms)


def test_trained_single_neuron_runs_in_brian2():
    """Train exactly, run in Brian2: the trained task-1 neuron fires at the targets."""
    from neuromodels.exact.tasks import SINGLE_FIXED_TIMES, SINGLE_FIXED_WEIGHTS, \
        train_single_neuron

    h = train_single_neuron(3000, chunk=1000)
    w_in = np.concatenate([h["final_weights"], SINGLE_FIXED_WEIGHTS])[:, None]  # (n_in, 1)
    t_in = np.concatenate([h["final_times"], SINGLE_FIXED_TIMES])
    dt = TAU * 2.0 ** -8
    start_scope()
    objs = network_from_exact(np.zeros((1, 1)), w_in, t_in, np.arange(22), np.zeros(1),
                              np.zeros(1), tau=TAU, dt=dt)
    Network(*objs["objects"]).run(10 * TAU)
    got = spike_times(objs["monitor"], dt, TAU)[0]
    np.testing.assert_allclose(got, [2.5, 7.5], atol=1e-3)


_FF_CASE = exact_case("grid")


def _run_on_device(device, build_root, dt, T=10.0, I0=1.3):
    """Free-running neuron, the grid-input case (plain synapses) and, except on GeNN, the
    recurrent case (sub-step synapses) in one network; spike times in units of tau."""
    from neuromodels.devices import use_device

    # one clock for everything (GeNN supports no other); on runtime the numpy target of the
    # file, set after use_device, which sets Cython's
    target = {"target": "numpy"} if device == "runtime" else {}
    with use_device(device, build_root=build_root) as session, \
            brian2_settings(dt=dt, **target):
        G = theta_group(1, V_init=0.0, tau=TAU, I0=I0, name="free")
        M = SpikeMonitor(G, variables=["theta"])
        nets = {"ff": network_from_exact(**_FF_CASE, tau=TAU, substep=False)}
        if device != "genn":
            nets["rec"] = network_from_exact(**exact_case("recurrent"), tau=TAU)
        else:
            with pytest.raises(DeviceError, match="substep=False"):
                network_from_exact(**exact_case("recurrent"), tau=TAU)
        objects = [o for objs in nets.values() for o in objs["objects"]]
        session.run(Network(G, M, *objects), T * TAU)
        got = {name: spike_times(objs["monitor"], dt, TAU) for name, objs in nets.items()}
        got["free"] = spike_times(M, dt, TAU)
    return got


@pytest.mark.parametrize("device", ["cpp_standalone", "genn"])
def test_period_and_network_on_standalone_devices(device, tmp_path):
    """The same equations in generated C++ and GeNN code (dt = tau/128): free-running period
    within 1e-7 of tau*pi/sqrt(I0 - 1/4); a neuron driven by inputs on the time grid
    through plain current synapses (the only kind GeNN can run) within 1e-6 tau of the exact
    solver; every spike time equal to the runtime device's to 1e-9 tau (the recurrent
    network with sub-step synapses too, except on GeNN, which must refuse it)."""
    require_device(device)
    dt, T, I0 = TAU * 2.0 ** -7, 10.0, 1.3
    got = _run_on_device(device, tmp_path, dt, T, I0)
    start_scope()
    ref = _run_on_device("runtime", tmp_path, dt, T, I0)
    period = np.diff(got["free"][0])
    assert len(period) >= 2
    np.testing.assert_allclose(period, qif_period(I0), rtol=1e-7)
    exact = run_exact(*_FF_CASE.values(), T)["spikes"]
    assert [len(g) for g in got["ff"]] == [len(e) for e in exact]
    assert sum(len(e) for e in exact) >= 2
    assert max(np.max(np.abs(g - e)) for g, e in zip(got["ff"], exact)) < 1e-6
    assert set(got) == ({"free", "ff"} if device == "genn" else {"free", "ff", "rec"})
    for name, times in got.items():
        assert [len(g) for g in times] == [len(r) for r in ref[name]]
        for g, r in zip(times, ref[name]):
            np.testing.assert_allclose(g, r, atol=1e-9, rtol=0)
