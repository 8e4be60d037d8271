"""The main loop of a C++ standalone program without a system call or a tree search per step.

Brian2's ``network.cpp`` (template ``devices/cpp_standalone/templates/network.cpp``) reads
``std::clock()`` at the end of every time step, to stop a run that exceeds its
``maximum_run_time`` and to report the run's duration (``_last_run_time``).  Without a
maximum run time the reading only serves that duration, yet it is a system call per step:
about 0.85 us on the 2-core machine type, 4 ms per sample of Diehl & Cook at dt 0.1 ms
(5,000 steps).  :func:`clock_once` moves it after the loop (the same duration; the program
otherwise unchanged) in the text Brian2 generated; where that text is not the expected one
(a maximum run time, OpenMP's ``omp_get_wtime``, another template) it leaves the file as it
is.

The same loop looks every object's clock up in the ``std::set`` of the step's clocks, once
per object and step (a learning program of ~40 objects: 8 % of its binary's time).
:func:`clock_flags` gives each object the index of its clock among the run's clocks once
per run, and looks up each clock, not each object, once per step: the same objects run in
the same order.
"""
from __future__ import annotations

import re
from pathlib import Path

from .project_text import edit_once

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
    def edit(text):
        new, n = _PER_STEP.subn(lambda m: (f"{m.group(1)}\n{m.group(4)}}}\n{m.group(4)}{MARK}\n"
                                           f"{m.group(4)}current = std::clock();\n"
                                           f"{m.group(4)}{m.group(3)}\n"), text)
        return new if n == 1 else None

    return edit_once(Path(directory) / "network.cpp", MARK, edit)


#: The look-up of an object's clock in the step's clocks, in the object loop.
_LOOKUP = re.compile(
    r"(\n([ \t]*)Clock\* clock = next_clocks\(\);\n)"
    r"(.*?\n([ \t]*)t = clock->t\[0\];\n)"
    r"(\s*for\(size_t i=0; i<objects\.size\(\); i\+\+\)\n.*?)"
    r"if \(curclocks\.find\(obj_clock\) != curclocks\.end\(\)\)", re.S)
FLAGS_MARK = "// neuromodels.buildcache.network_loop: each object's clock as an index"
_PER_RUN = """{i}{mark} into the
{i}// run's clocks; per step, a flag per clock (Brian2: a std::set look-up per object)
{i}std::vector<Clock*> _nm_clocks(clocks.begin(), clocks.end());
{i}std::vector<size_t> _nm_clock_of(objects.size(), 0);
{i}for(size_t i=0; i<objects.size(); i++)
{i}    while(_nm_clocks[_nm_clock_of[i]] != objects[i].first)
{i}        _nm_clock_of[i]++;
{i}std::vector<char> _nm_current(_nm_clocks.size(), 0);
"""
_PER_STEP_FLAGS = """{i}for(size_t c=0; c<_nm_clocks.size(); c++)
{i}    _nm_current[c] = curclocks.find(_nm_clocks[c]) != curclocks.end();
"""


def clock_flags(directory) -> bool:
    """Replace the per-object ``std::set`` look-up of the step loop of ``directory``'s
    ``network.cpp`` by a flag per clock; whether it did (the text as Brian2 2.5-2.9 writes it)."""
    def edit(text):
        new, n = _LOOKUP.subn(lambda m: (
            m.group(1) + _PER_RUN.format(i=m.group(2), mark=FLAGS_MARK) + m.group(3)
            + _PER_STEP_FLAGS.format(i=m.group(4)) + m.group(5)
            + "if (_nm_current[_nm_clock_of[i]])"), text, count=1)
        return new if n == 1 else None

    return edit_once(Path(directory) / "network.cpp", FLAGS_MARK, edit)
