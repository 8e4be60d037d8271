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
jump scales with the largest input current of the layer in the sample, known before the
sample's first spike as the filter's scale below (:func:`largest` of ``I_drive``); not built.

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
exactly (ties included); three sums over the n(n - 1) inhibitory synapses per sample
(:func:`largest`), each at an order of its own in the sample end (copy, rank, largest;
after the layers' state updates, so on the thresholds the shift is applied to).

Parameters (:data:`BALANCE_PARAMETERS`): ``theta_gain`` (0.1: 0.05 mV, Diehl & Cook's
increment, at an input of 0.5 mV per step; BrainCog 0.002 with its own current scale),
``theta_max`` (20 mV above ``v_th``; BrainCog 350 in its units).  Departures: per training
sample, not per batch of 1024; ``theta_a`` starts at 0 above ``v_th`` (BrainCog: the
threshold set to 3 times the first batch's largest input, ``codef.py:162-164``) and keeps
Diehl & Cook's slow decay ``tau_theta``; frozen in test samples (the network's STDP gate).

**Sample temporal batch STDP** (STB-STDP; ``codef.py:466-474``): ``STDP(batch=B)`` of
:mod:`neuromodels.learning.plasticity` with :func:`neuromodels.synapses.batched.batched`.

**Adaptive synaptic filter** (:class:`SynapticFilter`; ``codef.py:85-89``, its scale
``getthresh``, ``codef.py:136-140``: BrainCog's convolutional layer, where the input is a
static current): the input current x of a neuron is passed through a sigmoid scaled by the
layer's largest input n of the sample,

.. math:: f(x) = \frac{n}{1 + \exp(-(x - a\,n)\,s/n)},\qquad n = \max_k I_k,

(``filter_offset`` a = 0.4, ``filter_slope`` s = 8, BrainCog's 4/10 and 8).  Here the
input is Poisson spikes, so the filter acts on the expected input per step I_j (as the
balance's; weights as normalised at the sample start, a sample shown again times its
intensity): every input spike into j has its effect ``J w`` times the gain
:math:`g_j = f(I_j)/I_j` (0 where :math:`I_j = 0`), so that the expected input per step
is :math:`f(I_j)`.  At every sample end (the next sample's input is known then), in this
order: the I_j summed over the input synapses (``ORDER_DRIVE``), scaled by the
normalisation about to happen (+ 1), their maximum through the mirror layer
(:func:`largest`, ``ORDER_FILTER`` + 0, 1, 2), the gains (+ 3); before the sample's first
spike, in training and test samples alike.  Departures: BrainCog's conv layer also sets
its threshold to n (here Diehl & Cook's adaptive threshold stays), and its f(0) = 0.04 n
> 0 drives a neuron with no input (here no spike arrives there); the threshold balance
keeps the unfiltered I_j (BrainCog's ``updatethresh`` is the linear layer's, which has no
filter).  Training programs only (:class:`SynapticFilter`).
"""
from __future__ import annotations

import re

from brian2 import Equations, mV

from ..learning import schedule as sch
from ..learning.code import Code
from ..learning.normalisation import Normalisation
from ..model import SynapseModel
from ..parameters import Parameter, ParameterSet, nonnegative, positive

__all__ = ["adaptive_inhibition", "ThresholdBalance", "BALANCE_PARAMETERS", "SynapticFilter",
           "FILTER_PARAMETERS", "expected_input", "largest"]


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

#: Orders in the sample end's 'groups' slot (:mod:`~neuromodels.learning.schedule`), after
#: the layers' state updates, before the updates at ORDER_UPDATE: the expected input summed
#: (+ 1: corrected for the normalisation); the largest theta_a of the balance (copy, rank,
#: largest ones: + 0, + 1, + 2).
ORDER_DRIVE = sch.ORDER_UPDATE - 50
ORDER_FILTER = sch.ORDER_UPDATE - 40      # the largest input: + 0, + 1, + 2; the gain: + 3
ORDER_BALANCE = sch.ORDER_UPDATE - 30


def _projections(network, names):
    return [network.projection(name) for name in names]


def _merged(*parts) -> dict:
    """{owner: [Code, ...]} of several parts' {owner: Code}."""
    out: dict = {}
    for part in parts:
        for owner, code in part.items():
            out.setdefault(owner, []).append(code)
    return out


def expected_input(network, projection: str) -> dict:
    """Code for ``I_drive`` of the layer that ``projection`` (from a 'rates' input, a STDP
    synapse with efficacy ``J``) feeds: its expected input per step in the sample about to
    start, :math:`I_j = J \\sum_i w_{ij} p_i` (a sample shown again: times its intensity),
    with the weights as a :class:`~neuromodels.learning.normalisation.Normalisation` of the
    projection leaves them at this sample start (it scales them later, at ORDER_UPDATE)."""
    proj = _projections(network, [projection])[0]
    t_syn = sch.sample_time(network, "_post")
    brighter = "*intensity_pre" if getattr(network.input, "repeat", None) else ""
    layer = Code(equations=["I_drive : volt   # expected input per step of the sample "
                            "(J sum_i w_ij p_i)"])
    norm = next((r for r in network.rules if isinstance(r, Normalisation)
                 and r.projection == projection), None)
    if norm is not None:
        layer.at_sample_end.append((f"I_drive = I_drive*{norm.factor(network, '')}",
                                    ORDER_DRIVE + 1))
        layer.namespace[norm.total_name()] = norm.p["total"]
    return {projection: Code(equations=[f"I_drive_post = J*w*stimulus({t_syn}, i_pre){brighter} "
                                        f": volt (summed)"],
                             summed_at_sample_ends=[("I_drive_post", ORDER_DRIVE)]),
            proj.post: layer}


def largest(variable: str, unit: str, prefix: str, layer: str, mirror: str, copy: str,
            lateral: str, order: int):
    """The largest value of ``variable`` (``unit``) over ``layer``, known to every neuron of
    it at a sample end (Brian2 has only *sums* over synapses): through the one-to-one
    projection ``copy`` mirror neuron k gets a copy of :math:`x_k` (at ``order``), through
    the all-but-self projection ``lateral`` back it counts the neurons j with
    :math:`x_j > x_k` (``order + 1``; 0: k is a largest), and every neuron sums the copies
    and the number of those largest ones (``order + 2``), so that it knows the maximum
    exactly, ties included (read it at an order > ``order + 2``).  Returns ({owner: Code},
    the maximum as an expression on ``layer``); variables ``<prefix>_copy``, ``_below`` (on
    ``mirror``), ``_top_n``, ``_top_sum`` (on ``layer``)."""
    c, below, top_n, top_sum = (f"{prefix}_{s}" for s in ("copy", "below", "top_n", "top_sum"))
    codes = {
        layer: Code(equations=[f"{top_n} : integer   # largest {variable} of the others: "
                               f"how many",
                               f"{top_sum} : {unit}   # ... and their sum"]),
        mirror: Code(equations=[f"{c} : {unit}   # {variable} of its neuron (copy)",
                                f"{below} : integer   # neurons with a larger {variable}"]),
        copy: Code(equations=[f"{c}_post = {variable}_pre : {unit} (summed)"],
                   summed_at_sample_ends=[(f"{c}_post", order)]),
        lateral: Code(
            equations=[f"{below}_pre = int({variable}_post > {c}_pre) : integer (summed)",
                       f"{top_n}_post = int({below}_pre == 0) : integer (summed)",
                       f"{top_sum}_post = {c}_pre*int({below}_pre == 0) : {unit} (summed)"],
            summed_at_sample_ends=[(f"{below}_pre", order + 1), (f"{top_n}_post", order + 2),
                                   (f"{top_sum}_post", order + 2)]),
    }
    return codes, f"{top_sum}/({top_n} + int({top_n} == 0)) + {variable}*int({top_n} == 0)"


def _wiring_problems(where, network, projection, copy, lateral, proj_names) -> list[str]:
    """What a part on the layer fed by ``projection`` needs (a 'rates' input, ``J``, the
    mirror wiring of :func:`largest`)."""
    proj, cp, lat = _projections(network, [projection, copy, lateral])
    if None in (proj, cp, lat):
        return [f"{where}: parameters {proj_names} must name projections of the network "
                f"({[p.name for p in network.projections]})."]
    out, layer = [], proj.post
    if network.input.mode != "rates" or proj.pre != network.input.name:
        out.append(f"{where}: the input current is read from the input's spike "
                   f"probabilities: '{projection}' must come from a 'rates' input.")
    if proj.synapse is None or "J" not in proj.synapse.parameters:
        out.append(f"{where}: projection '{projection}' needs a synapse model with "
                   f"the efficacy 'J' (a STDP model of neuromodels.synapses).")
    if not (cp.pre == layer and cp.p["connect"] == "one_to_one" and lat.pre == cp.post and
            lat.post == layer and lat.p["connect"] == "all_but_self"):
        out.append(f"{where}: '{copy}' must be one-to-one from '{layer}' to a mirror layer "
                   f"and '{lateral}' all-but-self from it back to '{layer}'.")
    return out


FILTER_PARAMETERS = ParameterSet(
    Parameter("filter_offset", 0.4, "synaptic filter: the sigmoid's midpoint, a fraction of "
                                    "the layer's largest input (BrainCog 4/10)",
              low=0.0, high=1.0),
    positive("filter_slope", 8.0, "synaptic filter: its steepness times the largest input "
                                  "(BrainCog 8)"),
)

#: ``<target>_post += J * w``: the transmission of a STDP model of neuromodels.synapses.
_TRANSMISSION = re.compile(r"^([ \t]*)(\w+_post \+= J \* w)[ \t]*$", re.MULTILINE)


class SynapticFilter:
    """The adaptive synaptic filter (module docstring) on the input of the layer that
    ``projection`` feeds, its largest input found through ``copy`` and ``lateral`` (as
    :class:`ThresholdBalance`'s); parameters :data:`FILTER_PARAMETERS`.  Training programs
    only (the scale is computed at sample ends; :func:`~neuromodels.learning.train` shows
    test samples in them, learning-rate factor 0): an evaluation program
    (``plastic=False``) is refused when it is built (``training_only``)."""

    NAME = "SynapticFilter"
    training_only = True
    unsupervised = True
    learns_weights = False
    learns_thresholds = False
    signal_timing = None

    def __init__(self, projection: str = "input_to_exc", copy: str = "exc_to_inh",
                 lateral: str = "inh_to_exc", **params):
        self.projection, self.copy, self.lateral = projection, copy, lateral
        self.p = FILTER_PARAMETERS.resolve(params)

    def governs(self, network) -> list[str]:
        return []

    def prepare(self, layer, model):
        return model

    def problems(self, network) -> list[str]:
        where = f"SynapticFilter('{self.projection}')"
        out = _wiring_problems(where, network, self.projection, self.copy, self.lateral,
                               ["'projection'", "'copy'", "'lateral'"])
        proj = _projections(network, [self.projection])[0]
        if proj is not None and proj.synapse is not None and not _TRANSMISSION.search(
                proj.synapse.on_pre or ""):
            out.append(f"{where}: the synapse model of '{self.projection}' has no "
                       f"transmission 'v_post += J * w' on its own line to filter.")
        return out

    def gated(self, projection, model):
        """The synapse model of ``projection`` with every spike's effect ``J w`` times the
        postsynaptic neuron's ``filter_gain``."""
        if projection.name != self.projection or not _TRANSMISSION.search(model.on_pre or ""):
            return model
        on_pre = _TRANSMISSION.sub(r"\1\2 * filter_gain_post", model.on_pre, count=1)
        return model.extended(name=f"{model.name}_filtered", on_pre=on_pre,
                              reference=f"{model.reference}; adaptive synaptic filter "
                                        f"(Dong et al. 2023)")

    def code(self, network) -> dict:
        proj, copy = _projections(network, [self.projection, self.copy])
        top, top_expr = largest("I_drive", "volt", "filter", proj.post, copy.post, self.copy,
                                self.lateral, ORDER_FILTER)
        guard_n = "int(n_filter <= 0*volt)*volt"
        guard_i = "int(I_drive <= 0*volt)*volt"
        gain = (f"n_filter = {top_expr}\n"
                f"filter_gain = int(I_drive > 0*volt)*n_filter/(1 + exp(-(I_drive - "
                f"filter_offset*n_filter)*filter_slope/(n_filter + {guard_n})))"
                f"/(I_drive + {guard_i})")
        own = Code(equations=["filter_gain : 1   # f(I_drive)/I_drive: each input spike's "
                              "effect scaled by it"],
                   at_sample_end=[(gain, ORDER_FILTER + 3)],
                   namespace={"filter_offset": self.p["filter_offset"],
                              "filter_slope": self.p["filter_slope"]})
        return _merged(expected_input(network, self.projection), top, {proj.post: own})

    def __repr__(self):
        return (f"SynapticFilter({self.projection!r}, filter_offset={self.p['filter_offset']}, "
                f"filter_slope={self.p['filter_slope']})")


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

    def governs(self, network) -> list[str]:
        proj = _projections(network, [self.projection])[0]
        return [] if proj is None else [proj.post]

    def prepare(self, layer, model):
        return model

    def problems(self, network) -> list[str]:
        out = _wiring_problems(f"ThresholdBalance('{self.projection}')", network,
                               self.projection, self.copy, self.lateral,
                               ["'projection'", "'copy'", "'lateral'"])
        layer = _projections(network, [self.projection])[0]
        if layer is not None and "theta_a" not in Equations(
                network.model(layer.post).equations).names:
            out.append(f"ThresholdBalance('{self.projection}'): layer '{layer.post}' has no "
                       f"adaptive threshold 'theta_a'.")
        return out

    def code(self, network) -> dict:
        proj, copy = _projections(network, [self.projection, self.copy])
        layer = proj.post
        gate = f"int(lr_scale({sch.sample_time(network)}) > 0)"
        top, top_expr = largest("theta_a", "volt", "balance", layer, copy.post, self.copy,
                                self.lateral, ORDER_BALANCE)
        balance = (f"largest = {top_expr}\n"
                   f"theta_a -= {gate}*(largest - theta_max)*int(largest > theta_max)")
        own = Code(on_spike=[f"theta_a += {gate}*theta_gain*I_drive"],
                   at_sample_end=[(balance, sch.ORDER_UPDATE)],
                   namespace={"theta_gain": self.p["theta_gain"],
                              "theta_max": self.p["theta_max"]})
        return _merged(expected_input(network, self.projection), top, {layer: own})

    def __repr__(self):
        return (f"ThresholdBalance({self.projection!r}, theta_gain={self.p['theta_gain']}, "
                f"theta_max={self.p['theta_max']})")
