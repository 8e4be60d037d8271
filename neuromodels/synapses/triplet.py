r"""Triplet spike-timing-dependent plasticity (Pfister & Gerstner 2006).

Two traces per side, kept in the synapse (event-driven): fast :math:`r_1`
(:math:`\tau_+`) and slow :math:`r_2` (:math:`\tau_x`) presynaptic,
fast :math:`o_1` (:math:`\tau_-`) and slow :math:`o_2` (:math:`\tau_y`)
postsynaptic.  A presynaptic spike transmits :math:`J w` and depresses, a
postsynaptic spike potentiates, each reading the slow trace of its own side
*before* its own increment (Pfister & Gerstner 2006, J Neurosci 26:9673, Eqs. 3-4):

.. math::
    \text{pre: } w \leftarrow w - w_{max}\, o_1 [A_2^- + A_3^- r_2],\qquad
    \text{post: } w \leftarrow w + w_{max}\, r_1 [A_2^+ + A_3^+ o_2],

clipped to :math:`[0, w_{max}]`; then the traces of the spiking side grow by 1
(all-to-all) or are set to 1 (nearest-spike).  The pair rule is the special
case :math:`A_3^\pm = 0`.  Expected changes for given spike trains:
:func:`neuromodels.theory.stdp.triplet_weight_change`.

``FITS`` holds the paper's minimal models (Table 3, visual cortex data of
Sjostrom et al. 2001; Table 4, hippocampal culture data of Wang et al. 2005;
``tau_+ = 16.8 ms``, ``tau_- = 33.7 ms`` fixed from Bi & Poo), all-to-all and
nearest-spike, plus the full all-to-all visual cortex model (NEST's
``stdp_triplet_synapse`` defaults, used for the NEST comparison, since it
exercises all four terms).  The minimal models have :math:`A_3^- = 0`, so
:math:`\tau_x` plays no role; it is set to the full model's value of the same
row.  Values cross-checked against the secondary sources found (NEST's
defaults, NESTML's ``stdp_triplet_nn``, two independent transcriptions of the
tables); amplitudes are fractions of ``w_max`` (relative weight changes, as in
the paper, when ``w_max = 1``).

Parameters (default: the visual-cortex all-to-all minimal fit; accepted range; ``w`` per
synapse):

* ``J`` (1.0): effect of w = 1 on the target variable (unit of the target)
* ``w_max`` (1.0; > 0): upper weight bound (the lower bound is 0)
* ``A2_plus`` (0.0; >= 0): pair potentiation (fraction of w_max)
* ``A3_plus`` (0.0065; >= 0): triplet potentiation (fraction of w_max)
* ``A2_minus`` (0.0071; >= 0): pair depression (fraction of w_max)
* ``A3_minus`` (0.0; >= 0): triplet depression (fraction of w_max)
* ``tau_plus`` (16.8 ms; > 0. s): fast presynaptic trace r1
* ``tau_x`` (101. ms; > 0. s): slow presynaptic trace r2
* ``tau_minus`` (33.7 ms; > 0. s): fast postsynaptic trace o1
* ``tau_y`` (114. ms; > 0. s): slow postsynaptic trace o2
* ``w`` (0.5; >= 0): initial weight (dimensionless, <= w_max; one value or one per synapse)

Together: 'w' must be at most 'w_max'.
"""
from __future__ import annotations

from brian2 import ms

from ..model import SynapseModel
from ..parameters import ParameterError, ParameterSet, nonnegative, positive
from .stdp import INTERACTIONS, weight_parameters, weight_within_bounds

__all__ = ["triplet_stdp", "FITS"]

_TAUS = dict(tau_plus=16.8 * ms, tau_minus=33.7 * ms)

#: (data set, interaction, model) -> parameters, from Pfister & Gerstner (2006) Tables 3 and 4.
FITS = {
    ("visual_cortex", "all", "minimal"): dict(A2_plus=0.0, A3_plus=6.5e-3, A2_minus=7.1e-3,
                                              A3_minus=0.0, tau_x=101*ms, tau_y=114*ms, **_TAUS),
    ("visual_cortex", "nearest", "minimal"): dict(A2_plus=0.0, A3_plus=5e-2, A2_minus=8e-3,
                                                  A3_minus=0.0, tau_x=714*ms, tau_y=40*ms, **_TAUS),
    ("hippocampal", "all", "minimal"): dict(A2_plus=5.3e-3, A3_plus=8e-3, A2_minus=3.5e-3,
                                            A3_minus=0.0, tau_x=946*ms, tau_y=40*ms, **_TAUS),
    ("hippocampal", "nearest", "minimal"): dict(A2_plus=4.6e-3, A3_plus=9.1e-3, A2_minus=3e-3,
                                                A3_minus=0.0, tau_x=575*ms, tau_y=48*ms, **_TAUS),
    ("visual_cortex", "all", "full"): dict(A2_plus=5e-10, A3_plus=6.2e-3, A2_minus=7e-3,
                                           A3_minus=2.3e-4, tau_x=101*ms, tau_y=125*ms, **_TAUS),
}


def triplet_stdp(target: str = "g", J=1.0, *, data: str = "visual_cortex", interaction: str = "all",
                 fit: str = "minimal", name: str | None = None, triplet_depression: bool = True,
                 **defaults) -> SynapseModel:
    """Triplet STDP onto ``target`` with the fitted parameters ``FITS[(data, interaction, fit)]``
    as defaults (``defaults`` change them, checked).  ``triplet_depression=False``: the
    model without the triplet depression term (:math:`A_3^- = 0` for good: no slow
    presynaptic trace :math:`r_2`, no ``A3_minus`` nor ``tau_x``; one trace less to bring up
    to date at every synaptic event), as the minimal models and Diehl & Cook's rule have."""
    key = (data, interaction, fit)
    if key not in FITS:
        raise ParameterError(f"No triplet fit {key!r}; available: {', '.join(map(str, FITS))}.")
    values = FITS[key]
    step = "+= 1" if interaction == "all" else "= 1"
    depression = (  # A3_minus and tau_x: only the triplet depression term has them
        [nonnegative("A3_minus", values["A3_minus"], "triplet depression (fraction of w_max)"),
         positive("tau_x", values["tau_x"], "slow presynaptic trace r2")]
        if triplet_depression else [])
    parameters = ParameterSet(
        weight_parameters(J),
        nonnegative("A2_plus", values["A2_plus"], "pair potentiation (fraction of w_max)"),
        nonnegative("A3_plus", values["A3_plus"], "triplet potentiation (fraction of w_max)"),
        nonnegative("A2_minus", values["A2_minus"], "pair depression (fraction of w_max)"),
        *depression[:1],
        positive("tau_plus", values["tau_plus"], "fast presynaptic trace r1"),
        *depression[1:],
        positive("tau_minus", values["tau_minus"], "fast postsynaptic trace o1"),
        positive("tau_y", values["tau_y"], "slow postsynaptic trace o2"),
    ).with_defaults(**defaults)
    assert interaction in INTERACTIONS
    r2_trace = "dr2/dt = -r2 / tau_x : 1 (event-driven)" if triplet_depression else ""
    pre_depression = "A2_minus + A3_minus * r2" if triplet_depression else "A2_minus"
    r2_step = f"r2 {step}" if triplet_depression else ""
    return SynapseModel(
        name=name or f"triplet_{data}_{interaction}_{fit}",
        parameters=parameters,
        model=f"""
        dr1/dt = -r1 / tau_plus : 1 (event-driven)
        {r2_trace}
        do1/dt = -o1 / tau_minus : 1 (event-driven)
        do2/dt = -o2 / tau_y : 1 (event-driven)
        """,
        on_pre=f"""
        {target}_post += J * w
        w = clip(w - w_max * o1 * ({pre_depression}), 0, w_max)
        r1 {step}
        {r2_step}
        """,
        on_post=f"""
        w = clip(w + w_max * r1 * (A2_plus + A3_plus * o2), 0, w_max)
        o1 {step}
        o2 {step}
        """,
        check=weight_within_bounds,
        reference="Pfister & Gerstner (2006) J Neurosci 26:9673, Tables 3-4",
    ).per_synapse("w", constant=False)
