"""BioLCNet (networks.biolcnet; learning.reward) against BioLCNet's code: the reward of every
sample == the reference's scalar rule (decision-period class sums, argmax with ties to the
lower class, +1 / -1) for the recorded spikes; the readout's weight change == BindsNET's
MSTDP written out step by step for the recorded spikes and rewards; a short training on
scikit-learn digits 0, 1, 2 beats the same network with the reward switched off; misfits
said at construction.  Small networks on the numpy target."""
import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.devices import brian2_settings
from neuromodels.learning import InputLayer, Layer, LearningNetwork, Projection, Readout
from neuromodels.learning.reward import Reward, RewardSTDP
from neuromodels.networks.biolcnet import biolcnet, encoder
from neuromodels.neurons.noisy import with_surrogate
from neuromodels.neurons.thresholds import fixed_threshold
from neuromodels.parameters import ParameterError
from neuromodels.synapses.stdp import pair_stdp

from .test_learning_unsupervised import RecordingProgram

N_IN, N_CLASSES, PER_CLASS = 16, 3, 2
OBSERVE, DECIDE, LEARN = 8, 10, 12                     # steps of 1 ms
NU_OUT, TAU = 0.02, 20.0
SMALL = dict(kernel=2, stride=2, channels=2, n_classes=N_CLASSES, per_class=PER_CLASS,
             J_lc=20 * mV, J_out=25 * mV, inh_lc=20 * mV, inh_out=6 * mV, nu_out=NU_OUT,
             t_observe=OBSERVE * ms, t_decide=DECIDE * ms, t_learn=LEARN * ms)
T = OBSERVE + DECIDE + LEARN
LABELS = np.array([0, 1, 2, 1, 0, 2, 2, 1])


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


@pytest.fixture(scope="module")
def recorded():
    """One training run of len(LABELS) samples: initial state, result, spike matrices
    (steps, neurons) of 'lc' and 'output'."""
    net = biolcnet(N_IN, **SMALL)
    state = net.initial_state(seed=2)
    rng = np.random.default_rng(5)
    # readout weights away from the bounds: the closed form has no clipping
    state["lc_to_output", "w"] = rng.uniform(0.2, 0.8, state["lc_to_output", "w"].shape)
    x = rng.uniform(0.2, 1.0, (len(LABELS), N_IN))
    with brian2_settings(target="numpy"):
        program = RecordingProgram(net, len(LABELS))
        res = program.run(state, encoder(net)(x, net.T, rng), LABELS, lr_scale=1.0, seed=4)
    n_steps = len(LABELS) * T
    spikes = {}
    for name in ("lc", "output"):
        mon = program.spikes[name]
        s = np.zeros((n_steps + 1, program.groups[name].N))
        s[np.rint(np.asarray(mon.t / ms)).astype(int), np.asarray(mon.i[:])] = 1.0
        spikes[name] = s[:n_steps]
    return state, res, spikes


def _references_reward(out, labels, observe=OBSERVE, decide=DECIDE):
    """BioLCNet's scalar, static reward per sample (biolcnet.py:405-426, reward.py:47-51):
    output spikes of the decision period summed per class, torch.argmax (the first maximum),
    +1 if it is the label, else -1; also the decisions."""
    rewards, decisions = [], []
    for k, label in enumerate(labels):
        window = out[k * T + observe:k * T + observe + decide]
        sums = window.sum(axis=0).reshape(N_CLASSES, PER_CLASS).sum(axis=1)
        decisions.append(int(np.argmax(sums)))
        rewards.append(1.0 if decisions[-1] == label else -1.0)
    return np.array(rewards), np.array(decisions)


def _mstdp(pre, post, rewards, first=OBSERVE + DECIDE, last=T - 2, nu=NU_OUT, tau=TAU):
    """BindsNET's MSTDP (learning.py, MSTDP._connection_update; a_plus = 1, a_minus = -1,
    tc_plus = tc_minus = tau ms, dt 1 ms): step by step, the point eligibility e(n) =
    p_plus(n) s_post(n) - s_pre(n) p_minus(n) is credited nu*R in the next step, for the
    learning steps ``first ... last`` of each sample; traces start at 0 in every sample,
    and a pre and a post spike of one step count as pre before post (p_minus before the
    step's post spike)."""
    a = np.exp(-1.0 / tau)
    dw = np.zeros((pre.shape[1], post.shape[1]))
    for k, reward in enumerate(rewards):
        p_plus, p_minus = np.zeros(pre.shape[1]), np.zeros(post.shape[1])
        for step in range(T):
            s_pre, s_post = pre[k * T + step], post[k * T + step]
            p_plus = a * p_plus + s_pre
            p_minus = a * p_minus
            if first <= step <= last:
                dw += nu * reward * (np.outer(p_plus, s_post) - np.outer(s_pre, p_minus))
            p_minus = p_minus + s_post
    return dw


def test_reward_of_every_sample_is_the_references_decision(recorded):
    """-loss (the reward R recorded at each sample end) == the reference's rule for the
    recorded output spikes, with rewarded and punished samples; counting from the sample start
    or to its end instead of the decision period gives other rewards (the window matters)."""
    _, res, spikes = recorded
    want, decisions = _references_reward(spikes["output"], LABELS)
    got = -res["losses"]["output"]
    np.testing.assert_array_equal(got, want)
    assert np.any(want == 1) and np.any(want == -1)
    from_start, _ = _references_reward(spikes["output"], LABELS, observe=0,
                                       decide=OBSERVE + DECIDE)
    to_end, _ = _references_reward(spikes["output"], LABELS, decide=T - OBSERVE)
    assert np.any(from_start != want) and np.any(to_end != want)


def test_readout_weight_change_is_bindsnets_mstdp(recorded):
    """The lc -> output weights after the run - before == MSTDP written out for the recorded
    spikes and rewards (to 1e-12, no weight clipped); crediting every step of the sample,
    or ignoring the sign of the reward, differs by more than 1e-3."""
    state, res, spikes = recorded
    rewards, _ = _references_reward(spikes["output"], LABELS)
    w0 = np.asarray(state["lc_to_output", "w"])
    w1 = np.asarray(res["state"]["lc_to_output", "w"])
    assert np.all((w1 > 0) & (w1 < 1))
    want = _mstdp(spikes["lc"], spikes["output"], rewards)
    every = _mstdp(spikes["lc"], spikes["output"], rewards, first=0, last=T - 1)
    unsigned = _mstdp(spikes["lc"], spikes["output"], np.abs(rewards))
    assert np.max(np.abs(want)) > 1e-2
    assert np.max(np.abs(want - every)) > 1e-3 and np.max(np.abs(want - unsigned)) > 1e-3
    np.testing.assert_allclose(w1 - w0, want, rtol=0, atol=1e-12)


def test_no_weight_changes_on_test_samples(recorded):
    """lr_scale 0: the same run leaves every weight and threshold as it was."""
    net = biolcnet(N_IN, **SMALL)
    state = net.initial_state(seed=2)
    rng = np.random.default_rng(5)
    x = rng.uniform(0.2, 1.0, (2, N_IN))
    with brian2_settings(target="numpy"):
        from neuromodels.learning import Program

        res = Program(net, 2).run(state, encoder(net)(x, net.T, rng), LABELS[:2], lr_scale=0.0,
                                  seed=4)
    assert np.any(res["counts"]["output"])
    for key, value in state.items():
        np.testing.assert_array_equal(np.asarray(res["state"][key]), np.asarray(value))


def test_misfits_are_said_at_construction():
    """A learning period under 2 steps, a kernel larger than the image, R-STDP on a projection
    without the R-STDP synapse, and a reward without a learning period are said, naming the
    parameter."""
    with pytest.raises(ParameterError, match="'t_learn'"):
        biolcnet(N_IN, **{**SMALL, "t_learn": 1 * ms})
    with pytest.raises(ParameterError, match="'kernel'"):
        biolcnet(N_IN, **{**SMALL, "kernel": 5})
    out = Layer("output", 3, with_surrogate(fixed_threshold()))
    stdp = Projection("input", "output", synapse=pair_stdp("v", 1 * mV), init="uniform",
                      init_scale=1.0)
    with pytest.raises(ParameterError, match="R-STDP synapse model"):
        LearningNetwork(InputLayer(4), [out], [stdp], signals=[Reward("output", decide=2)],
                        rules=[RewardSTDP("input_to_output")], readout=Readout("output"), T=10)
    with pytest.raises(ParameterError, match="no learning period"):
        LearningNetwork(InputLayer(4), [out], [Projection("input", "output")],
                        signals=[Reward("output", observe=4, decide=5)],
                        readout=Readout("output"), T=10)


DIGITS = dict(kernel=4, stride=2, channels=2, n_classes=2, per_class=2, J_lc=12 * mV,
              J_out=6 * mV, nu_out=0.05, nu_lc_pre=0.0, nu_lc_post=0.0, t_observe=0 * ms,
              t_decide=20 * ms, t_learn=20 * ms)


def _digits(n_train=30, n_test=20):
    """scikit-learn's digits 0 and 1 (the package's split)."""
    from neuromodels.datasets.digits import load_digits

    x_tr, x_te, y_tr, y_te = load_digits()
    return (x_tr[y_tr < 2][:n_train], y_tr[y_tr < 2][:n_train], x_te[y_te < 2][:n_test],
            y_te[y_te < 2][:n_test])


def _start(net, x, y, seed):
    """The initial state with BioLCNet's classification-phase start: pre-trained LC weights
    (LC_weights_path; here channel c at every position = that patch of the class-c mean
    image, frozen: nu_lc 0) and a readout that maps each channel to the WRONG class (0.6,
    the right one 0.4), so that only learning from the reward can make it right."""
    state = net.initial_state(seed=seed)
    mask = net.projections[0].mask(net)
    n_lc = mask.shape[1]
    positions = n_lc // DIGITS["channels"]
    channel = np.arange(n_lc) // positions
    means = np.array([x[y == c].mean(axis=0) for c in range(DIGITS["n_classes"])])
    state["input_to_lc", "w"] = means[channel].T * mask
    out_class = np.arange(DIGITS["n_classes"] * DIGITS["per_class"]) // DIGITS["per_class"]
    state["lc_to_output", "w"] = np.where(channel[:, None] == out_class[None, :], 0.4, 0.6)
    return state


@pytest.mark.parametrize("seed", [1, 2])
def test_training_on_digits_beats_the_reward_switched_off(seed):
    """learning.train on 30 digits 0 and 1 (3 epochs; 20 test digits): from a readout that maps
    every feature to the wrong class, the reward makes the test accuracy >= 0.75; the same
    network with the reward switched off (r_plus = r_minus = 0) stays <= 0.3."""
    from neuromodels.learning import train

    x_tr, y_tr, x_te, y_te = _digits()
    accuracy = {}
    for r, epochs in ((1.0, 3), (0.0, 1)):
        net = biolcnet(64, **DIGITS, r_plus=r, r_minus=r)
        res = train(net, _start(net, x_tr, y_tr, seed), x_tr, y_tr, x_te, y_te, epochs=epochs,
                    encode=encoder(net), lr_schedule=lambda epoch, epochs: 1.0, seed=seed)
        accuracy[r] = res["history"]["test_accuracy"]
    assert accuracy[0.0][-1] <= 0.3 and accuracy[1.0][-1] >= 0.75


def test_a_program_refuses_a_network_with_another_built_in_parameter():
    """The readout's R-STDP rate is a constant of the compiled program, not a run-time value:
    a program built for one rate refuses a network with another, naming it (it re-ran the old
    rate on cpp_standalone); a network with the same values is adopted."""
    from neuromodels.learning import LearningError, Program
    from neuromodels.networks.biolcnet import scaled

    program = Program(scaled(64, 4, 3), 5)
    with pytest.raises(LearningError, match="lc_to_output's 'A_plus' = 0.0, the program's 0.05"):
        program.adopt(scaled(64, 4, 3, nu_out=0.0))
    program.adopt(scaled(64, 4, 3))
