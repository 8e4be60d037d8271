"""Tests of neuromodels.analysis.reliability on synthetic trials with known answers."""

import numpy as np
import pytest

from neuromodels.analysis import reliability as rel


def sparse_reference(rng, duration, n_spikes, min_gap):
    """Spike times with gaps >= min_gap (so events do not overlap)."""
    gaps = min_gap + rng.exponential(
        (duration - 2 * min_gap - n_spikes * min_gap) / n_spikes, n_spikes
    )
    t = np.cumsum(gaps)
    return t[t < duration - min_gap]


def jittered_copies(ref, n_trials, jitter, rng):
    return [np.sort(ref + jitter * rng.standard_normal(ref.size)) for _ in range(n_trials)]


def test_identical_trials_are_perfectly_reliable():
    rng = np.random.default_rng(0)
    ref = sparse_reference(rng, 5.0, 40, 0.05)
    trains = [ref.copy() for _ in range(8)]
    assert rel.schreiber_reliability(trains, 5.0, 0.003) == pytest.approx(1.0, abs=1e-12)
    ev = rel.event_reliability_precision(trains, 5.0)
    assert ev.reliability == 1.0 and ev.event_reliability == 1.0
    assert ev.precision == pytest.approx(0.0, abs=1e-12)
    assert ev.n_events == ref.size


def test_schreiber_independent_poisson_matches_analytic_value():
    rng = np.random.default_rng(1)
    nu, T, sigma, n = 20.0, 20.0, 0.005, 10
    trains = [np.sort(rng.uniform(0, T, rng.poisson(nu * T))) for _ in range(n)]
    r = rel.schreiber_reliability(trains, T, sigma, dt=0.0005)
    a = 2 * np.sqrt(np.pi) * sigma * nu
    expected = a / (1 + a)
    assert r == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("jitter", [0.001, 0.003, 0.008])
def test_schreiber_jittered_copies_analytic(jitter):
    rng = np.random.default_rng(2)
    sigma, T = 0.004, 10.0
    ref = sparse_reference(rng, T, 60, 0.08)
    trains = jittered_copies(ref, 12, jitter, rng)
    r = rel.schreiber_reliability(trains, T, sigma)
    expected = 1 / np.sqrt(1 + jitter**2 / sigma**2)
    assert r == pytest.approx(expected, abs=0.03)


@pytest.mark.parametrize("jitter", [0.0005, 0.001, 0.002])
def test_event_precision_recovers_jitter(jitter):
    rng = np.random.default_rng(3)
    T = 10.0
    ref = sparse_reference(rng, T, 60, 0.1)
    trains = jittered_copies(ref, 20, jitter, rng)
    ev = rel.event_reliability_precision(trains, T, bin_size=0.0005, smooth=0.002)
    assert ev.n_events == ref.size
    assert ev.event_reliability > 0.97
    assert ev.reliability > 0.97
    assert ev.precision == pytest.approx(jitter, rel=0.15)


def test_unreliable_trials_score_low():
    rng = np.random.default_rng(4)
    T, nu = 5.0, 10.0
    poisson = [np.sort(rng.uniform(0, T, rng.poisson(nu * T))) for _ in range(20)]
    ref = sparse_reference(rng, T, 50, 0.05)
    locked = jittered_copies(ref, 20, 0.001, rng)
    ev_p = rel.event_reliability_precision(poisson, T)
    ev_l = rel.event_reliability_precision(locked, T)
    assert ev_p.reliability < 0.3 < 0.9 < ev_l.reliability
    assert rel.schreiber_reliability(poisson, T, 0.003) < 0.3
    assert rel.schreiber_reliability(locked, T, 0.003) > 0.8


def test_silent_trials_and_quantities():
    assert np.isnan(rel.schreiber_reliability([[], []], 1.0, 0.01))
    assert rel.schreiber_reliability([[0.5], []], 1.0, 0.01) == 0.0
    b2 = pytest.importorskip("brian2")
    tr = [np.array([100.0, 300.0]) * b2.ms] * 3
    assert rel.schreiber_reliability(tr, 1 * b2.second, 5 * b2.ms) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: rel.schreiber_reliability([[0.1], [0.2]], 1.0, 0.0), "sigma"),
        (lambda: rel.schreiber_reliability([[0.1], [0.2]], -1.0, 0.01), "duration"),
        (lambda: rel.schreiber_reliability([[0.1]], 1.0, 0.01), "at least 2"),
        (lambda: rel.schreiber_reliability(np.array([0.1, 0.2]), 1.0, 0.01), "sequence"),
        (lambda: rel.event_reliability_precision([[0.1], [0.2]], 1.0, bin_size=0), "bin_size"),
        (lambda: rel.event_reliability_precision([[0.1], [0.2]], 1.0, threshold=0.5), "threshold"),
        (lambda: rel.event_reliability_precision([[0.1], [0.2]], 1.0, smooth=-1), "smooth"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_poisson_chance_is_the_reliability_of_independent_poisson_trains():
    """The closed-form chance level (Schreiber et al. 2003) against independent Poisson trains
    (Monte Carlo, 20 trials of 20 s): within 3 %."""
    from neuromodels.analysis.reliability import poisson_chance

    rng = np.random.default_rng(0)
    for rate, sigma in [(10, 0.003), (20, 0.005), (40, 0.01)]:
        trains = [np.sort(rng.uniform(0, 20.0, rng.poisson(rate * 20.0))) for _ in range(20)]
        simulated = rel.schreiber_reliability(trains, 20.0, sigma)
        assert abs(simulated / poisson_chance(rate, sigma) - 1) < 0.03, (rate, sigma)


def test_trial_reliability_of_identical_trials():
    from neuromodels.analysis.reliability import trial_reliability

    same = [np.arange(0.05, 2, 0.1)] * 6
    r = trial_reliability(same, 2.0, 0.003, groups=3)
    assert r["rate"] == pytest.approx(10.0) and r["event_reliability"] == pytest.approx(1.0)
    for key in ("schreiber", "schreiber_group_mean"):
        assert r[key] == pytest.approx(1.0)
    assert r["schreiber_group_sd"] == pytest.approx(0.0, abs=1e-12)
    assert r["precision"] == pytest.approx(0.0, abs=1e-12)
