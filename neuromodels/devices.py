"""Where a network runs: Brian2 runtime, C++ standalone, GeNN (brian2genn) or Brian2CUDA.

One place selects and checks the device.  :func:`check_device` raises a
:class:`DeviceError` that says exactly what is missing (and how to get it)
*before* anything is built; :func:`use_device` activates a device for one
simulation, runs it through :meth:`DeviceSession.run` (which times build and
simulation separately), and restores Brian2's state afterwards, so that
several runs on different devices can happen in one process.

Standalone builds go to a fresh directory per run (under ``build_root``), so
runs can happen side by side; compiled objects and generated code are cached across
runs and directories (:mod:`neuromodels.buildcache`), and each build says beforehand
how long it will take.  This module knows nothing of any model.

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
import gc
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import buildcache

__all__ = [
    "ALL_DEVICES", "DEFAULT_DEVICE", "DeviceError", "DeviceSession", "check_device",
    "available_devices", "use_device", "device_description", "active_device",
    "require_active_device", "network_clock", "can_rerun", "KNOWN_DEVICES", "GPU_DEVICES",
    "backend_name", "gpu_name", "cuda_path", "brian2_settings", "connect_arrays",
    "estimate_memory", "available_memory", "require_memory",
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


def can_rerun(name: str) -> bool:
    """Whether a compiled program of device ``name`` can be re-run with new values here:
    cpp_standalone on brian2 >= 2.6 (``run_args``); elsewhere a run builds again."""
    return name == "cpp_standalone" and _brian2_version() >= (2, 6)


#: Bytes per neuron, per synapse and per recorded value, and the fixed cost of a run (Python,
#: Brian2, the compiled program): measured peaks of the Brette CUBA network through
#: neuromodels (4k-64k neurons, 80 synapses each, 1 s), rounded up.
MEMORY_PER_NEURON = 512
MEMORY_PER_SYNAPSE = 32
MEMORY_PER_RECORDED = 16
MEMORY_BASE = 200 * 2 ** 20


def estimate_memory(neurons: float = 0, synapses: float = 0, recorded: float = 0) -> float:
    """Peak memory (bytes) of a run with this many neurons, synapses and recorded values
    (spikes, monitor samples, stimulus values), any device.

    At 64,000 neurons, 5.1 million synapses and 0.37 million spikes the measured peak was
    159 MB (cpp_standalone) and 274 MB (runtime); this gives 393 MB (MiB, as ru_maxrss).
    """
    return (MEMORY_BASE + MEMORY_PER_NEURON * float(neurons) + MEMORY_PER_SYNAPSE * float(synapses)
            + MEMORY_PER_RECORDED * float(recorded))


def available_memory() -> float | None:
    """Bytes of memory available to a new process here (MemAvailable), or None if unknown."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return None


def _gib(nbytes: float) -> str:
    gib = nbytes / 2 ** 30
    return f"{gib:.2e} GiB" if gib >= 1e5 else f"{gib:.0f} GiB" if gib >= 100 else f"{gib:.3g} GiB"


def require_memory(sizes: dict, what: str = "this network") -> float:
    """Raise :class:`DeviceError` if a run of ``sizes`` (the keyword arguments of
    :func:`estimate_memory`) cannot fit in the memory available here; return the estimate."""
    needed = estimate_memory(**sizes)
    available = available_memory()
    if available is not None and needed > available:
        declared = ", ".join(f"{float(v):.3g} {'recorded values' if k == 'recorded' else k}"
                             for k, v in sizes.items() if v)
        raise DeviceError(
            f"{what} needs about {_gib(needed)} of memory ({declared}), but this machine has "
            f"{_gib(available)} available; choose smaller sizes.")
    return needed


class _WrittenStaticArray:
    """A standalone static array already written to the build directory: all that Brian2's
    build uses of it (``dtype``, ``size``, ``tofile``), without its values in memory."""

    def __init__(self, path: Path, dtype, size: int):
        self.path, self.dtype, self.size, self.shape = path, dtype, size, (size,)

    def __len__(self) -> int:
        return self.size

    def tofile(self, path) -> None:
        if os.path.abspath(path) != os.path.abspath(self.path):
            shutil.copyfile(self.path, path)


def connect_arrays(synapses, i, j, min_bytes: int = 1 << 16) -> None:
    """``synapses.connect(i=i, j=j)``, keeping no copy of the indices after it.

    Brian2's standalone devices keep explicit indices in Python until the build (a
    static array and a value cache, besides the caller's arrays) and the compiled program
    keeps two copies for the whole run (the static array and the ``sources``/``targets``
    variables it copies them into), and it caches the synaptic indices as int64.  Here,
    for arrays of at least ``min_bytes``, the static arrays go to the build directory at
    once and the caches are dropped (so, as for synapses created from a condition, the
    number of synapses and their indices are known in Python after the run only); on
    cpp_standalone the program frees both copies once the synapses exist (``sources``
    then reads as zeros: Brian2 uses it only to create the synapses).  Call it once per
    block of indices (:func:`neuromodels.connectivity.fixed_probability_blocks`) to bound
    the memory of the call itself.
    """
    import brian2
    import numpy as np

    if len(i) == 0:
        return
    name = active_device()
    if name == "runtime":
        synapses.connect(i=i, j=j)
        return
    device = brian2.get_device()
    directory = device.build_options.get("directory")
    if not directory:
        synapses.connect(i=i, j=j)
        return
    # Brian2 caches the synaptic indices (as int64) to answer len(synapses) and synapses.i
    # before the run; as for synapses created from a condition, leave them unknown until
    # the run (Brian2 then skips that cache)
    for var_name in ("N", "_synaptic_pre", "_synaptic_post"):
        device.array_cache[synapses.variables[var_name]] = None
    queued = len(device.main_queue)
    synapses.connect(i=i, j=j)
    folder = Path(directory) / "static_arrays"
    folder.mkdir(parents=True, exist_ok=True)
    names = {array_name: var for var, array_name in device.arrays.items()}
    release = []
    for func, args in device.main_queue[queued:]:
        if func != "set_by_array" or args[2]:   # not a (non-dynamic) array set from a file
            continue
        array_name, static_name = args[0], args[1]
        values = device.static_arrays.get(static_name)
        if not isinstance(values, np.ndarray) or values.nbytes < min_bytes:
            continue
        path = folder / static_name
        values.tofile(path)
        device.static_arrays[static_name] = _WrittenStaticArray(path, values.dtype, values.size)
        if array_name in names:
            device.array_cache[names[array_name]] = None
        release.append((array_name, static_name, values.size, values.dtype))
    if name == "cpp_standalone" and release:
        from brian2.codegen.generators.cpp_generator import c_data_type

        lines = ["// neuromodels.devices.connect_arrays: indices not needed once the synapses exist"]
        for array_name, static_name, size, dtype in release:
            lines += [f"delete [] {static_name}; {static_name} = 0;",
                      f"{{ static {c_data_type(dtype)} _released[{size}];  // untouched: no memory",
                      f"  delete [] {array_name}; {array_name} = _released; }}"]
        device.insert_code("main", "\n".join(lines))


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
    """One simulation on one device: its build directory and its timings (seconds).

    ``timings`` holds the last run's ``wall``, ``simulation`` and ``build`` (wall minus
    simulation: code generation, compilation, loading); ``history`` every run and re-run
    of the session, and :meth:`totals` their sums, so that several builds and runs of one
    study add up.
    """

    name: str
    directory: Path | None = None
    threads: int | None = None
    seed: int | None = None
    seeded_device_rng: bool = False
    use_gpu: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    extra_directories: list = field(default_factory=list)
    what: str = "this model"
    verbose: bool = True
    history: list = field(default_factory=list)
    _compile_seconds: float = field(default=0.0, repr=False)

    def _record(self, kind: str, wall: float, sim: float) -> None:
        build = max(wall - sim, 0.0) if kind == "run" else 0.0
        self.timings = {"wall": wall, "simulation": sim, "build": build}
        entry = dict(self.timings, kind=kind)
        if self._compile_seconds:
            entry["compile"] = self._compile_seconds
            self._compile_seconds = 0.0
        self.history.append(entry)

    def _compiled(self, seconds: float) -> None:
        self._compile_seconds += seconds

    def totals(self, since: int = 0) -> dict[str, float]:
        """Sums over the runs of the session (from run number ``since`` on): ``build``,
        ``simulation``, ``compile`` (time in the compiler: ``make``, or Cython, also while
        the network was being built), ``runs`` and ``builds`` (counts)."""
        history = self.history[since:]
        return {
            "build": sum(e["build"] for e in history),
            "simulation": sum(e["simulation"] for e in history),
            "compile": sum(e.get("compile", 0.0) for e in history),
            "runs": len(history),
            "builds": sum(e["kind"] == "run" for e in history),
        }

    def run(self, net, duration, report=None, report_period=None, namespace=None, *,
            seed=None, seed_variable=None) -> None:
        """Run ``net`` for ``duration``; record build and simulation time.

        ``report='text'`` prints progress (all devices).  On standalone devices
        this call generates, compiles and runs the program.

        ``seed`` (an int) seeds Brian2's random numbers for this run.  On
        cpp_standalone give also ``seed_variable``, a shared integer state variable
        of a group in ``net`` (``group.rng_seed``, holding ``seed``): the program then
        seeds its generators from that variable after reading its run arguments, so
        that every :meth:`rerun` draws fresh random numbers from the seed it is given
        (``rerun(values, seed=...)``) instead of replaying the build's.  GeNN cannot be
        seeded (``seeded_device_rng`` is False there).
        """
        import brian2

        kwargs = {"report": report}
        if report_period is not None:
            kwargs["report_period"] = report_period
        if namespace is not None:
            kwargs["namespace"] = namespace
        self._seed_variable = None
        if seed is not None:
            self._seed_for_run(int(seed), seed_variable)
        start = time.perf_counter()
        net.run(duration, **kwargs)
        wall = time.perf_counter() - start
        simulated = getattr(brian2.get_device(), "_last_run_time", None)
        sim = float(simulated) if simulated is not None else wall
        self._record("run", wall, sim)

    def _seed_for_run(self, seed: int, seed_variable) -> None:
        import brian2
        import numpy as np

        if self.name == "genn":
            self.seeded_device_rng = False
            return
        if self.name == "cpp_standalone" and self.can_rerun and seed_variable is not None:
            device = brian2.get_device()
            variable = seed_variable.variable
            if not (variable.scalar and np.dtype(variable.dtype).kind in "iu"):
                raise DeviceError("seed_variable must be a shared integer variable of a group "
                                  "('rng_seed : integer (shared, constant)').")
            seed_variable[:] = seed
            threads = max(self.threads or 0, 1)
            # read the run arguments first, then seed every generator from the variable
            device.apply_run_args()
            device.insert_code(
                "main", f"for (int _i=0; _i<{threads}; _i++) brian::_random_generators[_i]"
                        f".seed((unsigned long) brian::{device.get_array_name(variable)}[0] + _i);")
            self._seed_variable = seed_variable
        else:
            brian2.seed(seed)
        self.seeded_device_rng = True

    @property
    def can_rerun(self) -> bool:
        """Whether :meth:`rerun` works here: cpp_standalone on brian2 >= 2.6 (``run_args``)."""
        return can_rerun(self.name)

    def rerun(self, values=None, *, seed=None) -> None:
        """Run the already compiled standalone program again, with new initial values.

        ``values`` maps state variables (``group.v``) and ``TimedArray`` s to values or
        arrays.  ``seed``: fresh random numbers from this seed (needs the build's
        :meth:`run` to have been given a ``seed_variable``).  About 30x cheaper than a
        rebuild; needs brian2 >= 2.6 (:attr:`can_rerun`).  Where it is not available,
        build and run the network again instead.
        """
        import brian2

        if not self.can_rerun:
            raise DeviceError(
                f"Re-running a compiled program needs device 'cpp_standalone' with brian2 >= 2.6 "
                f"(here: device {self.name!r}, brian2 {'.'.join(map(str, _brian2_version()))}); "
                f"build and run the network again instead.")
        device = brian2.get_device()
        values = dict(values or {})
        if seed is not None:
            if getattr(self, "_seed_variable", None) is None:
                raise DeviceError("rerun(seed=...) needs a program built with "
                                  "run(..., seed=, seed_variable=).")
            values[self._seed_variable] = int(seed)
        start = time.perf_counter()
        device.run(directory=device.project_dir, with_output=False, run_args=values)
        for name in device.run_args_arrays:  # this run's value files are not needed again
            with contextlib.suppress(OSError):
                os.remove(os.path.join(device.project_dir, "static_arrays", name))
        wall = time.perf_counter() - start
        self._record("rerun", wall, float(device._last_run_time))

    def new_build(self) -> None:
        """Let a standalone device build (and run) another program in this session.

        The k-th extra build goes to its own directory next to the first and
        seeds Brian2's random numbers with ``seed + k``.  Call it after dropping the last
        program's objects (and before creating the next one's) and the next build of a
        network with the same structure reuses the compiled files that did not change.  On
        runtime nothing is needed; GeNN allows one program per session.
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
        # the objects of the last build, now unreferenced by the device, go now: Brian2 numbers
        # a name ending in '*' (clocks, code objects) while one is alive, and a renamed clock
        # changes every C++ file of the next build of the same network (no ccache hits)
        gc.collect()
        set_device("cpp_standalone", directory=str(directory), build_on_run=True)
        _instrument(self)
        self.extra_directories.append(directory)
        self._seed_variable = None
        if self.seed is not None:
            brian2.seed(self.seed + self._extra_builds)

    @property
    def provenance(self) -> dict:
        return {"device": self.name, "backend": backend_name(self.name, self.use_gpu),
                "threads": self.threads or 0, "seed": self.seed,
                "seeded_device_rng": self.seeded_device_rng,
                **({"gpu": gpu_name() or "unknown"} if self.use_gpu else {})}


def _instrument(session: DeviceSession) -> None:
    """Let the active standalone device's builds say how long they will take, and time them."""
    import brian2

    buildcache.instrument_compile(brian2.get_device(), session.name, session.what,
                                  verbose=session.verbose, on_compile=session._compiled)


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
    # brian2genn's activate() changes the schedule and code-generation preferences and calls
    # prefs._backup() itself, so keep our own copy of every preference to restore afterwards.
    saved_prefs = dict(prefs.prefs)
    directory = None
    root = Path(build_root) if build_root else Path(tempfile.gettempdir()) / "neuromodels-build"
    caches = contextlib.ExitStack()
    try:
        # the runtime device compiles Cython through setuptools, which must not see CXX=ccache
        caches.enter_context(buildcache.compile_cache(root, compiler=name != "runtime"))
        prefs.codegen.target = "cython"
        if name == "runtime":
            set_device("runtime")
            caches.enter_context(buildcache.instrument_cython(what, verbose, session._compiled))
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
        for key, value in saved_prefs.items():
            prefs[key] = value
        caches.close()
        if directory is not None and not keep_build:
            for path in [directory, *session.extra_directories]:
                shutil.rmtree(path, ignore_errors=True)
        sys.stdout.flush()
