"""The standalone main loop without a clock() per step (neuromodels.buildcache.network_loop);
that its program gives Brian2's own spikes: tests/test_buildcache_precompiled.py."""
from neuromodels.buildcache.network_loop import MARK, clock_once

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
