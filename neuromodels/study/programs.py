"""Build reuse across study runs: a kept compiled program.

A study may declare ``runtime_parameters``, parameters that enter the network only as
initial values of Brian2 state variables.  It then builds its objects through
``ctx.program(build)`` and hands those variables to ``ctx.run(net, duration,
values={name: group.variable})``.  Given a :class:`ProgramCache` (a sweep worker keeps
one), a later run that differs only in those parameters re-runs the compiled C++
standalone program with the new values (Brian2's ``run_args``, brian2 >= 2.6) instead of
building it again (:mod:`neuromodels.devices.rerun` says what ``run_args`` can change and
what it cannot, and decides when a run is a re-run).
"""
from __future__ import annotations

import atexit
import contextlib
from typing import Any, Callable

from ..devices import CompiledProgram, DeviceSession
from ..parameters import canonical
from .definition import Study


def _program_key(study: Study, device: str, threads, seeds, quick, resolved) -> tuple:
    """What must be equal for a run to re-run the program of another: everything but the
    runtime parameters."""
    fixed = tuple((k, canonical(v)) for k, v in resolved.items()
                  if k not in study.runtime_parameters)
    return (study.source, study.name, device, threads, seeds, quick, fixed)


class ProgramCache:
    """Keeps the last compiled C++ standalone program of this process alive, so that the
    next run of the same study with other ``runtime_parameters`` re-runs it.

    One program at a time (Brian2's device is process-global).  A run with
    another key (study, device, seeds, other parameters) closes it first;
    :meth:`close` (also at interpreter exit) removes its build directory.
    """

    def __init__(self):
        self._key = None
        self._stack: contextlib.ExitStack | None = None
        self._session: DeviceSession | None = None
        self._slot: CompiledProgram | None = None
        self.builds = 0
        self.reruns = 0
        atexit.register(self.close)

    @contextlib.contextmanager
    def open(self, key, make_session: Callable[[], Any]):
        """``(session, slot)`` for ``key``: the kept session and its program (a
        :class:`~neuromodels.devices.CompiledProgram`) if the key matches, else a new session
        from ``make_session()`` (a :func:`use_device` context) with a program not built yet."""
        if key != self._key or self._stack is None:
            self.close()
            stack = contextlib.ExitStack()
            self._session = stack.enter_context(make_session())
            self._stack, self._key, self._slot = stack, key, CompiledProgram()
        try:
            reused = self._slot.holds(self._session)
            yield self._session, self._slot
            if reused:
                self.reruns += 1
            else:
                self.builds += 1
        except BaseException:
            self.close()  # the device's state is unknown now
            raise

    def close(self) -> None:
        stack = self._stack
        self._stack, self._key, self._slot, self._session = None, None, None, None
        if stack is not None:
            stack.close()


@contextlib.contextmanager
def _fresh(make_session):
    with make_session() as session:
        yield session, None
