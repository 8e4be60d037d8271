"""Tests of neuromodels.analysis.periodic against analytic results."""

import numpy as np
import pytest

from neuromodels.analysis import periodic as per


def modulated_poisson(nu, m, f, T, rng):
    """Inhomogeneous Poisson, rate nu (1 + m cos 2 pi f t), by thinning."""
    t = rng.uniform(0, T, rng.poisson(nu * (1 + m) * T))
    keep = rng.random(t.size) < (1 + m * np.cos(2 * np.pi * f * t)) / (1 + m)
    return np.sort(t[keep])


def test_vector_strength_perfect_locking():
    f = 8.0
    t = (np.arange(50) + 0.3) / f  # one spike per period, same phase
    vs, phase = per.vector_strength(t, f, return_phase=True)
    assert vs == pytest.approx(1.0, abs=1e-12)
    assert phase == pytest.approx(2 * np.pi * 0.3, abs=1e-9)
    # two phases half a period apart cancel exactly
    assert per.vector_strength(np.r_[t, t + 0.5 / f], f) == pytest.approx(0.0, abs=1e-12)


def test_vector_strength_uniform_phases_scale_as_inverse_sqrt_n():
    rng = np.random.default_rng(0)
    f = 5.0
    for n in (25, 400):
        vs2 = np.array([per.vector_strength(rng.uniform(0, 100, n), f) ** 2 for _ in range(400)])
        # E[VS^2] = 1/n exactly; VS^2 * n ~ Exp(1)/... has s.d. ~ 1/n per sample
        assert vs2.mean() == pytest.approx(1 / n, rel=4 / np.sqrt(400))


def test_vector_strength_modulated_poisson_is_m_over_2():
    rng = np.random.default_rng(1)
    m, f = 0.6, 10.0
    t = modulated_poisson(50.0, m, f, 200.0, rng)
    # bias sqrt(1/n) is negligible for n ~ 1e4
    assert per.vector_strength(t, f) == pytest.approx(m / 2, abs=4 / np.sqrt(t.size))


def test_rayleigh_test():
    rng = np.random.default_rng(2)
    z, p = per.rayleigh_test(rng.uniform(0, 10, 200), 3.0)
    assert p > 1e-3
    z, p = per.rayleigh_test(modulated_poisson(50.0, 0.8, 3.0, 10.0, rng), 3.0)
    assert p < 1e-6
    # p-values of uniform phases are roughly uniform: mean ~ 1/2
    ps = [per.rayleigh_test(rng.uniform(0, 10, 30), 3.0)[1] for _ in range(300)]
    assert np.mean(ps) == pytest.approx(0.5, abs=4 * np.sqrt(1 / 12 / 300))


def test_power_spectrum_poisson_is_flat_at_rate():
    rng = np.random.default_rng(3)
    nu, T = 40.0, 20.0
    trials = [np.sort(rng.uniform(0, T, rng.poisson(nu * T))) for _ in range(5)]
    freqs, S = per.power_spectrum(trials, T, dt=0.001)
    assert freqs[1] == pytest.approx(1 / T)
    band = (freqs > 1) & (freqs < 100)
    # each periodogram value ~ nu * Exp(1); mean of many bins
    n_vals = band.sum() * 5
    assert S[band].mean() == pytest.approx(nu, rel=4 / np.sqrt(n_vals))


def test_spectrum_snr_modulated_vs_unmodulated():
    rng = np.random.default_rng(4)
    nu, m, f, T, K = 20.0, 0.3, 5.0, 10.0, 80
    mod = [modulated_poisson(nu, m, f, T, rng) for _ in range(K)]
    flat = [modulated_poisson(nu, 0.0, f, T, rng) for _ in range(K)]
    expected = 1 + nu * m**2 * T / 4
    snr = per.spectrum_snr(mod, T, f)
    assert snr == pytest.approx(expected, rel=0.2)  # ~3 s.d. of the K-trial estimate
    snr0 = per.spectrum_snr(flat, T, f)
    assert snr0 == pytest.approx(1.0, abs=5 / np.sqrt(K))


def test_brian2_units():
    b2 = pytest.importorskip("brian2")
    t = np.arange(10) * 100 * b2.ms
    assert per.vector_strength(t, 10 * b2.Hz) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="frequency"):
        per.vector_strength(t, 10 * b2.ms)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: per.vector_strength([0.1], 0.0), "frequency"),
        (lambda: per.vector_strength([0.1], -2.0), "frequency"),
        (lambda: per.power_spectrum([0.1], -1.0), "duration"),
        (lambda: per.power_spectrum([0.1], 1.0, dt=0.0), "dt"),
        (lambda: per.spectrum_snr([0.1], 1.0, 499.0), "frequency"),
        (lambda: per.spectrum_snr([0.1], 1.0, 100.0, n_neighbours=0), "n_neighbours"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_locking_over_groups_of_perfectly_locked_and_of_silent_trials():
    from neuromodels.analysis.periodic import locking_over_groups

    locked = [np.arange(0.05, 2, 0.1)] * 6  # one spike per 10 Hz cycle, same phase
    snr_mean, _, vs_mean, vs_sd = locking_over_groups(locked, 2.0, 10.0, groups=3)
    assert vs_mean == pytest.approx(1.0) and vs_sd == pytest.approx(0.0, abs=1e-12)
    assert snr_mean > 1e3
    silent = locking_over_groups([np.array([])] * 6, 2.0, 10.0, groups=3)
    assert np.isnan(silent[0]) and np.isnan(silent[1])
