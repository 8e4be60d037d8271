"""The standalone main loop without a clock() per step and without a std::set look-up per
object and step (neuromodels.buildcache.network_loop); a program with three clocks against
Brian2's numpy target; that its program gives Brian2's own spikes:
tests/test_buildcache_precompiled.py."""

import numpy as np

from neuromodels.buildcache.network_loop import (FLAGS_MARK, MARK, NEXT_CLOCKS, clock_flags,
                                                 clock_once)

from .conftest import numpy_target_or_build

LOOP = """        clock = next_clocks();

        current = std::clock();
        elapsed_realtime = (double)(current - start)/(1 * CLOCKS_PER_SEC);
{stop}
    }}
    Network::_globally_running = false;
"""
STOP = """
        if(elapsed_realtime>10.0)
        {
            did_break_early = true;
            break;
        }
"""


def test_the_clock_is_read_after_the_loop(tmp_path):
    (tmp_path / "network.cpp").write_text(LOOP.format(stop="\n"))
    assert clock_once(tmp_path)
    text = (tmp_path / "network.cpp").read_text()
    loop, after = text.split("    }\n")
    assert "std::clock" not in loop and "next_clocks" in loop
    assert f"{MARK}\n    current = std::clock();\n    elapsed_realtime" in after
    assert clock_once(tmp_path) and (tmp_path / "network.cpp").read_text() == text  # once


def test_a_maximum_run_time_keeps_the_clock_in_every_step(tmp_path):
    original = LOOP.format(stop=STOP)
    (tmp_path / "network.cpp").write_text(original)
    assert not clock_once(tmp_path)
    assert (tmp_path / "network.cpp").read_text() == original
    assert not clock_once(tmp_path / "missing")


OBJECT_LOOP = """#define Clock_epsilon 1e-14

void Network::run(const double duration)
{
    start = std::clock();
    Clock* clock = next_clocks();
    double elapsed_realtime;
    bool did_break_early = false;

    while(clock && clock->running() && !Network::_globally_stopped)
    {
        t = clock->t[0];

        for(size_t i=0; i<objects.size(); i++)
        {
            Clock *obj_clock = objects[i].first;
            // Only execute the object if it uses the right clock for this step
            if (curclocks.find(obj_clock) != curclocks.end())
            {
                codeobj_func func = objects[i].second;
                if (func)
                    func();
            }
        }
        for(std::set<Clock*>::iterator i=curclocks.begin(); i!=curclocks.end(); i++)
            (*i)->tick();
        clock = next_clocks();
    }
}
"""


def test_each_objects_clock_is_an_index_and_the_steps_clocks_flags(tmp_path):
    (tmp_path / "network.cpp").write_text(OBJECT_LOOP)
    assert clock_flags(tmp_path)
    text = (tmp_path / "network.cpp").read_text()
    before, per_run, loop = text.split("void Network::run")[0], *text.split("    while(clock")
    assert before.endswith(NEXT_CLOCKS.format(mark=FLAGS_MARK))
    assert FLAGS_MARK in per_run and "_nm_clock_of[i]++;" in per_run
    assert per_run.index("Clock* clock = next_clocks();") < per_run.index(
        "_nm_current[c] = curclocks.find(_nm_clocks[c])")   # the first step's clocks
    assert "curclocks" not in loop and "next_clocks()" not in loop
    assert "if (_nm_current[_nm_clock_of[i]])" in loop
    assert loop.index("if (_nm_current[c])\n                _nm_clocks[c]->tick();") < \
        loop.index("clock = _nm_next_clocks(_nm_clocks, _nm_current);")
    assert clock_flags(tmp_path) and (tmp_path / "network.cpp").read_text() == text  # once
    (tmp_path / "network.cpp").write_text(OBJECT_LOOP.replace("curclocks.find", "find"))
    assert not clock_flags(tmp_path)                 # another loop: left as it is
    assert not clock_flags(tmp_path / "missing")


def _three_clocks(device, build_root=None):
    """A variable changed by objects on three clocks (dt 0.1, 0.2, 0.3 ms) in each one's
    slot of the schedule; its value after every 0.1 ms step."""
    from brian2 import Network, NeuronGroup, StateMonitor, ms

    with numpy_target_or_build(device, build_root) as session:
        group = NeuronGroup(3, "x : 1", name="clocked")
        group.x = "i + 1"
        group.run_regularly("x = 2 * x + 1", dt=0.2 * ms, when="start")
        group.run_regularly("x = x / 3", dt=0.3 * ms, when="end")
        group.run_regularly("x = x - 0.5 * i", dt=0.1 * ms, when="synapses")
        monitor = StateMonitor(group, "x", record=True, dt=0.1 * ms, when="end", order=1)
        session.run(Network(group, monitor), 3 * ms)
        return np.asarray(monitor.x[:]), session.directory


def test_a_program_with_three_clocks_runs_its_objects_as_brian2_does(tmp_path, monkeypatch):
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    expected, _ = _three_clocks("runtime")
    got, project = _three_clocks("cpp_standalone", tmp_path / "build")
    assert FLAGS_MARK in (project / "network.cpp").read_text()
    assert expected.shape == (3, 30) and np.array_equal(got, expected)
