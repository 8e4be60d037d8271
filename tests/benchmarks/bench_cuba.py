"""Benchmark: the CUBA/COBA networks through neuromodels vs a plain Brian2 script.

For each available device, network and size (neurons; ~80 synapses per
neuron, p = 80/n), the network is built twice in fresh processes: through
the package (``neuromodels.networks.brette2007`` + ``use_device``) and as
Brian2's examples write it (``plain_brian2.py``).  Printed per case:
simulation time (the best of ``--repeats`` runs, compilation excluded), build
time (code generation + compilation + first run's set-up), synaptic events
per second, peak memory, and the package/plain ratios.  Times are measured in
the same run, on the same machine, alternating package and plain.

    python tests/benchmarks/bench_cuba.py [--devices runtime cpp_standalone] [--sizes 4000 16000 64000]
"""
import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYNAPSES_PER_NEURON = 80


def worker(impl, device, network, n, duration_s, repeats):
    import warnings

    warnings.filterwarnings("ignore")
    import numpy as np
    from brian2 import Network, defaultclock, get_device, ms, second

    from neuromodels.devices import use_device

    p = SYNAPSES_PER_NEURON / n
    duration = duration_s * second
    sim_times = []
    start = time.perf_counter()
    with use_device(device, seed=1) as session:
        defaultclock.dt = 0.1 * ms
        if impl == "package":
            from neuromodels.networks import brette2007

            built = brette2007.build(brette2007.BENCHMARKS[network], {"n": n, "p_connect": p},
                                     np.random.default_rng(1))
            net, mon = Network(*built.objects), built.spikes
            synapses = (built.exc_synapses, built.inh_synapses)
            run = lambda: session.run(net, duration)  # noqa: E731
        else:
            sys.path.insert(0, HERE)
            import plain_brian2

            net, mon, synapses = plain_brian2.build(network, n, p)
            run = lambda: plain_brian2.run(net, duration)  # noqa: E731
        run()
        first_wall = time.perf_counter() - start
        dev = get_device()
        sim_times.append(float(dev._last_run_time))
        n_spikes = int(mon.num_spikes)
        n_syn = sum(len(s) for s in synapses)
        for _ in range(repeats - 1):
            if device == "runtime":
                run()  # continue: the same stationary workload
            elif device == "cpp_standalone":
                dev.run(directory=dev.project_dir, with_output=False, run_args=[])
            else:
                break
            sim_times.append(float(dev._last_run_time))
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "sim": min(sim_times), "sims": sim_times, "build": first_wall - sim_times[0],
        "spikes": n_spikes, "synapses": n_syn, "rate": n_spikes / n / duration_s,
        "events_per_s": n_spikes * n_syn / n / min(sim_times),
        "peak_mb": max(rss_self, rss_child),
    }


def run_case(impl, device, network, n, duration, repeats):
    cmd = [sys.executable, __file__, "--worker", impl, device, network, str(n), str(duration),
           str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if out.returncode != 0:
        raise RuntimeError(f"{impl}/{device}/{network}/{n} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    from neuromodels.devices import available_devices

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
    import brian2

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}, brian2 {brian2.__version__}; "
          f"{args.duration:g} s simulated, dt 0.1 ms, best of {args.repeats}")
    header = (f"{'device':<15}{'net':<6}{'neurons':>8}{'synapses':>10}{'Hz pkg':>8}{'Hz plain':>9}"
              f"  {'sim pkg':>8}{'sim plain':>10}"
              f"{'ratio':>7}  {'build pkg':>9}{'build plain':>12}  {'events/s pkg':>13}"
              f"{'MB pkg':>8}{'MB plain':>9}{'mem ratio':>10}")
    print(header)
    print("-" * len(header))
    worst = 0.0
    for device in devices:
        for network in args.networks:
            for n in args.sizes:
                # alternate the order so that neither always runs on a warmer machine
                order = ("package", "plain") if (n // 1000) % 2 == 0 else ("plain", "package")
                res = {impl: run_case(impl, device, network, n, args.duration, args.repeats)
                       for impl in order}
                pkg, plain = res["package"], res["plain"]
                ratio = pkg["sim"] / plain["sim"]
                worst = max(worst, ratio)
                print(f"{device:<15}{network:<6}{n:>8}{pkg['synapses']:>10}{pkg['rate']:>8.2f}"
                      f"{plain['rate']:>9.2f}  {pkg['sim']:>8.3f}"
                      f"{plain['sim']:>10.3f}{ratio:>7.3f}  {pkg['build']:>9.2f}{plain['build']:>12.2f}"
                      f"  {pkg['events_per_s']:>13.3g}{pkg['peak_mb']:>8.0f}{plain['peak_mb']:>9.0f}"
                      f"{pkg['peak_mb'] / plain['peak_mb']:>10.2f}", flush=True)
    print(f"# worst simulation-time ratio package/plain: {worst:.3f} (target <= 1.05)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        impl, device, network, n, duration, repeats = sys.argv[2:8]
        print(json.dumps(worker(impl, device, network, int(n), float(duration), int(repeats))))
    else:
        main()
