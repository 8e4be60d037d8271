"""Names and units of a model, checked when its Brian2 object is made (Brian2 would check
them only when the network runs): no variable shadows a parameter, and every equation,
condition and statement is consistent in units."""
from __future__ import annotations

import re
from typing import Any

from brian2 import Equations, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, DimensionMismatchError, get_unit

from ..parameters import ParameterSet
from .errors import ModelError, _brian2_errors


def _unit_string(value: Any) -> str:
    """The unit of ``value`` as written in Brian2 equations (``'volt'``, ``'1'``)."""
    dim = get_dimensions(value)
    return "1" if dim is DIMENSIONLESS else repr(get_unit(dim))


def _variables(equations: str) -> set[str]:
    return set(Equations(equations).names) if equations.strip() else set()


def _check_no_shadowing(model_name: str, equations: str, parameters: ParameterSet,
                        *more: ParameterSet) -> None:
    with _brian2_errors(model_name, "equations", {"equations": equations}):
        variables = _variables(equations)
    clash = sorted(variables & set(ParameterSet(parameters, *more).names))
    if clash:
        raise ModelError(
            f"Model '{model_name}': {', '.join(map(repr, clash))} is both a variable of the "
            f"equations and a parameter; rename the variable, or make the parameter a variable "
            f"with per_neuron()/per_synapse() (constant=False if it changes).")


def _check_units(owner, model_name: str, expressions: dict[str, str],
                 statements: dict[str, str]) -> None:
    """Check the units of ``owner``'s equations, conditions and code now (Brian2 would do it
    only when the network runs).  Raise :class:`ModelError` naming the part at fault."""
    from brian2.equations.unitcheck import check_units_statements
    from brian2.parsing.expressions import parse_expression_dimensions
    from brian2.utils.stringtools import get_identifiers

    def resolve(code):
        return owner.resolve_all(get_identifiers(code), run_namespace={})

    def fail(where, err):
        if isinstance(err, KeyError):
            name = re.search(r'"([^"]+)"', str(err))
            what = (f"uses the undefined name '{name.group(1)}'" if name
                    else f"has an unknown name ({err})")
            raise ModelError(f"Model '{model_name}': {where} {what}; define it as a parameter or "
                             f"variable, or pass it with namespace=.") from None
        raise ModelError(f"Model '{model_name}': inconsistent units in {where}: {err}") from None

    try:
        owner.equations.check_units(owner, run_namespace={})
    except (DimensionMismatchError, KeyError) as err:
        fail("the equations", err)
    for where, expr in expressions.items():
        try:
            parse_expression_dimensions(expr, resolve(expr))
        except (DimensionMismatchError, KeyError) as err:
            fail(f"the {where} '{expr}'", err)
    for where, code in statements.items():
        try:
            check_units_statements(code, resolve(code))
        except (DimensionMismatchError, KeyError) as err:
            fail(f"the {where} code '{code.strip()}'", err)
