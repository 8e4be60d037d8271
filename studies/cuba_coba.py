"""Brette et al. (2007) benchmark networks CUBA and COBA: raster, rate, ISI CV, rate histogram.

Reference: Brette R et al. (2007) Simulation of networks of spiking neurons:
a review of tools and strategies. J Comput Neurosci 23:349-398 (benchmarks 1
and 2, after Vogels & Abbott 2005).  4000 LIF neurons, 80 % excitatory,
connection probability 2 %, asynchronous irregular activity.  CUBA is driven by its
resting potential above threshold; COBA has no external input and sustains itself from
R. Brette's published initial state (see :mod:`neuromodels.networks.brette2007`).

    neuromodels run cuba-coba [--device runtime|cpp_standalone|genn] [--quick]

Both networks are built into one Brian2 network and run once, so there is one
build on standalone devices (and GeNN's one-run limit is respected).  The drives
(``cuba.v_rest``, ``coba.I_ext``, 0 pA in benchmark 1) are per-neuron values, so a sweep
over them re-runs one compiled program (spike trains identical to the drives as constants):

    neuromodels sweep cuba-coba --quick --seeds 0-4 --grid coba.I_ext=0*pA,50*pA,100*pA
"""
from dataclasses import replace

import numpy as np
from brian2 import Hz, Network, ms, second

from neuromodels.analysis.spiketrains import firing_rates, isi_cv, population_rate
from neuromodels.connectivity import fixed_probability_count
from neuromodels.devices import brian2_settings
from neuromodels.networks import brette2007
from neuromodels.parameters import (Parameter, ParameterSet, at_most, positive, steps_per,
                                    unprefixed)
from neuromodels.study import Study

NETWORKS = ("cuba", "coba")
#: The drive of each network: a run-time value (re-run a compiled program for another drive).
DRIVES = {"cuba": "v_rest", "coba": "I_ext"}

PARAMETERS = ParameterSet(
    positive("duration", 1 * second, "simulated time"),
    positive("dt", 0.1 * ms, "integration time step (Brette et al. 2007 used 0.1 ms)"),
    brette2007.STRUCTURE,
    Parameter("raster_neurons", 400, "neurons shown in the raster", low=1, integer=True),
    *(brette2007.BENCHMARKS[name].parameters.prefixed(f"{name}.") for name in NETWORKS),
    steps_per("dt", "duration", at_least=100, what="run"),
    *(steps_per("dt", f"{name}.{tau}", what="time constant")
      for name in NETWORKS for tau in ("tau_e", "tau_i")),
    steps_per("dt", "cuba.tau_m", what="membrane time constant"),
    steps_per("dt", "coba.C_m", "coba.g_l", what="membrane time constant"),
    *(at_most(f"{name}.t_ref", "duration", "a refractory period longer than the run")
      for name in NETWORKS),
)


def simulate(p, ctx):
    def build():
        built = {}
        for name, drive in DRIVES.items():
            benchmark = brette2007.BENCHMARKS[name]
            # the drive as a per-neuron value, so that a compiled program takes it at run time
            benchmark = replace(benchmark, neuron=benchmark.neuron.per_neuron(drive))
            values = {k: v for k, v in p.items() if k in brette2007.STRUCTURE}
            values.update(unprefixed(p, name + "."))
            built[name] = brette2007.build(benchmark, values, ctx.rng)
        return built, Network(*[obj for b in built.values() for obj in b.objects])

    with brian2_settings(dt=p["dt"]):  # every object runs on the default clock (GeNN)
        built, net = ctx.program(build)
        ctx.run(net, p["duration"], values={f"{name}.{drive}": getattr(built[name].neurons, drive)
                                            for name, drive in DRIVES.items()})
    data = {"equations": {}, "populations": {}}
    for name, b in built.items():
        model = brette2007.BENCHMARKS[name].neuron.per_neuron(DRIVES[name])
        data["equations"][name] = str(model)
        data["populations"][name] = {
            "spikes": {"t": b.spikes.t[:], "i": np.asarray(b.spikes.i[:])},
            "n": len(b.neurons), "n_exc": b.n_exc,
        }
    return data


def sizes(p):
    """Both networks' neurons, synapses and spikes (at most 30 Hz), for the memory estimate."""
    n = p["n"]
    synapses = fixed_probability_count(n, n, p["p_connect"], autapses=False)
    return {"neurons": 2 * n, "synapses": 2 * synapses,
            "recorded": 2 * n * 30 * float(p["duration"] / second)}


def _statistics(data, name):
    """Per-neuron firing rates (Hz) and ISI CVs of neurons with >= 3 spikes of one network."""
    pop = data["populations"][name]
    i, t, n = pop["spikes"]["i"], pop["spikes"]["t"], int(pop["n"])
    cv = isi_cv(i, t, n)  # NaN for neurons with fewer than 3 spikes
    return np.asarray(firing_rates(i, t, n, data["parameters"]["duration"])), cv[np.isfinite(cv)]


def measures(data):
    """Mean firing rate and mean ISI CV of each network (for sweeps)."""
    out = {}
    for name in NETWORKS:
        rates, cv = _statistics(data, name)
        out[f"{name}_rate"] = rates.mean() * Hz
        out[f"{name}_cv"] = cv.mean() if cv.size else np.nan
    return out


def plot(data):
    import matplotlib.pyplot as plt

    p = data["parameters"]
    duration = p["duration"]
    fig, axes = plt.subplots(len(NETWORKS), 4, figsize=(15, 3.4 * len(NETWORKS)),
                             gridspec_kw={"width_ratios": [2.2, 1.6, 1, 1]}, squeeze=False)
    for row, name in zip(axes, NETWORKS):
        pop = data["populations"][name]
        n, n_exc = int(pop["n"]), int(pop["n_exc"])
        i, t = pop["spikes"]["i"], pop["spikes"]["t"]
        rates, valid = _statistics(data, name)
        shown = int(min(p["raster_neurons"], n))
        # raster: the first excitatory and the first inhibitory neurons, in proportion
        n_show_e = int(round(shown * n_exc / n))
        sel_e = i < n_show_e
        sel_i = (i >= n_exc) & (i < n_exc + shown - n_show_e)
        row[0].plot(t[sel_e] / ms, i[sel_e], ".", ms=1, color="C0", label="excitatory")
        row[0].plot(t[sel_i] / ms, i[sel_i] - n_exc + n_show_e, ".", ms=1, color="C3",
                    label="inhibitory")
        row[0].set(xlabel="time (ms)", ylabel="neuron (excitatory, then inhibitory)",
                   ylim=(-0.02 * shown, 1.2 * shown),  # the legend above the dots
                   title=f"{name.upper()}: raster ({shown} of {n} neurons)")
        row[0].legend(loc="upper right", markerscale=8, fontsize=8, ncols=2)
        centres, rate = population_rate(t, n, duration, 5 * ms)
        row[1].plot(centres * 1e3, rate, color="k", lw=0.8)
        row[1].axhline(rates.mean(), color="C1", ls="--",
                       label=f"mean {rates.mean():.1f} Hz")
        row[1].set(xlabel="time (ms)", ylabel="population rate (Hz)",
                   ylim=(0, 1.3 * np.max(rate)), title="population rate (5 ms bins)")
        row[1].legend(fontsize=8, loc="upper right")
        counts = row[2].hist(valid, bins=30, color="C2")[0]
        row[2].axvline(np.mean(valid), color="k", ls="--", label=f"mean {np.mean(valid):.2f}")
        row[2].set(xlabel=f"ISI CV ({valid.size} neurons with ≥ 3 spikes)", ylabel="neurons",
                   ylim=(0, counts.max() * 5 / 4),  # the legend above the peak
                   title="ISI coefficient of variation")
        row[2].legend(fontsize=8, loc="upper right")
        row[3].hist(rates, bins=30, color="C4")
        row[3].set(xlabel="firing rate (Hz)", ylabel="neurons", title="firing-rate distribution")
    attrs = data["attrs"]
    fig.suptitle(f"Brette et al. (2007) benchmarks; device {attrs['device']}, "
                 f"seed {attrs['seed']}, {float(duration / second):g} s simulated", fontsize=11)
    fig.tight_layout()
    return fig


def results(data):
    """Rates, ISI CV and silent neurons of both networks (README, Results)."""
    from neuromodels.results import table

    rows = []
    for name in NETWORKS:
        n_exc = int(data["populations"][name]["n_exc"])
        rates, valid = _statistics(data, name)
        rows.append([name.upper(), f"{rates.mean():.2f} Hz",
                     f"{rates[:n_exc].mean():.2f} / {rates[n_exc:].mean():.2f} Hz",
                     f"{valid.mean():.2f} ({valid.size} neurons)",
                     f"{100 * np.mean(rates == 0):.1f} %"])
    return table(["network", "mean rate", "excitatory / inhibitory",
                  "mean ISI CV (neurons with ≥ 3 spikes)", "silent neurons"], rows)


STUDY = Study(
    name="cuba-coba",
    title="Brette et al. 2007 CUBA/COBA benchmark networks (raster, rate, ISI CV)",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    quick={"duration": 0.4 * second},
    sizes=sizes,
    results=results,
    reference="Brette et al. (2007) J Comput Neurosci 23:349",
    runtime_parameters=tuple(f"{name}.{drive}" for name, drive in DRIVES.items()),
    measures=measures,
)
