"""What a study is: parameters, a simulation that returns data, and a plot of that data.

A study script in ``studies/`` defines one :class:`Study` named ``STUDY``.
:func:`run_study` checks everything (device, parameters, output folder)
before any simulation, runs ``simulate``, writes one HDF5 file with the data
and its provenance (:mod:`neuromodels.store`), then draws the figure *from
that file*.  :func:`plot_study` re-draws a figure from a stored file without
simulating.  :func:`discover` finds the studies in a folder.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from . import store
from .devices import ALL_DEVICES, DEFAULT_DEVICE, DeviceSession, check_device, use_device
from .parameters import ParameterSet, format_value

__all__ = ["Study", "RunContext", "run_study", "plot_study", "discover", "results_paths",
           "StudyError"]


class StudyError(ValueError):
    """An unknown study, or a study asked to do something it cannot."""


@dataclass
class RunContext:
    """What a study's ``simulate`` gets besides its parameters.

    ``rng`` is a numpy generator seeded with ``seed`` (draw connectivity and
    initial values with it, so the network is the same on every device);
    ``run(net, duration)`` runs a Brian2 network on the chosen device with
    progress reports; ``progress(msg)`` prints a progress line.
    """

    seed: int
    session: DeviceSession
    quick: bool = False
    verbose: bool = True
    rng: np.random.Generator = field(init=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)

    @property
    def device(self) -> str:
        return self.session.name

    def run(self, net, duration) -> None:
        self.session.run(net, duration, report="text" if self.verbose else None)

    def progress(self, message: str) -> None:
        if self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass(frozen=True)
class Study:
    """A study: ``simulate(params, ctx) -> data`` and ``plot(data) -> Figure``.

    ``data`` is a nested dict of arrays/quantities/strings (see
    :mod:`neuromodels.store`); put model equations under ``data['equations']``.
    ``quick`` holds parameter overrides for a reduced run (well under a minute).
    ``check(params)`` (optional) raises ``ParameterError`` for combinations of
    values that are each valid alone but not together; it runs before any
    simulation.
    """

    name: str
    title: str
    simulate: Callable[[dict, RunContext], dict]
    plot: Callable[[dict], Any]
    parameters: ParameterSet
    quick: Mapping[str, Any] = field(default_factory=dict)
    devices: tuple[str, ...] = ALL_DEVICES
    default_device: str = DEFAULT_DEVICE
    reference: str = ""
    source: str = ""
    check: Callable[[dict], None] | None = None

    def summary(self) -> str:
        return f"{self.name:<24} {self.title}"


def results_paths(name: str, *, quick: bool = False, out: str | os.PathLike | None = None,
                  root: str | os.PathLike = ".") -> tuple[Path, Path]:
    """(data file, figure file) of a study run: ``data/NAME.h5`` and ``figures/NAME.png``.

    ``--quick`` runs write ``NAME.quick.*`` (git-ignored); ``out`` puts both in one folder.
    """
    stem = f"{name}.quick" if quick else name
    if out is not None:
        return Path(out) / f"{stem}.h5", Path(out) / f"{stem}.png"
    root = Path(root)
    return root / "data" / f"{stem}.h5", root / "figures" / f"{stem}.png"


def _check_writable(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StudyError(f"Cannot create output folder {path.parent}: {err.strerror}") from None
    if not os.access(path.parent, os.W_OK):
        raise StudyError(f"Output folder {path.parent} is not writable.")


def run_study(study: Study, *, device: str | None = None, threads: int | None = None,
              use_gpu: bool = False,
              seed: int = 0, quick: bool = False, out: str | os.PathLike | None = None,
              params: Mapping[str, Any] | None = None, verbose: bool = True,
              figure: bool = True, root: str | os.PathLike = ".") -> Path:
    """Run ``study`` and write its data file (and figure); return the data file's path.

    Every check (device, parameters, seed, output folder) happens before the
    simulation starts; the data file and the figure are written atomically.
    """
    device = device or study.default_device
    check_device(device, study.devices, threads=threads, use_gpu=use_gpu,
                 what=f"Study '{study.name}'")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise StudyError(f"seed must be a whole number in [0, 2**32); got {seed!r}.")
    values = dict(study.quick) if quick else {}
    values.update(params or {})
    resolved = study.parameters.resolve(values)
    if study.check is not None:
        study.check(resolved)
    data_path, fig_path = results_paths(study.name, quick=quick, out=out, root=root)
    _check_writable(data_path)
    _check_writable(fig_path)

    started = time.perf_counter()
    with use_device(device, supported=study.devices, threads=threads, use_gpu=use_gpu, seed=int(seed),
                    what=f"Study '{study.name}'") as session:
        ctx = RunContext(seed=int(seed), session=session, quick=quick, verbose=verbose)
        ctx.progress(f"{study.name}: simulating on {device}" + (" (quick)" if quick else ""))
        data = study.simulate(resolved, ctx)
    timings = dict(session.timings, total=time.perf_counter() - started)
    attrs = {
        "study": study.name,
        "title": study.title,
        "reference": study.reference,
        "quick": quick,
        **session.provenance,
        "timings": timings,
        "parameters": {k: format_value(v) for k, v in resolved.items()},
        **store.provenance(),
    }
    data = dict(data)
    data.setdefault("parameters", {k: v for k, v in resolved.items()})
    store.write(data_path, data, attrs)
    if verbose:
        print(f"wrote {data_path}  (simulation {timings['simulation']:.2f} s, "
              f"build {timings['build']:.2f} s, total {timings['total']:.2f} s)", flush=True)
    if figure:
        plot_study(study, data_path, fig_path, verbose=verbose)
    return data_path


def plot_study(study: Study, data_path: str | os.PathLike, fig_path: str | os.PathLike,
               verbose: bool = True) -> Path:
    """Draw ``study``'s figure from the stored file ``data_path`` (no simulation)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = store.read(data_path)
    fig = study.plot(data)
    fig_path = Path(fig_path)
    with store.atomic_path(fig_path) as tmp:
        fig.savefig(tmp, dpi=120, format=fig_path.suffix.lstrip(".") or "png")
    plt.close(fig)
    if verbose:
        print(f"wrote {fig_path}", flush=True)
    return fig_path


def _load_study_file(path: Path) -> Study:
    module_name = f"neuromodels_study_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    study = getattr(module, "STUDY", None)
    if not isinstance(study, Study):
        raise StudyError(f"{path} defines no STUDY = Study(...)")
    return study


def default_study_dirs() -> list[Path]:
    """``$NEUROMODELS_STUDIES`` (os.pathsep-separated), else ``./studies``, else the repository's."""
    env = os.environ.get("NEUROMODELS_STUDIES")
    if env:
        return [Path(p) for p in env.split(os.pathsep) if p]
    dirs = [Path.cwd() / "studies", Path(__file__).resolve().parent.parent / "studies"]
    seen, out = set(), []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.add(d.resolve())
            out.append(d)
    return out[:1]


def discover(dirs: list[Path] | None = None, unavailable: dict[str, str] | None = None) -> dict[str, Study]:
    """All studies defined in the study folders, by name.

    A study file that cannot be loaded (a dependency from an optional extra is
    missing, or the file is broken) is left out; pass a dict as ``unavailable``
    to learn which files and why.
    """
    studies: dict[str, Study] = {}
    for d in dirs if dirs is not None else default_study_dirs():
        for path in sorted(Path(d).glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                study = _load_study_file(path)
            except ImportError as err:
                if unavailable is not None:
                    unavailable[path.stem] = f"{err} (install the extra that provides it)"
                continue
            except Exception as err:  # a broken study file must not hide the others
                if unavailable is not None:
                    unavailable[path.stem] = f"{type(err).__name__}: {err}"
                continue
            object.__setattr__(study, "source", str(path))
            studies[study.name] = study
    return studies


def get_study(name: str, dirs: list[Path] | None = None) -> Study:
    unavailable: dict[str, str] = {}
    studies = discover(dirs, unavailable)
    if name not in studies:
        known = ", ".join(sorted(studies)) or "none found"
        hint = "".join(f"; {file}.py cannot be loaded here: {why}" for file, why in unavailable.items())
        raise StudyError(f"Unknown study {name!r}; known studies: {known}{hint}.")
    return studies[name]
