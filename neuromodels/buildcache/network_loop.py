"""The main loop of a C++ standalone program without a system call in every time step.

Brian2's ``network.cpp`` (template ``devices/cpp_standalone/templates/network.cpp``) reads
``std::clock()`` at the end of every time step, to stop a run that exceeds its
``maximum_run_time`` and to report the run's duration (``_last_run_time``).  Without a
maximum run time the reading only serves that duration, yet it is a system call per step:
about 0.85 us on the 2-core machine type, 4 ms per sample of Diehl & Cook at dt 0.1 ms
(5,000 steps).  :func:`clock_once` moves it after the loop (the same duration; the program
otherwise unchanged) in the text Brian2 generated; where that text is not the expected one
(a maximum run time, OpenMP's ``omp_get_wtime``, another template) it leaves the file as it
is.
"""
from __future__ import annotations

import re
from pathlib import Path

#: The end of the step loop: the clocks ticked, the time read, the loop closed (no
#: maximum run time between).
_PER_STEP = re.compile(
    r"(clock = next_clocks\(\);)\s*\n"
    r"\s*current = std::clock\(\);\s*\n"
    r"(\s*)(elapsed_realtime = \(double\)\(current - start\)/\(\d+ \* CLOCKS_PER_SEC\);)"
    r"\s*\n(\s*)\}\n")
MARK = "// neuromodels.buildcache.network_loop: the time read once, after the loop"


def clock_once(directory) -> bool:
    """Move the per-step ``std::clock()`` of ``directory``'s ``network.cpp`` after its
    step loop; whether it did."""
    path = Path(directory) / "network.cpp"
    try:
        text = path.read_text()
    except OSError:
        return False
    if MARK in text:
        return True
    new, n = _PER_STEP.subn(lambda m: (f"{m.group(1)}\n{m.group(4)}}}\n{m.group(4)}{MARK}\n"
                                       f"{m.group(4)}current = std::clock();\n"
                                       f"{m.group(4)}{m.group(3)}\n"), text)
    if n != 1:
        return False
    path.write_text(new)
    return True
