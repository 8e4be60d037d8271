"""The devices by name: which exist, which a model gets unless it declares others, which
run only on a GPU, and the backend that runs each (recorded in a results file's provenance).

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
"""
from __future__ import annotations

#: The devices a model runs on unless it declares otherwise.
ALL_DEVICES: tuple[str, ...] = ("runtime", "cpp_standalone", "genn")
#: Devices that run only on a GPU (Brian2CUDA); a model accepts them only where it declares them.
GPU_DEVICES: tuple[str, ...] = ("cuda_standalone",)
KNOWN_DEVICES: tuple[str, ...] = ALL_DEVICES + GPU_DEVICES
DEFAULT_DEVICE = "cpp_standalone"

_DESCRIPTIONS = {
    "runtime": "Brian2 runtime (Cython code generation)",
    "cpp_standalone": "Brian2 C++ standalone (one compiled program per run; "
                      "OpenMP threads optional)",
    "genn": "GeNN via brian2genn (CPU backend; CUDA backend with --gpu / use_gpu=True)",
    "cuda_standalone": "Brian2CUDA (brian2cuda 1.0b1, brian2 2.10.1, Python >= 3.12): "
                       "CUDA code on the GPU",
}


class DeviceError(RuntimeError):
    """The requested device cannot run here, or cannot run this model/study."""


def device_description(name: str) -> str:
    return _DESCRIPTIONS[name]


#: How a results file names the code-generation targets of Brian2's runtime device.
_RUNTIME_TARGETS = {"cython": "Cython", "numpy": "numpy"}


def backend_name(name: str, use_gpu: bool = False, targets=None) -> str:
    """The backend that runs device ``name`` (recorded in the results file's provenance).

    ``targets``: on ``runtime``, the code-generation targets its code objects ran on
    (``"numpy"``, ``"cython"``, as :attr:`DeviceSession.runtime_targets` records them); ``None``
    (not recorded) names Cython, the target a session starts with."""
    if name == "genn":
        return "GeNN CUDA" if use_gpu else "GeNN CPU"
    if name == "runtime":
        if targets is None:
            targets = ("cython",)
        if not targets:
            return "Brian2 runtime (no code object ran)"
        return "Brian2 runtime (" + " and ".join(
            _RUNTIME_TARGETS.get(t, t) for t in sorted(set(targets))) + ")"
    return {"cpp_standalone": "C++ standalone", "cuda_standalone": "Brian2CUDA"}[name]

