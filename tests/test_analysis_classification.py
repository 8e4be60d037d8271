"""The classification read-outs and accuracy (neuromodels/analysis/classification.py)."""
import numpy as np
import pytest

from neuromodels.analysis import population
from neuromodels.analysis.classification import (NO_PREDICTION, accuracy, fit_linear_readout,
                                                 predict_first_spike, predict_linear_readout,
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
    with pytest.raises(ValueError, match="X must"):
        fit_linear_readout(np.ones((4, 2)), [0, 1, 2])


def test_linear_readout_separable_and_chance():
    rng = np.random.default_rng(2)
    n_cls, n_feat, n = 3, 10, 600
    means = rng.uniform(0, 20, (n_cls, n_feat))
    y = rng.integers(0, n_cls, n)
    X = rng.poisson(means[y])
    W = fit_linear_readout(X[:400], y[:400], ridge=1.0)
    assert accuracy(predict_linear_readout(W, X[400:]), y[400:]) > 0.95
    # labels independent of inputs -> chance level on held-out data
    X0 = rng.poisson(5.0, (3000, n_feat))
    y0 = rng.integers(0, n_cls, 3000)
    W0 = fit_linear_readout(X0[:2000], y0[:2000])
    acc0 = accuracy(predict_linear_readout(W0, X0[2000:]), y0[2000:])
    assert acc0 == pytest.approx(1 / 3, abs=4 * np.sqrt(2 / 9 / 1000))
    # normal equations hold for the ridge solution
    Xt = np.hstack([X[:400], np.ones((400, 1))])
    Y = np.eye(n_cls)[y[:400]]
    D = np.eye(n_feat + 1)
    D[-1, -1] = 0
    np.testing.assert_allclose((Xt.T @ Xt + D) @ W, Xt.T @ Y, atol=1e-6)


def test_the_linear_readout_has_one_home():
    """It is a classifier: here, not also in analysis.population (no second spelling)."""
    assert not {"fit_linear_readout", "predict_linear_readout"} & (set(vars(population))
                                                                   | set(population.__all__))


def test_class_voting_assignment_and_prediction_by_hand():
    """Diehl & Cook's voting: class means per neuron (class 0: [3, 0, 2], class 1:
    [0.5, 3, 3], class 2 without samples: 0) -> assignment [0, 1, 1]; predictions by the mean
    count of each class's neurons (class 2 has none: never predicted; ties: lower class)."""
    from neuromodels.analysis.classification import assign_by_vote, predict_by_vote

    counts = np.array([[4, 0, 1], [2, 0, 3], [0, 5, 1], [1, 1, 5]])
    assignment = assign_by_vote(counts, np.array([0, 0, 1, 1]), 3)
    np.testing.assert_array_equal(assignment, [0, 1, 1])
    test = np.array([[1, 2, 2], [5, 1, 0], [0, 0, 0], [2, 4, 0]])
    np.testing.assert_array_equal(predict_by_vote(test, assignment, 3), [1, 0, 0, 0])
    with pytest.raises(ValueError, match="n_classes"):
        assign_by_vote(counts, np.array([0, 0, 1, 3]), 3)
