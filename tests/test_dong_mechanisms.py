"""Dong et al. (2023) mechanisms on the Diehl & Cook network (networks/dong.py) against numpy
references of BrainCog's equations (codef.py, LateralInhibition.py) on the recorded spikes,
or a closed form; small networks on the numpy target."""
import numpy as np
import pytest
from brian2 import StateMonitor, mV, ms

from neuromodels.devices import brian2_settings
from neuromodels.networks.diehl_cook import diehl_cook

from .test_learning_unsupervised import RecordingProgram
from .test_learning_unsupervised_diehl_cook import _examples_rule

N_IN, N_EXC = 8, 3
SMALL = dict(dt=1 * ms, t_present=60 * ms, t_rest=10 * ms, J_input=6 * mV, w_init=0.6)
RATES = np.linspace(0.1, 0.5, N_IN)       # spike probabilities per step, one per input


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


class MembraneProgram(RecordingProgram):
    """Also records the excitatory membrane potentials every step."""

    def _build(self, state):
        super()._build(state)
        self.v = StateMonitor(self.groups["exc"], "v", record=True)
        self.brian_network.add(self.v)


class WeightProgram(RecordingProgram):
    """Also records the input -> exc weights at the end of every step."""

    def _build(self, state):
        super()._build(state)
        self.w = StateMonitor(self.synapses["input_to_exc"], "w", record=True, when="end")
        self.brian_network.add(self.w)


def _run(net, state, n_samples, lr_scale, program=RecordingProgram):
    program = program(net, n_samples)
    res = program.run(state, np.tile(RATES, (n_samples, 1)), np.zeros(n_samples),
                      lr_scale=lr_scale, seed=3)
    spikes = {name: (np.asarray(m.t / ms), np.asarray(m.i[:]))
              for name, m in program.spikes.items()}
    return program, res, spikes


def test_adaptive_inhibition_is_a_jump_proportional_to_the_targets_threshold_distance():
    """LateralInhibition.py:27 (mode 'threshold'): with the thresholds frozen (test samples),
    adaptive inhibition == fixed inh -> exc jumps -k (v_th - v_reset + theta_a_j) per target
    j, the closed form (membranes to 1e-12 mV); the uniform jump of Diehl & Cook differs by
    > 1 mV."""
    theta = np.array([0.0, 3.0, 6.0]) * mV
    adaptive = diehl_cook(N_IN, N_EXC, adaptive_inhibition=True, **SMALL)
    fixed = diehl_cook(N_IN, N_EXC, **SMALL)
    k = float(11.9 / 13.0)                                 # w_inh_exc / (v_th - v_reset)
    state = adaptive.initial_state(seed=1)
    state["exc", "theta_a"] = theta
    closed = fixed.initial_state(seed=1)
    closed["exc", "theta_a"] = theta
    mask = ~np.eye(N_EXC, dtype=bool)
    closed["inh_to_exc", "w"] = -k * (13 * mV + theta)[None, :] * mask
    uniform = closed.copy()
    uniform["inh_to_exc", "w"] = -11.9 * mV * mask
    runs = [_run(net, s, 2, 0.0, MembraneProgram) for net, s in
            ((adaptive, state), (fixed, closed), (fixed, uniform))]
    (p_a, res_a, spikes_a), (p_c, _, spikes_c), (p_u, _, _) = runs
    assert len(spikes_a["inh"][0]) >= 4                     # inhibition happened
    np.testing.assert_allclose(np.asarray(p_a.v.v / mV), np.asarray(p_c.v.v / mV), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(spikes_a["exc"][1], spikes_c["exc"][1])
    assert np.max(np.abs(np.asarray(p_a.v.v / mV) - np.asarray(p_u.v.v / mV))) > 1.0
    np.testing.assert_array_equal(np.asarray(res_a["state"]["exc", "theta_a"]),
                                  np.asarray(theta))        # frozen in test samples


def test_options_are_off_by_default_and_checked_at_construction():
    """Default: Diehl & Cook's parts only (fixed inhibition, STDP per event, no balance, no
    filter); bad option values are refused before anything is built."""
    from neuromodels.learning.plasticity import STDP
    from neuromodels.networks.dong import SynapticFilter, ThresholdBalance
    from neuromodels.parameters import ParameterError

    net = diehl_cook(N_IN, N_EXC)
    assert not any(isinstance(r, (ThresholdBalance, SynapticFilter)) for r in net.rules)
    assert "filter_gain" not in net.projections[0].synapse_model(net).on_pre
    assert next(r for r in net.rules if isinstance(r, STDP)).batch == 1
    assert next(p for p in net.projections if p.name == "inh_to_exc").synapse is None
    for bad, name in ((dict(batch=0), "batch"), (dict(k_inh=-1.0), "k_inh"),
                      (dict(theta_max=0 * mV), "theta_max"), (dict(k_inh=0.5), "k_inh"),
                      (dict(threshold_balance=True, theta_max=0 * mV), "theta_max"),
                      (dict(filter_slope=8.0), "filter_slope"),
                      (dict(synaptic_filter=True, filter_offset=1.5), "filter_offset"),
                      (dict(synaptic_filter=True, filter_slope=0.0), "filter_slope")):
        with pytest.raises(ParameterError, match=name):
            diehl_cook(N_IN, N_EXC, **bad)


def _balanced(theta, theta_max):
    """codef.py:239-241: all thresholds shifted down by the excess of the largest."""
    return theta - max(0.0, theta.max() - theta_max)


def test_threshold_balance_follows_braincogs_updatethresh():
    """codef.py:238-241 per training sample: theta_a_j += plus * I_j * n_j with I_j =
    J sum_i w_ij p_i (weights as normalised at the sample start), then the largest held at
    theta_max by a common shift; written out for the recorded spike counts (to 1e-9 mV).
    Two thresholds tie above theta_max at the start (the shift is the largest excess, not
    their sum); the balance acts again after sample 0; STDP off, no threshold decay (as
    BrainCog's)."""
    plus, theta_max, J = 0.3, 4.0, 6.0                      # mV
    net = diehl_cook(N_IN, N_EXC, threshold_balance=True, theta_gain=plus,
                     theta_max=theta_max * mV, nu_pre=0.0, nu_post=0.0,
                     exc_params={"tau_theta": 1e30 * ms}, **SMALL)
    state = net.initial_state(seed=1)
    state["exc", "theta_a"] = np.array([7.0, 7.0, 1.0]) * mV
    w0 = np.asarray(state["input_to_exc", "w"])
    _, res, spikes = _run(net, state, 2, 1.0)
    w = w0 * 0.1 * N_IN / w0.sum(axis=0)                    # normalised at sample 0's start
    drive = J * RATES @ w                                   # mV per step, per exc neuron
    T = int(round((SMALL["t_present"] + SMALL["t_rest"]) / ms))
    t_out, i_out = spikes["exc"]
    theta = _balanced(np.array([7.0, 7.0, 1.0]), theta_max)
    excess = []
    for k in range(2):
        n = np.bincount(i_out[(t_out >= k * T) & (t_out < (k + 1) * T)], minlength=N_EXC)
        assert n.sum() >= 2
        theta = theta + plus * drive * n
        excess.append(theta.max() - theta_max)
        if k == 0:                      # balanced at sample 1's start; not after the last
            theta = _balanced(theta, theta_max)
    assert excess[0] > 0.1 and excess[1] > 0.1
    np.testing.assert_allclose(np.asarray(res["state"]["exc", "theta_a"] / mV), theta,
                               rtol=0, atol=1e-9)


def _renamed_mirror(net, name):
    """``net`` with its exc -> inh projection named ``name`` (the balance told so)."""
    from neuromodels.learning import LearningNetwork, Projection
    from neuromodels.networks.dong import ThresholdBalance

    old = next(p for p in net.projections if p.name == "exc_to_inh")
    mirror = Projection("exc", "inh", connect="one_to_one", init="constant",
                        init_scale=old.p["init_scale"], plastic=False, name=name)
    balance = next(r for r in net.rules if isinstance(r, ThresholdBalance))
    rules = [ThresholdBalance(copy=name, **balance.p) if r is balance else r
             for r in net.rules]
    return LearningNetwork(net.input, list(net.layers.values()),
                           [mirror if p is old else p for p in net.projections], rules=rules,
                           readout=net.readout, T=net.T, dt=net.dt)


def test_threshold_balance_sums_run_in_their_own_order_whatever_the_names():
    """The balance's chained sums at a sample end (copy onto the mirror layer, rank, largest
    ones) run in the order the part gives them, not in the order of their objects' names:
    with the exc -> inh projection named 'z_mirror' (its copy's name sorts after the
    ranks') the thresholds and spikes are those of the network as named by default (which
    follow BrainCog's equation, test above; to 1e-12 mV), and the balance acted."""
    options = dict(threshold_balance=True, theta_gain=0.3, theta_max=4.0 * mV, nu_pre=0.0,
                   nu_post=0.0, exc_params={"tau_theta": 1e30 * ms}, **SMALL)
    named = diehl_cook(N_IN, N_EXC, **options)
    renamed = _renamed_mirror(named, "z_mirror")
    results = []
    for net in (named, renamed):
        state = net.initial_state(seed=1)
        state["exc", "theta_a"] = np.array([7.0, 7.0, 1.0]) * mV
        _, res, spikes = _run(net, state, 2, 1.0)
        results.append((np.asarray(res["state"]["exc", "theta_a"] / mV), spikes["exc"][1]))
    (theta_a, i_a), (theta_b, i_b) = results
    assert len(i_a) >= 4 and theta_a[0] < 6.0     # shifted down from 7 mV (no decay)
    np.testing.assert_array_equal(i_a, i_b)
    np.testing.assert_allclose(theta_b, theta_a, rtol=0, atol=1e-12)


def test_stb_stdp_sums_a_batch_of_samples_and_applies_it_at_the_batch_end():
    """STB-STDP (codef.py:466-474, batch 2): over four training samples, w == clip(w_b +
    Delta_2b + Delta_2b+1) per batch b, with Delta_k the example's rule written out for
    sample k's recorded spikes (to 1e-12) and w_b the weights normalised at the batch's start
    (the update before the normalisation, as BrainCog's step then normweight), and the
    weights of every step of batch b are w_b (recorded): no update nor normalisation between
    the samples of a batch; one sample (half a batch) changes nothing but the
    normalisation."""
    net = diehl_cook(N_IN, N_EXC, batch=2, **SMALL)
    state = net.initial_state(seed=1)
    w0 = np.asarray(state["input_to_exc", "w"])
    w = w0 * 0.1 * N_IN / w0.sum(axis=0)
    _, half, spikes = _run(net, state, 1, 1.0)
    assert len(spikes["exc"][0]) >= 2
    np.testing.assert_allclose(np.asarray(half["state"]["input_to_exc", "w"]), w, rtol=0,
                               atol=1e-15)
    program, res, spikes = _run(net, state, 4, 1.0, WeightProgram)
    (t_in, i_in), (t_out, i_out) = spikes["input"], spikes["exc"]
    T = int(round((SMALL["t_present"] + SMALL["t_rest"]) / ms))
    steps = np.asarray(program.w.w).reshape(N_IN, N_EXC, -1)     # w at every step's end
    for b in range(2):
        if b:
            w = w * 0.1 * N_IN / w.sum(axis=0)
        batch = steps[:, :, 2 * b * T:2 * (b + 1) * T]
        np.testing.assert_allclose(batch, np.broadcast_to(w[:, :, None], batch.shape), rtol=0,
                                   atol=1e-12)       # the same weights through the batch
        change = np.zeros_like(w)
        for k in (2 * b, 2 * b + 1):
            for i in range(N_IN):
                for j in range(N_EXC):
                    pre = t_in[(i_in == i) & (t_in >= k * T) & (t_in < (k + 1) * T)]
                    post = t_out[(i_out == j) & (t_out >= k * T) & (t_out < (k + 1) * T)]
                    change[i, j] += _examples_rule(pre, post)
        assert np.max(np.abs(change)) > 1e-3 and np.all((w + change > 0) & (w + change < 1))
        w = w + change
    np.testing.assert_allclose(np.asarray(res["state"]["input_to_exc", "w"]), w, rtol=0,
                               atol=1e-12)


def _filtered(drive, offset=0.4, slope=8.0):
    """codef.py:85-89 (n = codef.py:136-140's largest input of the layer, > 0):
    x -> n / (1 + exp(-(x - 4 n / 10) 8 / n))."""
    n = drive.max()
    return n / (1 + np.exp(-(drive - offset * n) * slope / n))


class GainProgram(WeightProgram):
    """Also records the filter's gain of the exc neurons at the end of every step."""

    def _build(self, state):
        super()._build(state)
        self.gain = StateMonitor(self.groups["exc"], "filter_gain", record=True, when="end")
        self.brian_network.add(self.gain)


def test_synaptic_filter_gives_each_neuron_braincogs_filtered_input():
    """codef.py:85-89 on the expected input per step I_j = J sum_i w_ij p_i: with the
    weights frozen (test samples), the filtered network == the plain one with the weights
    into j times f(I_j)/I_j, f BrainCog's filter with n = max_k I_k (membranes to 1e-12 mV,
    the same spikes); the gains differ from 1 by > 0.2, so a network without the filter
    (or another f) differs."""
    net = diehl_cook(N_IN, N_EXC, synaptic_filter=True, **SMALL)
    plain = diehl_cook(N_IN, N_EXC, **SMALL)
    state = net.initial_state(seed=1)
    w0 = np.asarray(state["input_to_exc", "w"])
    drive = 6.0 * RATES @ w0                                  # mV per step (J = 6 mV)
    gain = _filtered(drive) / drive
    assert np.max(np.abs(gain - 1)) > 0.2
    closed = plain.initial_state(seed=1)
    closed["input_to_exc", "w"] = w0 * gain[None, :]
    (p_f, _, spikes_f), (p_c, _, spikes_c) = [_run(n, s, 2, 0.0, MembraneProgram)
                                              for n, s in ((net, state), (plain, closed))]
    assert len(spikes_f["exc"][0]) >= 4
    np.testing.assert_allclose(np.asarray(p_f.v.v / mV), np.asarray(p_c.v.v / mV), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(spikes_f["exc"][1], spikes_c["exc"][1])


def test_synaptic_filter_follows_each_training_samples_input_and_normalised_weights():
    """Training samples of three different inputs p (STDP amplitudes 0, the threshold
    balance on as well: both read I_j): in every step of sample k the gain is
    f(I_j)/I_j of codef.py:85-89 for I = J p_k W_k, W_k the weights recorded in sample k
    (normalised at its start; sample 0's differ from the initial ones), to 1e-12; the
    neuron with the largest input changes between samples."""
    net = diehl_cook(N_IN, N_EXC, synaptic_filter=True, threshold_balance=True, nu_pre=0.0,
                     nu_post=0.0, **SMALL)
    state = net.initial_state(seed=1)
    stimuli = np.random.default_rng(5).uniform(0.05, 0.5, (3, N_IN))
    program = GainProgram(net, 3)
    program.run(state, stimuli, np.zeros(3), lr_scale=1.0, seed=3)
    T = int(round((SMALL["t_present"] + SMALL["t_rest"]) / ms))
    steps = np.asarray(program.w.w).reshape(N_IN, N_EXC, -1)
    gains = np.asarray(program.gain.filter_gain)                 # (N_EXC, steps)
    assert np.max(np.abs(steps[:, :, 0] - np.asarray(state["input_to_exc", "w"]))) > 1e-3
    for k in range(3):
        drive = 6.0 * stimuli[k] @ steps[:, :, k * T]
        expected = _filtered(drive) / drive
        np.testing.assert_allclose(gains[:, k * T:(k + 1) * T],
                                   np.broadcast_to(expected[:, None], (N_EXC, T)), rtol=1e-12,
                                   atol=0)
    largest = [np.argmax(stimuli[k] @ steps[:, :, k * T]) for k in range(3)]
    assert len(set(largest)) == 2             # the largest input moves from neuron to neuron


@pytest.mark.long
def test_all_four_options_run_alike_on_runtime_and_cpp_standalone(tmp_path):
    """Adaptive inhibition, threshold balance, STB-STDP and the synaptic filter together,
    four training samples: the same seed gives the same spikes, weights and thresholds on
    runtime (numpy) and in the one compiled C++ standalone run (the sums at sample ends in
    the same order; long: its compilation, ~100 s)."""
    from neuromodels.devices import use_device

    from .conftest import require_device

    require_device("cpp_standalone")
    net = diehl_cook(N_IN, N_EXC, adaptive_inhibition=True, threshold_balance=True,
                     theta_gain=0.3, theta_max=2 * mV, batch=2, synaptic_filter=True, **SMALL)
    state = net.initial_state(seed=1)

    def run(session=None):
        program = RecordingProgram(net, 4)
        res = program.run(state, np.tile(RATES, (4, 1)), np.zeros(4), lr_scale=1.0, seed=7,
                          session=session)
        return res, {name: np.asarray(m.i[:]) for name, m in program.spikes.items()}

    a, spikes_a = run()
    with use_device("cpp_standalone", build_root=tmp_path) as session:
        b, spikes_b = run(session)
    assert len(spikes_a["inh"]) >= 4
    for name in spikes_a:
        np.testing.assert_array_equal(spikes_a[name], spikes_b[name])
    for key in a["state"]:
        np.testing.assert_allclose(np.asarray(a["state"][key]), np.asarray(b["state"][key]),
                                   rtol=1e-12, atol=1e-15)


def test_an_evaluation_program_with_the_filter_is_refused_naming_it():
    """The filter's gains are computed in training programs only: an evaluation program
    (plastic=False) is refused when it is built, naming the part (it used to fail inside
    Brian2's build with "undefined name 'filter_gain_post'")."""
    from neuromodels.learning import LearningError, Program

    net = diehl_cook(N_IN, N_EXC, synaptic_filter=True)
    with pytest.raises(LearningError, match=r"SynapticFilter\('input_to_exc'.*training "
                                            r"programs only"):
        Program(net, 3, plastic=False)
    Program(net, 3, plastic=True)                     # a training program is fine
