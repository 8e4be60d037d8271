"""Brian2's global settings (code-generation target, the default clock's ``dt``), changed
only in a scope that restores them."""
from __future__ import annotations

import contextlib


@contextlib.contextmanager
def brian2_settings(*, target: str | None = None, dt=None):
    """Scope Brian2's global settings: inside, ``prefs.codegen.target`` is ``target`` and
    ``defaultclock.dt`` is ``dt`` (each if given); on exit every preference and the default
    clock's ``dt`` are what they were before, also after an error. Studies and tests change
    these globals only through this (tests: the autouse fixture in ``tests/conftest.py``)."""
    from brian2 import defaultclock, prefs

    saved_prefs, saved_dt = dict(prefs.prefs), defaultclock.dt
    try:
        if target is not None:
            prefs.codegen.target = target
        if dt is not None:
            defaultclock.dt = dt
        yield
    finally:
        for key, value in saved_prefs.items():
            prefs[key] = value
        defaultclock.dt = saved_dt


def numpy_target_parameter(default: bool = False, what: str = ""):
    """The study parameter ``numpy_target``, one meaning in every study that has it (and in
    the tests' shared quick runs, which take it to the runtime device): on the runtime
    device, Brian2's numpy target, which compiles nothing (Cython compiles each code object
    of a cold run, 5-8 s each on the 2-core machine); ``what`` names the runs it concerns
    (e.g. ``" for the check run"``).  The study runs them inside
    ``brian2_settings(target="numpy" if p["numpy_target"] else None)``."""
    from ..parameters import Parameter

    return Parameter("numpy_target", default,
                     f"on runtime, Brian2's numpy target{what} (nothing to compile)")
