"""Random connectivity drawn on the host with numpy.

Drawing connections (and initial values) with a seeded numpy generator,
instead of inside the simulator, gives the *same* network on every device,
GeNN included (which cannot be seeded), and makes runs reproducible.
"""
from __future__ import annotations

import numpy as np

__all__ = ["fixed_probability"]


def fixed_probability(n_source: int, n_target: int, p: float, rng: np.random.Generator,
                      autapses: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Each (source, target) pair connected independently with probability ``p``.

    Returns index arrays ``(i, j)`` sorted by source.  With ``autapses=False``
    (only meaningful when source and target are the same group) pairs with
    ``i == j`` are excluded and each source has ``n_target - 1`` candidates.
    Cost is O(number of synapses), not O(n_source * n_target).
    """
    if not 0 <= p <= 1:
        raise ValueError(f"Connection probability 'p' must be in [0, 1]; got {p!r}.")
    if n_source < 0 or n_target < 0:
        raise ValueError(f"Group sizes must be >= 0; got n_source={n_source}, n_target={n_target}.")
    candidates = n_target if autapses else n_target - 1
    counts = rng.binomial(max(candidates, 0), p, size=n_source)
    i = np.repeat(np.arange(n_source, dtype=np.int32), counts)
    j = np.empty(counts.sum(), dtype=np.int32)
    start = 0
    for source, k in enumerate(counts):
        if k:
            targets = rng.choice(candidates, size=k, replace=False)
            if not autapses:
                targets[targets >= source] += 1
            j[start:start + k] = np.sort(targets)
            start += k
    return i, j
