"""The peak resident memory a piece of work adds to this process, measured (Linux).

Linux keeps a process's peak resident set size as ``VmHWM`` in ``/proc/self/status``;
writing ``5`` to ``/proc/self/clear_refs`` resets it to the current ``VmRSS``.  The peak
of a block is then ``VmHWM`` after it minus ``VmRSS`` before it: every page the block
touched, Python's, numpy's and XLA's buffers alike (tracemalloc sees Python's only).
Memory that glibc kept from earlier frees would hide part of a peak, so the heap is trimmed
(``malloc_trim(0)``) before the block starts.  Where ``/proc`` cannot be read or reset
(not Linux) the measure is ``nan``.
"""
from __future__ import annotations

import contextlib
import ctypes
import math

__all__ = ["process_kib", "peak_memory", "PeakMemory"]


def process_kib(field: str) -> float:
    """A ``Vm*`` field of ``/proc/self/status`` (``'VmRSS'``, ``'VmHWM'``) in KiB; ``nan``
    where there is no such file or field."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    return math.nan


def _trim_heap() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                                       # VmHWM := VmRSS
        return True
    except OSError:
        return False


class PeakMemory:
    """The result of :func:`peak_memory`: ``mib``, the peak resident memory added by the
    block (MiB; ``nan`` until the block ends or where it cannot be measured), and
    ``base_mib``, the resident memory before it."""

    def __init__(self):
        self.mib = math.nan
        self.base_mib = math.nan


@contextlib.contextmanager
def peak_memory():
    """``with peak_memory() as m: ...`` then ``m.mib``: the peak resident memory (MiB) that
    the block added to the process (module docstring)."""
    result = PeakMemory()
    _trim_heap()
    rss0 = process_kib("VmRSS")
    ok = _reset_peak()
    result.base_mib = rss0 / 1024
    yield result
    if ok:
        result.mib = max(process_kib("VmHWM") - rss0, 0.0) / 1024
