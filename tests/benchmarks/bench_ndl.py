"""Benchmark: noise-driven learning on the 8x8 digits, training time per epoch per device.

The network of the noise-learning study (64-100-10, T = 20, Gaussian escape
noise, symmetric feedback) is trained for ``--epochs`` epochs on every
requested device.  Each epoch is one Brian2 run over the 1437 training
samples followed by the 360 test samples (learning-rate factor 0), as in
:func:`neuromodels.learning.train`.  Printed per device: the first epoch
(on C++ standalone: code generation and compilation included), the later
epochs (mean, min; on C++ standalone with brian2 >= 2.6 these re-run the
built program with new values), the simulated steps per second and the test
accuracy reached.  For scale: snnTorch's BPTT takes about 0.5 s per epoch on
this network (issue 4).

    python tests/benchmarks/bench_ndl.py [--devices runtime cpp_standalone] [--epochs 4]
"""
import argparse
import platform
import time

import numpy as np


def bench(device, epochs, seed):
    import brian2

    from neuromodels.datasets.digits import load_digits
    from neuromodels.devices import use_device
    from neuromodels.learning import NDLParams, NDLRule, build_ndl_network, train

    x_train, x_test, y_train, y_test = load_digits()
    net = build_ndl_network(64, 100, 10, "gaussian", NDLParams(T=20), feedback="symmetric",
                            rule=NDLRule(eta=0.2), seed=seed)
    start = time.perf_counter()
    with use_device(device, seed=seed) as session:
        history = train(net, x_train, y_train, x_test, y_test, epochs=epochs, seed=seed,
                        session=session)
    total = time.perf_counter() - start
    seconds = np.array(history["epoch_seconds"])
    steps = (len(y_train) + len(y_test)) * net.params.T
    later = seconds[1:] if len(seconds) > 1 else seconds
    return {
        "device": device, "brian2": brian2.__version__, "epochs": epochs,
        "first_epoch_s": seconds[0], "later_epoch_mean_s": later.mean(),
        "later_epoch_min_s": later.min(), "steps_per_s": steps / later.mean(),
        "builds": history["builds"], "reruns": history["reruns"], "total_s": total,
        "test_accuracy": history["test_accuracy"][-1],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", nargs="+", default=["runtime", "cpp_standalone"])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from neuromodels.devices import available_devices

    print(f"# noise-driven learning, digits 64-100-10, T = 20; {platform.node()}, "
          f"{platform.processor() or platform.machine()}")
    print(f"{'device':<16}{'brian2':>8}{'first epoch (s)':>17}{'later epochs (s)':>18}"
          f"{'min (s)':>9}{'steps/s':>10}{'builds':>8}{'re-runs':>9}{'test acc':>10}")
    for device in args.devices:
        reason = available_devices().get(device, f"unknown device {device!r}")
        if reason:
            print(f"{device:<16} skipped: {reason}")
            continue
        r = bench(device, args.epochs, args.seed)
        print(f"{r['device']:<16}{r['brian2']:>8}{r['first_epoch_s']:>17.2f}"
              f"{r['later_epoch_mean_s']:>18.2f}{r['later_epoch_min_s']:>9.2f}"
              f"{r['steps_per_s']:>10.0f}{r['builds']:>8}{r['reruns']:>9}"
              f"{100 * r['test_accuracy']:>9.1f}%", flush=True)


if __name__ == "__main__":
    main()
