"""The CUBA and COBA networks written the way Brian2's own examples write them.

The reference for ``bench_cuba.py``, for the COBA numbers in the README and for the
Brette 2007 check of ``neuromodels validate``, whose module holds the builder
:func:`neuromodels.networks.brette_checks.plain_network` (no neuromodels code inside it):
its own namespace, connectivity and initial values drawn by Brian2 (``connect(p=...)``,
``rand()``/``randn()``). CUBA as Brian2's ``examples/CUBA.py``;
COBA as R. Brette's published script of benchmark 1 (Brette et al. 2007, supplementary
code ``COBA.py``, Brian 1), translated to Brian2: potentials relative to rest
(``v`` = 0 at -60 mV), conductances in units of the leak conductance, no external input,
started at ``v ~ (5 randn - 5) mV``, ``ge ~ 1.5 randn + 4``, ``gi ~ 12 randn + 20``.
``build(network, n, p)`` returns the network.

    python tests/benchmarks/plain_brian2.py coba [--device cpp_standalone] [--seed 1]

prints the mean rate and mean ISI CV (neurons with >= 3 spikes) of a 4000-neuron, 1 s run,
computed here with numpy alone.
"""
from neuromodels.networks.brette_checks import plain_network as build  # noqa: F401


def run(net, duration):
    """Run the network (its objects carry their own namespace)."""
    net.run(duration)


def _main():
    import argparse

    import numpy as np
    from brian2 import defaultclock, ms, seed, second, set_device

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("network", choices=("cuba", "coba"))
    parser.add_argument("--device", default="cpp_standalone", choices=("runtime", "cpp_standalone"))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--n", type=int, default=4000)
    parser.add_argument("--duration", type=float, default=1.0, help="seconds")
    args = parser.parse_args()
    if args.device == "cpp_standalone":
        import tempfile

        set_device("cpp_standalone", directory=tempfile.mkdtemp(prefix="plain-brette-"))
    defaultclock.dt = 0.1 * ms
    seed(args.seed)
    net, mon, _ = build(args.network, args.n, 0.02)
    run(net, args.duration * second)
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:])
    rates = np.bincount(i, minlength=args.n) / args.duration
    cvs = []
    for k in range(args.n):
        isi = np.diff(np.sort(t[i == k]))
        if isi.size >= 2:
            cvs.append(isi.std() / isi.mean())
    print(f"{args.network} plain Brian2 ({args.device}, seed {args.seed}): mean rate "
          f"{rates.mean():.2f} Hz, mean ISI CV {np.mean(cvs):.3f} ({len(cvs)} neurons with "
          f">= 3 spikes), silent {np.mean(rates == 0):.1%}")


if __name__ == "__main__":
    _main()
