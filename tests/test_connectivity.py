import numpy as np
import pytest

from neuromodels.connectivity import (fixed_probability, fixed_probability_blocks,
                                      fixed_probability_count)

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


def _one_pass(n_source, n_target, p, rng, autapses):
    """The draw written out in one pass (the algorithm before blocks existed)."""
    candidates = n_target if autapses else n_target - 1
    counts = rng.binomial(candidates, p, size=n_source)
    i = np.repeat(np.arange(n_source, dtype=np.int32), counts)
    j = np.concatenate([np.sort(rng.choice(candidates, size=k, replace=False)) for k in counts])
    if not autapses:
        j[j >= i] += 1
    return i, j.astype(np.int32)


@pytest.mark.parametrize("block", [1, 97, 10_000, None])
def test_blocks_are_the_same_draws(block):
    """Blocks of consecutive sources, at most `block` synapses each (or one source),
    concatenate to the one-pass draw: the same network whatever the block size."""
    n, p = 300, 0.1
    ref = _one_pass(n, n, p, np.random.default_rng(5), autapses=False)
    blocks = list(fixed_probability_blocks(n, n, p, np.random.default_rng(5), autapses=False,
                                           block=block))
    for i, j in blocks:
        assert len(i) <= (block or np.inf) or len(np.unique(i)) == 1
        assert i.dtype == j.dtype == np.int32
    for got, want in zip(map(np.concatenate, zip(*blocks)), ref):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(fixed_probability(n, n, p, np.random.default_rng(5), False)[1],
                                  ref[1])
    assert abs(ref[0].size / fixed_probability_count(n, n, p, autapses=False) - 1) < 0.05


def _pairs(i, j, n_target):
    return i.astype(np.int64) * n_target + j


def test_one_to_one_all_to_all_and_all_but_self():
    from neuromodels.connectivity import all_but_self, all_to_all, one_to_one

    i, j = one_to_one(5)
    assert np.array_equal(i, np.arange(5)) and np.array_equal(j, np.arange(5))
    i, j = all_to_all(3, 4)
    assert i.size == 12 and np.array_equal(_pairs(i, j, 4), np.arange(12))  # k = i*n_post + j
    i, j = all_but_self(6)
    assert i.size == 6 * 5 and not np.any(i == j)
    assert np.unique(_pairs(i, j, 6)).size == i.size
    assert np.all(np.bincount(j, minlength=6) == 5) and np.all(np.bincount(i, minlength=6) == 5)


def test_fixed_indegree_counts_no_duplicates_autapses_and_seed():
    from neuromodels.connectivity import fixed_indegree

    n, k = 200, 20
    i, j = fixed_indegree(n, n, k, np.random.default_rng(3), autapses=False)
    assert np.all(np.bincount(j, minlength=n) == k)           # exactly k inputs per target
    assert not np.any(i == j)
    assert np.unique(_pairs(i, j, n)).size == i.size            # distinct sources per target
    assert np.all(np.diff(_pairs(i, j, n)) > 0)                 # sorted by source, then target
    # sources are uniform: the out-degree is Binomial(n_target - 1, k / (n - 1)) across sources
    out = np.bincount(i, minlength=n)
    p = k / (n - 1)
    assert abs(out.var() / ((n - 1) * p * (1 - p)) - 1) < 0.3
    again = fixed_indegree(n, n, k, np.random.default_rng(3), autapses=False)
    assert np.array_equal(i, again[0]) and np.array_equal(j, again[1])
    with_self = fixed_indegree(5, 5, 5, np.random.default_rng(0))
    assert np.all(np.bincount(with_self[1], minlength=5) == 5)
    with pytest.raises(ValueError, match="'k' must be <= 4"):
        fixed_indegree(5, 5, 5, np.random.default_rng(0), autapses=False)
    with pytest.raises(ValueError, match="'n_source' must be a whole number"):
        fixed_indegree(-1, 5, 1, np.random.default_rng(0))
