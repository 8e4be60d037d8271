"""Explicit synaptic connections on a standalone device without keeping copies of the
index arrays (in Python until the build, and in the compiled program during the run), and,
given in blocks, made by one code object per ``Synapses`` on cpp_standalone."""
from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from pathlib import Path

from .. import buildcache
from .active import active_device

# connect_in_blocks makes the synapses of all blocks as Brian2's connect(i=..., j=...) makes
# those of one (Synapses._add_synapses_from_arrays of Brian2 2.9.0, minus the copies)
buildcache.relies_on(("brian2.synapses.synapses:Synapses._add_synapses_from_arrays",
                      "45c0ad1f3372d96d"))


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
        _release_in_program(device, release)


def _release_in_program(device, release) -> None:
    """Free ``(array, static array, size, dtype)`` in the compiled program once the synapses
    exist (the array then points to untouched zeros: Brian2 reads it only to create them)."""
    from brian2.codegen.generators.cpp_generator import c_data_type

    lines = ["// neuromodels.devices.arrays: indices not needed once the synapses exist"]
    for array_name, static_name, size, dtype in release:
        lines += [f"delete [] {static_name}; {static_name} = 0;",
                  f"{{ static {c_data_type(dtype)} _released[{size}];  // untouched: no memory",
                  f"  delete [] {array_name}; {array_name} = _released; }}"]
    device.insert_code("main", "\n".join(lines))


@contextlib.contextmanager
def connect_in_blocks():
    """Yield ``connect(synapses, i, j)``, to be called once per block of indices (of any
    number of ``Synapses``); the synapses are the blocks' in the order given.

    On cpp_standalone the blocks go to one file per index array in the build directory, and
    at the end of the ``with`` block each ``Synapses`` gets one ``synapses_create_array``
    code object for all its blocks, as Brian2's ``connect(i=..., j=...)`` makes for one
    call (a connect per block made one each: the CUBA network of 64,000 neurons had 11
    such C++ files instead of 2, and its cold build compiled 65 s against plain Brian2's
    28 s, now 27 s, on a loaded 2-core machine).  Python holds one block at a time, and the
    program frees the indices once the synapses exist, as with :func:`connect_arrays`,
    which connects block by block elsewhere (runtime, GeNN, Brian2CUDA, or a Brian2 other
    than the one :mod:`neuromodels.buildcache` was made for).
    """
    import brian2
    import numpy as np

    device = brian2.get_device()
    directory = getattr(device, "build_options", {}).get("directory")
    if not (active_device() == "cpp_standalone" and directory
            and buildcache.brian2_patches_apply()):
        yield connect_arrays
        return
    folder = Path(directory) / "static_arrays"
    folder.mkdir(parents=True, exist_ok=True)
    spooled: dict[int, list] = {}   # id(synapses) -> [synapses, (file i, file j), count]

    def connect(synapses, i, j) -> None:
        _check_indices(synapses, i, j)
        if len(i) == 0:
            return
        if id(synapses) not in spooled:
            paths = [folder / f".spool-{uuid.uuid4().hex}" for _ in range(2)]
            spooled[id(synapses)] = [synapses, paths, 0]
        entry = spooled[id(synapses)]
        for path, values in zip(entry[1], (i, j)):
            with open(path, "ab") as f:
                np.ascontiguousarray(values, dtype=np.int32).tofile(f)
        entry[2] += len(i)

    try:
        yield connect
        for synapses, paths, count in spooled.values():
            _create_from_files(device, synapses, paths, count, folder)
    finally:
        for _, paths, _ in spooled.values():
            for path in paths:
                with contextlib.suppress(OSError):
                    os.remove(path)


def _check_indices(synapses, i, j) -> None:
    import numpy as np

    if np.shape(i) != np.shape(j) or np.ndim(i) != 1:
        raise ValueError(f"connect: i and j must be 1-d arrays of one length; got shapes "
                         f"{np.shape(i)} and {np.shape(j)}.")
    for values, group, what in ((i, synapses.source, "source"), (j, synapses.target, "target")):
        if len(values) and (np.min(values) < 0 or np.max(values) >= len(group)):
            raise IndexError(f"connect: the {what} indices must lie in [0, {len(group) - 1}] "
                             f"for group '{group.name}'.")


def _create_from_files(device, synapses, paths, count: int, folder: Path) -> None:
    """One ``synapses_create_array`` code object for ``count`` synapses whose indices are in
    ``paths`` (as Brian2's ``Synapses._add_synapses_from_arrays``, the values from files)."""
    import numpy as np
    from brian2.codegen.codeobject import create_runner_codeobj
    from brian2.core.variables import Variables

    for var_name in ("N", "_synaptic_pre", "_synaptic_post"):   # known after the run only
        device.array_cache[synapses.variables[var_name]] = None
    synapses._connect_called = True
    template_kwds, needed_variables = synapses._get_multisynaptic_indices()
    variables = Variables(synapses)
    release = []
    for name, path in zip(("sources", "targets"), paths):
        variables.add_array(name, count, dtype=np.int32, read_only=True)
        var = variables[name]
        device.array_cache[var] = None
        array_name = device.get_array_name(var, access_data=False)
        static_name, k = f"_static_array_{array_name}", 0
        while static_name in device.static_arrays:   # as Brian2 names a static array
            k += 1
            static_name = f"_static_array_{array_name}_{k}"
        target = folder / static_name
        os.replace(path, target)
        device.static_arrays[static_name] = _WrittenStaticArray(target, np.dtype(np.int32),
                                                                count)
        device.main_queue.append(("set_by_array", (array_name, static_name, False)))
        release.append((array_name, static_name, count, np.dtype(np.int32)))
    variables.add_auxiliary_variable("_real_sources", dtype=np.int32)
    variables.add_auxiliary_variable("_real_targets", dtype=np.int32)
    code = []
    for real, name, group, offset in (("_real_sources", "sources", synapses.source,
                                       "_source_offset"),
                                      ("_real_targets", "targets", synapses.target,
                                       "_target_offset")):
        if "_offset" in group.variables:
            variables.add_reference(offset, group, "_offset")
            code.append(f"{real} = {name} + {offset}")
        else:
            code.append(f"{real} = {name}")
    codeobj = create_runner_codeobj(synapses, "\n".join(code), "synapses_create_array",
                                    additional_variables=variables, template_kwds=template_kwds,
                                    needed_variables=needed_variables, check_units=False,
                                    run_namespace={})
    codeobj()
    _release_in_program(device, release)
