"""Divergence checks of a training program: the generated check code, and reading its
result back into a :class:`~.errors.DivergenceError`.

At every sample end each checked variable ``x`` (``Code.checked``) of a population or
projection is tested with ``not (abs(x) < 1e300*unit)`` (true for inf and NaN);
``nf_sample`` keeps the first sample in which one failed (-1: none) and ``nf_mask`` which
(bit b: ``checked[b]``).  Dynamic variables are checked before the sample-start clear, the
others after the sample-end updates (:mod:`.schedule`).
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity, Synapses

from ..model import _unit_string
from . import schedule as sch
from .errors import DivergenceError

__all__ = ["check_suffix", "check_equations", "divergence_checks", "raise_if_diverged"]

_BIG = 1e300   # |x| < _BIG*unit is false for inf and NaN


def check_suffix(obj) -> str:
    """Suffix of the check variables (synapses need other names than their neurons')."""
    return "_syn" if isinstance(obj, Synapses) else ""


def check_equations(suffix: str) -> list:
    """Variables of the divergence check."""
    return [f"nf_sample{suffix} : integer   # sample in which a variable became non-finite",
            f"nf_mask{suffix} : integer   # which (one bit per checked variable)"]


def _unit(obj, var):
    return _unit_string(Quantity(1, dim=obj.variables[var].dim))


def divergence_checks(obj, code, dynamic_vars, T: int) -> list:
    """Operations ``(n_steps, when, order, statements)`` at sample ends (every ``T``
    steps): the sample in which a checked variable first became non-finite (``nf_sample``)
    and which (``nf_mask``, one bit per variable of ``code.checked``)."""
    if not code.checked:
        return []
    ops, sfx = [], check_suffix(obj)
    sample = "(int(t/T_sample + 0.5) - 1)"
    groups = [("start", sch.ORDER_CHECK, [v for v in code.checked if v in dynamic_vars]),
              ("groups", sch.ORDER_RECORD, [v for v in code.checked if v not in dynamic_vars])]
    for when, order, variables in groups:
        if not variables:
            continue
        bits = " + ".join(
            f"int(not (abs({v}) < {_BIG!r}*{_unit(obj, v)}))*{2 ** code.checked.index(v)}"
            for v in variables)
        ops.append((T, when, order - 1,
                    f"bad_now = {bits}\n"
                    f"nf_sample{sfx} = nf_sample{sfx} + int(nf_sample{sfx} < 0 and "
                    f"bad_now > 0)*({sample} - nf_sample{sfx})\n"
                    f"nf_mask{sfx} = nf_mask{sfx} + int(nf_mask{sfx} == 0)*bad_now"))
    return ops


def raise_if_diverged(objects: dict, codes: dict) -> None:
    """:class:`~.errors.DivergenceError` for the earliest sample in which a checked variable
    of ``objects`` ({owner: group or synapses}) became non-finite; nothing if none did."""
    first = None
    for owner, obj in objects.items():
        sfx = check_suffix(obj)
        if "nf_sample" + sfx not in obj.variables:
            continue
        samples = np.asarray(getattr(obj, "nf_sample" + sfx)[:])
        bad = samples >= 0
        if not bad.any():
            continue
        k = int(samples[bad].min())
        mask = int(np.bitwise_or.reduce(np.asarray(getattr(obj, "nf_mask" + sfx)[:])
                                        [samples == k]))
        checked = codes[owner].checked
        variable = next(v for b, v in enumerate(checked) if mask & (1 << b))
        if first is None or k < first[2]:
            first = (variable, owner, k)
    if first is not None:
        raise DivergenceError(*first)
