r"""Energy proxies of spiking networks: synaptic operations per inference.

In a spiking network the dominant cost of an inference is one accumulate per synapse that a
spike crosses (Merolla et al. 2014; Sun et al. 2023 count "synaptic operations", SOPs).
For a population with spike counts :math:`c_i` per sample and fan-out :math:`f_i`
(outgoing synapses of neuron i),

.. math:: \mathrm{SOP} = \sum_i c_i\, f_i

per sample.  :func:`synaptic_operations` gives it per sample, :func:`fan_out` the fan-out of
each presynaptic neuron of a weight matrix (its nonzero entries; a dense all-to-all
projection onto :math:`n_{post}` neurons has :math:`f_i = n_{post}`).  Pure functions of
arrays; they know no model.

References
----------
Merolla PA et al. (2014) A million spiking-neuron integrated circuit with a scalable
communication network and interface. Science 345:668-673.
Sun H, Cai W, Yang B, Cui Y, Xia Y, Yao D, Guo D (2023) A synapse-threshold synergistic
learning approach for spiking neural networks. IEEE Trans Cogn Dev Syst.
"""

import numpy as np

__all__ = ["fan_out", "synaptic_operations"]


def fan_out(weights) -> np.ndarray:
    """Outgoing synapses of each presynaptic neuron: the nonzero entries of each row of a
    ``(n_pre, n_post)`` weight matrix (plain numbers or a quantity)."""
    w = np.asarray(weights)
    if w.ndim != 2:
        raise ValueError(f"weights must be a (n_pre, n_post) matrix, got shape {w.shape}")
    return np.count_nonzero(w, axis=1)


def synaptic_operations(counts, fan_out) -> np.ndarray:
    r"""Synaptic operations per sample, :math:`\sum_i c_{ki} f_i`.

    Parameters
    ----------
    counts : array_like, shape (n_samples, n_neurons)
        Spike counts of one population per sample (one inference), >= 0.
    fan_out : int or array_like of shape (n_neurons,)
        Outgoing synapses of each neuron (one number: the same for all), >= 0.

    Returns
    -------
    numpy.ndarray of float, shape (n_samples,)
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise ValueError(f"counts must be (n_samples, n_neurons), got shape {c.shape}")
    f = np.broadcast_to(np.asarray(fan_out, dtype=float), (c.shape[1],)) \
        if np.ndim(fan_out) == 0 else np.asarray(fan_out, dtype=float)
    if f.shape != (c.shape[1],):
        raise ValueError(f"fan_out must be one number or one per neuron ({c.shape[1]}), got "
                         f"shape {f.shape}")
    if np.any(c < 0) or np.any(f < 0):
        raise ValueError("counts and fan_out must be >= 0")
    return c @ f
