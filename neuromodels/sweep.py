"""Sweeps: many runs of one study on Dask, over a grid of parameter values x seeds.

    neuromodels sweep NAME --seeds 0-9 --grid PARAM=V1,V2,... [--grid ...] [-p NAME=VALUE]
                      [--quick] [--device D] [--workers N | --scheduler ADDRESS] [--out DIR]

or, from Python (a notebook), ``run_sweep(NAME, grid={...}, seeds=range(10)).summary``.

One run (grid point, seed) is one Dask task: :func:`neuromodels.study.run_study` with that
one seed, in a worker process (Brian2's device is process-global; each worker builds C++
standalone in directories of its own), writing one HDF5 file named by its run key,
``runs/<study>__<point>__seed<s>.h5``, atomically.  The sweep folder also holds

* ``index.csv``: one row per run: point, seed, file, status, error, timings, host;
* ``summary.csv``: per grid point, mean and sd over seeds of the study's ``measures``;
* ``sweep.h5``: both tables with the sweep's provenance; ``sweep.png`` is drawn from it.

Every grid name and value is checked against the study's parameters (with units) before
anything is submitted.  Resume: a run whose file is readable and records the same study,
parameters, seeds, device and code version (package versions and git commit, from
:func:`neuromodels.store.provenance`) is kept; missing, failed and stale runs run again.
A failing run is recorded with its error and never stops the others; a worker that dies
has its task re-run elsewhere by Dask.  Ctrl-C cancels what has not finished; every
finished file stays, and the index says which runs are missing.

Build reuse: for a study with ``runtime_parameters`` on C++ standalone (brian2 >= 2.6),
the runs that differ only in those parameters are kept together and submitted as one
chain of tasks per worker (each task depends on the one before, so Dask keeps a chain on
one worker); the first run of each group builds, the others re-run the compiled program
with ``run_args``.  Elsewhere every run builds.  This module knows no model: what a run computes is the study's business.
"""
from __future__ import annotations

import contextlib
import csv
import hashlib
import itertools
import math
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from . import store
from .devices import can_rerun, check_device
from .parameters import ParameterError, canonical, format_value, parse_value
from .study import (ProgramCache, Study, StudyError, _load_study_file, get_study,
                    resolve_parameters, run_seeds, run_study)

__all__ = ["run_sweep", "plan_sweep", "parse_seeds", "parse_grid", "plot_sweep", "Table",
           "SweepPlan", "SweepResult", "SweepProgress", "run_measures", "DASK_MISSING"]

DASK_MISSING = ("sweeps run on Dask, which is not installed here: "
                "pip install 'neuromodels[sweep]' (installs dask[distributed])")

STATUSES = ("done", "kept", "failed", "missing")


# ---------------------------------------------------------------- the plan ------------

def parse_seeds(text: str | Iterable[int]) -> list[int]:
    """``'0-9'``, ``'0,3,5'``, ``'0-4,10'`` (or a list of ints) -> distinct seeds, in order."""
    if not isinstance(text, str):
        seeds = [int(s) if isinstance(s, np.integer) else s for s in text]
    else:
        seeds = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
            if not m or (m[2] is not None and int(m[2]) < int(m[1])):
                raise StudyError(f"--seeds expects whole numbers and ranges such as 0-9 or "
                                 f"0,3,5; got {text!r}.")
            seeds += range(int(m[1]), int(m[2] if m[2] is not None else m[1]) + 1)
    if not seeds or len(set(seeds)) != len(seeds):
        raise StudyError(f"seeds must be distinct and at least one; got {text!r}.")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**32:
            raise StudyError(f"seed must be a whole number in [0, 2**32); got {s!r}.")
    return seeds


def parse_grid(items: Sequence[str]) -> dict[str, list]:
    """``['I_ext=100*pA,200*pA', 'n=10,20']`` -> ``{'I_ext': [100*pA, 200*pA], 'n': [10, 20]}``
    (values as in ``-p``: numbers with units)."""
    grid: dict[str, list] = {}
    for item in items or []:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise StudyError(f"--grid expects NAME=V1,V2,... (e.g. --grid tau_m=10*ms,20*ms); "
                             f"got {item!r}.")
        if name in grid:
            raise StudyError(f"--grid names parameter {name!r} twice.")
        grid[name] = [parse_value(v) for v in values.split(",") if v.strip()]
    return grid


@dataclass(frozen=True)
class Run:
    """One run of a sweep: a grid point and a seed, its parameters and its file."""

    point: tuple[tuple[str, Any], ...]
    seed: int
    label: str
    file: Path
    parameters: dict = field(compare=False, hash=False)
    build_key: tuple = field(compare=False, hash=False)

    @property
    def key(self) -> tuple:
        return (self.label, self.seed)


@dataclass
class SweepPlan:
    """A checked sweep: the study, the grid, the seeds and every run with its file."""

    study: Study
    grid: dict[str, list]
    seeds: list[int]
    params: dict
    device: str
    threads: int | None
    quick: bool
    directory: Path
    runs: list[Run]

    @property
    def reusable(self) -> bool:
        """Whether runs can re-run a compiled program (runtime parameters on cpp_standalone,
        brian2 >= 2.6)."""
        return bool(self.study.runtime_parameters) and can_rerun(self.device)

    @property
    def runs_dir(self) -> Path:
        return self.directory / "runs"


def _slug(value: Any) -> str:
    """A short file-name form of a value: ``150pA``, ``0.5``, ``True``."""
    from brian2 import Quantity, get_dimensions
    from brian2.units.fundamentalunits import DIMENSIONLESS

    if isinstance(value, Quantity) and get_dimensions(value) is not DIMENSIONLESS and np.ndim(value) == 0:
        unit = value.get_best_unit()
        text = f"{float(value / unit):g}{unit!s}"
    elif isinstance(value, (float, np.floating)):
        text = f"{float(value):g}"
    else:
        text = str(value)
    return re.sub(r"[^A-Za-z0-9.+-]", "", text.replace(" ", ""))


def _point_label(point: Sequence[tuple[str, Any]]) -> str:
    return ",".join(f"{k}={format_value(v)}" for k, v in point)


def plan_sweep(study: Study | str, grid: Mapping[str, Sequence] | None = None,
               seeds: Sequence[int] | str = (0,), *, params: Mapping[str, Any] | None = None,
               device: str | None = None, threads: int | None = None, quick: bool = False,
               out: str | os.PathLike | None = None) -> SweepPlan:
    """Check a sweep completely (names, units, ranges, devices, seeds, folder) and list its runs.

    Raises ``ParameterError``, ``StudyError`` or ``DeviceError`` with one clear message;
    nothing runs and nothing is written (but the folder)."""
    if isinstance(study, str):
        study = get_study(study)
    if study.measures is None:
        raise StudyError(f"Study '{study.name}' declares no measures (the scalar results of a "
                         f"run that a sweep tabulates); give its Study a measures= function.")
    device = device or study.default_device
    check_device(device, study.devices, threads=threads, what=f"Study '{study.name}'")
    seeds = parse_seeds(seeds)
    params = dict(params or {})
    grid = {str(k): list(v) for k, v in (grid or {}).items()}
    study.parameters.check_names({**params, **grid})
    counter = study.seeds_parameter
    for name in grid:
        if name == counter:
            raise StudyError(f"'{name}' counts the seeds of a run; give the seeds with --seeds.")
        if name in params:
            raise StudyError(f"Parameter '{name}' is both swept (--grid) and fixed (-p).")
        if not grid[name]:
            raise StudyError(f"--grid {name} has no values.")
        for value in grid[name]:
            study.parameters[name].check(value)
        if len({canonical(v) for v in grid[name]}) != len(grid[name]):
            raise StudyError(f"--grid {name} repeats a value.")
    if counter in params:
        raise StudyError(f"'{counter}' counts the seeds of a run; a sweep runs one seed per "
                         f"run: give the seeds with --seeds.")
    unknown = [p for p in study.runtime_parameters if p not in study.parameters]
    if unknown:
        raise StudyError(f"Study '{study.name}' declares runtime_parameters that are not its "
                         f"parameters: {', '.join(unknown)}.")
    if not study.source or not Path(study.source).is_file():
        raise StudyError(f"Study '{study.name}' has no study file (Study.source); a sweep's "
                         f"workers load the study from its file.")
    directory = Path(out) if out is not None else Path("output") / "sweeps" / study.name
    names = list(grid)
    runs: list[Run] = []
    for values in itertools.product(*(grid[n] for n in names)):
        point = tuple(zip(names, values))
        try:
            resolved = resolve_parameters(study, quick=quick, params={**params, **dict(point)})
        except ParameterError as err:
            raise ParameterError(f"grid point {_point_label(point)}: {err}") from None
        slug = "_".join(f"{k}={_slug(v)}" for k, v in point)
        for seed in seeds:
            run_params = dict(resolved)
            run_seeds(study, run_params, seeds=(seed,))
            fixed = tuple((k, canonical(v)) for k, v in run_params.items()
                          if k not in study.runtime_parameters)
            runs.append(Run(point=point, seed=seed, label=_point_label(point) or "-",
                            file=Path(slug), parameters=run_params, build_key=(fixed, seed)))
    # file names: readable where possible, unique always
    stems = [f"{study.name}__{r.file}__seed{r.seed}" if r.point else f"{study.name}__seed{r.seed}"
             for r in runs]
    if len(set(stems)) != len(stems) or max(map(len, stems)) > 150:
        stems = [f"{study.name}__{hashlib.sha1(repr([(k, canonical(v)) for k, v in r.point]).encode()).hexdigest()[:12]}__seed{r.seed}"
                 for r in runs]
    runs = [Run(r.point, r.seed, r.label, directory / "runs" / f"{stem}.h5", r.parameters,
                r.build_key) for r, stem in zip(runs, stems)]
    try:  # the only thing a plan writes, once every check has passed
        (directory / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StudyError(f"Cannot create the sweep folder {directory}: {err.strerror}.") from None
    if not os.access(directory / "runs", os.W_OK):
        raise StudyError(f"The sweep folder {directory} is not writable.")
    return SweepPlan(study, grid, seeds, params, device, threads, quick, directory, runs)


# ---------------------------------------------------------------- validity ------------

def code_version(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a provenance record that identify the code: package versions and every
    field naming a commit or a hash (read defensively: provenance grows over time)."""
    return {k: v for k, v in attrs.items()
            if k == "versions" or any(w in k.lower() for w in ("commit", "hash", "sha"))}


def current_code(study: Study) -> dict[str, Any]:
    """:func:`code_version` of a run of ``study`` made now (its script's hash included)."""
    return code_version(store.provenance(study.source or None))


def _code_differs(recorded: Mapping[str, Any], current: Mapping[str, Any]) -> str | None:
    for key, now in current.items():
        if key not in recorded:
            return f"no {key} recorded"
        then = recorded[key]
        if isinstance(now, Mapping) and isinstance(then, Mapping):
            changed = [k for k in now if k in then and then[k] != now[k]]
            if changed:
                return f"{key} changed: " + ", ".join(f"{k} {then[k]} -> {now[k]}" for k in changed)
        elif then != now:
            return f"{key} changed: {then} -> {now}"
    return None


def _expected(plan: SweepPlan, run: Run) -> dict[str, Any]:
    return {"study": plan.study.name, "quick": plan.quick, "device": plan.device,
            "threads": plan.threads or 0, "seeds": [run.seed],
            "parameters": {k: format_value(v) for k, v in run.parameters.items()}}


def stale_reason(path: Path, expected: Mapping[str, Any], code: Mapping[str, Any]) -> str | None:
    """None if the results file at ``path`` is a valid result of the run described by
    ``expected`` made by the code ``code``; else why not."""
    if not path.is_file():
        return "no file"
    try:
        attrs = store.read_attrs(path)
    except Exception as err:  # truncated or foreign file
        return f"unreadable ({type(err).__name__})"
    for key, value in expected.items():
        if attrs.get(key) != value:
            return f"other {key}"
    return _code_differs(code_version(attrs), code)


def run_measures(study: Study, path: str | os.PathLike) -> dict[str, tuple[np.ndarray, str]]:
    """The study's measures of a stored run: name -> (one value per seed, unit)."""
    from brian2 import Quantity, get_dimensions, get_unit
    from brian2.units.fundamentalunits import DIMENSIONLESS

    data = store.read(path)
    n_seeds = len(data["attrs"].get("seeds", [0]))
    out = {}
    for name, value in dict(study.measures(data)).items():
        unit = ""
        if isinstance(value, Quantity) and get_dimensions(value) is not DIMENSIONLESS:
            unit = str(get_unit(get_dimensions(value)))
        values = np.atleast_1d(np.asarray(value, dtype=float))
        if values.shape != (n_seeds,):
            raise StudyError(f"measure {name!r} of study '{study.name}' has shape "
                             f"{values.shape}; expected one value per seed ({n_seeds}).")
        out[str(name).replace("/", "_")] = (values, unit)
    return out


# ---------------------------------------------------------------- the worker side -----

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


def _file_record(study: Study, path: Path) -> dict[str, Any]:
    attrs = store.read_attrs(path)
    timings = attrs.get("timings") or {}
    return {"build_s": timings.get("build", math.nan), "simulation_s": timings.get("simulation", math.nan),
            "total_s": timings.get("total", math.nan), "build_reused": bool(attrs.get("build_reused", False)),
            "measures": {k: (float(v[0]), u) for k, (v, u) in run_measures(study, path).items()}}


# ---------------------------------------------------------------- tables --------------

class Table:
    """Columns of equal length, with units: the index and the summary of a sweep.

    ``table['coba_rate_mean']`` is a numpy array, ``table.rows()`` a list of dicts,
    ``print(table)`` an aligned text table, ``table.to_pandas()`` a DataFrame (if
    pandas is installed)."""

    def __init__(self, columns: Mapping[str, Sequence], units: Mapping[str, str] | None = None):
        self.columns = {k: list(v) for k, v in columns.items()}
        self.units = {k: u for k, u in (units or {}).items() if u and k in self.columns}
        lengths = {len(v) for v in self.columns.values()}
        if len(lengths) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))

    def __getitem__(self, name: str) -> np.ndarray:
        return np.asarray(self.columns[name])

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def header(self, name: str) -> str:
        return f"{name} ({self.units[name]})" if name in self.units else name

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, vals)) for vals in zip(*self.columns.values())]

    def _text(self, value: Any) -> str:
        if isinstance(value, (float, np.floating)):
            return "" if math.isnan(value) else f"{value:.6g}"
        return str(value)

    def __str__(self) -> str:
        heads = [self.header(n) for n in self.columns]
        cells = [[self._text(v) for v in col] for col in self.columns.values()]
        widths = [max([len(h)] + [len(c) for c in col]) for h, col in zip(heads, cells)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in zip(*cells)]
        return "\n".join(lines)

    __repr__ = __str__

    def to_csv(self, path: str | os.PathLike) -> Path:
        path = Path(path)
        with store.atomic_path(path) as tmp:
            with open(tmp, "w", newline="") as f:
                writer = csv.writer(f)
                writer.writerow([self.header(n) for n in self.columns])
                for row in zip(*self.columns.values()):
                    writer.writerow([self._text(v) for v in row])
        return path

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.columns)

    def data(self) -> dict[str, np.ndarray]:
        """The columns as arrays, for :func:`neuromodels.store.write`."""
        out = {}
        for name, col in self.columns.items():
            if all(isinstance(v, str) for v in col):
                out[name] = list(col) if col else np.array([], dtype=float)
            else:
                out[name] = np.asarray(col, dtype=float)
        return out


def _display_units(plan: SweepPlan) -> dict[str, Any]:
    """One display unit per swept parameter with a physical dimension (e.g. pA)."""
    from brian2 import Quantity, get_dimensions
    from brian2.units.fundamentalunits import DIMENSIONLESS

    units = {}
    for name, values in plan.grid.items():
        if all(isinstance(v, Quantity) and get_dimensions(v) is not DIMENSIONLESS
               and np.ndim(v) == 0 for v in values):
            units[name] = max(values, key=lambda v: abs(float(v))).get_best_unit()
    return units


def _grid_cell(plan, units, name, value):
    if name in units:
        return float(value / units[name])
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return str(value)


def _tables(plan: SweepPlan, records: Mapping[tuple, dict]) -> tuple[Table, Table, list[str]]:
    """(index, summary, measure names) from the records of every run."""
    units = _display_units(plan)
    measures: dict[str, str] = {}
    for rec in records.values():
        for name, (_, unit) in rec.get("measures", {}).items():
            measures.setdefault(name, unit)
    cols: dict[str, list] = {"point": [], **{n: [] for n in plan.grid}, "seed": [], "file": [],
                             "status": [], "error": [], "build_s": [], "simulation_s": [],
                             "total_s": [], "task_s": [], "build_reused": [], "host": [],
                             "worker": [], "started": [], "finished": [],
                             **{m: [] for m in measures}}
    for run in plan.runs:
        rec = records.get(run.key, {"status": "missing"})
        cols["point"].append(run.label)
        for name, value in run.point:
            cols[name].append(_grid_cell(plan, units, name, value))
        cols["seed"].append(run.seed)
        cols["file"].append(os.path.relpath(run.file, plan.directory))
        for key in ("status", "error", "host", "worker", "started", "finished"):
            cols[key].append(str(rec.get(key, "")))
        for key in ("build_s", "simulation_s", "total_s", "task_s"):
            cols[key].append(float(rec.get(key, math.nan)))
        cols["build_reused"].append(str(rec.get("build_reused", "")))
        for m in measures:
            cols[m].append(rec.get("measures", {}).get(m, (math.nan, ""))[0])
    col_units = {**{n: str(u) for n, u in units.items()}, **measures,
                 **{k: "s" for k in ("build_s", "simulation_s", "total_s", "task_s")}}
    index = Table(cols, col_units)

    summary: dict[str, list] = {"point": [], **{n: [] for n in plan.grid}, "n_seeds": [],
                                "n_failed": [], "n_missing": []}
    for m in measures:
        summary[f"{m}_mean"], summary[f"{m}_sd"] = [], []
    by_point: dict[str, list] = {}
    for run in plan.runs:
        by_point.setdefault(run.label, []).append(run)
    for label, runs in by_point.items():
        recs = [records.get(r.key, {"status": "missing"}) for r in runs]
        ok = [r for r in recs if r["status"] in ("done", "kept")]
        summary["point"].append(label)
        for name, value in runs[0].point:
            summary[name].append(_grid_cell(plan, units, name, value))
        summary["n_seeds"].append(len(ok))
        summary["n_failed"].append(sum(r["status"] == "failed" for r in recs))
        summary["n_missing"].append(sum(r["status"] == "missing" for r in recs))
        for m in measures:
            vals = np.array([r["measures"][m][0] for r in ok if m in r.get("measures", {})])
            summary[f"{m}_mean"].append(float(vals.mean()) if vals.size else math.nan)
            summary[f"{m}_sd"].append(float(vals.std(ddof=1)) if vals.size > 1 else math.nan)
    sum_units = {**{n: str(u) for n, u in units.items()},
                 **{f"{m}_{s}": u for m, u in measures.items() for s in ("mean", "sd")}}
    return index, Table(summary, sum_units), list(measures)


# ---------------------------------------------------------------- progress ------------

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


# ---------------------------------------------------------------- the driver ----------

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
        return f"<sweep of {self.plan.study.name} in {self.plan.directory}: {counts}>\n{self.summary}"


def _require_dask():
    try:
        import distributed
    except ImportError:
        raise StudyError(DASK_MISSING) from None
    return distributed


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


class _Workers:
    """The process groups of a local cluster's workers (see :func:`dask_setup`), ended when
    the cluster is closed, with whatever a killed or busy worker left running in them."""

    def __init__(self, client):
        self.client, self.groups, self.started = client, set(), time.time()

    def remember(self) -> None:
        with contextlib.suppress(Exception):
            self.groups.update(self.client.run(os.getpid).values())

    def end(self) -> None:
        import psutil

        def in_groups(proc):
            with contextlib.suppress(OSError, psutil.Error):
                return (os.getpgid(proc.pid) in self.groups
                        and proc.create_time() >= self.started - 1)  # not a reused number
            return False

        left = [p for p in psutil.process_iter() if p.pid != os.getpid() and in_groups(p)]
        for proc in left:
            with contextlib.suppress(psutil.Error):
                proc.terminate()
        _, alive = psutil.wait_procs(left, timeout=3)
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None, client):
    """``(client, local workers or None)``: the given client, a client of the scheduler at
    ``scheduler``, or a new ``LocalCluster`` of ``workers`` processes on 127.0.0.1."""
    distributed = _require_dask()
    if client is not None:
        yield client, None
        return
    if scheduler is not None:
        try:
            c = distributed.Client(scheduler, timeout="20s")
        except Exception as err:
            raise StudyError(f"cannot reach the Dask scheduler at {scheduler}: "
                             f"{_one_line(err)}") from None
        try:
            yield c, None
        finally:
            c.close()
        return
    import logging

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None,
                                       silence_logs=logging.ERROR, preload=[__name__])
    c = distributed.Client(cluster)
    local = _Workers(c)
    local.remember()
    try:
        yield c, local
    finally:
        local.remember()
        with contextlib.suppress(Exception):
            c.close()
        with contextlib.suppress(Exception):
            cluster.close()
        local.end()


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
                    report(SweepProgress(counts["done"], counts["failed"], min(running, len(pending)),
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


# ---------------------------------------------------------------- the figure ----------

def plot_sweep(data_path: str | os.PathLike, fig_path: str | os.PathLike | None = None) -> Path:
    """Draw a sweep's figure from its ``sweep.h5``: each measure against the first swept
    parameter (one line per value of the others), mean +- sd over seeds, seeds as dots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = store.read(data_path)
    attrs, summary, index = data["attrs"], data["summary"], data["index"]
    units = attrs.get("units", {})
    names, measures = list(attrs.get("grid_names", [])), list(attrs.get("measures", []))
    numeric = [n for n in names if not isinstance(summary[n], list)]
    x_name = next((n for n in numeric if len(attrs["grid"][n]) > 1), None)
    others = [n for n in names if n != x_name]

    def labels(table, k):
        return ", ".join(f"{n}={_cell(table[n][k])}" for n in others) or None

    def xs(table):
        if x_name is None:
            return np.zeros(len(table["point"]))
        return np.asarray(table[x_name], dtype=float)

    ncol = 2 if len(measures) == 4 else min(len(measures), 3)
    nrow = math.ceil(len(measures) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False)
    sx, ix = xs(summary), xs(index)
    groups = {}
    for k in range(len(summary["point"])):
        groups.setdefault(labels(summary, k), []).append(k)
    ok = np.isin(np.asarray(index["status"]), ["done", "kept"])
    for ax, m in zip(axes.flat, measures):
        unit = units.get("summary", {}).get(f"{m}_mean", "")
        for color, (label, ks) in enumerate(groups.items()):
            ks = np.array(ks)[np.argsort(sx[ks])]
            mean, sd = np.asarray(summary[f"{m}_mean"])[ks], np.asarray(summary[f"{m}_sd"])[ks]
            ax.errorbar(sx[ks], mean, yerr=np.nan_to_num(sd), marker="o", capsize=3,
                        color=f"C{color}", label=(label + ", " if label else "") + "mean ± sd")
            rows = ok & np.array([labels(index, k) == label for k in range(len(ix))])
            ax.plot(ix[rows], np.asarray(index[m])[rows], ".", color=f"C{color}", alpha=0.35,
                    label="single seeds" if color == 0 else None)
        ax.set(ylabel=f"{m} ({unit})" if unit else m,
               xlabel=(f"{x_name} ({units['summary'][x_name]})" if x_name in units.get("summary", {})
                       else x_name) if x_name else "")
        if x_name is None:
            ax.set_xticks([])
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    seeds = attrs.get("seeds", [])
    fig.suptitle(f"{attrs.get('study')} sweep: mean ± sd over {len(seeds)} seeds "
                 f"({_seed_text(seeds)}); device {attrs.get('device')}"
                 + (", quick" if attrs.get("quick") else ""), fontsize=10)
    fig.tight_layout()
    fig_path = Path(fig_path) if fig_path is not None else Path(data_path).with_suffix(".png")
    with store.atomic_path(fig_path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return fig_path


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))
