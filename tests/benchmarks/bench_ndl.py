"""Benchmark: a training epoch of the noise-learning network, against snnTorch and against
the framework before issue 8.

The network of the noise-learning study (64-100-10, T = 20, Gaussian escape noise, NDL,
symmetric feedback) is trained on the 8x8 digits (1437 training + 360 test samples per
epoch) by three implementations, each in a fresh process, in ``--rounds`` interleaved
rounds (so that drifts of a shared machine's load hit all three alike):

* ``new``: :mod:`neuromodels.learning` on cpp_standalone (one build, then re-runs);
* ``old``: the learning code of commit ``OLD_COMMIT`` (before issue 8), extracted with
  ``git archive`` into a temporary directory and run the same way (skipped, with the
  reason, where the clone lacks that commit);
* ``snntorch``: the same network in snnTorch (Leaky neurons, beta 0.5, threshold 1, reset
  to zero, fast-sigmoid surrogate) trained by BPTT with Adam, batch ``--batch`` (snnTorch's
  tutorials use 128), ``--threads`` torch threads (default 1, like the single-threaded C++
  program), rate-coded input drawn by torch (skipped where snnTorch is not installed:
  ``pip install -e '.[bench]'``).

An epoch's time is the wall time from the end of one epoch to the end of the next as seen
by the training loop (encoding, the run, reading results back; for snnTorch the batches and
the test pass); the first epoch of the Brian2 implementations includes the build and is
reported separately.  Also the CPU time of each epoch (the process and its standalone
binaries; on a shared machine the wall time also measures the waiting for a core).
Printed: per implementation the median and minimum of the later epochs over all rounds,
the median CPU time, the test accuracy, the load average during the run, and the ratios
new/snnTorch (target <= 1.0) and new/old (target <= 1.0), of wall and CPU time.

    python tests/benchmarks/bench_ndl.py [--epochs 4] [--rounds 2] [--only new old snntorch]
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

OLD_COMMIT = "d7f6f79"
REPO = Path(__file__).resolve().parents[2]


def _cpu():
    """CPU seconds of this process and its finished children (the standalone binaries)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class _Clock:
    """Wall and CPU time stamps at the end of every epoch."""

    def __init__(self):
        self.wall, self.cpu = [time.perf_counter()], [_cpu()]

    def __call__(self, *_):
        self.wall.append(time.perf_counter())
        self.cpu.append(_cpu())

    def result(self, **more):
        return {"epochs": np.diff(self.wall).tolist(), "cpu": np.diff(self.cpu).tolist(), **more}


def _digits():
    from neuromodels.datasets.digits import load_digits

    return load_digits()


def worker_new(epochs, seed):
    from brian2 import mV

    from neuromodels.devices import use_device
    from neuromodels.learning import NDL, feedforward, ndl_neuron, train

    x_train, x_test, y_train, y_test = _digits()
    net = feedforward([64, 100, 10], ndl_neuron("gaussian"), feedback="symmetric",
                      rule=NDL(eta=0.2 * mV ** 2))
    clock = _Clock()
    with use_device("cpp_standalone", seed=seed) as session:
        h = train(net, net.initial_state(seed=seed), x_train, y_train, x_test, y_test,
                  epochs=epochs, seed=seed, session=session, progress=clock)["history"]
    return clock.result(test_accuracy=h.last("test_accuracy"), builds=h.summary["builds"],
                        reruns=h.summary["reruns"])


def worker_old(epochs, seed):
    from neuromodels.devices import use_device
    from neuromodels.learning import NDLParams, NDLRule, build_ndl_network, train

    x_train, x_test, y_train, y_test = _digits()
    net = build_ndl_network(64, 100, 10, "gaussian", NDLParams(T=20), feedback="symmetric",
                            rule=NDLRule(eta=0.2), seed=seed)
    clock = _Clock()
    with use_device("cpp_standalone", seed=seed) as session:
        h = train(net, x_train, y_train, x_test, y_test, epochs=epochs, seed=seed,
                  session=session, progress=clock)
    return clock.result(test_accuracy=h["test_accuracy"][-1], builds=h["builds"],
                        reruns=h["reruns"])


def worker_snntorch(epochs, seed, batch=128, threads=1):
    import snntorch as snn
    import torch
    from snntorch import surrogate

    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x_train, x_test, y_train, y_test = _digits()
    T, beta = 20, 10.0

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            grad = surrogate.fast_sigmoid()
            self.fc1, self.fc2 = torch.nn.Linear(64, 100), torch.nn.Linear(100, 10)
            self.lif1 = snn.Leaky(beta=0.5, threshold=1.0, spike_grad=grad, reset_mechanism="zero")
            self.lif2 = snn.Leaky(beta=0.5, threshold=1.0, spike_grad=grad, reset_mechanism="zero")

        def forward(self, x):                      # x: (T, batch, 64) spikes
            m1, m2, out = self.lif1.init_leaky(), self.lif2.init_leaky(), []
            for t in range(x.shape[0]):
                s1, m1 = self.lif1(self.fc1(x[t]), m1)
                s2, m2 = self.lif2(self.fc2(s1), m2)
                out.append(s2)
            return torch.stack(out).sum(0)         # output spike counts

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(seed)
    xtr, ytr = torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train)
    xte, yte = torch.tensor(x_test, dtype=torch.float32), torch.tensor(y_test)
    clock, acc = _Clock(), 0.0
    for _ in range(epochs):
        perm = torch.randperm(len(ytr), generator=g)
        for b in range(0, len(ytr), batch):
            idx = perm[b:b + batch]
            spikes = (torch.rand((T, len(idx), 64), generator=g) < xtr[idx]).float()
            loss = torch.nn.functional.cross_entropy(net(spikes) * beta / T, ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            spikes = (torch.rand((T, len(yte), 64), generator=g) < xte).float()
            acc = float((net(spikes).argmax(1) == yte).float().mean())
        clock()
    return clock.result(test_accuracy=acc)


def _old_tree(commit=OLD_COMMIT):
    """The package at ``commit`` in a temporary directory, or (None, reason)."""
    if shutil.which("git") is None:
        return None, "git is not installed"
    tmp = tempfile.mkdtemp(prefix="nm-old-")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "neuromodels"],
                             capture_output=True)
    if archive.returncode:
        shutil.rmtree(tmp)
        return None, f"commit {commit} is not in this clone ({archive.stderr.decode().strip()})"
    subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
    return tmp, None


def _spawn(kind, args, pythonpath):
    env = dict(os.environ, PYTHONPATH=pythonpath, PYTHONWARNINGS="ignore")
    cmd = [sys.executable, __file__, "--worker", kind, "--epochs", str(args.epochs),
           "--seed", str(args.seed), "--batch", str(args.batch), "--threads", str(args.threads)]
    load0 = os.getloadavg()[0]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["load"] = (load0 + os.getloadavg()[0]) / 2
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="+", default=["new", "old", "snntorch"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work = {"new": worker_new, "old": worker_old,
                "snntorch": lambda e, s: worker_snntorch(e, s, args.batch, args.threads)}
        print(json.dumps(work[args.worker](args.epochs, args.seed)))
        return

    skipped, paths = {}, {"new": str(REPO), "snntorch": str(REPO)}
    if "old" in args.only:
        old, reason = _old_tree()
        if old is None:
            skipped["old"] = reason
        else:
            paths["old"] = old
    if "snntorch" in args.only:
        import importlib.util

        if importlib.util.find_spec("snntorch") is None:
            skipped["snntorch"] = "snntorch is not installed (pip install -e '.[bench]')"
    kinds = [k for k in args.only if k not in skipped]
    print(f"# NDL training epoch, digits 64-100-10, T = 20, 1437 + 360 samples; "
          f"{platform.node()}, {os.cpu_count()} cores, {platform.processor() or platform.machine()}"
          f"; snnTorch: batch {args.batch}, {args.threads} thread(s)", flush=True)
    results = {k: [] for k in kinds}
    for r in range(args.rounds):
        for kind in kinds:
            res = _spawn(kind, args, paths[kind])
            results[kind].append(res)
            if "error" in res:
                print(f"round {r + 1}: {kind}: error: {res['error']}", flush=True)
                continue
            print(f"round {r + 1}: {kind:<9} epochs (s): "
                  + " ".join(f"{t:.2f}" for t in res["epochs"]) + "  CPU (s): "
                  + " ".join(f"{t:.2f}" for t in res["cpu"])
                  + f"   test acc {100 * res['test_accuracy']:.1f} %, load {res['load']:.1f}",
                  flush=True)
    summary, cpu = {}, {}
    print(f"{'implementation':<16}{'first epoch (s)':>16}{'later: median (s)':>19}"
          f"{'min (s)':>9}{'CPU median (s)':>16}{'test acc':>10}{'load':>7}")
    for kind in kinds:
        ok = [r for r in results[kind] if "error" not in r]
        if not ok:
            continue
        skip = 0 if kind == "snntorch" else 1      # the first Brian2 epoch includes the build
        first = [r["epochs"][0] for r in ok]
        later = np.concatenate([r["epochs"][skip:] for r in ok])
        later_cpu = np.concatenate([r["cpu"][skip:] for r in ok])
        summary[kind], cpu[kind] = float(np.median(later)), float(np.median(later_cpu))
        print(f"{kind:<16}{np.median(first):>16.2f}{np.median(later):>19.3f}{later.min():>9.3f}"
              f"{np.median(later_cpu):>16.3f}"
              f"{100 * np.mean([r['test_accuracy'] for r in ok]):>9.1f}%"
              f"{np.mean([r['load'] for r in ok]):>7.1f}")
    for kind, reason in skipped.items():
        print(f"{kind:<16} skipped: {reason}")
    for other, label in (("snntorch", "snnTorch"), ("old", "old framework")):
        if "new" in summary and other in summary:
            print(f"# ratio new / {label}: wall {summary['new'] / summary[other]:.2f}, CPU "
                  f"{cpu['new'] / cpu[other]:.2f} (median epochs; target <= 1.0)")
    if "old" in paths and paths["old"] != str(REPO):
        shutil.rmtree(paths["old"], ignore_errors=True)


if __name__ == "__main__":
    main()
