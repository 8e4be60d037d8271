"""Results files in the field's exchange formats: NWB (``pynwb``) and Neo (``neo``, for Elephant).

What is exported is found by rule in any results file (this module knows no model and no study):

spike trains
    every group holding 1-d arrays ``t`` (with a time unit) and ``i`` (neuron indices) of the
    same length, the layout of a Brian2 ``SpikeMonitor``.  The neuron count is the group's
    sibling ``n`` (``populations/cuba/n`` for ``populations/cuba/spikes``) when present, else
    ``max(i) + 1``.  A ``t`` without a time unit (times in units of a model's time constant)
    is not a spike train in seconds: such groups are skipped and listed in ``skipped``.
recorded state variables
    in every other group holding a 1-d ``t`` with a time unit, each array whose last axis has
    ``len(t)`` entries (a ``StateMonitor``'s ``(recorded, time)`` layout) is a trace sampled at
    ``t``.
equations, parameters, provenance
    every text under a key named ``equations``, the ``parameters`` group (values with units)
    and the file attributes (see :mod:`neuromodels.store`).

NWB (:func:`to_nwb`): one row of the ``units`` table per neuron (``spike_times`` in s, columns
``population`` = the group's path and ``neuron`` = its index there); each trace an
``acquisition`` ``TimeSeries`` (time first, SI values, ``unit``); a processing module
``neuromodels`` with tables ``equations``, ``parameters`` and ``provenance``.  The file is
checked with pynwb's validator before it replaces anything.
Neo (:func:`to_neo`): a pickled ``neo.Block`` (``neo.io.PickleIO``; ``.nix`` would need
``nixio``) with one ``Segment``: a ``SpikeTrain`` per neuron (annotations ``population``,
``neuron``), ``t_stop`` the file's ``parameters/duration`` when present, else the last spike;
one ``neo.Group`` per population; traces as ``IrregularlySampledSignal``; the equations,
parameters and provenance as the block's annotations.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from brian2 import Quantity, get_dimensions, second
from brian2.units.fundamentalunits import DIMENSIONLESS, get_unit

from . import __version__, store
from .analysis.spiketrains import split_trains
from .errors import UserError

__all__ = ["FORMATS", "ExportError", "SpikeTrains", "Trace", "Contents", "contents",
           "default_path", "export", "to_nwb", "to_neo"]

#: format -> suffix of the default output file (next to the results file)
FORMATS = {"nwb": ".nwb", "neo": ".neo.pkl"}
_SI = ("m", "kg", "s", "A", "K", "mol", "cd")  # Brian2's order of the seven dimensions


class ExportError(UserError):
    """A results file that cannot be exported as asked (nothing to export, an output in the
    way, the ``export`` extra not installed)."""


@dataclass
class SpikeTrains:
    """One spike-train group: ``t`` (s) and ``i`` of each spike, ``n`` neurons."""
    path: str
    t: np.ndarray
    i: np.ndarray
    n: int

    def trains(self) -> list[np.ndarray]:
        """The sorted spike times (s) of each of the ``n`` neurons."""
        return split_trains(self.i, self.t, self.n)


@dataclass
class Trace:
    """A recorded variable ``values`` (SI, time on the last axis) sampled at ``t`` (s)."""
    path: str
    t: np.ndarray
    values: np.ndarray
    unit: str          # SI unit as the results file writes it, "" when dimensionless
    dimensions: tuple  # exponents of m, kg, s, A, K, mol, cd


@dataclass
class Contents:
    """What :func:`contents` found in a results file."""
    source: Path
    spikes: list[SpikeTrains]
    traces: list[Trace]
    equations: dict[str, str]
    parameters: dict[str, Quantity]
    attrs: dict
    skipped: list[str]


def _is_time(value) -> bool:
    return isinstance(value, Quantity) and get_dimensions(value) == second.dim


def _walk(group: dict, path: str, parent: dict, found: Contents) -> None:
    """Add the spike trains, traces and equations of ``group`` (at ``path``, inside
    ``parent``) and of its subgroups to ``found``."""
    t = group.get("t")
    is_array = t is not None and not isinstance(t, (dict, str, list)) and np.ndim(t) == 1
    i = group.get("i")
    if is_array and i is not None and np.ndim(i) == 1 and len(i) == len(t):
        if not _is_time(t):
            found.skipped.append(f"{path}: t has no time unit")
            return
        i = np.asarray(i)
        n = parent.get("n")
        n = int(n) if n is not None and np.ndim(n) == 0 else (int(i.max()) + 1 if i.size else 0)
        found.spikes.append(SpikeTrains(path or "/", np.asarray(t), i, n))
        return
    if is_array and _is_time(t):
        for key, value in group.items():
            if key != "t" and not isinstance(value, (dict, str, list)) \
                    and np.ndim(value) >= 1 and np.shape(value)[-1] == len(t):
                dim = get_dimensions(value)
                found.traces.append(Trace(f"{path}/{key}", np.asarray(t), np.asarray(value),
                                          _unit(value),
                                          tuple(float(dim._dims[k]) for k in range(7))))
    for key, value in group.items():
        sub = f"{path}/{key}" if path else key
        if isinstance(value, dict):
            _walk(value, sub, group, found)
        elif isinstance(value, str) and "equations" in sub.split("/"):
            found.equations[sub] = value


def contents(source: str | os.PathLike) -> Contents:
    """The spike trains, traces, equations, parameters and provenance of a results file
    (the rules are in this module's docstring); :class:`ExportError` when it has no spike
    trains and no traces."""
    data = store.read(source)
    found = Contents(Path(source), [], [], {}, {}, dict(data["attrs"]), [])
    _walk({k: v for k, v in data.items() if k != "attrs"}, "", {}, found)
    found.parameters = dict(data.get("parameters", {}))
    for trains in found.spikes:
        if trains.i.size and trains.i.max() >= trains.n:
            raise ExportError(f"{source}: {trains.path} has neuron index {trains.i.max()} but "
                              f"its n is {trains.n}")
    if not found.spikes and not found.traces:
        raise ExportError(
            f"{source} holds no spike trains (a group with arrays t [time] and i) and no "
            f"recorded state variables (arrays beside a time array t): nothing to export"
            + (f" ({'; '.join(found.skipped)})" if found.skipped else ""))
    return found


def _duration(found: Contents) -> float:
    last = max((float(s.t.max()) for s in found.spikes if s.t.size), default=0.0)
    duration = found.parameters.get("duration")
    if _is_time(duration) and np.ndim(duration) == 0:
        return max(float(duration), last)
    return last


def _text(value) -> str:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return value if isinstance(value, str) else str(value)


def _si(value) -> float:
    """A scalar number in SI base units, NaN for anything else (a text, an array)."""
    try:
        return float(np.asarray(value)) if np.ndim(value) == 0 else np.nan
    except (TypeError, ValueError):
        return np.nan


def _unit(value) -> str:
    dim = get_dimensions(value) if isinstance(value, Quantity) else DIMENSIONLESS
    return "" if dim is DIMENSIONLESS else str(get_unit(dim))


def _script(attrs: dict) -> dict:
    """NWB's ``source_script`` fields: the study script's text when it is still the one that
    ran (same SHA-256), else nothing (the provenance table names it either way)."""
    script = Path(str(attrs.get("study_file") or ""))
    if script.is_file() and hashlib.sha256(script.read_bytes()).hexdigest() == \
            attrs.get("study_sha256"):
        return {"source_script": script.read_text(), "source_script_file_name": str(script)}
    return {}


def to_nwb(found: Contents, path: str | os.PathLike) -> None:
    """Write ``found`` as an NWB file at ``path`` (layout in this module's docstring)."""
    from hdmf.common import DynamicTable
    from pynwb import NWBHDF5IO, NWBFile, TimeSeries

    attrs = found.attrs
    try:
        start = datetime.fromisoformat(str(attrs.get("created")))
    except ValueError:
        start = datetime.fromtimestamp(found.source.stat().st_mtime, timezone.utc)
    nwb = NWBFile(
        session_description=_text(attrs.get("title", found.source.stem)),
        identifier=hashlib.sha256(found.source.read_bytes()).hexdigest(),
        session_start_time=start, experiment_description=_text(attrs.get("title", "")),
        related_publications=[_text(attrs["reference"])] if attrs.get("reference") else None,
        **_script(attrs),
        was_generated_by=[["neuromodels", __version__]],
        notes="\n\n".join(f"{name}:\n{eqs}" for name, eqs in found.equations.items()) or None)
    if found.spikes:
        nwb.add_unit_column("population", "the results file's group holding the spikes")
        nwb.add_unit_column("neuron", "the neuron's index in its population")
    for trains in found.spikes:
        for k, times in enumerate(trains.trains()):
            nwb.add_unit(spike_times=times, population=trains.path, neuron=k)
    for trace in found.traces:
        nwb.add_acquisition(TimeSeries(
            name=trace.path.replace("/", "."), description=f"{trace.path} of {found.source}",
            data=np.moveaxis(trace.values, -1, 0), timestamps=trace.t,
            unit=trace.unit or "dimensionless"))
    module = nwb.create_processing_module("neuromodels", "the model and the run that made it")
    for name, columns in {
        "equations": {"path": list(found.equations), "equations": list(found.equations.values())},
        "parameters": {"parameter": list(found.parameters),
                       "value": [_text(v) for v in found.parameters.values()],
                       "si_value": [_si(v) for v in found.parameters.values()],
                       "unit": [_unit(v) for v in found.parameters.values()]},
        "provenance": {"key": list(found.attrs), "value": [_text(v) for v in attrs.values()]},
    }.items():
        table = DynamicTable(name=name, description=f"the results file's {name}")
        for column in columns:
            table.add_column(column, column)
        for row in zip(*columns.values()):
            table.add_row(dict(zip(columns, row)))
        module.add(table)
    with warnings.catch_warnings():  # the temporary file's name ends in .nwb.tmp
        warnings.filterwarnings("ignore", "The file path provided", UserWarning)
        with NWBHDF5IO(str(path), "w") as io:
            io.write(nwb)


def _pq_unit(trace: Trace):
    import quantities as pq

    unit = pq.dimensionless
    for symbol, power in zip(_SI, trace.dimensions):
        if power:
            unit = unit * getattr(pq, symbol) ** power
    return unit


def to_neo(found: Contents, path: str | os.PathLike) -> None:
    """Write ``found`` as a pickled ``neo.Block`` at ``path`` (layout in this module's
    docstring)."""
    import quantities as pq
    from neo import Block, Group, IrregularlySampledSignal, Segment, SpikeTrain
    from neo.io import PickleIO

    block = Block(name=found.attrs.get("study", found.source.stem),
                  description=_text(found.attrs.get("title", "")), file_origin=str(found.source),
                  equations=found.equations,
                  parameters={k: _text(v) for k, v in found.parameters.items()},
                  provenance={k: _text(v) for k, v in found.attrs.items()})
    segment = Segment(name="run")
    block.segments.append(segment)
    t_stop = _duration(found)
    for trains in found.spikes:
        group = Group(name=trains.path, n=trains.n)
        for k, times in enumerate(trains.trains()):
            train = SpikeTrain(times, units=pq.s, t_start=0 * pq.s, t_stop=t_stop,
                               name=f"{trains.path}[{k}]", population=trains.path, neuron=k)
            segment.spiketrains.append(train)
            group.add(train)
        block.groups.append(group)
    for trace in found.traces:
        segment.irregularlysampledsignals.append(IrregularlySampledSignal(
            trace.t * pq.s, np.moveaxis(trace.values, -1, 0), units=_pq_unit(trace),
            name=trace.path))
    PickleIO(str(path)).write_block(block)


def default_path(source: str | os.PathLike, fmt: str) -> Path:
    """``data/NAME.h5`` -> ``data/NAME.nwb`` or ``data/NAME.neo.pkl``."""
    return Path(source).with_suffix(FORMATS[fmt])


def export(source: str | os.PathLike, fmt: str, out: str | os.PathLike | None = None,
           force: bool = False) -> tuple[Path, Contents]:
    """Write results file ``source`` as ``fmt`` (``'nwb'`` or ``'neo'``) to ``out`` (default
    :func:`default_path`), atomically; an existing ``out`` is replaced only with ``force``
    and never when it is ``source``."""
    if fmt not in FORMATS:
        raise ExportError(f"--to must be one of {', '.join(FORMATS)}; got {fmt!r}")
    found = contents(source)
    out = Path(out) if out is not None else default_path(source, fmt)
    if out.exists() and out.resolve() == Path(source).resolve():
        raise ExportError(f"--out {out} is the results file itself; name another file")
    if out.exists() and not force:
        raise ExportError(f"{out} exists; pass --force to replace it, or --out another file")
    package = {"nwb": "pynwb", "neo": "neo"}[fmt]
    try:
        __import__(package)
    except ImportError:
        raise ExportError(f"--to {fmt} needs the package {package}, from the extra `export`: "
                          f"pip install 'neuromodels[export]'") from None
    with store.atomic_path(out) as tmp:
        (to_nwb if fmt == "nwb" else to_neo)(found, tmp)
        if fmt == "nwb":
            from pynwb import validate

            errors = validate(path=str(tmp))
            if errors:  # our bug, not the user's: nothing is written
                raise RuntimeError(f"pynwb's validator rejects the NWB file: {errors[0]}")
    return out, found
