"""The neuron model: :class:`NeuronModel`, equations, threshold, reset, refractoriness and
parameters, and the Brian2 ``NeuronGroup`` built from them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from brian2 import Equations, NeuronGroup

from ..devices import ALL_DEVICES, require_active_device
from ..parameters import ParameterSet
from .derivation import _extended_code, _extension_name, _local_variant
from .errors import _brian2_errors
from .firing import Firing, _check_firing_units
from .substitution import (_check_substituted, _substitute_code, _substitute_equations,
                           _substitute_expression)
from .text import _indent, _table, _what
from .units import _check_no_shadowing, _check_units
from .values import _model_names_only, _resolve_values, _set_values


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
