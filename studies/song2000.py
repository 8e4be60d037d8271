"""Competitive Hebbian learning through STDP (Song, Miller & Abbott 2000, Nat Neurosci 3:919).

1000 Poisson inputs (15 Hz) drive one LIF neuron through additive pair STDP with depression
slightly stronger than potentiation; the weights, uniform at the start, are driven apart to
both bounds: a bimodal distribution (:mod:`neuromodels.networks.song2000`, as Brian2's
``examples/synapses/STDP.py``, which reports 28 % of the weights below 0.1 w_max and 17.6 %
above 0.9 w_max after 100 s).  ``neurons`` independent neurons give the error bars.
``neuromodels run song2000 [--quick]``.
"""
import numpy as np
from brian2 import Network, ms, second

from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.networks import song2000
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per
from neuromodels.study import Study

PARAMETERS = ParameterSet(
    positive("dt", 0.1 * ms, "time step"),
    positive("duration", 100 * second, "run (Brian2's examples/synapses/STDP.py: 100 s)"),
    Parameter("neurons", 10, "independent neurons, 1000 inputs each", low=1, integer=True),
    numpy_target_parameter(),
    steps_per("dt", "duration", at_least=100, what="run"),
    steps_per("dt", 5 * ms, what="synaptic time constant (tau_e)"),
)
QUICK = {"dt": 0.5 * ms, "duration": 5 * second, "neurons": 2, "numpy_target": True}


def simulate(p, ctx):
    with brian2_settings(dt=p["dt"], target="numpy" if p["numpy_target"] else None):
        song = song2000.build(p["neurons"], p["duration"], ctx.rng)
        ctx.progress(f"Song et al.: {p['neurons']} neurons, {float(p['duration']):g} s")
        ctx.run(Network(*song.objects), p["duration"])
        data = {"song": song.results(p["duration"])}
    data["equations"] = {"stdp": str(song.synapses.equations)}
    return data


def results(data):
    """The fractions of weights at either bound (README, Results)."""
    from neuromodels.results import mean_sd, table

    low, high = (100 * f for f in song2000.bimodality(data["song"]["w"]))
    measured = (f"{mean_sd(low, digits=1)} % < 0.1, {mean_sd(high, digits=1)} % > 0.9 w_max "
                f"(over {low.size} neurons)")
    return table(["validation", "reference", "measured"],
                 [["Song et al. 2000, additive STDP, 1000 inputs",
                   "Brian2's example: 28 % < 0.1, 17.6 % > 0.9 w_max", measured]])


def plot(data):
    import matplotlib.pyplot as plt

    s, duration = data["song"], float(data["parameters"]["duration"])
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    counts, bins = song2000.histogram(s["w"]), np.linspace(0, 1, 21)
    low, high = (100 * f for f in song2000.bimodality(s["w"]))
    ddof = int(low.size > 1)  # sample s.d. over neurons
    a.bar(bins[:-1], counts.mean(axis=0), 0.05, align="edge", color="C2",
          yerr=counts.std(axis=0, ddof=ddof), capsize=2,
          label=f"mean ± s.d. over {low.size} neuron{'s' * (low.size != 1)}")
    a.axhline(50, color="k", ls=":", lw=1, label="at the start (uniform)")
    a.set(xlabel="w / w_max", ylabel="synapses per neuron",
          title=f"A  weights after {duration:g} s")
    a.legend(fontsize=8, loc="upper center")
    t = np.append(s["t"], duration)  # the ten snapshots, then the end
    w_t = np.column_stack([s["w_t"], s["w"]])
    snapshots = np.array([song2000.bimodality(w_t[:, k]) for k in range(t.size)]) * 100
    for k, (label, end) in enumerate((("w < 0.1 w_max", low), ("w > 0.9 w_max", high))):
        m, e = snapshots[:, k].mean(axis=1), snapshots[:, k].std(axis=1, ddof=ddof)
        b.errorbar(t, m, e, fmt="o-", color=f"C{k}", ms=4, capsize=2,
                   label=f"{label}: {end.mean():.1f} ± {end.std(ddof=ddof):.1f} % at the end")
    b.axhline(28, color="C0", ls=":", lw=1, label="Brian2's example (one neuron, 100 s)")
    b.axhline(17.6, color="C1", ls=":", lw=1)
    b.set(xlabel="time (s)", ylabel="synapses (%, mean ± s.d. over neurons)", ylim=(0, None),
          title="B  the weights move to the bounds")
    b.legend(fontsize=8, loc="lower right")
    fig.suptitle(f"Song, Miller & Abbott (2000): additive STDP, 1000 Poisson inputs; "
                 f"device {data['attrs']['device']}, seed {data['attrs']['seed']}")
    return fig


STUDY = Study(name="song2000", simulate=simulate, plot=plot, results=results,
              parameters=PARAMETERS, quick=QUICK, devices=("runtime", "cpp_standalone"),
              title="Song et al. (2000): additive STDP drives 1000 input weights to both bounds",
              reference="Song, Miller & Abbott 2000")
