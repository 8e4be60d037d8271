r"""Associative plasticity between synapses (APB): co-active synapses onto one neuron boost
each other's potentiation.

Shen, Xiao, Luo, Cao, Zhang & Wang, "Modeling associative plasticity between
synapses to enhance learning of spiking neural networks", arXiv:2207.11670.
The paper's equations could not be found (searched: the arXiv number and title
in documentation, web pages, code and issue threads); this module implements
the mechanism it describes, associative LTP: a synapse that is active together
with others onto the same neuron is potentiated more than one active alone.

Equations chosen.  The postsynaptic neuron keeps a co-activity trace
:math:`C` (time constant :math:`\tau_{apb}`, per neuron), to which every APB
synapse onto it adds 1 per presynaptic spike, so :math:`C` is the sum of the
presynaptic traces of all its inputs; each synapse keeps its own share
:math:`x_{apb}` (same time constant).  The potentiation of pair STDP is scaled
by the co-activity of the *other* synapses:

.. math::
    \text{post: } w \leftarrow w + w_{max} A_+ \,[1 + \beta\,(C - x_{apb})]\, a_{pre},

and everything else is pair STDP (:func:`neuromodels.synapses.stdp.pair_stdp`,
all-to-all, additive).  The boost is a second statement after the plain update
(both potentiate, so clipping between them changes nothing), which keeps the
plain rule's arithmetic intact: with :math:`\beta = 0` it adds exactly zero and
the weights equal pair STDP's bit for bit on Brian2's numpy target (a merged factor
:math:`A_+[1 + \beta(\cdot)]` differs in the last bit once Brian2 reorders the
product).  Compiled code (Cython, C++) is built with ``-ffast-math -march=native``,
where the compiler may fuse the plain update into an FMA in one object and not in
the other: measured, at most one rounding step (1.1e-16 at w ~ 0.5). Why this form: the
shared factor is read where the rule acts (at the postsynaptic spike, per synapse, scaling
its update), it is zero for a synapse active alone (the self share is excluded), and it is
linear in the other inputs' traces (one parameter, :math:`\beta`, per unit of trace). For
:math:`k` synapses firing together at :math:`t_0` and a post spike at :math:`t_0 + \Delta`,
each gains
:math:`w_{max} A_+ e^{-\Delta/\tau_+}[1 + \beta (k-1) e^{-\Delta/\tau_{apb}}]`.

Brian2's summed variables: :math:`C` is a jump variable of the neuron, not a
``(summed)`` one, so it takes no summed-variable slot (a target variable can be
summed by one ``Synapses`` object only): any number of APB projections onto
the same neurons add to one shared factor, and the neuron's other summed
inputs stay free.  The price: the presynaptic code writes two postsynaptic
variables (the transmission and :math:`C`), which GeNN does not allow, so APB
runs on runtime and cpp_standalone.  The neuron must be extended with
:func:`with_coactivity`.

Parameters (default; accepted range; ``w`` per synapse; ``tau_apb`` per neuron, from
:func:`with_coactivity`): those of pair STDP (:mod:`neuromodels.synapses.stdp`) and

* ``beta`` (0.0; >= 0): associative boost per unit of the other inputs' trace
* ``tau_apb`` (20. ms; > 0. s): co-activity trace time constant
"""
from __future__ import annotations

from brian2 import ms

from ..model import NeuronModel, SynapseModel
from ..parameters import ParameterSet, nonnegative, positive
from .stdp import pair_stdp

__all__ = ["apb_stdp", "with_coactivity"]


def with_coactivity(neuron: NeuronModel, tau_apb=20 * ms) -> NeuronModel:
    """``neuron`` with the co-activity trace ``coactivity`` of its APB inputs (per-neuron
    time constant ``tau_apb``), which the rule reads and writes."""
    return neuron.extended(
        "dcoactivity/dt = -coactivity / tau_apb : 1",
        ParameterSet(positive("tau_apb", tau_apb, "co-activity trace time constant")),
        name=f"{neuron.name}_coactivity",
    ).per_neuron("tau_apb")


def apb_stdp(target: str = "g", J=1.0, *, beta=0.0, name: str | None = None,
             **defaults) -> SynapseModel:
    """Pair STDP (all-to-all, additive) with associative potentiation of strength ``beta`` (>= 0;
    0 is the plain rule)."""
    return pair_stdp(target, J, **defaults).extended(
        "dxapb/dt = -xapb / tau_apb_post : 1 (event-driven)",
        ParameterSet(nonnegative("beta", 0.0,
                                 "associative boost per unit of the other inputs' trace"))
        .with_defaults(beta=beta),
        on_pre="coactivity_post += 1\nxapb += 1",
        on_post="w = clip(w + w_max * A_plus * beta * (coactivity_post - xapb) * apre, 0, w_max)",
        append=True,  # after pair STDP's own on_pre/on_post
        name=name or "apb_stdp",
        reference="Shen et al. (2022) arXiv:2207.11670 (mechanism; equations chosen here)",
        devices=("runtime", "cpp_standalone"),
        device_note="GeNN lets one Synapses write only one postsynaptic variable; APB writes the "
                    "transmission and the neuron's co-activity",
    )
