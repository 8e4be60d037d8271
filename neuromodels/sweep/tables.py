"""The index (one row per run) and the summary (mean and sd over seeds per grid point)
of a sweep, as tables with units."""
from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .. import store
from .plan import SweepPlan

STATUSES = ("done", "kept", "failed", "missing")


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
