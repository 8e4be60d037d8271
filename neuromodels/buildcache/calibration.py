"""How fast this machine compiles before any build was recorded here: a small C++ file
compiled twice side by side (a 2-core machine's ``make -j``), once per cache folder, against
what it takes on the machine type of :data:`.estimate.BUILD_SECONDS`."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

from .folders import _write_atomic, cache_dir

#: The file compiled (:func:`calibration_factor`): the headers and loops of a code object;
#: two compiles side by side take about 1 s.
CALIBRATION_SOURCE = """#include <vector>
#include <cmath>
#include <algorithm>
#include <random>
struct Group { std::vector<double> v, w; std::vector<int> spikes; };
double step(Group& g, double dt, double tau) {
    double s = 0;
    for (size_t i = 0; i < g.v.size(); i++) {
        g.v[i] += dt*(-g.v[i]/tau) + g.w[i % g.w.size()];
        if (g.v[i] > 1.0) { g.v[i] = 0; g.spikes.push_back((int)i); }
        s += std::exp(-g.v[i])*std::erf(g.v[i]);
    }
    std::sort(g.spikes.begin(), g.spikes.end());
    return s;
}
int main(int argc, char** argv) {
    std::mt19937 rng(argc);
    std::normal_distribution<double> normal(0, 1);
    Group g;
    for (int i = 0; i < 1000; i++) { g.v.push_back(normal(rng)); g.w.push_back(normal(rng)); }
    double s = 0;
    for (int k = 0; k < 100; k++) s += step(g, 0.1, 10.0);
    return (int)(s + g.spikes.size());
}
"""
#: Brian2's default flags of a cpp_standalone project on Linux (``-O3 -w`` where the compiler
#: refuses them).
CALIBRATION_FLAGS = ("-w", "-O3", "-ffast-math", "-fno-finite-math-only", "-march=native",
                     "-std=c++11")
#: The wall seconds of the calibration where :data:`.estimate.BUILD_SECONDS` is exact.
#: Measured 2026-12-07 on the 2-core machine type: four cold builds of cuba-coba ``--quick``
#: (fresh cache folders; idle, and with one core kept busy) took 1.53-2.61 times the model,
#: the calibration around each 0.96-1.83 s; calibration over (build / model): 0.61-0.71,
#: median 0.66.
CALIBRATION_SECONDS = 0.66


def _calibration_path() -> Path:
    return cache_dir() / "compile-calibration.json"


def _time_calibration(compiler: list[str]) -> float | None:
    """Wall seconds of two compiles of :data:`CALIBRATION_SOURCE` side by side with
    ``compiler`` (ccache off), or ``None`` if it cannot compile."""
    env = dict(os.environ, CCACHE_DISABLE="1")
    with tempfile.TemporaryDirectory(prefix="nm-calibration-") as folder:
        source = Path(folder) / "calibration.cpp"
        source.write_text(CALIBRATION_SOURCE)
        for flags in (CALIBRATION_FLAGS, ("-w", "-O3")):
            start = time.perf_counter()
            try:
                jobs = [subprocess.Popen([*compiler, *flags, "-c", str(source), "-o",
                                          str(Path(folder) / f"{k}.o")], env=env,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        for k in range(2)]
            except OSError:
                return None
            if all(job.wait() == 0 for job in jobs):
                return time.perf_counter() - start
    return None


def calibration_factor() -> float:
    """How much slower (> 1) or faster than the machine type of
    :data:`.estimate.BUILD_SECONDS` this machine compiles, load included: the calibration's
    wall seconds here over :data:`CALIBRATION_SECONDS`, measured once per cache folder (kept
    in ``compile-calibration.json``); 1 where nothing compiles.  The number of cores beyond
    two is not modelled (a build's records correct it, :func:`.estimate.machine_factor`)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return float(json.loads(_calibration_path().read_text())["seconds"]) / CALIBRATION_SECONDS
    compiler = os.environ.get("CXX", "g++").split()
    seconds = _time_calibration(compiler) if compiler else None
    if seconds is None:
        return 1.0
    with contextlib.suppress(OSError):
        _write_atomic(_calibration_path(), json.dumps({"seconds": seconds,
                                                        "compiler": " ".join(compiler)}))
    return seconds / CALIBRATION_SECONDS
