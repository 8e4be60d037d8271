"""How a model's code relates to the code of a check's reference model.

A check's reference (the STDP window, the CDF of an escape noise) takes some of the model's
parameters as inputs.  A user who changed a parameter's value, or replaced it by a constant
expression where it is read (``pair_stdp().substituted(A_minus="0.02")``, ``sigma`` by
``2*sigma``), still has the model the reference describes, with other inputs: the check
applies and reads those inputs from the model's code (:func:`inputs`).  A user who changed
anything else (a statement, a variable) is compared with the reference model whose code is
nearest (:func:`distance`: the number of the reference's statements the model does not
have), so that a broken variant of a rule fails its rule's check instead of being set aside.

Code is compared statement by statement (model equations, ``on_pre``, ``on_post``, ...;
``;`` and line breaks alike, comments and blank space ignored), token by token, where each
parameter name, number and parenthesised constant expression (one that reads only
parameters, numbers, units and functions) is one slot: two statements are the same when
their tokens agree outside the slots and each slot of the reference that is not one of its
parameters holds the same text in the model.
"""
from __future__ import annotations

import difflib
import io
import math
import tokenize
from typing import Iterable, Mapping

import numpy as np

__all__ = ["Match", "match", "distance", "inputs"]

_SLOT = "§"
_FUNCTIONS = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs, "pi": math.pi,
              "e": math.e, "tanh": np.tanh, "arctan": np.arctan}


def _units() -> dict:
    from brian2.units import allunits, stdunits

    return {k: v for module in (allunits, stdunits) for k, v in vars(module).items()
            if not k.startswith("_")}


def _tokens(statement: str) -> list[str]:
    try:
        found = [t for t in tokenize.generate_tokens(io.StringIO(statement).readline)
                 if t.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP, tokenize.STRING)]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return statement.split()
    return [t.string for t in found]


def _statements(code: str | None) -> list[list[str]]:
    lines = (line.partition("#")[0].strip() for line in (code or "").replace(";", "\n")
             .splitlines())
    return [_tokens(line) for line in lines if line]


def _group_end(tokens: list[str], start: int) -> int:
    depth = 0
    for k in range(start, len(tokens)):
        depth += {"(": 1, ")": -1}.get(tokens[k], 0)
        if depth == 0:
            return k
    return len(tokens) - 1


def _is_number(token: str) -> bool:
    return token[:1].isdigit() or (token[:1] == "." and token[1:2].isdigit())


def _slotted(tokens: list[str], constants: set[str]) -> tuple[tuple[str, ...], list[str]]:
    """The tokens with every slot replaced by ``§``, and the slots' texts in order."""
    out, slots, k = [], [], 0
    while k < len(tokens):
        token = tokens[k]
        if token == "(":
            end = _group_end(tokens, k)
            inner = tokens[k + 1:end]
            names = [t for t in inner if t[:1].isalpha() or t[:1] == "_"]
            if inner and all(n in constants for n in names):
                out.append(_SLOT)
                slots.append("".join(tokens[k:end + 1]))
                k = end + 1
                continue
        if token in constants and token not in _FUNCTIONS or _is_number(token):
            out.append(_SLOT)
            slots.append(token)
        else:
            out.append(token)
        k += 1
    return tuple(out), slots


class Match:
    """The comparison of a model's code with a reference's (see the module docstring):
    ``differ`` statements of the reference are not in the model, and ``bound`` maps each
    parameter of the reference to the texts found in its slots in the model."""

    def __init__(self, differ: int, bound: dict[str, set[str]]):
        self.differ, self.bound = differ, bound


def _parameter_names(model) -> set[str]:
    """The model's parameters that its equations do not define (a per-synapse ``w`` that
    is also a variable of the equations is no constant)."""
    from brian2 import Equations

    names = set(model.parameters.names)
    local = getattr(model, "local_parameters", None)
    names |= set(local.names if local is not None else ())
    equations = getattr(model, "equations", None) or getattr(model, "model", None) or ""
    return names - set(Equations(equations).names)


def match(model, reference, parts: Iterable[str] | Mapping[str, tuple[str, str]]) -> Match:
    """Compare the code ``parts`` of ``model`` (attribute names, e.g. ``("model", "on_pre",
    "on_post")``, or a mapping part -> ``(model's code, reference's code)``) with
    ``reference``'s."""
    if not isinstance(parts, Mapping):
        parts = {p: (getattr(model, p), getattr(reference, p)) for p in parts}
    ours = _parameter_names(model) | set(_FUNCTIONS) | set(_units())
    theirs_names = _parameter_names(reference)
    theirs = theirs_names | set(_FUNCTIONS) | set(_units())
    differ, bound = 0, {}
    for code, ref_code in parts.values():
        a = [_slotted(s, ours) for s in _statements(code)]
        b = [_slotted(s, theirs) for s in _statements(ref_code)]
        matcher = difflib.SequenceMatcher(a=[s for s, _ in b], b=[s for s, _ in a],
                                          autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op != "equal":
                differ += max(i2 - i1, j2 - j1)
                continue
            for (_, ref_slots), (_, slots) in zip(b[i1:i2], a[j1:j2]):
                same = True
                for ref_text, text in zip(ref_slots, slots):
                    if ref_text in theirs_names:
                        bound.setdefault(ref_text, set()).add(text)
                    elif ref_text != text:
                        same = False
                differ += not same
    return Match(differ, bound)


def distance(model, reference, parts) -> int:
    """How many statements of ``reference``'s code ``parts`` the model does not have."""
    return match(model, reference, parts).differ


def inputs(model, reference, parts, names: Iterable[str]) -> dict:
    """The values of the reference's parameters ``names`` for ``model``: where the model's
    code holds one constant expression in that parameter's slots, its value in the model's
    namespace; else the model's own value of the parameter (its namespace, or its
    per-synapse default)."""
    namespace = dict(model.namespace())
    local = getattr(model, "local_parameters", None)
    defaults = {q.name: q.default for q in local} if local is not None else {}
    bound = match(model, reference, parts).bound
    scope = {**_units(), **_FUNCTIONS, **defaults, **namespace}
    out = {}
    for name in names:
        texts = bound.get(name, set())
        if len(texts) == 1 and (text := next(iter(texts))) != name:
            try:
                out[name] = eval(text, {"__builtins__": {}}, scope)  # noqa: S307 (constants)
                continue
            except Exception:  # a slot that does not evaluate: the parameter's own value
                pass
        if name in namespace:
            out[name] = namespace[name]
        elif name in defaults:
            out[name] = defaults[name]
    return out
