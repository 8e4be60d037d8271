"""Announced and timed builds: the ``make`` step of a standalone device
(:func:`instrument_compile`) and the Cython code objects of the runtime device
(:func:`instrument_cython`) say beforehand how long they will take and record it."""
from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from .brian2_version import brian2_patches_apply, relies_on
from .clock_order import _sort_clock_resets
from .dense_synapses import vectorise
from .estimate import (_add_record, _no_cache_reason, _records, _remember, _say,
                       _source_fingerprints, estimate_compile_seconds, still_running)
from .folders import cache_dir, enabled
from .network_loop import clock_flags, clock_once
from .precompiled import prepare_project
from .programs import keep_program, program_key, restore_program
from .spike_queue import append_in_one_copy
from .threshold_loops import split as split_thresholds
from .vector_math import declare as declare_vector_math

relies_on(  # compile_source(directory, ...); the clock resets that build puts in main.cpp
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
        fingerprints, known, new, new_code_objects, pch = [], set(), 0, 0, False
        key = None
        if internals:   # compile_source(directory, compiler, debug, clean)
            directory = Path(args[0] if args else kwargs["directory"])
            clean = args[3] if len(args) > 3 else kwargs.get("clean", False)
            if use_records:      # no clock() system call in every step of the main loop
                clock_once(directory)
                clock_flags(directory)  # and no std::set look-up per object and step
                vectorise(directory)    # all-to-all synapse loops without index arrays
                split_thresholds(directory)     # conditions in a loop of their own
                declare_vector_math(directory)  # libmvec's exp, erf, ... in loops
                append_in_one_copy(directory)   # the spike queue's push without zeros
            if use_records and not clean:   # the program built from the same code before
                with contextlib.suppress(OSError):
                    key = program_key(directory)
                if key is not None and restore_program(directory, key):
                    if verbose:
                        _say(f"compiling: nothing, the program of {what} is cached")
                    device.timers["compile"]["make"] = 0.0
                    if on_compile is not None:
                        on_compile(0.0)
                    return None
            try:
                sources, fingerprints = _source_fingerprints(directory)
            except OSError:
                sources, fingerprints = [], []
            folder = cache_dir() / "compiled"
            known = {f for f in fingerprints if caching and (folder / f).exists()}
            new = len(fingerprints) - len(known)
            new_code_objects = sum(s.startswith("code_objects/") and f not in known
                                   for s, f in zip(sources, fingerprints))
            if use_records and fingerprints:  # objects.cpp at -O0, the precompiled header
                with contextlib.suppress(OSError):
                    pch = prepare_project(directory, new_code_objects,
                                          pch=caching and _wrapped_compiler())
            if verbose and fingerprints:
                total = len(fingerprints)
                # a build that compiles anything takes at least a second: never "about 0 s"
                seconds = (max(estimate_compile_seconds(name, new, pch, total,
                                                        new_code_objects), 1.0)
                           if new else 0.0)
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
        start, cpu = time.perf_counter(), _children_cpu()
        with still_running(f"compiling {what}", verbose):
            result = original(*args, **kwargs)
        seconds, cpu = time.perf_counter() - start, _children_cpu() - cpu
        if on_compile is not None:
            on_compile(seconds)
        if use_records:
            _add_record(name, {"new_files": new, "files": len(fingerprints), "seconds": seconds,
                               "cpu": cpu, "new_code_objects": new_code_objects, "pch": pch})
        if caching and fingerprints:
            _remember(cache_dir() / "compiled", set(fingerprints))
        if key is not None:
            keep_program(directory, key)
        return result

    device.compile_source = compile_source


#: Seconds per Cython code object compiled by the runtime device before any was measured here
#: (cuba-coba on runtime: about 12 code objects in 120 s on the loaded 2-core machine type).
DEFAULT_CYTHON_SECONDS = 8.0


relies_on(  # _load_module(module_path, ...) compiles where module_path is no file yet
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


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (``make`` and the compilers)."""
    try:
        import resource
    except ImportError:   # Windows has no resource module
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _wrapped_compiler() -> bool:
    """Whether ``CXX`` is ccache over :func:`~.precompiled.compiler_wrapper`'s script."""
    words = os.environ.get("CXX", "").split()
    return len(words) > 1 and Path(words[1]).parent == cache_dir() / "compiler"


def uninstrument_compile(device) -> None:
    """Remove the wrappers of :func:`instrument_compile` (the device class's methods again)."""
    vars(device).pop("compile_source", None)
    vars(device).pop("build", None)
