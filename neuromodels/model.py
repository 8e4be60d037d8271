"""Neuron and synapse models as data: Brian2 equation strings plus parameters.

A model is what a reader of a paper would write down: the equations (with a
unit on every line), the threshold, reset and refractory condition, and a
table of parameters with units, defaults and accepted ranges.  The builders
(:meth:`NeuronModel.group`, :meth:`SynapseModel.connect`) validate the
parameters and hand them to Brian2 as an explicit ``namespace``, so nothing is
taken from the caller's globals by accident.

To test a new neuron hypothesis, change the strings: ``model.extended(...)``
adds equations and parameters, ``dataclasses.replace(model, reset=...)``
changes one part, and ``print(model)`` shows the whole model.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from brian2 import Equations, NeuronGroup, Synapses, get_dimensions
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from .devices import ALL_DEVICES, require_active_device
from .parameters import ParameterSet

__all__ = ["NeuronModel", "SynapseModel"]


def _unit_string(value: Any) -> str:
    """The unit of ``value`` as written in Brian2 equations (``'volt'``, ``'1'``)."""
    dim = get_dimensions(value)
    return "1" if dim is DIMENSIONLESS else repr(get_unit(dim))


def _indent(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines)


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
    each valid alone but not together (e.g. ``v_th <= v_reset``).
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

    def namespace(self, overrides: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """Validated parameter values (defaults updated with ``overrides``)."""
        values = self.parameters.resolve(overrides, **more)
        if self.check is not None:
            self.check(values)
        return values

    def group(self, n: int, *, name: str | None = None, params: dict[str, Any] | None = None,
              dt=None, clock=None, namespace: dict[str, Any] | None = None,
              **more: Any) -> NeuronGroup:
        """A Brian2 ``NeuronGroup`` of ``n`` neurons of this model.

        ``dt`` gives the group its own clock; ``clock`` shares a ``Clock`` with other
        objects (GeNN accepts only the default clock: see
        :func:`neuromodels.devices.network_clock`); neither: the default clock.
        ``params`` (or keyword arguments) override the checked parameters;
        ``namespace`` adds further names the equations use that are not
        parameters (a ``TimedArray`` of input, a ``Function``).
        """
        if int(n) != n or n < 1:
            raise ValueError(f"Number of neurons 'n' must be a whole number >= 1; got {n!r}.")
        require_active_device(self.devices, f"Neuron model '{self.name}'")
        namespace = {**(namespace or {}), **dict(self.functions), **self.namespace(params, **more)}
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
        group = NeuronGroup(int(n), Equations(self.equations), **kwargs)
        for k, (code, when) in enumerate(self.run_regularly):
            # brian2genn runs only the operations with '_run_regularly_' in their name
            group.run_regularly(code, when=when, name=f"{group.name}_run_regularly_{k}")
        for var, expr in self.initial:
            setattr(group, var, expr)
        return group

    def extended(self, equations: str = "", parameters: ParameterSet | None = None,
                 **changes: Any) -> "NeuronModel":
        """A new model with extra equation lines and parameters (and other changes)."""
        return replace(
            self,
            equations=self.equations.rstrip() + "\n" + equations,
            parameters=ParameterSet(self.parameters, parameters or ()),
            **changes,
        )

    def substituted(self, **replacements: str) -> "NeuronModel":
        """A model whose equations have names replaced by expressions.

        Like Brian2's ``Equations(eqs, name='expression')``, but the text stays as
        written: ``LIF.substituted(v_rest="v_rest - w")`` puts an adaptation
        variable into the drive.  Only right-hand sides change, never units.
        """
        lines = []
        for line in self.equations.splitlines():
            head, sep, tail = line.partition(":")
            lhs, eq, rhs = head.partition("=")
            if sep and eq:
                for name, expr in replacements.items():
                    rhs = re.sub(rf"\b{re.escape(name)}\b", f"({expr})", rhs)
                line = lhs + eq + rhs + sep + tail
            lines.append(line)
        return replace(self, equations="\n".join(lines))

    def per_neuron(self, *names: str) -> "NeuronModel":
        """A model in which parameters ``names`` are per-neuron constants (set ``group.NAME``).

        They start at their defaults; the remaining parameters stay shared.
        """
        self.parameters.check_names(dict.fromkeys(names))
        lines = [f"{name} : {_unit_string(self.parameters[name].default)} (constant)" for name in names]
        return replace(
            self,
            equations=self.equations.rstrip() + "\n" + "\n".join(lines),
            parameters=ParameterSet(p for p in self.parameters if p.name not in names),
            # first, so that initial values such as v = 'E_L' see the per-neuron E_L
            initial=tuple((name, self.parameters[name].default) for name in names) + self.initial,
        )

    def __str__(self) -> str:
        parts = [f"{self.name}" + (f"  [{self.reference}]" if self.reference else ""),
                 "equations:", _indent(self.equations)]
        for label in ("threshold", "reset", "refractory"):
            value = getattr(self, label)
            if value:
                parts.append(f"{label}: {value}")
        for code, when in self.run_regularly:
            parts.append(f"every step (at '{when}'): {code}")
        parts += ["parameters:", _indent(self.parameters.table())]
        return "\n".join(parts)


@dataclass(frozen=True)
class SynapseModel:
    """A synapse model: Brian2 ``model``/``on_pre``/``on_post`` strings plus parameters."""

    name: str
    parameters: ParameterSet
    model: str = ""
    on_pre: str | None = None
    on_post: str | None = None
    method: str = "exact"
    devices: tuple[str, ...] = ALL_DEVICES
    reference: str = ""

    def namespace(self, overrides: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        return self.parameters.resolve(overrides, **more)

    def synapses(self, source, target, *, name: str | None = None, delay=None, clock=None,
                 params: dict[str, Any] | None = None, **more: Any) -> Synapses:
        """An unconnected Brian2 ``Synapses`` object of this model (``clock``: a shared
        ``Clock``; default: the source's)."""
        require_active_device(self.devices, f"Synapse model '{self.name}'")
        kwargs = dict(model=self.model, on_pre=self.on_pre, on_post=self.on_post,
                      method=self.method, namespace=self.namespace(params, **more),
                      name=name or f"{self.name}*")
        if delay is not None:
            kwargs["delay"] = delay
        if clock is not None:
            kwargs["clock"] = clock
        return Synapses(source, target, **kwargs)

    def connect(self, source, target, i, j, **kwargs) -> Synapses:
        """Synapses connected by explicit index arrays ``i`` (source) and ``j`` (target)."""
        syn = self.synapses(source, target, **kwargs)
        syn.connect(i=i, j=j)
        return syn

    def __str__(self) -> str:
        parts = [self.name + (f"  [{self.reference}]" if self.reference else "")]
        for label in ("model", "on_pre", "on_post"):
            value = getattr(self, label)
            if value:
                parts += [f"{label}:", _indent(value)]
        parts += ["parameters:", _indent(self.parameters.table())]
        return "\n".join(parts)
