"""Ring-population decoding and Fisher information (neuromodels/analysis/ring_population.py)
on Poisson counts from known tuning curves, where the answers are analytic."""
import numpy as np
import pytest

from neuromodels.analysis import groups, population, ring_population as ring

M, K, T = 32, 400, 0.2  # stimuli, trials, window (s)


def _poisson_ring(seed=0, r_max=40.0, kappa=2.0, baseline=2.0):
    rng = np.random.default_rng(seed)
    stim = np.arange(M) * np.pi / M
    f = population.von_mises_tuning(stim, 0.0, r_max, kappa, baseline)  # one neuron, Hz
    return rng.poisson(f[:, None] * T, (M, K)).astype(float), f


def test_ring_indices_and_fourier_interpolation():
    idx = ring.ring_indices(8, 4)
    np.testing.assert_array_equal(idx[:, 1], (np.arange(8) - 2) % 8)
    assert ring.ring_indices(8, 4, upsample=2).shape == (16, 4)
    with pytest.raises(ValueError, match="divide"):
        ring.ring_indices(8, 3)
    x = np.arange(16) * np.pi / 16
    fine = ring.fourier_interpolate(3 + np.cos(2 * x), 4)  # band-limited: exact
    np.testing.assert_allclose(fine, 3 + np.cos(2 * np.arange(64) * np.pi / 64), atol=1e-12)


def test_linear_fisher_of_independent_poisson_neurons():
    """For independent Poisson neurons linear Fisher = T sum f'^2 / f (Kanitscheider et al.);
    here with the finite-difference f' of the grid, within the estimator's noise."""
    counts, f = _poisson_ring()
    for N in (8, 16):
        idx = ring.ring_indices(M, N)
        fd = (f[(idx + 1) % M] - f[idx]) / (np.pi / M)
        mid = 0.5 * (f[(idx + 1) % M] + f[idx])
        expected = np.mean(T * np.sum(fd ** 2 / mid, axis=1))
        got = ring.ring_linear_fisher(counts, N)
        assert got == pytest.approx(expected, rel=0.15), (N, got, expected)
    assert np.isnan(ring.ring_linear_fisher(counts, 32, trials=np.arange(10)))


def test_decoding_error_falls_as_fisher_grows():
    counts, _ = _poisson_ring(seed=1)
    folds = groups.trial_groups(K, 4)
    err = [ring.cross_validated_ml_error(counts, N, T, folds).mean() for N in (4, 8, 16, 32)]
    fi = [ring.ring_linear_fisher(counts, N) for N in (4, 8, 16, 32)]
    assert np.all(np.diff(err) < 0) and np.all(np.diff(fi) > 0)
    # efficient decoding at the largest size: RMS error near the Cramer-Rao 1/sqrt(I)
    assert err[-1] == pytest.approx(1 / np.sqrt(fi[-1]), rel=0.25)


def test_jackknife_and_groups():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert ring.jackknife_se(x) == pytest.approx(np.sqrt(0.75 * 5.0))
    parts = groups.trial_groups(10, 3)
    assert [len(p) for p in parts] == [4, 3, 3]
    m, sd, vals = groups.over_groups(lambda idx: float(idx.mean()), 10, 3)
    np.testing.assert_allclose(vals, [1.5, 5.0, 8.0])
    assert m == pytest.approx(np.mean(vals)) and sd == pytest.approx(np.std(vals, ddof=1))
    with pytest.raises(ValueError, match="groups"):
        groups.trial_groups(3, 4)
