r"""Similarity of two networks: linear CKA of representations, cosine of weight updates.

Used to compare a learning method with BPTT during training (Lin et al. 2025): how alike are
the hidden representations, and how well does a method's weight update point along BPTT's
gradient.

* :func:`linear_cka`, centered kernel alignment with linear kernels (Kornblith et al. 2019) of
  two representations of the same :math:`n` samples, :math:`X` (n, p) and :math:`Y` (n, q).
  With :math:`K = XX^\top`, :math:`L = YY^\top`, the centering matrix
  :math:`H = I_n - \tfrac1n \mathbf 1 \mathbf 1^\top` and the (biased) Hilbert-Schmidt
  independence criterion :math:`\mathrm{HSIC}(K, L) = \mathrm{tr}(KHLH)/(n-1)^2`,

  .. math::

      \mathrm{CKA}(X, Y) = \frac{\mathrm{HSIC}(K, L)}{\sqrt{\mathrm{HSIC}(K, K)\,
      \mathrm{HSIC}(L, L)}}
      = \frac{\lVert \tilde Y^\top \tilde X \rVert_F^2}
      {\lVert \tilde X^\top \tilde X \rVert_F \, \lVert \tilde Y^\top \tilde Y \rVert_F},

  :math:`\tilde X = HX` (columns centred); the right-hand form (Kornblith et al. eq. 4)
  is computed, in :math:`O(n(p+q)^2)` without the n-by-n Gram matrices.  CKA lies in
  [0, 1]; it is invariant to orthogonal transformations and isotropic scaling of either
  representation, not to general invertible linear maps.
* :func:`linear_cka_chance`, the size of CKA for two *independent* Gaussian
  representations, from the Wishart moments of :math:`\tilde X^\top \tilde X` (m = n - 1
  degrees of freedom): :math:`E\lVert \tilde Y^\top \tilde X\rVert_F^2 = m p q`,
  :math:`E\lVert \tilde X^\top \tilde X\rVert_F^2 = m p (m + p + 1)`, hence

  .. math::

      \mathrm{CKA}_{\rm chance} \approx \sqrt{\frac{p q}{(m + p + 1)(m + q + 1)}}
      \;\approx\; \frac{\sqrt{pq}}{n} \quad (n \gg p, q),

  (a ratio of expectations; exact as :math:`n \to \infty`): biased CKA is not 0 for
  finite n, so a curve of CKA is read against this floor.
* :func:`update_cosine`, the cosine of two weight updates, each an array or a dict of
  arrays (e.g. ``{projection: dW}``) flattened over all its entries:
  :math:`\cos = \langle a, b\rangle / (\lVert a\rVert\,\lVert b\rVert)`.
* :func:`over_training`, either measure per epoch, for snapshots of a method and of the
  reference: a list of ``(epoch, value)``.

References
----------
Kornblith S, Norouzi M, Lee H, Hinton G (2019) Similarity of neural network
representations revisited. ICML, PMLR 97:3519-3529.
Gretton A, Bousquet O, Smola A, Schoelkopf B (2005) Measuring statistical dependence
with Hilbert-Schmidt norms. ALT, LNCS 3734:63-77 (HSIC).
Lin J, Lu S, Bal M, Sengupta A (2025) Benchmarking spiking neural network learning
methods with varying locality. IEEE Access (arXiv 2402.01782).
"""

from collections.abc import Mapping

import numpy as np

from ..parameters import ParameterError

__all__ = ["linear_cka", "linear_cka_chance", "update_cosine", "over_training"]


def _representation(x, name):
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ParameterError(f"{name} must have shape (n_samples, n_features), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"{name} must hold finite numbers only")
    return x


def linear_cka(X, Y):
    r"""Linear centered kernel alignment of two representations (Kornblith et al. 2019).

    .. math::

        \mathrm{CKA}(X, Y) = \frac{\lVert \tilde Y^\top \tilde X \rVert_F^2}
        {\lVert \tilde X^\top \tilde X \rVert_F \, \lVert \tilde Y^\top \tilde Y \rVert_F}
        = \frac{\mathrm{HSIC}(XX^\top, YY^\top)}
        {\sqrt{\mathrm{HSIC}(XX^\top, XX^\top)\,\mathrm{HSIC}(YY^\top, YY^\top)}},

    with column-centred :math:`\tilde X, \tilde Y` (see the module docstring).

    Parameters
    ----------
    X : array_like, shape (n_samples, p)
        First representation (e.g. hidden spike counts), one row per sample; 1-d means p = 1.
    Y : array_like, shape (n_samples, q)
        Second representation of the same samples, in the same order.

    Returns
    -------
    float
        In [0, 1]: 1 for representations equal up to rotation, reflection, isotropic scaling
        and translation.

    Raises
    ------
    ParameterError
        Different numbers of samples, fewer than 2 samples, or a representation that is
        constant over the samples (its centred Gram matrix is 0 and CKA is undefined).
    """
    X, Y = _representation(X, "X"), _representation(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ParameterError(
            f"X and Y must hold the same samples (rows), got {X.shape[0]} and {Y.shape[0]}")
    if X.shape[0] < 2:
        raise ParameterError(f"CKA needs n_samples >= 2, got {X.shape[0]}")
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    norm_x = np.linalg.norm(X.T @ X)
    norm_y = np.linalg.norm(Y.T @ Y)
    for name, norm in (("X", norm_x), ("Y", norm_y)):
        if norm == 0:
            raise ParameterError(f"{name} is constant over the samples: CKA is undefined")
    return float(np.linalg.norm(Y.T @ X) ** 2 / (norm_x * norm_y))


def linear_cka_chance(n_samples, p, q):
    r"""Expected linear CKA of two independent Gaussian representations, (n, p) and (n, q).

    :math:`\sqrt{pq / ((m + p + 1)(m + q + 1))}` with :math:`m = n - 1` (ratio of the
    expectations of numerator and denominator, see the module docstring): the floor that
    biased CKA does not go below for unrelated representations of n samples.

    Parameters
    ----------
    n_samples : int
        Number of samples n, >= 2.
    p, q : int
        Numbers of features, >= 1.

    Returns
    -------
    float
    """
    for name, value, low in (("n_samples", n_samples, 2), ("p", p, 1), ("q", q, 1)):
        if not (np.isscalar(value) and float(value).is_integer() and value >= low):
            raise ParameterError(f"{name} must be a whole number >= {low}, got {value!r}")
    m = n_samples - 1
    return float(np.sqrt(p * q / ((m + p + 1) * (m + q + 1))))


def _flat(update, name):
    if isinstance(update, Mapping):
        if not update:
            raise ParameterError(f"{name} must not be an empty dict")
        return {key: np.asarray(value, dtype=float).ravel() for key, value in update.items()}
    return {None: np.asarray(update, dtype=float).ravel()}


def update_cosine(a, b):
    r"""Cosine similarity of two weight updates, flattened over all their entries.

    .. math:: \cos(a, b) = \frac{\sum_k \langle a_k, b_k\rangle}
              {\sqrt{\sum_k \lVert a_k\rVert^2}\,\sqrt{\sum_k \lVert b_k\rVert^2}},

    :math:`k` over the entries of a dict (e.g. one weight matrix per projection), so a
    projection with larger updates weighs more.

    Parameters
    ----------
    a, b : array_like or dict of str -> array_like
        Two updates of the same weights: arrays of the same size, or dicts with the same
        keys and, per key, arrays of the same size (e.g. a method's update and BPTT's
        gradient).

    Returns
    -------
    float
        In [-1, 1]: 1 for parallel updates, -1 for opposite ones, 0 for orthogonal ones.

    Raises
    ------
    ParameterError
        Different keys or sizes, non-finite entries, or an update that is zero (its cosine
        is undefined).
    """
    a, b = _flat(a, "a"), _flat(b, "b")
    if set(a) != set(b):
        raise ParameterError(f"a and b must update the same weights, got keys {sorted(a, key=str)}"
                             f" and {sorted(b, key=str)}")
    keys = sorted(a, key=str)
    for key in keys:
        if a[key].size != b[key].size:
            where = "" if key is None else f"[{key!r}]"
            raise ParameterError(f"a{where} and b{where} must have the same size, "
                                 f"got {a[key].size} and {b[key].size}")
    va = np.concatenate([a[key] for key in keys])
    vb = np.concatenate([b[key] for key in keys])
    if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb))):
        raise ParameterError("a and b must hold finite numbers only")
    na, nb = np.linalg.norm(va), np.linalg.norm(vb)
    for name, norm in (("a", na), ("b", nb)):
        if norm == 0:
            raise ParameterError(f"{name} is a zero update: its cosine is undefined")
    return float(np.clip(va @ vb / (na * nb), -1.0, 1.0))


def over_training(snapshots, reference, measure=linear_cka):
    """A similarity measure per epoch, between a method's snapshots and the reference's.

    Parameters
    ----------
    snapshots : mapping epoch -> representation or update
        The method's snapshots (e.g. hidden representations of a fixed probe set, or its
        weight updates), keyed by epoch.
    reference : mapping epoch -> representation or update
        The reference's snapshots (e.g. the BPTT twin's), keyed by epoch.
    measure : callable (snapshot, reference snapshot) -> float, default :func:`linear_cka`
        E.g. :func:`update_cosine` for updates.

    Returns
    -------
    list of (epoch, float)
        One pair per epoch present in both mappings, in increasing order of epoch.

    Raises
    ------
    ParameterError
        The two mappings share no epoch.
    """
    epochs = sorted(set(snapshots) & set(reference))
    if not epochs:
        raise ParameterError(f"snapshots and reference share no epoch: got epochs "
                             f"{sorted(snapshots)} and {sorted(reference)}")
    return [(epoch, measure(snapshots[epoch], reference[epoch])) for epoch in epochs]
