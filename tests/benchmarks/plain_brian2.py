"""The CUBA and COBA networks written the way Brian2's own examples write them.

The reference for ``bench_cuba.py`` and for the COBA numbers in the README: no
neuromodels code, globals as the namespace, connectivity and initial values drawn by
Brian2 (``connect(p=...)``, ``rand()``/``randn()``). CUBA as Brian2's ``examples/CUBA.py``;
COBA as R. Brette's published script of benchmark 1 (Brette et al. 2007, supplementary
code ``COBA.py``, Brian 1), translated to Brian2: potentials relative to rest
(``v`` = 0 at -60 mV), conductances in units of the leak conductance, no external input,
started at ``v ~ (5 randn - 5) mV``, ``ge ~ 1.5 randn + 4``, ``gi ~ 12 randn + 20``.
``build(network, n, p)`` returns the network.

    python tests/benchmarks/plain_brian2.py coba [--device cpp_standalone] [--seed 1]

prints the mean rate and mean ISI CV (neurons with >= 3 spikes) of a 4000-neuron, 1 s run,
computed here with numpy alone.
"""
from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, mV, ms

taum = 20 * ms
taue = 5 * ms
taui = 10 * ms

CUBA_EQS = """
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
"""

# R. Brette's benchmark 1: v relative to rest, conductances in units of g_l
COBA_EQS = """
dv/dt = (-v+ge*(Ee-v)+gi*(Ei-v))*(1./taum) : volt (unless refractory)
dge/dt = -ge*(1./taue) : 1
dgi/dt = -gi*(1./taui) : 1
"""


def build(network, n, p):
    global El, Vt, Vr, we, wi, Ee, Ei
    n_exc = int(0.8 * n)  # noqa: F841 (read by Brian2 from this frame: 'i<n_exc' below)
    if network == "cuba":
        El, Vt, Vr = -49 * mV, -50 * mV, -60 * mV
        we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
        wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
        P = NeuronGroup(n, CUBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact")
        P.v = "Vr + rand() * (Vt - Vr)"
    else:
        Ee = (0. + 60.) * mV
        Ei = (-80. + 60.) * mV
        Vt, Vr = 10 * mV, 0 * mV  # -50 mV and -60 mV
        we = 6. / 10.  # excitatory synaptic weight (units of g_l)
        wi = 67. / 10.  # inhibitory synaptic weight
        P = NeuronGroup(n, COBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="euler")
        P.v = "(randn() * 5 - 5) * mV"
        P.ge = "randn() * 1.5 + 4"
        P.gi = "randn() * 12 + 20"
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect("i<n_exc and i != j", p=p)
    Ci.connect("i>=n_exc and i != j", p=p)
    s_mon = SpikeMonitor(P)
    return Network(P, Ce, Ci, s_mon), s_mon, (Ce, Ci)


def run(net, duration):
    """Run here, so that the module's globals are the namespace (as in a script)."""
    net.run(duration)


def _main():
    import argparse

    import numpy as np
    from brian2 import defaultclock, seed, second, set_device

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
