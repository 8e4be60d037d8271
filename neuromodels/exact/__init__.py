"""Exact event-driven QIF/theta networks with exact spike-time gradients (pure numerics,
JAX; no Brian2). Klos & Memmesheimer, arXiv 2309.14523.

* :mod:`.qif`: closed-form flow and time to the next spike of one neuron.
* :mod:`.network`: event-driven simulation of a network (``simulate``, validated ``run``).
* :mod:`.pseudo`: pseudodynamics after the trial end (pseudospikes).
* :mod:`.losses`: spike-time losses.
* :mod:`.optimizers`: clipped SGD, AdaBelief, learning-rate schedule.
* :mod:`.tasks`: the single-neuron and recurrent tasks (``train_single_neuron``,
  ``train_recurrent``).

The Brian2 version of the same neuron, and the conversion of a trained network into Brian2
objects, live in :mod:`neuromodels.neurons.theta`; analytic results in
:mod:`neuromodels.theory.theta`.
"""
