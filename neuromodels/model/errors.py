"""A model's errors: :class:`ModelError`, and Brian2's errors about a model's strings said in
our words (the model, the part at fault), with Brian2's message below."""
from __future__ import annotations

import ast
import re
import sys
from contextlib import contextmanager

from brian2 import Equations

from ..parameters import ParameterError


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
