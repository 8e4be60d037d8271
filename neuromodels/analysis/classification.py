r"""Classification by spiking outputs: the predicted class and the accuracy.

Three read-outs: two of an output layer with one neuron per class, one of any population.

* :func:`predict_most_spikes` (rate code): the class whose neuron fired most,
  :math:`\hat y = \arg\max_k n_k` (ties go to the lower index);
* :func:`predict_first_spike` (time-to-first-spike code): the class whose neuron fired
  first, :math:`\hat y = \arg\min_k t_k`; with a trial length :math:`T`, a sample whose
  output neurons all stay silent in :math:`[0, T]` gets :data:`NO_PREDICTION` (-1), which is
  never correct (silence is no answer);
* :func:`fit_linear_readout`, :func:`predict_linear_readout` (a trained linear classifier of
  the spike counts of any population): least-squares weights :math:`W` (ridge optional) and
  :math:`\hat y = \arg\max_k ([x, 1] W)_k`;
* :func:`assign_by_vote`, :func:`predict_by_vote` (label assignment by class voting, Diehl &
  Cook 2015): each neuron is assigned the class of its highest mean response over the
  labelled samples, :math:`a_j = \arg\max_c \langle n_j \rangle_{y = c}`, and a sample is
  predicted as the class whose assigned neurons have the highest mean count,
  :math:`\hat y = \arg\max_c \langle n_j \rangle_{j: a_j = c}` (a class without neurons
  is never predicted).

:func:`accuracy` is the fraction of samples with :math:`\hat y = y`. The spiking read-outs
and the accuracy use only array methods and arithmetic, so they run on numpy arrays and,
unchanged, on JAX arrays inside ``jax.jit`` (a trainer's compiled evaluation uses the same
code as the analysis); the linear readout is fitted with numpy.

Softmax temperatures and losses do not enter here: a temperature rescales the outputs
before the loss, and the arg-max/arg-min, hence the prediction and the accuracy, do not
depend on it.
"""

import numpy as np

__all__ = ["NO_PREDICTION", "predict_most_spikes", "predict_first_spike", "accuracy",
           "fit_linear_readout", "predict_linear_readout", "assign_by_vote", "predict_by_vote"]

#: Prediction of a sample without an output spike in the trial (never a class).
NO_PREDICTION = -1


def _asarray(x):
    return x if hasattr(x, "argmin") and hasattr(x, "ndim") else np.asarray(x)  # numpy or JAX


def predict_most_spikes(counts):
    """Class with the most output spikes, per sample: ``counts`` (n_samples, n_classes)."""
    counts = _asarray(counts)
    if counts.ndim != 2:
        raise ValueError(f"counts must have shape (n_samples, n_classes), got {counts.shape}")
    return counts.argmax(axis=1)


def predict_first_spike(times, T=None):
    """Class whose output neuron fired first, per sample: ``times`` (n_samples, n_classes)
    first-spike times (``inf`` or any time > ``T`` for no spike). With ``T``, samples
    without an output spike at or before ``T`` get :data:`NO_PREDICTION`."""
    times = _asarray(times)
    if times.ndim != 2:
        raise ValueError(f"times must have shape (n_samples, n_classes), got {times.shape}")
    first = times.argmin(axis=1)
    if T is None:
        return first
    fired = times.min(axis=1) <= T
    return (first - NO_PREDICTION) * fired + NO_PREDICTION


def accuracy(predicted, labels):
    """Fraction of samples with ``predicted == labels`` (arrays of class indices, same
    length); a float (a 0-d JAX array under ``jax.jit``)."""
    predicted, labels = _asarray(predicted), _asarray(labels)
    if predicted.shape != labels.shape or predicted.ndim != 1:
        raise ValueError(f"predicted and labels must be 1-d of the same length, got "
                         f"{predicted.shape} and {labels.shape}")
    if predicted.shape[0] == 0:
        raise ValueError("accuracy of zero samples is undefined")
    # astype(float): the default float (JAX's mean of booleans would be float32 even in x64)
    correct = (predicted == labels).astype(float).mean()
    return float(correct) if isinstance(correct, np.generic) else correct


def fit_linear_readout(X, y, n_classes=None, ridge=0.0):
    r"""Least-squares linear readout of class labels from spike counts.

    Fits :math:`W` minimising
    :math:`\|[X, 1] W - Y\|^2 + \lambda\|W_{1:d}\|^2` with :math:`Y` the
    one-hot labels (bias row not penalised):

    .. math:: W = (\tilde X^T \tilde X + \lambda D)^{-1} \tilde X^T Y,
              \quad \tilde X = [X, 1],\; D = \mathrm{diag}(1,\dots,1,0).

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        Spike counts (or rates) per sample.
    y : array_like of int, shape (n_samples,)
        Class labels in ``[0, n_classes)``.
    n_classes : int or None, default None
        Number of classes; ``None`` means ``max(y) + 1``.
    ridge : float, default 0.0
        Ridge penalty :math:`\lambda` >= 0 (0 gives the minimum-norm
        least-squares solution).

    Returns
    -------
    numpy.ndarray, shape (n_features + 1, n_classes)
        Weights; the last row is the bias.

    References
    ----------
    Bishop CM (2006) Pattern Recognition and Machine Learning, sec. 4.1.3.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(
            f"X must be (n_samples, n_features) and y (n_samples,), got {X.shape}, {y.shape}"
        )
    if not (np.isfinite(ridge) and ridge >= 0):
        raise ValueError(f"ridge must be a finite number >= 0, got {ridge!r}")
    if y.size and (np.any(y != np.round(y)) or y.min() < 0):
        raise ValueError("y must hold integer class labels >= 0")
    y = y.astype(np.int64)
    n_classes = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.size and y.max() >= n_classes:
        raise ValueError(f"y must hold labels in [0, n_classes) = [0, {n_classes})")
    Y = np.zeros((y.size, n_classes))
    Y[np.arange(y.size), y] = 1.0
    Xt = np.hstack([X, np.ones((X.shape[0], 1))])
    if ridge == 0:
        W, *_ = np.linalg.lstsq(Xt, Y, rcond=None)
    else:
        D = np.eye(Xt.shape[1])
        D[-1, -1] = 0.0
        W = np.linalg.solve(Xt.T @ Xt + ridge * D, Xt.T @ Y)
    return W


def predict_linear_readout(W, X):
    """Class labels predicted by a readout from :func:`fit_linear_readout`.

    Parameters
    ----------
    W : array_like, shape (n_features + 1, n_classes)
        Readout weights (last row bias).
    X : array_like, shape (n_samples, n_features)
        Spike counts per sample.

    Returns
    -------
    numpy.ndarray of int, shape (n_samples,)
        ``argmax`` of the readout scores.
    """
    W = np.asarray(W, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or W.ndim != 2 or W.shape[0] != X.shape[1] + 1:
        raise ValueError(
            f"W must have shape (n_features + 1, n_classes) = ({X.shape[-1] + 1}, ...), "
            f"got {W.shape}"
        )
    return np.argmax(X @ W[:-1] + W[-1], axis=1)


def assign_by_vote(counts, labels, n_classes):
    """Class of each neuron: the class with its highest mean count over the samples of that
    class (Diehl & Cook 2015; a class without samples has mean 0; ties: the lower class).
    ``counts`` (n_samples, n_neurons), ``labels`` (n_samples,) in [0, n_classes)."""
    counts, labels = np.asarray(counts, dtype=float), np.asarray(labels)
    if counts.ndim != 2 or labels.shape != (counts.shape[0],):
        raise ValueError(f"counts must be (n_samples, n_neurons) and labels (n_samples,), got "
                         f"{counts.shape} and {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must be class indices in [0, n_classes) = [0, {n_classes})")
    means = np.zeros((int(n_classes), counts.shape[1]))
    for c in range(int(n_classes)):
        if np.any(labels == c):
            means[c] = counts[labels == c].mean(axis=0)
    return means.argmax(axis=0)


def predict_by_vote(counts, assignment, n_classes):
    """Class per sample whose assigned neurons (``assignment`` from :func:`assign_by_vote`)
    have the highest mean count; a class without neurons is never predicted (ties: the
    lower class)."""
    counts, assignment = np.asarray(counts, dtype=float), np.asarray(assignment)
    if counts.ndim != 2 or assignment.shape != (counts.shape[1],):
        raise ValueError(f"counts must be (n_samples, n_neurons) with one assignment per "
                         f"neuron; got {counts.shape} and {assignment.shape}")
    scores = np.full((counts.shape[0], int(n_classes)), -np.inf)
    for c in range(int(n_classes)):
        members = assignment == c
        if np.any(members):
            scores[:, c] = counts[:, members].mean(axis=1)
    return predict_most_spikes(scores)
