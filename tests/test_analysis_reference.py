"""Our spike-train analyses against well-kept independent implementations, on the same trains:
Elephant (statistics, binning; extra 'reference') and scipy.signal.vectorstrength.

The trains: gamma renewal processes (CV 1/sqrt(k)) and Poisson trains with times on a
Brian2-like time grid (step * dt, where bin edges are a rounding question).
"""
import numpy as np
import pytest
from scipy.signal import vectorstrength

from neuromodels.analysis import binning, periodic, spiketrains as st

elephant = pytest.importorskip("elephant", reason="Elephant is a test-only reference: "
                                                  "pip install -e '.[reference]'")
neo = pytest.importorskip("neo", reason="Elephant needs neo")
pq = pytest.importorskip("quantities", reason="Elephant needs quantities")
from elephant import conversion, statistics  # noqa: E402

T = 20.0  # s


def _trains(seed=0, n=12):
    """n spike trains in [0, T): gamma processes of shape 1..4 and grid-aligned Poisson."""
    rng = np.random.default_rng(seed)
    trains = []
    for k in range(n):
        if k % 3 == 2:  # Poisson at 8 Hz on a 0.1 ms grid (Brian2 records step * dt)
            steps = np.flatnonzero(rng.random(int(T / 1e-4)) < 8 * 1e-4)
            trains.append(steps * 1e-4)
        else:
            shape = 1 + k % 4
            isi = rng.gamma(shape, 1 / (10.0 * shape), 600)
            t = np.cumsum(isi)
            trains.append(t[t < T])
    return trains


def _flat(trains):
    i = np.concatenate([np.full(len(t), k) for k, t in enumerate(trains)])
    return i, np.concatenate(trains)


def _neo(t):
    return neo.SpikeTrain(t * pq.s, t_start=0 * pq.s, t_stop=T * pq.s)


def test_rates_isis_and_cv_equal_elephants():
    trains = _trains()
    i, t = _flat(trains)
    n = len(trains)
    rates = st.firing_rates(i, t, n, T)
    cv = st.isi_cv(i, t, n)
    for k, tr in enumerate(trains):
        s = _neo(tr)
        assert rates[k] == pytest.approx(float(statistics.mean_firing_rate(s).rescale(pq.Hz)),
                                         rel=1e-12)
        isi = statistics.isi(s).rescale(pq.s).magnitude
        np.testing.assert_allclose(np.diff(st.split_trains(i, t, n)[k]), isi, rtol=0, atol=1e-12)
        assert cv[k] == pytest.approx(statistics.cv(isi), rel=1e-10)  # ddof=0 in both


def test_fano_factor_equals_elephants():
    """Fano factor of the counts of many trains in one window (Elephant: ddof = 0)."""
    trains = _trains(seed=1, n=30)
    i, t = _flat(trains)
    counts = st.spike_counts(i, t, len(trains), 0.0, T)
    assert st.fano_factor(counts, ddof=0) == pytest.approx(
        statistics.fanofactor([_neo(tr) for tr in trains]), rel=1e-12)


@pytest.mark.parametrize("bin_size", [1e-3, 5e-3, 0.1])
def test_binning_and_population_rate_equal_elephants(bin_size):
    """Counts per bin (Elephant's BinnedSpikeTrain, which also puts a spike on an edge into
    the bin that starts there), and the population rate (time_histogram, output 'mean')."""
    trains = _trains(seed=2)
    ours = np.array([binning.bin_spikes(tr, T, bin_size) for tr in trains])
    theirs = conversion.BinnedSpikeTrain([_neo(tr) for tr in trains], bin_size=bin_size * pq.s,
                                         t_start=0 * pq.s, t_stop=T * pq.s).to_array()
    np.testing.assert_array_equal(ours, theirs)
    i, t = _flat(trains)
    centres, rate = st.population_rate(t, len(trains), T, bin_size)
    hist = statistics.time_histogram([_neo(tr) for tr in trains], bin_size * pq.s,
                                     output="mean")
    np.testing.assert_allclose(rate, hist.magnitude.ravel() / bin_size, rtol=1e-12)
    np.testing.assert_allclose(centres, hist.times.rescale(pq.s).magnitude + bin_size / 2,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("frequency", [3.0, 10.0, 47.5])
def test_vector_strength_equals_scipys(frequency):
    """Goldberg & Brown vector strength and mean phase vs scipy.signal.vectorstrength."""
    rng = np.random.default_rng(3)
    phases = rng.vonmises(0.7, 2.0, 2000)
    t = (phases / (2 * np.pi) + rng.integers(0, 50, phases.size)) / frequency
    vs, phase = periodic.vector_strength(t, frequency, return_phase=True)
    vs_ref, phase_ref = vectorstrength(t, 1 / frequency)
    assert vs == pytest.approx(vs_ref, rel=1e-10)
    assert phase == pytest.approx(phase_ref, abs=1e-9)
    assert vs == pytest.approx(0.70, abs=0.03)  # I1(2)/I0(2) = 0.698 for kappa = 2
