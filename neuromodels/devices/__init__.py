"""Where a network runs: Brian2 runtime, C++ standalone, GeNN (brian2genn) or Brian2CUDA.

One place selects and checks the device.  :func:`check_device` raises a
:class:`DeviceError` that says exactly what is missing (and how to get it)
*before* anything is built; :func:`use_device` activates a device for one
simulation, runs it through :meth:`DeviceSession.run` (which times build and
simulation separately), and restores Brian2's state afterwards, so that
several runs on different devices can happen in one process.  This package knows
nothing of any model.  One module per job:

* :mod:`.catalogue`: the devices by name, their descriptions and backends (the results
  file's provenance names the backend that ran, :func:`backend_name`), :class:`DeviceError`.
* :mod:`.requirements`: whether a device can run here, and what is missing if not.
* :mod:`.use`: activating a device for one simulation, and restoring Brian2 afterwards.
* :mod:`.session`: one simulation's build directory, runs, re-runs and timings.
* :mod:`.rerun`: when a run re-runs a compiled program with new values instead of building.
* :mod:`.runtime_rerun`: a runtime re-run of the same objects, their code objects kept.
* :mod:`.active`: the device now active, and a network's one clock.
* :mod:`.memory`: a run's memory, estimated from its sizes, refused before building if it
  cannot fit (the build-time estimate is :mod:`neuromodels.buildcache`'s).
* :mod:`.settings`: Brian2's global settings, changed only in a scope.
* :mod:`.notes`: Brian2's console notes that a model answers itself, kept off the console.
* :mod:`.arrays`: explicit connections without copies of the index arrays, given in blocks
  and made by one code object per ``Synapses``.
"""
from __future__ import annotations

from .active import active_device, network_clock, require_active_device
from .arrays import _WrittenStaticArray, connect_arrays, connect_in_blocks
from .catalogue import (ALL_DEVICES, DEFAULT_DEVICE, GPU_DEVICES, KNOWN_DEVICES, DeviceError,
                        backend_name, device_description)
from .memory import (MEMORY_BASE, MEMORY_PER_NEURON, MEMORY_PER_RECORDED, MEMORY_PER_SYNAPSE,
                     available_memory, estimate_memory, require_memory)
from .requirements import (_brian2_version, _genn_buildmodel, _gpu_probe, _missing_gpu_requirement,
                           _missing_requirement, available_devices, check_device, cuda_path,
                           gpu_name)
from .notes import keep_off_console, off_console
from .rerun import CompiledProgram, assign, can_rerun
from .session import DeviceSession
from .settings import brian2_settings, numpy_target_parameter
from .use import use_device

__all__ = [
    "ALL_DEVICES", "DEFAULT_DEVICE", "DeviceError", "DeviceSession", "check_device",
    "available_devices", "use_device", "device_description", "active_device",
    "require_active_device", "network_clock", "can_rerun", "KNOWN_DEVICES", "GPU_DEVICES",
    "backend_name", "gpu_name", "cuda_path", "brian2_settings", "connect_arrays",
    "connect_in_blocks",
    "estimate_memory", "available_memory", "require_memory", "CompiledProgram", "assign",
    "keep_off_console", "off_console", "numpy_target_parameter",
]
# names kept importable from here as when this package was one module
_KEPT = (MEMORY_BASE, MEMORY_PER_NEURON, MEMORY_PER_RECORDED, MEMORY_PER_SYNAPSE,
         _WrittenStaticArray, _brian2_version, _genn_buildmodel, _gpu_probe,
         _missing_gpu_requirement, _missing_requirement)
