"""Finding the studies: the shipped ones plus a user's own folders (``./studies``,
``$NEUROMODELS_STUDIES``), with one rule for every command: a study defined again in a
later folder replaces the earlier one."""
from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from pathlib import Path

from .definition import Study, StudyError


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
    package = Path(__file__).resolve().parent.parent  # neuromodels/, above neuromodels/study/
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
    """The study ``name`` by :func:`discover`'s rule (a later folder replaces an earlier one),
    for every command alike: ``run`` runs the study that ``list`` shows.

    The file named after the study (``cuba-coba``: ``cuba_coba.py``) is looked for first,
    from the last folder back, so that a user's file of that name replaces the shipped one;
    loading every study would import all their dependencies (JAX, scikit-learn: seconds)
    for a run that needs one of them.  Only where no such file defines it are all loaded.
    """
    for d in reversed(dirs if dirs is not None else default_study_dirs()):
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
        hint = "".join(f"; {file}.py cannot be loaded here: {why}"
                       for file, why in unavailable.items())
        raise StudyError(f"Unknown study {name!r}; known studies: {known}{hint}.")
    return studies[name]
