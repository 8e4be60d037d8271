"""The Brian2 the patches of the build caches were made for, and the guard that switches
them off (in one line, once per process) on any other Brian2 or where the source of a
function they replace or rely on differs."""
from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import sys


#: The Brian2 release whose functions the patches of this package replace or wrap.
BRIAN2_VERSION = "2.9.0"
#: ``"module:qualified.name"`` of each Brian2 function a patch replaces or relies on -> the
#: first 16 hex digits of the sha256 of its source (:func:`inspect.getsource`) in
#: :data:`BRIAN2_VERSION`; filled by :func:`relies_on` beside each patch.
BRIAN2_SOURCES: dict[str, str] = {}
_said_off = False   # the one line of brian2_patches_apply, once per process


def relies_on(*entries: tuple[str, str]) -> None:
    """Record the Brian2 functions (name, source hash in :data:`BRIAN2_VERSION`) of a patch."""
    BRIAN2_SOURCES.update(entries)


@functools.lru_cache(maxsize=None)
def brian2_source_hash(name: str) -> str | None:
    """The hash (as in :data:`BRIAN2_SOURCES`) of the installed source of ``module:qualname``;
    None where it does not exist."""
    module, _, qualname = name.partition(":")
    try:
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        source = inspect.getsource(obj)
    except (ImportError, AttributeError, OSError, TypeError):
        return None
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def _brian2_mismatch() -> str | None:
    """Why the installed Brian2 is not the one the patches were made for (None: it is)."""
    import brian2

    if brian2.__version__ != BRIAN2_VERSION:
        return (f"Brian2 {brian2.__version__} is installed, the build caches are for "
                f"{BRIAN2_VERSION}")
    changed = [name.partition(":")[2] for name, digest in BRIAN2_SOURCES.items()
               if brian2_source_hash(name) != digest]
    if changed:
        return (f"Brian2's {', '.join(changed)} differ from the code the build caches were made "
                f"for")
    return None


def brian2_patches_apply() -> bool:
    """Whether the installed Brian2 is :data:`BRIAN2_VERSION` with every function of
    :data:`BRIAN2_SOURCES` unchanged.  If not, the caches and wrappers that replace Brian2
    code stay off, which the first call of a process says in one line on stderr."""
    global _said_off
    reason = _brian2_mismatch()
    if reason is not None and not _said_off:
        _said_off = True
        print(f"neuromodels: {reason}: generated-code caches and build estimates are off "
              f"(builds stay correct, only slower; compiled objects are still cached)",
              file=sys.stderr, flush=True)
    return reason is None
