import numpy as np
import pytest

from neuromodels.connectivity import fixed_probability

pytestmark = pytest.mark.compat


def test_degree_matches_binomial_and_no_autapses():
    n, p = 2000, 0.02
    i, j = fixed_probability(n, n, p, np.random.default_rng(1), autapses=False)
    assert not np.any(i == j)
    pairs = i.astype(np.int64) * n + j
    assert np.unique(pairs).size == pairs.size  # no duplicate synapses
    expected = n * (n - 1) * p
    assert abs(i.size - expected) < 5 * np.sqrt(expected * (1 - p))
    out_degree = np.bincount(i, minlength=n)
    in_degree = np.bincount(j, minlength=n)
    # Binomial(n-1, p) degree variance; in-degrees must be just as spread (targets uniform)
    var = (n - 1) * p * (1 - p)
    for deg in (out_degree, in_degree):
        assert abs(deg.var() / var - 1) < 0.15


def test_same_seed_same_network_and_validation():
    a = fixed_probability(100, 50, 0.3, np.random.default_rng(7))
    b = fixed_probability(100, 50, 0.3, np.random.default_rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    with pytest.raises(ValueError, match="'p' must be in \\[0, 1\\]"):
        fixed_probability(10, 10, 1.5, np.random.default_rng(0))
