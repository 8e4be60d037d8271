"""glibc's vector math functions in the loops of a C++ standalone program.

Brian2 compiles with ``-ffast-math -fno-finite-math-only``.  The second flag leaves
``__FAST_MATH__`` undefined, and glibc's ``<math.h>`` declares the vector forms of its math
functions (libmvec: ``exp``, ``log``, ``erf``, ... on four doubles per call with AVX2) only
where that macro is defined.  So GCC keeps every loop that calls one of them scalar: a
surrogate derivative ``exp(-(v - v_th)^2 / 2 sigma^2)`` per neuron and step, an escape-noise
threshold's ``erf`` (:mod:`.threshold_loops` puts it in a loop of its own).  In an OTTT
program of the digits net (100 escape-noise neurons, 36,000 steps) the scalar ``exp`` and
``erf`` took 25 % of the binary's time.

:func:`declare` adds those declarations to the project's ``brianlib/common_math.h``, which
every code object includes, for GCC on x86-64 with glibc: the functions libmvec has had
since glibc 2.22 (``exp``, ``log``, ``pow``, ``sin``, ``cos``) and, from glibc 2.35, the
others.  They are glibc's own declarations, as ``-ffast-math`` alone would make them; the
generated code is unchanged.  A loop that also calls a scalar function (``rand()``) stays
as it was.  libmvec's results differ from the scalar functions' by a few units in the last
place, rounding of the kind ``-ffast-math`` already allows: at most 3 ulp for ``exp``, 2 for
``expm1`` and ``tanh``, 1 for ``log``, ``pow`` and ``erf`` on the grids of
tests/test_buildcache_vector_math.py (which fails above 4).
"""
from __future__ import annotations

import platform
import shutil
from pathlib import Path

from .project_text import edit_once

MARK = "// neuromodels.buildcache.vector_math"
#: libmvec's double-precision functions on x86-64 by the glibc version that added them, with
#: the number of arguments.
FUNCTIONS = {(2, 22): {"exp": 1, "log": 1, "sin": 1, "cos": 1, "pow": 2},
             (2, 35): {"acos": 1, "acosh": 1, "asin": 1, "asinh": 1, "atan": 1, "atanh": 1,
                       "cbrt": 1, "cosh": 1, "erf": 1, "erfc": 1, "exp2": 1, "expm1": 1,
                       "log10": 1, "log1p": 1, "log2": 1, "sinh": 1, "tan": 1, "tanh": 1,
                       "atan2": 2, "hypot": 2}}
_GUARD = "#endif\n"


def vector_form(name: str) -> bool:
    """Whether a program built here calls libmvec's vector form of ``name`` in a loop the
    compiler vectorises: GCC (``g++``), x86-64, glibc from the version that added it."""
    libc, version = platform.libc_ver()
    if platform.machine() != "x86_64" or libc != "glibc" or shutil.which("g++") is None:
        return False
    have = tuple(int(v) for v in version.split(".")[:2])
    return any(name in functions and have >= since for since, functions in FUNCTIONS.items())


def declarations() -> str:
    """The text added to ``common_math.h``: each function with GCC's ``simd`` attribute, as
    glibc declares it under ``__FAST_MATH__``."""
    lines = [f"{MARK}: glibc's vector math (libmvec), declared as -ffast-math would",
             "#include <cmath>",
             "#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && "
             "defined(__GLIBC__) && !defined(__FAST_MATH__)",
             'extern "C" {']
    for (major, minor), functions in FUNCTIONS.items():
        lines.append(f"#if __GLIBC_PREREQ({major}, {minor})")
        for name, n_args in sorted(functions.items()):
            args = ", ".join(["double"] * n_args)
            lines.append(f'__attribute__((__simd__("notinbranch"))) double {name}({args}) '
                         "__THROW;")
        lines.append("#endif")
    lines += ["}", "#endif", ""]
    return "\n".join(lines)


def declare(directory) -> bool:
    """Add :func:`declarations` to ``directory``'s ``brianlib/common_math.h`` (before its
    include guard's end); whether the file has them (False where it is not Brian2's)."""
    def edit(text):
        if "#define _BRIAN_COMMON_MATH_H" not in text or not text.rstrip().endswith("#endif"):
            return None
        return text.rstrip()[:-len("#endif")] + declarations() + "\n" + _GUARD

    return edit_once(Path(directory) / "brianlib" / "common_math.h", MARK, edit)
