"""``model.substituted(name="expression")``: replace a name wherever it is *read*
(right-hand sides of equations and statements, conditions, initial values); a variable that
is written keeps its name."""
from __future__ import annotations

import re
from typing import Any

from .errors import ModelError

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
