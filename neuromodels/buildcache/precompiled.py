"""Less compiler work per cpp_standalone build, the same program: a precompiled header for
the code objects, and ``objects.cpp`` compiled without optimisation.

Measured on the 2-core machine type (``plasticity-rules --quick``, 90 code objects): about
three quarters of a code object's compile (0.9 CPU-s at ``-O3``) is parsing the headers every
one of them includes (``objects.h``, ``<iostream>``, ``<random>``, ...); with those headers
precompiled once (about 2 CPU-s) a code object takes 0.2-0.6 CPU-s, and its machine code is
the same (``objdump -d`` of the object files).  ``objects.cpp`` holds only the arrays, their
allocation and file input/output: 8 CPU-s at ``-O3``, 2 at ``-O0``.

The precompiled header is hidden from ccache: the ``CXX`` that ccache wraps is a small script
(:func:`compiler_wrapper`) that adds ``-include _pch.h`` to the compile of a
``code_objects/*.cpp`` file only where ``_pch.h.gch`` exists, and ccache keys the object
on the compiler command and the source as if there were none (GCC's ``.gch`` files differ
byte for byte between two builds of the same header, so hashing one would miss every
time).  The header is built only where enough code objects are new
(:data:`PCH_MIN_NEW_FILES`); a warm build takes every object from ccache and builds none.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .folders import _write_atomic, cache_dir

#: The headers every Brian2 2.9 code object includes, precompiled (``_pch.h``).
PCH_HEADERS = ("objects.h", "brianlib/common_math.h", "brianlib/stdint_compat.h",
               "<cmath>", "<ctime>", "<iostream>", "<fstream>", "<climits>")
#: Build the precompiled header only where at least this many code objects are new (it costs
#: about two code objects' compile time and saves 0.3-0.7 CPU-s on each).
PCH_MIN_NEW_FILES = 6

_WRAPPER = """#!/bin/sh
# neuromodels.buildcache.precompiled: {real} (size {size}, modified {mtime}), with
# -include _pch.h for a code object where the project has _pch.h.gch
pch=
case " $* " in
  *" -E "*|*" -M "*|*" -MM "*) ;;
  *) for arg in "$@"; do
       case "$arg" in code_objects/*.cpp) [ -f _pch.h.gch ] && pch="-include _pch.h" ;; esac
     done ;;
esac
exec {real} $pch "$@"
"""

#: Appended to Brian2's makefile: objects.cpp at -O0; with ``pch``, the header first.
_MAKE_OBJECTS = "\nobjects.o: OPTIMISATIONS := $(filter-out -O%,$(OPTIMISATIONS)) -O0\n"
_MAKE_PCH = ("\n_pch.h.gch: _pch.h\n"
             "\tCCACHE_DISABLE=1 $(CXX) $(CXXFLAGS) -x c++-header _pch.h -o _pch.h.gch"
             " || rm -f _pch.h.gch\n"
             "$(filter code_objects/%,$(OBJS)): _pch.h.gch\n")


def compiler_wrapper(cxx: str) -> str | None:
    """The script that stands for the compiler ``cxx`` (its first word) under ccache, in the
    cache folder; its text names the real compiler's size and time, so that ccache (which
    checks the script's) sees a new compiler when that one changes.  ``None`` where ``cxx``
    is not found or the script cannot be written."""
    words = cxx.split()
    real = shutil.which(words[0]) if words else None
    if real is None or os.name == "nt":
        return None
    stat = os.stat(real)
    text = _WRAPPER.format(real=real, size=stat.st_size, mtime=stat.st_mtime_ns)
    path = cache_dir() / "compiler" / os.path.basename(real)
    try:
        if not path.is_file() or path.read_text() != text:
            _write_atomic(path, text)
            path.chmod(0o755)
    except OSError:
        return None
    return " ".join([str(path), *words[1:]])


def prepare_project(directory: Path, new_code_objects: int, pch: bool) -> bool:
    """Edit Brian2's generated ``makefile`` in ``directory`` before ``make``: objects.cpp at
    ``-O0``, and with ``pch`` (the compiler is :func:`compiler_wrapper`) and at least
    :data:`PCH_MIN_NEW_FILES` new code objects, the precompiled header.  Returns whether the
    header is built."""
    makefile = directory / "makefile"
    text = makefile.read_text()
    use_pch = pch and new_code_objects >= PCH_MIN_NEW_FILES and all(
        h.startswith("<") or (directory / h).is_file() for h in PCH_HEADERS)
    if use_pch:
        (directory / "_pch.h").write_text(
            "".join(f"#include {h if h.startswith('<') else chr(34) + h + chr(34)}\n"
                    for h in PCH_HEADERS))
    makefile.write_text(text + _MAKE_OBJECTS + (_MAKE_PCH if use_pch else ""))
    return use_pch
