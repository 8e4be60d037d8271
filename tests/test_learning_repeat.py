""""Show again brighter" (Diehl & Cook 2015; Brian2's Diehl_Cook_2015.py) decided inside the
generated code: which samples were shown again, how often, and at which intensity, against a
pure-Python replay of the example's rule on the recorded spikes; a network whose samples
all pass gives the same spikes and state, bit for bit, as without the option."""
import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.analysis.binning import bin_spikes
from neuromodels.devices import brian2_settings, use_device
from neuromodels.learning import Program
from neuromodels.learning.errors import LearningError
from neuromodels.networks.diehl_cook import diehl_cook
from neuromodels.parameters import ParameterError

from .conftest import require_device
from .test_learning_unsupervised import RecordingProgram

N_IN, N_EXC, N_SAMPLES = 12, 5, 5
SMALL = dict(dt=1 * ms, t_present=60 * ms, t_rest=10 * ms, w_init=0.6)
PRESENT = 60


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _replay(totals, n_samples, below, cap):
    """The example's loop on the slots' exc spike totals: (sample, repetition) per slot."""
    j, r, out = 0, 0, []
    for total in totals:
        out.append((j, r))
        if total >= below or r >= cap:
            j, r = j + 1, 0
        else:
            r += 1
    return np.array(out).T


def _per_slot(mon, n_slots, T, n):
    return bin_spikes(np.asarray(mon.t_), n_slots * T * 1e-3, T * 1e-3, i=np.asarray(mon.i[:]),
                      n=n)


def test_samples_with_few_spikes_are_shown_again_brighter_as_the_examples_loop():
    """5 samples from weak to strong (J = 3 mV), so that some need repeats (below 5, cap
    3) and some do not: the slots' samples and repetitions equal the replay of the
    example's rule on the exc spikes recorded by a SpikeMonitor; each sample keeps the
    counts of its last showing;
    the input spikes of every slot match the shown sample's probabilities times 1 + r/2
    (within 5 binomial SDs; without the factor the repeated slots would be off by more)."""
    net = diehl_cook(N_IN, N_EXC, J_input=3 * mV, repeat_below=5, max_repeats=3, spare=3,
                     **SMALL)
    scale = np.array([0.5, 0.8, 1.2, 1.6, 2.0])[:, None]       # weak to strong samples
    rates = np.random.default_rng(0).uniform(0.0, 0.2, (N_SAMPLES, N_IN)) * scale
    program = RecordingProgram(net, N_SAMPLES)
    res = program.run(net.initial_state(seed=1), rates, np.zeros(N_SAMPLES), lr_scale=1.0,
                      seed=2)
    n_slots = program.schedule.n_slots
    assert n_slots == 4 * N_SAMPLES
    exc = _per_slot(program.spikes["exc"], n_slots, net.T, N_EXC)
    sample, repeat = _replay(exc.sum(axis=1), N_SAMPLES, 5, 3)
    sample = np.minimum(sample, N_SAMPLES)                  # N_SAMPLES: no sample (spare)
    np.testing.assert_array_equal(res["slots"]["sample"], sample)
    np.testing.assert_array_equal(res["slots"]["repeat"], repeat)
    last = [np.flatnonzero(sample == k)[-1] for k in range(N_SAMPLES)]
    np.testing.assert_array_equal(res["repeats"], repeat[last])
    np.testing.assert_array_equal(res["counts"]["exc"], exc[last])
    assert 0 < np.sum(res["repeats"] > 0) < N_SAMPLES and np.any(res["repeats"] == 3)
    inp = _per_slot(program.spikes["input"], n_slots, net.T, N_IN).sum(axis=1)
    padded = np.vstack([rates, np.zeros((1, N_IN))])
    p = padded[sample] * (1 + 0.5 * repeat)[:, None]
    mean, sd = PRESENT * p.sum(axis=1), np.sqrt(PRESENT * (p * (1 - p)).sum(axis=1))
    assert np.all(np.abs(inp - mean) <= 5 * sd + 1e-9)
    plain = PRESENT * padded[sample].sum(axis=1)
    brighter = (repeat >= 2) & (sample < N_SAMPLES)
    assert np.any(brighter) and np.all(np.abs(inp - plain)[brighter] > 5 * sd[brighter])


def test_without_repeats_needed_the_run_equals_the_network_without_the_option():
    """A strong input (every sample gives >= 5 spikes): with repeat_below=5 each sample is
    shown once and the counts, weights and thresholds equal bit for bit those of the same
    network without the option (the per-sample arrays read at t_shown == at t; the spare
    slots learn nothing)."""
    rates = np.random.default_rng(0).uniform(0.1, 0.4, (N_SAMPLES, N_IN))
    results = []
    for below in (0, 5):
        net = diehl_cook(N_IN, N_EXC, J_input=6 * mV, repeat_below=below, **SMALL)
        res = Program(net, N_SAMPLES).run(net.initial_state(seed=1), rates,
                                          np.zeros(N_SAMPLES), lr_scale=1.0, seed=2)
        results.append(res)
    plain, shown = results
    assert "repeats" not in plain and not np.any(shown["repeats"])
    assert np.all(plain["counts"]["exc"].sum(axis=1) >= 5)
    np.testing.assert_array_equal(shown["counts"]["exc"], plain["counts"]["exc"])
    for key in plain["state"]:
        np.testing.assert_array_equal(shown["state"][key], plain["state"][key])


def test_too_few_spare_slots_and_misfits_are_said():
    net = diehl_cook(N_IN, N_EXC, J_input=0.1 * mV, repeat_below=5, max_repeats=2, spare=0.5,
                     **SMALL)
    with pytest.raises(LearningError, match="raise parameter 'spare'"):
        Program(net, 2).run(net.initial_state(seed=1), np.full((2, N_IN), 0.01), np.zeros(2),
                            lr_scale=1.0, seed=2)
    with pytest.raises(LearningError, match="training programs only"):
        Program(net, 2, plastic=False)
    with pytest.raises(ParameterError, match="spare"):
        diehl_cook(N_IN, N_EXC, repeat_below=5, max_repeats=2, spare=3)


@pytest.mark.long
def test_repeats_are_the_same_on_runtime_and_cpp_standalone(tmp_path):
    """The same seed gives the same slots, spikes, counts and state with repeats on runtime
    (numpy) and C++ standalone (one small build; long: its compilation)."""
    require_device("cpp_standalone")
    net = diehl_cook(N_IN, N_EXC, J_input=3 * mV, repeat_below=5, max_repeats=3, spare=3,
                     **SMALL)
    scale = np.array([0.5, 0.8, 1.2, 1.6, 2.0])[:, None]
    rates = np.random.default_rng(0).uniform(0.0, 0.2, (N_SAMPLES, N_IN)) * scale
    state = net.initial_state(seed=1)

    def run(session=None):
        program = RecordingProgram(net, N_SAMPLES)
        res = program.run(state, rates, np.zeros(N_SAMPLES), lr_scale=1.0, seed=2,
                          session=session)
        return res, np.asarray(program.spikes["exc"].i[:])

    (a, ia) = run()
    with use_device("cpp_standalone", build_root=tmp_path) as session:
        (b, ib) = run(session)
    assert np.any(a["repeats"] > 0)
    np.testing.assert_array_equal(ia, ib)
    for key in ("sample", "repeat"):
        np.testing.assert_array_equal(a["slots"][key], b["slots"][key])
    np.testing.assert_array_equal(a["counts"]["exc"], b["counts"]["exc"])
    for key in a["state"]:
        np.testing.assert_allclose(np.asarray(a["state"][key]), np.asarray(b["state"][key]),
                                   rtol=1e-12, atol=0)
