"""Neuron and synapse models as data: Brian2 equation strings plus parameters.

A model is what a reader of a paper would write down: the equations (with a
unit on every line), the threshold, reset and refractory condition (neurons)
or the ``on_pre``/``on_post`` code (synapses), and a table of parameters with
units, defaults and accepted ranges.  The builders (:meth:`NeuronModel.group`,
:meth:`SynapseModel.synapses`, :meth:`SynapseModel.connect`) validate the
parameters, hand them to Brian2 as an explicit ``namespace`` (nothing is taken
from the caller's globals by accident) and check the units of every equation
and statement before anything is generated or run.

To test a new hypothesis, change the strings; both model kinds offer the same
operations:

* ``model.extended(...)`` adds equations and parameters, and replaces code fields
  (``reset``, ``on_pre``, ...) or, with ``append=True``, runs the new code after the
  parent's: one rule for both kinds (a new model with its own name; a new variable
  may not shadow a parameter);
* ``model.substituted(name="expression")`` replaces a name everywhere it is
  read: equations, threshold, reset, refractoriness, ``run_regularly`` code,
  ``on_pre``/``on_post`` and initial values;
* ``model.per_neuron(...)`` / ``model.per_synapse(...)`` turn shared parameters
  into per-element variables (``constant=False``: a learning rule may change
  them), still checked against their unit and range when given through
  ``params=``;
* ``dataclasses.replace(model, reset=...)`` changes one part; ``print(model)``
  (or ``model.describe()``) shows the whole model, every parameter with its unit,
  default and range, and the constraints between parameters.

A neuron model may also declare how it fires, for learning rules
(:class:`Firing`: the probability of a spike in a time step and its derivative,
or a surrogate of it, with respect to the membrane potential);
:mod:`neuromodels.learning` trains any model that declares it.

The package, one module per job: :mod:`~neuromodels.model.neuron` (:class:`NeuronModel`) and
:mod:`~neuromodels.model.synapse` (:class:`SynapseModel`) hold the models; ``firing``
(:class:`Firing`), ``units`` (names and units checked before anything runs), ``values``
(checked parameter values, the Brian2 objects' own namespace), ``substitution``,
``derivation`` (``extended``, ``per_neuron``/``per_synapse``), ``text`` (what ``print``
shows) and ``errors`` (:class:`ModelError`, Brian2's errors in our words) serve both.
"""
from .errors import ModelError
from .firing import Firing
from .neuron import NeuronModel
from .synapse import SynapseModel
from .units import _unit_string  # noqa: F401 -- the learning framework imports it from here

__all__ = ["NeuronModel", "SynapseModel", "ModelError", "Firing"]
