"""Clock resets in a standalone device's main queue in a fixed order, so that the same
network writes the same ``main.cpp`` (and compiles nothing new) on every run."""
from __future__ import annotations

import re

_CLOCK_ARRAY = re.compile(r"^_array_(.+)_(timestep|t)$")


def _sort_clock_resets(queue: list) -> None:
    """Sort each run of clock resets (``_array_<clock>_timestep[0] = ...``, ``..._t[0] =
    ...``) in a standalone device's main queue by clock name.

    Brian2 emits them in the iteration order of a set of clocks, which changes from
    process to process, so a network on several clocks got a new ``main.cpp`` (a compile)
    on every run.  The assignments are independent of each other.
    """
    def is_reset(entry):
        return (entry[0] == "set_by_single_value" and entry[1][1] == 0
                and _CLOCK_ARRAY.match(entry[1][0]) is not None)

    def order(entry):
        clock, kind = _CLOCK_ARRAY.match(entry[1][0]).groups()
        return clock, kind != "timestep"

    start = 0
    while start < len(queue):
        if not is_reset(queue[start]):
            start += 1
            continue
        end = start
        while end < len(queue) and is_reset(queue[end]):
            end += 1
        queue[start:end] = sorted(queue[start:end], key=order)
        start = end
