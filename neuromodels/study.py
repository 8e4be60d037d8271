"""What a study is: parameters, a simulation that returns data, and a plot of that data.

A study script in ``studies/`` defines one :class:`Study` named ``STUDY``.
:func:`run_study` checks everything (device, parameters, output folder)
before any simulation, runs ``simulate``, writes one HDF5 file with the data
and its provenance (:mod:`neuromodels.store`), then draws the figure *from
that file*.  :func:`plot_study` re-draws a figure from a stored file without
simulating.  :func:`discover` finds the studies: the shipped ones plus a
user's own folders (``./studies``, ``$NEUROMODELS_STUDIES``).

Seeds: a run has one seed (``ctx.seed``), or several when the study declares
the parameter that counts them (``seeds_parameter``): ``--seed 3`` with
``n_seeds = 3`` runs ``ctx.seeds == (3, 4, 5)``.  ``run_study(seeds=...)``
runs exactly the seeds given, so that a sweep can run one seed per task.

Build reuse: a study may declare ``runtime_parameters``, parameters that
enter the network only as initial values of Brian2 state variables.  It then
builds its objects through ``ctx.program(build)`` and hands those variables
to ``ctx.run(net, duration, values={name: group.variable})``.  Given a
:class:`ProgramCache` (a sweep worker keeps one), a later run that differs
only in those parameters re-runs the compiled C++ standalone program with the
new values (Brian2's ``run_args``, brian2 >= 2.6) instead of building it
again.  What ``run_args`` can change: every state variable that is not
read-only (neuron and synapse variables, ``(constant)`` ones included) and
the values of a ``TimedArray``.  What it cannot: the network's structure
(sizes, connections, delays), namespace constants (they are literals in the
generated code), ``dt``, the run's duration and Brian2's random seed.

Ctrl-C (SIGINT) during a run is handled here, once: whether it arrives during a
C++ build, the simulation, or a JAX computation that swallows it, the run stops
with :class:`StudyInterrupted`, the build directory and temporary files are
removed, and nothing after the interrupt can replace the previous results file.
"""
from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from . import buildcache, store
from .devices import (ALL_DEVICES, DEFAULT_DEVICE, DeviceSession, can_rerun, check_device,
                      require_memory, use_device)
from .parameters import ParameterSet, canonical, format_value

__all__ = ["Study", "RunContext", "ProgramCache", "run_study", "plot_study", "discover",
           "results_paths", "resolve_parameters", "run_seeds", "StudyError", "StudyInterrupted",
           "shipped_study_dir", "study_origin"]


#: The timings key of the time JAX spent compiling inside :meth:`RunContext.timer` blocks.
JAX_COMPILE = "compile (JAX)"


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

    ``seeds`` are the seeds this run covers (``(seed,)`` unless the study
    declares a ``seeds_parameter``); ``rng`` is a numpy generator seeded with
    ``seed`` (draw connectivity and initial values with it, so the network is
    the same on every device); ``run(net, duration)`` runs a Brian2 network on
    the chosen device with progress reports; ``progress(msg)`` prints a
    progress line;
    ``with ctx.timer("training (JAX)"):`` times work outside Brian2 for the provenance.
    """

    seed: int
    session: DeviceSession
    quick: bool = False
    verbose: bool = True
    seeds: tuple[int, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)
    runtime_parameters: tuple[str, ...] = ()
    slot: "_ProgramSlot | None" = None
    rng: np.random.Generator = field(init=False)
    timings: dict = field(default_factory=dict)
    _runs: int = field(default=0, init=False, repr=False)
    interrupt: _InterruptGuard | None = field(default=None, repr=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        if not self.seeds:
            self.seeds = (self.seed,)

    @property
    def device(self) -> str:
        return self.session.name

    def _stop_if_interrupted(self) -> None:
        # a KeyboardInterrupt swallowed inside the study (e.g. by a JAX callback) stops it here
        if self.interrupt is not None:
            self.interrupt.check()

    @property
    def reused(self) -> bool:
        """Whether this run re-runs a program compiled by an earlier run."""
        return self.slot is not None and self.slot.has_run

    def program(self, build: Callable[[], Any]) -> Any:
        """The Brian2 objects of this run: ``build()``, or, when this run re-runs a
        compiled program, the objects that program was built from (``build`` is
        then not called; it must depend only on parameters that are not
        ``runtime_parameters``)."""
        if self.slot is None:
            return build()
        if self.slot.objects is None:
            self.slot.objects = build()
        return self.slot.objects

    def run(self, net, duration, values: Mapping[str, Any] | None = None) -> None:
        """Run ``net`` for ``duration``.  ``values`` maps each of the study's
        ``runtime_parameters`` to the Brian2 state variable holding it
        (``{'I_ext': group.I_ext}``, or a list of them): it is set to the
        parameter's value, by assignment before a build or with ``run_args``
        on a re-run."""
        self._stop_if_interrupted()
        values = dict(values or {})
        if set(values) != set(self.runtime_parameters):
            raise StudyError(
                f"ctx.run(values=...) names {sorted(values) or 'no parameters'}, but the study "
                f"declares runtime_parameters {sorted(self.runtime_parameters) or '()'}; "
                f"they must be the same.")
        if self.runtime_parameters and self._runs:
            raise StudyError("A study with runtime_parameters runs its network once per run "
                             "(one ctx.run call), so that a compiled program can be re-run.")
        self._runs += 1
        values = {name: tuple(v) if isinstance(v, (list, tuple)) else (v,)
                  for name, v in values.items()}
        if self.reused:
            self.session.rerun({view: self.parameters[name]
                                for name, views in values.items() for view in views})
            self.progress(f"re-ran the compiled program with {', '.join(values)} "
                          f"(simulation {self.session.timings['simulation']:.2f} s)")
            return
        for name, views in values.items():
            for view in views:
                view[:] = self.parameters[name]
        self.session.run(net, duration, report="text" if self.verbose else None)
        if self.slot is not None:
            self.slot.has_run = True

    def progress(self, message: str) -> None:
        self._stop_if_interrupted()
        if self.verbose:
            print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    @contextlib.contextmanager
    def timer(self, label: str):
        """Add the wall time of the ``with`` block to ``timings[label]`` (seconds), except
        the time JAX spent compiling in it, which goes to ``timings["compile (JAX)"]`` (as a
        Brian2 run's build is kept apart from its simulation)."""
        start = time.perf_counter()
        with buildcache.jax_compile_time() as compiling:
            try:
                yield
            finally:
                elapsed = time.perf_counter() - start
                compiled = min(compiling(), elapsed)
                self.timings[label] = self.timings.get(label, 0.0) + elapsed - compiled
                if compiled > 0:
                    self.timings[JAX_COMPILE] = self.timings.get(JAX_COMPILE, 0.0) + compiled


@dataclass
class _ProgramSlot:
    """The Brian2 objects of the program kept alive in a :class:`ProgramCache`."""

    objects: Any = None
    has_run: bool = False


class ProgramCache:
    """Keeps the last compiled C++ standalone program of this process alive, so that the
    next run of the same study with other ``runtime_parameters`` re-runs it.

    One program at a time (Brian2's device is process-global).  A run with
    another key (study, device, seeds, other parameters) closes it first;
    :meth:`close` (also at interpreter exit) removes its build directory.
    """

    def __init__(self):
        self._key = None
        self._stack: contextlib.ExitStack | None = None
        self._session: DeviceSession | None = None
        self._slot: _ProgramSlot | None = None
        self.builds = 0
        self.reruns = 0
        atexit.register(self.close)

    @contextlib.contextmanager
    def open(self, key, make_session: Callable[[], Any]):
        """``(session, slot)`` for ``key``: the kept program if the key matches, else a new
        session from ``make_session()`` (a :func:`use_device` context)."""
        if key != self._key or self._stack is None:
            self.close()
            stack = contextlib.ExitStack()
            self._session = stack.enter_context(make_session())
            self._stack, self._key, self._slot = stack, key, _ProgramSlot()
        try:
            reused = self._slot.has_run
            yield self._session, self._slot
            if reused:
                self.reruns += 1
            else:
                self.builds += 1
        except BaseException:
            self.close()  # the device's state is unknown now
            raise

    def close(self) -> None:
        stack, self._stack, self._key, self._slot, self._session = self._stack, None, None, None, None
        if stack is not None:
            stack.close()


@dataclass(frozen=True)
class Study:
    """A study: ``simulate(params, ctx) -> data`` and ``plot(data) -> Figure``.

    ``data`` is a nested dict of arrays/quantities/strings (see
    :mod:`neuromodels.store`); put model equations under ``data['equations']``.
    ``quick`` holds parameter overrides for a reduced run (well under a minute).
    ``check(params)`` (optional) raises ``ParameterError`` for combinations of
    values that are each valid alone but not together; it runs before any
    simulation.  ``seeds_parameter`` names the parameter that counts the seeds
    of one run (``ctx.seeds``); ``runtime_parameters`` lists the parameters a
    compiled program can take at run time (see the module docstring);
    ``measures(data)`` returns the scalar results of a stored run by name
    (one value, or one per seed of ``ctx.seeds``), which sweeps tabulate.
    ``sizes(params)`` (optional) returns the network's ``neurons``, ``synapses`` and
    ``recorded`` values (expected counts), from which the memory is estimated and a
    run that cannot fit here is refused before anything is built.
    ``results(data)`` (optional) returns Markdown tables of the headline
    numbers, computed from the stored file (:mod:`neuromodels.results`;
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
    sizes: Callable[[dict], Mapping[str, float]] | None = None
    seeds_parameter: str | None = None
    runtime_parameters: tuple[str, ...] = ()
    measures: Callable[[dict], Mapping[str, Any]] | None = None
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


def resolve_parameters(study: Study, *, quick: bool = False,
                       params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The checked parameter values of a run: defaults, then the quick overrides, then
    ``params``; the study's cross-parameter check included."""
    values = dict(study.quick) if quick else {}
    values.update(params or {})
    resolved = study.parameters.resolve(values)
    if study.check is not None:
        study.check(resolved)
    if study.sizes is not None:
        require_memory(dict(study.sizes(resolved)), what=f"Study '{study.name}'")
    return resolved


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise StudyError(f"seed must be a whole number in [0, 2**32); got {seed!r}.")
    return int(seed)


def run_seeds(study: Study, resolved: dict[str, Any], seed: int = 0,
              seeds: Sequence[int] | None = None) -> tuple[int, ...]:
    """The seeds one run covers, checked: ``seeds`` if given (the study's seed count in
    ``resolved`` is set to match), else ``seed, seed + 1, ...`` for as many as the
    study's ``seeds_parameter`` says, else ``(seed,)``."""
    counter = study.seeds_parameter
    if seeds is None:
        first = _check_seed(seed)
        n = int(resolved[counter]) if counter else 1
        return tuple(_check_seed(first + k) for k in range(n))
    seeds = tuple(_check_seed(s) for s in seeds)
    if not seeds or len(set(seeds)) != len(seeds):
        raise StudyError(f"seeds must be distinct and at least one; got {list(seeds)}.")
    if counter:
        resolved[counter] = study.parameters[counter].check(len(seeds))
    elif len(seeds) != 1:
        raise StudyError(f"Study '{study.name}' runs one seed per run (it declares no "
                         f"seeds_parameter); got seeds {list(seeds)}.")
    return seeds


def _program_key(study: Study, device: str, threads, seeds, quick, resolved) -> tuple:
    """What must be equal for a run to re-run the program of another: everything but the
    runtime parameters."""
    fixed = tuple((k, canonical(v)) for k, v in resolved.items()
                  if k not in study.runtime_parameters)
    return (study.source, study.name, device, threads, seeds, quick, fixed)


def run_study(study: Study, *, device: str | None = None, threads: int | None = None,
              use_gpu: bool = False, seed: int = 0, seeds: Sequence[int] | None = None,
              quick: bool = False, out: str | os.PathLike | None = None,
              params: Mapping[str, Any] | None = None, verbose: bool = True,
              figure: bool = True, root: str | os.PathLike = ".",
              data_path: str | os.PathLike | None = None,
              programs: ProgramCache | None = None) -> Path:
    """Run ``study`` and write its data file (and figure); return the data file's path.

    Every check (device, parameters, seeds, output folder) happens before the
    simulation starts; the data file and the figure are written atomically.
    ``seeds`` runs exactly those seeds (see :func:`run_seeds`); ``data_path``
    names the data file instead of :func:`results_paths`; with ``programs``, a
    study with ``runtime_parameters`` re-runs a program compiled by an earlier
    call where it can (C++ standalone, brian2 >= 2.6).
    """
    device = device or study.default_device
    check_device(device, study.devices, threads=threads, use_gpu=use_gpu,
                 what=f"Study '{study.name}'")
    resolved = resolve_parameters(study, quick=quick, params=params)
    seeds = run_seeds(study, resolved, seed, seeds)
    if data_path is None:
        data_path, fig_path = results_paths(study.name, quick=quick, out=out, root=root)
    else:
        data_path = Path(data_path)
        fig_path = data_path.with_suffix(".png")
    _check_writable(data_path)
    if figure:
        _check_writable(fig_path)

    def session():
        return use_device(device, supported=study.devices, threads=threads, use_gpu=use_gpu,
                          seed=seeds[0], what=f"Study '{study.name}'", verbose=verbose)

    if programs is not None and study.runtime_parameters and can_rerun(device):
        program = programs.open(_program_key(study, device, threads, seeds, quick, resolved),
                                session)
    else:
        if programs is not None:
            programs.close()  # another kind of run needs the device: end the kept program
        program = _fresh(session)
    kept = "interrupted; the previous results file is kept"
    with _InterruptGuard() as guard:
        started = time.perf_counter()
        try:
            with program as (session, slot):
                reused = slot is not None and slot.has_run
                first_run = len(session.history)  # a kept program's session has run before
                ctx = RunContext(seed=seeds[0], session=session, quick=quick, verbose=verbose,
                                 seeds=seeds, parameters=resolved,
                                 runtime_parameters=tuple(study.runtime_parameters), slot=slot,
                                 interrupt=guard)
                ctx.progress(f"{study.name}: simulating on {device}" + (" (quick)" if quick else "")
                             + (" (re-running the compiled program)" if reused else ""))
                data = study.simulate(resolved, ctx)
                provenance = dict(session.provenance)
            guard.check(kept)  # an interrupt swallowed inside simulate() (e.g. by a JAX callback)
            timings = _timings(session, ctx, time.perf_counter() - started, since=first_run)
            attrs = {
                "study": study.name,
                "title": study.title,
                "reference": study.reference,
                "quick": quick,
                **provenance,
                "seeds": list(seeds),
                "build_reused": reused,
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
            print(f"wrote {data_path}  ({_format_timings(timings)})", flush=True)
        if figure:
            try:
                plot_study(study, data_path, fig_path, verbose=verbose,
                           before_replace=lambda: guard.check(not_drawn))
            except KeyboardInterrupt:
                raise StudyInterrupted(not_drawn) from None
    return data_path


def _timings(session: DeviceSession, ctx: RunContext, total: float, since: int = 0) -> dict:
    """Seconds that add up to ``total``: ``build`` and ``simulation`` summed over every
    Brian2 run of the study (the session's runs from number ``since`` on; ``runs``,
    ``builds``: counts; ``compile``: part of build), the study's own timers (e.g. JAX
    training), and ``other`` (the rest: data, analysis)."""
    timings = session.totals(since)
    timings.update(ctx.timings)
    accounted = timings["build"] + timings["simulation"] + sum(ctx.timings.values())
    timings["other"] = max(total - accounted, 0.0)
    timings["total"] = total
    return timings


def _format_timings(t: Mapping[str, float]) -> str:
    runs = int(t.get("runs", 0))
    builds = int(t.get("builds", 0))
    parts = [f"build {t['build']:.2f} s" + (f" in {builds} builds" if builds > 1 else ""),
             f"simulation {t['simulation']:.2f} s" + (f" in {runs} runs" if runs > 1 else "")]
    fixed = {"build", "simulation", "compile", "runs", "builds", "other", "total"}
    parts += [f"{label} {seconds:.2f} s" for label, seconds in t.items() if label not in fixed]
    parts += [f"other {t['other']:.2f} s", f"total {t['total']:.2f} s"]
    return ", ".join(parts)


@contextlib.contextmanager
def _fresh(make_session):
    with make_session() as session:
        yield session, None


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
    # the file named after the study first: loading every study would import all their
    # dependencies (JAX, scikit-learn: seconds) for a run that needs one of them
    for d in dirs if dirs is not None else default_study_dirs():
        path = Path(d) / f"{name.replace('-', '_')}.py"
        if path.is_file():
            with contextlib.suppress(Exception):
                study = _load_study_file(path)
                if study.name == name:
                    object.__setattr__(study, "source", str(path))
                    return study
    unavailable: dict[str, str] = {}
    studies = discover(dirs, unavailable)
    if name not in studies:
        known = ", ".join(sorted(studies)) or "none found"
        hint = "".join(f"; {file}.py cannot be loaded here: {why}" for file, why in unavailable.items())
        raise StudyError(f"Unknown study {name!r}; known studies: {known}{hint}.")
    return studies[name]
