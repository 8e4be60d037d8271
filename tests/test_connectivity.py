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


@pytest.mark.parametrize("block", [1, 97, 10_000, None])
def test_blocks_are_the_same_draws(block):
    """Blocks of consecutive sources, at most `block` synapses each (or one source),
    concatenate to the one-pass draw, and leave the generator in the same state: the same
    network whatever the block size."""
    n, p = 300, 0.1
    rng = np.random.default_rng(5)
    ref = fixed_probability(n, n, p, rng, autapses=False)
    after = rng.random()
    rng = np.random.default_rng(5)
    blocks = list(fixed_probability_blocks(n, n, p, rng, autapses=False, block=block))
    assert rng.random() == after
    for i, j in blocks:
        assert len(i) <= (block or np.inf) or len(np.unique(i)) == 1
        assert i.dtype == j.dtype == np.int32
    for (i, _), (k, _) in zip(blocks, blocks[1:]):
        assert i[-1] < k[0]   # consecutive sources, none split across blocks
    for got, want in zip(map(np.concatenate, zip(*blocks)), ref):
        np.testing.assert_array_equal(got, want)
    assert np.all(np.diff(ref[0].astype(np.int64) * n + ref[1]) > 0)   # sorted by (i, j)
    assert abs(ref[0].size / fixed_probability_count(n, n, p, autapses=False) - 1) < 0.05


def _degree_chi2_pvalue(degrees, trials, p):
    """Chi-square goodness of fit of `degrees` to Binomial(trials, p), tails pooled so that
    every bin expects >= 5."""
    from scipy import stats

    k = np.arange(trials + 1)
    expected = stats.binom.pmf(k, trials, p) * len(degrees)
    observed = np.bincount(degrees, minlength=trials + 1)[:trials + 1]
    lo, hi = np.argmax(np.cumsum(expected) >= 5), trials - np.argmax(
        np.cumsum(expected[::-1]) >= 5)
    obs = np.concatenate([[observed[:lo + 1].sum()], observed[lo + 1:hi], [observed[hi:].sum()]])
    exp = np.concatenate([[expected[:lo + 1].sum()], expected[lo + 1:hi], [expected[hi:].sum()]])
    return stats.chisquare(obs, exp * obs.sum() / exp.sum()).pvalue


@pytest.mark.parametrize("autapses", [True, False])
def test_rows_and_columns_are_binomial_and_a_wrong_p_is_detected(autapses):
    """Out- and in-degrees are Binomial(candidates, p) (chi-square, p-value > 0.001); the same
    test rejects the draw as Binomial(candidates, 1.05 p) (p-value < 1e-6)."""
    n, p = 4000, 0.02
    i, j = fixed_probability(n, n, p, np.random.default_rng(11), autapses=autapses)
    candidates = n if autapses else n - 1
    assert autapses or not np.any(i == j)
    for degrees in (np.bincount(i, minlength=n), np.bincount(j, minlength=n)):
        assert _degree_chi2_pvalue(degrees, candidates, p) > 1e-3
        assert _degree_chi2_pvalue(degrees, candidates, 1.05 * p) < 1e-6


def test_every_pair_is_an_independent_bernoulli_trial():
    """Over 3000 seeds of a 12-neuron group (no autapses): each of the 132 pairs is connected
    in Binomial(3000, p) draws (chi-square over the pairs), two pairs of a row together in
    p**2 of them (independent), and the diagonal never; 0.32 instead of 0.3 fails."""
    from scipy import stats

    n, p, seeds = 12, 0.3, 3000
    counts, both = np.zeros((n, n)), 0
    for seed in range(seeds):
        i, j = fixed_probability(n, n, p, np.random.default_rng(seed), autapses=False)
        adjacency = np.zeros((n, n), dtype=bool)
        adjacency[i, j] = True
        counts += adjacency
        both += adjacency[0, 1] & adjacency[0, 2]
    off = counts[~np.eye(n, dtype=bool)]
    assert not counts[np.eye(n, dtype=bool)].any()

    def pvalue(q):
        return stats.chi2.sf((((off - seeds * q) ** 2) / (seeds * q * (1 - q))).sum(), off.size)

    assert pvalue(p) > 1e-3 and pvalue(0.32) < 1e-6
    assert abs(both - seeds * p ** 2) < 4 * np.sqrt(seeds * p ** 2 * (1 - p ** 2))


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


def test_a_large_draw_costs_about_as_much_as_its_random_numbers():
    """16,000 neurons, 80 synapses each: the draw takes at most 6x the CPU time of drawing one
    geometric number per synapse (0.3 s with the per-source loop it replaced, 15x)."""
    import time

    n, p = 16_000, 80 / 16_000
    rng = np.random.default_rng(0)
    start = time.process_time()
    synapses = sum(len(i) for i, _ in fixed_probability_blocks(n, n, p, rng, autapses=False))
    draw = time.process_time() - start
    start = time.process_time()
    for _ in range(3):
        rng.geometric(p, size=synapses)
    reference = (time.process_time() - start) / 3
    assert abs(synapses / (n * (n - 1) * p) - 1) < 0.01 and draw < 6 * reference
