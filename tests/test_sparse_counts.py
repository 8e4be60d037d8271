"""Program(sparse_counts=True): a training program's spike counts recorded as spikes and
binned per sample afterwards equal the counts read from every neuron at every sample end
(the default), with and without samples shown again (Repeat: counts of each sample's last
showing); the learned state is the same.  Small Diehl & Cook networks on the numpy target."""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, StateMonitor, mV, ms

from neuromodels.devices import brian2_settings
from neuromodels.learning import Program
from neuromodels.networks.diehl_cook import diehl_cook, encoder

SMALL = dict(dt=1 * ms, t_present=30 * ms, t_rest=5 * ms, J_input=15 * mV, w_init=0.6)


@pytest.mark.parametrize("repeat_below", [0, 12])
def test_sparse_counts_equal_the_counts_at_sample_ends(repeat_below):
    net = diehl_cook(12, 5, repeat_below=repeat_below, **SMALL)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 1, (10, 12)), rng.integers(0, 10, 10)
    inputs = encoder(net, 300 * Hz)(x, net.T, rng)
    out = {}
    with brian2_settings(target="numpy"):
        for sparse in (False, True):
            program = Program(net, len(y), plastic=True, sparse_counts=sparse)
            out[sparse] = program.run(net.initial_state(seed=1), inputs, y, lr_scale=1.0,
                                      seed=4)
            kind = SpikeMonitor if sparse else StateMonitor
            assert isinstance(program.monitors["exc"], kind)
    dense, sparse = out[False], out[True]
    assert dense["counts"]["exc"].sum() > 20                   # the layer fires
    np.testing.assert_array_equal(sparse["counts"]["exc"], dense["counts"]["exc"])
    assert sparse["counts"]["exc"].dtype == dense["counts"]["exc"].dtype
    if repeat_below:
        assert dense["repeats"].sum() > 0                      # some samples shown again
        np.testing.assert_array_equal(sparse["repeats"], dense["repeats"])
    for key in dense["state"]:
        np.testing.assert_array_equal(np.asarray(sparse["state"][key]),
                                      np.asarray(dense["state"][key]))
