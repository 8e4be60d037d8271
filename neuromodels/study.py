"""What a study is: parameters, a simulation that returns data, and a plot of that data.

A study script in ``studies/`` defines one :class:`Study` named ``STUDY``.
:func:`run_study` checks everything (device, parameters, output folder)
before any simulation, runs ``simulate``, writes one HDF5 file with the data
and its provenance (:mod:`neuromodels.store`), then draws the figure *from
that file*.  :func:`plot_study` re-draws a figure from a stored file without
simulating.  :func:`discover` finds the studies: the shipped ones plus a
user's own folders (``./studies``, ``$NEUROMODELS_STUDIES``).

Ctrl-C (SIGINT) during a run is handled here, once: whether it arrives during a
C++ build, the simulation, or a JAX computation that swallows it, the run stops
with :class:`StudyInterrupted`, the build directory and temporary files are
removed, and nothing after the interrupt can replace the previous results file.
"""
from __future__ import annotations

import importlib.util
import os
import re
import signal
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
           "StudyError", "StudyInterrupted", "shipped_study_dir", "study_origin"]


class StudyError(ValueError):
    """An unknown study, or a study asked to do something it cannot."""


class StudyInterrupted(KeyboardInterrupt):
    """A study run stopped by Ctrl-C (SIGINT); the message says what was kept."""


class _InterruptGuard:
    """Records SIGINT during a run.  While the run computes, SIGINT also raises
    KeyboardInterrupt; while files are written it only sets the flag, which
    :meth:`check` turns into :class:`StudyInterrupted` before a file is replaced.
    Outside the main thread no handler can be installed (Python delivers SIGINT
    to the main thread only) and the guard records nothing."""

    def __init__(self):
        self.interrupted = False
        self.raising = True
        self._installed = False
        self._previous = None

    def _handle(self, signum, frame):
        self.interrupted = True
        if self.raising:
            raise KeyboardInterrupt

    def __enter__(self):
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        except ValueError:  # not the main thread
            pass
        return self

    def __exit__(self, *exc):
        if self._installed:  # None: the previous handler was not set from Python
            signal.signal(signal.SIGINT, self._previous if self._previous is not None
                          else signal.default_int_handler)

    def check(self, message: str = "interrupted; the previous results file is kept") -> None:
        if self.interrupted:
            raise StudyInterrupted(message)


def _build_interrupted(err: BaseException) -> bool:
    """Whether ``err`` is Brian2's "Project compilation failed (error code: N)" for a
    ``make`` stopped by SIGINT (Ctrl-C reaches the compiler while Brian2 waits in
    ``os.system``, which ignores SIGINT itself, so Python sees only the failed build)."""
    match = re.search(r"compilation failed \(error code: (\d+)\)", str(err))
    if not isinstance(err, RuntimeError) or not match:
        return False
    status = int(match.group(1))
    return ((os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT)
            or (os.WIFEXITED(status) and os.WEXITSTATUS(status) == 128 + signal.SIGINT))


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
    interrupt: _InterruptGuard | None = field(default=None, repr=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)

    @property
    def device(self) -> str:
        return self.session.name

    def _stop_if_interrupted(self) -> None:
        # a KeyboardInterrupt swallowed inside the study (e.g. by a JAX callback) stops it here
        if self.interrupt is not None:
            self.interrupt.check()

    def run(self, net, duration) -> None:
        self._stop_if_interrupted()
        self.session.run(net, duration, report="text" if self.verbose else None)

    def progress(self, message: str) -> None:
        self._stop_if_interrupted()
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
    simulation.  ``results(data)`` (optional) returns Markdown tables of the
    headline numbers, computed from the stored file (:mod:`neuromodels.results`;
    ``neuromodels results NAME``, and the README's results blocks).
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
    results: Callable[[dict], str] | None = None

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
    """Raise :class:`StudyError` unless ``path`` can be written (its folder created)."""
    if path.is_dir():
        raise StudyError(f"Output file {path} is a folder; remove it or choose another --out.")
    folder = path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StudyError(f"Output folder {folder} is a file, not a folder." if existing == folder
                         else f"Output folder {folder} cannot be created: {existing} is a file.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StudyError(f"Cannot create output folder {folder}: {err.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise StudyError(f"Output folder {folder} is not writable.")


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

    kept = "interrupted; the previous results file is kept"
    with _InterruptGuard() as guard:
        started = time.perf_counter()
        try:
            with use_device(device, supported=study.devices, threads=threads, use_gpu=use_gpu,
                            seed=int(seed), what=f"Study '{study.name}'") as session:
                ctx = RunContext(seed=int(seed), session=session, quick=quick, verbose=verbose,
                                 interrupt=guard)
                ctx.progress(f"{study.name}: simulating on {device}" + (" (quick)" if quick else ""))
                data = study.simulate(resolved, ctx)
            guard.check(kept)  # an interrupt swallowed inside simulate() (e.g. by a JAX callback)
            timings = dict(session.timings, total=time.perf_counter() - started)
            attrs = {
                "study": study.name,
                "title": study.title,
                "reference": study.reference,
                "quick": quick,
                **session.provenance,
                "timings": timings,
                "parameters": {k: format_value(v) for k, v in resolved.items()},
                **store.provenance(study.source or None),
            }
            data = dict(data)
            data.setdefault("parameters", {k: v for k, v in resolved.items()})
            guard.raising = False  # now SIGINT only sets the flag, checked before the rename
            store.write(data_path, data, attrs, before_replace=lambda: guard.check(kept))
        except StudyInterrupted:
            raise
        except BaseException as err:  # use_device has removed the build directory already
            if guard.interrupted or isinstance(err, KeyboardInterrupt) or _build_interrupted(err):
                raise StudyInterrupted(kept) from None
            raise
        guard.raising = True
        replot = " ".join(["neuromodels figures", study.name] + (["--quick"] if quick else [])
                          + ([f"--out {out}"] if out is not None else []))
        not_drawn = f"interrupted after {data_path} was written; the figure was not drawn (`{replot}`)"
        guard.check(not_drawn)
        if verbose:
            print(f"wrote {data_path}  (simulation {timings['simulation']:.2f} s, "
                  f"build {timings['build']:.2f} s, total {timings['total']:.2f} s)", flush=True)
        if figure:
            try:
                plot_study(study, data_path, fig_path, verbose=verbose,
                           before_replace=lambda: guard.check(not_drawn))
            except KeyboardInterrupt:
                raise StudyInterrupted(not_drawn) from None
    return data_path


def plot_study(study: Study, data_path: str | os.PathLike, fig_path: str | os.PathLike,
               verbose: bool = True, before_replace=None) -> Path:
    """Draw ``study``'s figure from the stored file ``data_path`` (no simulation);
    ``before_replace`` as in :func:`neuromodels.store.atomic_path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = store.read(data_path)
    fig = study.plot(data)
    fig_path = Path(fig_path)
    with store.atomic_path(fig_path, before_replace) as tmp:
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


def shipped_study_dir() -> Path | None:
    """The studies that come with the package: ``studies/`` beside the package folder in
    a checkout (editable install or ``PYTHONPATH``), or the copy a non-editable install
    puts at ``neuromodels/studies`` (setup.py maps the folder there)."""
    package = Path(__file__).resolve().parent
    if (package / "studies").is_dir():
        return package / "studies"
    checkout = package.parent
    if (checkout / "studies").is_dir() and (checkout / "setup.cfg").is_file():
        return checkout / "studies"
    return None


def default_study_dirs() -> list[Path]:
    """The shipped studies, then each folder of ``$NEUROMODELS_STUDIES`` (os.pathsep-separated),
    then ``./studies``: a user's folders add to the shipped studies (a study of the same name
    in a later folder replaces the earlier one)."""
    env = os.environ.get("NEUROMODELS_STUDIES", "")
    dirs = [shipped_study_dir(), *(Path(p) for p in env.split(os.pathsep) if p),
            Path.cwd() / "studies"]
    seen, out = set(), []
    for d in dirs:
        if d is not None and d.is_dir() and d.resolve() not in seen:
            seen.add(d.resolve())
            out.append(d)
    return out


def study_origin(study: Study) -> str:
    """Where a discovered study comes from: ``'shipped'`` or its folder."""
    folder = Path(study.source).resolve().parent
    shipped = shipped_study_dir()
    if shipped is not None and folder == shipped.resolve():
        return "shipped"
    try:
        return f"./{folder.relative_to(Path.cwd().resolve())}"
    except ValueError:
        return str(folder)


def discover(dirs: list[Path] | None = None, unavailable: dict[str, str] | None = None,
             replaced: dict[str, str] | None = None) -> dict[str, Study]:
    """All studies defined in the study folders, by name.

    A study file that cannot be loaded (a dependency from an optional extra is
    missing, or the file is broken) is left out; pass a dict as ``unavailable``
    to learn which files and why.  A study defined again in a later folder
    replaces the earlier one; ``replaced`` (a dict) learns the name and the
    replaced file.
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
            if study.name in studies and replaced is not None:
                replaced[study.name] = studies[study.name].source
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
