r"""Learning signals: where each trainable layer's ``L`` (an estimate of
dLoss/d(spike of this neuron)) comes from.

Every source of a signal writes its OWN variable in the layer it feeds, and the layer adds
them up: ``L = L_error + L_from_output + ...`` (Brian2 allows one summed variable per
target variable, so several sources need several variables).  Rules (:mod:`.rules`) read
``L`` only.  Each source has a ``timing``: ``'sample'`` (valid at sample ends, for rules
applied at sample ends) or ``'step'`` (valid every step, for per-step rules).

:class:`OutputError` (the output layer's own error; needs the readout, :mod:`.readout`)

* ``'ce'`` (per sample): loss :math:`-\log \mathrm{softmax}(\beta s)_y` with class scores
  :math:`s_c = \sum_{o \in c} n_o/(P T)`; :math:`L_o = \beta/(P T)\,(\mathrm{softmax}_c -
  [c = y])` for neuron o of class c.
* ``'mse'`` (per sample): loss :math:`\tfrac12 \sum_o (n_o/T - y_o)^2`, :math:`y_o` = ``y_on``
  for the neurons of the label's class and ``y_off`` otherwise (a label outside the classes:
  ``y_off`` for all); :math:`L_o = (n_o/T - y_o)/T`.
* ``'mse'`` per step: :math:`L_o(n) = (p_o(n) - y_o)/T` with :math:`p_o(n)` the firing
  probability of step n (the model's ``firing.probability``): the gradient of the per-step
  loss :math:`\tfrac1{2T} \sum_n \sum_o (p_o(n) - y_o)^2`.

:class:`Feedback` (a layer receives the signal of a layer ``source`` "above" it)

The source sends :math:`\delta = L\,\bar\psi\,k`, the expected effect of one more input
spike on its spike count: :math:`\bar\psi` = mean dP/dv over the sample (``epsi/T``; per
step: ``psi``) and :math:`k = a/(1-a)`, :math:`a = e^{-dt/\tau_m}` of the source (the
summed future effect of one input on its membrane).  The target receives
:math:`L_j = \sum_k B_{kj} \delta_k` with

* ``weights='symmetric'``: B = the current forward weights target -> source (transposed;
  backprop-like; needs that projection);
* ``weights='random'``: fixed random :math:`B_{kj} \sim U(-1, 1)\,\mathrm{scale}/\sqrt{n_{source}}`
  (feedback alignment; with a source that is not the next layer up, e.g. the output
  feeding every hidden layer: direct feedback alignment).

Per-sample signals reach a layer once per sample end, in the order of the signal graph;
per-step signals are summed at the start of every step from the previous step's
:math:`\delta` (Brian2 updates summed variables before the neurons), one step late.

Seams for later signals: a local readout per layer (DECOLLE) is an :class:`OutputError`
on a readout of that layer feeding ``L_local``; e-prop's broadcast is a random route of
the output error itself.
"""
from __future__ import annotations

import numpy as np
from brian2 import Equations, Quantity, get_dimensions, have_same_dimensions, mV

from ..model import SynapseModel
from ..parameters import Parameter, ParameterError, ParameterSet, positive
from . import schedule as sch
from .code import Code, merge
from .layers import inverse_unit
from .projections import Route

__all__ = ["OutputError", "Feedback", "TIMINGS"]

TIMINGS = ("sample", "step")


def _label_target(label_at):
    return f"(y_off + (y_on - y_off)*int(abs(label({label_at}) - cls) < 0.5))"


class OutputError:
    """The error of the output layer ``layer`` (module docstring)."""

    PARAMETERS = ParameterSet(
        Parameter("loss", "ce", "loss on the output spike counts", choices=("ce", "mse")),
        positive("beta", 10.0, "softmax inverse temperature on the class scores (count/T)"),
        Parameter("y_on", 0.8, "mse target of the label's neurons (spike probability per step)",
                  low=0.0, high=1.0),
        Parameter("y_off", 0.05, "mse target of the other neurons", low=0.0, high=1.0),
        Parameter("timing", "sample", "when the error is valid", choices=TIMINGS),
    )

    def __init__(self, layer: str = "output", **params):
        self.layer = layer
        self.p = self.PARAMETERS.resolve(params)
        if self.p["loss"] == "ce" and self.p["timing"] == "step":
            raise ParameterError("Parameter 'loss' = 'ce' is a loss on the sample's spike "
                                 "counts: use timing='sample', or loss='mse' per step.")
        self.target, self.variable, self.timing = layer, "L_error", self.p["timing"]

    def sources(self):
        return ()

    def routes(self, network):
        return []

    def code(self, network) -> dict[str, Code]:
        p = self.p
        ns = {"T_steps": float(network.T), "y_on": p["y_on"], "y_off": p["y_off"],
              "beta": p["beta"]}
        if network.readout is None or network.readout.layer != self.layer:
            raise ParameterError(f"The output error of layer '{self.layer}' needs a Readout of "
                                 f"that layer (LearningNetwork(readout=Readout('{self.layer}'))).")
        cls = "cls : integer (constant)   # class of this neuron (the readout's)"
        if p["loss"] == "ce":
            return {self.layer: Code(equations=["L_error : 1   # the readout's error", cls],
                                     namespace=ns)}
        if p["timing"] == "sample":
            op = (f"L_error = (count/T_steps - {_label_target('t - dt')})/T_steps",
                  sch.ORDER_OUTPUT_ERROR)
            return {self.layer: Code(equations=["L_error : 1", cls], at_sample_end=[op],
                                     namespace=ns)}
        prob = network.model(self.layer).firing.probability
        op = (f"L_error = (({prob}) - {_label_target('t')})/T_steps", "thresholds",
              sch.ORDER_STEP_SIGNAL)
        return {self.layer: Code(equations=["L_error : 1", cls], every_step=[op],
                                 at_sample_start=["L_error = 0"], namespace=ns)}

    def objects(self, program):
        """The readout's class scores and softmax (cross-entropy only)."""
        group = program.groups[self.layer]
        readout = program.network.readout
        group.cls = readout.classes(group.N)
        if self.p["loss"] != "ce":
            return []
        return readout.softmax_error(group, readout.n_classes(program.network),
                                     program.sample_clock,
                                     {**program.namespace, **program.codes[self.layer].namespace})

    def __repr__(self):
        return f"OutputError({self.layer!r}, {self.p['loss']!r}, timing={self.timing!r})"


class Feedback:
    """The signal of layer ``source`` routed to layer ``target`` (module docstring)."""

    PARAMETERS = ParameterSet(
        Parameter("weights", "random", "feedback weights", choices=("random", "symmetric")),
        positive("scale", 1 * mV, "random feedback weights ~ U(-1, 1) scale/sqrt(n_source); "
                                  "the unit of the source's membrane variable"),
        Parameter("gain", 0.0, "k in delta = L*mean(psi)*k (0: a/(1-a) from the source's tau_m)",
                  low=0.0),
        Parameter("timing", "sample", "when the signal is valid", choices=TIMINGS),
    )

    def __init__(self, source: str, target: str, **params):
        self.source, self.target = source, target
        self.p = self.PARAMETERS.resolve(params)
        self.timing = self.p["timing"]
        self.variable = f"L_from_{source}"
        self.route_name = f"feedback_{source}_to_{target}"

    def sources(self):
        return (self.source,)

    @property
    def delta(self):
        return "delta" if self.timing == "sample" else "delta_step"

    def _gain(self, network):
        if self.p["gain"] > 0:
            return float(self.p["gain"])
        layer = network.layers[self.source]
        try:
            tau = layer.parameter("tau_m", network.model(self.source))
        except KeyError:
            raise ParameterError(f"Feedback from '{self.source}': its model has no 'tau_m'; "
                                 f"give the gain k (parameter 'gain').") from None
        a = float(np.exp(-float(network.dt / tau)))
        return a / (1 - a)

    def _forward(self, network):
        for proj in network.projections:
            if proj.pre == self.target and proj.post == self.source:
                return proj
        raise ParameterError(f"Symmetric feedback from '{self.source}' to '{self.target}' uses "
                             f"the weights of the projection '{self.target}' -> '{self.source}', "
                             f"which the network does not have; use weights='random'.")

    def routes(self, network):
        if self.p["weights"] == "symmetric":
            self._forward(network)           # it must exist
            return []
        source_model = network.model(self.source)
        unit = network.layers[self.source].membrane_unit(source_model)
        dim = Equations(source_model.equations)[network.layers[self.source].membrane].dim
        scale = self.p["scale"]
        if not have_same_dimensions(scale, Quantity(1, dim=dim)):
            raise ParameterError(f"Parameter 'scale' of the feedback from '{self.source}' must "
                                 f"have the unit of its membrane variable ({unit}); got {scale}.")
        model = SynapseModel(
            name="random_feedback", parameters=ParameterSet(),
            model=f"B : {unit}   # fixed random feedback weight\n"
                  f"{self.variable}_post = B*{self.delta}_pre : 1 (summed)",
            reference="Lillicrap et al. (2016) Nat Commun 7:13276; Nokland (2016) NeurIPS")

        def initial(net, rng):
            n_s, n_t = net.size(self.source), net.size(self.target)
            b = rng.uniform(-1, 1, size=(n_s, n_t)) * float(scale) / np.sqrt(n_s)
            return {"B": Quantity(b, dim=get_dimensions(scale))}

        return [Route(self.route_name, self.source, self.target, model, initial)]

    def code(self, network) -> dict[str, Code]:
        src = network.layers[self.source]
        model = network.model(self.source)
        unit = src.membrane_unit(model)
        mean_psi = "epsi/T_steps" if self.timing == "sample" else "psi"
        gain = f"k_up_{self.source}"
        send = Code(equations=[f"{self.delta} = L*{mean_psi}*{gain} : {inverse_unit(unit)}   # "
                               f"sent to the layers below"],
                    namespace={"T_steps": float(network.T), gain: self._gain(network)})
        codes = {self.source: merge(self.source, [src.surrogate_code(model), send]),
                 self.target: Code(equations=[f"{self.variable} : 1   # signal from "
                                              f"'{self.source}'"])}
        if self.p["weights"] == "symmetric":
            owner, summed = self._forward(network).name, f"{self.variable}_pre"
            codes[owner] = Code(equations=[f"{summed} = w*{self.delta}_post : 1 (summed)"])
        else:
            owner, summed = self.route_name, f"{self.variable}_post"
        if self.timing == "sample":
            codes.setdefault(owner, Code()).summed_at_sample_ends.append(summed)
        return codes

    def objects(self, program):
        return []

    def __repr__(self):
        return (f"Feedback({self.source!r} -> {self.target!r}, {self.p['weights']}, "
                f"timing={self.timing!r})")
