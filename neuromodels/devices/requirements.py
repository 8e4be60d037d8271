"""Whether a device can run here, and if not, exactly what is missing and how to get it.

:func:`check_device` raises a :class:`DeviceError` saying so *before* anything is built;
:func:`available_devices` lists every device with the reason it cannot run, if any.
"""
from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
import shutil
import sys
from pathlib import Path

from .catalogue import ALL_DEVICES, KNOWN_DEVICES, DeviceError


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
            return (f"device 'genn' on the GPU needs GeNN's CUDA backend, and GeNN at {genn} "
                    f"has none (lib/libgenn_cuda_backend.a): build it with "
                    f"`CUDA_PATH={cuda} make -C {genn} cuda` "
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
        compilers = (os.environ.get("CXX", "g++"), "g++", "c++", "clang++")
        if not any(shutil.which(c) for c in compilers):
            return "device 'cpp_standalone' needs a C++ compiler (g++ or clang++) on PATH"
        return None
    if name == "genn":
        if importlib.util.find_spec("brian2genn") is None:
            return ("device 'genn' needs the brian2genn package (1.7), which requires "
                    "brian2 < 2.6: create the GeNN environment with `make venv-genn` "
                    "(brian2 2.5.4, brian2genn 1.7, numpy<2, cython<3.1, setuptools<82)")
        if _brian2_version() >= (2, 6):
            here = ".".join(map(str, _brian2_version()))
            return (f"device 'genn' needs brian2 < 2.6 (brian2genn 1.7 fails code generation "
                    f"on newer brian2); this environment has brian2 {here}: "
                    f"use the GeNN environment (`make venv-genn`)")
        if _genn_buildmodel() is None:
            where = os.environ.get("GENN_PATH")
            detail = (f"GENN_PATH={where} has no bin/genn-buildmodel.sh" if where
                      else "GENN_PATH is not set and genn-buildmodel.sh is not on PATH")
            return (f"device 'genn' needs GeNN 4.x ({detail}): download a GeNN 4.x release, "
                    f"set GENN_PATH to its root and add $GENN_PATH/bin to PATH "
                    f"(see README, 'GeNN')")
        return None
    if name == "cuda_standalone":
        if importlib.util.find_spec("brian2cuda") is None:
            brian2 = ".".join(map(str, _brian2_version()))
            here = f"Python {sys.version.split()[0]}, brian2 {brian2}"
            return ("device 'cuda_standalone' needs the brian2cuda package (1.0b1), which requires "
                    f"brian2 2.10.1 and Python >= 3.12 (here: {here}), and an NVIDIA GPU with CUDA "
                    "(see README, 'GPU')")
        return _missing_gpu_requirement(name)
    raise AssertionError(name)


def available_devices(use_gpu: bool = False) -> dict[str, str | None]:
    """Each device name mapped to None (usable here) or the reason it is not; with
    ``use_gpu``, whether it can run on a GPU here."""
    return {name: _missing_requirement(name)
            or (_missing_gpu_requirement(name) if use_gpu else None)
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
