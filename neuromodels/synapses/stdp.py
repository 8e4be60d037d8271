r"""Pair-based spike-timing-dependent plasticity (STDP).

Each synapse keeps a presynaptic trace :math:`a_{pre}` (time constant
:math:`\tau_+`) and a postsynaptic trace :math:`a_{post}` (:math:`\tau_-`), both
in the synapse (event-driven: computed exactly at spikes, nothing to ask of the
neurons).  A presynaptic spike transmits :math:`J w` to the target variable,
then depresses, a postsynaptic spike potentiates:

.. math::
    \text{pre: } w \leftarrow w - w_{max} A_- a_{post} \;\text{(additive)},\quad
    w \leftarrow w - A_- w\, a_{post} \;\text{(multiplicative)};\qquad
    \text{post: } w \leftarrow w + w_{max} A_+ a_{pre},\quad
    w \leftarrow w + A_+ (w_{max} - w)\, a_{pre},

clipped to :math:`[0, w_{max}]`.  All-to-all interactions add 1 to a trace at
each spike (every earlier spike counts); nearest-spike interactions set it to 1
(only the latest one counts: the symmetric nearest-neighbour scheme of Morrison
et al. 2008, Biol Cybern 98:459, Fig. 7A, NEST's ``stdp_nn_symm_synapse``).
For one pair at lag :math:`\Delta t = t_{post} - t_{pre}` the change is the
window :math:`w_{max} A_+ e^{-\Delta t/\tau_+}` (:math:`\Delta t > 0`) and
:math:`-w_{max} A_- e^{\Delta t/\tau_-}` (:math:`\Delta t < 0`)
(:func:`neuromodels.theory.stdp.pair_window`).  Additive: Song, Miller & Abbott
(2000) Nat Neurosci 3:919; multiplicative: van Rossum et al. (2000) J Neurosci
20:8812, Guetig et al. (2003) J Neurosci 23:3697 (NEST's ``stdp_synapse`` with
``mu = 0`` or ``1``: ``lambda = A_plus``, ``alpha = A_minus / A_plus``,
``Wmax = w_max``).

The weight ``w`` is dimensionless (a per-synapse variable in ``[0, w_max]``);
``J`` carries the unit of the target variable.  Defaults are those of Brian2's
``examples/synapses/STDP.py`` (Song et al. 2000): ``A_+ = 0.01``,
``A_- = 1.05 A_+``, ``tau = 20 ms``.

Parameters (default; accepted range; ``w`` per synapse):

* ``J`` (1.0): effect of w = 1 on the target variable (unit of the target)
* ``w_max`` (1.0; > 0): upper weight bound (the lower bound is 0)
* ``A_plus`` (0.01; >= 0): potentiation per pair at zero lag (fraction of w_max)
* ``A_minus`` (0.0105; >= 0): depression per pair at zero lag (fraction of w_max)
* ``tau_plus`` (20. ms; > 0. s): presynaptic trace time constant (potentiation window)
* ``tau_minus`` (20. ms; > 0. s): postsynaptic trace time constant (depression window)
* ``w`` (0.5; >= 0): initial weight (dimensionless, <= w_max; one value or one per synapse)

Together: 'w' must be at most 'w_max'.
"""
from __future__ import annotations

import numpy as np
from brian2 import ms

from ..model import SynapseModel
from ..parameters import Parameter, ParameterError, ParameterSet, nonnegative, positive

__all__ = ["pair_stdp", "weight_parameters", "weight_within_bounds", "INTERACTIONS", "BOUNDS"]

INTERACTIONS = ("all", "nearest")
BOUNDS = ("additive", "multiplicative")


def weight_parameters(J=1.0, w=0.5, w_max=1.0, initial: str = "w") -> ParameterSet:
    """The parameters every plastic weight shares: efficacy unit ``J``, the initial weight
    (named ``initial``) and the bound ``w_max``."""
    return ParameterSet(
        Parameter("J", J, "effect of w = 1 on the target variable (unit of the target)"),
        nonnegative(initial, w,
                    "initial weight (dimensionless, <= w_max; one value or one per synapse)"),
        positive("w_max", w_max, "upper weight bound (the lower bound is 0)"),
    )


def weight_within_bounds(values, initial: str = "w") -> None:
    """Cross-parameter check: every initial weight is at most ``w_max``."""
    if np.any(np.asarray(values[initial]) > np.asarray(values["w_max"])):
        raise ParameterError(f"Parameter '{initial}' must be <= w_max = {values['w_max']!r}; "
                             f"got a largest value of {np.max(values[initial])!r}.")


def _choice(name, value, allowed):
    if value not in allowed:
        raise ParameterError(f"'{name}' must be one of {', '.join(map(repr, allowed))}; "
                             f"got {value!r}.")


def pair_stdp(target: str = "g", J=1.0, *, interaction: str = "all", bounds: str = "additive",
              name: str | None = None, **defaults) -> SynapseModel:
    """Pair STDP onto ``target`` (a variable of the postsynaptic neuron, e.g. ``'g_e'``).

    ``interaction``: ``'all'`` (all-to-all) or ``'nearest'`` (symmetric nearest
    spike); ``bounds``: ``'additive'`` (hard bounds) or ``'multiplicative'``
    (soft bounds).  ``defaults`` change parameter defaults (checked).
    """
    _choice("interaction", interaction, INTERACTIONS)
    _choice("bounds", bounds, BOUNDS)
    step = "+= 1" if interaction == "all" else "= 1"
    if bounds == "additive":
        depression, potentiation = "w_max * A_minus * apost", "w_max * A_plus * apre"
    else:
        depression, potentiation = "A_minus * w * apost", "A_plus * (w_max - w) * apre"
    parameters = ParameterSet(
        weight_parameters(J),
        nonnegative("A_plus", 0.01, "potentiation per pair at zero lag (fraction of w_max)"),
        nonnegative("A_minus", 0.0105, "depression per pair at zero lag (fraction of w_max)"),
        positive("tau_plus", 20 * ms, "presynaptic trace time constant (potentiation window)"),
        positive("tau_minus", 20 * ms, "postsynaptic trace time constant (depression window)"),
    ).with_defaults(**defaults)
    return SynapseModel(
        name=name or f"stdp_{interaction}_{bounds}",
        parameters=parameters,
        model="""
        dapre/dt = -apre / tau_plus : 1 (event-driven)
        dapost/dt = -apost / tau_minus : 1 (event-driven)
        """,
        on_pre=f"""
        {target}_post += J * w
        apre {step}
        w = clip(w - {depression}, 0, w_max)
        """,
        on_post=f"""
        apost {step}
        w = clip(w + {potentiation}, 0, w_max)
        """,
        check=weight_within_bounds,
        reference="Song, Miller & Abbott (2000) Nat Neurosci 3:919; Morrison et al. (2008) "
                  "Biol Cybern 98:459",
    ).per_synapse("w", constant=False)
