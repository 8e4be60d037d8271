"""Parameter values of a model's Brian2 objects: checked values, split into the shared
namespace and per-element values, and a namespace of the model's own (a caller's locals
neither leak in nor warn)."""
from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from ..parameters import ParameterError, ParameterSet


def _model_names_only(obj) -> None:
    """Let ``obj`` (a Brian2 group built from a model) resolve the names it defines (its
    parameters, given as its explicit ``namespace``, and its variables) from itself alone.

    Brian2 also looks up every name in the locals of whoever calls ``run()`` or sets a
    value by a string, and warns where such a local has the same name (a user's ``tau =
    5*ms`` next to a model's ``tau``); here a caller's locals neither leak in nor warn.
    Names the model does not define are resolved as Brian2 does.
    """
    resolve_external, owner = type(obj)._resolve_external, weakref.ref(obj)  # no cycle

    def resolve(identifier, run_namespace, *args, **kwargs):
        group = owner()
        if identifier in group.namespace or identifier in group.variables:
            run_namespace = {}
        return resolve_external(group, identifier, run_namespace, *args, **kwargs)

    object.__setattr__(obj, "_resolve_external", resolve)


def _set_values(obj, values) -> None:
    """Set ``(variable, value or expression)`` pairs on ``obj``; expressions are evaluated
    in the group's own namespace, not in the locals of this module."""
    for var, value in values:
        getattr(obj, var).set_item(slice(None), value, namespace={})


def _resolve_values(model, params: dict[str, Any] | None, more: dict[str, Any], n: int | None,
                    what: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(shared namespace, per-element values): every value checked, ``check`` run on all."""
    values = dict(params or {}, **more)
    local = {k: values.pop(k) for k in list(values) if k in model.local_parameters}
    shared = model.parameters.checked(values)
    per_element = {}
    for p in model.local_parameters:
        value = p.check(local.get(p.name, p.default))
        if np.ndim(value) and n is not None and np.shape(value) != (n,):
            raise ParameterError(f"Parameter '{p.name}' is per {what}: give one value or {n} "
                                 f"values; got an array of shape {np.shape(value)}.")
        per_element[p.name] = value
    # constraints across shared and per-element parameters: all violations in one message
    ParameterSet(model.parameters, model.local_parameters).check_constraints(
        {**shared, **per_element})
    if model.check is not None:
        model.check({**shared, **per_element})
    return shared, per_element
