"""What a study is: parameters, a simulation that returns data, and a plot of that data.

A study script in ``studies/`` defines one :class:`Study` named ``STUDY``.
:func:`run_study` checks everything (device, parameters, output folder)
before any simulation, runs ``simulate``, writes one HDF5 file with the data
and its provenance (:mod:`neuromodels.store`), then draws the figure *from
that file*.  :func:`plot_study` re-draws a figure from a stored file without
simulating.  :func:`discover` finds the studies: the shipped ones plus a
user's own folders (``./studies``, ``$NEUROMODELS_STUDIES``).  One module per job:

* :mod:`.definition`: what a study is (:class:`Study`) and its errors.
* :mod:`.context`: what ``simulate`` gets besides its parameters (:class:`RunContext`).
* :mod:`.checks`: what a run checks before simulating (parameters, seeds, output files).
* :mod:`.runner`: running a study (:func:`run_study`) and drawing its figure
  (:func:`plot_study`); seeds.
* :mod:`.interrupt`: Ctrl-C during a run.
* :mod:`.programs`: build reuse across runs (:class:`ProgramCache`); when a run is a
  re-run is :mod:`neuromodels.devices.rerun`'s.
* :mod:`.discovery`: finding the studies, one rule for every command.
"""
from __future__ import annotations

from .checks import _check_seed, _check_writable, resolve_parameters, results_paths, run_seeds
from .context import JAX_COMPILE, RunContext
from .definition import Study, StudyError, StudyInterrupted
from .discovery import (_load_study_file, default_study_dirs, discover, get_study,
                        shipped_study_dir, study_origin)
from .interrupt import _build_interrupted, _InterruptGuard
from .programs import ProgramCache, _fresh, _program_key
from .runner import _format_timings, _timings, plot_study, run_study

__all__ = ["Study", "RunContext", "ProgramCache", "run_study", "plot_study", "discover",
           "results_paths", "resolve_parameters", "run_seeds", "StudyError", "StudyInterrupted",
           "shipped_study_dir", "study_origin", "get_study", "default_study_dirs", "JAX_COMPILE"]
# names kept importable from here as when this package was one module
_KEPT = (_check_seed, _check_writable, _load_study_file, _build_interrupted, _InterruptGuard,
         _fresh, _program_key, _format_timings, _timings)
