"""The caches for the builds of a ``with`` block (:func:`compile_cache`): generated code,
JAX, and ccache wrapping the C++ compiler."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .brian2_version import brian2_patches_apply
from .codegen import _flag_check_cache, _stateupdater_cache
from .folders import _environment, cache_dir, ccache_executable, enabled
from .jax_cache import _jax_compilation_cache
from .precompiled import compiler_wrapper

def _compiler_environment(build_root: Path) -> dict[str, str]:
    """Environment for ccache-wrapped C++ builds (empty if ccache is not available)."""
    ccache = ccache_executable()
    if ccache is None:
        return {}
    cxx = os.environ.get("CXX", "g++")
    if "ccache" in os.path.basename(cxx.split()[0]):
        wrapped = cxx
    else:  # the compiler as the script that adds the precompiled header (if it can be written)
        wrapped = f"{ccache} {compiler_wrapper(cxx) or cxx}"
    return {
        "CXX": wrapped,
        "CCACHE_DIR": str(cache_dir() / "ccache"),
        "CCACHE_MAXSIZE": os.environ.get("NEUROMODELS_CACHE_SIZE", "2G"),
        # GeNN's makefiles pass absolute include paths into the build directory: relative to it
        "CCACHE_BASEDIR": str(build_root),
        "CCACHE_NOHASHDIR": "1",
    }


@contextlib.contextmanager
def compile_cache(build_root: str | os.PathLike | None = None, compiler: bool = True):
    """Use the caches (if :func:`enabled`) for the builds inside the ``with`` block.

    Sets the generated-code caches (where :func:`brian2_patches_apply`), JAX's cache and,
    with ``compiler``, the ccache environment (``CXX``, ``CCACHE_*``) that Brian2's and
    GeNN's ``make`` calls inherit; restores all of it afterwards.  Yields whether ccache is
    in use.
    """
    if not enabled():
        yield False
        return
    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError:
        yield False
        return
    env = _compiler_environment(Path(build_root or tempfile.gettempdir())) if compiler else {}
    with contextlib.ExitStack() as caches:
        caches.enter_context(_environment(env))
        if brian2_patches_apply():
            caches.enter_context(_stateupdater_cache(root / "codegen"))
            caches.enter_context(_flag_check_cache(root / "compiler-flags.json"))
        caches.enter_context(_jax_compilation_cache(root / "jax"))
        yield bool(env)
