"""Model and study parameters as plain, checked data.

A :class:`Parameter` is a name, a default value (a Brian2 quantity where the
parameter has a physical dimension), a one-line description and an optional
accepted range.  A :class:`ParameterSet` is an ordered collection of them plus
:class:`Constraint` s, conditions on several parameters together (``v_reset`` below
``v_th``; at least 10 time steps ``dt`` per membrane time constant: :func:`below`,
:func:`steps_per`); its :meth:`~ParameterSet.resolve` turns user overrides into a
validated ``dict`` that can be handed to Brian2 as a ``namespace``.  Every error names
the parameter, the accepted unit or range, and the value that was given, and is raised
before any simulation starts; every violated constraint is reported in one message.
"""
from __future__ import annotations

import ast
import numbers
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterable, Mapping

import numpy as np
from brian2 import Quantity, get_dimensions, have_same_dimensions
from brian2.units import allunits, stdunits
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

__all__ = ["Parameter", "ParameterSet", "ParameterError", "positive", "nonnegative", "unprefixed",
           "parse_value", "format_value", "canonical", "Constraint", "below", "at_most",
           "steps_per"]


class ParameterError(ValueError):
    """A parameter value has the wrong unit, type or range."""


def format_value(value: Any) -> str:
    """Human-readable value with its unit, e.g. ``'20. ms'``; ``inf``/``nan`` in SI units
    (``'inf s'``, not a prefixed unit chosen for an infinite number)."""
    if isinstance(value, Quantity):
        dim = get_dimensions(value)
        if dim is DIMENSIONLESS:
            return repr(float(value)) if np.ndim(value) == 0 else _array_text(np.asarray(value))
        if not np.all(np.isfinite(np.asarray(value))):
            unit = get_unit(dim)
            shown = float(value / unit) if np.ndim(value) == 0 else _array_text(np.asarray(value))
            return f"{shown} {unit!s}"
        if np.ndim(value) == 0:
            return str(value)
        unit = value.get_best_unit()
        return f"{_array_text(np.asarray(value / unit))} {unit!s}"
    if isinstance(value, np.ndarray):
        return _array_text(value)
    return repr(value)


def canonical(value: Any) -> tuple:
    """An exact, hashable form of a parameter value (all elements, SI value and dimension),
    for telling whether two runs had the same parameters."""
    dim = str(get_dimensions(value)) if isinstance(value, Quantity) else ""
    if isinstance(value, (Quantity, np.ndarray, np.generic)):
        arr = np.asarray(value)
        return (dim, arr.dtype.str, arr.shape, tuple(arr.ravel().tolist()))
    return ("", type(value).__name__, repr(value))


def _array_text(values: np.ndarray) -> str:
    """A one-line, abbreviated rendering of an array (``[1. 2. ... 9.]``)."""
    return np.array2string(np.asarray(values), threshold=8, edgeitems=3, max_line_width=10**6)


def _array_example(default: Any) -> str:
    """How to write an array like ``default`` on the command line (``[5, 20, 50]*Hz``)."""
    dim = get_dimensions(default)
    unit = "" if dim is DIMENSIONLESS else f"*{get_unit(dim)!r}"
    values = np.asarray(default / get_unit(dim) if unit else default).ravel()[:3]
    return "[" + ", ".join(f"{v:g}" for v in values) + "]" + unit


def _unit_name(value: Any) -> str:
    dim = get_dimensions(value)
    if dim is DIMENSIONLESS:
        return "dimensionless"
    return repr(get_unit(dim))


@dataclass(frozen=True)
class Parameter:
    """One parameter: default value (with unit), description and accepted range.

    ``low``/``high`` bound the value (same unit as the default); ``low_open`` and
    ``high_open`` make the bound strict (``low_open=True`` with ``low=0`` means
    "must be > 0").  ``choices`` restricts a string or integer parameter to a set.
    ``integer`` requires a whole number.
    """

    name: str
    default: Any
    description: str = ""
    low: Any = None
    high: Any = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple | None = None
    integer: bool = False

    def describe_range(self) -> str:
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if isinstance(self.default, bool):
            return "true or false"
        if isinstance(self.default, str):
            return "any text"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {format_value(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {format_value(self.high)}")
        return " and ".join(parts) if parts else "any value"

    def check(self, value: Any) -> Any:
        """Return ``value`` if acceptable, else raise :class:`ParameterError`."""
        name, default = self.name, self.default
        if self.choices is not None:
            if value not in self.choices:
                raise ParameterError(
                    f"Parameter '{name}' must be {self.describe_range()}; got {value!r}."
                )
            return value
        if isinstance(default, (str, bool)):
            if type(value) is not type(default):
                kind = "true or false" if isinstance(default, bool) else "text"
                raise ParameterError(f"Parameter '{name}' must be {kind}; got {value!r}.")
            return value
        if not isinstance(value, (numbers.Number, np.ndarray, Quantity)) or isinstance(value, bool):
            unit = ("" if get_dimensions(default) is DIMENSIONLESS
                    else f" with unit {_unit_name(default)}")
            what = (f"numbers in brackets{unit} (e.g. {_array_example(default)})"
                    if np.ndim(default) else f"a number with unit {_unit_name(default)}")
            raise ParameterError(f"Parameter '{name}' must be {what}; got {value!r}.")
        if np.ndim(default) and np.size(value) == 0:
            raise ParameterError(f"Parameter '{name}' must hold at least one value; got none.")
        if not have_same_dimensions(value, default):
            example = _array_example(default) if np.ndim(default) else format_value(default)
            raise ParameterError(
                f"Parameter '{name}' must have unit {_unit_name(default)} "
                f"(e.g. {example}); got {format_value(value)} "
                f"with unit {_unit_name(value)}."
            )
        if self.integer:
            if np.any(np.asarray(value) != np.round(np.asarray(value))):
                raise ParameterError(f"Parameter '{name}' must be a whole number; got {value!r}.")
            value = int(value) if np.ndim(value) == 0 else np.asarray(value, dtype=int)
        arr = np.asarray(value)
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"Parameter '{name}' must be finite; got {format_value(value)}.")
        bad = False
        if self.low is not None:
            low = np.asarray(self.low)
            bad |= bool(np.any(arr <= low)) if self.low_open else bool(np.any(arr < low))
        if self.high is not None:
            high = np.asarray(self.high)
            bad |= bool(np.any(arr >= high)) if self.high_open else bool(np.any(arr > high))
        if bad:
            raise ParameterError(
                f"Parameter '{name}' must be {self.describe_range()}; got {format_value(value)}."
            )
        return value


def _zero(default: Any) -> Any:
    """A scalar zero with the unit of ``default`` (also for array defaults)."""
    if isinstance(default, Quantity):
        return Quantity(0.0, dim=get_dimensions(default))
    return 0


def positive(name: str, default: Any, description: str = "", **kw) -> Parameter:
    """A parameter that must be strictly positive (time constants, capacitances, ...)."""
    return Parameter(name, default, description, low=_zero(default), low_open=True, **kw)


def nonnegative(name: str, default: Any, description: str = "", **kw) -> Parameter:
    """A parameter that must be >= 0 (weights of one sign, durations, ...)."""
    return Parameter(name, default, description, low=_zero(default), **kw)


@dataclass(frozen=True)
class Constraint:
    """A condition on several parameters together, checked by :meth:`ParameterSet.resolve`.

    ``names``: the parameters it reads; ``test(*values)``: True when they fit together;
    ``rule``: the condition in words, with ``{0}``, ``{1}``, ... for the quoted names
    (``"{0} must be below {1}"``); ``hint(*values)`` (optional): what would fit, for
    the values given (``"use dt <= 2 ms"``).  A constraint is checked wherever all its
    names are resolved together (a model's shared and per-element parameters alike).
    """

    names: tuple[str, ...]
    test: Callable[..., bool]
    rule: str
    hint: Callable[..., str] | None = None

    @property
    def text(self) -> str:
        """The rule with the parameter names, e.g. ``"'v_reset' must be below 'v_th'"``."""
        return self.rule.format(*(repr(n) for n in self.names))

    def prefixed(self, prefix: str) -> "Constraint":
        return replace(self, names=tuple(prefix + n for n in self.names))

    def violation(self, values: Mapping[str, Any]) -> str | None:
        """None if ``values`` fit, else the rule, the values given and the hint."""
        args = [values[n] for n in self.names]
        with np.errstate(all="ignore"):
            if bool(self.test(*args)):
                return None
        given = ", ".join(f"{n} = {format_value(v)}" for n, v in zip(self.names, args))
        hint = f"; {self.hint(*args)}" if self.hint is not None else ""
        return f"{self.text}; got {given}{hint}"


def _pairwise(op, a, b) -> bool:
    """``op`` for every element pair: elementwise where the shapes broadcast (per-neuron
    values), else every value of ``a`` against every value of ``b`` (grids)."""
    a, b = np.asarray(a), np.asarray(b)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        a, b = a.reshape(-1, 1), b.reshape(1, -1)
    return bool(np.all(op(a, b)))


def below(low: str, high: str, why: str = "") -> Constraint:
    """``low`` < ``high`` (every value; e.g. ``below("v_reset", "v_th")``)."""
    return Constraint((low, high), lambda a, b: _pairwise(np.less, a, b),
                      "{0} must be below {1}" + (f" ({why})" if why else ""))


def at_most(low: str, high: str, why: str = "") -> Constraint:
    """``low`` <= ``high`` (every value; e.g. ``at_most("t_skip", "duration")``)."""
    return Constraint((low, high), lambda a, b: _pairwise(np.less_equal, a, b),
                      "{0} must be at most {1}" + (f" ({why})" if why else ""))


def steps_per(dt: str, *times: str | Quantity, at_least: int = 10, what: str = "") -> Constraint:
    """At least ``at_least`` time steps ``dt`` per time ``times[0]`` (its shortest value), or
    per the ratio ``times[0]/times[1]`` when two are given (``"C_m", "g_l"``).  A time may be
    a parameter's name or a fixed quantity (a model constant the study does not expose)."""
    names = (dt, *(t for t in times if isinstance(t, str)))

    def span(values):
        given = iter(values)
        t = [np.asarray(next(given) if isinstance(x, str) else x) for x in times]
        return np.min(t[0] / (t[1] if len(t) > 1 else 1.0))

    def steps(step, *values):
        return span(values) / np.max(np.asarray(step))

    def hint(step, *values):
        limit = Quantity(span(values) / at_least, dim=get_dimensions(step))
        return f"that is {float(steps(step, *values)):.3g} steps; use {dt} <= {format_value(limit)}"

    shown, k = [], 1
    for x in times:
        shown.append("{%d}" % k if isinstance(x, str) else format_value(x))
        k += isinstance(x, str)
    return Constraint(names, lambda *v: steps(*v) >= at_least,
                      "{0} must leave at least " + f"{at_least} steps per "
                      + (f"{what} " if what else "") + "/".join(shown), hint)


def _violations_text(problems: list[str]) -> str:
    if len(problems) == 1:
        return f"Parameters do not fit together: {problems[0]}."
    listed = "; ".join(f"({k}) {text}" for k, text in enumerate(problems, 1))
    return f"Parameters do not fit together ({len(problems)} problems): {listed}."


@dataclass(frozen=True)
class ParameterSet:
    """An ordered, immutable set of :class:`Parameter` definitions and the
    :class:`Constraint` s between them (given among the parameters, in any order)."""

    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    constraints: tuple[Constraint, ...] = field(default_factory=tuple)

    def __init__(self, *parameters: Parameter | Constraint | Iterable[Parameter | Constraint]):
        flat: list[Parameter] = []
        constraints: list[Constraint] = []

        def add(item):
            if isinstance(item, ParameterSet):
                flat.extend(item.parameters)
                constraints.extend(c for c in item.constraints if c not in constraints)
            elif isinstance(item, Parameter):
                flat.append(item)
            elif isinstance(item, Constraint):
                if item not in constraints:
                    constraints.append(item)
            else:
                for sub in item:
                    add(sub)

        for p in parameters:
            add(p)
        names = [p.name for p in flat]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise ValueError(f"Duplicate parameter names: {sorted(dupes)}")
        object.__setattr__(self, "parameters", tuple(flat))
        object.__setattr__(self, "constraints", tuple(constraints))
        self.check_constraints(self.defaults)  # a declaration whose defaults do not fit

    def __iter__(self):
        return iter(self.parameters)

    def __len__(self):
        return len(self.parameters)

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self.parameters)

    def __getitem__(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    def with_defaults(self, **defaults: Any) -> "ParameterSet":
        """A copy with other defaults (checked, constraints included), e.g. for a model variant."""
        self.check_names(defaults)
        changed = ParameterSet(
            (replace(p, default=p.check(defaults[p.name])) if p.name in defaults else p
             for p in self.parameters), self.constraints)
        changed.check_constraints(changed.defaults)
        return changed

    def with_units_of(self, values: Mapping[str, Any]) -> "ParameterSet":
        """A copy in which each named parameter whose value in ``values`` has another unit
        takes that unit (default and bounds keep their SI numbers): for parameters whose unit
        follows a model's, such as a learning rate for weights in volt or dimensionless
        weights; the caller checks the unit against the model."""
        def convert(x, dim):
            return None if x is None else Quantity(float(np.asarray(x)), dim=dim)

        out = []
        for p in self.parameters:
            given = values.get(p.name)
            if isinstance(given, (numbers.Number, np.ndarray, Quantity)) and \
                    not isinstance(given, bool) and not have_same_dimensions(given, p.default):
                dim = get_dimensions(given)
                p = replace(p, default=convert(p.default, dim), low=convert(p.low, dim),
                            high=convert(p.high, dim))
            out.append(p)
        return ParameterSet(out, self.constraints)

    def prefixed(self, prefix: str) -> "ParameterSet":
        """The same parameters named ``prefix + name`` (to combine several models in one study)."""
        return ParameterSet((replace(p, name=prefix + p.name) for p in self.parameters),
                            (c.prefixed(prefix) for c in self.constraints))

    def without(self, *names: str) -> "ParameterSet":
        """The set less the parameters ``names`` and the constraints that read them."""
        self.check_names(dict.fromkeys(names))
        return ParameterSet((p for p in self.parameters if p.name not in names),
                            (c for c in self.constraints if not set(c.names) & set(names)))

    def check_constraints(self, values: Mapping[str, Any]) -> None:
        """Raise one :class:`ParameterError` listing every constraint that ``values`` violate
        (constraints whose names are not all in ``values`` are not checked here)."""
        problems = [text for c in self.constraints if set(c.names) <= values.keys()
                    for text in [c.violation(values)] if text]
        if problems:
            raise ParameterError(_violations_text(problems))

    def check_names(self, values: Mapping[str, Any]) -> None:
        unknown = [k for k in values if k not in self]
        if unknown:
            raise ParameterError(
                f"Unknown parameter(s) {', '.join(map(repr, unknown))}; "
                f"known parameters: {', '.join(self.names)}."
            )

    def checked(self, overrides: Mapping[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """Defaults updated with ``overrides``, every value checked alone (no constraints)."""
        values = dict(overrides or {}, **more)
        self.check_names(values)
        return {p.name: p.check(values.get(p.name, p.default)) for p in self.parameters}

    def resolve(self, overrides: Mapping[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """Defaults updated with ``overrides``, every value checked, then every constraint
        (all violations in one :class:`ParameterError`)."""
        values = self.checked(overrides, **more)
        self.check_constraints(values)
        return values

    def table(self) -> str:
        """A plain-text table: name, default, accepted range, description; then the
        constraints, one a line."""
        rows = [(p.name, format_value(p.default), p.describe_range(), p.description) for p in self]
        widths = [max([len(r[k]) for r in rows] + [4]) for k in range(3)]
        lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}"
                 for r in rows]
        if self.constraints:
            lines += ["together:"] + [f"  {c.text}" for c in self.constraints]
        return "\n".join(lines)


def unprefixed(values: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries of ``values`` whose names start with ``prefix``, without it."""
    return {k[len(prefix):]: v for k, v in values.items() if k.startswith(prefix)}


_UNIT_NAMESPACE = {
    name: obj
    for module in (allunits, stdunits)
    for name, obj in vars(module).items()
    if isinstance(obj, Quantity)
}
_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.List,
    ast.Mult, ast.Div, ast.Pow, ast.Add, ast.Sub, ast.USub, ast.UAdd,
)


def _array(items: list) -> Any:
    """A bracketed list of the command line as an array (numpy arithmetic, not a list's:
    ``[1, 2]*2`` is ``[2, 4]``); a list of quantities of one unit as a Quantity."""
    if any(isinstance(v, Quantity) for v in items):
        return Quantity(items)          # raises if the units differ
    return np.asarray(items)


class _ListsAsArrays(ast.NodeTransformer):
    def visit_List(self, node):
        self.generic_visit(node)
        return ast.Call(func=ast.Name(id="_array", ctx=ast.Load()), args=[node], keywords=[])


def parse_value(text: str) -> Any:
    """Parse a command-line value such as ``'20*ms'``, ``'-5 * mV'``, ``'4000'``, ``'true'``,
    or an array in brackets, ``'[5, 20, 50]*Hz'`` (or ``'[5*Hz, 20*Hz]'``).

    Only numbers, unit names, brackets and arithmetic are accepted (no function calls).
    Anything that is not a number, array or unit expression is returned as a string.
    """
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        tree = ast.parse(text.replace(" ", ""), mode="eval")
    except SyntaxError:
        return text
    if not all(isinstance(node, _ALLOWED_NODES) for node in ast.walk(tree)):
        return text
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    if not names <= _UNIT_NAMESPACE.keys():
        return text
    tree = ast.fix_missing_locations(_ListsAsArrays().visit(tree))
    try:
        with np.errstate(all="ignore"):  # inf - inf: reported by the range check, not a warning
            return eval(compile(tree, "<value>", "eval"), {"__builtins__": {}},
                        {**_UNIT_NAMESPACE, "_array": _array})
    except Exception:       # mixed units in a list, ragged lists: the check names the unit
        return text
