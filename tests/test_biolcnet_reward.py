"""BioLCNet's reward options (learning.reward.Reward: variant 'per_spike', sub_variant 'RPE',
baseline) against a numpy transcription of BioLCNet's ``reward.py``
(``DynamicDopamineInjection.compute`` and ``update``, as ``biolcnet.py`` calls them) on the
recorded output spikes, and the readout's weight change with a baseline against BindsNET's
MSTDP written out step by step (tests/test_biolcnet.py's transcription) for R minus the
running mean.  Small networks on the numpy target."""
import copy

import numpy as np
import pytest
from brian2 import ms

from neuromodels.devices import brian2_settings
from neuromodels.networks.biolcnet import biolcnet, encoder

from .test_biolcnet import (DECIDE, N_CLASSES, N_IN, OBSERVE, PER_CLASS, SMALL, T,
                            _mstdp)
from .test_learning_unsupervised import RecordingProgram

LABELS = np.array([0, 1, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2])
#: test samples (lr_scale 0) in the middle: the reference neither adapts nor predicts there
LR = np.array([1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1], dtype=float)
LEARN = T - OBSERVE - DECIDE


class DynamicDopamineInjection:
    """BioLCNet's reward.py:39-134 (compute, update) for variant 'scalar' / 'per_spike' and
    sub_variant 'static' / 'RPE' with dopamine_base 0, in numpy:
    ``compute(give_reward=False)`` at the start of a training run (RPE: adapts the bases),
    ``compute(give_reward=True)`` at step observation + decision (the dopamine R),
    ``update(accumulated_reward)`` after the run with the rewards the RewardMonitor recorded
    (biolcnet.py:361-426, 660-663)."""

    def __init__(self, reward_base, punishment_base, td_nu, dps_factor):
        self.rew_base, self.punish_base = reward_base, punishment_base
        self.dps, self.neg_dps = reward_base, punishment_base
        self.td_nu, self.dps_factor = td_nu, dps_factor
        self.accumulated_reward, self.reward_predict_episode = 0.0, 0.0

    def compute(self, variant, sub_variant, give_reward, label=None, sum_spikes=None):
        dopamine = 0.0
        if give_reward:
            pred_label = int(np.argmax(sum_spikes))
            target = sum_spikes[label]
            if variant == "scalar":
                dopamine += self.rew_base if pred_label == label else -self.punish_base
            else:
                dopamine += target * self.rew_base - (sum_spikes.sum() - target) * \
                    self.punish_base
        elif sub_variant == "RPE":
            error = self.accumulated_reward - self.reward_predict_episode
            f = self.dps_factor
            self.rew_base = np.clip(self.rew_base - self.td_nu * error, self.dps / f,
                                    self.dps * f)
            self.punish_base = np.clip(self.punish_base + self.td_nu * error,
                                       self.neg_dps / f, self.neg_dps * f)
        return dopamine

    def update(self, accumulated_reward, ema_window):
        self.accumulated_reward = accumulated_reward
        self.reward_predict_episode = (1 - 1 / ema_window) * self.reward_predict_episode + \
            accumulated_reward / ema_window


def _class_sums(out, k):
    window = out[k * T + OBSERVE:k * T + OBSERVE + DECIDE]
    return window.sum(axis=0).reshape(N_CLASSES, PER_CLASS).sum(axis=1)


def _reference_rewards(out, variant, sub_variant, td_nu, ema_window, dps_factor,
                       r_plus=1.0, r_minus=1.0, lr=LR):
    """R of every sample by the transcription; on test samples (the reference computes none)
    with the bases the next training sample will use (the package adapts them at the end of
    a training sample, the reference at the start of the next one)."""
    ref = DynamicDopamineInjection(r_plus, r_minus, td_nu, dps_factor)
    rewards = []
    for k, label in enumerate(LABELS):
        rule = ref if lr[k] > 0 else copy.copy(ref)
        rule.compute(variant, sub_variant, give_reward=False)
        rewards.append(rule.compute(variant, sub_variant, True, label, _class_sums(out, k)))
        if lr[k] > 0:     # the monitor recorded 0 before the decision, R from it to the end
            ref.update(accumulated_reward=LEARN * rewards[-1], ema_window=ema_window)
    return np.array(rewards)


@pytest.fixture(scope="module")
def runs():
    """Per option set: the network's initial state, the run's result and its output and lc
    spike matrices (steps, neurons); the same input and seeds for all."""
    options = {"static": {}, "rpe": dict(reward_sub_variant="RPE", td_nu=0.02, ema_window=3.0,
                                         dps_factor=1.1),
               "per_spike": dict(reward_variant="per_spike", r_plus=0.3, r_minus=0.1),
               "per_spike_rpe": dict(reward_variant="per_spike", reward_sub_variant="RPE",
                                     r_plus=0.3, r_minus=0.1, td_nu=0.002, ema_window=4.0,
                                     dps_factor=3.0),
               "baseline": dict(reward_baseline=3)}
    out = {}
    with brian2_settings(target="numpy"):
        for key, params in options.items():
            net = biolcnet(N_IN, **{**SMALL, **params})
            state = net.initial_state(seed=2)
            rng = np.random.default_rng(5)
            state["lc_to_output", "w"] = rng.uniform(0.3, 0.7, state["lc_to_output", "w"].shape)
            x = rng.uniform(0.2, 1.0, (len(LABELS), N_IN))
            program = RecordingProgram(net, len(LABELS))
            res = program.run(state, encoder(net)(x, net.T, rng), LABELS, lr_scale=LR, seed=4)
            spikes = {}
            for name in ("lc", "output"):
                mon = program.spikes[name]
                s = np.zeros((len(LABELS) * T + 1, program.groups[name].N))
                s[np.rint(np.asarray(mon.t / ms)).astype(int), np.asarray(mon.i[:])] = 1.0
                spikes[name] = s[:len(LABELS) * T]
            out[key] = state, res, spikes, params
    return out


def test_rpe_rewards_are_the_references_adapted_bases(runs):
    """sub_variant 'RPE': R of every sample (-loss) == the transcription's, to 1e-12, with the
    bases moved by the prediction error (some |R| != 1) and one clipped at its bound
    (dps_factor 1.1); the static rule's +-1 for the same decisions differ."""
    _, res, spikes, p = runs["rpe"]
    want = _reference_rewards(spikes["output"], "scalar", "RPE", p["td_nu"], p["ema_window"],
                              p["dps_factor"])
    np.testing.assert_allclose(-res["losses"]["output"], want, rtol=0, atol=1e-12)
    assert np.any(want > 0) and np.any(want < 0)
    assert np.max(np.abs(np.abs(want) - 1)) > 0.05
    assert np.any(np.isclose(np.abs(want), 1.1)) or np.any(np.isclose(np.abs(want), 1 / 1.1))
    static = _reference_rewards(spikes["output"], "scalar", "static", 0, 1, 1)
    assert np.max(np.abs(static - want)) > 0.05
    # adapting on the test samples too (no lr_scale gate) gives other rewards
    ungated = _reference_rewards(spikes["output"], "scalar", "RPE", p["td_nu"],
                                 p["ema_window"], p["dps_factor"], lr=np.ones_like(LR))
    assert np.max(np.abs(ungated - want)) > 1e-3


@pytest.mark.parametrize("key", ["per_spike", "per_spike_rpe"])
def test_per_spike_rewards_are_the_references(runs, key):
    """variant 'per_spike' (static and RPE): R == r_plus x the label's decision-period spikes
    - r_minus x the others' (the transcription; bases adapted for RPE), to 1e-12."""
    _, res, spikes, p = runs[key]
    sub = p.get("reward_sub_variant", "static")
    want = _reference_rewards(spikes["output"], "per_spike", sub, p.get("td_nu", 0.0),
                              p.get("ema_window", 1.0), p.get("dps_factor", 1.0),
                              p["r_plus"], p["r_minus"])
    np.testing.assert_allclose(-res["losses"]["output"], want, rtol=0, atol=1e-12)
    assert len(np.unique(np.round(want, 9))) > 3
    if sub == "RPE":
        static = _reference_rewards(spikes["output"], "per_spike", "static", 0, 1, 1,
                                    p["r_plus"], p["r_minus"])
        assert np.max(np.abs(static - want)) > 1e-3


def test_baseline_weight_change_is_mstdp_with_r_minus_running_mean(runs):
    """baseline N: -loss is still the reference's +-1; the lc -> output weight change ==
    MSTDP with R - Rbar (Rbar from 0, += (R - Rbar)/N after every training sample), to
    1e-12; MSTDP with R itself, or with Rbar moved on the test samples too, differs by more
    than 1e-3."""
    state, res, spikes, p = runs["baseline"]
    rewards = _reference_rewards(spikes["output"], "scalar", "static", 0, 1, 1)
    np.testing.assert_array_equal(-res["losses"]["output"], rewards)

    def delivered(lr):
        mean, out = 0.0, []
        for r, scale in zip(rewards, lr):
            out.append(r - mean)
            mean += scale * (r - mean) / p["reward_baseline"]
        return np.array(out) * LR

    w0 = np.asarray(state["lc_to_output", "w"])
    w1 = np.asarray(res["state"]["lc_to_output", "w"])
    assert np.all((w1 > 0) & (w1 < 1))
    want = _mstdp(spikes["lc"], spikes["output"], delivered(LR))
    plain = _mstdp(spikes["lc"], spikes["output"], rewards * LR)
    ungated = _mstdp(spikes["lc"], spikes["output"], delivered(np.ones_like(LR)))
    assert np.max(np.abs(want - plain)) > 1e-3 and np.max(np.abs(want - ungated)) > 1e-3
    np.testing.assert_allclose(w1 - w0, want, rtol=0, atol=1e-12)


def test_options_off_build_the_static_reward(runs):
    """With every option at its default the run is the static one of test_biolcnet: R = +-1
    by the decision."""
    _, res, spikes, _ = runs["static"]
    want = _reference_rewards(spikes["output"], "scalar", "static", 0, 1, 1)
    np.testing.assert_array_equal(-res["losses"]["output"], want)
