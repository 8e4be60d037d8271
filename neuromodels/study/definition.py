"""What a study is: parameters, a simulation that returns data, and a plot of that data.

A study script in ``studies/`` defines one :class:`Study` named ``STUDY``; the errors a
study's run raises are :class:`StudyError` (a request it cannot do) and
:class:`StudyInterrupted` (Ctrl-C).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..devices import ALL_DEVICES, DEFAULT_DEVICE
from ..parameters import ParameterSet

if TYPE_CHECKING:
    from .context import RunContext


class StudyError(ValueError):
    """An unknown study, or a study asked to do something it cannot."""


class StudyInterrupted(KeyboardInterrupt):
    """A study run stopped by Ctrl-C (SIGINT); the message says what was kept."""


@dataclass(frozen=True)
class Study:
    """A study: ``simulate(params, ctx) -> data`` and ``plot(data) -> Figure``.

    ``data`` is a nested dict of arrays/quantities/strings (see
    :mod:`neuromodels.store`); put model equations under ``data['equations']``.
    ``quick`` holds parameter overrides for a reduced run (well under a minute);
    ``quick_device`` (optional) is its device when none is given (default:
    ``default_device``), e.g. runtime with Brian2's numpy target where a C++ build would
    take longer than the whole quick run.
    ``check(params)`` (optional) raises ``ParameterError`` for combinations of
    values that are each valid alone but not together; it runs before any
    simulation.  ``seeds_parameter`` names the parameter that counts the seeds
    of one run (``ctx.seeds``); ``runtime_parameters`` lists the parameters a
    compiled program can take at run time (see :mod:`neuromodels.study.programs`);
    ``measures(data)`` returns the scalar results of a stored run by name
    (one value, or one per seed of ``ctx.seeds``), which sweeps tabulate.
    ``sizes(params)`` (optional) returns the network's ``neurons``, ``synapses`` and
    ``recorded`` values (expected counts), from which the memory is estimated and a
    run that cannot fit here is refused before anything is built.
    ``results(data)`` (optional) returns Markdown tables of the headline
    numbers, computed from the stored file (:mod:`neuromodels.results`;
    ``neuromodels results NAME``, and the README's results blocks).
    """

    name: str
    title: str
    simulate: Callable[[dict, RunContext], dict]
    plot: Callable[[dict], Any]
    parameters: ParameterSet
    quick: Mapping[str, Any] = field(default_factory=dict)
    devices: tuple[str, ...] = ALL_DEVICES
    default_device: str = DEFAULT_DEVICE
    quick_device: str | None = None
    reference: str = ""
    source: str = ""
    check: Callable[[dict], None] | None = None
    sizes: Callable[[dict], Mapping[str, float]] | None = None
    seeds_parameter: str | None = None
    runtime_parameters: tuple[str, ...] = ()
    measures: Callable[[dict], Mapping[str, Any]] | None = None
    results: Callable[[dict], str] | None = None

    def summary(self) -> str:
        return f"{self.name:<24} {self.title}"
