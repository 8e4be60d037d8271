"""The synapse model: :class:`SynapseModel`, Brian2 ``model``/``on_pre``/``on_post`` strings
and parameters, and the Brian2 ``Synapses`` built from them."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from brian2 import Synapses

from ..devices import ALL_DEVICES, require_active_device
from ..parameters import ParameterSet
from .derivation import _extended_code, _extension_name, _local_variant
from .errors import _brian2_errors
from .substitution import (_check_substituted, _substitute_code, _substitute_equations,
                           _substitute_expression)
from .text import _indent, _table, _what
from .units import _check_no_shadowing, _check_units
from .values import _model_names_only, _resolve_values, _set_values


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
