"""Exact event-driven QIF/theta networks with exact spike-time gradients (pure numerics,
JAX; no Brian2). Klos & Memmesheimer, arXiv 2309.14523.

* :mod:`.qif`: closed-form flow and time to the next spike of one neuron.
* :mod:`.network`: event-driven simulation of a network (``simulate``, validated ``run``).
* :mod:`.pseudo`: pseudodynamics after the trial end (pseudospikes).
* :mod:`.losses`: spike-time losses.
* :mod:`.optimizers`: clipped SGD, AdaBelief, learning-rate schedule.
* :mod:`.tasks`: the single-neuron and recurrent tasks (``train_single_neuron``,
  ``train_recurrent``).
* :mod:`.feedforward`: layered time-to-first-spike networks of theta oscillators.
* :mod:`.precision`: everything runs in float64 through a scoped switch (:func:`float64`);
  JAX's global setting is never changed.

Weight matrices are ``(n_pre, n_post)``; ``I0`` is a constant drive and ``I_init`` an
initial synaptic current. The Brian2 versions of the neurons live in
:mod:`neuromodels.neurons.theta`, the conversion of a trained network into Brian2 objects in
:mod:`neuromodels.networks.theta`, analytic results in :mod:`neuromodels.theory.theta`.
"""
from .precision import float64, in_float64

__all__ = ["float64", "in_float64"]
