"""Running a study: every check first, then ``simulate``, one HDF5 file with the data and
its provenance (:mod:`neuromodels.store`), then the figure drawn *from that file*.

Seeds: a run has one seed (``ctx.seed``), or several when the study declares
the parameter that counts them (``seeds_parameter``): ``--seed 3`` with
``n_seeds = 3`` runs ``ctx.seeds == (3, 4, 5)``.  ``run_study(seeds=...)``
runs exactly the seeds given, so that a sweep can run one seed per task.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

from .. import store
from ..devices import DeviceSession, can_rerun, check_device, use_device
from ..parameters import format_value
from .checks import _check_writable, resolve_parameters, results_paths, run_seeds
from .context import RunContext
from .definition import Study, StudyInterrupted
from .interrupt import _build_interrupted, _InterruptGuard
from .programs import ProgramCache, _fresh, _program_key


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
    device = device or (study.quick_device if quick else None) or study.default_device
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
                reused = slot is not None and slot.holds(session)
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
        not_drawn = (f"interrupted after {data_path} was written; the figure was not drawn "
                     f"(`{replot}`)")
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
