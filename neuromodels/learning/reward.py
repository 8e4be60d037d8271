r"""Reward-modulated learning: a reward computed from the label inside the run, and R-STDP.

:class:`Reward` is a learning signal (:mod:`.signals`) of a layer read as classes
(:class:`~.readout.Readout`: neuron o stands for class ``o // P``): BioLCNet's scalar
reward (Ghaemi et al. 2022, arXiv 2109.05539; Singular-Brain/BioLCNet ``reward.py``,
``DynamicDopamineInjection`` with ``variant='scalar'``, ``sub_variant='static'``).  A
sample of T steps is an observation period (steps ``0 ... O-1``), a decision period
(``O ... O+D-1``) and a learning period (``O+D ... T-1``).  The layer's spikes in the
decision period are summed per class, :math:`S_c`; the prediction is
:math:`\hat c = \arg\max_c S_c` (ties: the lower class, as ``torch.argmax``); the reward is

.. math:: R = r_+ \;\text{if}\; \hat c = y, \qquad R = -r_- \;\text{otherwise},

with :math:`y` the sample's label.  Options (all off by default; the reference's names):

* ``variant='per_spike'`` (reward.py:58-59): :math:`R = r_+ S_y - r_- \sum_{c \ne y} S_c`;
* ``sub_variant='RPE'`` (reward.py:67-80, ``update`` 118-134; the notebook's classification
  cell): :math:`r_\pm` are state, adapted after every training sample (``lr_scale`` > 0) by
  the accumulated reward :math:`A = L R` (:math:`L = T - O - D`: the reference records R in
  every learning step) and its running prediction :math:`\bar A \leftarrow (1 - 1/N) \bar A
  + A/N` (``ema_window`` N, from 0): :math:`\delta = A - \bar A`, :math:`r_+ \leftarrow
  \mathrm{clip}(r_+ - \nu\delta, r_+^0/f, r_+^0 f)`, :math:`r_- \leftarrow \mathrm{clip}(r_-
  + \nu\delta, r_-^0/f, r_-^0 f)` (``td_nu`` :math:`\nu`, ``dps_factor`` f, :math:`r_\pm^0`
  the initial ``r_plus``, ``r_minus``; :math:`\bar A` updated first, as the reference);
* ``baseline`` N > 0: the layer receives :math:`R - \bar R` instead of :math:`R`, with
  :math:`\bar R \leftarrow \bar R + (R - \bar R)/N` after every training sample (from 0):
  R-STDP needs the reward minus its expectation, else the mean weight change has the bias
  :math:`E[R]\,E[e]` (the eligibility :math:`e` of unrewarded correlations; Fremaux,
  Sprekeler & Gerstner 2010, J Neurosci 30:13326; review: Fremaux & Gerstner 2016, Front
  Neural Circuits 9:85).  Not in BioLCNet's code.

The adapted values (:math:`r_\pm`, :math:`\bar A`, :math:`\bar R`) start at their initial
values in every run (every epoch of :func:`~neuromodels.learning.train`): the reference
keeps them across epochs.  In the generated code (every step, slot 'end', after
the step's spikes): the class sums, the label's sum and the number of classes that beat
the label (:math:`S_c > S_y`, or :math:`S_c = S_y` and :math:`c < y`) are summed variables;
:math:`R` follows (a one-neuron group, which also keeps :math:`-R` as the sample's
``loss_sample``, recorded at the sample end: ``Program.run(...)['losses'][layer]``).  The
layer receives the signal ``L_reward`` :math:`= -R` (a loss, as every signal's ``L``) at
the ends of the steps ``O+D ... T-2``, 0 at the others.

:class:`RewardSTDP` trains one projection whose synapse model is
:func:`neuromodels.synapses.reward.reward_stdp` (the one home of the R-STDP math: pair
eligibility :math:`c` with all-to-all traces, :math:`dw/dt = c\,(n - b)`, Euler steps), with
the dopamine concentration of the postsynaptic neuron set from the layer's signal at the
end of every step, :math:`n = -L/\tau_c` (read by the synapses in the next step).  A jump
:math:`c_0` of the eligibility then adds :math:`\sum_{k \ge 0} dt\, c_0 (1 - dt/\tau_c)^k\,
R/\tau_c = c_0 R` to :math:`w` while :math:`n` holds; with :math:`\tau_c = dt` the whole
jump is credited in the next step: BindsNET's ``MSTDP`` (Florian 2007) as BioLCNet uses
it, :math:`\Delta w(n+1) = \nu R\, e(n)`.  For one sample, without clipping,

.. math::
    \Delta w_{ij} = R\, w_{max} \Big(A_+ \sum_{k \in K} s_j(k)\, a^+_i(k)
    - A_- \sum_{k \in K} s_i(k)\, a^-_j(k^-)\Big),\qquad K = \{O+D, \dots, T-2\},

with :math:`a^+_i(k) = \sum_{m \le k} s_i(m) e^{-(k-m)dt/\tau_+}` (a pre spike in the same
step counts: Brian2 runs ``on_pre`` before ``on_post``) and :math:`a^-_j(k^-) = \sum_{m < k}
s_j(m) e^{-(k-m)dt/\tau_-}`; the traces and the eligibility start at 0 in every sample.
The amplitudes are gated by the sample's learning-rate factor (``A -> A*lr_scale(t)``: no
learning on test samples).

    Reward('output', observe=O, decide=D)          # in the network's signals
    RewardSTDP('hidden_to_output')                 # in its rules
"""
from __future__ import annotations

import numpy as np
from brian2 import Equations, NeuronGroup, Synapses

from ..parameters import Parameter, ParameterError, ParameterSet, nonnegative, positive
from . import schedule as sch
from .code import Code
from .plasticity import amplitudes
from .projections import OnProjection
from .readout import Readout
from .signals import LayerSignal

__all__ = ["Reward", "RewardSTDP"]

#: Orders in the 'end' slot: class sums and the label's sum, then the classes that beat
#: the label, then the reward; the signal reaches the layer at ORDER_END_ROUTE and the
#: rule sets the dopamine at ORDER_END_UPDATE.
ORDER_SUMS = sch.ORDER_END_SCORE
ORDER_BEATEN = sch.ORDER_END_SCORE + 10
ORDER_REWARD = sch.ORDER_END_SCORE + 20
#: the adaptations at a training sample's last step (after the reward; its signal is 0 there)
ORDER_ADAPT = sch.ORDER_END_SCORE + 30

#: the step of the sample (0 ... T-1) in generated code
STEP = "(int(t/dt + 0.5) % reward_T)"

VARIANTS = ("scalar", "per_spike")
SUB_VARIANTS = ("static", "RPE")
#: the options' values that leave BioLCNet's scalar, static reward
OFF = {"variant": "scalar", "sub_variant": "static", "baseline": 0}


class Reward(LayerSignal):
    """BioLCNet's scalar reward of layer ``layer`` (module docstring): ``observe`` and
    ``decide`` steps (the learning period is the rest of the sample); ``readout``: the
    layer's classes (default: the network's readout if it reads this layer)."""

    timing = "step"
    PARAMETERS = ParameterSet(
        Parameter("observe", 0, "observation period (steps; spikes not counted)", low=0,
                  integer=True),
        Parameter("decide", 1, "decision period (steps; spikes summed per class)", low=1,
                  integer=True),
        nonnegative("r_plus", 1.0, "reward of a correct decision (BioLCNet's reward_base)"),
        nonnegative("r_minus", 1.0, "punishment of a wrong one (punishment_base)"),
        Parameter("variant", "scalar", "scalar: +r_plus / -r_minus by the decision; per_spike: "
                  "r_plus per label spike - r_minus per other spike", choices=VARIANTS),
        Parameter("sub_variant", "static", "static: fixed r_plus, r_minus; RPE: adapted by "
                  "the reward prediction error", choices=SUB_VARIANTS),
        nonnegative("td_nu", 0.0005, "RPE: rate of the adaptation of r_plus, r_minus"),
        positive("ema_window", 10.0, "RPE: samples over which the reward is predicted"),
        Parameter("dps_factor", 50.0, "RPE: r_plus, r_minus stay within [1/f, f] x their "
                  "initial values", low=1.0),
        Parameter("baseline", 0, "samples of the running mean reward subtracted from R (0: "
                  "none)", low=0, integer=True),
    )

    def __init__(self, layer: str = "output", readout: Readout | None = None, **params):
        super().__init__(layer, readout, **params)
        self.variable = "L_reward"

    @property
    def learning_start(self) -> int:
        return int(self.p["observe"]) + int(self.p["decide"])

    def problems(self, network) -> list[str]:
        if self.layer not in network.layers:
            return []
        out = []
        if self.learning_start + 2 > network.T:
            out.append(f"Reward('{self.layer}'): observe + decide = {self.learning_start} steps "
                       f"leave no learning period in a sample of T = {network.T} steps (at "
                       f"least 2 steps must follow).")
        if getattr(network.input, "repeat", None) is not None:
            out.append(f"Reward('{self.layer}'): samples shown again (InputLayer(repeat=...)) "
                       f"are not supported.")
        if not network.layers[self.layer].spiking(network.model(self.layer)):
            out.append(f"Reward('{self.layer}'): the layer must spike (its decision is a spike "
                       f"count).")
        try:
            self.readout(network).n_classes(network)
        except ParameterError as err:
            out.append(str(err))
        return out

    def _namespace(self, network) -> dict:
        p = self.p
        return {"reward_T": int(network.T), "reward_observe": int(p["observe"]),
                "reward_decided": self.learning_start, "reward_P": int(self.readout(
                    network).per_class), "r_plus": float(p["r_plus"]),
                "r_minus": float(p["r_minus"]), "reward_td_nu": float(p["td_nu"]),
                "reward_ema": float(p["ema_window"]), "reward_dps": float(p["dps_factor"]),
                "reward_window": int(p["baseline"])}

    def code(self, network) -> dict[str, Code]:
        counting = f"int({STEP} >= reward_observe and {STEP} < reward_decided)"
        return {self.layer: Code(
            equations=["count_decision : integer   # spikes in the decision period",
                       "L_reward : 1   # -reward in the learning period (signal of Reward)"],
            on_spike=[f"count_decision += {counting}"],
            at_sample_start=["count_decision = 0"],
            namespace=self._namespace(network))}

    def _decision_code(self) -> tuple[str, str, str]:
        """(variables, reward code, signal) of the decision group for the options."""
        p, rpe = self.p, self.p["sub_variant"] == "RPE"
        plus, minus = ("r_plus_now", "r_minus_now") if rpe else ("r_plus", "r_minus")
        variables = ["S_label : integer    # decision-period spikes of the label's class",
                     "beaten : integer     # classes that beat the label (argmax, ties: lower "
                     "class)", "reward : 1           # R of the sample",
                     "loss_sample : 1      # -R (recorded at the sample end)"]
        if p["variant"] == "per_spike":
            variables.append("S_total : integer    # decision-period spikes of all classes")
            reward = f"reward = {plus}*S_label - {minus}*(S_total - S_label)"
        else:
            reward = f"reward = {plus}*int(beaten == 0) - {minus}*int(beaten > 0)"
        if rpe:
            variables += ["r_plus_now : 1       # reward base (RPE: adapted)",
                          "r_minus_now : 1      # punishment base (RPE: adapted)",
                          "predicted : 1        # running prediction of L*R (RPE)"]
        signal = "reward_pre"
        if p["baseline"]:
            variables.append("reward_mean : 1      # running mean of R (baseline)")
            signal = "(reward_pre - reward_mean_pre)"
        return "\n".join(variables), f"{reward}\nloss_sample = -reward", signal

    def _adaptation(self) -> str:
        """At a training sample's last step: the RPE bases and the baseline (module
        docstring)."""
        p, lines = self.p, []
        end = f"int({STEP} == reward_T - 1)*int(lr_scale(t) > 0)"
        if p["sub_variant"] == "RPE":
            accumulated = "(reward_T - reward_decided)*reward"
            lines += [f"predicted += {end}*({accumulated} - predicted)/reward_ema",
                      f"r_plus_now = clip(r_plus_now - {end}*reward_td_nu*({accumulated} - "
                      f"predicted), r_plus/reward_dps, r_plus*reward_dps)",
                      f"r_minus_now = clip(r_minus_now + {end}*reward_td_nu*({accumulated} - "
                      f"predicted), r_minus/reward_dps, r_minus*reward_dps)"]
        if p["baseline"]:
            lines.append(f"reward_mean += {end}*(reward - reward_mean)/reward_window")
        return "\n".join(lines)

    def objects(self, program):
        """The class sums, the decision and the reward (module docstring), slot 'end'."""
        network, out = program.network, program.groups[self.layer]
        ns = {**program.namespace, **self._namespace(network)}
        n_classes = self.readout(network).n_classes(network)
        classes = self.readout(network).classes(out.N)
        name = f"{out.name}_reward"
        variables, reward, signal = self._decision_code()
        sums = NeuronGroup(n_classes, "S : integer   # decision-period spikes of the class",
                           clock=out.clock, name=f"{name}_classes")
        decision = NeuronGroup(1, variables, clock=out.clock, namespace=ns, name=name)
        if self.p["sub_variant"] == "RPE":
            decision.r_plus_now, decision.r_minus_now = self.p["r_plus"], self.p["r_minus"]
        to_sums = Synapses(out, sums, "S_post = count_decision_pre : integer (summed)",
                           clock=out.clock, namespace=ns, name=f"{name}_class_sums")
        to_sums.connect(i=np.arange(out.N), j=classes)
        to_label = Synapses(out, decision, "S_label_post = count_decision_pre*int(abs(label(t) - "
                                           "i_pre//reward_P) < 0.5) : integer (summed)",
                            clock=out.clock, namespace=ns, name=f"{name}_label_sum")
        to_label.connect(i=np.arange(out.N), j=np.zeros(out.N, dtype=int))
        beats = Synapses(sums, decision, "beaten_post = int(S_pre > S_label_post or (S_pre == "
                                         "S_label_post and i_pre < label(t))) : integer (summed)",
                         clock=out.clock, namespace=ns, name=f"{name}_beaten")
        beats.connect(i=np.arange(n_classes), j=np.zeros(n_classes, dtype=int))
        decide = decision.run_regularly(reward, when="end", order=ORDER_REWARD,
                                        name=f"{name}_decide")
        send = Synapses(decision, out, f"L_reward_post = -{signal}*int({STEP} >= reward_decided "
                                       f"and {STEP} < reward_T - 1) : 1 (summed)",
                        clock=out.clock, namespace=ns, name=f"{name}_signal")
        send.connect(i=np.zeros(out.N, dtype=int), j=np.arange(out.N))
        sch.sum_in_step(to_sums, "S_post", ORDER_SUMS)
        sch.sum_in_step(to_label, "S_label_post", ORDER_SUMS)
        sch.sum_in_step(beats, "beaten_post", ORDER_BEATEN)
        sch.sum_in_step(send, "L_reward_post", sch.ORDER_END_ROUTE)
        objects = [sums, decision, to_sums, to_label, beats, decide, send]
        if self.p["variant"] == "per_spike":
            total = Synapses(out, decision, "S_total_post = count_decision_pre : integer (summed)",
                             clock=out.clock, namespace=ns, name=f"{name}_total")
            total.connect(i=np.arange(out.N), j=np.zeros(out.N, dtype=int))
            sch.sum_in_step(total, "S_total_post", ORDER_SUMS)
            objects.append(total)
        if self._adaptation():
            objects.append(decision.run_regularly(self._adaptation(), when="end",
                                                  order=ORDER_ADAPT, name=f"{name}_adapt"))
        return objects

    def loss_source(self, program):
        """(group, variable): -R of every sample, recorded at its end."""
        return program.objects_named(f"{program.groups[self.layer].name}_reward"), "loss_sample"

    def __repr__(self):
        p = self.p
        options = "".join(f", {k}={p[k]!r}" for k, off in OFF.items() if p[k] != off)
        return (f"Reward({self.layer!r}, observe={p['observe']}, decide={p['decide']}, "
                f"r_plus={p['r_plus']}, r_minus={p['r_minus']}{options})")


class RewardSTDP(OnProjection):
    """R-STDP on projection ``projection``, whose synapse model is
    :func:`~neuromodels.synapses.reward.reward_stdp`; the dopamine of its postsynaptic layer
    comes from that layer's learning signal (module docstring)."""

    NAME = "RewardSTDP"
    unsupervised = False
    learns_weights = True
    learns_thresholds = False
    signal_timing = "step"
    #: the variables of the synapse model cleared at every sample start (w is the weight)
    CLEARED = ("apre", "apost", "c")

    def __init__(self, projection: str):
        self._set_projection(projection)

    def problems(self, network) -> list[str]:
        proj = self._projection(network)
        if proj is None:
            return self._missing_projection(network)
        model = proj.synapse
        names = set() if model is None else set(Equations(model.model).names)
        if not proj.plastic:
            return [f"RewardSTDP trains projection '{proj.name}', which is frozen "
                    f"(plastic=False)."]
        if model is None or not {"c", "w", *self.CLEARED} <= names or "tau_c" not in \
                model.parameters or not amplitudes(model):
            return [f"RewardSTDP: projection '{proj.name}' needs the R-STDP synapse model "
                    f"(synapse=neuromodels.synapses.reward.reward_stdp(...))."]
        return []

    def _tau_c(self, network):
        return self._projection(network).synapse.parameters["tau_c"].default

    def gated(self, projection, model):
        """The synapse model with its amplitudes times the sample's lr_scale(t)."""
        names = amplitudes(model)
        if projection.name != self.projection or not projection.plastic or not names:
            return model
        return model.substituted(**{name: f"{name}*lr_scale(t)" for name in names})

    def prepare(self, layer, model):
        """The postsynaptic neurons with the dopamine concentration the synapses read."""
        if "dopamine" in Equations(model.equations).names:
            raise ParameterError(f"RewardSTDP: layer '{layer.name}' already defines "
                                 f"'dopamine'; the rule sets it from the layer's signal.")
        return model.extended("dopamine : Hz   # dopamine concentration (-L/tau_c; R-STDP)",
                              name=model.name, reference=model.reference)

    def code(self, network) -> dict:
        proj = self._projection(network)
        rate = f"reward_rate_{proj.name}"
        dopamine = (f"dopamine = -L*{rate}", "end", sch.ORDER_END_UPDATE)
        return {proj.name: Code(at_sample_start=[f"{x} = 0" for x in self.CLEARED]),
                proj.post: Code(every_step=[dopamine],
                                namespace={rate: 1 / self._tau_c(network)})}

    def __repr__(self):
        return f"RewardSTDP({self.projection!r})"

