"""Results files: one HDF5 file per study run, written atomically, read with units.

A result is a nested ``dict``: sub-dicts become HDF5 groups, leaves become
datasets (arrays, numbers, strings).  A Brian2 quantity is stored as its
value in SI base units, with the attributes ``unit`` (readable, e.g.
``'second'``) and ``dimensions`` (the seven SI exponents), from which
:func:`read` rebuilds the quantity.  Provenance (parameters, equations,
seed, device, package versions, git commit, timings) is stored as file
attributes by :func:`write`.

The file is first written to a temporary file in the same directory and then
renamed over the target, so an interrupted run never leaves a truncated file
in the place of a good one.  :func:`atomic_path` does the same for any file
(figures included).
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping

import h5py
import numpy as np
from brian2 import Quantity, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_or_create_dimension, get_unit

__all__ = ["write", "read", "read_attrs", "atomic_path", "provenance", "describe"]

_PACKAGES = ("neuromodels", "brian2", "brian2genn", "numpy", "scipy", "cython", "h5py", "matplotlib")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _git_commit() -> str:
    try:
        here = Path(__file__).resolve().parent
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5)
        if out.returncode == 0:
            return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def provenance() -> dict[str, Any]:
    """Versions, git commit, machine and time of this run."""
    versions = {}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return {
        "versions": versions,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "git_commit": _git_commit(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _write_leaf(group: h5py.Group, key: str, value: Any) -> None:
    attrs = {}
    if isinstance(value, Quantity):
        dim = get_dimensions(value)
        if dim is not DIMENSIONLESS:
            attrs["unit"] = str(get_unit(dim))
            attrs["dimensions"] = np.array([dim._dims[k] for k in range(7)], dtype=float)
        value = np.asarray(value)
    if isinstance(value, str):
        group.create_dataset(key, data=value, dtype=h5py.string_dtype())
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        group.create_dataset(key, data=list(value), dtype=h5py.string_dtype())
    else:
        arr = np.asarray(value)
        if arr.dtype == object:
            raise TypeError(f"Cannot store {key!r}: unsupported value of type {type(value).__name__}")
        kwargs = {"compression": "gzip", "shuffle": True} if arr.size > 1024 else {}
        group.create_dataset(key, data=arr, **kwargs)
    for name, val in attrs.items():
        group[key].attrs[name] = val


def _write_tree(group: h5py.Group, tree: Mapping[str, Any]) -> None:
    for key, value in tree.items():
        key = str(key)
        if isinstance(value, Mapping):
            _write_tree(group.create_group(key), value)
        elif value is None:
            continue
        else:
            _write_leaf(group, key, value)


def _attr(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    if value is None:
        return "None"
    return value


def write(path: str | os.PathLike, data: Mapping[str, Any], attrs: Mapping[str, Any] | None = None) -> Path:
    """Write ``data`` (nested dict) and ``attrs`` (file attributes) atomically to ``path``."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            _write_tree(f, data)
            for key, value in dict(attrs or {}).items():
                f.attrs[key] = _attr(value)
    return path


def _read_leaf(ds: h5py.Dataset) -> Any:
    value = ds[()]
    if h5py.check_string_dtype(ds.dtype) is not None:
        if isinstance(value, bytes):
            return value.decode()
        return [v.decode() if isinstance(v, bytes) else v for v in value]
    if "dimensions" in ds.attrs:
        dims = get_or_create_dimension(list(ds.attrs["dimensions"]))
        return Quantity(value, dim=dims)
    return value


def _read_tree(group: h5py.Group) -> dict[str, Any]:
    return {key: _read_tree(item) if isinstance(item, h5py.Group) else _read_leaf(item)
            for key, item in group.items()}


def read_attrs(path: str | os.PathLike) -> dict[str, Any]:
    """The file attributes (provenance), with JSON-encoded values decoded."""
    out = {}
    with h5py.File(path, "r") as f:
        for key, value in f.attrs.items():
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            out[key] = value.item() if isinstance(value, np.generic) else value
    return out


def read(path: str | os.PathLike) -> dict[str, Any]:
    """The nested data of a results file, quantities with their units, plus ``'attrs'``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No results file at {path}")
    with h5py.File(path, "r") as f:
        data = _read_tree(f)
    data["attrs"] = read_attrs(path)
    return data


def describe(path: str | os.PathLike) -> str:
    """A readable summary of what a results file holds (for ``neuromodels info``)."""
    lines = [str(path)]
    for key, value in read_attrs(path).items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        lines.append(f"  {key}: {value}")
    lines.append("  contents:")
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            depth = name.count("/")
            if isinstance(obj, h5py.Dataset):
                unit = obj.attrs.get("unit", "")
                shape = "x".join(map(str, obj.shape)) or "scalar"
                lines.append(f"    {'  ' * depth}{name.rsplit('/', 1)[-1]}: {shape} {obj.dtype}"
                             + (f" [{unit}]" if unit else ""))
            else:
                lines.append(f"    {'  ' * depth}{name.rsplit('/', 1)[-1]}/")
        f.visititems(visit)
    return "\n".join(lines)
