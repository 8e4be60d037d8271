"""What a study's run checks before anything is simulated: its parameters (with the
study's cross-parameter check and memory estimate), its seeds, and its output files."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from ..devices import require_memory
from .definition import Study, StudyError


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
