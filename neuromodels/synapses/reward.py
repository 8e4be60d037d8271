r"""Reward-modulated STDP: an eligibility trace per synapse gated by dopamine (Izhikevich 2007).

Pair STDP does not change the weight but an eligibility trace :math:`c`
(time constant :math:`\tau_c`); the weight follows :math:`c` times the dopamine
concentration :math:`n` at the postsynaptic neuron minus a baseline :math:`b`:

.. math::
    \frac{dc}{dt} = -\frac{c}{\tau_c},\quad
    \frac{dw}{dt} = c\,(n - b),\qquad
    \text{pre: } c \leftarrow c - w_{max} A_- a_{post},\quad
    \text{post: } c \leftarrow c + w_{max} A_+ a_{pre},

with all-to-all pair traces :math:`a_{pre}` (:math:`\tau_+`) and :math:`a_{post}`
(:math:`\tau_-`).  Dopamine lives in the neuron: the rule asks for it through
:func:`with_dopamine`, which extends any neuron model with
:math:`dn/dt = -n/\tau_n` (per-neuron ``tau_n``), and :func:`dopamine_release`
is the synapse from a dopamine source that adds :math:`1/\tau_n` per spike (so
each dopamine spike integrates to 1, as NEST's ``stdp_dopamine_synapse``).  A
pairing at lag :math:`\Delta > 0` followed by one dopamine spike after
:math:`D` changes the weight by
:math:`w_{max} A_+ e^{-\Delta/\tau_+} e^{-D/\tau_c}\,\tau_c/(\tau_c+\tau_n)`
(``b = 0``): the distal reward is credited to the synapse whose trace is still
up.  The initial weight is the per-synapse parameter ``w_init``.  The weight is integrated
on the time grid (Euler) and clipped to
:math:`[0, w_{max}]` at every spike, before it is transmitted.

Izhikevich (2007) Cereb Cortex 17:2443 (and Brian2's
``examples/frompapers/Izhikevich_2007.py``): ``tau_c = 1 s``, ``tau_n = 200 ms``,
``tau_+ = tau_- = 20 ms``, ``A_- = 1.5 A_+``.

Parameters (default; accepted range; ``w_init`` per synapse; ``tau_n`` per neuron, from
:func:`with_dopamine`):

* ``J`` (1.0): effect of w = 1 on the target variable (unit of the target)
* ``w_max`` (1.0; > 0): upper weight bound (the lower bound is 0)
* ``A_plus`` (0.01; >= 0): eligibility per pre-before-post pair (fraction of w_max)
* ``A_minus`` (0.015; >= 0): eligibility per post-before-pre pair (fraction of w_max)
* ``tau_plus`` (20. ms; > 0. s): presynaptic trace time constant
* ``tau_minus`` (20. ms; > 0. s): postsynaptic trace time constant
* ``tau_c`` (1. s; > 0. s): eligibility trace time constant
* ``b`` (0. Hz): dopamine baseline subtracted from the concentration
* ``w_init`` (0.5; >= 0): initial weight (dimensionless, <= w_max; one value or one per
  synapse)
* ``tau_n`` (200. ms; > 0. s): dopamine time constant

Together: 'w_init' must be at most 'w_max'.
"""
from __future__ import annotations

from brian2 import Hz, ms, second

from ..model import NeuronModel, SynapseModel
from ..parameters import Parameter, ParameterSet, nonnegative, positive
from .stdp import weight_parameters, weight_within_bounds

__all__ = ["reward_stdp", "with_dopamine", "dopamine_release"]


def with_dopamine(neuron: NeuronModel, tau_n=200 * ms) -> NeuronModel:
    """``neuron`` with the dopamine concentration ``dopamine`` (Hz) the rule reads, decaying
    with the per-neuron time constant ``tau_n``."""
    return neuron.extended(
        "ddopamine/dt = -dopamine / tau_n : Hz",
        ParameterSet(positive("tau_n", tau_n, "dopamine time constant")),
        name=f"{neuron.name}_dopamine",
    ).per_neuron("tau_n")


def dopamine_release() -> SynapseModel:
    """The synapse from a dopamine source onto neurons made by :func:`with_dopamine`."""
    return SynapseModel(name="dopamine_release", parameters=ParameterSet(),
                        on_pre="dopamine_post += 1 / tau_n_post",
                        reference="NEST volume_transmitter / stdp_dopamine_synapse convention")


def reward_stdp(target: str = "g", J=1.0, *, name: str | None = None, **defaults) -> SynapseModel:
    """Dopamine-modulated STDP onto ``target``; the postsynaptic neuron needs
    :func:`with_dopamine`."""
    parameters = ParameterSet(
        weight_parameters(J, initial="w_init"),
        nonnegative("A_plus", 0.01, "eligibility per pre-before-post pair (fraction of w_max)"),
        nonnegative("A_minus", 0.015, "eligibility per post-before-pre pair (fraction of w_max)"),
        positive("tau_plus", 20 * ms, "presynaptic trace time constant"),
        positive("tau_minus", 20 * ms, "postsynaptic trace time constant"),
        positive("tau_c", 1 * second, "eligibility trace time constant"),
        Parameter("b", 0 * Hz, "dopamine baseline subtracted from the concentration"),
    ).with_defaults(**defaults)
    return SynapseModel(
        name=name or "reward_stdp",
        parameters=parameters,
        model="""
        dapre/dt = -apre / tau_plus : 1 (event-driven)
        dapost/dt = -apost / tau_minus : 1 (event-driven)
        dc/dt = -c / tau_c : 1 (clock-driven)
        dw/dt = c * (dopamine_post - b) : 1 (clock-driven)
        """,
        on_pre=f"""
        w = clip(w, 0, w_max)
        {target}_post += J * w
        apre += 1
        c -= w_max * A_minus * apost
        """,
        on_post="""
        w = clip(w, 0, w_max)
        apost += 1
        c += w_max * A_plus * apre
        """,
        method="euler",
        initial=(("c", 0.0), ("w", "w_init")),
        check=lambda values: weight_within_bounds(values, "w_init"),
        reference="Izhikevich (2007) Cereb Cortex 17:2443",
    ).per_synapse("w_init")
