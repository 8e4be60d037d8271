"""A runtime re-run (neuromodels.devices.runtime_rerun through CompiledProgram(runtime=True))
equals a fresh build's run of the same values and seed, and makes no code object."""
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, mV, ms

from neuromodels.devices import CompiledProgram, brian2_settings

pytestmark = pytest.mark.compat


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _network():
    """Noisy neurons with a shared constant (a literal in the numpy code objects) and a
    recurrent synapse that adds to it: every kind of state a re-run must reset or renew."""
    g = NeuronGroup(20, """dv/dt = (gain*mV - v)/(10*ms) + 2*mV*xi/sqrt(ms) : volt
                           gain : 1 (shared, constant)""",
                    threshold="v > 1*mV", reset="v = 0*mV", method="euler", name="g")
    s = Synapses(g, g, "w : volt", on_pre="v_post += w", delay=1 * ms, name="s")
    s.connect(condition="(i + 2*j) % 3 == 0")
    spikes = SpikeMonitor(g, name="spikes")
    trace = StateMonitor(g, "v", record=[0, 1], name="trace")
    return Network(g, s, spikes, trace), g, s, spikes, trace


def _run(program, parts, gain, v0, seed):
    net, g, s, spikes, trace = parts
    w = np.linspace(0, 0.4, len(s)) * mV
    program.run(None, net, 30 * ms, [(g.gain, gain), (g.v, v0), (s.w, w)], seed=seed,
                namespace={})
    return (spikes.i[:].copy(), spikes.t[:].copy(), trace.v[:].copy(), g.v[:].copy())


def test_rerun_equals_a_fresh_build_and_makes_no_code():
    kept = CompiledProgram(runtime=True)
    parts = _network()
    v0 = np.linspace(0, 1, 20) * mV
    first = _run(kept, parts, 0.5, v0, seed=1)
    codeobjects = [obj.codeobj for obj in parts[0].sorted_objects if hasattr(obj, "codeobj")]
    assert kept.holds(None)
    # other values (the shared constant too) and another seed
    again = _run(kept, parts, 1.5, v0[::-1], seed=2)
    assert (kept.builds, kept.reruns) == (1, 1)
    assert [obj.codeobj for obj in parts[0].sorted_objects
            if hasattr(obj, "codeobj")] == codeobjects
    fresh = _run(CompiledProgram(runtime=True), _network(), 1.5, v0[::-1], seed=2)
    assert len(again[0]) > 20 and not np.array_equal(again[0], first[0])
    for a, b in zip(again, fresh):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # and the first run's values again: its spikes again
    replay = _run(kept, parts, 0.5, v0, seed=1)
    for a, b in zip(replay, first):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_program_without_runtime_reuse_builds_every_run():
    program = CompiledProgram()
    parts = _network()
    _run(program, parts, 0.5, np.zeros(20) * mV, seed=1)
    assert not program.holds(None)
    assert (program.builds, program.reruns) == (1, 0)


def test_a_sessions_totals_count_a_runtime_rerun_as_a_rerun():
    """A study's timing line ('build ... in N builds') counts builds, not kept re-runs."""
    from neuromodels.devices import use_device

    kept, parts = CompiledProgram(runtime=True), _network()
    with use_device("runtime") as session, brian2_settings(target="numpy"):
        for seed in (1, 2, 3):
            kept.run(session, parts[0], 10 * ms, [(parts[1].gain, 0.5)], seed=seed,
                     namespace={})
    totals = session.totals()
    assert (totals["runs"], totals["builds"], kept.reruns) == (3, 1, 2)
    assert [e["kind"] for e in session.history] == ["run", "rerun", "rerun"]
