"""Neuron and synapse models as data: Brian2 equation strings plus parameters.

A model is what a reader of a paper would write down: the equations (with a
unit on every line), the threshold, reset and refractory condition (neurons)
or the ``on_pre``/``on_post`` code (synapses), and a table of parameters with
units, defaults and accepted ranges.  The builders (:meth:`NeuronModel.group`,
:meth:`SynapseModel.synapses`, :meth:`SynapseModel.connect`) validate the
parameters, hand them to Brian2 as an explicit ``namespace`` (nothing is taken
from the caller's globals by accident) and check the units of every equation
and statement before anything is generated or run.

To test a new hypothesis, change the strings; both model kinds offer the same
operations:

* ``model.extended(...)`` adds equations and parameters, and replaces code fields
  (``reset``, ``on_pre``, ...) or, with ``append=True``, runs the new code after the
  parent's: one rule for both kinds (a new model with its own name; a new variable
  may not shadow a parameter);
* ``model.substituted(name="expression")`` replaces a name everywhere it is
  read: equations, threshold, reset, refractoriness, ``run_regularly`` code,
  ``on_pre``/``on_post`` and initial values;
* ``model.per_neuron(...)`` / ``model.per_synapse(...)`` turn shared parameters
  into per-element variables (``constant=False``: a learning rule may change
  them), still checked against their unit and range when given through
  ``params=``;
* ``dataclasses.replace(model, reset=...)`` changes one part; ``print(model)``
  (or ``model.describe()``) shows the whole model, every parameter with its unit,
  default and range, and the constraints between parameters.

A neuron model may also declare how it fires, for learning rules
(:class:`Firing`: the probability of a spike in a time step and its derivative,
or a surrogate of it, with respect to the membrane potential);
:mod:`neuromodels.learning` trains any model that declares it.
"""
from __future__ import annotations

import ast
import re
import sys
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import numpy as np
from brian2 import Equations, NeuronGroup, Quantity, Synapses, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, DimensionMismatchError, get_unit

from .devices import ALL_DEVICES, require_active_device
from .parameters import ParameterError, ParameterSet

__all__ = ["NeuronModel", "SynapseModel", "ModelError", "Firing"]


class ModelError(ParameterError):
    """A model's equations, code and parameters do not fit together (units, names)."""


def _plain_traceback_for_our_errors(previous):
    """An excepthook that shows an uncaught :class:`ParameterError` (a user's input) as
    Python does, without the "this is a bug in Brian 2" banner of Brian2's own hook."""
    def hook(exc_type, exc, tb):
        if issubclass(exc_type, ParameterError):
            return sys.__excepthook__(exc_type, exc, tb)
        return previous(exc_type, exc, tb)

    hook.neuromodels = True
    return hook


if not getattr(sys.excepthook, "neuromodels", False):
    sys.excepthook = _plain_traceback_for_our_errors(sys.excepthook)


_RESERVED = re.compile(r"'(\w+)' cannot be used as a variable name")


def _faulty_part(parts: dict[str, str]) -> str | None:
    """The first part (an equation line, a condition, a code line) that does not parse."""
    for where, text in parts.items():
        for line in (text or "").splitlines():
            code = line.partition("#")[0].strip()
            if not code:
                continue
            try:
                if where == "equations":
                    Equations(code)
                else:
                    ast.parse(code)
            except Exception:  # noqa: BLE001 -- any failure locates the line
                return f"the {where} line '{code}' is not valid"
    return None


def _in_our_words(model_name: str, built: str, err: Exception,
                  parts: dict[str, str]) -> ModelError:
    """A Brian2 error raised while building ``model_name``'s objects, said in our words,
    with Brian2's message below."""
    reserved = _RESERVED.search(str(err))
    if reserved:
        name = reserved.group(1)
        reason = (f"the variable '{name}' ends in '_{name.rsplit('_', 1)[-1]}', a suffix Brian2 "
                  f"reserves for a synapse's pre-/postsynaptic variables; rename it")
    else:
        reason = _faulty_part(parts) or "Brian2 refused it"
    brian2 = "\n".join("    " + ln for ln in f"{type(err).__name__}: {err}".splitlines())
    return ModelError(f"Model '{model_name}': cannot build its {built}: {reason}.\n"
                      f"  Brian2 says:\n{brian2}")


@contextmanager
def _brian2_errors(model_name: str, built: str, parts: dict[str, str]):
    """Turn an error Brian2 raises about a model's strings into a :class:`ModelError`."""
    try:
        yield
    except ParameterError:
        raise
    except Exception as err:  # noqa: BLE001 -- Brian2 raises many kinds; all are reworded
        raise _in_our_words(model_name, built, err, parts) from err


def _unit_string(value: Any) -> str:
    """The unit of ``value`` as written in Brian2 equations (``'volt'``, ``'1'``)."""
    dim = get_dimensions(value)
    return "1" if dim is DIMENSIONLESS else repr(get_unit(dim))


def _indent(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines)


# --- substitution: replace a name wherever it is *read* ------------------------------------

_ASSIGNMENT = re.compile(r"^(\s*[A-Za-z_]\w*\s*(?:[-+*/]|//|\*\*|%)?=(?!=))(.*)$", re.S)


def _replace_names(text: str, replacements: dict[str, str], found: set[str]) -> str:
    for name, expr in replacements.items():
        new = re.sub(rf"\b{re.escape(name)}\b", f"({expr})", text)
        if new != text:
            found.add(name)
        text = new
    return text


def _substitute_equations(equations: str, replacements: dict[str, str], found: set[str]) -> str:
    """Right-hand sides of equation lines (``x = expr : unit`` and ``dx/dt = expr : unit``)."""
    lines = []
    for line in equations.splitlines():
        code, hash_, comment = line.partition("#")
        head, colon, tail = code.partition(":")
        lhs, eq, rhs = head.partition("=")
        if colon and eq:
            rhs = _replace_names(rhs, replacements, found)
            line = lhs + eq + rhs + colon + tail + hash_ + comment
        lines.append(line)
    return "\n".join(lines)


def _substitute_code(code: str | None, replacements: dict[str, str], found: set[str]) -> str | None:
    """Statements (``x = expr``, ``x += expr``; separated by newlines or ``;``): right-hand
    sides only, so a variable that is written keeps its name."""
    if not code:
        return code
    out = []
    for line in code.split("\n"):
        parts = []
        for statement in line.split(";"):
            match = _ASSIGNMENT.match(statement)
            if match:
                statement = match.group(1) + _replace_names(match.group(2), replacements, found)
            parts.append(statement)
        out.append(";".join(parts))
    return "\n".join(out)


def _substitute_expression(expr: Any, replacements: dict[str, str], found: set[str]) -> Any:
    return _replace_names(expr, replacements, found) if isinstance(expr, str) else expr


def _check_substituted(model_name: str, replacements: dict[str, str], found: set[str]) -> None:
    missing = [name for name in replacements if name not in found]
    if missing:
        raise ModelError(f"substituted(): {', '.join(map(repr, missing))} is read nowhere in model "
                         f"'{model_name}' (equations, conditions, code or initial values); "
                         f"nothing to substitute.")


# --- names and units --------------------------------------------------------------------------

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


def _what(kind: str, model) -> str:
    """How a device error names the model (with its ``device_note``, if any)."""
    return f"{kind} model '{model.name}'" + (f" ({model.device_note})" if model.device_note else "")


def _table(model) -> list[str]:
    parts = ["parameters:", _indent(model.parameters.table())] if len(model.parameters) else []
    if len(model.local_parameters):
        parts += [f"per-{model._element} parameters:", _indent(model.local_parameters.table())]
    return parts


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


@dataclass(frozen=True)
class NeuronModel:
    """A neuron model: equations, threshold, reset, refractoriness and parameters.

    ``refractory`` is a Brian2 refractoriness expression (usually a parameter
    name such as ``'t_ref'``); ``devices`` lists the devices that can run it;
    ``initial`` maps state variables to initial values (quantities or expressions);
    ``run_regularly`` holds ``(code, when)`` pairs run every time step in the
    given slot of the schedule (e.g. one random draw per step at ``'start'``);
    ``functions`` holds ``(name, brian2.Function)`` pairs the equations call
    (e.g. ``erf``), which travel with the model into every group; ``check``
    (optional) raises ``ParameterError`` for parameter combinations that are
    each valid alone but not together (e.g. ``v_th <= v_reset``; per-neuron
    parameters reach it as arrays); ``device_note`` says why a device is missing
    from ``devices`` (it is part of the error); ``local_parameters`` are the parameters
    made per-neuron by :meth:`per_neuron` (declared as variables in the
    equations, still checked when given through ``params=``); ``firing`` (optional,
    a :class:`Firing`) declares the firing probability and its derivative for
    learning rules.
    """

    name: str
    equations: str
    parameters: ParameterSet
    threshold: str | None = None
    reset: str | None = None
    refractory: str | None = None
    method: str = "exact"
    initial: tuple[tuple[str, Any], ...] = ()
    run_regularly: tuple[tuple[str, str], ...] = ()
    functions: tuple[tuple[str, Any], ...] = ()
    check: Callable[[dict[str, Any]], None] | None = None
    devices: tuple[str, ...] = ALL_DEVICES
    reference: str = ""
    local_parameters: ParameterSet = field(default_factory=ParameterSet)
    firing: Firing | None = None
    device_note: str = ""

    _element = "neuron"

    def __post_init__(self):
        _check_no_shadowing(self.name, self.equations, self.parameters)

    def namespace(self, overrides: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """Validated values of the shared parameters (defaults updated with ``overrides``)."""
        return _resolve_values(self, overrides, more, None, "neuron")[0]

    def group(self, n: int, *, name: str | None = None, params: dict[str, Any] | None = None,
              dt=None, clock=None, namespace: dict[str, Any] | None = None,
              **more: Any) -> NeuronGroup:
        """A Brian2 ``NeuronGroup`` of ``n`` neurons of this model.

        ``dt`` gives the group its own clock; ``clock`` shares a ``Clock`` with other
        objects (GeNN accepts only the default clock: see
        :func:`neuromodels.devices.network_clock`); neither: the default clock.
        ``params`` (or keyword arguments) override the checked parameters (per-neuron
        ones take one value or ``n`` values); ``namespace`` adds further names the
        equations use that are not parameters (a ``TimedArray`` of input, a ``Function``).
        Units of every equation, the threshold, reset and ``run_regularly`` code are
        checked here, before anything runs.
        """
        if int(n) != n or n < 1:
            raise ValueError(f"Number of neurons 'n' must be a whole number >= 1; got {n!r}.")
        require_active_device(self.devices, _what("Neuron", self))
        shared, local = _resolve_values(self, params, more, int(n), "neuron")
        namespace = {**(namespace or {}), **dict(self.functions), **shared}
        kwargs = dict(threshold=self.threshold, reset=self.reset, method=self.method,
                      namespace=namespace, name=name or f"{self.name}*")
        if self.refractory is not None:
            kwargs["refractory"] = self.refractory
        if dt is not None and clock is not None:
            raise ValueError("Give 'dt' or 'clock' for the group, not both.")
        if dt is not None:
            kwargs["dt"] = dt
        if clock is not None:
            kwargs["clock"] = clock
        parts = {"equations": self.equations, "threshold": self.threshold, "reset": self.reset,
                 **{f"run_regularly ({when})": code for code, when in self.run_regularly},
                 "initial value": "\n".join(f"{v} = {x}" for v, x in self.initial
                                             if isinstance(x, str))}
        with _brian2_errors(self.name, "neuron group", parts):
            group = NeuronGroup(int(n), Equations(self.equations), **kwargs)
            _model_names_only(group)
            expressions = {"threshold": self.threshold} if self.threshold else {}
            if isinstance(self.refractory, str) and self.refractory not in group.variables:
                expressions["refractoriness"] = self.refractory
            statements = {"reset": self.reset} if self.reset else {}
            statements.update({f"run_regularly ({when})": code
                               for code, when in self.run_regularly})
            _check_units(group, self.name, expressions, statements)
            if self.firing is not None:
                _check_firing_units(group, self.name, self.firing)
            for k, (code, when) in enumerate(self.run_regularly):
                # brian2genn runs only the operations with '_run_regularly_' in their name
                group.run_regularly(code, when=when, name=f"{group.name}_run_regularly_{k}")
            # per-neuron parameters first, so that initial values such as v = 'E_L' see them
            _set_values(group, local.items())
            _set_values(group, self.initial)
        return group

    def extended(self, equations: str = "", parameters: ParameterSet | None = None, *,
                 name: str | None = None, reference: str | None = None, append: bool = False,
                 **changes: Any) -> "NeuronModel":
        """A new model with extra equation lines and parameters (and other changes).

        The one extension rule (the same for :meth:`SynapseModel.extended`): equation
        lines and parameters are added; a code field given (``reset``, ``run_regularly``,
        ``initial``) *replaces* the parent's, unless ``append=True``, which runs it after
        the parent's (``extended(reset="a += 1", append=True)``: ``v = v_reset`` then
        ``a += 1``).  ``threshold`` and ``refractory`` are conditions: only replaced.
        It is named ``name`` (default ``'<parent>_extended'``) and its reference says
        what it extends.  A new variable may not have the name of a parameter.
        """
        return replace(
            self,
            equations=self.equations.rstrip() + "\n" + equations,
            parameters=ParameterSet(self.parameters, parameters or ()),
            **_extension_name(self, name, reference),
            **_extended_code(self, changes, append, statements=("reset",),
                             entries=("run_regularly", "initial"),
                             conditions=("threshold", "refractory")),
        )

    def substituted(self, **replacements: str) -> "NeuronModel":
        """A model in which names are replaced by expressions wherever they are read.

        Like Brian2's ``Equations(eqs, name='expression')``, but the text stays as
        written, and threshold, reset, refractoriness, ``run_regularly`` code and
        initial values change too: ``LIF.substituted(v_th="v_th + a")`` moves the
        threshold condition as well as any equation that reads ``v_th``.  Written
        variables and units never change.  A name read nowhere is an error.
        """
        found: set[str] = set()
        sub = {k: str(v) for k, v in replacements.items()}
        firing = self.firing and replace(
            self.firing, probability=_substitute_expression(self.firing.probability, sub, found),
            derivative=_substitute_expression(self.firing.derivative, sub, found))
        model = replace(
            self,
            firing=firing,
            equations=_substitute_equations(self.equations, sub, found),
            threshold=_substitute_expression(self.threshold, sub, found),
            reset=_substitute_code(self.reset, sub, found),
            refractory=_substitute_expression(self.refractory, sub, found),
            run_regularly=tuple((_substitute_code(code, sub, found), when)
                                for code, when in self.run_regularly),
            initial=tuple((var, _substitute_expression(value, sub, found))
                          for var, value in self.initial),
        )
        _check_substituted(self.name, sub, found)
        return model

    def per_neuron(self, *names: str, constant: bool = True) -> "NeuronModel":
        """A model in which parameters ``names`` are per-neuron variables (``group.NAME``).

        They start at their defaults, or at the values given through
        ``group(params={NAME: value or n values})``, which are checked against the
        parameter's unit and range and by the model's ``check``.  ``constant=False``
        declares them as ordinary state variables that code (a learning rule, a
        homeostatic update) may change.  Values set directly on the group are not checked.
        """
        return _local_variant(self, names, constant, "neuron", "equations")

    def describe(self) -> str:
        """The whole model as text (what ``print(model)`` shows): equations, code, and every
        parameter with default, unit, accepted range and description, then the constraints
        between parameters."""
        return str(self)

    def __str__(self) -> str:
        parts = [f"{self.name}" + (f"  [{self.reference}]" if self.reference else ""),
                 "equations:", _indent(self.equations)]
        for label in ("threshold", "reset", "refractory"):
            value = getattr(self, label)
            if value:
                parts.append(f"{label}: {value}")
        for code, when in self.run_regularly:
            parts.append(f"every step (at '{when}'): {code}")
        for var, value in self.initial:
            parts.append(f"initially: {var} = {value}")
        if self.firing is not None:
            parts.append(f"P(spike in a step) = {self.firing.probability}")
            parts.append(f"dP/d{self.firing.membrane} = {self.firing.derivative}")
        return "\n".join(parts + _table(self))


@dataclass(frozen=True)
class SynapseModel:
    """A synapse model: Brian2 ``model``/``on_pre``/``on_post`` strings plus parameters.

    The same operations as :class:`NeuronModel`: ``initial`` values (set once the
    synapses are connected), ``functions``, ``check``, ``devices`` (and
    ``device_note``), :meth:`extended`,
    :meth:`substituted`, and :meth:`per_synapse` for per-synapse parameters (weights,
    bounds), whose values are checked when given through ``params=``.
    """

    name: str
    parameters: ParameterSet
    model: str = ""
    on_pre: str | None = None
    on_post: str | None = None
    method: str = "exact"
    initial: tuple[tuple[str, Any], ...] = ()
    functions: tuple[tuple[str, Any], ...] = ()
    check: Callable[[dict[str, Any]], None] | None = None
    devices: tuple[str, ...] = ALL_DEVICES
    reference: str = ""
    local_parameters: ParameterSet = field(default_factory=ParameterSet)
    device_note: str = ""

    _element = "synapse"

    def __post_init__(self):
        _check_no_shadowing(self.name, self.model, self.parameters)

    def namespace(self, overrides: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """Validated values of the shared parameters (defaults updated with ``overrides``)."""
        return _resolve_values(self, overrides, more, None, "synapse")[0]

    def synapses(self, source, target, *, name: str | None = None, delay=None, clock=None,
                 params: dict[str, Any] | None = None, namespace: dict[str, Any] | None = None,
                 **more: Any) -> Synapses:
        """An unconnected Brian2 ``Synapses`` object of this model (``clock``: a shared
        ``Clock``; default: the source's).  Connect it with :meth:`connect` (or call
        ``syn.connect(...)`` and then :meth:`initialise`).  Units of the model, ``on_pre``
        and ``on_post`` are checked here."""
        require_active_device(self.devices, _what("Synapse", self))
        shared, _ = _resolve_values(self, params, more, None, "synapse")
        kwargs = dict(model=self.model, on_pre=self.on_pre, on_post=self.on_post,
                      method=self.method,
                      namespace={**(namespace or {}), **dict(self.functions), **shared},
                      name=name or f"{self.name}*")
        if delay is not None:
            kwargs["delay"] = delay
        if clock is not None:
            kwargs["clock"] = clock
        statements = {label: code for label, code in (("on_pre", self.on_pre),
                                                      ("on_post", self.on_post)) if code}
        with _brian2_errors(self.name, "synapses", {"equations": self.model, **statements}):
            syn = Synapses(source, target, **kwargs)
            _model_names_only(syn)
            _check_units(syn, self.name, {}, statements)
        return syn

    def initialise(self, syn: Synapses, params: dict[str, Any] | None = None,
                   **more: Any) -> Synapses:
        """Set the per-synapse parameters (defaults, or one / ``len(syn)`` checked values
        from ``params``) and the initial values of connected synapses ``syn``."""
        try:
            n = len(syn)
        except NotImplementedError:  # standalone, connected by a rule: known only at run time
            n = None
        _, local = _resolve_values(self, params, more, n, "synapse")
        with _brian2_errors(self.name, "synapses' initial values",
                            {"initial value": "\n".join(f"{v} = {x}" for v, x in self.initial
                                                        if isinstance(x, str))}):
            _set_values(syn, local.items())
            _set_values(syn, self.initial)
        return syn

    def connect(self, source, target, i, j, *, params: dict[str, Any] | None = None,
                **kwargs) -> Synapses:
        """Synapses connected by explicit index arrays ``i`` (source) and ``j`` (target),
        with per-synapse parameters and initial values set."""
        syn = self.synapses(source, target, params=params, **kwargs)
        syn.connect(i=i, j=j)
        return self.initialise(syn, params)

    def extended(self, model: str = "", parameters: ParameterSet | None = None, *,
                 name: str | None = None, reference: str | None = None, append: bool = False,
                 **changes: Any) -> "SynapseModel":
        """A new model with extra equation lines and parameters (and other changes), by
        the one extension rule of :meth:`NeuronModel.extended`: ``on_pre``, ``on_post``
        and ``initial`` given *replace* the parent's, unless ``append=True``, which runs
        them after the parent's (``extended("n : 1", on_pre="n += 1", append=True)``
        counts spikes and still transmits).  Named ``name`` (default
        ``'<parent>_extended'``).  A new variable may not have the name of a parameter."""
        return replace(
            self,
            model=self.model.rstrip() + "\n" + model if model else self.model,
            parameters=ParameterSet(self.parameters, parameters or ()),
            **_extension_name(self, name, reference),
            **_extended_code(self, changes, append, statements=("on_pre", "on_post"),
                             entries=("initial",), conditions=()),
        )

    def substituted(self, **replacements: str) -> "SynapseModel":
        """A model in which names are replaced by expressions wherever they are read
        (model equations, ``on_pre``, ``on_post``, initial values); a name read
        nowhere is an error."""
        found: set[str] = set()
        sub = {k: str(v) for k, v in replacements.items()}
        model = replace(
            self,
            model=_substitute_equations(self.model, sub, found),
            on_pre=_substitute_code(self.on_pre, sub, found),
            on_post=_substitute_code(self.on_post, sub, found),
            initial=tuple((var, _substitute_expression(value, sub, found))
                          for var, value in self.initial),
        )
        _check_substituted(self.name, sub, found)
        return model

    def per_synapse(self, *names: str, constant: bool = True) -> "SynapseModel":
        """A model in which parameters ``names`` are per-synapse variables (``syn.NAME``),
        set by :meth:`connect`/:meth:`initialise` to their defaults or to checked values
        from ``params=``; ``constant=False`` lets code (a plasticity rule) change them."""
        return _local_variant(self, names, constant, "synapse", "model")

    def describe(self) -> str:
        """The whole model as text (what ``print(model)`` shows): equations, code, and every
        parameter with default, unit, accepted range and description, then the constraints
        between parameters."""
        return str(self)

    def __str__(self) -> str:
        parts = [self.name + (f"  [{self.reference}]" if self.reference else "")]
        for label in ("model", "on_pre", "on_post"):
            value = getattr(self, label)
            if value:
                parts += [f"{label}:", _indent(value)]
        for var, value in self.initial:
            parts.append(f"initially: {var} = {value}")
        return "\n".join(parts + _table(self))
