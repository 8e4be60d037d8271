"""Explicit synaptic connections on a standalone device without keeping copies of the
index arrays (in Python until the build, and in the compiled program during the run)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .active import active_device


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

        lines = ["// neuromodels.devices.connect_arrays: "
                 "indices not needed once the synapses exist"]
        for array_name, static_name, size, dtype in release:
            lines += [f"delete [] {static_name}; {static_name} = 0;",
                      f"{{ static {c_data_type(dtype)} _released[{size}];  // untouched: no memory",
                      f"  delete [] {array_name}; {array_name} = _released; }}"]
        device.insert_code("main", "\n".join(lines))
