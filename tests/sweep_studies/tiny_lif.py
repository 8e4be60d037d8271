"""A tiny study for testing sweeps: LIF neurons with constant, heterogeneous drive.

``n`` neurons per seed, ``tau dv/dt = v_rest + d_k - v`` (exact integration), threshold
``v_th``, reset ``v_reset``, refractory ``t_ref``; the offsets ``d_k`` are uniform in
``[0, spread]``, drawn with numpy from the seed.  Measures per seed: the mean firing rate
and its analytic value (Lapicque; :func:`neuromodels.theory.lif.lif_rate_deterministic`).
``v_rest`` is a run-time value (a per-neuron variable), so a compiled program is re-run
for other ``v_rest``.  Test hooks: ``hold`` waits that long after the run (so a test can
kill a worker mid-run); the run fails on purpose while the file named by the environment
variable ``TINY_LIF_FAIL`` exists and holds this run's ``v_rest`` in mV.
"""
import os
import time

import numpy as np
from brian2 import Hz, Network, NeuronGroup, SpikeMonitor, mV, ms

from neuromodels.parameters import Parameter, ParameterSet, nonnegative, positive
from neuromodels.study import Study
from neuromodels.theory.lif import lif_rate_deterministic

EQUATIONS = """
dv/dt = (v_rest + drive - v) / tau : volt (unless refractory)
v_rest : volt (constant)
drive : volt (constant)
"""

PARAMETERS = ParameterSet(
    Parameter("v_rest", -45 * mV, "resting potential (the mean drive)", low=-80 * mV, high=0 * mV),
    nonnegative("spread", 4 * mV, "range of the per-neuron drive offsets"),
    positive("tau", 10 * ms, "membrane time constant"),
    Parameter("v_th", -50 * mV, "threshold"),
    Parameter("v_reset", -60 * mV, "reset"),
    nonnegative("t_ref", 2 * ms, "refractory period"),
    positive("duration", 200 * ms, "simulated time"),
    Parameter("n", 20, "neurons per seed", low=1, integer=True),
    Parameter("n_seeds", 1, "seeds (seed, seed + 1, ...)", low=1, integer=True),
    Parameter("hold", 0.0, "seconds to wait after the run (test hook)", low=0.0),
)


def _fail_on_purpose(p):
    marker = os.environ.get("TINY_LIF_FAIL")
    if marker and os.path.exists(marker):
        with open(marker) as f:
            if abs(float(f.read()) - float(p["v_rest"] / mV)) < 1e-9:
                raise RuntimeError(f"failing on purpose at v_rest = {p['v_rest']} "
                                   f"({marker} exists)")


def simulate(p, ctx):
    _fail_on_purpose(p)
    n, seeds = int(p["n"]), ctx.seeds

    def build():
        group = NeuronGroup(n * len(seeds), EQUATIONS, threshold="v > v_th", reset="v = v_reset",
                            refractory=p["t_ref"], method="exact",
                            namespace={k: p[k] for k in ("tau", "v_th", "v_reset")})
        drive = np.concatenate([np.random.default_rng(s).uniform(0, 1, n) for s in seeds])
        group.drive = drive * p["spread"]
        group.v = p["v_reset"]
        spikes = SpikeMonitor(group)
        return Network(group, spikes), group, spikes, drive * p["spread"]

    net, group, spikes, drive = ctx.program(build)
    ctx.run(net, p["duration"], values={"v_rest": group.v_rest})
    time.sleep(float(p["hold"]))
    return {"spikes": {"t": spikes.t[:], "i": np.asarray(spikes.i[:])}, "drive": drive,
            "seeds": np.array(seeds), "equations": {"lif": EQUATIONS}}


def measures(data):
    p, seeds = data["parameters"], data["seeds"]
    n, duration = int(p["n"]), p["duration"]
    block = np.asarray(data["spikes"]["i"]) // n
    rate = np.bincount(block, minlength=len(seeds)) / (n * duration)
    theory = lif_rate_deterministic(p["v_rest"] + data["drive"], p["tau"], p["v_th"],
                                    p["v_reset"], p["t_ref"])
    return {"rate": rate, "rate_theory": np.reshape(theory, (len(seeds), n)).mean(axis=1) * Hz}


def plot(data):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot(data["spikes"]["t"] / ms, data["spikes"]["i"], ".")
    ax.set(xlabel="time (ms)", ylabel="neuron")
    return fig


STUDY = Study(name="tiny-lif", title="tiny LIF population (sweep tests)", simulate=simulate,
              plot=plot, parameters=PARAMETERS, quick={"duration": 100 * ms},
              devices=("runtime", "cpp_standalone"), default_device="runtime",
              seeds_parameter="n_seeds", runtime_parameters=("v_rest",), measures=measures)
