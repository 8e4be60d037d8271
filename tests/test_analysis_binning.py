"""The one spike-binning rule (neuromodels/analysis/binning.py)."""
import numpy as np
import pytest

from neuromodels.analysis import binning


def test_spikes_on_the_time_grid_land_in_the_bin_that_starts_there():
    # Brian2 records spike times as step * dt; 0.3 / 0.1 = 2.9999999999999996 in floats
    dt, steps_per_bin = 1e-4, 10
    steps = np.arange(0, 5000)
    t = steps * dt
    counts = binning.bin_spikes(t, 0.5, steps_per_bin * dt)
    assert counts.shape == (500,)
    np.testing.assert_array_equal(counts, np.full(500, steps_per_bin))
    np.testing.assert_array_equal(binning.bin_index(t, steps_per_bin * dt), steps // steps_per_bin)
    assert np.floor(0.3 / 0.1) == 2  # what a plain floor would do
    assert binning.bin_index([0.3], 0.1)[0] == 3
    assert binning.n_bins(0.3, 0.1) == 3


def test_half_open_bins_and_a_partial_last_bin_is_dropped():
    t = np.array([0.0, 0.0999, 0.1, 0.25, 0.299, 0.3, 0.35, -0.01])
    np.testing.assert_array_equal(binning.bin_spikes(t, 0.35, 0.1), [2, 1, 2])
    np.testing.assert_allclose(binning.bin_edges(0.35, 0.1, t_start=1.0), [1.0, 1.1, 1.2, 1.3])
    # off the edges the counts are numpy.histogram's over the same edges
    rng = np.random.default_rng(0)
    t = rng.uniform(-0.1, 1.1, 1000)
    edges = binning.bin_edges(1.0, 0.07)
    np.testing.assert_array_equal(binning.bin_spikes(t, 1.0, 0.07), np.histogram(t, edges)[0])


def test_per_neuron_counts_and_t_start():
    i = np.array([0, 1, 1, 2, 2, 2])
    t = np.array([1.0, 1.05, 1.15, 1.0, 1.19, 1.2])
    c = binning.bin_spikes(t, 0.2, 0.1, t_start=1.0, i=i, n=4)
    np.testing.assert_array_equal(c, [[1, 1, 1, 0], [0, 1, 1, 0]])
    # straight into a small type: the same counts, repeated spikes of one bin added up
    rng = np.random.default_rng(1)
    t, i = rng.uniform(-0.1, 1.1, 3000), rng.integers(0, 7, 3000)
    small = binning.bin_spikes(t, 1.0, 0.07, i=i, n=7, dtype=np.uint8)
    assert small.dtype == np.uint8 and small.max() > 1
    np.testing.assert_array_equal(small, binning.bin_spikes(t, 1.0, 0.07, i=i, n=7))


def test_brian2_quantities():
    b2 = pytest.importorskip("brian2")
    c = binning.bin_spikes([1, 2, 12] * b2.ms, 20 * b2.ms, 10 * b2.ms)
    np.testing.assert_array_equal(c, [2, 1])
    with pytest.raises(ValueError, match="bin_size"):
        binning.bin_spikes([1.0], 1.0, 1 * b2.mV)


@pytest.mark.parametrize("args, match", [
    ((0.0, 0.1), "duration"),
    ((1.0, 0.0), "bin_size"),
    ((1.0, -1.0), "bin_size"),
    ((1.0, 2.0), r"bin_size must be in \(0, duration\]"),
    ((np.inf, 0.1), "duration"),
])
def test_bad_grid_is_rejected(args, match):
    with pytest.raises(ValueError, match=match):
        binning.n_bins(*args)


def test_bad_indices_are_rejected():
    with pytest.raises(ValueError, match="n"):
        binning.bin_spikes([0.1], 1.0, 0.5, i=[0])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binning.bin_spikes([0.1], 1.0, 0.5, i=[2], n=2)
    with pytest.raises(ValueError, match="same length"):
        binning.bin_spikes([0.1, 0.2], 1.0, 0.5, i=[0], n=2)


def test_value_histogram_bins_weights_like_numpy_and_keeps_the_bound_in_the_last_bin():
    from neuromodels.analysis.binning import value_histogram

    rng = np.random.default_rng(3)
    w = rng.uniform(0, 4, size=(3, 500))
    w[:, :7] = 4.0  # at the bound
    got = value_histogram(w, 4.0, 20)
    want = np.array([np.histogram(x, np.linspace(0, 4, 21))[0] for x in w])
    assert got.shape == (3, 20) and np.array_equal(got, want)
    assert got[:, -1].min() >= 7 and got.sum() == w.size
