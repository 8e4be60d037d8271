"""Device selection: every misconfiguration is reported before anything is built."""
import importlib.util

import numpy as np
import pytest
from brian2 import NeuronGroup, get_device, ms

from neuromodels import devices
from neuromodels.devices import (DeviceError, DeviceSession, brian2_settings, check_device,
                                 use_device)

pytestmark = pytest.mark.compat


def test_unknown_device_lists_the_known_ones():
    with pytest.raises(DeviceError,
                       match="Unknown device 'gpu'; choose one of: runtime, cpp_standalone, genn"):
        check_device("gpu")


def test_unsupported_device_names_the_model_and_its_devices():
    with pytest.raises(DeviceError, match="Study 'x' does not support device 'genn'; "
                                          "supported devices: runtime"):
        check_device("genn", ("runtime",), what="Study 'x'")


@pytest.mark.parametrize("threads, device, message", [
    (0, "cpp_standalone", "threads must be a whole number >= 1; got 0"),
    (2, "runtime", "threads .OpenMP. apply only to device 'cpp_standalone'"),
])
def test_bad_threads(threads, device, message):
    with pytest.raises(DeviceError, match=message):
        check_device(device, threads=threads)


def test_genn_without_brian2genn_says_how_to_get_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "brian2genn" else real(name, *a))
    with pytest.raises(DeviceError, match="needs the brian2genn package .1.7.*make venv-genn"):
        check_device("genn")


def test_genn_without_genn_says_what_is_missing(monkeypatch, tmp_path):
    if importlib.util.find_spec("brian2genn") is None:
        pytest.skip("brian2genn not installed in this environment (checked by the test above)")
    monkeypatch.setenv("GENN_PATH", str(tmp_path))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(DeviceError,
                       match=f"needs GeNN 4.x .GENN_PATH={tmp_path} has no bin/genn-buildmodel.sh"):
        check_device("genn")
    monkeypatch.delenv("GENN_PATH")
    with pytest.raises(DeviceError,
                       match="GENN_PATH is not set and genn-buildmodel.sh is not on PATH"):
        check_device("genn")


def test_genn_on_new_brian2_is_refused(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "brian2genn" else real(name, *a))
    monkeypatch.setattr(devices.requirements, "_brian2_version", lambda: (2, 9, 0))
    with pytest.raises(DeviceError, match="needs brian2 < 2.6"):
        check_device("genn")


def test_use_device_checks_before_activating_and_restores_runtime():
    with pytest.raises(DeviceError):
        with use_device("gpu"):
            pytest.fail("the body must not run")
    assert get_device().__class__.__name__ == "RuntimeDevice"
    from brian2 import Network

    draws = []
    for _ in range(2):
        with use_device("runtime", seed=3) as session:
            group = NeuronGroup(5, "v : 1")
            group.v = "rand()"
            session.run(Network(group), 1 * ms)
            draws.append(group.v[:].copy())
    assert (draws[0] == draws[1]).all()  # the seed reached Brian2's generator
    assert session.seeded_device_rng and session.provenance["device"] == "runtime"
    # what ran: 'rand()' set through Brian2's prefs.codegen.string_expression_target (numpy);
    # the group has no state updater, so no Cython code object ran although the target is Cython
    assert session.provenance["backend"] == "Brian2 runtime (numpy)"


def test_runtime_provenance_names_the_target_that_ran():
    """A network run on Brian2's numpy target is recorded as numpy, not as the session's
    default Cython; code objects of both targets in one session are both named."""
    from brian2 import Network

    with use_device("runtime") as session:
        with brian2_settings(target="numpy"):
            group = NeuronGroup(2, "dv/dt = -v/(10*ms) : 1", method="exact")
            session.run(Network(group), 1 * ms)
        assert session.runtime_targets == {"numpy"}
        assert session.provenance["backend"] == "Brian2 runtime (numpy)"
        session.runtime_targets.add("cython")
        assert session.provenance["backend"] == "Brian2 runtime (Cython and numpy)"
    with use_device("runtime") as session:  # nothing of Brian2's ran: no target is claimed
        assert session.provenance["backend"] == "Brian2 runtime (no code object ran)"
    assert DeviceSession("runtime").provenance["backend"] == "Brian2 runtime (Cython)"


def test_standalone_session_runs_in_its_own_directory_and_restores(tmp_path):
    from brian2 import Network, SpikeMonitor

    with use_device("cpp_standalone", seed=1, build_root=tmp_path, keep_build=True) as session:
        group = NeuronGroup(3, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                            method="exact")
        mon = SpikeMonitor(group)
        session.run(Network(group, mon), 50 * ms)
        count = mon.num_spikes
        assert session.directory.parent == tmp_path and session.directory.is_dir()
    # period = 10 ms * ln 2 = 6.93 ms -> 7 spikes in 50 ms, for each of 3 neurons
    assert count == 3 * 7
    assert set(session.timings) == {"wall", "simulation", "build"}
    assert session.timings["build"] > 0
    assert get_device().__class__.__name__ == "RuntimeDevice"


@pytest.mark.parametrize("device", ["runtime", "cpp_standalone", "genn"])
def test_every_preference_is_restored_after_a_run(device, tmp_path):
    """brian2genn changes the schedule and calls prefs._backup() itself; we must undo it all."""
    from brian2 import Network, prefs

    from .conftest import require_device

    require_device(device)
    before = dict(prefs.prefs)
    with use_device(device, build_root=tmp_path) as session:
        group = NeuronGroup(2, "dv/dt = -v/(10*ms) : 1", method="exact")
        session.run(Network(group), 1 * ms)
    # (importing brian2genn registers its own devices.genn.* preferences: extra keys are fine)
    assert {key: prefs[key] for key in before} == before
    assert get_device().__class__.__name__ == "RuntimeDevice"


def test_rerun_with_new_initial_values_or_a_clear_refusal(tmp_path):
    """A compiled program re-run with other initial values gives the analytic result for them."""
    from brian2 import Network, SpikeMonitor

    with use_device("cpp_standalone", build_root=tmp_path) as session:
        group = NeuronGroup(2, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                            method="exact")
        mon = SpikeMonitor(group)
        session.run(Network(group, mon), 20 * ms)
        first = mon.t[:] / ms
        if not session.can_rerun:
            with pytest.raises(DeviceError,
                               match="needs device 'cpp_standalone' with brian2 >= 2.6"):
                session.rerun()  # (brian2 < 2.6 cannot even use a VariableView as a dict key)
            return
        session.rerun({group.v: [0.5, 0.9]})
        t_spike = {k: mon.t[mon.i == k][0] / ms for k in (0, 1)}
    # from v0 the first spike comes at tau ln((2 - v0)/(2 - 1)): 4.05 ms and 0.95 ms (+ dt grid)
    assert abs(first[0] - 6.9) < 0.15
    assert abs(t_spike[0] - 10 * np.log(1.5)) < 0.15 and abs(t_spike[1] - 10 * np.log(1.1)) < 0.15


def _two_neurons():
    from brian2 import Network, SpikeMonitor

    group = NeuronGroup(2, "dv/dt = (2 - v)/(10*ms) : 1", threshold="v > 1", reset="v = 0",
                        method="exact")
    mon = SpikeMonitor(group)
    return group, mon, Network(group, mon)


def _first_spikes(mon):
    return [mon.t[mon.i == k][0] / ms for k in (0, 1)]


def test_a_compiled_program_is_built_once_then_rerun_while_the_device_holds_it(tmp_path):
    """The one rule for re-runs (study runner and learning programs alike): the first run
    assigns the values and builds, later runs re-run with run_args, a new build ends that."""
    program = devices.CompiledProgram()
    with use_device("cpp_standalone", build_root=tmp_path) as session:
        group, mon, net = _two_neurons()
        assert program.run(session, net, 20 * ms, [(group.v, [0.5, 0.9])]) is False
        built = _first_spikes(mon)
        if not session.can_rerun:
            assert not program.holds(session)
            return
        assert program.holds(session)
        assert program.run(session, net, 20 * ms, [(group.v, [0.0, 0.5])]) is True
        rerun = _first_spikes(mon)
        session.new_build()
        assert not program.holds(session)  # the device has moved on to another program
    assert not program.holds(session)
    assert (program.builds, program.reruns) == (1, 1)
    # from v0 the first spike comes at tau ln((2 - v0)/(2 - 1)) (+ dt grid)
    expected = [10 * np.log(2 - v0) for v0 in (0.5, 0.9, 0.0, 0.5)]
    assert np.allclose(built + rerun, expected, atol=0.15)


def test_on_runtime_a_compiled_program_builds_every_run():
    program = devices.CompiledProgram()
    with use_device("runtime") as session:
        for v0 in (0.5, 0.0):
            group, mon, net = _two_neurons()
            assert not program.holds(session)
            assert program.run(session, net, 20 * ms, [(group.v, [v0, v0])]) is False
            assert np.allclose(_first_spikes(mon), 10 * np.log(2 - v0), atol=0.15)
    assert (program.builds, program.reruns) == (2, 0)


def test_a_network_that_cannot_fit_is_refused_before_anything_is_built(tmp_path, monkeypatch,
                                                                      capsys):
    """cuba-coba declares its sizes; n = 1e11 neurons is refused with the estimate and the
    machine's available memory, exit 2, one line, nothing simulated, nothing written."""
    import re
    from pathlib import Path

    import neuromodels.study.runner as runner
    from neuromodels.cli import main

    def no_simulation(*args, **kwargs):
        raise AssertionError("a device session was started")

    monkeypatch.setattr(runner, "use_device", no_simulation)
    monkeypatch.setenv("NEUROMODELS_STUDIES",
                       str(Path(__file__).resolve().parent.parent / "studies"))
    out = tmp_path / "out"
    assert main(["run", "cuba-coba", "-p", "n=100000000000", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert err.startswith("error: Study 'cuba-coba' needs about ") and "2e+11 neurons" in err
    assert re.search(r"GiB of memory .* but this machine has [0-9.]+ GiB available", err), err
    assert not out.exists()
    # the estimate grows with what is declared, and what fits is let through
    small = {"neurons": 8000, "synapses": 6.4e5, "recorded": 1e5}
    assert devices.require_memory(small) == devices.estimate_memory(**small) < 2 ** 30


def test_brian2_notes_that_a_model_answers_stay_off_the_console():
    """distal-reward's and spike-time-recurrent's runs printed Brian2's "the order may
    matter" notes (one synapse per reward neuron; theta's sub-step synapses applied in
    turn): kept off the console by the models, other notes still shown; ``off_console``
    only inside its scope.  Read from Brian2's console handler itself."""
    import io

    from brian2 import BrianLogger, Network
    from brian2.utils.logger import get_logger

    from neuromodels.networks import distal_reward
    from neuromodels.neurons import theta  # noqa: F401 (keeps its own notes off)

    console = io.StringIO()
    stream = BrianLogger.console_handler.setStream(console)
    try:
        with brian2_settings(target="numpy"):
            net = distal_reward.build(distal_reward.PARAMETERS.resolve(n=10, k_in=2),
                                      np.random.default_rng(0))
            Network(*net.objects).run(1 * ms)
        get_logger("brian2.codegen.generators.base").warn("code about theta_post")
        with devices.off_console("brian2.some", "a scoped note"):
            get_logger("brian2.some.where").warn("a scoped note, inside")
        get_logger("brian2.some.where").warn("a scoped note, after")
    finally:
        BrianLogger.console_handler.setStream(stream)
    shown = console.getvalue()
    assert "may not be well-defined" not in shown and "theta_post" not in shown, shown
    assert "inside" not in shown and "a scoped note, after" in shown, shown
