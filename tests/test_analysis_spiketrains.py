"""Tests of neuromodels.analysis.spiketrains against analytic results."""

import numpy as np
import pytest

from neuromodels.analysis import spiketrains as st


def poisson_spikes(rate, duration, n, rng):
    """Homogeneous Poisson trains for n neurons, as flat (i, t) arrays."""
    counts = rng.poisson(rate * duration, size=n)
    i = np.repeat(np.arange(n), counts)
    t = rng.uniform(0, duration, size=counts.sum())
    perm = rng.permutation(t.size)  # unsorted on purpose
    return i[perm], t[perm]


def test_firing_rates_exact_counts():
    i = np.array([0, 0, 2, 2, 2, 1])
    t = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    r = st.firing_rates(i, t, 4, 2.0)
    np.testing.assert_allclose(r, [1.0, 0.5, 1.5, 0.0])


def test_firing_rates_poisson_within_sampling_error():
    rng = np.random.default_rng(1)
    rate, T, n = 20.0, 10.0, 200
    i, t = poisson_spikes(rate, T, n, rng)
    r = st.firing_rates(i, t, n, T)
    # mean over neurons: s.e. = sqrt(rate / (T n))
    se = np.sqrt(rate / (T * n))
    assert abs(r.mean() - rate) < 4 * se


def test_brian2_quantities_accepted():
    b2 = pytest.importorskip("brian2")
    i = np.array([0, 1, 1])
    t = np.array([10.0, 20.0, 30.0]) * b2.ms
    r = st.firing_rates(i, t, 2, 500 * b2.ms)
    np.testing.assert_allclose(r, [2.0, 4.0])
    c, pr = st.population_rate(t, 2, 0.1 * b2.second, 10 * b2.ms)
    np.testing.assert_allclose(c[:4], [0.005, 0.015, 0.025, 0.035])
    assert pr.sum() * 0.01 * 2 == pytest.approx(3)
    with pytest.raises(ValueError, match="duration"):
        st.firing_rates(i, t, 2, 5 * b2.mV)


def test_population_rate_poisson_mean_and_bins():
    rng = np.random.default_rng(2)
    rate, T, n = 15.0, 4.0, 100
    _, t = poisson_spikes(rate, T, n, rng)
    centres, pr = st.population_rate(t, n, T, 0.01)
    assert centres.size == 400
    np.testing.assert_allclose(np.diff(centres), 0.01)
    assert centres[0] == pytest.approx(0.005)
    # per-bin counts are Poisson(rate n dt): mean and variance both known
    lam = rate * n * 0.01
    counts = pr * n * 0.01
    se = np.sqrt(lam / counts.size)
    assert abs(counts.mean() - lam) < 4 * se
    # counts are integers and all spikes inside [0, T) are counted
    np.testing.assert_allclose(counts, np.round(counts))
    assert counts.sum() == pytest.approx(t.size)


def test_isi_cv_regular_train_is_zero():
    t = np.concatenate([np.arange(0, 1, 0.01), np.arange(0.003, 1, 0.05)])
    i = np.concatenate([np.zeros(100, int), np.ones(20, int)])
    cv = st.isi_cv(i, t, 3)
    np.testing.assert_allclose(cv[:2], 0.0, atol=1e-9)
    assert np.isnan(cv[2])


def test_isi_cv_known_value():
    # ISIs 1 and 3: mean 2, std (ddof=0) 1 -> CV 0.5
    cv = st.isi_cv([0, 0, 0], [0.0, 1.0, 4.0], 1)
    assert cv[0] == pytest.approx(0.5)


def test_isi_cv_poisson_is_one():
    rng = np.random.default_rng(3)
    n, rate, T = 50, 30.0, 20.0
    i, t = poisson_spikes(rate, T, n, rng)
    cv = st.isi_cv(i, t, n)
    # each CV estimate has s.d. about 1/sqrt(N_isi) (exponential ISIs)
    se = 1 / np.sqrt(rate * T * n)
    assert abs(np.nanmean(cv) - 1) < 5 * se + 0.01


def test_isi_cv_min_spikes():
    cv = st.isi_cv([0, 0, 1, 1, 1], [0.0, 0.1, 0.0, 0.1, 0.3], 2, min_spikes=3)
    assert np.isnan(cv[0]) and np.isfinite(cv[1])


def test_spike_counts_window_and_bins():
    i = np.array([0, 0, 1, 1, 1, 0])
    t = np.array([0.05, 0.15, 0.15, 0.25, 0.35, 0.4])
    np.testing.assert_array_equal(st.spike_counts(i, t, 2, 0.1, 0.4), [1, 3])
    c = st.spike_counts(i, t, 2, 0.0, 0.4, bin_size=0.1)
    np.testing.assert_array_equal(c, [[1, 0], [1, 1], [0, 1], [0, 1]])


def test_fano_factor_poisson_is_one():
    rng = np.random.default_rng(4)
    n, rate, T = 200, 10.0, 50.0
    i, t = poisson_spikes(rate, T, n, rng)
    counts = st.spike_counts(i, t, n, 0.0, T, bin_size=0.5)  # (100 windows, n)
    ff = st.fano_factor(counts, axis=0)
    K = counts.shape[0]
    # s.d. of one unbiased Fano estimate ~ sqrt(2/(K-1) + 1/(K*mean))
    se = np.sqrt(2 / (K - 1) + 1 / (K * rate * 0.5)) / np.sqrt(n)
    assert abs(ff.mean() - 1) < 4 * se


def test_fano_factor_regular_and_zero_mean():
    counts = np.array([[3, 0], [3, 0], [3, 0]])
    ff = st.fano_factor(counts)
    assert ff[0] == 0 and np.isnan(ff[1])
    # overdispersed: mixture of two Poisson means -> F > 1 with known value
    rng = np.random.default_rng(5)
    lam = np.where(rng.random(20000) < 0.5, 2.0, 10.0)
    c = rng.poisson(lam)
    expected = (lam.mean() + lam.var()) / lam.mean()
    assert st.fano_factor(c) == pytest.approx(expected, rel=0.05)


def test_split_trains():
    trains = st.split_trains([1, 0, 1], [0.3, 0.2, 0.1], 3)
    np.testing.assert_array_equal(trains[0], [0.2])
    np.testing.assert_array_equal(trains[1], [0.1, 0.3])
    assert trains[2].size == 0


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: st.firing_rates([0], [0.1], 1, -1.0), "duration"),
        (lambda: st.firing_rates([0, 1], [0.1], 2, 1.0), "same length"),
        (lambda: st.firing_rates([3], [0.1], 2, 1.0), "i must"),
        (lambda: st.population_rate([0.1], 1, 1.0, 0.0), "bin_size"),
        (lambda: st.population_rate([0.1], 1, 1.0, 2.0), "bin_size"),
        (lambda: st.isi_cv([0], [0.1], 1, min_spikes=1), "min_spikes"),
        (lambda: st.spike_counts([0], [0.1], 1, 1.0, 0.5), "t_stop"),
        (lambda: st.spike_counts([0], [0.1], 1, 0.0, 1.0, bin_size=-1), "bin_size"),
        (lambda: st.fano_factor([1.0]), "repetitions"),
        (lambda: st.firing_rates([0], [0.1], 0, 1.0), "n must"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_spikemonitor_variableviews_accepted():
    b2 = pytest.importorskip("brian2")
    from neuromodels.devices import brian2_settings

    with brian2_settings(target="numpy"):
        G = b2.PoissonGroup(20, 50 * b2.Hz)
        mon = b2.SpikeMonitor(G)
        net = b2.Network(G, mon)
        net.run(200 * b2.ms)
        i_arr, t_arr = np.asarray(mon.i), np.asarray(mon.t)  # seconds
        np.testing.assert_allclose(
            st.firing_rates(mon.i, mon.t, 20, 200 * b2.ms), np.bincount(i_arr, minlength=20) / 0.2
        )
        assert (st.population_rate(mon.t, 20, 0.2, 0.01)[1].sum() * 0.01 * 20
                == pytest.approx(t_arr.size))
        with pytest.raises(ValueError, match="units of time"):
            st.population_rate(G.rates, 20, 0.2, 0.01)
