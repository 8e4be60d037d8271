"""What one part of a learning network adds to a population or a projection.

Every part (a layer, a rule, a learning signal, the readout) describes its share of the
Brian2 program as :class:`Code` for the populations and projections it touches; the
program (:mod:`.program`) merges the shares of all parts and builds each Brian2 object
once.  That is how parts combine without knowing each other: a rule adds traces to the
layers it trains, a feedback route adds its signal variable to the layer it feeds, and
the layer adds up the signals it receives (one variable per source, so several sources
can feed one layer: Brian2 allows one summed variable per target variable).

Fields (all optional):

``equations``
    Brian2 equation lines (``'psi : 1/volt'``); a line defining a name that another part
    defined identically is merged, a different definition is an error.
``on_spike``
    statements run when the neuron spikes (appended to the model's reset) or, for a
    projection, when the presynaptic neuron spikes (appended to ``on_pre``).
``every_step``
    ``(code, when, order)``: an operation every time step.
``at_sample_end``
    ``(code, order)``: an operation at every sample end (sample clock, 'groups' slot).
``at_sample_start``
    statements that set variables to their value at the start of a sample.
``periodic``
    ``(code, n_steps, when, order)``: an operation every ``n_steps`` steps (training
    programs only; chunks of a sample, ``n_steps`` divides T).
``state``
    variables held in the network state (:class:`.network.State`): set from it before
    every run and read back after it, so they survive standalone re-runs.
``checked``
    variables checked for non-finite values at sample ends (divergence).
``summed_at_sample_ends``
    summed variables (``'L_from_output_pre'``) needed only at sample ends, or ``(variable,
    order)`` where sums that read each other must run in a given order (Brian2's own: by
    name; :func:`.schedule.sum_at_sample_ends`).
``summed_in_step``
    ``(variable, order)``: summed variables of per-step signals, computed in the 'end' slot
    at ``order`` of the step (:func:`.schedule.sum_in_step`).
``namespace``
    constants and functions the code uses.
``values``
    run-time values (learning rates): shared variables of the owner, set before every run,
    so that a program re-runs with other values without a new build
    (:meth:`.program.Program.adopt`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Equations

from ..parameters import ParameterError

__all__ = ["Code", "merge"]


@dataclass
class Code:
    equations: list = field(default_factory=list)
    on_spike: list = field(default_factory=list)
    every_step: list = field(default_factory=list)
    at_sample_end: list = field(default_factory=list)
    at_sample_start: list = field(default_factory=list)
    periodic: list = field(default_factory=list)
    state: list = field(default_factory=list)
    checked: list = field(default_factory=list)
    summed_at_sample_ends: list = field(default_factory=list)
    summed_in_step: list = field(default_factory=list)
    namespace: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)


def _unique(items):
    return list(dict.fromkeys(items))


def merge(owner: str, codes) -> Code:
    """One :class:`Code` from the shares of several parts for ``owner``."""
    lines: dict[str, str] = {}
    out = Code()
    for code in codes:
        for line in code.equations:
            for name in Equations(line).names:
                if (name in lines
                        and lines[name].split("#")[0].split() != line.split("#")[0].split()):
                    raise ParameterError(
                        f"'{owner}': two parts define '{name}' differently: {lines[name]!r} "
                        f"and {line!r}.")
                lines.setdefault(name, line.strip())
        out.on_spike += code.on_spike
        out.every_step += code.every_step
        out.at_sample_end += code.at_sample_end
        out.at_sample_start += code.at_sample_start
        out.periodic += code.periodic
        out.state += code.state
        out.checked += code.checked
        out.summed_at_sample_ends += code.summed_at_sample_ends
        out.summed_in_step += code.summed_in_step
        for table in ("namespace", "values"):
            merged = getattr(out, table)
            for key, value in getattr(code, table).items():
                if key in merged and merged[key] is not value:
                    try:
                        same = bool(merged[key] == value)
                    except (TypeError, ValueError):
                        same = False
                    if not same:
                        raise ParameterError(f"'{owner}': two parts give '{key}' different "
                                             f"values ({merged[key]!r} and {value!r}).")
                merged[key] = value
    out.equations = list(dict.fromkeys(lines.values()))
    for name in ("on_spike", "every_step", "at_sample_end", "at_sample_start", "periodic", "state",
                 "checked", "summed_at_sample_ends", "summed_in_step"):
        setattr(out, name, _unique(getattr(out, name)))
    return out
