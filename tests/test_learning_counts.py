"""Spike counts per sample as small integers: ``count`` is an integer in the layer, and a
program returns it as the smallest unsigned type that holds T (one spike per step at most),
equal to an independent recount of the recorded spikes, with the same class votes."""
import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.analysis.binning import bin_spikes
from neuromodels.analysis.classification import assign_by_vote, predict_by_vote
from neuromodels.devices import brian2_settings
from neuromodels.learning import Program
from neuromodels.networks.diehl_cook import diehl_cook

from .test_learning_unsupervised import RecordingProgram

N_IN, N_EXC, N_SAMPLES = 12, 5, 6


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _net(t_present):
    return diehl_cook(N_IN, N_EXC, dt=1 * ms, t_present=t_present, t_rest=10 * ms,
                      J_input=6 * mV, w_init=0.6)


def _rates(seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.4, (N_SAMPLES, N_IN))


def test_training_counts_are_uint8_and_equal_the_recorded_spikes():
    """T = 70 steps: uint8 counts (n_samples x n bytes, 1/8 of float64), recorded from an
    integer ``count`` (no float round trip), equal to the SpikeMonitor's spikes binned per
    sample; the class votes and predictions equal those of the float64 recount."""
    net = _net(60 * ms)
    program = RecordingProgram(net, N_SAMPLES)
    labels = np.arange(N_SAMPLES) % 3
    res = program.run(net.initial_state(seed=1), _rates(), labels, lr_scale=1.0, seed=2)
    counts = res["counts"]["exc"]
    assert program.groups["exc"].variables["count"].dtype == np.int32
    assert counts.dtype == np.uint8 and counts.nbytes == N_SAMPLES * N_EXC
    mon = program.spikes["exc"]
    recount = bin_spikes(np.asarray(mon.t_), N_SAMPLES * net.T * float(net.dt),
                         net.T * float(net.dt), i=np.asarray(mon.i[:]), n=N_EXC)
    assert recount.sum() > 2 * N_SAMPLES                   # the layer fires
    np.testing.assert_array_equal(counts, recount)
    votes = assign_by_vote(counts, labels, 3)
    np.testing.assert_array_equal(votes, assign_by_vote(recount.astype(float), labels, 3))
    np.testing.assert_array_equal(predict_by_vote(counts, votes, 3),
                                  predict_by_vote(recount.astype(float), votes, 3))


def test_counts_of_longer_samples_are_uint16_also_in_evaluation_programs():
    """T = 260 steps (> 255): uint16 counts from a training and an evaluation program."""
    net = _net(250 * ms)
    assert net.T == 260
    state = net.initial_state(seed=1)
    for plastic in (True, False):
        res = Program(net, 2, plastic=plastic).run(state, _rates()[:2], np.zeros(2),
                                                   lr_scale=0.0, seed=2)
        counts = res["counts"]["exc"]
        assert counts.dtype == np.uint16 and counts.shape == (2, N_EXC) and counts.sum() > 0
