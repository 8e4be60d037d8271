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
with ``run_args``.  Elsewhere every run builds.  This package knows no model: what a
run computes is the study's business.

The package: :mod:`.plan` (grid, seeds, runs and their files, checked first),
:mod:`.run_files` (is a result valid; its measures), :mod:`.worker` (one task in a
worker process), :mod:`.cluster` (the Dask cluster), :mod:`.execution` (``run_sweep``),
:mod:`.tables` (index and summary), :mod:`.progress` and :mod:`.figure`.
"""
from __future__ import annotations

from .cluster import DASK_MISSING
from .execution import SweepResult, run_sweep
from .figure import plot_sweep
from .plan import SweepPlan, parse_grid, parse_seeds, plan_sweep
from .progress import SweepProgress
from .run_files import code_version, current_code, run_measures, stale_reason
from .tables import Table

__all__ = ["run_sweep", "plan_sweep", "parse_seeds", "parse_grid", "plot_sweep", "Table",
           "SweepPlan", "SweepResult", "SweepProgress", "run_measures", "DASK_MISSING",
           "code_version", "current_code", "stale_reason"]
