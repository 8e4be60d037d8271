"""Benchmark: wall time of ``neuromodels run NAME --quick`` per study, cold and warm caches.

Each study runs twice in a fresh home folder (empty Cython, neuromodels, JAX and
matplotlib caches, as on a fresh machine): *cold* is the first run, *warm* the second.
Mode ``before`` turns the caches off (``NEUROMODELS_CACHE=off``; with ``--before-source
DIR`` it runs the package in DIR instead, e.g. an export of the main branch), mode
``after`` is this checkout with its caches.  Printed per study: the wall times (the
whole command, imports and figure included), the CPU seconds of the last mode's cold and warm
run
(its processes and compilers: on a loaded machine closer to what a quiet one takes than
the wall time) and, from that run's results file, its build / simulation / JAX compile /
other seconds (other: JAX running, data, analysis; imports and the figure are outside).
Targets (issue 24): a cold ``after`` run <= 60 s and a warm one <= 15 s on the 2-core machine
type, and each C++ build's announced estimate (``compiling: ..., about N s``) within a factor
1.5 of the compile time it then took (column ``estimate/measured``: the cold run's builds that
compiled new files, from the build records in its fresh cache folder).

    python tests/benchmarks/bench_quick.py [--studies NAME[@DEVICE] ...] [--modes before after]
                                           [--before-source DIR] [--keep DIR]

``--keep DIR`` copies each cold run's results file to ``DIR/NAME.MODE.h5`` (to compare the
data of two builds, e.g. that a build change left every array bit-identical).
"""
import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def default_studies():
    """Every study of this checkout on its default device, and cuba-coba on runtime."""
    sys.path.insert(0, str(ROOT))
    from neuromodels.study import discover

    return sorted(discover([ROOT / "studies"], {})) + ["cuba-coba@runtime"]


#: A cpp_standalone build's announcement of new files to compile, with its estimate.
ESTIMATE = re.compile(r"compiling: (?:first run of|\d+ of \d+ files changed).*about (\d+) s")


def run_once(name, device, env, out, source):
    """Wall and CPU seconds of one quick run, and what it printed."""
    cmd = [sys.executable, "-m", "neuromodels.cli", "run", name, "--quick", "--out", str(out)]
    if device:
        cmd += ["--device", device]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=source, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return wall, cpu, proc.stdout


def estimate_ratios(stdout, home):
    """Announced / measured compile seconds of each build that compiled new files."""
    estimates = [float(m.group(1)) for m in ESTIMATE.finditer(stdout)]
    path = home / ".cache" / "neuromodels" / "compile-times-cpp_standalone.json"
    records = json.loads(path.read_text())["builds"] if path.is_file() else []
    measured = [r["seconds"] for r in records if r.get("new_files")]
    return [e / m for e, m in zip(estimates, measured) if m > 0]


def timings_of(path):
    """build / simulation / total of a results file (JSON in its attributes)."""
    import h5py

    with h5py.File(path, "r") as f:
        t = f.attrs["timings"]
    t = json.loads(t) if isinstance(t, (str, bytes)) else {}
    return t


def measure(entry, mode, before_source, keep=None):
    name, _, device = entry.partition("@")
    home = Path(tempfile.mkdtemp(prefix="neuromodels-bench-home-"))
    out = home / "out"
    env = {k: v for k, v in os.environ.items()
           if k not in ("XDG_CACHE_HOME", "NEUROMODELS_CACHE_DIR", "MPLCONFIGDIR", "CCACHE_DIR")}
    env.update(HOME=str(home), PYTHONWARNINGS="ignore")
    source = ROOT
    if mode == "before":
        env["NEUROMODELS_CACHE"] = "off"
        if before_source:
            source = Path(before_source).resolve()
    env["PYTHONPATH"] = os.pathsep.join([str(source)] + [p for p in env.get("PYTHONPATH", "").split(
        os.pathsep) if p])
    env["NEUROMODELS_STUDIES"] = str(source / "studies")
    try:
        cold, cold_cpu, printed = run_once(name, device, env, out, source)  # cwd: `python -m`
        ratios = estimate_ratios(printed, home)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(out / f"{name}.quick.h5", Path(keep) / f"{name}.{mode}.h5")
        warm, cpu, _ = run_once(name, device, env, out, source)
        t = timings_of(out / f"{name}.quick.h5")
        t["cpu"], t["cold cpu"], t["estimates"] = cpu, cold_cpu, ratios
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return cold, warm, t


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--studies", nargs="*", default=None)
    parser.add_argument("--modes", nargs="*", default=["before", "after"],
                        choices=["before", "after"])
    parser.add_argument("--before-source", help="package checkout to run as 'before'")
    parser.add_argument("--keep", help="folder for each cold run's results file")
    args = parser.parse_args()
    studies = args.studies or default_studies()
    print(f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
          f"load average at start {os.getloadavg()[0]:.1f}; 'before': "
          + (f"the package in {args.before_source}" if args.before_source
             else "NEUROMODELS_CACHE=off"))
    header = (f"{'study':<34}"
              + "".join(f"{m + ' cold':>13}{m + ' warm':>13}" for m in args.modes)
              + f"{'cold CPU':>10}{'warm CPU':>10}{'estimate/measured':>22}   "
                f"{'warm run: build / simulation / JAX compile / other (s)':>55}")
    print(header)
    print("-" * len(header))
    for entry in studies:
        cells, split, cpu, cold_cpu, ratios = [], "", 0.0, 0.0, ""
        for mode in args.modes:
            cold, warm, t = measure(entry, mode, args.before_source, args.keep)
            cells += [cold, warm]
            if mode == args.modes[-1] and t:
                jax = t.get("compile (JAX)", 0)
                other = t.get("total", 0) - t.get("build", 0) - t.get("simulation", 0) - jax
                split = (f"{t.get('build', 0):.1f} / {t.get('simulation', 0):.1f} / {jax:.1f} / "
                         f"{other:.1f}")
                cpu, cold_cpu = t["cpu"], t["cold cpu"]
                ratios = ", ".join(f"{r:.2f}" for r in t["estimates"]) or "-"
        print(f"{entry:<34}" + "".join(f"{c:>12.1f}s" for c in cells)
              + f"{cold_cpu:>9.1f}s{cpu:>9.1f}s  {ratios:>20}   {split:>55}",
              flush=True)
    print(f"# load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
