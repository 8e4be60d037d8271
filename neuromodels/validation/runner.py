"""Running checks: one outcome per (model, check), progress, the table, the HDF5 file.

:func:`run_check` runs one check on one model on one device and is what the tests call;
:func:`validate` runs a list of models (from :func:`~neuromodels.validation.catalogue.
resolve`) and reports progress; :func:`table` is the Markdown table (model, check,
reference, measured error, tolerance, pass/fail, device, seconds); :func:`write` stores the
outcomes through :func:`neuromodels.store.write` (atomic, with provenance) and
:func:`read` reads them back.  The README quotes the committed quick run between
``<!-- validation -->`` and ``<!-- /validation -->`` (:func:`update_readme`).
"""
from __future__ import annotations

import re
import tempfile
import time
from typing import Callable, Iterable

import numpy as np

from .. import store
from ..errors import UserError
from ..parameters import ParameterError
from ..results import sig, table as markdown_table
from .check import SIZES, Check, Outcome
from .errors import Unavailable, ValidationError

__all__ = ["run_check", "validate", "table", "write", "read", "update_readme", "README_BLOCK"]

#: the README block that quotes the committed quick run (``data/validation.h5``)
README_BLOCK = re.compile(r"(<!-- validation -->\n)(?P<body>.*?)(<!-- /validation -->)", re.S)

_COLUMNS = ("model", "check", "reference", "measured error", "tolerance", "result", "device",
            "seconds")


def run_check(check: Check, model, name: str = "", *, size: str = "quick",
              device: str = "runtime", seed: int = 0, build_root=None) -> Outcome:
    """Run ``check`` on ``model`` (shown as ``name``) at ``size`` on ``device``.

    A check that does not apply to the model, or cannot run here (a missing package, a
    device the check does not support), gives ``passed=None`` and the reason in ``note``.
    """
    from ..devices import brian2_settings, use_device

    tolerance = check.tolerance_at(size)
    row = dict(model=name or getattr(model, "name", "model"), check=check.name,
               reference=check.reference, tolerance=tolerance, error_unit=check.error_unit,
               device=device)
    reason = check.applies(model)
    if reason is None and device not in check.devices:
        reason = f"runs on {', '.join(check.devices)}, not {device}"
    if reason is not None:
        return Outcome(**row, error=np.nan, passed=None, seconds=0.0, note=reason)
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="neuromodels-validate-") as tmp, \
                use_device(device, seed=seed, build_root=build_root or tmp, verbose=False,
                           what=f"check {check.name!r}") as session, \
                brian2_settings(target="numpy" if device == "runtime" and check.numpy_target
                                else None):
            error = float(check.measure(model, check.size(size), session.run))
    except Unavailable as why:
        return Outcome(**row, error=np.nan, passed=None, seconds=time.perf_counter() - start,
                       note=f"not run: {why}")
    except (UserError, ParameterError) as err:  # the model cannot be built as the check needs
        return Outcome(**row, error=np.nan, passed=False, seconds=time.perf_counter() - start,
                       note=f"{type(err).__name__}: {str(err).splitlines()[0]}")
    passed = bool(np.isfinite(error) and error <= tolerance)
    return Outcome(**row, error=error, passed=passed, seconds=time.perf_counter() - start)


def _check_inputs(size: str, device: str) -> None:
    from ..devices import available_devices

    if size not in SIZES:
        raise ValidationError(f"size must be one of {', '.join(SIZES)}; got {size!r}")
    devices = available_devices()
    if device not in devices:
        raise ValidationError(f"unknown device {device!r}; known: {', '.join(devices)}")
    if devices[device] is not None:
        raise ValidationError(f"device {device} cannot run here: {devices[device]}")


def validate(targets: Iterable[tuple[str, object, tuple[Check, ...]]], *, size: str = "quick",
             device: str = "runtime", seed: int = 0,
             progress: Callable[[str], None] | None = None) -> list[Outcome]:
    """Every check of every ``(name, model, checks)`` target; ``progress(line)`` is told
    what runs and how it ended.  Inputs are checked before anything runs."""
    _check_inputs(size, device)
    jobs = [(name, model, check) for name, model, checks in targets for check in checks]
    outcomes = []
    for k, (name, model, check) in enumerate(jobs, 1):
        if progress:
            progress(f"[{k}/{len(jobs)}] {name}: {check.name} ...")
        outcome = run_check(check, model, name, size=size, device=device, seed=seed)
        outcomes.append(outcome)
        if progress:
            detail = outcome.note if outcome.passed is None else (
                f"error {_error(outcome)}, tolerance {sig(outcome.tolerance)}")
            progress(f"[{k}/{len(jobs)}] {name}: {check.name}: {outcome.status} ({detail}; "
                     f"{outcome.seconds:.1f} s)")
    return outcomes


def _error(o: Outcome) -> str:
    if not np.isfinite(o.error) and o.note:
        return "–"
    return f"{sig(o.error)} {o.error_unit}".strip()


def table(outcomes: Iterable[Outcome]) -> str:
    """The outcomes as a Markdown table, one row per (model, check); a check that did not
    run shows why in place of its result."""
    rows = [(o.model, o.check, o.reference, _error(o), f"{sig(o.tolerance)} {o.error_unit}".strip(),
             f"{o.status}: {o.note}" if o.note else o.status, o.device,
             f"{o.seconds:.1f}") for o in outcomes]
    return markdown_table(_COLUMNS, [[str(c).replace("|", "\\|") for c in row] for row in rows])


def write(path, outcomes: list[Outcome], *, size: str, device: str, command: str = "") -> None:
    """The outcomes as one HDF5 file (a dataset per column), atomically, with the provenance
    of :func:`neuromodels.store.provenance` and ``size``, ``device``, ``command``."""
    columns = {
        "model": [o.model for o in outcomes], "check": [o.check for o in outcomes],
        "reference": [o.reference for o in outcomes],
        "error": np.array([o.error for o in outcomes], float),
        "tolerance": np.array([o.tolerance for o in outcomes], float),
        "error_unit": [o.error_unit or "-" for o in outcomes],
        "result": [o.status for o in outcomes], "device": [o.device for o in outcomes],
        "seconds": np.array([o.seconds for o in outcomes], float),
        "note": [o.note or "-" for o in outcomes],
    }
    if not outcomes:
        raise ValidationError("no checks ran: nothing to write")
    attrs = {**store.provenance(), "size": size, "device": device, "command": command,
             "failed": sum(o.passed is False for o in outcomes)}
    store.write(path, {"validation": columns}, attrs)


def read(path) -> list[Outcome]:
    """The outcomes stored by :func:`write`."""
    data = store.read(path)["validation"]
    status = {"pass": True, "FAIL": False, "n/a": None}
    return [Outcome(model=m, check=c, reference=r, error=float(e), tolerance=float(t),
                    error_unit="" if u == "-" else u, passed=status[s], device=d,
                    seconds=float(sec), note="" if n == "-" else n)
            for m, c, r, e, t, u, s, d, sec, n in zip(
                data["model"], data["check"], data["reference"], data["error"],
                data["tolerance"], data["error_unit"], data["result"], data["device"],
                data["seconds"], data["note"])]


def update_readme(text: str, data_path) -> str:
    """``text`` (a README) with its ``<!-- validation -->`` block rewritten from the stored
    run ``data_path``; a :class:`ValidationError` if the README has no such block."""
    if not README_BLOCK.search(text):
        raise ValidationError("the README has no <!-- validation --> ... <!-- /validation --> "
                              "block to fill")
    body = table(read(data_path))
    return README_BLOCK.sub(lambda m: m.group(1) + body + m.group(3), text)
