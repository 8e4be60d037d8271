"""Brian2's console notes that a model answers in its own documentation (the order in which
synapses write one postsynaptic variable, a threshold without a reset), kept off the console
so that a study's output shows what a user must act on; Brian2's log file still has them."""
from __future__ import annotations

import contextlib
import logging

__all__ = ["keep_off_console", "off_console"]


class _Note(logging.Filter):
    """Drops the records of the loggers under ``logger`` whose message mentions ``text``."""

    def __init__(self, logger: str, text: str):
        super().__init__()
        self.logger, self.text = logger, text

    def filter(self, record) -> bool:
        return not (record.name.startswith(self.logger) and self.text in record.getMessage())


def _console():
    from brian2 import BrianLogger

    return BrianLogger.console_handler


def keep_off_console(logger: str, text: str) -> None:
    """From now on, Brian2's notes from the loggers under ``logger`` (e.g.
    ``'brian2.codegen'``) that mention ``text`` stay off the console (once per pair)."""
    console = _console()
    if console is not None and not any(isinstance(f, _Note) and (f.logger, f.text) ==
                                       (logger, text) for f in console.filters):
        console.addFilter(_Note(logger, text))


@contextlib.contextmanager
def off_console(logger: str, text: str):
    """As :func:`keep_off_console`, inside the scope only."""
    console, note = _console(), _Note(logger, text)
    if console is not None:
        console.addFilter(note)
    try:
        yield
    finally:
        if console is not None:
            console.removeFilter(note)
