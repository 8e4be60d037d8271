"""The peak resident memory a piece of work adds to this process, measured (Linux).

Linux keeps a process's peak resident set size as ``VmHWM`` in ``/proc/self/status``;
writing ``5`` to ``/proc/self/clear_refs`` resets it to the current ``VmRSS``.  The peak
of a block is then ``VmHWM`` after it minus ``VmRSS`` before it: every page the block
touched, Python's, numpy's and XLA's buffers alike (tracemalloc sees Python's only).
Memory that glibc kept from earlier frees would hide part of a peak, so the heap is trimmed
(``malloc_trim(0)``) before the block starts.  Where ``/proc`` cannot be read or reset
(not Linux) the measure is ``nan``.

A C++ standalone program runs in a child process, which that measure does not see:
:func:`program_peak_memory` runs the program through :mod:`neuromodels.devices.peak_child`
and reports the largest peak of the program's runs in the block.
"""
from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["process_kib", "peak_memory", "program_peak_memory", "PeakMemory"]


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


@contextlib.contextmanager
def program_peak_memory():
    """``with program_peak_memory() as m: ...`` then ``m.mib``: the largest peak resident
    memory (MiB) of the C++ standalone program over its runs in the block (its own process,
    which holds the wrapper's interpreter, ~10 MiB, until it starts the program; ``nan``
    where no program ran, or on another OS than Linux).  Brian2's
    ``devices.cpp_standalone.run_cmd_unix`` is set to the wrapper for the block and put back."""
    from brian2 import prefs

    result = PeakMemory()
    handle, path = tempfile.mkstemp(prefix="nm_peak_", suffix=".txt")
    os.close(handle)
    key = "devices.cpp_standalone.run_cmd_unix"
    before = prefs[key]
    wrapped = [before] if isinstance(before, str) else list(before)
    # the wrapper by its path, without site packages (stdlib only): ~0.1 s less per run
    child = str(Path(__file__).with_name("peak_child.py"))
    prefs[key] = [sys.executable, "-S", "-I", child, path, *wrapped]
    try:
        yield result
    finally:
        prefs[key] = before
        with contextlib.suppress(OSError, ValueError):
            with open(path) as f:
                peaks = [float(line) for line in f if line.strip()]
            if peaks:
                result.mib = max(peaks) / 1024
        with contextlib.suppress(OSError):
            os.remove(path)
