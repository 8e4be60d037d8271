r"""Classification by spiking outputs: the predicted class and the accuracy.

Two read-outs of an output layer with one neuron per class:

* :func:`predict_most_spikes` (rate code): the class whose neuron fired most,
  :math:`\hat y = \arg\max_k n_k` (ties go to the lower index);
* :func:`predict_first_spike` (time-to-first-spike code): the class whose neuron fired
  first, :math:`\hat y = \arg\min_k t_k`; with a trial length :math:`T`, a sample whose
  output neurons all stay silent in :math:`[0, T]` gets :data:`NO_PREDICTION` (-1), which is
  never correct (silence is no answer).

:func:`accuracy` is the fraction of samples with :math:`\hat y = y`. The functions use only
array methods and arithmetic, so they run on numpy arrays and, unchanged, on JAX arrays
inside ``jax.jit`` (a trainer's compiled evaluation uses the same code as the analysis).

Softmax temperatures and losses do not enter here: a temperature rescales the outputs
before the loss, and the arg-max/arg-min, hence the prediction and the accuracy, do not
depend on it.
"""

import numpy as np

__all__ = ["NO_PREDICTION", "predict_most_spikes", "predict_first_spike", "accuracy"]

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
