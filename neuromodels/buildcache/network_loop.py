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
per object and step (a learning program of ~40 objects: 8 % of its binary's time), and
builds that set anew at the end of every step (``Network::next_clocks``: 4-5 % of a
learning program's binary, with its tree's allocations).  :func:`clock_flags` gives each
object the index of its clock among the run's clocks once per run, and keeps a flag per
clock for the step's clocks, set at the end of each step by :data:`NEXT_CLOCKS` (the same
earliest clock, the same tolerance, as ``next_clocks``): the same objects run in the same
order, the same clocks tick.
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
{i}for(size_t c=0; c<_nm_clocks.size(); c++)   // the first step's, from next_clocks()
{i}    _nm_current[c] = curclocks.find(_nm_clocks[c]) != curclocks.end();
"""
#: The end of a step: the step's clocks tick, the next step's clocks are found.
_TICK = re.compile(
    r"\n([ \t]*)for\(std::set<Clock\*>::iterator i=curclocks\.begin\(\); "
    r"i!=curclocks\.end\(\); i\+\+\)\n[ \t]*\(\*i\)->tick\(\);\n"
    r"[ \t]*clock = next_clocks\(\);\n")
_FLAG_TICK = """
{i}for(size_t c=0; c<_nm_clocks.size(); c++)
{i}    if (_nm_current[c])
{i}        _nm_clocks[c]->tick();
{i}clock = _nm_next_clocks(_nm_clocks, _nm_current);
"""
#: ``Network::next_clocks`` on the run's clocks, the step's clocks as flags.
NEXT_CLOCKS = """{mark}: Network::next_clocks,
// the step's clocks as a flag per clock (Brian2: a std::set, built every step)
static Clock* _nm_next_clocks(const std::vector<Clock*> &clocks, std::vector<char> &current)
{{
    Clock *minclock = clocks[0];
    for(size_t c=1; c<clocks.size(); c++)
        if(clocks[c]->t[0] < minclock->t[0])
            minclock = clocks[c];
    const double t = minclock->t[0];
    for(size_t c=0; c<clocks.size(); c++)
    {{
        const double s = clocks[c]->t[0];
        current[c] = s==t || fabs(s-t)<=Clock_epsilon;
    }}
    return minclock;
}}

"""
_RUN = re.compile(r"^void Network::run\(", re.M)


def clock_flags(directory) -> bool:
    """Replace the per-object ``std::set`` look-up of the step loop of ``directory``'s
    ``network.cpp`` by a flag per clock, and the set built at the end of each step by
    :data:`NEXT_CLOCKS`; whether it did (the text as Brian2 2.5-2.9 writes it)."""
    def edit(text):
        new, n = _LOOKUP.subn(lambda m: (
            m.group(1) + _PER_RUN.format(i=m.group(2), mark=FLAGS_MARK) + m.group(3)
            + m.group(5) + "if (_nm_current[_nm_clock_of[i]])"), text, count=1)
        if n != 1 or "Clock_epsilon" not in new:
            return None
        new, n = _TICK.subn(lambda m: _FLAG_TICK.format(i=m.group(1)), new, count=1)
        if n != 1:
            return None
        new, n = _RUN.subn(lambda m: NEXT_CLOCKS.format(mark=FLAGS_MARK) + m.group(0), new,
                           count=1)
        return new if n == 1 else None

    return edit_once(Path(directory) / "network.cpp", FLAGS_MARK, edit)
