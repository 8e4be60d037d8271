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
