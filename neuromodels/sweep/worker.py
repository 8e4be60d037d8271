"""The worker side of a sweep: one task = one run of the study in this worker process
(a Dask worker; the module is also its ``preload``)."""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from ..study import ProgramCache, Study, StudyError, _load_study_file, run_study
from .run_files import _file_record, stale_reason

_PROGRAMS: ProgramCache | None = None
_STUDIES: dict[tuple, Study] = {}
_ONE_AT_A_TIME = threading.Lock()  # Brian2's device is per process: a worker with several
                                   # threads runs its sweep tasks one after the other


def _load(source: str, name: str) -> Study:
    path = Path(source)
    if not path.is_file():
        raise StudyError(f"study file {source} not found on host {socket.gethostname()} (a "
                         f"sweep's workers must see the same file system as its client)")
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _STUDIES:
        study = _load_study_file(path)
        object.__setattr__(study, "source", str(path))
        _STUDIES[key] = study
    study = _STUDIES[key]
    if study.name != name:
        raise StudyError(f"{source} defines study '{study.name}', not '{name}'")
    return study


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # not in a Dask worker (a sequential run)
        return ""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def execute(task: Mapping[str, Any], *after: Any) -> dict[str, Any]:
    """Run one task of a sweep in this process; never raises (a failure is a record).

    ``after`` are the results of the tasks this one was chained behind (ignored)."""
    with _ONE_AT_A_TIME:
        return _execute(task)


def _execute(task: Mapping[str, Any]) -> dict[str, Any]:
    global _PROGRAMS
    started = time.perf_counter()
    record = {"host": socket.gethostname(), "worker": _worker_name(), "pid": os.getpid(),
              "started": _now()}
    try:
        study = _load(task["source"], task["study"])
        path = Path(task["file"])
        if task["keep_valid"] and stale_reason(path, task["expected"], task["code"]) is None:
            record["status"] = "kept"  # a re-computation after a lost worker: the file is good
        else:
            if _PROGRAMS is None:
                _PROGRAMS = ProgramCache()
            if not task["reuse"]:
                _PROGRAMS.close()
            run_study(study, device=task["device"], threads=task["threads"], seeds=(task["seed"],),
                      quick=task["quick"], params=task["params"], verbose=False, figure=False,
                      data_path=path, programs=_PROGRAMS if task["reuse"] else None)
            record["status"] = "done"
        record.update(_file_record(study, path))
    except Exception as err:
        record.update(status="failed", error=_one_line(err),
                      traceback="".join(traceback.format_exception(err)[-6:]))
    record["finished"] = _now()
    record["task_s"] = time.perf_counter() - started
    return record


def dask_setup(worker) -> None:
    """Run by Dask in each worker process of the local cluster (``preload``): the worker
    leads a process group of its own, which holds its builds and program runs.  Ctrl-C in
    the terminal then reaches the client only (it cancels, closes the cluster and ends
    these groups), and nothing a worker started outlives the sweep."""
    with contextlib.suppress(OSError):
        os.setpgrp()


def _one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
