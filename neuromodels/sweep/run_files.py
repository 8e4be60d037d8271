"""One run's results file: whether it is a valid result of a run (same run, same code),
its measures, and its row of the index."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from .. import store
from ..parameters import format_value
from ..study import Study, StudyError
from .plan import Run, SweepPlan


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


def _file_record(study: Study, path: Path) -> dict[str, Any]:
    attrs = store.read_attrs(path)
    timings = attrs.get("timings") or {}
    return {"build_s": timings.get("build", math.nan),
            "simulation_s": timings.get("simulation", math.nan),
            "total_s": timings.get("total", math.nan),
            "build_reused": bool(attrs.get("build_reused", False)),
            "measures": {k: (float(v[0]), u) for k, (v, u) in run_measures(study, path).items()}}
