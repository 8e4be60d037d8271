"""Generated code kept across processes: the abstract code of Brian2's state updaters
(and of the event-driven updates of synaptic pathways), and Brian2's compiler-flag checks.
Both replace Brian2 functions of :data:`~.brian2_version.BRIAN2_VERSION`."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from .brian2_version import relies_on
from .folders import _digest, _write_atomic, cached_text

def _describe_variable(var) -> str:
    """Everything of a Brian2 variable that a state updater may use (identity excluded)."""
    fields = [type(var).__name__]
    for attr in ("dim", "dtype", "scalar", "constant", "read_only", "stateless", "auto_vectorise",
                 "expr"):
        if hasattr(var, attr):
            fields.append(f"{attr}={getattr(var, attr)!s}")
    if type(var).__name__ == "Constant":
        fields.append(f"value={getattr(var, 'value', None)!r}")
    return ",".join(fields)


def _stateupdater_key(equations, variables, method, method_options) -> str | None:
    if not isinstance(method, (str, tuple, list)) or (
            not isinstance(method, str) and not all(isinstance(m, str) for m in method)):
        return None  # a callable method: its identity is not a stable key
    import brian2
    import sympy

    described = sorted(f"{name}:{_describe_variable(var)}"
                       for name, var in (variables or {}).items())
    return _digest("stateupdater", brian2.__version__, sympy.__version__, str(equations),
                   repr(method), repr(sorted((method_options or {}).items())), *described)


relies_on(("brian2.stateupdaters.base:StateUpdateMethod.apply_stateupdater", "1730d96e33adbe05"),
           ("brian2.stateupdaters.exact:LinearStateUpdater.__call__", "94b8cf5a830e6c6a"),
           ("brian2.synapses.synapses:SynapticPathway.update_abstract_code", "d1e76f1be14ae176"))


@contextlib.contextmanager
def _stateupdater_cache(folder: Path):
    """Keep the abstract code of Brian2's state updaters in ``folder`` across processes."""
    from brian2.stateupdaters.base import StateUpdateMethod

    original = StateUpdateMethod.__dict__["apply_stateupdater"]
    compute = original.__func__

    def cached(key, derive):
        """The code stored under ``key`` (None: not cacheable), else ``derive()``, stored."""
        return cached_text(folder / f"{key}.txt" if key else None, derive)

    def apply_stateupdater(equations, variables, method, method_options=None, group_name=None):
        return cached(_stateupdater_key(equations, variables, method, method_options),
                      lambda: compute(equations, variables, method, method_options=method_options,
                                      group_name=group_name))

    # Event-driven synaptic equations bypass apply_stateupdater: each pathway calls the
    # module-level linear updater itself (sympy's matrix exponential, 0.3-1.4 s per pathway).
    import brian2.synapses.synapses as synapses_module

    linear = synapses_module.linear

    def event_driven_linear(equations, variables=None, method_options=None):
        key = _stateupdater_key(equations, variables, "event-driven linear", method_options)
        return cached(key, lambda: linear(equations, variables, method_options))

    StateUpdateMethod.apply_stateupdater = staticmethod(apply_stateupdater)
    synapses_module.linear = event_driven_linear
    try:
        yield
    finally:
        StateUpdateMethod.apply_stateupdater = original
        synapses_module.linear = linear


relies_on(("brian2.codegen.cpp_prefs:has_flag", "60bf09e0795241ac"))


@contextlib.contextmanager
def _flag_check_cache(path: Path):
    """Keep Brian2's compiler-flag checks (one test compile per flag) across processes."""
    from brian2.codegen import cpp_prefs

    known = getattr(cpp_prefs, "_compiler_flag_compatibility", None)
    if not isinstance(known, dict):
        yield
        return

    def compiler_id(exe: str) -> str:
        words = exe.split()
        found = [shutil.which(w) for w in words]
        stamps = [f"{f}:{os.stat(f).st_mtime_ns}:{os.stat(f).st_size}" for f in found if f]
        return _digest(exe, *stamps)

    stored = {}
    with contextlib.suppress(OSError, ValueError):
        stored = json.loads(path.read_text())
    loaded = set()
    for entry in stored.get("flags", []):
        exe, flag, ok, ident = entry
        if (exe, flag) not in known and compiler_id(exe) == ident:
            known[(exe, flag)] = bool(ok)
            loaded.add((exe, flag))
    try:
        yield
    finally:
        new = [(exe, flag, ok) for (exe, flag), ok in known.items() if (exe, flag) not in loaded]
        if new:
            entries = {(e[0], e[1]): e for e in stored.get("flags", [])}
            for exe, flag, ok in new:
                entries[(exe, flag)] = [exe, flag, bool(ok), compiler_id(exe)]
            with contextlib.suppress(OSError):
                _write_atomic(path, json.dumps({"flags": list(entries.values())}))
