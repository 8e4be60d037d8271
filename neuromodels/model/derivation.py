"""Models made from a model: per-element variants of parameters (``per_neuron`` /
``per_synapse``) and the one extension rule of ``extended`` (replace, or ``append``)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..parameters import ParameterSet
from .errors import ModelError
from .units import _unit_string


def _local_variant(model, names: tuple[str, ...], constant: bool, what: str,
                   equations_field: str) -> Any:
    model.parameters.check_names(dict.fromkeys(names))
    flag = " (constant)" if constant else ""
    lines = [f"{name} : {_unit_string(model.parameters[name].default)}{flag}  # per {what}"
             for name in names]
    moved = ParameterSet(model.parameters[name] for name in names)
    return replace(
        model,
        **{equations_field: getattr(model, equations_field).rstrip() + "\n" + "\n".join(lines)},
        parameters=ParameterSet((p for p in model.parameters if p.name not in names),
                                model.parameters.constraints),  # checked with the per-element
        local_parameters=ParameterSet(model.local_parameters, moved),
    )


def _extension_name(model, name: str | None, reference: str | None) -> dict[str, str]:
    return {"name": name or f"{model.name}_extended",
            "reference": reference if reference is not None else
            f"extension of '{model.name}'" + (f" [{model.reference}]" if model.reference else "")}


def _extended_code(model, changes: dict[str, Any], append: bool, *, statements: tuple[str, ...],
                   entries: tuple[str, ...], conditions: tuple[str, ...]) -> dict[str, Any]:
    """``changes`` by the extension rule: replace, or with ``append`` run after the parent's
    code (statements joined by lines, ``(code, when)``/``(variable, value)`` entries added)."""
    if not append:
        return changes
    fixed = [label for label in conditions if label in changes]
    if fixed:
        raise ModelError(f"extended(append=True) of model '{model.name}': {', '.join(fixed)} "
                         f"is a condition and can only be replaced; give it in a separate "
                         f"extended() call without append=True.")
    out = dict(changes)
    for label in statements:
        if label in changes:
            code = [c for c in (getattr(model, label), changes[label]) if c and c.strip()]
            out[label] = "\n".join(code) or None
    for label in entries:
        if label in changes:
            out[label] = tuple(getattr(model, label)) + tuple(changes[label])
    return out
