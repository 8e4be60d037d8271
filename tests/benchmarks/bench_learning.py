"""Benchmark: a training epoch of every learning method against snnTorch's BPTT epoch, and
peak memory against the trial length T (issue 19, "Performance").

**Epochs.**  The digits net of the noise-learning study (64-100-10, T = 20, rate-coded 8x8
digits, 1437 training + 360 test samples per epoch) trained by

* ``ndl``: NDL at sample ends, symmetric feedback (:func:`neuromodels.learning.feedforward`;
  the network of ``bench_ndl.py``);
* ``eprop``, ``ottt``, ``dfa``, ``decolle``: the same 64-100 escape-noise LIF hidden layer and
  a 10-unit leaky readout (e-prop's readout, tau 5 ms), per-step cross-entropy on the
  readout; e-prop: eligibility filtered with tau_kappa = tau_out, updates at sample ends;
  OTTT: updates every step, symmetric feedback; DFA: OTTT's rule with the raw error sent
  through fixed random weights; DECOLLE: the hidden layer trained by a fixed random readout;
* ``bptt``: :class:`~neuromodels.learning.TwinProgram` on the NDL net (the JAX twin, batch
  ``--batch`` like snnTorch);
* ``snntorch``: ``bench_ndl.worker_snntorch`` (one home for it), BPTT with Adam.

Each configuration runs in a fresh process (``--rounds`` interleaved rounds, ``--epochs``
epochs each).  The Brian2 methods run on cpp_standalone (as the studies do: one build, then
re-runs; the first epoch, which includes the build, is reported apart) and, with
``--devices cpp_standalone runtime``, on Brian2's runtime (Cython) target too.  Printed per
configuration: median and spread (min-max) of the later epochs' wall time, their CPU time
(the process and its standalone binary), the first epoch (round 1: a cold build; the median:
later rounds find ccache warm), the build, the test accuracy, the machine's load, and the
ratios to snnTorch's median epoch of the same run (wall, and CPU: robust to the load), and
the *paired* CPU ratio: with snnTorch among the configurations, each method's run is
followed by a run of snnTorch's (``--no-paired``: one snnTorch run per round, last), and
the ratio of the two runs' median later epochs is taken pair by pair (median and range over
the rounds): this machine's speed drifts by up to 30 % over the minutes of a round, which
moves the unpaired ratio by as much; then a markdown table (``--markdown FILE`` also writes
it).  ``--tree REV`` runs the package as
committed at REV (``git archive``; e.g. HEAD while the working tree is being edited).

**Memory.**  ``--memory``: per method and T in ``--T-values`` (20 200 2000), a fresh
process builds a small net (64-``--memory-hidden``-10) for ``--memory-samples`` samples
and measures the peak resident memory added by its first training run (build, code
generation or XLA compilation, the run) and by a second run (the table's number: what a
re-run of the epoch needs), each as Linux's VmHWM after resetting it through
/proc/self/clear_refs, minus VmRSS before.  The workers run with glibc's mmap threshold
fixed at 64 KiB (MALLOC_MMAP_THRESHOLD_), so that every large buffer is returned to the
system when freed and a second run cannot hide its peak in memory the first one freed.
RSS and not tracemalloc: JAX's (XLA's) buffers are not seen by tracemalloc, and one
measure serves all methods.  The Brian2 methods run on the numpy target here (no compiler
process, whose memory would dominate a child-process measure; the C++ binary holds the same
variables).  With ``--input spikes`` (default) a run's stimulus is a TimedArray of
n_samples x T x 64 doubles in every method (on the numpy target one value per input; a
standalone program packs 30 inputs to a value), so that part grows with T by construction
(its size is printed beside the peaks); ``--input rates`` (the input layer draws the spikes
from per-sample probabilities) leaves the methods' own memory.

    python tests/benchmarks/bench_learning.py [--epochs 4] [--rounds 2] [--only ndl ...]
    python tests/benchmarks/bench_learning.py --memory [--T-values 20 200 2000]
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ndl import REPO, _Clock, _digits, _old_tree, worker_snntorch  # noqa: E402

BRIAN2_METHODS = ("ndl", "eprop", "ottt", "dfa", "decolle")
METHODS = BRIAN2_METHODS + ("bptt",)
TAU_OUT_MS = 5.0


def network(method, n_in=64, n_hidden=100, n_out=10, T=20, input_mode="spikes"):
    """The learning network of ``method`` (module docstring) and, for BPTT, its program
    factory ``make(n_samples)``; ``input_mode``: the input layer's ('spikes': a 0/1 array per
    step and channel; 'rates': a probability per sample and channel, drawn in each step)."""
    from brian2 import mV, ms

    from neuromodels.learning import (DECOLLE, NDL, NDL_NEURON_PARAMETERS, OTTT, EProp, Feedback,
                                      InputLayer, Layer, LearningNetwork, OutputError,
                                      Projection, Readout, TwinProgram, feedforward, ndl_neuron)
    from neuromodels.neurons.readout import leaky_readout

    if method in ("ndl", "bptt"):
        net = feedforward([n_in, n_hidden, n_out], ndl_neuron("gaussian"), feedback="symmetric",
                          rule=NDL(eta=0.2 * mV ** 2), T=T, input_mode=input_mode)
        if method == "bptt":
            # lr 4 mV^2 at batch 128: 0.5 / 2 / 4 gave 27 / 83 / 88 % test accuracy after
            # 4 epochs (8 diverged); snnTorch's Adam: 87 %
            return net, lambda n, batch=128: TwinProgram(net, n, lr=4 * mV ** 2,
                                                         batch_size=batch)
        return net, None
    step = dict(timing="step")
    hidden = Layer("hidden", n_hidden, ndl_neuron("gaussian"), params=NDL_NEURON_PARAMETERS)
    output = Layer("output", n_out, leaky_readout(), params={"tau_m": TAU_OUT_MS * ms})
    projections = [Projection("input", "hidden"),
                   Projection("hidden", "output", init_scale=1.0,
                              plastic=method != "decolle")]
    error = OutputError("output", loss="ce", targets="label", window=T, beta=2.0, **step)
    feedback = Feedback("output", "hidden", weights="random" if method == "dfa" else "symmetric",
                        send="error", **({"scale": 2.0} if method == "dfa" else {}), **step)
    hidden_rate, out_rate = dict(eta=0.2 * mV ** 2, w_max=4 * mV), dict(eta=0.05, w_max=50.0)
    rules = {"eprop": [EProp(layers=("hidden",), tau_kappa=TAU_OUT_MS * ms, **hidden_rate),
                       EProp(layers=("output",), **out_rate)],
             "ottt": [OTTT(layers=("hidden",), **hidden_rate),
                      OTTT(layers=("output",), **out_rate)],
             "dfa": [OTTT(layers=("hidden",), **hidden_rate),
                     OTTT(layers=("output",), **out_rate)],
             "decolle": [DECOLLE(layers=("hidden",), **hidden_rate)]}[method]
    return LearningNetwork(InputLayer(n_in, mode=input_mode), [hidden, output], projections,
                           [error, feedback],
                           rules, Readout("output"), T=T), None


def worker_epochs(method, device, epochs, seed, batch):
    """Train ``epochs`` epochs of ``method`` on the digits; the per-epoch wall and CPU times."""
    from neuromodels.devices import brian2_settings, use_device
    from neuromodels.learning import train

    x_train, x_test, y_train, y_test = _digits()
    net, make = network(method)
    state, clock = net.initial_state(seed=seed), _Clock()
    common = dict(epochs=epochs, seed=seed, progress=clock)
    if make is not None:
        program = make(len(y_train) + len(y_test), batch)
        h = train(net, state, x_train, y_train, x_test, y_test, program=program,
                  **common)["history"]
    elif device == "cpp_standalone":
        with use_device("cpp_standalone", seed=seed) as session:
            h = train(net, state, x_train, y_train, x_test, y_test, session=session,
                      **common)["history"]
    else:
        with brian2_settings(target="cython"):
            h = train(net, state, x_train, y_train, x_test, y_test, **common)["history"]
    return clock.result(test_accuracy=h.last("test_accuracy"),
                        build=float(np.nansum(h["build_seconds"])),
                        simulation=[float(s) for s in h["simulation_seconds"]])


def _proc_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def worker_memory(method, T, n_samples, n_hidden, seed, input_mode="spikes"):
    """Peak RSS added by the first training run and by a second one (module docstring)."""
    from neuromodels.devices import brian2_settings
    from neuromodels.learning import Program

    x_train, _, y_train, _ = _digits()
    net, make = network(method, n_hidden=n_hidden, T=T, input_mode=input_mode)
    rng = np.random.default_rng(seed)
    x, y = x_train[:n_samples], y_train[:n_samples]
    spikes = x if input_mode == "rates" else \
        (rng.random((n_samples, T, x.shape[1])) < x[:, None, :]).astype(float)
    state = net.initial_state(seed=seed)
    program = make(n_samples, 1) if make is not None else Program(net, n_samples)
    out = {"input_mib": spikes.nbytes / 2 ** 20}
    with brian2_settings(target="numpy"):
        for run in ("first", "peak"):
            rss0 = _proc_kib("VmRSS")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")                                           # VmHWM := VmRSS
            start = time.perf_counter()
            program.run(state, spikes, y, lr_scale=1.0, seed=seed)
            out[f"{run}_seconds"] = time.perf_counter() - start
            out[f"{run}_mib"] = (_proc_kib("VmHWM") - rss0) / 1024
    return {**out, "base_mib": rss0 / 1024}


def _spawn(argv, pythonpath=str(REPO)):
    env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONWARNINGS="ignore",
               MALLOC_MMAP_THRESHOLD_="65536")
    load0 = os.getloadavg()[0]
    out = subprocess.run([sys.executable, __file__, *argv], env=env, capture_output=True,
                         text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = (load0 + os.getloadavg()[0]) / 2
    return result


def _epoch_table(results, skip_first, pairs=None):
    """Rows per configuration: median/min/max of the later epochs, CPU, build, ratio; with
    ``pairs`` (per configuration, its CPU ratios to the snnTorch run after it) their median
    and range."""
    rows = {}
    for key, runs in results.items():
        ok = [r for r in runs if "error" not in r]
        if not ok:
            continue
        skip = 1 if skip_first(key) else 0
        later = np.concatenate([r["epochs"][skip:] for r in ok])
        rows[key] = dict(median=float(np.median(later)), min=float(later.min()),
                         max=float(later.max()), n=len(later),
                         cpu=float(np.median(np.concatenate([r["cpu"][skip:] for r in ok]))),
                         first=float(np.median([r["epochs"][0] for r in ok])),
                         cold=float(ok[0]["epochs"][0]),
                         build=float(np.median([r.get("build", 0.0) for r in ok])),
                         acc=float(np.mean([r["test_accuracy"] for r in ok])),
                         load=float(np.mean([r["load"] for r in ok])))
    base = rows.get(("snntorch", "torch"))
    lines = ["| method | device | epoch median (s) | min-max (s) | n | CPU (s) | ratio to "
             "snnTorch | paired CPU ratio: median (min-max) | first epoch: round 1, median (s) "
             "| build (s) | test acc | load |",
             "|" + "---|" * 12]
    for (method, device), r in rows.items():
        ratio = (f"{r['median'] / base['median']:.2f} (CPU {r['cpu'] / base['cpu']:.2f})"
                 if base else "-")
        paired = (pairs or {}).get((method, device)) or []
        paired = (f"{np.median(paired):.2f} ({min(paired):.2f}-{max(paired):.2f})" if paired
                  else "-")
        lines.append(f"| {method} | {device} | {r['median']:.3f} | {r['min']:.3f}-{r['max']:.3f}"
                     f" | {r['n']} | {r['cpu']:.3f} | {ratio} | {paired} | {r['cold']:.1f}, "
                     f"{r['first']:.1f} | {r['build']:.1f} | {100 * r['acc']:.1f} % | "
                     f"{r['load']:.1f} |")
    return lines


def _memory_table(results, t_values):
    lines = ["| method | " + " | ".join(f"T = {t}: peak (MiB)" for t in t_values)
             + " | change first-last | inputs at last T (MiB) |",
             "|" + "---|" * (len(t_values) + 3)]
    for method, per_t in results.items():
        peaks = {t: [r["peak_mib"] for r in per_t.get(t, []) if "error" not in r]
                 for t in t_values}
        cells = [f"{np.median(p):.1f} ({min(p):.1f}-{max(p):.1f})" if p else "error"
                 for p in peaks.values()]
        first, last = peaks[t_values[0]], peaks[t_values[-1]]
        change = f"{np.median(last) / np.median(first) - 1:+.0%}" if first and last and \
            np.median(first) > 0 else "-"
        inputs = [r["input_mib"] for r in per_t.get(t_values[-1], []) if "error" not in r]
        lines.append(f"| {method} | " + " | ".join(cells) + f" | {change} | "
                     + (f"{inputs[0]:.2f}" if inputs else "-") + " |")
    return lines


def _header(args):
    return (f"# {platform.node()}, {os.cpu_count()} cores, "
            f"{platform.processor() or platform.machine()}, load at start "
            f"{os.getloadavg()[0]:.1f}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--only", nargs="+", default=list(METHODS) + ["snntorch"])
    parser.add_argument("--devices", nargs="+", default=["cpp_standalone"])
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--T-values", nargs="+", type=int, default=[20, 200, 2000])
    parser.add_argument("--memory-samples", type=int, default=2)
    parser.add_argument("--memory-hidden", type=int, default=100)
    parser.add_argument("--input", choices=("spikes", "rates"), default="spikes",
                        help="memory: the input layer's mode (BPTT takes spikes only)")
    parser.add_argument("--paired", action=argparse.BooleanOptionalAction, default=True,
                        help="run snnTorch after each method (the paired ratio column)")
    parser.add_argument("--tree", help="run the package as committed at this revision")
    parser.add_argument("--markdown", help="also write the table(s) to this file")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, method, *rest = args.worker
        if kind == "memory":
            res = worker_memory(method, int(rest[0]), args.memory_samples, args.memory_hidden,
                                args.seed, args.input)
        elif method == "snntorch":
            res = worker_snntorch(args.epochs, args.seed, args.batch)
        else:
            res = worker_epochs(method, rest[0], args.epochs, args.seed, args.batch)
        print(json.dumps(res))
        return

    pythonpath = str(REPO)
    if args.tree:
        pythonpath, reason = _old_tree(args.tree)
        if pythonpath is None:
            sys.exit(reason)
    print(_header(args) + (f"; package as committed at {args.tree}" if args.tree else ""),
          flush=True)
    lines = []
    if args.memory:
        methods = [m for m in args.only if m in METHODS]
        results = {m: {} for m in methods}
        for r in range(args.rounds):
            for t in args.T_values:
                for method in methods:
                    res = _spawn(["--worker", "memory", method, str(t), "--seed", str(args.seed),
                                  "--memory-samples", str(args.memory_samples),
                                  "--memory-hidden", str(args.memory_hidden),
                                  "--input", args.input], pythonpath)
                    results[method].setdefault(t, []).append(res)
                    print(f"round {r + 1}: {method:<8} T = {t:<5} " + (
                        f"error: {res['error']}" if "error" in res else
                        f"first run +{res['first_mib']:.1f} MiB ({res['first_seconds']:.1f} s), "
                        f"second +{res['peak_mib']:.1f} MiB ({res['peak_seconds']:.1f} s) over "
                        f"{res['base_mib']:.0f} MiB, load {res['load']:.1f}"), flush=True)
        lines += [f"Peak memory added by a training run (64-{args.memory_hidden}-10, "
                  f"{args.memory_samples} samples, {args.input} input, numpy target / JAX; "
                  f"second run; median (min-max) of "
                  f"{args.rounds} fresh processes)", ""] + _memory_table(results, args.T_values)
    else:
        configs = [(m, d) for m in args.only if m in BRIAN2_METHODS for d in args.devices]
        configs += [(m, "jax") for m in args.only if m == "bptt"]
        if "snntorch" in args.only:
            import importlib.util

            if importlib.util.find_spec("snntorch") is None:
                print("snntorch skipped: not installed (make bench installs it)")
            else:
                configs.append(("snntorch", "torch"))
        results = {c: [] for c in configs}
        pairs = {c: [] for c in configs}
        base = ("snntorch", "torch")
        # with snnTorch: each method's run followed by one of snnTorch's (--paired), so that
        # a ratio compares two runs a few seconds apart, not the ends of a run of minutes
        # through which this machine's speed drifts
        order = ([c for m in configs if m != base for c in (m, base)]
                 if args.paired and base in configs else configs)
        for r in range(args.rounds):
            last = None
            for method, device in order:
                res = _spawn(["--worker", "epochs", method, device, "--epochs", str(args.epochs),
                              "--seed", str(args.seed), "--batch", str(args.batch)],
                             pythonpath)
                results[method, device].append(res)
                if (method, device) == base and last is not None and "error" not in res \
                        and "error" not in last[1]:
                    pairs[last[0]].append(np.median(last[1]["cpu"][1:])   # later epochs
                                          / np.median(res["cpu"][1:]))
                last = ((method, device), res)
                print(f"round {r + 1}: {method:<8} {device:<14} " + (
                    f"error: {res['error']}" if "error" in res else
                    "epochs (s): " + " ".join(f"{t:.2f}" for t in res["epochs"])
                    + "  CPU (s): " + " ".join(f"{t:.2f}" for t in res["cpu"])
                    + f"  test acc {100 * res['test_accuracy']:.1f} %, load {res['load']:.1f}"),
                    flush=True)
        lines += [f"Training epoch on the digits net (64-100-10, T = 20, 1437 + 360 samples), "
                  f"{args.rounds} rounds x {args.epochs} epochs; snnTorch: batch {args.batch}, 1 "
                  f"thread; BPTT twin: batch {args.batch}", ""]
        lines += _epoch_table(results, lambda key: key[1] not in ("torch",), pairs)
    print("\n".join(lines))
    if args.markdown:
        Path(args.markdown).write_text(_header(args) + "\n\n" + "\n".join(lines) + "\n")
    if args.tree:
        shutil.rmtree(pythonpath, ignore_errors=True)


if __name__ == "__main__":
    main()
