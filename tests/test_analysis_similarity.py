"""Linear CKA and update cosines (neuromodels/analysis/similarity.py), against closed forms."""
import numpy as np
import pytest

from neuromodels.analysis.similarity import (linear_cka, linear_cka_chance, over_training,
                                             update_cosine)
from neuromodels.parameters import ParameterError


def _orthogonal(rng, p, q=None):
    """A p-by-q matrix with orthonormal rows (q >= p; q = p: an orthogonal matrix)."""
    q = p if q is None else q
    m, _ = np.linalg.qr(rng.standard_normal((q, q)))
    return m[:p]


def test_cka_is_one_under_rotation_scaling_and_translation():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 8)) @ rng.standard_normal((8, 8))  # anisotropic
    assert linear_cka(X, X) == pytest.approx(1, abs=1e-12)
    assert linear_cka(X, X @ _orthogonal(rng, 8)) == pytest.approx(1, abs=1e-12)
    assert linear_cka(X, X @ _orthogonal(rng, 8, 13)) == pytest.approx(1, abs=1e-12)  # wider
    assert linear_cka(X, -3.7 * X) == pytest.approx(1, abs=1e-12)
    assert linear_cka(X, X + rng.standard_normal(8)) == pytest.approx(1, abs=1e-12)


def test_cka_equals_the_hsic_formulation_with_gram_matrices():
    """Kornblith et al. (2019) eq. 3: HSIC(K, L) = tr(KHLH)/(n-1)^2 on the n-by-n Grams."""
    rng = np.random.default_rng(2)
    n = 40
    X = rng.standard_normal((n, 5)) + 2.0
    Y = np.tanh(X @ rng.standard_normal((5, 7))) + 0.3 * rng.standard_normal((n, 7))
    H = np.eye(n) - np.ones((n, n)) / n

    def hsic(K, L):
        return np.trace(K @ H @ L @ H) / (n - 1) ** 2

    K, L = X @ X.T, Y @ Y.T
    expected = hsic(K, L) / np.sqrt(hsic(K, K) * hsic(L, L))
    assert 0.2 < expected < 0.95
    assert linear_cka(X, Y) == pytest.approx(expected, rel=1e-12)
    assert linear_cka(Y, X) == pytest.approx(expected, rel=1e-12)


def test_cka_is_not_invariant_to_a_non_orthogonal_invertible_map():
    """For isotropic X (X^T X -> n I), CKA(X, XA) -> sum s_i^2 / (sqrt(p) sqrt(sum s_i^4)),
    s_i the singular values of A: < 1 unless A is a scaled orthogonal matrix."""
    rng = np.random.default_rng(3)
    p = 8
    s = np.array([1.0] * 7 + [10.0])
    A = _orthogonal(rng, p) @ np.diag(s) @ _orthogonal(rng, p)
    X = rng.standard_normal((20000, p))
    expected = np.sum(s**2) / (np.sqrt(p) * np.sqrt(np.sum(s**4)))  # 0.378
    assert linear_cka(X, X @ A) == pytest.approx(expected, rel=0.02)
    assert linear_cka(X, X @ A) < 0.5


def test_cka_of_independent_noise_is_the_chance_level():
    """Independent Gaussian X (n, p), Y (n, q): CKA ~ sqrt(pq)/n, not 0 (biased HSIC);
    the mean of 60 draws agrees with linear_cka_chance (sd of a draw ~ 25 % of the mean)."""
    rng = np.random.default_rng(4)
    n, p, q = 500, 10, 3
    values = [linear_cka(rng.standard_normal((n, p)), rng.standard_normal((n, q)))
              for _ in range(60)]
    chance = linear_cka_chance(n, p, q)
    assert chance == pytest.approx(np.sqrt(p * q) / n, rel=0.03)  # 0.0108
    assert np.mean(values) == pytest.approx(chance, rel=0.1)
    assert max(values) < 3 * chance
    # and CKA grows from this floor when Y shares a component with X
    X = rng.standard_normal((n, p))
    assert linear_cka(X, X[:, :q] + rng.standard_normal((n, q))) > 20 * chance


def test_cka_refuses_bad_representations():
    X = np.ones((10, 3))
    with pytest.raises(ParameterError, match="X is constant"):
        linear_cka(X, np.arange(10.0))
    with pytest.raises(ParameterError, match="same samples"):
        linear_cka(np.eye(10), np.eye(9))
    with pytest.raises(ParameterError, match="n_samples"):
        linear_cka_chance(1, 2, 2)


def test_update_cosine_of_self_negative_and_orthogonal_updates():
    rng = np.random.default_rng(5)
    a = {"in_hid": rng.standard_normal((4, 3)), "hid_out": rng.standard_normal((3, 2))}
    flat = np.concatenate([a["hid_out"].ravel(), a["in_hid"].ravel()])
    v = rng.standard_normal(flat.size)
    v -= (v @ flat) / (flat @ flat) * flat  # orthogonal to a as a whole, not per projection
    b = {"hid_out": v[:6].reshape(3, 2), "in_hid": v[6:].reshape(4, 3)}
    assert update_cosine(a, a) == pytest.approx(1, abs=1e-12)
    assert update_cosine(a, {k: -w for k, w in a.items()}) == pytest.approx(-1, abs=1e-12)
    assert update_cosine(a, b) == pytest.approx(0, abs=1e-12)
    assert update_cosine(a["in_hid"], b["in_hid"]) != pytest.approx(0, abs=1e-3)
    # flattened over all entries (dict order irrelevant), larger projections weigh more
    c = {"hid_out": rng.standard_normal((3, 2)), "in_hid": 5 * rng.standard_normal((4, 3))}
    cflat = np.concatenate([c["hid_out"].ravel(), c["in_hid"].ravel()])
    expected = flat @ cflat / np.linalg.norm(flat) / np.linalg.norm(cflat)
    assert update_cosine(a, c) == pytest.approx(expected, rel=1e-12)
    assert update_cosine(flat, cflat) == pytest.approx(expected, rel=1e-12)


def test_update_cosine_refuses_mismatched_or_zero_updates():
    a = {"w": np.ones(3)}
    with pytest.raises(ParameterError, match="same weights"):
        update_cosine(a, {"v": np.ones(3)})
    with pytest.raises(ParameterError, match=r"a\['w'\] and b\['w'\] must have the same size"):
        update_cosine(a, {"w": np.ones(4)})
    with pytest.raises(ParameterError, match="b is a zero update"):
        update_cosine(a, {"w": np.zeros(3)})


def test_over_training_pairs_common_epochs_in_order():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((100, 4))
    # the method's representation approaches the reference's as the noise shrinks
    reference = {e: X for e in (0, 1, 2, 3)}
    snapshots = {e: X + noise * rng.standard_normal((100, 4))
                 for e, noise in ((3, 0.1), (0, 3.0), (2, 0.5), (5, 0.0))}
    curve = over_training(snapshots, reference)
    assert [e for e, _ in curve] == [0, 2, 3]
    assert [v for _, v in curve] == [linear_cka(snapshots[e], X) for e in (0, 2, 3)]
    assert curve[0][1] < curve[1][1] < curve[2][1] < 1
    cosines = over_training({1: {"w": np.ones(2)}}, {1: {"w": np.array([1.0, -1.0])}},
                            measure=update_cosine)
    assert cosines == [(1, pytest.approx(0, abs=1e-15))]
    with pytest.raises(ParameterError, match="share no epoch"):
        over_training({0: X}, {1: X})
