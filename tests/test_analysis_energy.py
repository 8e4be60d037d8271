"""Tests of neuromodels.analysis.energy: synaptic operations against a hand count."""
import numpy as np
import pytest

from neuromodels.analysis.energy import fan_out, synaptic_operations


def test_synaptic_operations_equal_a_hand_count():
    # 3 presynaptic neurons; neuron 0 projects to 2 targets, neuron 1 to 3, neuron 2 to none
    w = np.array([[0.5, 0.0, -1.0],
                  [0.1, 0.2, 0.3],
                  [0.0, 0.0, 0.0]])
    assert fan_out(w).tolist() == [2, 3, 0]
    counts = np.array([[4, 1, 7],     # 4*2 + 1*3 + 7*0 = 11
                       [0, 2, 1]])    # 0 + 2*3 + 0 = 6
    assert synaptic_operations(counts, fan_out(w)).tolist() == [11.0, 6.0]
    # every spike crossing every synapse of a dense projection, counted one by one
    rng = np.random.default_rng(0)
    spikes = rng.random((2, 20, 6)) < 0.3          # (samples, steps, neurons)
    by_hand = [sum(1 for t in range(20) for i in range(6) if spikes[k, t, i] for _ in range(4))
               for k in range(2)]
    assert synaptic_operations(spikes.sum(axis=1), 4).tolist() == by_hand


@pytest.mark.parametrize("counts, fan, match", [
    (np.ones(3), 2, "counts"), (np.ones((2, 3)), [1, 2], "fan_out"),
    (-np.ones((2, 3)), 1, ">= 0")])
def test_bad_input(counts, fan, match):
    with pytest.raises(ValueError, match=match):
        synaptic_operations(counts, fan)
    with pytest.raises(ValueError, match="matrix"):
        fan_out(np.ones(3))
