"""The readout: which output neurons stand for which class, used by the loss AND the
prediction.

With ``per_class`` = P neurons per class (P = 1: one neuron per class), output neuron o
stands for class ``o // P``.  The score of class c is the mean spike count per step of its
P neurons, ``score_c = sum_{o in c} count_o / (P*T)``; the prediction is the class with the
highest score (a vote of its P neurons; ties go to the lower class), and the
cross-entropy loss is ``-log softmax(beta*score)_label`` (:mod:`.signals`).  The joint
decision framework of Sun et al. (2023) is P > 1.

:meth:`Readout.predict` is :func:`~neuromodels.analysis.classification.predict_most_spikes`
of the class scores, and :meth:`Readout.accuracy` is that module's
:func:`~neuromodels.analysis.classification.accuracy` (their one home).

:class:`VotingReadout` (unsupervised networks, Diehl & Cook 2015): the classes of the
layer's neurons are not fixed but assigned from the training responses by class voting
(:func:`~neuromodels.analysis.classification.assign_by_vote`; :func:`.train.train` fits it
after each epoch's training samples, before that epoch's test predictions); a sample is
predicted as the class whose neurons have the highest mean count
(:func:`~neuromodels.analysis.classification.predict_by_vote`).
"""
from __future__ import annotations

import numpy as np
from brian2 import NeuronGroup, Synapses, linked_var

from ..analysis.classification import (accuracy, assign_by_vote, predict_by_vote,
                                       predict_most_spikes)
from ..parameters import Parameter, ParameterError, ParameterSet
from . import schedule as sch

__all__ = ["Readout", "VotingReadout"]


class Readout:
    """Output layer ``layer`` read as ``n_classes`` classes (default: all its neurons) of
    ``per_class`` neurons each."""

    PARAMETERS = ParameterSet(
        Parameter("per_class", 1, "output neurons per class (P; > 1: a vote)", low=1,
                  integer=True),
        Parameter("n_classes", 0, "classes (0: the layer's size / per_class)", low=0,
                  integer=True),
    )

    def __init__(self, layer: str = "output", **params):
        self.p = self.PARAMETERS.resolve(params)
        self.layer, self.per_class = layer, int(self.p["per_class"])
        self._n_classes = int(self.p["n_classes"]) or None

    def n_classes(self, network) -> int:
        n = network.size(self.layer)
        if n % self.per_class:
            raise ParameterError(f"The readout's layer '{self.layer}' has {n} neurons, not a "
                                 f"multiple of per_class = {self.per_class}.")
        k = n // self.per_class
        if self._n_classes is not None and self._n_classes != k:
            raise ParameterError(f"The readout reads {self._n_classes} classes of {self.per_class} "
                                 f"neurons from layer '{self.layer}', which has {n} neurons.")
        return k

    def classes(self, n_neurons: int) -> np.ndarray:
        """Class of each output neuron."""
        return np.arange(n_neurons) // self.per_class

    def scores(self, counts) -> np.ndarray:
        """Spike counts per class (n_samples, n_classes) from output counts (n_samples, n_out)."""
        counts = np.asarray(counts)
        return counts.reshape(counts.shape[0], -1, self.per_class).sum(axis=2)

    def predict(self, counts) -> np.ndarray:
        """The class with the most spikes of its neurons (ties: the lower class)."""
        return predict_most_spikes(self.scores(counts))

    def accuracy(self, counts, labels) -> float:
        """Fraction of samples whose predicted class is their label."""
        return accuracy(self.predict(counts), np.asarray(labels))

    # -- Brian2: class scores and softmax at sample ends (for the cross-entropy loss) --------
    def softmax_error(self, output, n_classes, clock, namespace, tally="count"):
        """Brian2 objects computing, at every sample end, the cross-entropy error of each
        class ``err_c = beta/(P T) (softmax(beta*score)_c - [c == label])`` from the output
        layer's counts, sent back to the output layer's ``L_error``; returns the objects."""
        P = self.per_class
        name = output.name    # nm_<layer>: several readouts do not clash
        readout = NeuronGroup(n_classes, "score : 1\nerr : 1\nZ : 1 (linked)", clock=clock,
                              order=sch.ORDER_READOUT_SCORE, namespace=namespace,
                              name=f"{name}_classes")
        norm = NeuronGroup(1, "Z : 1   # softmax normaliser", clock=clock,
                           order=sch.ORDER_READOUT_NORMALISER, name=f"{name}_softmax")
        readout.Z = linked_var(norm, "Z", index=np.zeros(n_classes, dtype=int))
        scores = Synapses(output, readout, f"score_post = {tally}_pre/({P}*T_steps) : 1 (summed)",
                          clock=clock, namespace=namespace, name=f"{name}_scores")
        scores.connect(i=np.arange(output.N), j=self.classes(output.N))
        softmax = Synapses(readout, norm, "Z_post = exp(beta*score_pre) : 1 (summed)",
                           clock=clock, namespace=namespace, name=f"{name}_normaliser")
        softmax.connect()
        error = readout.run_regularly(
            f"err = beta/({P}*T_steps)*(exp(beta*score)/Z - int(abs(label(t - dt) - i) < 0.5))",
            clock=clock, when="groups", order=sch.ORDER_OUTPUT_ERROR,
            name=f"{name}_classes_error")
        back = Synapses(readout, output, "L_error_post = err_pre : 1 (summed)", clock=clock,
                        name=f"{name}_error")
        back.connect(i=self.classes(output.N), j=np.arange(output.N))
        sch.sum_at_sample_ends(back, "L_error_post", clock, order=sch.ORDER_OUTPUT_ERROR + 1)
        return [readout, norm, scores, softmax, error, back]

    def softmax_error_per_step(self, output, n_classes, namespace, in_window):
        """The per-step cross-entropy of a non-spiking readout ``output`` (its ``y``):
        in every step, after ``y`` is complete (slot 'end'), class scores ``s_c = sum_{o in c}
        y_o/P``, ``err_c = beta/(P |W|) (softmax(beta*s)_c - [c == label])`` in the window
        (``in_window``: 1 or 0), sent to the layer's ``L_error`` in the same step; the loss
        ``log Z - beta*s_label`` summed over the window (``loss_sample`` of the classes group,
        cleared at each sample's first step)."""
        P, name = self.per_class, output.name
        first = "int((int(t/dt + 0.5) % T_int) == 0)"
        classes = NeuronGroup(
            n_classes, "score : 1\nerr : 1\nloss_sample : 1\nZ : 1 (linked)",
            clock=output.clock, namespace=namespace, name=f"{name}_classes")
        norm = NeuronGroup(1, "Z : 1   # softmax normaliser", clock=output.clock,
                           name=f"{name}_softmax")
        classes.Z = linked_var(norm, "Z", index=np.zeros(n_classes, dtype=int))
        scores = Synapses(output, classes, f"score_post = y_pre/{P} : 1 (summed)",
                          clock=output.clock, namespace=namespace, name=f"{name}_scores")
        scores.connect(i=np.arange(output.N), j=self.classes(output.N))
        softmax = Synapses(classes, norm, "Z_post = exp(beta*score_pre) : 1 (summed)",
                           clock=output.clock, namespace=namespace, name=f"{name}_normaliser")
        softmax.connect()
        label = "int(abs(label(t) - i) < 0.5)"
        error = classes.run_regularly(
            f"err = beta/({P}*n_window)*(exp(beta*score)/Z - {label})*{in_window}\n"
            f"loss_sample = loss_sample*(1 - {first}) + "
            f"{label}*(log(Z) - beta*score)*{in_window}/n_window",
            when="end", order=sch.ORDER_END_ERROR, name=f"{name}_classes_error")
        back = Synapses(classes, output, "L_error_post = err_pre : 1 (summed)",
                        clock=output.clock, name=f"{name}_error")
        back.connect(i=self.classes(output.N), j=np.arange(output.N))
        sch.sum_in_step(scores, "score_post", sch.ORDER_END_SCORE)
        sch.sum_in_step(softmax, "Z_post", sch.ORDER_END_NORMALISER)
        sch.sum_in_step(back, "L_error_post", sch.ORDER_END_ERROR + 1)
        return [classes, norm, scores, softmax, error, back]

    def __repr__(self):
        return f"Readout({self.layer!r}, per_class={self.per_class})"


class VotingReadout(Readout):
    """Layer ``layer`` read as ``n_classes`` classes whose neurons are assigned by class voting
    on the training responses (module docstring); :meth:`fit` before :meth:`predict`."""

    fits = True

    def __init__(self, layer: str = "output", n_classes: int = 10):
        super().__init__(layer)
        if int(n_classes) != n_classes or n_classes < 2:
            raise ParameterError(f"VotingReadout: parameter 'n_classes' must be a whole number "
                                 f">= 2; got {n_classes!r}.")
        self._n_classes = int(n_classes)
        self.assignment = None

    def n_classes(self, network) -> int:
        return self._n_classes

    def fit(self, counts, labels) -> np.ndarray:
        """Assign each neuron its class from the counts (n_samples, n) of labelled samples."""
        self.assignment = assign_by_vote(counts, labels, self._n_classes)
        return self.assignment

    def predict(self, counts) -> np.ndarray:
        if self.assignment is None:
            raise ParameterError(f"VotingReadout('{self.layer}'): no neuron has a class yet; "
                                 f"fit it on the training responses first (train() does).")
        return predict_by_vote(counts, self.assignment, self._n_classes)

    def __repr__(self):
        return f"VotingReadout({self.layer!r}, n_classes={self._n_classes})"
