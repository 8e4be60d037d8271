"""Running a sweep on Dask: what is kept, the tasks (chained for build reuse), failures,
lost workers, Ctrl-C, and the index, summary and figure written at the end."""
from __future__ import annotations

import contextlib
import csv
import math
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .. import store
from ..parameters import format_value
from ..study import Study, StudyError
from .cluster import _client, _require_dask
from .figure import plot_sweep
from .plan import Run, SweepPlan, plan_sweep
from .progress import SweepProgress, _Printer
from .run_files import _expected, _file_record, current_code, stale_reason
from .tables import STATUSES, Table, _tables
from .worker import _one_line, execute


@dataclass
class SweepResult:
    """What :func:`run_sweep` returns: the tables, the counts and where the files are."""

    plan: SweepPlan
    index: Table
    summary: Table
    counts: dict[str, int]
    files: dict[str, Path]
    elapsed_s: float
    executed: int

    @property
    def runs_per_minute(self) -> float:
        """Runs executed by this call per minute of its wall time (cluster start included)."""
        return 60.0 * self.executed / self.elapsed_s if self.elapsed_s > 0 else math.nan

    def __repr__(self) -> str:
        counts = ", ".join(f"{k} {v}" for k, v in self.counts.items())
        return (f"<sweep of {self.plan.study.name} in {self.plan.directory}: {counts}>\n"
                f"{self.summary}")


@contextlib.contextmanager
def _lock(directory: Path):
    """Refuse a second sweep writing the same folder at the same time."""
    path = directory / ".sweep.lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                pid = int(path.read_text().strip() or 0)
                os.kill(pid, 0)
                alive = pid != os.getpid()
            except (ValueError, ProcessLookupError, FileNotFoundError):
                alive = False
            except PermissionError:
                alive = True
            if alive:
                raise StudyError(f"another sweep (process {pid}) is writing to {directory}; "
                                 f"wait for it or give another --out.") from None
            path.unlink(missing_ok=True)  # left by a sweep that was killed
    else:
        raise StudyError(f"cannot lock the sweep folder {directory}.")
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


def _remove_temporary_files(runs_dir: Path) -> None:
    """Temporary files of writes that were killed (store.atomic_path names them .*.tmp)."""
    for tmp in runs_dir.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def _chains(plan: SweepPlan, runs: list[Run], workers: int, reuse: bool) -> list[list[Run]]:
    """The runs in submission order, as chains of tasks, each after the one before.

    Without build reuse every run is a chain of its own (independent tasks).  With it,
    the runs sharing a program are kept together (a group is split only to give every
    worker some), and the pieces are dealt into one chain per worker, largest first: a
    chain stays on one worker and has nothing queued beside it, so each piece builds once.
    """
    if not (reuse and plan.reusable):
        return [[r] for r in runs]
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault(run.build_key, []).append(run)
    per_group = max(1, math.ceil(workers / len(groups)))
    pieces = []
    for group in groups.values():
        k = min(per_group, len(group))
        bounds = [round(j * len(group) / k) for j in range(k + 1)]
        pieces += [group[a:b] for a, b in zip(bounds, bounds[1:])]
    chains: list[list[Run]] = [[] for _ in range(min(workers, len(pieces)))]
    for piece in sorted(pieces, key=len, reverse=True):
        min(chains, key=len).extend(piece)
    return chains


def _task(plan: SweepPlan, run: Run, reuse: bool, code: dict, fresh: bool) -> dict[str, Any]:
    return {"source": str(Path(plan.study.source).resolve()), "study": plan.study.name,
            "device": plan.device, "threads": plan.threads, "quick": plan.quick,
            "seed": run.seed, "params": {**plan.params, **dict(run.point)},
            "file": str(run.file.resolve()), "reuse": reuse and plan.reusable,
            "expected": _expected(plan, run), "code": code, "keep_valid": not fresh}


def _future_record(future) -> dict[str, Any] | None:
    """The record of a finished task, or None if it is pending again (its worker died after
    it finished, before its result was fetched: Dask computes it again)."""
    if future.status == "finished":
        record = future.result()
        if record["status"] == "kept":  # made by an earlier attempt of this task (its worker
            record["status"] = "done"   # died before the result was fetched)
        return record
    if future.status == "cancelled":
        return {"status": "missing", "error": "cancelled"}
    if future.status == "error":
        return {"status": "failed", "error": _one_line(future.exception())}
    return None


@contextlib.contextmanager
def _signal_handler(signum: int, handler):
    """``handler`` for signal ``signum`` while the block runs (main thread only)."""
    try:
        previous = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _terminate_as_interrupt():
    """SIGTERM (``kill``, a batch system ending the job) ends a sweep as Ctrl-C does."""
    return _signal_handler(signal.SIGTERM, _interrupt)


def _no_interrupts():
    """Finish writing the index even if Ctrl-C is pressed again."""
    return _signal_handler(signal.SIGINT, signal.SIG_IGN)


def run_sweep(study: Study | str, grid: Mapping[str, Sequence] | None = None,
              seeds: Sequence[int] | str = (0,), *, params: Mapping[str, Any] | None = None,
              device: str | None = None, threads: int | None = None, quick: bool = False,
              out: str | os.PathLike | None = None, workers: int | None = None,
              scheduler: str | None = None, client=None, reuse: bool = True,
              fresh: bool = False, progress: bool | Callable[[SweepProgress], None] = True,
              figure: bool = True) -> SweepResult:
    """Run ``study`` at every point of ``grid`` (name -> values, with units) for every seed.

    ``workers`` processes of a ``LocalCluster`` on 127.0.0.1 (default: one per core), or
    the Dask scheduler at ``scheduler`` (``'tcp://host:8786'``), or a ``distributed.Client``.
    Results present and valid are kept unless ``fresh``; ``reuse=False`` builds every run.
    ``progress``: print progress (True), or call a function with a :class:`SweepProgress`.
    Returns a :class:`SweepResult`; ``.summary`` is the table of mean and sd over seeds.
    On Ctrl-C the index is written and ``KeyboardInterrupt`` raised again.
    """
    _require_dask()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise StudyError(f"workers must be a whole number >= 1; got {workers!r}.")
    if workers is not None and (scheduler is not None or client is not None):
        raise StudyError("give the number of workers for a local cluster, or a scheduler "
                         "address, not both.")
    plan = plan_sweep(study, grid, seeds, params=params, device=device, threads=threads,
                      quick=quick, out=out)
    workers = workers or os.cpu_count() or 1
    report = progress if callable(progress) else (_Printer() if progress else None)
    started = time.perf_counter()
    code = current_code(plan.study)
    with _terminate_as_interrupt(), _lock(plan.directory):
        _remove_temporary_files(plan.runs_dir)
        records: dict[tuple, dict] = {}
        todo = []
        before = _previous_index(plan.directory / "index.csv")
        for run in plan.runs:
            if not fresh and stale_reason(run.file, _expected(plan, run), code) is None:
                try:
                    records[run.key] = {**before.get((run.label, str(run.seed)), {}),
                                        **_file_record(plan.study, run.file),
                                        "status": "kept", "error": ""}
                    continue
                except Exception:  # a measure cannot be read from it: run it again
                    pass
            todo.append(run)
        executed = 0
        try:
            if todo:
                executed = _run_on_dask(plan, todo, records, workers, scheduler, client, reuse,
                                        fresh, code, report, len(plan.runs) - len(todo))
        finally:
            with _no_interrupts():
                _remove_temporary_files(plan.runs_dir)
                # runs that finished writing while an interrupted sweep shut down
                for run in plan.runs:
                    if (records.get(run.key, {}).get("status") == "missing"
                            and stale_reason(run.file, _expected(plan, run), code) is None):
                        with contextlib.suppress(Exception):
                            records[run.key] = {**_file_record(plan.study, run.file),
                                                "status": "done", "error": ""}
                result = _write_outputs(plan, records, time.perf_counter() - started, executed,
                                        figure)
                if isinstance(report, _Printer):
                    report.close()
    return result


def _previous_index(path: Path) -> dict[tuple, dict]:
    """Where and when each run of an earlier call ran (from its index.csv), by (point, seed)."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error):
        return {}
    out = {}
    for row in rows:
        rec = {k: row.get(k, "") for k in ("host", "worker", "started", "finished")}
        with contextlib.suppress(ValueError, TypeError):
            rec["task_s"] = float(row.get("task_s (s)") or "nan")
        out[(row.get("point"), row.get("seed"))] = rec
    return out


def _run_on_dask(plan, todo, records, workers, scheduler, client, reuse, fresh, code, report,
                 kept) -> int:
    distributed = _require_dask()
    with _client(workers, scheduler, client) as (c, local):
        if scheduler is not None or client is not None:
            workers = max(1, len(c.scheduler_info().get("workers", {})))
        pending: dict[Any, Run] = {}
        for chain in _chains(plan, todo, workers, reuse):
            previous = ()
            for run in chain:
                key = f"sweep-{plan.study.name}-{run.file.stem}-{uuid.uuid4().hex[:8]}"
                future = c.submit(execute, _task(plan, run, reuse, code, fresh), *previous, key=key,
                                  pure=False)
                pending[future] = run
                previous = (future,)
        total = len(pending)
        counts = {"done": 0, "failed": 0}
        t0 = time.perf_counter()
        last_poll, running = 0.0, 0
        try:
            while pending:
                try:
                    done, _ = distributed.wait(list(pending), timeout=0.5,
                                               return_when="FIRST_COMPLETED")
                except TimeoutError:
                    done = set()
                for future in done:
                    record = _future_record(future)
                    if record is None:
                        continue
                    run = pending.pop(future)
                    future.release()  # nothing else needs it: a lost result is not recomputed
                    records[run.key] = record
                    counts["failed" if record["status"] == "failed" else "done"] += 1
                if done:
                    _write_index(plan, records)
                now = time.perf_counter()
                if now - last_poll > 1.0 or done:
                    if local is not None:
                        local.remember()  # also the workers started again after a death
                    keys = {f.key for f in pending}
                    with contextlib.suppress(Exception):  # tasks on workers, at most one per thread
                        threads = c.nthreads()
                        running = sum(min(threads.get(w, 1), sum(k in keys for k in ks))
                                      for w, ks in c.processing().items())
                    last_poll = now
                finished = counts["done"] + counts["failed"]
                elapsed = now - t0
                eta = elapsed / finished * len(pending) if finished else None
                if report is not None:
                    report(SweepProgress(counts["done"], counts["failed"],
                                         min(running, len(pending)),
                                         len(pending), kept, elapsed, eta, c))
        except KeyboardInterrupt:
            with _no_interrupts():
                c.cancel(list(pending))
                for run in pending.values():
                    records[run.key] = {"status": "missing", "error": "interrupted"}
                _write_index(plan, records)
            raise
    return total


def _write_index(plan: SweepPlan, records) -> None:
    index, _, _ = _tables(plan, records)
    index.to_csv(plan.directory / "index.csv")


def _write_outputs(plan: SweepPlan, records, elapsed: float, executed: int,
                   figure: bool) -> SweepResult:
    index, summary, measures = _tables(plan, records)
    counts = {s: int(sum(r == s for r in index["status"])) for s in STATUSES}
    files = {"index": index.to_csv(plan.directory / "index.csv"),
             "summary": summary.to_csv(plan.directory / "summary.csv")}
    attrs = {
        "study": plan.study.name, "title": plan.study.title, "device": plan.device,
        "threads": plan.threads or 0, "quick": plan.quick, "seeds": list(plan.seeds),
        "grid": {n: [format_value(v) for v in vals] for n, vals in plan.grid.items()},
        "grid_names": list(plan.grid), "measures": measures,
        "parameters": {k: format_value(v) for k, v in plan.params.items()},
        "units": {"index": index.units, "summary": summary.units}, "counts": counts,
        "elapsed_s": elapsed, "executed": executed,
        **store.provenance(plan.study.source or None),
    }
    files["data"] = store.write(plan.directory / "sweep.h5",
                                {"index": index.data(), "summary": summary.data()}, attrs)
    if figure and measures and counts["done"] + counts["kept"]:
        files["figure"] = plot_sweep(files["data"], plan.directory / "sweep.png")
    return SweepResult(plan, index, summary, counts, files, elapsed, executed)
