"""Distal reward in a network (Izhikevich 2007, Fig. 2): one synapse among many is rewarded.

``n`` LIF neurons (CUBA, Poisson background drive) with ``k_in`` plastic
recurrent inputs each (fixed in-degree, reward-modulated STDP,
:mod:`neuromodels.synapses.reward`).  One synapse, ``i0 -> j0`` (the first one),
is rewarded: whenever ``j0`` fires within ``window`` after ``i0``, a dopamine
spike follows after a random delay in ``[delay_min, delay_max]`` and reaches
every neuron.  The rewarded synapse is not told apart in any other way: the
delayed dopamine meets its eligibility trace, while the other synapses'
traces are only up by chance.  Izhikevich ran 1000 Izhikevich neurons for an
hour; this is a smaller LIF version with faster learning.

The detector is in the network: a one-neuron dopamine group remembers the
latest spike of ``i0`` (a synapse from ``i0`` writes ``t_i0``), a synapse from
``j0`` schedules the reward (``t_reward``) when the pairing qualifies, and the
group fires at ``t_reward``; a pairing while a reward is pending earns none.

``copies`` independent networks (each drawn in turn from ``rng``, with its own
rewarded synapse and dopamine neuron) go into the same Brian2 objects, so that
seeds cost no extra code to compile: copy ``c`` has neurons ``c n ... (c + 1) n - 1``,
synapses ``c n k_in ...`` (its rewarded synapse first) and dopamine neuron ``c``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import (Hz, NeuronGroup, PoissonInput, SpikeMonitor, StateMonitor, Synapses, mV, ms,
                    second)

from ..connectivity import fixed_indegree
from ..devices.notes import keep_off_console
from ..model import SynapseModel
from ..neurons.lif import CUBA
from ..parameters import Parameter, ParameterSet, at_most, below, positive
from ..synapses.reward import dopamine_release, reward_stdp, with_dopamine

__all__ = ["PARAMETERS", "DistalReward", "build"]

PARAMETERS = ParameterSet(
    Parameter("n", 100, "neurons", low=2, integer=True),
    Parameter("k_in", 10, "plastic recurrent inputs per neuron", low=1, integer=True),
    positive("background_rate", 8 * Hz, "rate of each of the background inputs"),
    Parameter("background_n", 1000, "Poisson background inputs per neuron", low=1, integer=True),
    positive("background_w", 0.225 * mV, "background jump of g_e (about 1.3 Hz firing)"),
    positive("J", 0.5 * mV, "g_e jump of a recurrent synapse of weight 1"),
    positive("w_max", 4.0, "weight bound (Izhikevich: 4 mV, with J = 1 mV)"),
    positive("w_init", 1.0, "initial weight of every recurrent synapse (Izhikevich: 1 mV)"),
    positive("A_plus", 0.3, "eligibility per pre-before-post pair (fraction of w_max)"),
    positive("window", 10 * ms, "a pairing of i0 then j0 within this time is rewarded"),
    positive("delay_min", 1 * second, "shortest reward delay"),
    positive("delay_max", 3 * second, "longest reward delay"),
    below("k_in", "n", "inputs come from the other neurons"),
    at_most("w_init", "w_max"),
    at_most("delay_min", "delay_max"),
)


@dataclass
class DistalReward:
    neurons: NeuronGroup
    plastic: Synapses
    reward: NeuronGroup
    spikes: SpikeMonitor
    rewards: SpikeMonitor
    objects: list
    i0: np.ndarray
    j0: np.ndarray
    chosen: np.ndarray

    def results(self, chosen: StateMonitor, duration) -> dict:
        """After a run of ``duration``: per copy, the rewarded synapse's weight over time
        (``chosen``, a monitor of the synapses ``self.chosen``), every final weight (one row
        per copy, its rewarded synapse first), the rewards and the mean firing rate."""
        copies, n = len(self.i0), len(self.neurons) // len(self.i0)
        return {"t": chosen.t[:], "chosen": chosen.w[:],
                "w": np.reshape(self.plastic.w[:], (copies, -1)),
                "rewards": np.bincount(self.rewards.i[:], minlength=copies),
                "rate": np.bincount(self.spikes.i[:] // n, minlength=copies) / (n * duration)}


def build(p: dict, rng: np.random.Generator, rule: SynapseModel | None = None,
          copies: int = 1) -> DistalReward:
    """``copies`` networks for checked parameters ``p`` (of :data:`PARAMETERS`), drawn with
    ``rng``."""
    neuron = with_dopamine(CUBA)
    n, copies = int(p["n"]), int(copies)
    neurons = neuron.group(n * copies, name="distal_neurons*",
                           params={"v_rest": -60 * mV, "tau_e": 5 * ms})
    neurons.v = "v_reset + rand() * (v_th - v_reset)"
    background = PoissonInput(neurons, "g_e", int(p["background_n"]), p["background_rate"],
                              weight=p["background_w"])
    i, j = (np.concatenate(x) for x in zip(*[[c * n + a for a in fixed_indegree(
        n, n, int(p["k_in"]), rng, autapses=False)] for c in range(copies)]))
    rule = rule or reward_stdp("g_e", p["J"], w_max=p["w_max"], w_init=p["w_init"],
                               A_plus=p["A_plus"], A_minus=1.5 * p["A_plus"])
    plastic = rule.connect(neurons, neurons, i, j, name="distal_plastic*")
    chosen = np.arange(copies) * (len(i) // copies)
    i0, j0 = i[chosen], j[chosen]
    reward = NeuronGroup(copies, "t_i0 : second\nt_reward : second", threshold="t >= t_reward",
                         reset="t_reward = 1e9*second", name="distal_dopamine*")
    reward.t_i0, reward.t_reward = -1e9 * second, 1e9 * second
    remember = Synapses(neurons, reward, on_pre="t_i0_post = t", name="distal_remember*")
    remember.connect(i=i0, j=np.arange(copies))
    schedule = Synapses(neurons, reward, name="distal_schedule*", namespace=dict(
        window=p["window"], delay_min=p["delay_min"], delay_max=p["delay_max"]),
        on_pre="t_reward_post += int(t - t_i0_post < window and t_reward_post > 1e8*second) * "
               "(t + delay_min + rand() * (delay_max - delay_min) - t_reward_post)")
    schedule.connect(i=j0, j=np.arange(copies))
    # one synapse onto each reward neuron: Brian2's note that the order of the synapses
    # writing t_reward_post may matter cannot apply
    keep_off_console("brian2.codegen", "t_reward_post")
    release = dopamine_release().synapses(reward, neurons, name="distal_release*")
    release.connect(i=np.repeat(np.arange(copies), n), j=np.arange(n * copies))
    spikes = SpikeMonitor(neurons, name="distal_spikes*")
    rewards = SpikeMonitor(reward, name="distal_rewards*")
    return DistalReward(neurons, plastic, reward, spikes, rewards,
                        [neurons, background, plastic, reward, remember, schedule, release, spikes,
                         rewards], i0, j0, chosen)
