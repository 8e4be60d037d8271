"""The operations of one population or projection on the program's clocks.

Each :class:`~.code.Code` entry becomes a ``run_regularly`` operation: ``every_step`` on
the step clock, ``at_sample_start`` / ``at_sample_end`` on the sample clock (every T
steps), ``periodic`` on a chunk clock of ``n_steps`` steps, plus the divergence checks
(:mod:`.divergence`).  Operations on the same clock, slot and order are fused into one
(fewer code objects per step).

An evaluation program has one clock only (GeNN): its sample-start statements run every
step, masked by ``s = sample_start(t)`` (1 on the first step of a sample, else 0) so that
they change a variable only on sample starts, to exactly the value the training program's
unmasked statements give (:func:`masked_at_sample_start`).
"""
from __future__ import annotations

import re

from brian2 import Clock

from ..errors import UserError
from . import schedule as sch
from .divergence import divergence_checks

__all__ = ["ProgramClocks", "operations", "masked_at_sample_start"]


class ProgramClocks:
    """The step clock, the sample clock (training programs only) and chunk clocks."""

    def __init__(self, schedule, plastic: bool):
        self.T, self.dt = schedule.T, schedule.dt
        self.step = schedule.step_clock()
        self.sample = schedule.sample_clock() if plastic else None
        self._chunks = {}

    def every(self, n_steps: int):
        """The clock that ticks every ``n_steps`` steps."""
        if n_steps == 1:
            return self.step
        if n_steps == self.T:
            return self.sample
        if n_steps not in self._chunks:
            self._chunks[n_steps] = Clock(n_steps * self.dt, name="nm_chunk_clock*")
        return self._chunks[n_steps]


_ASSIGNMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(\+=|-=|\*=|/=|=)(?!=)\s*(\S.*?)\s*$")
#: ``x op= e`` -> the new value of ``x``, applied as ``x = s*(new) + (1 - s)*x`` with
#: ``s = sample_start(t)``: exactly ``new`` where s = 1 and exactly ``x`` where s = 0.
_NEW_VALUE = {"=": "{e}", "+=": "{x} + ({e})", "-=": "{x} - ({e})", "*=": "{x}*({e})",
              "/=": "{x}/({e})"}


def masked_at_sample_start(statements, variables=None) -> list:
    """Sample-start statements, masked to run every step: ``x = e`` ->
    ``x = s*(e) + (1 - s)*x``, ``x += e`` -> ``x = s*(x + (e)) + (1 - s)*x``, and likewise
    ``-=``, ``*=``, ``/=``, with ``s = sample_start(t)`` (exact for s in {0, 1}).  Each
    entry may hold several lines (one statement each; ``#`` comments are dropped).  A name
    not in ``variables`` (when given) is a temporary of the statements and is assigned
    unmasked.  Anything else (``**=``, ``//=``, ``%=``, no assignment) raises
    :class:`~neuromodels.errors.UserError` naming the statement."""
    out = []
    for entry in statements:
        for line in entry.split("\n"):
            code = line.split("#")[0]
            if not code.strip():
                continue
            match = _ASSIGNMENT.match(code)
            if match is None:
                raise UserError(
                    f"sample-start statement {line.strip()!r} cannot be masked for an "
                    f"evaluation program: write one 'name = expr', 'name += expr', "
                    f"'name -= expr', 'name *= expr' or 'name /= expr' per line.")
            x, op, e = match.groups()
            if variables is not None and x not in variables:
                out.append(f"{x} {op} {e}")     # a temporary: computed every step
                continue
            new = _NEW_VALUE[op].format(x=x, e=e)
            out.append(f"{x} = sample_start(t)*({new}) + (1 - sample_start(t))*{x}")
    return out


def operations(obj, code, clocks: ProgramClocks, *, plastic: bool, dynamic_vars) -> list:
    """The ``run_regularly`` operations of ``obj`` (a group or synapses) for ``code``;
    ``dynamic_vars``: its differential-equation variables (checked before the clear).  An
    entry of ``code.summed_at_sample_ends`` is a summed variable (``'L_pre'``: Brian2's
    order, the target's order - 1, same-order sums run in the order of their names) or
    ``(variable, order)``: computed at that order of the sample end's 'groups' slot, so that
    a part can chain sums (one reads what another summed)."""
    T = clocks.T
    ops = []    # (n_steps, when, order, statements)
    for stmt, when, order in code.every_step:
        ops.append((1, when, order, stmt))
    if plastic:
        if code.at_sample_start:
            ops.append((T, "start", sch.ORDER_CLEAR_DYNAMICS, "\n".join(code.at_sample_start)))
        for stmt, order in code.at_sample_end:
            ops.append((T, "groups", order, stmt))
        for stmt, n_steps, when, order in code.periodic:
            ops.append((n_steps, when, order, stmt))
        for entry in code.summed_at_sample_ends:
            var, order = (entry, None) if isinstance(entry, str) else entry
            sch.sum_at_sample_ends(obj, var, clocks.sample, order=order)
        for var, order in code.summed_in_step:
            sch.sum_in_step(obj, var, order)
        ops += divergence_checks(obj, code, dynamic_vars, T)
    elif code.at_sample_start:
        ops.append((1, "start", sch.ORDER_CLEAR_DYNAMICS,
                    "\n".join(masked_at_sample_start(code.at_sample_start, obj.variables))))
    fused = {}
    for n_steps, when, order, stmt in ops:
        fused.setdefault((n_steps, when, order), []).append(stmt)
    return [obj.run_regularly("\n".join(stmts), clock=clocks.every(n_steps), when=when,
                              order=order, name=f"{obj.name}_run_regularly_learning{k}")
            for k, ((n_steps, when, order), stmts) in enumerate(fused.items())]
