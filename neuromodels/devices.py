"""Where a network runs: Brian2 runtime, C++ standalone, GeNN (brian2genn) or Brian2CUDA.

One place selects and checks the device.  :func:`check_device` raises a
:class:`DeviceError` that says exactly what is missing (and how to get it)
*before* anything is built; :func:`use_device` activates a device for one
simulation, runs it through :meth:`DeviceSession.run` (which times build and
simulation separately), and restores Brian2's state afterwards, so that
several runs on different devices can happen in one process.

Standalone builds go to a fresh directory per run (under ``build_root``), so
runs can happen side by side.  This module knows nothing of any model.

Device notes (measured on 2-core machines, see the README):

* ``runtime``: Cython code generation; compiled code is cached across runs.
* ``cpp_standalone``: one C++ project per run; OpenMP is off unless
  ``threads`` is given (2 threads were often slower than 1 on shared 2-core
  machines); ``make`` runs with ``-j<cores>`` instead of unbounded ``-j``.
* ``genn``: brian2genn 1.7 with GeNN 4.x; needs brian2 < 2.6, the
  ``brian2genn`` package and GeNN (``GENN_PATH``).  ``use_gpu=False`` (the
  default) runs GeNN's single-threaded CPU backend, ``use_gpu=True`` its CUDA
  backend (needs nvcc, GeNN's CUDA backend library and an NVIDIA GPU; GeNN
  4.9.0's does not compile with CUDA 13 unpatched, see README "GPU").  GeNN
  cannot take a seed for its own random numbers: models should draw random
  connectivity and initial values with numpy (seeded) on the host, which
  makes them equal on every device.
* ``cuda_standalone``: Brian2CUDA (brian2cuda 1.0b1, which needs brian2
  2.10.1 and Python >= 3.12), always on the GPU.  Not in :data:`ALL_DEVICES`:
  only models that declare it accept it.

The results file's provenance names the backend that ran (:func:`backend_name`).
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ALL_DEVICES", "DEFAULT_DEVICE", "DeviceError", "DeviceSession", "check_device",
    "available_devices", "use_device", "device_description", "active_device",
    "require_active_device", "network_clock", "KNOWN_DEVICES", "GPU_DEVICES", "backend_name",
    "gpu_name", "cuda_path", "brian2_settings",
]

#: The devices a model runs on unless it declares otherwise.
ALL_DEVICES: tuple[str, ...] = ("runtime", "cpp_standalone", "genn")
#: Devices that run only on a GPU (Brian2CUDA); a model accepts them only where it declares them.
GPU_DEVICES: tuple[str, ...] = ("cuda_standalone",)
KNOWN_DEVICES: tuple[str, ...] = ALL_DEVICES + GPU_DEVICES
DEFAULT_DEVICE = "cpp_standalone"

_DESCRIPTIONS = {
    "runtime": "Brian2 runtime (Cython code generation)",
    "cpp_standalone": "Brian2 C++ standalone (one compiled program per run; OpenMP threads optional)",
    "genn": "GeNN via brian2genn (CPU backend; CUDA backend with --gpu / use_gpu=True)",
    "cuda_standalone": "Brian2CUDA (brian2cuda 1.0b1, brian2 2.10.1, Python >= 3.12): "
                       "CUDA code on the GPU",
}


class DeviceError(RuntimeError):
    """The requested device cannot run here, or cannot run this model/study."""


def device_description(name: str) -> str:
    return _DESCRIPTIONS[name]


def backend_name(name: str, use_gpu: bool = False) -> str:
    """The backend that runs device ``name`` (recorded in the results file's provenance)."""
    if name == "genn":
        return "GeNN CUDA" if use_gpu else "GeNN CPU"
    return {"runtime": "Brian2 runtime (Cython)", "cpp_standalone": "C++ standalone",
            "cuda_standalone": "Brian2CUDA"}[name]


def _brian2_version() -> tuple[int, ...]:
    import brian2

    return tuple(int(x) for x in brian2.__version__.split(".")[:3] if x.isdigit())


def _genn_buildmodel() -> str | None:
    """Path of ``genn-buildmodel.sh`` from GENN_PATH or PATH, or None."""
    genn_path = os.environ.get("GENN_PATH")
    if genn_path:
        candidate = Path(genn_path) / "bin" / "genn-buildmodel.sh"
        if candidate.is_file():
            return str(candidate)
    return shutil.which("genn-buildmodel.sh")


def cuda_path() -> str | None:
    """The CUDA toolkit's root: ``CUDA_PATH``, else the folder above ``nvcc`` on PATH (or
    /usr/local/cuda where that ``nvcc`` is a wrapper) that holds CUDA's headers."""
    if os.environ.get("CUDA_PATH"):
        return os.environ["CUDA_PATH"]
    nvcc = shutil.which("nvcc")
    if nvcc is None:
        return None
    for root in (Path(os.path.realpath(nvcc)).parent.parent, Path("/usr/local/cuda")):
        if (root / "include" / "cuda_runtime.h").is_file():
            return str(root)
    return str(Path(os.path.realpath(nvcc)).parent.parent)


@functools.lru_cache(maxsize=None)
def _gpu_probe() -> tuple[str | None, str | None]:
    """(why no GPU can be used, name of GPU 0), asked of the CUDA driver library."""
    try:
        lib = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return "no NVIDIA driver here (libcuda.so.1 cannot be loaded)", None
    error = lib.cuInit(0)
    if error:
        return f"the NVIDIA driver finds no usable GPU (cuInit returned CUDA error {error})", None
    count = ctypes.c_int(0)
    if lib.cuDeviceGetCount(ctypes.byref(count)) or count.value < 1:
        return "the NVIDIA driver reports no GPU", None
    name = ctypes.create_string_buffer(256)
    lib.cuDeviceGetName(name, 256, 0)
    return None, name.value.decode(errors="replace")


def gpu_name() -> str | None:
    """Name of the first NVIDIA GPU (from the driver), or None where there is none."""
    return _gpu_probe()[1]


def _missing_gpu_requirement(name: str) -> str | None:
    """Why ``name`` cannot run on a GPU here, or None if it can (its CPU-side checks passed)."""
    if name not in ("genn", "cuda_standalone"):
        return f"device {name!r} runs on the CPU only"
    cuda = cuda_path()
    missing = [f for f in ("bin/nvcc", "include/cuda_runtime.h")
               if cuda and not (Path(cuda) / f).is_file()]
    if cuda is None or missing:
        where = (f"CUDA_PATH={cuda} has no {' or '.join(missing)}" if cuda
                 else "CUDA_PATH is not set and nvcc is not on PATH")
        return f"device {name!r} on the GPU needs CUDA's compiler nvcc and its headers ({where})"
    if name == "genn":
        genn = Path(_genn_buildmodel()).parent.parent
        if not (genn / "lib" / "libgenn_cuda_backend.a").is_file():
            return (f"device 'genn' on the GPU needs GeNN's CUDA backend, and GeNN at {genn} has none "
                    f"(lib/libgenn_cuda_backend.a): build it with `CUDA_PATH={cuda} make -C {genn} cuda` "
                    f"(GeNN 4.9.0 needs a patch for CUDA 13, see README, 'GPU')")
    reason = _gpu_probe()[0]
    return f"device {name!r} on the GPU: {reason}" if reason else None


def _missing_requirement(name: str) -> str | None:
    """Why ``name`` cannot run on this machine, or None if it can."""
    if name == "runtime":
        if importlib.util.find_spec("Cython") is None:
            return "device 'runtime' needs Cython for code generation: pip install cython"
        return None
    if name == "cpp_standalone":
        if not any(shutil.which(c) for c in (os.environ.get("CXX", "g++"), "g++", "c++", "clang++")):
            return "device 'cpp_standalone' needs a C++ compiler (g++ or clang++) on PATH"
        return None
    if name == "genn":
        if importlib.util.find_spec("brian2genn") is None:
            return ("device 'genn' needs the brian2genn package (1.7), which requires brian2 < 2.6: "
                    "create the GeNN environment with `make venv-genn` (brian2 2.5.4, brian2genn 1.7, "
                    "numpy<2, cython<3.1, setuptools<82)")
        if _brian2_version() >= (2, 6):
            return (f"device 'genn' needs brian2 < 2.6 (brian2genn 1.7 fails code generation on newer "
                    f"brian2); this environment has brian2 {'.'.join(map(str, _brian2_version()))}: "
                    f"use the GeNN environment (`make venv-genn`)")
        if _genn_buildmodel() is None:
            where = os.environ.get("GENN_PATH")
            detail = (f"GENN_PATH={where} has no bin/genn-buildmodel.sh" if where
                      else "GENN_PATH is not set and genn-buildmodel.sh is not on PATH")
            return (f"device 'genn' needs GeNN 4.x ({detail}): download a GeNN 4.x release, "
                    f"set GENN_PATH to its root and add $GENN_PATH/bin to PATH (see README, 'GeNN')")
        return None
    if name == "cuda_standalone":
        if importlib.util.find_spec("brian2cuda") is None:
            here = f"Python {sys.version.split()[0]}, brian2 {'.'.join(map(str, _brian2_version()))}"
            return ("device 'cuda_standalone' needs the brian2cuda package (1.0b1), which requires "
                    f"brian2 2.10.1 and Python >= 3.12 (here: {here}), and an NVIDIA GPU with CUDA "
                    "(see README, 'GPU')")
        return _missing_gpu_requirement(name)
    raise AssertionError(name)


def available_devices(use_gpu: bool = False) -> dict[str, str | None]:
    """Each device name mapped to None (usable here) or the reason it is not; with
    ``use_gpu``, whether it can run on a GPU here."""
    return {name: _missing_requirement(name) or (_missing_gpu_requirement(name) if use_gpu else None)
            for name in KNOWN_DEVICES}


def check_device(name: str, supported: tuple[str, ...] = ALL_DEVICES, *, threads: int | None = None,
                 use_gpu: bool = False, what: str = "this model") -> None:
    """Raise :class:`DeviceError` unless ``name`` is known, supported and usable here
    (on a GPU where ``use_gpu``)."""
    if name not in KNOWN_DEVICES:
        raise DeviceError(f"Unknown device {name!r}; choose one of: {', '.join(KNOWN_DEVICES)}.")
    if name not in supported:
        raise DeviceError(
            f"{what} does not support device {name!r}; supported devices: {', '.join(supported)}."
        )
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise DeviceError(f"threads must be a whole number >= 1; got {threads!r}.")
        if name != "cpp_standalone":
            raise DeviceError(
                f"threads (OpenMP) apply only to device 'cpp_standalone'; got threads={threads} "
                f"with device {name!r}."
            )
    if use_gpu and name not in ("genn", "cuda_standalone"):
        raise DeviceError(
            f"use_gpu (--gpu) applies to device 'genn' (GeNN's CUDA backend) and "
            f"'cuda_standalone' (always on the GPU); device {name!r} runs on the CPU.")
    reason = _missing_requirement(name)
    if not reason and use_gpu:
        reason = _missing_gpu_requirement(name)
    if reason:
        raise DeviceError(reason + ".")


def active_device() -> str:
    """Name of the Brian2 device now active: ``'runtime'``, ``'cpp_standalone'``, ``'genn'``
    or ``'cuda_standalone'``."""
    import brian2

    names = {cls.__name__ for cls in type(brian2.get_device()).__mro__}
    if "GeNNDevice" in names:
        return "genn"
    if "CUDAStandaloneDevice" in names:
        return "cuda_standalone"
    if "CPPStandaloneDevice" in names:
        return "cpp_standalone"
    return "runtime"


def require_active_device(supported: tuple[str, ...], what: str) -> None:
    """Raise :class:`DeviceError` when the active device is not in ``supported`` (called when
    a model builds its Brian2 objects, before anything runs)."""
    name = active_device()
    if name not in supported:
        raise DeviceError(
            f"{what} does not support device {name!r}; supported devices: {', '.join(supported)}."
        )


def network_clock(dt=None):
    """One clock for all objects of a network: Brian2's default clock when ``dt`` is None or
    equals its ``dt`` (brian2genn accepts no other clock), otherwise a new ``Clock(dt)``."""
    from brian2 import Clock, defaultclock

    if dt is None or abs(float(dt - defaultclock.dt)) < 1e-15:
        return defaultclock
    return Clock(dt, name="network_clock*")


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


def _make_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@dataclass
class DeviceSession:
    """One simulation on one device: its build directory and its timings (seconds)."""

    name: str
    directory: Path | None = None
    threads: int | None = None
    seed: int | None = None
    seeded_device_rng: bool = False
    use_gpu: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    extra_directories: list = field(default_factory=list)

    def run(self, net, duration, report=None, report_period=None, namespace=None) -> None:
        """Run ``net`` for ``duration``; record build and simulation time.

        ``report='text'`` prints progress (all devices).  On standalone devices
        this call generates, compiles and runs the program.
        """
        import brian2

        kwargs = {"report": report}
        if report_period is not None:
            kwargs["report_period"] = report_period
        if namespace is not None:
            kwargs["namespace"] = namespace
        start = time.perf_counter()
        net.run(duration, **kwargs)
        wall = time.perf_counter() - start
        simulated = getattr(brian2.get_device(), "_last_run_time", None)
        sim = float(simulated) if simulated is not None else wall
        self.timings = {"wall": wall, "simulation": sim, "build": max(wall - sim, 0.0)}

    @property
    def can_rerun(self) -> bool:
        """Whether :meth:`rerun` works here: cpp_standalone on brian2 >= 2.6 (``run_args``)."""
        return self.name == "cpp_standalone" and _brian2_version() >= (2, 6)

    def rerun(self, values=None) -> None:
        """Run the already compiled standalone program again, with new initial values.

        ``values`` maps state variables (``group.v``) to values or arrays.  About 30x
        cheaper than a rebuild; needs brian2 >= 2.6 (:attr:`can_rerun`).  Where it is
        not available, build and run the network again instead.
        """
        import brian2

        if not self.can_rerun:
            raise DeviceError(
                f"Re-running a compiled program needs device 'cpp_standalone' with brian2 >= 2.6 "
                f"(here: device {self.name!r}, brian2 {'.'.join(map(str, _brian2_version()))}); "
                f"build and run the network again instead.")
        device = brian2.get_device()
        start = time.perf_counter()
        device.run(directory=device.project_dir, with_output=False, run_args=values or {})
        for name in device.run_args_arrays:  # this run's value files are not needed again
            with contextlib.suppress(OSError):
                os.remove(os.path.join(device.project_dir, "static_arrays", name))
        wall = time.perf_counter() - start
        sim = float(device._last_run_time)
        self.timings = {"wall": wall, "simulation": sim, "build": 0.0}

    def new_build(self) -> None:
        """Let a standalone device build (and run) another program in this session.

        The k-th extra build goes to its own directory next to the first and
        seeds Brian2's random numbers with ``seed + k``.  On runtime nothing is
        needed; GeNN allows one program per session.
        """
        import brian2
        from brian2 import set_device

        if self.name == "runtime":
            return
        if self.name != "cpp_standalone":
            raise DeviceError(f"device {self.name!r} runs one program per session; "
                              f"start another use_device() block instead.")
        self._extra_builds = getattr(self, "_extra_builds", 0) + 1
        directory = Path(f"{self.directory}-build{self._extra_builds}")
        brian2.get_device().reinit()
        set_device("cpp_standalone", directory=str(directory), build_on_run=True)
        self.extra_directories.append(directory)
        if self.seed is not None:
            brian2.seed(self.seed + self._extra_builds)

    @property
    def provenance(self) -> dict:
        return {"device": self.name, "backend": backend_name(self.name, self.use_gpu),
                "threads": self.threads or 0, "seed": self.seed,
                "seeded_device_rng": self.seeded_device_rng,
                **({"gpu": gpu_name() or "unknown"} if self.use_gpu else {})}


@contextlib.contextmanager
def use_device(name: str, *, supported: tuple[str, ...] = ALL_DEVICES, threads: int | None = None,
               seed: int | None = None, build_root: str | os.PathLike | None = None,
               use_gpu: bool = False, keep_build: bool = False, what: str = "this model"):
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

    session = DeviceSession(name=name, threads=threads, seed=seed, use_gpu=use_gpu)
    # brian2genn's activate() changes the schedule and code-generation preferences and calls
    # prefs._backup() itself, so keep our own copy of every preference to restore afterwards.
    saved_prefs = dict(prefs.prefs)
    directory = None
    try:
        prefs.codegen.target = "cython"
        if name == "runtime":
            set_device("runtime")
        else:
            root = Path(build_root) if build_root else Path(tempfile.gettempdir()) / "neuromodels-build"
            root.mkdir(parents=True, exist_ok=True)
            directory = root / f"{name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            session.directory = directory
            prefs.devices.cpp_standalone.extra_make_args_unix = [f"-j{_make_jobs()}"]
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
        if seed is not None and name != "genn":
            brian2.seed(seed)
            session.seeded_device_rng = True
        yield session
    finally:
        from brian2.devices.device import reinit_devices

        brian2.get_device().reinit()
        set_device("runtime")
        reinit_devices()
        for key, value in saved_prefs.items():
            prefs[key] = value
        if directory is not None and not keep_build:
            for path in [directory, *session.extra_directories]:
                shutil.rmtree(path, ignore_errors=True)
        sys.stdout.flush()
