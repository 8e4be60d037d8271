"""What a check is: one independent reference for a model, declared as data beside it.

A :class:`Check` names what is compared, the reference it is compared with (an analytic
result with its citation, a published number, a second implementation such as NEST), the
tolerance on the measured error and *why* that tolerance, and its quick and full sizes.
It runs on a model *object*, so a user's model (made with ``extended()``/``substituted()``
from a shipped one, or written from scratch) is checked as it is: ``applies(model)``
returns ``None`` when the reference still holds for it, or the reason it does not ("the
rate formula assumes no adaptation: the model adds w").  :class:`Validated` ties a shipped
model to its checks; :class:`Outcome` is one row of the table.

The helpers below (:func:`requires`, :func:`state_names`, :func:`expression_of`,
:func:`has_noise`) are the
one home of the questions every ``applies`` asks of a model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

__all__ = ["Check", "Validated", "Outcome", "SIZES", "requires", "state_names",
           "expression_of", "same_code", "has_noise"]

#: the sizes every check declares: ``quick`` (tests, ``validate --quick``, the README table)
#: and ``full`` (``validate --full``: the sizes behind the papers' figures)
SIZES = ("quick", "full")


@dataclass(frozen=True)
class Check:
    """One independent check of a model.

    ``measure(model, size, run) -> error`` builds the model's objects, runs them with
    ``run(net, duration)`` (the device session's) and returns the measured error in
    ``error_unit``; the check passes when ``error <= tolerance`` (``full_tolerance`` at
    the full size, if given).  ``quick`` and ``full`` are the keyword sizes handed to
    ``measure`` (durations, neuron counts, ``dt``).  ``applies(model)``: ``None``, or why
    the reference does not hold for ``model``.  ``devices``: those it can run on;
    ``numpy_target``: on the runtime device use Brian2's numpy target (small networks,
    nothing to compile).
    """

    name: str
    compares: str
    reference: str
    tolerance: float
    why: str
    measure: Callable[[Any, Mapping[str, Any], Callable], float]
    applies: Callable[[Any], str | None]
    quick: Mapping[str, Any]
    full: Mapping[str, Any]
    error_unit: str = ""
    full_tolerance: float | None = None
    devices: tuple[str, ...] = ("runtime", "cpp_standalone", "genn")
    numpy_target: bool = True

    def size(self, size: str) -> Mapping[str, Any]:
        """The keyword sizes of ``size`` (``'quick'`` or ``'full'``)."""
        if size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
        return self.quick if size == "quick" else self.full

    def tolerance_at(self, size: str) -> float:
        """The tolerance at ``size``."""
        return self.full_tolerance if size == "full" and self.full_tolerance is not None \
            else self.tolerance


@dataclass(frozen=True)
class Validated:
    """A shipped model under its catalogue name, with the checks declared for it."""

    name: str
    model: Any
    checks: tuple[Check, ...]
    summary: str = ""


@dataclass
class Outcome:
    """One row of the table: ``passed`` is ``None`` when the check did not apply (``note``
    says why) or could not run here (a missing device or package; ``note`` says which)."""

    model: str
    check: str
    reference: str
    error: float
    tolerance: float
    error_unit: str
    passed: bool | None
    device: str
    seconds: float
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def status(self) -> str:
        return {True: "pass", False: "FAIL", None: "n/a"}[self.passed]


def state_names(model) -> set[str]:
    """Every name the model's equations define (state variables and subexpressions)."""
    from brian2 import Equations

    return set(Equations(model.equations).names)


def expression_of(model, name: str) -> str | None:
    """The right-hand side of the model's subexpression ``name`` (``None`` if it is not
    one), as Brian2 reads it."""
    from brian2 import Equations

    eqs = Equations(model.equations)
    if name not in eqs or eqs[name].type != "subexpression":
        return None
    return str(eqs[name].expr)


def same_code(a: str | None, b: str | None) -> bool:
    """Two code strings equal up to blank space and line breaks vs ``;``."""
    def norm(code):
        return re.sub(r"\s+", "", (code or "").replace(";", "\n").replace("\n", ""))
    return norm(a) == norm(b)


def requires(model, *, what: str, parameters=(), variables=(), allowed=(), threshold=None,
             extra_reason: str = "adaptation") -> str | None:
    """``None`` when ``model`` has every parameter in ``parameters``, every variable in
    ``variables``, (if given) the threshold condition ``threshold`` (a string, or a tuple of
    accepted ones) and no other equation-defined name outside ``variables + allowed``;
    else why ``what`` does not hold for it."""
    if not hasattr(model, "equations") or not hasattr(model, "parameters"):
        return f"{what} is a neuron model's reference: {type(model).__name__} is not one"
    missing = [p for p in parameters if p not in model.parameters]
    if missing:
        return f"{what} needs the parameter(s) {', '.join(missing)}, which the model lacks"
    names = state_names(model)
    absent = [v for v in variables if v not in names]
    if absent:
        return f"{what} needs the variable(s) {', '.join(absent)}, which the model lacks"
    accepted = (threshold,) if isinstance(threshold, str) else threshold
    if accepted and not any(same_code(model.threshold, t) for t in accepted):
        return (f"{what} assumes the threshold {' or '.join(repr(t) for t in accepted)}: "
                f"the model's is {model.threshold!r}")
    extra = sorted(names - set(variables) - set(allowed))
    if extra:
        return f"{what} assumes no {extra_reason}: the model adds {', '.join(extra)}"
    return None


def has_noise(model) -> bool:
    """Whether the model's equations draw white noise (Brian2's ``xi``, ``xi_1``, ...)."""
    return re.search(r"\bxi(_\w+)?\b", model.equations) is not None
