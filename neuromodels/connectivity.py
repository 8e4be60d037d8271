"""Connection patterns drawn on the host with numpy.

Drawing connections (and initial values) with a seeded numpy generator,
instead of inside the simulator, gives the *same* network on every device,
GeNN included (which cannot be seeded), and makes runs reproducible.

Large networks are drawn in blocks of consecutive sources
(:func:`fixed_probability_blocks`) and each block is handed to Brian2 and
dropped (:func:`neuromodels.devices.connect_arrays`), so that the host never
holds all index arrays at once; the blocks are the same draws as
:func:`fixed_probability`.

Every pattern returns index arrays ``(i, j)`` (source, target), sorted by source and
then target, for ``SynapseModel.connect(source, target, i, j)`` (synapse ``k``
connects ``i[k]`` to ``j[k]``; all-to-all gives ``k = i * n_target + j``, the
``W[i_pre, j_post]`` layout).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

__all__ = ["fixed_probability", "fixed_probability_blocks", "fixed_probability_count",
           "BLOCK_SYNAPSES", "GAPS_PER_DRAW", "one_to_one", "all_to_all", "all_but_self",
           "fixed_indegree"]

#: Synapses per block: 2**19 (4 MiB of int32 indices for i and j together; measured peak
#: of building the 64k-neuron CUBA network: 2**20 +46 MB, 2**19 +28 MB over the imports).
BLOCK_SYNAPSES = 2 ** 19


def _check_sizes(**sizes: int) -> None:
    for name, n in sizes.items():
        if isinstance(n, bool) or int(n) != n or n < 0:
            raise ValueError(f"Group size '{name}' must be a whole number >= 0; got {n!r}.")


def _check(n_source: int, n_target: int, p: float) -> None:
    if not 0 <= p <= 1:
        raise ValueError(f"Connection probability 'p' must be in [0, 1]; got {p!r}.")
    _check_sizes(n_source=n_source, n_target=n_target)


def fixed_probability_count(n_source: int, n_target: int, p: float, autapses: bool = True) -> float:
    """Expected number of synapses of :func:`fixed_probability` (for memory estimates)."""
    _check(n_source, n_target, p)
    return float(n_source) * max(n_target if autapses else n_target - 1, 0) * p


#: Geometric gaps per call of the generator: fixed, so that the draw (and the generator's state
#: after it) does not depend on the block size.
GAPS_PER_DRAW = 2 ** 16


def fixed_probability_blocks(n_source: int, n_target: int, p: float, rng: np.random.Generator,
                             autapses: bool = True, block: int | None = None
                             ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """:func:`fixed_probability` as index blocks ``(i, j)`` of consecutive sources with at
    most ``block`` synapses each (default :data:`BLOCK_SYNAPSES`; a source with more gets
    a block of its own).

    The pairs are numbered source by source, ``k = i * candidates + c`` (``c`` the target, or
    with ``autapses=False`` the target among the ``n_target - 1`` others); the gaps between
    consecutive connected pairs of a Bernoulli(``p``) sequence are independent and
    Geometric(``p``) (support 1, 2, ...), so drawing the gaps (at most
    :data:`GAPS_PER_DRAW` per call) and summing them gives every pair connected independently with
    probability ``p``, in O(synapses) with numpy.  The blocks concatenated equal
    :func:`fixed_probability` with the same generator state, whatever ``block``.
    """
    _check(n_source, n_target, p)
    block = block or BLOCK_SYNAPSES
    candidates = n_target if autapses else n_target - 1
    pairs = int(n_source) * max(candidates, 0)
    if pairs == 0 or p == 0:
        return
    # gaps per call: a function of the arguments only (a small network draws few spare gaps)
    expected = pairs * p
    size = int(min(GAPS_PER_DRAW, expected + 6 * np.sqrt(expected) + 16))
    last, pending, done = -1, np.empty(0, dtype=np.int64), False
    while not done:
        drawn = last + np.cumsum(rng.geometric(p, size=size))
        last = int(drawn[-1])
        done = last >= pairs
        pending = np.concatenate([pending, drawn[drawn < pairs]])
        if len(pending) < block and not done:
            continue
        # every pair of the sources before `complete` has been drawn
        complete = n_source if done else last // candidates
        ready = int(np.searchsorted(pending, complete * candidates))
        start = 0
        while start < ready and (done or ready - start >= block):
            end = min(start + block, ready)
            if end < ready:   # end at a source's first synapse; a source with more: its own
                row = int(pending[end]) // candidates
                if int(pending[start]) // candidates == row:
                    row += 1
                end = min(int(np.searchsorted(pending, row * candidates)), ready)
            i, j = np.divmod(pending[start:end], candidates)
            if not autapses:
                j[j >= i] += 1
            yield i.astype(np.int32), j.astype(np.int32)
            start = end
        pending = pending[start:]


def fixed_probability(n_source: int, n_target: int, p: float, rng: np.random.Generator,
                      autapses: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each (source, target) pair connected independently with probability ``p``.

    With ``autapses=False`` (only meaningful when source and target are the same
    group) pairs with ``i == j`` are excluded and each source has ``n_target - 1``
    candidates.  Cost is O(number of synapses), not O(n_source * n_target): the gaps between
    connected pairs are drawn (:func:`fixed_probability_blocks`).
    """
    blocks = list(fixed_probability_blocks(n_source, n_target, p, rng, autapses))
    if not blocks:
        return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.int32)
    return (np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks]))


def one_to_one(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Source ``k`` to target ``k`` for ``k < n`` (two groups of the same size)."""
    _check_sizes(n=n)
    k = np.arange(n, dtype=np.int32)
    return k, k.copy()


def all_to_all(n_source: int, n_target: int) -> tuple[np.ndarray, np.ndarray]:
    """Every source to every target; synapse ``k = i * n_target + j``."""
    _check_sizes(n_source=n_source, n_target=n_target)
    i = np.repeat(np.arange(n_source, dtype=np.int32), n_target)
    j = np.tile(np.arange(n_target, dtype=np.int32), n_source)
    return i, j


def all_but_self(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every neuron of one group to every other one (no autapses): n (n - 1) synapses."""
    i, j = all_to_all(n, n)
    keep = i != j
    return i[keep], j[keep]


def fixed_indegree(n_source: int, n_target: int, k: int, rng: np.random.Generator,
                   autapses: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each target receives exactly ``k`` synapses from distinct sources drawn uniformly.

    With ``autapses=False`` (source and target the same group) target ``j`` never
    draws source ``j``, so ``k`` may be at most ``n_source - 1``.
    """
    _check_sizes(n_source=n_source, n_target=n_target, k=k)
    candidates = n_source if autapses else n_source - 1
    if k > candidates:
        raise ValueError(f"In-degree 'k' must be <= {candidates} (distinct sources"
                         f"{'' if autapses else ', no autapses'}); got {k!r}.")
    sources = np.empty((n_target, int(k)), dtype=np.int32)
    for target in range(n_target):
        drawn = rng.choice(candidates, size=int(k), replace=False)
        if not autapses:
            drawn[drawn >= target] += 1
        sources[target] = drawn
    i = sources.ravel()
    j = np.repeat(np.arange(n_target, dtype=np.int32), int(k))
    order = np.lexsort((j, i))
    return i[order], j[order]
