r"""Dong et al. (2023, Neural Networks 165:799; arXiv 2207.02727) mechanisms as options of the
Diehl & Cook network (:func:`~neuromodels.networks.diehl_cook.diehl_cook`), after BrainCog's
``examples/Perception_and_Learning/UnsupervisedSTDP/codef.py`` (the ``STDPLinear`` layer,
the one that corresponds to Diehl & Cook's excitatory layer) and
``braincog/base/strategy/LateralInhibition.py``; line numbers are those of BrainCog-X/Brain-Cog
at commit 3998fd5.

**Adaptive lateral inhibition** (:func:`adaptive_inhibition`; ``LateralInhibition.py:27``,
mode ``'threshold'``: ``mem -= inh * threshold * (max_j s_j - s)``): a spike of the
inhibitory neuron k lowers the membrane of every other excitatory neuron j by a fraction
``w`` of j's own distance from reset to threshold,

.. math:: v_j \leftarrow v_j - w\,(v_{th} - v_{reset} + \theta_{a,j}),

so that the inhibition keeps pace with each neuron's adaptive threshold (Diehl & Cook: a
fixed jump).  ``w = w_inh_exc / (v_th - v_reset)`` gives Diehl & Cook's jump at
:math:`\theta_a = 0`.  BrainCog's linear layer uses mode ``'max'`` (``LateralInhibition.py:25``,
``codef.py:159``; mode ``'threshold'`` is its convolutional layer's, ``codef.py:63``): the
jump scales with the largest input current of the layer in the sample, which would have to
be known before the sample's first spike; the framework sums the input currents at sample
ends in an order it does not let a part choose, after the copies the maximum needs.

**Adaptive threshold balance** (:class:`ThresholdBalance`; ``codef.py:236-241``, called
after every batch at ``codef.py:473``): a spike of neuron j raises its threshold by
``theta_gain`` times its input current, and after every training sample the thresholds
are shifted down together so that the largest stays at ``theta_max``,

.. math::
    \theta_{a,j} \mathrel{+}= \theta_g I_j \text{ per spike},\qquad
    \theta_{a,j} \leftarrow \theta_{a,j} - \max\big(0, \max_k \theta_{a,k} - \theta_{max}\big),

with :math:`I_j = J \sum_i w_{ij} p_i` the expected input per step of the sample shown
(:math:`p_i` the input's spike probability per step, the weights as normalised at the
sample's start): per sample :math:`\Delta\theta_{a,j} = \theta_g I_j n_j` for
:math:`n_j` spikes, BrainCog's ``plus * x * spike`` summed over a batch of one sample
(BrainCog: ``I = W x`` of a static input, the same every step).  The largest threshold is
taken over the layer in the generated code with the lateral-inhibition wiring the network
already has (exc -> inh one-to-one, inh -> exc all but self; Brian2 has only *sums* over
synapses): at every sample end inh k gets a copy of :math:`\theta_{a,k}`, inh k counts the
exc neurons j with :math:`\theta_{a,j} > \theta_{a,k}` (0: k is a largest), and every exc
neuron sums the copies and the number of those largest ones, so it knows the maximum
exactly (ties included); three sums over the n(n - 1) inhibitory synapses per sample.
Brian2 runs these sums in the order of their objects' names (same slot and order), which
the names here respect (checked when the network is built).

Parameters (:data:`BALANCE_PARAMETERS`): ``theta_gain`` (0.1: 0.05 mV, Diehl & Cook's
increment, at an input of 0.5 mV per step; BrainCog 0.002 with its own current scale),
``theta_max`` (20 mV above ``v_th``; BrainCog 350 in its units).  Departures: per training
sample, not per batch of 1024; ``theta_a`` starts at 0 above ``v_th`` (BrainCog: the
threshold set to 3 times the first batch's largest input, ``codef.py:162-164``) and keeps
Diehl & Cook's slow decay ``tau_theta``; frozen in test samples (the network's STDP gate).

**Sample temporal batch STDP** (STB-STDP; ``codef.py:466-474``): ``STDP(batch=B)`` of
:mod:`neuromodels.learning.plasticity` with :func:`neuromodels.synapses.batched.batched`.
The **adaptive synaptic filter** (``codef.py:83-89``, the convolutional layer's input
``x -> n / (1 + exp(-(x - 0.4 n) 8/n))`` with ``n`` its largest input) is not here: its
scale is a maximum over the layer needed before the sample, as for mode ``'max'`` above.
"""
from __future__ import annotations

from brian2 import Equations, mV

from ..learning import schedule as sch
from ..learning.code import Code
from ..learning.normalisation import Normalisation
from ..model import SynapseModel
from ..parameters import ParameterSet, nonnegative, positive

__all__ = ["adaptive_inhibition", "ThresholdBalance", "BALANCE_PARAMETERS"]


def adaptive_inhibition(span) -> SynapseModel:
    """Inhibitory synapses onto adaptive-threshold neurons (module docstring): a presynaptic
    spike lowers ``v_post`` by ``w * (span + theta_a_post)``, a fraction ``w`` (per synapse,
    dimensionless, frozen) of the target's distance from reset to its threshold; ``span``:
    ``v_th - v_reset`` of the targets (volt, > 0)."""
    return SynapseModel(
        name="adaptive_lateral_inhibition",
        parameters=ParameterSet(
            positive("span", span, "v_th - v_reset of the targets: the threshold distance at "
                                   "theta_a = 0"),
            nonnegative("w", 0.9, "fraction of the target's threshold distance removed per "
                                  "spike")),
        on_pre="v_post -= w*(span + theta_a_post)",
        reference="Dong et al. 2023; BrainCog LateralInhibition.py:27 (mode 'threshold')",
    ).per_synapse("w")


BALANCE_PARAMETERS = ParameterSet(
    nonnegative("theta_gain", 0.1, "threshold increment per spike per volt of input per step "
                                   "(BrainCog 'plus')"),
    positive("theta_max", 20 * mV, "largest adaptive threshold part theta_a; all are shifted "
                                   "down together above it"),
)

#: The variables of the balance: the copy and rank on the mirror layer, the largest one's sum
#: and count on the balanced layer (names sorted as Brian2 must run them: module docstring).
COPY, BELOW, TOP_N, TOP_SUM = ("balance_theta", "balance_below", "balance_top_n",
                               "balance_top_sum")


class ThresholdBalance:
    """Input-scaled threshold increments and the balance of the largest threshold (module
    docstring) for the layer that projection ``projection`` feeds; ``copy``: its one-to-one
    projection onto a mirror layer, ``lateral``: the mirror's all-but-self projection back
    (Diehl & Cook: 'exc_to_inh', 'inh_to_exc'); parameters :data:`BALANCE_PARAMETERS`."""

    NAME = "ThresholdBalance"
    unsupervised = True
    learns_weights = False
    learns_thresholds = True
    signal_timing = None

    def __init__(self, projection: str = "input_to_exc", copy: str = "exc_to_inh",
                 lateral: str = "inh_to_exc", **params):
        self.projection, self.copy, self.lateral = projection, copy, lateral
        self.p = BALANCE_PARAMETERS.resolve(params)

    def _projections(self, network):
        named = {p.name: p for p in network.projections}
        return [named.get(name) for name in (self.projection, self.copy, self.lateral)]

    def governs(self, network) -> list[str]:
        proj = self._projections(network)[0]
        return [] if proj is None else [proj.post]

    def prepare(self, layer, model):
        return model

    def problems(self, network) -> list[str]:
        proj, copy, lateral = self._projections(network)
        where = f"ThresholdBalance('{self.projection}')"
        if None in (proj, copy, lateral):
            return [f"{where}: parameters 'projection', 'copy', 'lateral' must name projections "
                    f"of the network ({[p.name for p in network.projections]})."]
        out = []
        layer = proj.post
        if "theta_a" not in Equations(network.model(layer).equations).names:
            out.append(f"{where}: layer '{layer}' has no adaptive threshold 'theta_a'.")
        if network.input.mode != "rates" or proj.pre != network.input.name:
            out.append(f"{where}: the input current is read from the input's spike "
                       f"probabilities: '{self.projection}' must come from a 'rates' input.")
        if proj.synapse is None or "J" not in proj.synapse.parameters:
            out.append(f"{where}: projection '{self.projection}' needs a synapse model with "
                       f"the efficacy 'J' (a STDP model of neuromodels.synapses).")
        if not (copy.pre == layer and copy.p["connect"] == "one_to_one" and
                lateral.pre == copy.post and lateral.post == layer and
                lateral.p["connect"] == "all_but_self"):
            out.append(f"{where}: 'copy' must be one-to-one from '{layer}' to a mirror layer and "
                       f"'lateral' all-but-self from it back to '{layer}'.")
        elif not (self.copy < self.lateral and network.order(layer) ==
                  network.order(copy.post)):
            out.append(f"{where}: the copy onto the mirror layer must run before the ranks: "
                       f"name 'copy' before 'lateral' alphabetically, both layers on one level.")
        return out

    def _normalisation(self, network):
        return next((r for r in network.rules if isinstance(r, Normalisation)
                     and r.projection == self.projection), None)

    def code(self, network) -> dict:
        proj, copy, lateral = self._projections(network)
        layer, mirror = proj.post, copy.post
        t_syn, t = sch.sample_time(network, "_post"), sch.sample_time(network)
        brighter = "*intensity_pre" if getattr(network.input, "repeat", None) else ""
        gate = f"int(lr_scale({t}) > 0)"
        largest = (f"largest = {TOP_SUM}/({TOP_N} + int({TOP_N} == 0)) + "
                   f"theta_a*int({TOP_N} == 0)")
        balance = f"theta_a -= {gate}*(largest - theta_max)*int(largest > theta_max)"
        norm = self._normalisation(network)
        at_end = [(f"{largest}\n{balance}", sch.ORDER_UPDATE)]
        namespace = {"theta_gain": self.p["theta_gain"], "theta_max": self.p["theta_max"]}
        if norm is not None:    # the input current with the weights as normalised now
            at_end.append((f"I_drive = I_drive*{norm.factor(network, '')}", sch.ORDER_UPDATE))
            namespace[norm.total_name()] = norm.p["total"]
        return {
            self.projection: Code(
                equations=[f"I_drive_post = J*w*stimulus({t_syn}, i_pre){brighter} : volt "
                           f"(summed)"],
                summed_at_sample_ends=["I_drive_post"]),
            layer: Code(
                equations=["I_drive : volt   # expected input per step of the sample "
                           "(J sum_i w_ij p_i)",
                           f"{TOP_N} : integer   # largest theta_a of the others: how many",
                           f"{TOP_SUM} : volt   # ... and their sum"],
                on_spike=[f"theta_a += {gate}*theta_gain*I_drive"],
                at_sample_end=at_end, namespace=namespace),
            mirror: Code(equations=[f"{COPY} : volt   # theta_a of its exc neuron (copy)",
                                    f"{BELOW} : integer   # exc neurons with a larger theta_a"]),
            self.copy: Code(equations=[f"{COPY}_post = theta_a_pre : volt (summed)"],
                            summed_at_sample_ends=[f"{COPY}_post"]),
            self.lateral: Code(
                equations=[f"{BELOW}_pre = int(theta_a_post > {COPY}_pre) : integer (summed)",
                           f"{TOP_N}_post = int({BELOW}_pre == 0) : integer (summed)",
                           f"{TOP_SUM}_post = {COPY}_pre*int({BELOW}_pre == 0) : volt "
                           f"(summed)"],
                summed_at_sample_ends=[f"{BELOW}_pre", f"{TOP_N}_post", f"{TOP_SUM}_post"]),
        }

    def __repr__(self):
        return (f"ThresholdBalance({self.projection!r}, theta_gain={self.p['theta_gain']}, "
                f"theta_max={self.p['theta_max']})")

