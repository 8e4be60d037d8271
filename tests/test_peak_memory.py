"""The measured peak memory of a block (neuromodels.devices.peak_memory) against allocations
of known size: a buffer of 96 MiB touched and freed inside the block is seen at its peak."""
import sys

import numpy as np
import pytest

from neuromodels.devices.peak_memory import peak_memory, process_kib

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="VmHWM and clear_refs are Linux's")
MIB = 2 ** 20


def test_a_freed_buffer_is_seen_at_its_peak_and_nothing_else_is_counted():
    with peak_memory() as idle:
        pass
    with peak_memory() as used:
        a = np.ones(96 * MIB // 8)                # 96 MiB, every page touched
        del a                                     # freed before the block ends
    assert idle.mib < 8, idle.mib
    # (a few pages of the buffer may be ones the process already held: 2 % below)
    assert 0.98 * 96 <= used.mib < 96 + 16, used.mib
    assert used.base_mib == pytest.approx(process_kib("VmRSS") / 1024, abs=64)


def test_the_peak_is_reset_between_blocks():
    """A second block after a larger one reports its own peak, not the process's."""
    with peak_memory() as big:
        a = np.ones(128 * MIB // 8)
        del a
    with peak_memory() as small:
        b = np.ones(32 * MIB // 8)
        del b
    assert 0.98 * 128 <= big.mib < 128 + 16, big.mib
    assert 0.98 * 32 <= small.mib < 32 + 16, small.mib


def test_the_standalone_programs_peak_is_its_largest_run():
    """program_peak_memory wraps Brian2's run command (as Brian2 calls it: the pref's list
    plus run arguments) and reports the largest child's peak: a child touching 160 MiB, then
    one touching 32 MiB, give about 160 MiB plus Python's own; the pref is put back."""
    import subprocess

    from brian2 import prefs

    from neuromodels.devices.peak_memory import program_peak_memory

    key = "devices.cpp_standalone.run_cmd_unix"
    touch = "import sys, numpy; a = numpy.ones(int(sys.argv[1]) * 2 ** 17)"
    before = prefs[key]
    prefs[key] = [sys.executable, "-c", touch]
    try:
        with program_peak_memory() as m:
            for mib in ("160", "32"):
                assert subprocess.call(prefs[key] + [mib]) == 0
        with program_peak_memory() as none:
            pass
        assert prefs[key] == [sys.executable, "-c", touch]
    finally:
        prefs[key] = before
    assert 160 <= m.mib < 160 + 80, m.mib          # + the child's interpreter and numpy
    assert np.isnan(none.mib)
