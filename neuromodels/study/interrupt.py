"""Ctrl-C during a study's run.

Ctrl-C (SIGINT) during a run is handled here, once: whether it arrives during a
C++ build, the simulation, or a JAX computation that swallows it, the run stops
with :class:`StudyInterrupted`, the build directory and temporary files are
removed, and nothing after the interrupt can replace the previous results file.
"""
from __future__ import annotations

import os
import re
import signal

from .definition import StudyInterrupted


class _InterruptGuard:
    """Records SIGINT during a run.  While the run computes, SIGINT also raises
    KeyboardInterrupt; while files are written it only sets the flag, which
    :meth:`check` turns into :class:`StudyInterrupted` before a file is replaced.
    Outside the main thread no handler can be installed (Python delivers SIGINT
    to the main thread only) and the guard records nothing."""

    def __init__(self):
        self.interrupted = False
        self.raising = True
        self._installed = False
        self._previous = None

    def _handle(self, signum, frame):
        self.interrupted = True
        if self.raising:
            raise KeyboardInterrupt

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        except ValueError:  # not the main thread
            pass
        return self

    def __exit__(self, *exc):
        if self._installed:  # None: the previous handler was not set from Python
            signal.signal(signal.SIGINT, self._previous if self._previous is not None
                          else signal.default_int_handler)

    def check(self, message: str = "interrupted; the previous results file is kept") -> None:
        if self.interrupted:
            raise StudyInterrupted(message)


def _build_interrupted(err: BaseException) -> bool:
    """Whether ``err`` is Brian2's "Project compilation failed (error code: N)" for a
    ``make`` stopped by SIGINT (Ctrl-C reaches the compiler while Brian2 waits in
    ``os.system``, which ignores SIGINT itself, so Python sees only the failed build)."""
    match = re.search(r"compilation failed \(error code: (\d+)\)", str(err))
    if not isinstance(err, RuntimeError) or not match:
        return False
    status = int(match.group(1))
    return ((os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT)
            or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signal.SIGINT))
