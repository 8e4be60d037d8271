"""The one classification read-out and accuracy (neuromodels/analysis/classification.py)."""
import numpy as np
import pytest

from neuromodels.analysis.classification import (NO_PREDICTION, accuracy, predict_first_spike,
                                                 predict_most_spikes)


def test_most_spikes_breaks_ties_towards_the_lower_index():
    counts = np.array([[0, 3, 3], [5, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(predict_most_spikes(counts), [1, 0, 0])
    assert accuracy(predict_most_spikes(counts), np.array([1, 0, 2])) == pytest.approx(2 / 3)


def test_first_spike_and_silence_within_the_trial():
    t = np.array([[0.5, 0.2, 0.9], [np.inf, np.inf, np.inf], [2.5, 3.0, 2.6], [1.0, 1.0, 3.0]])
    np.testing.assert_array_equal(predict_first_spike(t), [1, 0, 0, 0])
    pred = predict_first_spike(t, T=2.0)
    np.testing.assert_array_equal(pred, [1, NO_PREDICTION, NO_PREDICTION, 0])
    # a silent sample is wrong even for label 0, the class argmin would pick
    assert accuracy(pred, np.array([1, 0, 0, 0])) == 0.5
    assert isinstance(accuracy(pred, np.array([1, 0, 0, 0])), float)


def test_same_code_under_jax_jit():
    jax = pytest.importorskip("jax", reason="JAX is optional (extra 'exact')")
    jnp = jax.numpy
    t = np.array([[0.5, 0.2, 0.9], [np.inf, np.inf, np.inf], [2.5, 3.0, 2.6]])
    y = np.array([1, 0, 0])
    acc = jax.jit(lambda t, y: accuracy(predict_first_spike(t, 2.0), y))(jnp.asarray(t),
                                                                         jnp.asarray(y))
    assert float(acc) == pytest.approx(accuracy(predict_first_spike(t, 2.0), y)) == 1 / 3


def test_bad_shapes():
    with pytest.raises(ValueError, match="n_classes"):
        predict_first_spike(np.zeros(3))
    with pytest.raises(ValueError, match="same length"):
        accuracy(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="zero samples"):
        accuracy(np.zeros(0), np.zeros(0))
