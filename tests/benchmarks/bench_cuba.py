"""Benchmark: the CUBA/COBA networks through neuromodels vs a plain Brian2 script.

For each available device, network and size (neurons; ~80 synapses per
neuron, p = 80/n), the network is built through the package
(``neuromodels.networks.brette2007`` + ``use_device``) and as Brian2's
examples write it (``plain_brian2.py``).  Printed per case: simulation time
(the best of ``--repeats`` runs, compilation excluded), build time (code
generation + compilation + set-up, from empty caches, each build with a cache folder of its
own; wall, and CPU seconds of the process and its compilers, which a loaded machine distorts
less), synaptic events per second, peak memory
(of a process that builds and runs one implementation, or of its compiled program),
the package/plain ratios (simulation, build, memory), the C++ files of each standalone
project, and the memory estimate of ``neuromodels.devices``.  The runs of the
two implementations are interleaved
(runtime: both networks in one process, run alternately; cpp_standalone: the
two compiled programs re-run alternately), so drifts in machine load cancel.

    python tests/benchmarks/bench_cuba.py [--devices runtime cpp_standalone]
        [--sizes 4000 16000 64000]
"""
import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYNAPSES_PER_NEURON = 80


def _build(impl, network, n, rng):
    """Build one implementation's network; return (net, spike monitor, synapses, run)."""
    from brian2 import Network

    p = SYNAPSES_PER_NEURON / n
    if impl == "package":
        from neuromodels.networks import brette2007

        built = brette2007.build(brette2007.BENCHMARKS[network], {"n": n, "p_connect": p}, rng)
        net = Network(*built.objects)
        return net, built.spikes, (built.exc_synapses, built.inh_synapses)
    sys.path.insert(0, HERE)
    import plain_brian2

    return plain_brian2.build(network, n, p)


def _run(impl, net, duration):
    if impl == "package":
        net.run(duration)
    else:
        import plain_brian2

        plain_brian2.run(net, duration)


def worker(impls, device, network, n, duration_s, repeats, build_root):
    """Build and run ``impls`` on ``device``; on runtime, alternate them ``repeats`` times.

    Standalone programs are kept in ``build_root`` so that the parent can re-run the
    compiled binaries alternately (see :func:`rerun_binary`).
    """
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np
    from brian2 import defaultclock, get_device, ms, second

    from neuromodels.devices import use_device

    duration = duration_s * second
    results = {}
    if device == "runtime":
        with use_device(device, seed=1) as session:
            defaultclock.dt = 0.1 * ms
            built, sims = {}, {impl: [] for impl in impls}
            for impl in impls:
                start = time.perf_counter()
                built[impl] = _build(impl, network, n, np.random.default_rng(1))
                _run(impl, built[impl][0], duration)
                sims[impl].append(float(get_device()._last_run_time))
                results[impl] = {"build": time.perf_counter() - start - sims[impl][0],
                                 "spikes": int(built[impl][1].num_spikes)}
            for _ in range(repeats - 1):  # continue each network: the same stationary workload
                for impl in impls:
                    _run(impl, built[impl][0], duration)
                    sims[impl].append(float(get_device()._last_run_time))
            for impl in impls:
                results[impl].update(sims=sims[impl], synapses=sum(len(s) for s in built[impl][2]),
                                     spikes=results[impl]["spikes"])
    else:
        (impl,) = impls
        with use_device(device, seed=None if device == "genn" else 1, build_root=build_root,
                        keep_build=True) as session:
            defaultclock.dt = 0.1 * ms
            start, cpu = time.perf_counter(), _cpu_seconds()
            net, mon, synapses = _build(impl, network, n, np.random.default_rng(1))
            _run(impl, net, duration)
            sim = float(get_device()._last_run_time)
            results[impl] = {"build": time.perf_counter() - start - sim, "sims": [sim],
                             "build_cpu": _cpu_seconds() - cpu - sim,
                             "spikes": int(mon.num_spikes),
                             "synapses": sum(len(s) for s in synapses),
                             "directory": str(session.directory),
                             "files": len(list(session.directory.rglob("*.cpp")))}
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    for res in results.values():
        res["peak_mb"] = rss  # one process per implementation except on runtime (see main)
        res["rate"] = res["spikes"] / n / duration_s
    return results


def _cpu_seconds():
    """User and system seconds of this process and its finished children (the compilers)."""
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                          resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rerun_binary(directory):
    """Run a compiled standalone program again; return its simulation time (s)."""
    subprocess.run(["./main"], cwd=directory, check=True, capture_output=True)
    with open(os.path.join(directory, "results", "last_run_info.txt")) as f:
        return float(f.read().split()[0])


def run_case(impls, device, network, n, duration, repeats, build_root):
    """One worker process, with a cache folder of its own, empty (a cold build): with one
    cache for every case, plain Brian2's COBA took ten files from the build of its CUBA
    (plain Brian2 names the objects of both networks alike and its ``objects.h`` holds no
    sizes; the package's are named after the network), 9.0 against the package's 14.3 CPU-s
    at 64,000 neurons: a build that was not cold."""
    cmd = [sys.executable, __file__, "--worker", ",".join(impls), device, network, str(n),
           str(duration), str(repeats), build_root]
    cache = tempfile.mkdtemp(prefix="cache-", dir=build_root)
    try:
        out = subprocess.run(cmd, capture_output=True, text=True,
                             env={**os.environ, "PYTHONWARNINGS": "ignore",
                                  "NEUROMODELS_CACHE_DIR": cache})
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    if out.returncode != 0:
        raise RuntimeError(f"{impls}/{device}/{network}/{n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(device, network, n, duration, repeats, build_root):
    """Both implementations of one case, their runs interleaved so that load drift cancels."""
    if device == "runtime":
        # both networks in one process, runs alternated; memory measured separately
        res = run_case(["package", "plain"], device, network, n, duration, repeats, build_root)
        for impl in ("package", "plain"):
            res[impl]["peak_mb"] = run_case([impl], device, network, n, duration, 1,
                                            build_root)[impl]["peak_mb"]
    else:
        res = {}
        for impl in ("package", "plain"):
            res.update(run_case([impl], device, network, n, duration, 1, build_root))
        if device == "cpp_standalone":
            for _ in range(repeats - 1):
                for impl in ("package", "plain"):
                    res[impl]["sims"].append(rerun_binary(res[impl]["directory"]))
    for r in res.values():
        r["sim"] = min(r["sims"])
        r["events_per_s"] = r["spikes"] * r["synapses"] / n / r["sim"]
    return res


def main():
    from neuromodels.devices import available_devices, estimate_memory

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", nargs="*", default=None)
    parser.add_argument("--networks", nargs="*", default=["cuba", "coba"])
    parser.add_argument("--sizes", nargs="*", type=int, default=[4000, 16000, 64000])
    parser.add_argument("--duration", type=float, default=1.0, help="simulated seconds")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    avail = available_devices()
    devices = args.devices or [d for d, why in avail.items() if why is None and d != "genn"]
    for d in devices:
        if avail[d] is not None:
            print(f"# skipping {d}: {avail[d]}")
    devices = [d for d in devices if avail[d] is None]
    build_root = tempfile.mkdtemp(prefix="neuromodels-bench-")
    import brian2

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, brian2 {brian2.__version__}; "
          f"{args.duration:g} s simulated, dt 0.1 ms, best of {args.repeats}")
    header = (f"{'device':<15}{'net':<6}{'neurons':>8}{'synapses':>10}{'Hz pkg':>8}{'Hz plain':>9}"
              f"  {'sim pkg':>8}{'sim plain':>10}"
              f"{'ratio':>7}  {'build pkg':>9}{'build plain':>12}{'ratio':>7}{'files':>9}"
              f"{'CPU pkg':>8}{'CPU plain':>10}{'ratio':>6}  {'events/s pkg':>13}"
              f"{'MB pkg':>8}{'MB plain':>9}{'mem ratio':>10}{'MB est':>8}")
    print(header)
    print("-" * len(header))
    worst = worst_mem = worst_build = worst_cpu = 0.0
    for device in devices:
        for network in args.networks:
            for n in args.sizes:
                res = measure(device, network, n, args.duration, args.repeats, build_root)
                pkg, plain = res["package"], res["plain"]
                ratio = pkg["sim"] / plain["sim"]
                worst = max(worst, ratio)
                build_ratio = pkg["build"] / plain["build"]
                worst_build = max(worst_build, build_ratio)
                files = f"{pkg.get('files', '-')}/{plain.get('files', '-')}"
                mem_ratio = pkg["peak_mb"] / plain["peak_mb"]
                cpu_cells = (f"{pkg['build_cpu']:>8.2f}{plain['build_cpu']:>10.2f}"
                             f"{pkg['build_cpu'] / plain['build_cpu']:>6.2f}"
                             if "build_cpu" in pkg else f"{'-':>8}{'-':>10}{'-':>6}")
                worst_mem = max(worst_mem, mem_ratio)
                if "build_cpu" in pkg:
                    worst_cpu = max(worst_cpu, pkg["build_cpu"] / plain["build_cpu"])
                estimate = estimate_memory(neurons=n, synapses=pkg["synapses"],
                                           recorded=pkg["spikes"]) / 2 ** 20
                print(f"{device:<15}{network:<6}{n:>8}{pkg['synapses']:>10}{pkg['rate']:>8.2f}"
                      f"{plain['rate']:>9.2f}  {pkg['sim']:>8.3f}"
                      f"{plain['sim']:>10.3f}{ratio:>7.3f}  {pkg['build']:>9.2f}"
                      f"{plain['build']:>12.2f}{build_ratio:>7.2f}{files:>9}{cpu_cells}"
                      f"  {pkg['events_per_s']:>13.3g}{pkg['peak_mb']:>8.0f}"
                      f"{plain['peak_mb']:>9.0f}"
                      f"{mem_ratio:>10.2f}{estimate:>8.0f}", flush=True)
    shutil.rmtree(build_root, ignore_errors=True)
    print(f"# worst simulation-time ratio package/plain: {worst:.3f} (target <= 1.05)")
    print(f"# worst build-time ratio package/plain: {worst_build:.2f} (target <= 1.0; build: "
          f"code generation, compilation and set-up, the same run; files: C++ files of the "
          f"package's/plain project); in CPU seconds: {worst_cpu:.2f}")
    print(f"# worst peak-memory ratio package/plain: {worst_mem:.2f} (target <= 1.2); MB est: "
          f"neuromodels.devices.estimate_memory, the estimate a study's run is checked with")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        impls, device, network, n, duration, repeats, build_root = sys.argv[2:9]
        print(json.dumps(worker(impls.split(","), device, network, int(n), float(duration),
                                int(repeats), build_root)))
    else:
        main()
