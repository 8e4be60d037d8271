"""What a study's ``simulate(params, ctx)`` gets besides its parameters: the run context
(seeds, random generator, the device session, progress and timers)."""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np

from .. import buildcache
from ..devices import CompiledProgram, DeviceSession
from .definition import StudyError
from .interrupt import _InterruptGuard


#: The timings key of the time JAX spent compiling inside :meth:`RunContext.timer` blocks.
JAX_COMPILE = "compile (JAX)"


@dataclass
class RunContext:
    """What a study's ``simulate`` gets besides its parameters.

    ``seeds`` are the seeds this run covers (``(seed,)`` unless the study
    declares a ``seeds_parameter``); ``rng`` is a numpy generator seeded with
    ``seed`` (draw connectivity and initial values with it, so the network is
    the same on every device); ``run(net, duration)`` runs a Brian2 network on
    the chosen device with progress reports; ``progress(msg)`` prints a
    progress line;
    ``with ctx.timer("training (JAX)"):`` times work outside Brian2 for the provenance.
    """

    seed: int
    session: DeviceSession
    quick: bool = False
    verbose: bool = True
    seeds: tuple[int, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    runtime_parameters: tuple[str, ...] = ()
    slot: CompiledProgram | None = None
    rng: np.random.Generator = field(init=False)
    timings: dict = field(default_factory=dict)
    _runs: int = field(default=0, init=False, repr=False)
    interrupt: _InterruptGuard | None = field(default=None, repr=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        if not self.seeds:
            self.seeds = (self.seed,)

    @property
    def device(self) -> str:
        return self.session.name

    def _stop_if_interrupted(self) -> None:
        # a KeyboardInterrupt swallowed inside the study (e.g. by a JAX callback) stops it here
        if self.interrupt is not None:
            self.interrupt.check()

    @property
    def reused(self) -> bool:
        """Whether this run re-runs a program compiled by an earlier run."""
        return self.slot is not None and self.slot.holds(self.session)

    def program(self, build: Callable[[], Any]) -> Any:
        """The Brian2 objects of this run: ``build()``, or, when this run re-runs a
        compiled program, the objects that program was built from (``build`` is
        then not called; it must depend only on parameters that are not
        ``runtime_parameters``)."""
        if self.slot is None:
            return build()
        if self.slot.objects is None:
            self.slot.objects = build()
        return self.slot.objects

    def run(self, net, duration, values: Mapping[str, Any] | None = None) -> None:
        """Run ``net`` for ``duration``.  ``values`` maps each of the study's
        ``runtime_parameters`` to the Brian2 state variable holding it
        (``{'I_ext': group.I_ext}``, or a list of them): it is set to the
        parameter's value, by assignment before a build or with ``run_args``
        on a re-run."""
        self._stop_if_interrupted()
        values = dict(values or {})
        if set(values) != set(self.runtime_parameters):
            raise StudyError(
                f"ctx.run(values=...) names {sorted(values) or 'no parameters'}, but the study "
                f"declares runtime_parameters {sorted(self.runtime_parameters) or '()'}; "
                f"they must be the same.")
        if self.runtime_parameters and self._runs:
            raise StudyError("A study with runtime_parameters runs its network once per run "
                             "(one ctx.run call), so that a compiled program can be re-run.")
        self._runs += 1
        starts = [(view, self.parameters[name]) for name, v in values.items()
                  for view in (v if isinstance(v, (list, tuple)) else (v,))]
        program = self.slot if self.slot is not None else CompiledProgram()
        if program.run(self.session, net, duration, starts,
                       report="text" if self.verbose else None):
            self.progress(f"re-ran the compiled program with {', '.join(values)} "
                          f"(simulation {self.session.timings['simulation']:.2f} s)")

    def progress(self, message: str) -> None:
        self._stop_if_interrupted()
        if self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    @contextlib.contextmanager
    def timer(self, label: str):
        """Add the wall time of the ``with`` block to ``timings[label]`` (seconds), except
        the time JAX spent compiling in it, which goes to ``timings["compile (JAX)"]`` (as a
        Brian2 run's build is kept apart from its simulation)."""
        start = time.perf_counter()
        with buildcache.jax_compile_time() as compiling:
            try:
                yield
            finally:
                elapsed = time.perf_counter() - start
                compiled = min(compiling(), elapsed)
                self.timings[label] = self.timings.get(label, 0.0) + elapsed - compiled
                if compiled > 0:
                    self.timings[JAX_COMPILE] = self.timings.get(JAX_COMPILE, 0.0) + compiled
