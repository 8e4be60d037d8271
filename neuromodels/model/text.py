"""How a model shows itself in text: ``print(model)``'s parameter tables, and its name in a
device error."""
from __future__ import annotations


def _indent(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return "\n".join("    " + ln for ln in lines)


def _what(kind: str, model) -> str:
    """How a device error names the model (with its ``device_note``, if any)."""
    return f"{kind} model '{model.name}'" + (f" ({model.device_note})" if model.device_note else "")


def _table(model) -> list[str]:
    parts = ["parameters:", _indent(model.parameters.table())] if len(model.parameters) else []
    if len(model.local_parameters):
        parts += [f"per-{model._element} parameters:", _indent(model.local_parameters.table())]
    return parts
