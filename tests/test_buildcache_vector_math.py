"""glibc's vector math functions in generated loops (neuromodels.buildcache.vector_math):
the declarations added to Brian2's common_math.h; with Brian2's compiler flags a loop calls
libmvec's forms, whose results are within 4 units in the last place of the scalar ones."""
import shutil
import subprocess

import numpy as np
import pytest

from neuromodels.buildcache.vector_math import FUNCTIONS, MARK, declarations, declare, vector_form

COMMON_MATH = """#ifndef _BRIAN_COMMON_MATH_H
#define _BRIAN_COMMON_MATH_H

#include<limits>

#endif
"""


def test_the_declarations_go_inside_the_include_guard_once(tmp_path):
    (tmp_path / "brianlib").mkdir()
    header = tmp_path / "brianlib" / "common_math.h"
    header.write_text(COMMON_MATH)
    assert declare(tmp_path)
    text = header.read_text()
    assert text.startswith(COMMON_MATH[:-len("#endif\n")])
    assert text.endswith("}\n#endif\n\n#endif\n")
    assert text.index(MARK) < text.rindex("#endif")
    for functions in FUNCTIONS.values():
        for name in functions:
            assert f" double {name}(double" in text
    assert declare(tmp_path) and header.read_text() == text                      # once
    header.write_text("// another header\n")
    assert not declare(tmp_path) and header.read_text() == "// another header\n"
    assert not declare(tmp_path / "missing")


#: f(x) on a grid, in a loop GCC vectorises and in one it may not (optimize attribute)
PROGRAM = """#include <cstdio>
{declarations}
#define N 4096
static double x[N], y[N], vec[N], ref[N];
void vector_loop() {{ for (int i = 0; i < N; i++) vec[i] = {call}; }}
__attribute__((optimize("no-tree-vectorize"))) void scalar_loop() {{
    for (int i = 0; i < N; i++) ref[i] = {call}; }}
int main() {{
    for (int i = 0; i < N; i++) {{ x[i] = {low} + ({high} - {low}) * i / (N - 1.0);
                                    y[i] = 0.5 + 2.5 * i / (N - 1.0); }}
    vector_loop(); scalar_loop();
    for (int i = 0; i < N; i++) printf("%.17g %.17g\\n", vec[i], ref[i]);
}}
"""
CASES = {"exp": ("exp(x[i])", -30, 30), "log": ("log(x[i])", 1e-3, 1e3),
         "pow": ("pow(x[i], y[i])", 0.01, 10), "erf": ("erf(x[i])", -4, 4),
         "tanh": ("tanh(x[i])", -5, 5), "expm1": ("expm1(x[i])", -2, 2)}


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_loop_calls_libmvec_within_4_ulp_of_the_scalar_function(name, tmp_path):
    if not vector_form(name):
        pytest.skip(f"no vector form of {name} here (GCC on x86-64 with glibc, libmvec)")
    from brian2 import prefs

    call, low, high = CASES[name]
    source = tmp_path / "t.cpp"
    source.write_text(PROGRAM.format(declarations=declarations(), call=call, low=low,
                                     high=high))
    flags = list(prefs.codegen.cpp.extra_compile_args_gcc)   # Brian2's: -O3 -ffast-math ...
    subprocess.run(["g++", *flags, str(source), "-o", str(tmp_path / "t")], check=True)
    symbols = subprocess.run([shutil.which("nm") or "nm", "-D", str(tmp_path / "t")],
                             capture_output=True, text=True).stdout.split()
    assert any(s.startswith("_ZGV") and s.split("@")[0].endswith(f"_{name}")
               for s in symbols), symbols
    out = subprocess.run([str(tmp_path / "t")], capture_output=True, text=True,
                         check=True).stdout
    vec, ref = np.array([line.split() for line in out.splitlines()], dtype=float).T
    ulps = np.abs(vec.view(np.int64) - ref.view(np.int64))
    ulps[np.signbit(vec) != np.signbit(ref)] = np.iinfo(np.int64).max   # (none expected)
    assert len(vec) == 4096 and np.all(np.isfinite(ref))
    assert ulps.max() <= 4, f"{name}: {ulps.max()} ulp"
