r"""The Yin-Yang data set (Kriener, Goeltz & Petrovici 2021), generated from its formula.

Points :math:`(x, y)` are drawn uniformly in the square
:math:`[0, 2R]^2` and kept if they lie in the big circle of radius
:math:`R` = ``r_big`` centred at :math:`(R, R)`. With the two dot centres
:math:`c_r = (1.5R, R)` and :math:`c_l = (0.5R, R)`, distances
:math:`d_r, d_l` to them and the small radius :math:`r` = ``r_small``:

* class 2 (``dot``): :math:`d_r < r` or :math:`d_l < r`;
* otherwise class 1 if :math:`d_r \le r`, or :math:`r < d_l \le R/2`, or
  (:math:`y > R` and :math:`d_r > R/2`);
* otherwise class 0.

Class names follow the reference implementation's list
``['yin', 'yang', 'dot']`` indexed by the label. (In the reference code the
boolean behind label 1 is called ``is_yin``; only the integer labels matter.)

Balanced classes by rejection sampling as in the reference: for each sample
the target class is drawn uniformly from {0, 1, 2}, then points are drawn
until one of that class is found. Each sample is encoded as
:math:`(x, y, 1 - x, 1 - y)` (mirrored coordinates, so networks without a
bias see symmetric input); with the default :math:`R = 0.5` the coordinates
are in [0, 1].

The generator is numpy's ``default_rng(seed)`` (vectorised), so the samples
differ from the reference's ``np.random.seed`` stream but follow the same
distribution. Published sizes: 5000 training, 1000 validation and 1000 test
samples, generated with different seeds (the reference uses 42, 41, 40;
those are the defaults of :func:`load_yinyang`).

References
----------
Kriener L, Goeltz J, Petrovici MA (2021) The Yin-Yang dataset.
arXiv:2102.08211; reference code: github.com/lkriener/yin_yang_data_set.
"""

import numpy as np

__all__ = ["CLASS_NAMES", "yinyang_class", "make_yinyang", "load_yinyang"]

CLASS_NAMES = ("yin", "yang", "dot")


def _check_radii(r_small, r_big):
    if not (np.isfinite(r_big) and r_big > 0):
        raise ValueError(f"r_big must be a finite number > 0, got {r_big!r}")
    if not (np.isfinite(r_small) and 0 < r_small < r_big / 2):
        raise ValueError(f"r_small must be in (0, r_big/2) = (0, {r_big / 2}), got {r_small!r}")


def yinyang_class(x, y, r_small=0.1, r_big=0.5):
    """Class label (0, 1 or 2) of points inside the Yin-Yang circle.

    Parameters
    ----------
    x, y : float or array_like
        Coordinates (same units as the radii), broadcast.
    r_small : float, default 0.1
        Radius of the two dots, in (0, r_big/2).
    r_big : float, default 0.5
        Radius of the big circle, > 0 (centre at (r_big, r_big)).

    Returns
    -------
    numpy.ndarray of int
        Labels by the rules in the module docstring; -1 for points outside the
        big circle.
    """
    _check_radii(r_small, r_big)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    d_r = np.hypot(x - 1.5 * r_big, y - r_big)
    d_l = np.hypot(x - 0.5 * r_big, y - r_big)
    c1 = d_r <= r_small
    c2 = (d_l > r_small) & (d_l <= 0.5 * r_big)
    c3 = (y > r_big) & (d_r > 0.5 * r_big)
    label = (c1 | c2 | c3).astype(np.int64)
    label = np.where((d_r < r_small) | (d_l < r_small), 2, label)
    outside = np.hypot(x - r_big, y - r_big) > r_big
    label = np.where(outside, -1, label)
    return label[()] if label.ndim == 0 else label


def make_yinyang(n_samples=1000, seed=42, r_small=0.1, r_big=0.5):
    """Generate a balanced Yin-Yang sample set.

    Parameters
    ----------
    n_samples : int, default 1000
        Number of samples, >= 1.
    seed : int, default 42
        Seed of ``numpy.random.default_rng``; use different seeds for
        different splits.
    r_small : float, default 0.1
        Radius of the dots, in (0, r_big/2).
    r_big : float, default 0.5
        Radius of the big circle, > 0.

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, 4), float64
        Inputs ``(x, y, 1 - x, 1 - y)`` (for ``r_big=0.5``; in general
        ``(x, y, 2 r_big - x, 2 r_big - y)``).
    y : numpy.ndarray, shape (n_samples,), int64
        Labels in {0, 1, 2} (names in ``CLASS_NAMES``).
    """
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    _check_radii(r_small, r_big)
    n_samples = int(n_samples)
    rng = np.random.default_rng(seed)
    goal = rng.integers(0, 3, size=n_samples)
    pts = np.empty((n_samples, 2))
    for c in range(3):
        need = int(np.sum(goal == c))
        found = []
        n_found = 0
        while n_found < need:
            xy = rng.random((max(4 * (need - n_found), 64), 2)) * 2 * r_big
            lab = yinyang_class(xy[:, 0], xy[:, 1], r_small, r_big)
            keep = xy[lab == c]
            found.append(keep)
            n_found += keep.shape[0]
        pts[goal == c] = np.concatenate(found)[:need]
    X = np.column_stack([pts, 2 * r_big - pts])
    return X, goal.astype(np.int64)


def load_yinyang(n_train=5000, n_val=1000, n_test=1000, seeds=(42, 41, 40), r_small=0.1, r_big=0.5):
    """Training, validation and test sets of the published sizes.

    Parameters
    ----------
    n_train, n_val, n_test : int, defaults 5000, 1000, 1000
        Sizes of the three sets (Kriener et al. 2021).
    seeds : tuple of 3 int, default (42, 41, 40)
        Seeds of the three sets; must differ.
    r_small, r_big : float, defaults 0.1, 0.5
        Radii (see :func:`make_yinyang`).

    Returns
    -------
    dict
        ``{"train": (X, y), "val": (X, y), "test": (X, y)}``.
    """
    seeds = tuple(seeds)
    if len(seeds) != 3 or len(set(seeds)) != 3:
        raise ValueError(f"seeds must be 3 different integers, got {seeds!r}")
    return {
        name: make_yinyang(n, s, r_small, r_big)
        for name, n, s in zip(("train", "val", "test"), (n_train, n_val, n_test), seeds)
    }
