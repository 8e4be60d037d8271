"""Results files: one HDF5 file per study run, written atomically, read with units.

A result is a nested ``dict``: sub-dicts become HDF5 groups, leaves become
datasets (arrays, numbers, strings).  A Brian2 quantity is stored as its
value in SI base units, with the attributes ``unit`` (readable, e.g.
``'second'``) and ``dimensions`` (the seven SI exponents), from which
:func:`read` rebuilds the quantity.  Provenance is stored as file attributes
by :func:`write`.

The file is first written to a temporary file in the same directory and then
renamed over the target, so an interrupted run never leaves a truncated file
in the place of a good one.  :func:`atomic_path` does the same for any file
(figures included).

Provenance attributes (names are stable: sweeps compare them to decide whether
a stored result is still valid).  From :func:`provenance`:

``versions``
    ``{distribution: version}``: always neuromodels and the core numerical
    packages (:data:`CORE_PACKAGES`), plus each optional numerical package
    (:data:`OPTIONAL_PACKAGES`: jax, jaxlib, scikit-learn, nest-simulator, ...)
    that the run imported.
``python``, ``platform``, ``machine``, ``created``
    interpreter version, OS, ``"<arch>, <n> cores"``, UTC time (ISO 8601).
``git_commit``
    commit of the git checkout that holds the imported ``neuromodels``
    package folder, with ``-dirty`` when files under that folder differ from
    the commit (changed data files elsewhere do not count); ``"unknown"``
    outside a checkout (an installed package: see ``versions``).
``study_file``, ``study_sha256``, ``study_git_commit``
    the study script that ran, the SHA-256 of its bytes, and the commit of
    the checkout holding it (``-dirty`` when the script differs from it;
    ``"unknown"`` outside a checkout; ``""`` for a study not loaded from a
    file).  Differs from ``git_commit`` when a checkout's ``studies/`` ran on a
    package installed from elsewhere.
``lock_file``, ``lock_sha256``, ``lock_drift``
    the lock file the environment was installed from (``make venv``, which
    copies it to ``<environment>/neuromodels-lock.txt``), its SHA-256, and
    the installed packages whose version differs from it (``"name
    installed (lock locked)"``; empty when the environment matches).
    ``lock_file`` is ``"none"`` where the environment was not made from a
    lock file.

From :func:`neuromodels.study.run_study`: ``study``, ``title``, ``reference``,
``quick``, ``device``, ``threads``, ``seed``, ``seeded_device_rng``,
``timings`` (seconds) and ``parameters`` (as text).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Mapping

import h5py
import numpy as np
from brian2 import Quantity, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_or_create_dimension, get_unit

__all__ = ["write", "read", "read_attrs", "atomic_path", "provenance", "describe",
           "ResultsFileError", "MissingDataset", "ResultsGroup", "CORE_PACKAGES",
           "OPTIONAL_PACKAGES", "PROVENANCE_KEYS"]

#: distributions whose versions every results file records
CORE_PACKAGES = ("neuromodels", "brian2", "numpy", "scipy", "sympy", "cython", "h5py",
                 "matplotlib")
#: import name -> distribution, recorded when the run imported it
OPTIONAL_PACKAGES = {
    "brian2genn": "brian2genn", "jax": "jax", "jaxlib": "jaxlib", "sklearn": "scikit-learn",
    "nest": "nest-simulator", "elephant": "elephant", "neo": "neo", "quantities": "quantities",
    "dask": "dask", "distributed": "distributed", "mlxtend": "mlxtend", "torch": "torch",
    "snntorch": "snntorch", "pandas": "pandas",
}
#: the copy of the lock file that `make venv` leaves in the environment
LOCK_COPY = "neuromodels-lock.txt"
#: file attributes that :func:`provenance` always writes: a file without them is not ours
PROVENANCE_KEYS = ("versions", "python", "platform", "machine", "git_commit", "created")


class ResultsFileError(ValueError):
    """A path that is not a readable results file (missing, a folder, not HDF5)."""


class MissingResultsFile(ResultsFileError, FileNotFoundError):
    """No file at the path of a results file."""


class MissingDataset(ResultsFileError, KeyError):
    """A dataset or group that a reader looked up is not in the results file (a file
    written by an older version of the study, say).  A ``KeyError`` too, so that code
    which tests for a key with ``try``/``except KeyError`` works unchanged."""

    def __init__(self, file: str | os.PathLike, name: str):
        super().__init__(f"{file} has no {name!r}")
        self.file, self.name = Path(file), name

    def __str__(self) -> str:  # KeyError's own would quote the message
        return self.args[0]


class ResultsGroup(dict):
    """A group of a results file as read back: a ``dict`` whose missing keys raise
    :class:`MissingDataset` naming the file and the full name (``'spikes/t'``)."""

    def __init__(self, items=(), file: str | os.PathLike = "", name: str = ""):
        super().__init__(items)
        self.file, self.name = str(file), name

    def __missing__(self, key):
        raise MissingDataset(self.file, f"{self.name}/{key}" if self.name else str(key))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, before_replace: Callable[[], None] | None = None):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    ``before_replace()`` runs just before the rename; it may raise to abort
    (an interrupted run uses it so that nothing replaces the previous file).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp",
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _git(folder: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                             timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit(path: str | os.PathLike) -> str:
    """Commit of the git checkout holding ``path`` (a folder or a file), ``-dirty`` when
    ``path`` differs from it (untracked files under a folder count), else ``"unknown"``."""
    path = Path(path).resolve()
    folder = path if path.is_dir() else path.parent
    commit = _git(folder, "rev-parse", "HEAD")
    if not commit:
        return "unknown"
    if not _git(folder, "ls-files", "--", str(path)):  # nothing of it is tracked
        if _git(folder, "check-ignore", "--", str(path)):  # e.g. a package installed in .venv/
            return "unknown"
        return commit + "-dirty"
    status = _git(folder, "status", "--porcelain", "--", str(path))
    return commit + ("-dirty" if status else "")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    wanted = list(CORE_PACKAGES) + [dist for module, dist in OPTIONAL_PACKAGES.items()
                                    if module in sys.modules]
    versions = {}
    for dist in wanted:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return versions


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_provenance(prefix: str | os.PathLike | None = None) -> dict[str, Any]:
    """``lock_file``, ``lock_sha256`` and ``lock_drift`` of the environment at ``prefix``
    (default: this interpreter's), from the copy of the lock file ``make venv`` left there."""
    copy = Path(prefix or sys.prefix) / LOCK_COPY
    if not copy.is_file():
        return {"lock_file": "none", "lock_sha256": "", "lock_drift": []}
    text = copy.read_text()
    named = re.search(r"(?:-o|--output-file)[ =](\S+)", text)
    drift = []
    for name, locked in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", text, re.M):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "missing"
        if installed.split("+")[0] != locked.split("+")[0]:
            drift.append(f"{_canonical(name)} {installed} (lock {locked})")
    return {"lock_file": named.group(1) if named else str(copy), "lock_sha256": _sha256(copy),
            "lock_drift": drift}


def provenance(study_file: str | os.PathLike | None = None) -> dict[str, Any]:
    """Versions, git commits, study script hash, lock file, machine and time of this run
    (the attributes are described in this module's docstring)."""
    prov = {
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "git_commit": git_commit(Path(__file__).resolve().parent),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    prov.update(study_file="", study_sha256="", study_git_commit="unknown")
    if study_file:
        study_file = Path(study_file).resolve()
        prov.update(study_file=str(study_file), study_sha256=_sha256(study_file),
                    study_git_commit=git_commit(study_file))
    prov.update(lock_provenance())
    return prov


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
            raise TypeError(f"Cannot store {key!r}: unsupported value of type "
                            f"{type(value).__name__}")
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


def write(path: str | os.PathLike, data: Mapping[str, Any], attrs: Mapping[str, Any] | None = None,
          before_replace: Callable[[], None] | None = None) -> Path:
    """Write ``data`` (nested dict) and ``attrs`` (file attributes) atomically to ``path``
    (``before_replace`` as in :func:`atomic_path`)."""
    path = Path(path)
    with atomic_path(path, before_replace) as tmp:
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


def _read_tree(group: h5py.Group, file: str | os.PathLike) -> ResultsGroup:
    return ResultsGroup(((key, _read_tree(item, file) if isinstance(item, h5py.Group)
                          else _read_leaf(item)) for key, item in group.items()),
                        file, group.name.strip("/"))


def _open(path: str | os.PathLike) -> h5py.File:
    """Open a results file for reading, or raise :class:`ResultsFileError` saying why not."""
    path = Path(path)
    if path.is_dir():
        raise ResultsFileError(f"{path} is a folder, not a results file")
    if not path.exists():
        raise MissingResultsFile(f"no such file: {path}")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        if not h5py.is_hdf5(path):
            raise ResultsFileError(f"{path} is not a neuromodels results file "
                                   f"(not an HDF5 file)") from None
        raise ResultsFileError(f"cannot read {path}: {err}") from None


def read_attrs(path: str | os.PathLike) -> dict[str, Any]:
    """The file attributes (provenance), with JSON-encoded values decoded."""
    out = {}
    with _open(path) as f:
        for key, value in f.attrs.items():
            if isinstance(value, str) and value[:1] in "[{":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            out[key] = value.item() if isinstance(value, np.generic) else value
    return out


def read(path: str | os.PathLike) -> ResultsGroup:
    """The nested data of a results file, quantities with their units, plus ``'attrs'``;
    each group a :class:`ResultsGroup`, so a missing name raises :class:`MissingDataset`."""
    with _open(path) as f:
        data = _read_tree(f, path)
    data["attrs"] = ResultsGroup(read_attrs(path), path, "attrs")
    return data


def describe(path: str | os.PathLike) -> str:
    """A readable summary of what a results file holds (for ``neuromodels info``);
    :class:`ResultsFileError` for an HDF5 file without our provenance (:data:`PROVENANCE_KEYS`)."""
    lines = [str(path)]
    attrs = read_attrs(path)
    lacking = [key for key in PROVENANCE_KEYS if key not in attrs]
    if lacking:
        raise ResultsFileError(f"{path} is not a neuromodels results file (an HDF5 file without "
                               f"neuromodels provenance: no {', '.join(lacking)} attributes)")
    for key, value in attrs.items():
        if isinstance(value, dict):       # timings: seconds, and counts (runs, builds)
            value = ", ".join(f"{k}={v:.3g} s" if key == "timings" and isinstance(v, float)
                              else f"{k}={v}" for k, v in value.items())
        lines.append(f"  {key}: {value}")
    lines.append("  contents:")
    with _open(path) as f:
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
