"""Activating a device for one simulation, and restoring Brian2 afterwards.

Standalone builds go to a fresh directory per run (under ``build_root``), so
runs can happen side by side; compiled objects and generated code are cached across
runs and directories (:mod:`neuromodels.buildcache`), and each build says beforehand
how long it will take.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from .. import buildcache
from .catalogue import ALL_DEVICES, GPU_DEVICES
from .requirements import check_device, cuda_path
from .session import DeviceSession, _instrument, record_runtime_targets
from .settings import brian2_settings


def _make_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@contextlib.contextmanager
def use_device(name: str, *, supported: tuple[str, ...] = ALL_DEVICES, threads: int | None = None,
               seed: int | None = None, build_root: str | os.PathLike | None = None,
               use_gpu: bool = False, keep_build: bool = False, what: str = "this model",
               verbose: bool = True):
    """Activate device ``name`` for one simulation; restore Brian2 afterwards.

    Read monitors *inside* the ``with`` block: a standalone device's results
    are gone once it is reset.  ``seed`` seeds Brian2's random numbers on
    runtime, cpp_standalone and cuda_standalone; GeNN cannot be seeded (brian2genn has no
    ``seed()``), which ``session.seeded_device_rng`` records.  ``use_gpu`` runs GeNN on
    its CUDA backend (cuda_standalone always runs on the GPU).
    """
    use_gpu = use_gpu or name in GPU_DEVICES
    check_device(name, supported, threads=threads, use_gpu=use_gpu, what=what)
    import brian2
    from brian2 import prefs, set_device

    session = DeviceSession(name=name, threads=threads, seed=seed, use_gpu=use_gpu, what=what,
                            verbose=verbose)
    directory = None
    root = Path(build_root) if build_root else Path(tempfile.gettempdir()) / "neuromodels-build"
    caches = contextlib.ExitStack()
    try:
        # brian2genn's activate() changes the schedule and code-generation preferences and
        # calls prefs._backup() itself: brian2_settings restores every preference afterwards
        caches.enter_context(brian2_settings(target="cython"))
        # the runtime device compiles Cython through setuptools, which must not see CXX=ccache
        caches.enter_context(buildcache.compile_cache(root, compiler=name != "runtime"))
        if name == "runtime":
            set_device("runtime")
            caches.enter_context(buildcache.instrument_cython(what, verbose, session._compiled))
            caches.enter_context(record_runtime_targets(session))
        else:
            root.mkdir(parents=True, exist_ok=True)
            directory = root / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            session.directory = directory
            # DEPS= : no make.deps (a preprocessor pass over every file, for incremental
            # rebuilds, which a fresh directory never has; 2-6 s per build)
            prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{_make_jobs()}", "DEPS="]
            prefs.devices.cpp_standalone.openmp_threads = threads or 0
            if name == "cpp_standalone":
                set_device("cpp_standalone", directory=str(directory), build_on_run=True)
            elif name == "cuda_standalone":
                import brian2cuda  # noqa: F401  (registers the device)

                set_device("cuda_standalone", directory=str(directory), build_on_run=True)
            else:
                import brian2genn  # noqa: F401  (registers the device)

                if use_gpu and not os.environ.get("CUDA_PATH"):
                    prefs.devices.genn.cuda_backend.cuda_path = cuda_path()
                set_device("genn", directory=str(directory), use_GPU=use_gpu)
            _instrument(session)
        if seed is not None and name != "genn":
            brian2.seed(seed)
            session.seeded_device_rng = True
        yield session
    finally:
        from brian2.devices.device import reinit_devices

        buildcache.uninstrument_compile(brian2.get_device())
        brian2.get_device().reinit()
        set_device("runtime")
        reinit_devices()
        caches.close()
        if directory is not None and not keep_build:
            for path in [directory, *session.extra_directories]:
                shutil.rmtree(path, ignore_errors=True)
        sys.stdout.flush()
