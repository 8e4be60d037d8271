"""How a neuron model fires, for learning rules: :class:`Firing`, and its unit check."""
from __future__ import annotations

from dataclasses import dataclass

from brian2 import Quantity
from brian2.units.fundamentalunits import DIMENSIONLESS, DimensionMismatchError

from .errors import ModelError
from .units import _unit_string


@dataclass(frozen=True)
class Firing:
    """How a neuron model fires, as a learning rule needs to know it.

    ``probability``: an expression for P(spike in this time step | state) (for a hard
    threshold ``v > v_th`` it is ``int(v > v_th)``); ``derivative``: an expression for
    dP/d``membrane`` (unit: 1/unit of the membrane variable), exact for escape noise
    (the noise density), a surrogate (pseudo-derivative) for a hard threshold.  Both
    may read any name of the model; :meth:`NeuronModel.substituted` reaches them too.
    A rule that learns a threshold ``v_th`` uses dP/dv_th = -dP/dv, which holds when P
    depends on v and v_th through v - v_th.
    """

    probability: str
    derivative: str
    membrane: str = "v"


def _check_firing_units(group, model_name: str, firing: Firing) -> None:
    """The firing probability is dimensionless and its derivative has 1/unit of the membrane."""
    from brian2.parsing.expressions import parse_expression_dimensions
    from brian2.utils.stringtools import get_identifiers

    if firing.membrane not in group.variables:
        raise ModelError(f"Model '{model_name}': the firing declaration names the membrane "
                         f"variable '{firing.membrane}', which the equations do not define.")
    want = {"probability": DIMENSIONLESS,
            "derivative": group.variables[firing.membrane].dim ** -1}
    for what, dim in want.items():
        expr = getattr(firing, what)
        try:
            have = parse_expression_dimensions(
                expr, group.resolve_all(get_identifiers(expr), run_namespace={}))
        except (DimensionMismatchError, KeyError) as err:
            raise ModelError(f"Model '{model_name}': the firing {what} '{expr}' is not a valid "
                             f"expression of the model: {err}") from None
        if have != dim:
            raise ModelError(f"Model '{model_name}': the firing {what} '{expr}' must have "
                             f"unit {_unit_string(Quantity(1, dim=dim))}, not "
                             f"{_unit_string(Quantity(1, dim=have))}.")
