"""TwinProgram's float32 training run (its default, for speed) against float64 (the exact
twin's): the same spikes, losses and SGD updates up to float32 rounding."""
import numpy as np
import pytest
from brian2 import mV

from neuromodels.learning.twin_program import TwinProgram
from neuromodels.parameters import ParameterError

from .test_learning_twin import MY_LIF, _recurrent, _state


def test_float32_training_run_makes_the_updates_of_float64():
    """One epoch of 12 samples (batches of 3, one batch of test samples) on a recurrent net
    of the README's LIF: float32 and float64 runs from the same state give the same output
    counts, the same losses (1e-5 relative) and the same weight changes (1e-5 of the
    largest), and the float32 run's weights are float32 numbers."""
    net = _recurrent(MY_LIF)
    state = _state(net, {"input_to_hidden": 3, "hidden_to_hidden": 3, "hidden_to_output": 6})
    rng = np.random.default_rng(3)
    spikes = (rng.random((12, net.T, 8)) < 0.3).astype(float)
    labels = rng.integers(0, 3, 12)
    scales = np.r_[np.ones(9), np.zeros(3)]
    res = {p: TwinProgram(net, 12, lr=2 * mV ** 2, batch_size=3, precision=p).run(
        state, spikes, labels, lr_scale=scales) for p in ("float32", "float64")}
    single, double = res["float32"], res["float64"]
    counts = double["counts"]["output"]
    assert 0 < counts.mean() < net.T / 2                       # the outputs do fire
    np.testing.assert_array_equal(single["counts"]["output"], counts)
    np.testing.assert_allclose(single["loss"], double["loss"], rtol=1e-5)
    for name in ("input_to_hidden", "hidden_to_hidden", "hidden_to_output"):
        w0 = np.asarray(state[name, "w"])
        w32, w64 = np.asarray(single["state"][name, "w"]), np.asarray(double["state"][name, "w"])
        change = w64 - w0
        assert np.count_nonzero(change) > change.size // 4, name
        np.testing.assert_allclose(w32 - w0, change, rtol=0, atol=1e-5 * np.abs(change).max(),
                                   err_msg=name)
        np.testing.assert_array_equal(w32.astype(np.float32), w32)
        assert np.any(w64.astype(np.float32) != w64)


def test_unknown_precision_is_refused():
    net = _recurrent(MY_LIF)
    with pytest.raises(ParameterError, match="precision.*'float32', 'float64'"):
        TwinProgram(net, 4, precision="float16")
