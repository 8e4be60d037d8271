"""A neuron group's threshold as a loop the compiler can vectorise, then its events.

Brian2's C++ template of a threshold (``threshold.cpp``) computes each neuron's condition
and appends the neuron to the event space in the same loop::

    for (_idx = 0; _idx < N; _idx++) { ...condition...;  if (_cond) space[_count++] = _idx; }

The append keeps the compiler from vectorising the condition, however costly: an escape-noise
threshold's firing probability ``0.5 (1 + erf((v - v_th) / (sqrt(2) sigma)))`` took 16 % of
the binary's time in an OTTT epoch of the digits net, every neuron's ``erf`` called one at a
time.  :func:`split` rewrites the loop, in the text Brian2 generated, as two::

    for (_idx < N)  { ...condition...;  space[_idx] = _cond; }       (vectorised, libmvec)
    for (_idx < N)  if (space[_idx]) { space[_count++] = _idx; ... }  (the same events)

The event space holds the flags before it holds the events (``_count <= _idx``: each flag
is read before its place is written).  The same statements in the same order: a condition
that draws random numbers draws them in the same order, and the loop is then just not
vectorised; a refractory group's ``not_refractory`` and ``lastspike`` are set in the second
loop, after every condition read them, as Brian2 sets each after its own neuron's.  Loops run
in parallel (OpenMP) or written otherwise are left as they are.
"""
from __future__ import annotations

import re

from .project_text import edit_code_objects

MARK = "// neuromodels.buildcache.threshold_loops"

#: Brian2's threshold loop (``threshold.cpp``): the condition, then the event's append and,
#: for a refractory group, its refractory state
_LOOP = re.compile(
    r"(?P<indent>[ \t]*)long _count = 0;[ \t]*\n"
    r"(?P=indent)for\(size_t _idx=0; _idx<N; _idx\+\+\)[ \t]*\n"
    r"(?P=indent)\{[ \t]*\n"
    r"(?P<body>(?:(?![ \t]*if\(_cond\)).*\n)*?)"
    r"(?P<inner>[ \t]*)if\(_cond\) \{[ \t]*\n"
    r"[ \t]*(?P<space>_ptr_array_\w+)\[_count\+\+\] = _idx;[ \t]*\n"
    r"(?P<after>(?:[ \t]*_ptr_array_\w+\[_idx\] = (?:\w+|_ptr_array_\w+\[0\]);[ \t]*\n)*)"
    r"(?:[ \t]*\n)*"
    r"[ \t]*\}[ \t]*\n"
    r"(?P=indent)\}[ \t]*\n")
_ASSIGNED = re.compile(r"_ptr_array_\w+\[_idx\] = (\w+);")   # (an array's [0] is seen anywhere)

_SPLIT = """{i}long _count = 0;
{i}{mark}: the conditions (a loop the compiler can vectorise), then the events
{i}for(size_t _idx=0; _idx<N; _idx++)
{i}{{
{body}{inner}{space}[_idx] = _cond;
{i}}}
{i}for(size_t _idx=0; _idx<N; _idx++)
{i}{{
{inner}if({space}[_idx]) {{
{inner}    {space}[_count++] = _idx;
{after}{inner}}}
{i}}}
"""


def split_text(text: str) -> tuple[str, int]:
    """``text`` (a generated code object) with its threshold loop split (module docstring),
    and how many loops were split (0 or 1)."""
    if MARK in text:
        return text, 0
    m = _LOOP.search(text)
    if m is None or "#pragma omp" in text[:m.start()]:
        return text, 0
    before = text[:m.start()]
    for value in _ASSIGNED.findall(m["after"]):   # a name the second loop reads (``t``)
        if value not in ("false", "true") and not re.search(
                rf"const \w+ {value} = ", before):
            return text, 0
    new = _SPLIT.format(i=m["indent"], mark=MARK, body=m["body"], inner=m["inner"],
                        space=m["space"], after=m["after"])
    return text[:m.start()] + new + text[m.end():], 1


def split(directory) -> int:
    """Split the threshold loops of the code objects in ``directory`` (a C++ standalone
    project); how many."""
    return edit_code_objects(directory, "*thresholder*.cpp", MARK, split_text)
