r"""The losses of the differentiable twin: :class:`~.signals.OutputError`'s formulas in JAX.

The same formulas, windows and targets as the Brian2 program (:mod:`.signals`,
:meth:`.readout.Readout.softmax_error_per_step`), for one sample whose layer output per step
is :math:`x_o(n)` (``(T, n_out)``: spikes or, for a non-spiking readout, its ``y`` after the
step; for a per-step error of a spiking layer its firing probability :math:`p_o(n)`, the
model's ``firing.probability`` in the 'thresholds' slot), with the tally
:math:`n_o = \sum_n x_o(n)` (spike count, or summed ``y``), P neurons per class, neuron o of
class c(o), window :math:`W` (the last ``window`` steps; 0: all T):

* ``'ce'`` per sample: :math:`-\log\mathrm{softmax}(\beta s)_y`,
  :math:`s_c = \sum_{o\in c} n_o/(PT)`;
* ``'mse'`` per sample: :math:`\tfrac12\sum_o (n_o/T - y^*_o)^2`;
* ``'mse'`` per step: :math:`\tfrac1{2|W|}\sum_{n\in W}\sum_o (x_o(n) - y^*_o(n))^2`;
* ``'ce'`` per step: :math:`\tfrac1{|W|}\sum_{n\in W} \bigl(\log\sum_c e^{\beta s_c(n)} -
  \beta s_y(n)\bigr)`, :math:`s_c(n) = \sum_{o\in c} x_o(n)/P`;

targets :math:`y^*`: ``y_on`` for the neurons of the label's class, ``y_off`` for the others
(``targets='label'``), or given per step and neuron (``targets='given'``, ``(T, n_out)``).
A label matches class c where :math:`|y - c| < 0.5`, as in the generated code.
"""
from __future__ import annotations

import numpy as np

__all__ = ["sample_loss", "reads_probability"]


def reads_probability(network, sig) -> bool:
    """Whether the error reads the layer's firing probability (a per-step error of a spiking
    layer) rather than its output."""
    layer = network.layers[sig.layer]
    return sig.p["timing"] == "step" and layer.spiking(network.model(sig.layer))


def sample_loss(network, sig):
    """``f(x, y)``: the loss of one sample of ``sig`` (an OutputError) from the layer's
    per-step output ``x`` (T, n_out) (module docstring) and its label (a number) or given
    targets (T, n_out)."""
    import jax
    import jax.numpy as jnp

    p, T = sig.p, network.T
    readout = sig.readout(network)
    n_out, P = network.size(sig.layer), readout.per_class
    cls = readout.classes(n_out)
    member = jnp.asarray(cls[:, None] == np.arange(readout.n_classes(network))[None, :],
                         dtype=float)                               # (n_out, n_classes)
    window = int(p["window"]) or T
    in_window = jnp.asarray(np.arange(T) >= T - window, dtype=float) / window   # (T,)

    def onehot(label):
        return jnp.asarray(jnp.abs(label - jnp.arange(member.shape[1])) < 0.5, dtype=float)

    def label_target(label):
        return p["y_off"] + (p["y_on"] - p["y_off"]) * (member @ onehot(label))

    def cross_entropy(scores, label):            # scores (..., n_classes)
        z = p["beta"] * scores
        return jax.nn.logsumexp(z, axis=-1) * jnp.sum(onehot(label)) - z @ onehot(label)

    if p["timing"] == "sample":
        if p["loss"] == "ce":
            return lambda x, y: cross_entropy(x.sum(axis=0) @ member / (P * T), y)
        return lambda x, y: 0.5 * jnp.sum((x.sum(axis=0) / T - label_target(y)) ** 2)
    if p["loss"] == "ce":
        return lambda x, y: jnp.sum(in_window * cross_entropy(x @ member / P, y))
    if p["targets"] == "given":
        return lambda x, y: 0.5 * jnp.sum(in_window[:, None] * (x - y) ** 2)
    return lambda x, y: 0.5 * jnp.sum(in_window[:, None] * (x - label_target(y)[None, :]) ** 2)
