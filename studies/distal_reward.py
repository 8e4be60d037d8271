"""Distal reward: one rewarded synapse among many (Izhikevich 2007, Cereb Cortex 17:2443, Fig. 2).

Reward-modulated STDP (:mod:`neuromodels.synapses.reward`) in a network of LIF neurons with
Poisson background drive (:mod:`neuromodels.networks.distal_reward`).  Whenever the rewarded
synapse's neurons fire in order within ``reward.window``, dopamine follows 1-3 s later and
reaches every synapse; only the rewarded synapse's eligibility trace is reliably up when it
arrives, so it alone should grow.  Izhikevich ran 1000 neurons for an hour; here
``networks`` independent networks of 100 LIF neurons with faster learning run for
``duration`` (one program holds them all, so seeds cost no extra build): at 600 s a network
had had 8 rewards and its rewarded synapse was not above the others, at 1800 s 92 and at
w_max.  ``neuromodels run distal-reward [--quick]``; the single-synapse check of the rule
(the expected weight change after one reward) is in ``plasticity-rules``.
"""
import numpy as np
from brian2 import Network, StateMonitor, mV, ms, second

from neuromodels.analysis.binning import value_histogram
from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.networks import distal_reward
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per, unprefixed
from neuromodels.study import Study

PARAMETERS = ParameterSet(
    positive("dt", 0.1 * ms, "time step"),
    positive("duration", 1800 * second, "network run (Izhikevich: 1 h)"),
    Parameter("networks", 3, "independent networks (error bars)", low=1, integer=True),
    numpy_target_parameter(),
    distal_reward.PARAMETERS.prefixed("reward."),
    steps_per("dt", "duration", at_least=100, what="run"),
    steps_per("dt", "reward.window", what="STDP window"),
)
# the quick run's window (100 ms) earns rewards by chance pairings within 20 s
QUICK = {"dt": 0.5 * ms, "duration": 20 * second, "networks": 2, "reward.n": 30,
         "reward.k_in": 5, "reward.window": 100 * ms, "numpy_target": True}


def simulate(p, ctx):
    with brian2_settings(dt=p["dt"], target="numpy" if p["numpy_target"] else None):
        net = distal_reward.build(unprefixed(p, "reward."), ctx.rng, copies=p["networks"])
        chosen = StateMonitor(net.plastic, "w", record=net.chosen, dt=1 * second)
        ctx.progress(f"distal reward: {p['networks']} networks, {float(p['duration']):g} s")
        ctx.run(Network(chosen, *net.objects), p["duration"])
        data = {"network": net.results(chosen, p["duration"])}
    data["equations"] = {"reward_stdp": str(net.plastic.equations)}
    return data


def results(data):
    """The rewarded synapse against the others at the end (README, Results)."""
    from neuromodels.results import mean_sd, table

    n = data["network"]
    w = np.asarray(n["w"])
    chosen, others = w[:, 0], w[:, 1:]
    above = 100 * (others >= chosen[:, None]).mean(axis=1)
    w_max = float(data["parameters"]["reward.w_max"])
    rows = [["rewarded synapse, final weight", f"grows towards w_max = {w_max:g}", mean_sd(chosen)],
            ["the other synapses, mean final weight", "stay below it",
             mean_sd(others.mean(axis=1))],
            ["others at or above the rewarded synapse", "few", mean_sd(above, digits=1, unit=" %")],
            ["rewards", "earned by chance pairings", " / ".join(map(str, n["rewards"]))]]
    return (table(["distal reward network", "expected", f"measured (over {chosen.size} networks)"],
                  rows))


def plot(data):
    import matplotlib.pyplot as plt

    n, w_max = data["network"], float(data["parameters"]["reward.w_max"])
    t, w = np.asarray(n["t"]), np.asarray(n["w"])
    unit = f"weight (× J = {float(data['parameters']['reward.J'] / mV):g} mV)"
    chosen, others = np.asarray(n["chosen"]), w[:, 1:]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    m, sd = chosen.mean(axis=0), chosen.std(axis=0)
    networks = f"{len(w)} network" + "s" * (len(w) != 1)
    a.plot(t, m, "C3", label=f"rewarded synapse, mean ± s.d. ({networks})")
    a.fill_between(t, m - sd, m + sd, color="C3", alpha=0.3, lw=0)
    o = others.mean(axis=1)
    a.axhspan(o.mean() - o.std(), o.mean() + o.std(), color="0.8",
              label="the other synapses' mean weight at the end, ± s.d.")
    a.set(xlabel="time (s)", ylabel=unit, ylim=(0, 1.05 * w_max),
          title="A  the rewarded synapse grows")
    a.legend(fontsize=8, loc="upper left")
    bins = np.linspace(0, w_max, 21)
    counts = value_histogram(others, w_max, len(bins) - 1) / others.shape[1] * 100
    b.bar(bins[:-1], counts.mean(axis=0), np.diff(bins), align="edge", color="0.6",
          yerr=counts.std(axis=0), capsize=2, label="other synapses, mean ± s.d. over networks")
    for k, x in enumerate(w[:, 0]):
        b.axvline(x, color="C3", lw=1.5, label="rewarded synapse (one line per network)"
                  if k == 0 else None)
    b.set(xlabel="final " + unit, ylabel="synapses (%)",
          title=f"B  final weights ({'/'.join(map(str, n['rewards']))} rewards)")
    b.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"Distal reward (Izhikevich 2007): {float(data['parameters']['duration']):g} s; "
                 f"device {data['attrs']['device']}, seed {data['attrs']['seed']}")
    return fig


STUDY = Study(name="distal-reward", simulate=simulate, plot=plot, results=results,
              parameters=PARAMETERS, quick=QUICK, devices=("runtime", "cpp_standalone"),
              title="Izhikevich (2007) distal reward: one rewarded synapse among many grows",
              reference="Izhikevich 2007")
