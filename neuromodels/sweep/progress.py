"""Progress of a sweep: done / failed / running / remaining and an estimate of the time left."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class SweepProgress:
    """Where a sweep stands: counts of this sweep's runs and an estimate of the time left."""

    done: int
    failed: int
    running: int
    remaining: int
    kept: int
    elapsed_s: float
    eta_s: float | None
    client: Any = None

    def line(self) -> str:
        eta = "unknown" if self.eta_s is None else _duration(self.eta_s)
        return (f"done {self.done}, failed {self.failed}, running {self.running}, "
                f"remaining {self.remaining} (kept {self.kept}); "
                f"elapsed {_duration(self.elapsed_s)}, ETA {eta}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Printer:
    """Prints progress to stderr: one updated line on a terminal, a line per change elsewhere."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.tty = getattr(self.stream, "isatty", lambda: False)()
        self.last = None

    def __call__(self, progress: SweepProgress) -> None:
        counts = (progress.done, progress.failed, progress.running, progress.remaining)
        if self.tty:
            self.stream.write("\r\033[K" + progress.line())
        elif counts != self.last:
            self.stream.write(f"[{time.strftime('%H:%M:%S')}] {progress.line()}\n")
        self.last = counts
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.last is not None:
            self.stream.write("\n")
            self.stream.flush()
