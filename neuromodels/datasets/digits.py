"""scikit-learn's 8x8 handwritten digits, split and scaled for spiking networks.

The data ship with scikit-learn (no download): 1797 images of 8x8 pixels
with integer intensities 0..16, ten classes.

References
----------
Alpaydin E, Kaynak C (1998) Optical Recognition of Handwritten Digits.
UCI Machine Learning Repository. doi:10.24432/C50P49
Pedregosa F et al. (2011) Scikit-learn: machine learning in Python. JMLR
12:2825-2830 (``sklearn.datasets.load_digits``).
"""

import numpy as np

from .cache import cached_split
from .split import check_test_size, stratified_split

__all__ = ["load_digits"]


def load_digits(test_size=0.2, random_state=0, scale=True):
    r"""Stratified train/test split of the 8x8 digits, pixels scaled to [0, 1].

    Pixels are divided by 16 (their maximum), :math:`x = p/16 \in [0, 1]`, so
    they can be used directly as spike probabilities per time step
    (:func:`neuromodels.datasets.encoding.rate_encode`). The split is
    ``sklearn.model_selection.train_test_split(X, y, test_size=test_size,
    stratify=y, random_state=random_state)``; with the defaults it is the
    80/20 split, ``random_state=0``, used for the noise-learning study
    (1437 training and 360 test images).

    Parameters
    ----------
    test_size : float, default 0.2
        Fraction of images in the test set, in (0, 1).
    random_state : int, default 0
        Seed of the split.
    scale : bool, default True
        Divide pixels by 16; if False return the raw integer intensities
        (as float).

    Returns
    -------
    X_train : numpy.ndarray, shape (n_train, 64), float64
    X_test : numpy.ndarray, shape (n_test, 64), float64
    y_train : numpy.ndarray, shape (n_train,), int64
    y_test : numpy.ndarray, shape (n_test,), int64
    """
    check_test_size(test_size)
    return cached_split("digits", _split, test_size=test_size, random_state=random_state,
                        scale=bool(scale))


def _split(test_size, random_state, scale):
    from sklearn.datasets import load_digits as _load

    data = _load()
    X = data.data.astype(np.float64)
    y = data.target.astype(np.int64)
    if scale:
        X = X / 16.0
    return stratified_split(X, y, test_size=test_size, random_state=random_state)
