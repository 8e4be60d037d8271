r"""Learning signals: where each trainable layer's ``L`` (an estimate of
dLoss/d(output of this neuron)) comes from.

Every source of a signal writes its OWN variable in the layer it feeds, and the layer adds
them up: ``L = L_error + L_from_output + ...`` (Brian2 allows one summed variable per
target variable, so several sources need several variables).  Rules (:mod:`.rules`) read
``L`` only.  Each source has a ``timing``: ``'sample'`` (valid at sample ends) or
``'step'`` (valid in every step, in the step it is computed: :mod:`.schedule`, slot 'end').

:class:`OutputError`: the error of a layer read out as classes (:mod:`.readout`) or compared
with given targets.  The layer's output :math:`x_o` is its spike count per step (spiking
layers; per step: the firing probability :math:`p_o(n)`, the model's
``firing.probability``) or its output ``y`` (a non-spiking readout,
:func:`neuromodels.neurons.readout.leaky_readout`).

* ``'ce'`` per sample: loss :math:`-\log \mathrm{softmax}(\beta s)_y`, class scores
  :math:`s_c = \sum_{o \in c} n_o/(P T)`; :math:`L_o = \beta/(P T)\,(\mathrm{softmax}_c -
  [c = y])` for neuron o of class c.
* ``'ce'`` per step (non-spiking readouts; OTTT, DECOLLE, e-prop classification): the mean
  over the steps of the window :math:`W` of :math:`-\log \mathrm{softmax}(\beta s(n))_y`,
  :math:`s_c(n) = \sum_{o \in c} y_o(n)/P`; :math:`L_o(n) = \beta/(P |W|)
  (\mathrm{softmax}_c(n) - [c = y])` in the window, 0 outside.
* ``'mse'`` per sample: loss :math:`\tfrac12 \sum_o (n_o/T - y^*_o)^2`; :math:`L_o = (n_o/T -
  y^*_o)/T`.
* ``'mse'`` per step: loss :math:`\tfrac1{2|W|} \sum_{n \in W} \sum_o (x_o(n) - y^*_o(n))^2`,
  :math:`L_o(n) = (x_o(n) - y^*_o(n))/|W|` (e-prop's regression error for a readout).

Targets :math:`y^*`: from the label (``targets='label'``: ``y_on`` for the neurons of the
label's class, ``y_off`` for the others) or given per step and neuron
(``targets='given'``: regression, e.g. e-prop's sine waves; ``Program.run(targets=...)``).
The window :math:`W`: the last ``window`` steps of a sample (0: all T), e.g. the decision
period of an evidence-accumulation task.  Per-step errors also sum the loss over the sample
(``loss_sample``), which training reports.

:class:`Feedback` (a layer receives the signal of a layer ``source`` "above" it): the
target receives :math:`L_j = \sum_k B_{kj} m_k` with the message :math:`m` either

* ``send='delta'``: :math:`\delta = L\,\bar\psi\,k`, the expected effect of one more input
  spike on the source's spike count: :math:`\bar\psi` = mean dP/dv over the sample
  (``epsi/T``; per step: ``psi``) and :math:`k = a/(1-a)`, :math:`a = e^{-dt/\tau_m}` of
  the source (the summed future effect of one input on its membrane); NDL's backprop-like
  chain;
* ``send='error'``: the source's own signal :math:`L` unchanged: the raw output error
  broadcast of e-prop (Bellec et al. 2020) and of direct feedback alignment (Nokland 2016),

and the weights B either

* ``weights='symmetric'``: the current forward weights target -> source (transposed;
  needs that projection);
* ``weights='random'``: fixed random :math:`B_{kj} \sim U(-1, 1)\,\mathrm{scale}/\sqrt{n_{source}}`
  (feedback alignment; from the output straight to every hidden layer: direct feedback
  alignment).

Per-sample signals reach a layer once per sample end, per-step signals in the step they are
computed, in the order of the signal graph (output first).
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
from .readout import Readout

__all__ = ["OutputError", "Feedback", "LayerSignal", "TIMINGS", "SENDS"]

TIMINGS = ("sample", "step")
SENDS = ("delta", "error")


class LayerSignal:
    """What a signal computed on one layer from its readout shares (:class:`OutputError`,
    :class:`~.reward.Reward`): its parameters (``PARAMETERS``), the layer it is computed on
    and delivered to (``layer``, ``target``), no other signal as source, no route down,
    and its readout: ``readout`` (its own), else the network's when it reads that layer,
    else a :class:`~.readout.Readout` of the layer."""

    def __init__(self, layer: str = "output", readout: Readout | None = None, **params):
        self.p = self.PARAMETERS.resolve(params)
        self.layer = self.target = layer
        self._readout = readout

    def sources(self):
        return ()

    def routes(self, network):
        return []

    def readout(self, network) -> Readout:
        if self._readout is not None:
            return self._readout
        if network.readout is not None and network.readout.layer == self.layer:
            return network.readout
        return Readout(self.layer)


def _label_target(label_at):
    return f"(y_off + (y_on - y_off)*int(abs(label({label_at}) - cls) < 0.5))"


def step_in_window(window: int) -> str:
    """1 in the last ``window`` steps of a sample (every step if ``window`` is 0), else 0
    (step n of a run is step n mod T of its sample; ``T_int`` = T)."""
    if window == 0:
        return "1"
    return f"int((int(t/dt + 0.5) % T_int) >= T_int - {int(window)})"


class OutputError(LayerSignal):
    """The error of layer ``layer`` (module docstring); ``readout``: how its neurons map to
    classes (default: the network's readout if it reads this layer, else one per class)."""

    PARAMETERS = ParameterSet(
        Parameter("loss", "ce", "loss on the layer's output", choices=("ce", "mse")),
        positive("beta", 10.0, "softmax inverse temperature on the class scores"),
        Parameter("y_on", 0.8, "mse target of the label's neurons (from the label)"),
        Parameter("y_off", 0.05, "mse target of the other neurons (from the label)"),
        Parameter("timing", "sample", "when the error is valid", choices=TIMINGS),
        Parameter("targets", "label", "mse targets: from the label, or given per step",
                  choices=("label", "given")),
        Parameter("window", 0, "per-step errors count in the last `window` steps of a sample "
                               "(0: all T)", low=0, integer=True),
    )

    def __init__(self, layer: str = "output", readout: Readout | None = None, **params):
        super().__init__(layer, readout, **params)
        self.variable, self.timing = "L_error", self.p["timing"]

    def window(self, network) -> int:
        return int(self.p["window"]) or network.T

    def problems(self, network) -> list[str]:
        """What does not fit (said when the network is built)."""
        p, out = self.p, []
        if self.layer not in network.layers:
            return out
        spiking = network.layers[self.layer].spiking(network.model(self.layer))
        if p["window"] > network.T:
            out.append(f"OutputError('{self.layer}'): parameter 'window' = {p['window']} steps "
                       f"exceeds the sample's T = {network.T} steps.")
        if p["loss"] == "ce" and p["timing"] == "step" and spiking:
            out.append(f"OutputError('{self.layer}'): a per-step cross-entropy needs a "
                       f"non-spiking readout layer (neuromodels.neurons.readout.leaky_readout); "
                       f"'{self.layer}' spikes: use timing='sample' or loss='mse'.")
        if p["targets"] == "given" and p["loss"] != "mse":
            out.append(f"OutputError('{self.layer}'): targets='given' (regression) needs "
                       f"loss='mse'.")
        if p["window"] and p["timing"] == "sample":
            out.append(f"OutputError('{self.layer}'): parameter 'window' applies to per-step "
                       f"errors (timing='step').")
        try:
            self.readout(network).n_classes(network)
        except ParameterError as err:
            out.append(str(err))
        return out

    def code(self, network) -> dict[str, Code]:
        p = self.p
        layer = network.layers[self.layer]
        model = network.model(self.layer)
        spiking = layer.spiking(model)
        ns = {"T_steps": float(network.T), "T_int": int(network.T), "y_on": p["y_on"],
              "y_off": p["y_off"], "beta": p["beta"], "n_window": float(self.window(network))}
        eqs = ["L_error : 1   # this layer's output error",
               "cls : integer (constant)   # class of this neuron (the readout's)"]
        if p["loss"] == "ce" and p["timing"] == "sample":
            return {self.layer: Code(equations=eqs, namespace=ns)}
        eqs.append("loss_sample : 1   # this neuron's share of the sample's loss")
        if p["timing"] == "sample":       # mse on the sample's output per step
            target = _label_target("t - dt")
            err = f"({layer.tally(model)}/T_steps - {target})"
            op = (f"L_error = {err}/T_steps\nloss_sample = 0.5*{err}**2", sch.ORDER_OUTPUT_ERROR)
            return {self.layer: Code(equations=eqs, at_sample_end=[op], namespace=ns)}
        win = step_in_window(int(p["window"]))
        start, clear = ["L_error = 0"], [("loss_sample = 0", sch.ORDER_CLEAR)]
        if p["loss"] == "ce":             # the softmax objects send L_error (objects())
            return {self.layer: Code(equations=eqs[:2], at_sample_start=start, namespace=ns)}
        target = _label_target("t") if p["targets"] == "label" else f"target_{self.layer}(t, i)"
        x = model.firing.probability if spiking else layer.membrane
        op = (f"L_error = (({x}) - {target})*{win}/n_window\n"
              f"loss_sample += 0.5*(({x}) - {target})**2*{win}/n_window",
              "thresholds" if spiking else "end",
              sch.ORDER_STEP_SIGNAL if spiking else sch.ORDER_END_ERROR)
        return {self.layer: Code(equations=eqs, every_step=[op], at_sample_start=start,
                                 at_sample_end=clear, namespace=ns)}

    @property
    def has_loss(self) -> bool:
        """Whether the loss is summed in the run (else: from the recorded tallies)."""
        return not (self.p["loss"] == "ce" and self.p["timing"] == "sample")

    def objects(self, program):
        """The readout's class scores and softmax (cross-entropy only)."""
        network = program.network
        group = program.groups[self.layer]
        readout = self.readout(network)
        group.cls = readout.classes(group.N)
        if self.p["loss"] != "ce":
            return []
        namespace = {**program.namespace, **program.codes[self.layer].namespace}
        if self.timing == "sample":
            layer = network.layers[self.layer]
            return readout.softmax_error(group, readout.n_classes(network), program.sample_clock,
                                         namespace, layer.tally(network.model(self.layer)))
        return readout.softmax_error_per_step(
            group, readout.n_classes(network), namespace, step_in_window(int(self.p["window"])))

    def loss_from_counts(self, network, counts, labels):
        """The per-sample cross-entropy from the recorded counts (NaN without a label)."""
        readout = self.readout(network)
        scores = self.p["beta"] * readout.scores(counts) / (readout.per_class * network.T)
        top = scores.max(axis=1, keepdims=True)
        log_z = top[:, 0] + np.log(np.exp(scores - top).sum(axis=1))
        labels = np.asarray(labels).astype(int)
        valid = (labels >= 0) & (labels < scores.shape[1])
        picked = scores[np.arange(len(labels)), np.where(valid, labels, 0)]
        return np.where(valid, log_z - picked, np.nan)

    def loss_source(self, program):
        """(group, variable) holding the per-sample loss, or None (computed from tallies)."""
        if not self.has_loss:
            return None
        if self.p["loss"] == "ce":
            return program.objects_named(f"nm_{self.layer}_classes"), "loss_sample"
        return program.groups[self.layer], "loss_sample"

    def __repr__(self):
        return (f"OutputError({self.layer!r}, {self.p['loss']!r}, timing={self.timing!r}"
                + (", targets='given'" if self.p["targets"] == "given" else "") + ")")


class Feedback:
    """The signal of layer ``source`` routed to layer ``target`` (module docstring)."""

    PARAMETERS = ParameterSet(
        Parameter("weights", "random", "feedback weights", choices=("random", "symmetric")),
        Parameter("send", "delta", "what the source sends: NDL's delta, or its signal L "
                                   "itself (the raw error: e-prop, DFA)", choices=SENDS),
        positive("scale", 1 * mV, "random feedback weights ~ U(-1, 1) scale/sqrt(n_source); "
                                  "send='delta': the unit of the source's membrane variable; "
                                  "send='error': dimensionless"),
        Parameter("gain", 0.0, "k in delta = L*mean(psi)*k (0: a/(1-a) from the source's tau_m)",
                  low=0.0),
        Parameter("timing", "sample", "when the signal is valid", choices=TIMINGS),
    )

    def __init__(self, source: str, target: str, **params):
        self.source, self.target = source, target
        parameters = self.PARAMETERS.with_units_of(params)   # scale: checked in problems()
        if params.get("send") == "error" and "scale" not in params:
            parameters = parameters.with_units_of({"scale": 1.0})
        self.p = parameters.resolve(params)
        self.timing = self.p["timing"]
        self.variable = f"L_from_{source}"
        self.route_name = f"feedback_{source}_to_{target}"

    def sources(self):
        return (self.source,)

    @property
    def sends_error(self) -> bool:
        return self.p["send"] == "error"

    @property
    def message(self):
        """The variable of the source that is sent."""
        if self.sends_error:
            return "L"
        return "delta" if self.timing == "sample" else "delta_step"

    def problems(self, network) -> list[str]:
        out = []
        if self.source not in network.layers or self.target not in network.layers:
            return out
        if not self.sends_error and self.p["gain"] == 0:
            try:
                network.layers[self.source].parameter("tau_m", network.model(self.source))
            except KeyError:
                out.append(f"Feedback from '{self.source}': its model has no 'tau_m' for the "
                           f"gain k of delta = L*psi*k; give the parameter 'gain'.")
        if self.p["weights"] == "symmetric" and self._forward(network) is None:
            out.append(f"Symmetric feedback from '{self.source}' to '{self.target}' uses the "
                       f"weights of the projection '{self.target}' -> '{self.source}', which "
                       f"the network does not have; use weights='random'.")
        if self.p["weights"] == "random":
            dim = self._unit_of_scale(network)
            if not have_same_dimensions(self.p["scale"], Quantity(1, dim=dim)):
                out.append(f"Parameter 'scale' of the feedback from '{self.source}' must have "
                           f"the unit {Quantity(1, dim=dim).dim or 'of a number (1)'} "
                           f"(send={self.p['send']!r}); got {self.p['scale']}.")
        return out

    def _unit_of_scale(self, network):
        if self.sends_error:
            return get_dimensions(1.0)
        model = network.model(self.source)
        return Equations(model.equations)[network.layers[self.source].membrane].dim

    def _gain(self, network):
        if self.p["gain"] > 0:
            return float(self.p["gain"])
        layer = network.layers[self.source]
        tau = layer.parameter("tau_m", network.model(self.source))
        a = float(np.exp(-float(network.dt / tau)))
        return a / (1 - a)

    def _forward(self, network):
        for proj in network.projections:
            if proj.pre == self.target and proj.post == self.source:
                return proj
        return None

    def routes(self, network):
        if self.p["weights"] == "symmetric":
            return []
        scale = self.p["scale"]
        unit = "1" if self.sends_error else \
            network.layers[self.source].membrane_unit(network.model(self.source))
        model = SynapseModel(
            name="random_feedback", parameters=ParameterSet(),
            model=f"B : {unit}   # fixed random feedback weight\n"
                  f"{self.variable}_post = B*{self.message}_pre : 1 (summed)",
            reference="Lillicrap et al. (2016) Nat Commun 7:13276; Nokland (2016) NeurIPS")

        def initial(net, rng):
            n_s, n_t = net.size(self.source), net.size(self.target)
            b = rng.uniform(-1, 1, size=(n_s, n_t)) * float(scale) / np.sqrt(n_s)
            return {"B": Quantity(b, dim=get_dimensions(scale))}

        return [Route(self.route_name, self.source, self.target, model, initial)]

    def code(self, network) -> dict[str, Code]:
        src = network.layers[self.source]
        model = network.model(self.source)
        codes = {self.target: Code(equations=[f"{self.variable} : 1   # signal from "
                                              f"'{self.source}'"])}
        if not self.sends_error:
            unit = src.membrane_unit(model)
            mean_psi = "epsi/T_steps" if self.timing == "sample" else "psi"
            gain = f"k_up_{self.source}"
            send = Code(equations=[f"{self.message} = L*{mean_psi}*{gain} : "
                                   f"{inverse_unit(unit)}   # sent to the layers below"],
                        namespace={"T_steps": float(network.T), gain: self._gain(network)})
            codes[self.source] = merge(self.source, [src.surrogate_code(model), send])
        if self.p["weights"] == "symmetric":
            owner, summed = self._forward(network).name, f"{self.variable}_pre"
            codes[owner] = Code(equations=[f"{summed} = w*{self.message}_post : 1 (summed)"])
        else:
            owner, summed = self.route_name, f"{self.variable}_post"
        if self.timing == "sample":
            codes.setdefault(owner, Code()).summed_at_sample_ends.append(summed)
        else:
            order = sch.ORDER_END_ROUTE + network.levels[self.target]
            codes.setdefault(owner, Code()).summed_in_step.append((summed, order))
        return codes

    def objects(self, program):
        return []

    def __repr__(self):
        return (f"Feedback({self.source!r} -> {self.target!r}, {self.p['weights']}, "
                f"send={self.p['send']!r}, timing={self.timing!r})")
