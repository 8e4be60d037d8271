"""What a sweep runs: the seeds, the grid and every run (grid point x seed) with its
file, checked against the study's parameters (names, units, ranges) before anything runs."""
from __future__ import annotations

import hashlib
import itertools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..devices import can_rerun, check_device
from ..parameters import ParameterError, canonical, format_value, parse_value
from ..study import Study, StudyError, get_study, resolve_parameters, run_seeds


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

    if (isinstance(value, Quantity) and get_dimensions(value) is not DIMENSIONLESS
            and np.ndim(value) == 0):
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
        stems = [f"{study.name}__"
                 + hashlib.sha1(repr([(k, canonical(v)) for k, v in r.point]).encode())
                 .hexdigest()[:12]
                 + f"__seed{r.seed}"
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
