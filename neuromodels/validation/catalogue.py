"""Finding every model's checks: the shipped models by name, and a user's model by
``module:attribute``.

Checks are declared beside the models, in the modules of :data:`CHECK_MODULES`, each of
which defines ``VALIDATED`` (a tuple of :class:`~neuromodels.validation.check.Validated`);
entries of one model name from several modules are merged.  They are in ``networks/``:
each check builds and runs a small network, and ``neurons/`` and ``synapses/`` hold the
models only.  A user's model is
offered every check of the catalogue: those whose ``applies`` accepts it run, the others
are listed with the reason.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

from .check import Check, Validated
from .errors import ValidationError

__all__ = ["CHECK_MODULES", "shipped", "all_checks", "resolve"]

#: the modules that declare checks (``VALIDATED``), in the order of the table
CHECK_MODULES = ("neuromodels.networks.neuron_checks", "neuromodels.networks.theta_checks",
                 "neuromodels.networks.brette_checks", "neuromodels.networks.synapse_checks",
                 "neuromodels.networks.learning_checks")


def shipped() -> dict[str, Validated]:
    """Every shipped model with checks: catalogue name -> its model and checks."""
    found: dict[str, Validated] = {}
    for module in CHECK_MODULES:
        for entry in importlib.import_module(module).VALIDATED:
            if entry.name in found:
                old = found[entry.name]
                entry = Validated(old.name, old.model, old.checks + entry.checks,
                                  old.summary or entry.summary)
            found[entry.name] = entry
    return found


def all_checks() -> tuple[Check, ...]:
    """Every check of the catalogue once (by name), in catalogue order."""
    checks: dict[str, Check] = {}
    for entry in shipped().values():
        for check in entry.checks:
            checks.setdefault(check.name, check)
    return tuple(checks.values())


def _import_attribute(spec: str):
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValidationError(f"a user's model is given as module:attribute (e.g. "
                              f"my_models:ADAPTIVE or path/to/file.py:ADAPTIVE); got {spec!r}")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise ValidationError(f"no such file: {path}")
            spec_ = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec_)
            spec_.loader.exec_module(module)
        else:
            if "" not in sys.path and str(Path.cwd()) not in sys.path:
                sys.path.insert(0, str(Path.cwd()))  # as `python -m` finds ./my_models.py
            module = importlib.import_module(module_name)
    except ValidationError:
        raise
    except Exception as err:  # the user's module failed to import: say why, in one line
        raise ValidationError(f"cannot import {module_name!r} for model {spec!r}: "
                              f"{type(err).__name__}: {err}") from None
    try:
        model = getattr(module, attribute)
    except AttributeError:
        raise ValidationError(f"module {module_name!r} has no attribute {attribute!r}") from None
    if not hasattr(model, "parameters") or not (hasattr(model, "equations")
                                                or hasattr(model, "on_pre")):
        raise ValidationError(f"{spec} is a {type(model).__name__}, not a model (a NeuronModel "
                              f"or a SynapseModel)")
    return model


def resolve(names: list[str] | tuple[str, ...] = ()) -> list[tuple[str, object, tuple]]:
    """``(name, model, checks)`` for each of ``names`` (all shipped models when empty): a
    shipped model's name, or ``module:attribute`` naming a user's model (then every check of
    the catalogue).  An unknown name is a :class:`ValidationError` listing the known ones."""
    catalogue = shipped()
    if not names:
        return [(e.name, e.model, e.checks) for e in catalogue.values()]
    unknown = [n for n in names if ":" not in n and n not in catalogue]
    if unknown:
        raise ValidationError(f"unknown model {', '.join(unknown)}; known: "
                              f"{', '.join(catalogue)} (or module:attribute for your own)")
    out = []
    for name in names:
        if ":" in name:
            out.append((name, _import_attribute(name), all_checks()))
        else:
            entry = catalogue[name]
            out.append((name, entry.model, entry.checks))
    return out
