"""The figure of a sweep, drawn from its ``sweep.h5``."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import store


def plot_sweep(data_path: str | os.PathLike, fig_path: str | os.PathLike | None = None,
               study=None) -> Path:
    """Draw a sweep's figure (:func:`sweep_figure`) from its ``sweep.h5`` into ``fig_path``
    (default: ``sweep.png`` beside it)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = sweep_figure(store.read(data_path), study)
    fig_path = Path(fig_path) if fig_path is not None else Path(data_path).with_suffix(".png")
    with store.atomic_path(fig_path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return fig_path


def sweep_figure(data: dict, study=None):
    """A sweep's figure from its stored ``data``: each measure against the first swept
    parameter (one line per value of the others), mean ± s.d. over seeds, seeds as dots.
    Axes are labelled in words: a swept parameter by its description in ``study`` (default:
    the stored study, found by name; raw names where it cannot be loaded), a measure by a
    line "``cuba_rate``: CUBA mean firing rate" of the study's ``measures`` docstring (else
    its name with spaces), whose first paragraph goes under the title."""
    import matplotlib.pyplot as plt

    attrs, summary, index = data["attrs"], data["summary"], data["index"]
    units = attrs.get("units", {})
    study = _study(attrs.get("study"), attrs.get("study_file")) if study is None else study
    doc = getattr(getattr(study, "measures", None), "__doc__", None) or ""
    words = dict(re.findall(r"^\s*``([\w.]+)``\s*:\s*(.+?)\s*$", doc, re.M))
    names, measures = list(attrs.get("grid_names", [])), list(attrs.get("measures", []))
    numeric = [n for n in names if not isinstance(summary[n], list)]
    x_name = next((n for n in numeric if len(attrs["grid"][n]) > 1), None)
    others = [n for n in names if n != x_name]

    def labels(table, k):
        return ", ".join(f"{n} = {_cell(table[n][k])}" for n in others) or None

    def xs(table):
        if x_name is None:
            return np.zeros(len(table["point"]))
        return np.asarray(table[x_name], dtype=float)

    ncol = 2 if len(measures) == 4 else min(len(measures), 3)
    nrow = math.ceil(len(measures) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.6 * nrow), squeeze=False)
    sx, ix = xs(summary), xs(index)
    groups = {}
    for k in range(len(summary["point"])):
        groups.setdefault(labels(summary, k), []).append(k)
    ok = np.isin(np.asarray(index["status"]), ["done", "kept"])
    for ax, m in zip(axes.flat, measures):
        unit = units.get("summary", {}).get(f"{m}_mean", "")
        for color, (label, ks) in enumerate(groups.items()):
            ks = np.array(ks)[np.argsort(sx[ks])]
            mean, sd = np.asarray(summary[f"{m}_mean"])[ks], np.asarray(summary[f"{m}_sd"])[ks]
            ax.errorbar(sx[ks], mean, yerr=np.nan_to_num(sd), marker="o", capsize=3,
                        color=f"C{color}", label=(label + ", " if label else "") + "mean ± s.d.")
            rows = ok & np.array([labels(index, k) == label for k in range(len(ix))])
            ax.plot(ix[rows], np.asarray(index[m])[rows], ".", color=f"C{color}", alpha=0.35,
                    label="single seeds" if color == 0 else None)
        ax.set(ylabel=_with_unit(words.get(m, m.replace("_", " ")), unit),
               xlabel=_parameter_label(study, x_name, units.get("summary", {}).get(x_name, ""))
               if x_name else "")
        if x_name is None:
            ax.set_xticks([])
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    seeds = attrs.get("seeds", [])
    what = " ".join(doc.strip().split("\n\n")[0].split())
    fig.suptitle(f"{attrs.get('study')} sweep: mean ± s.d. over {len(seeds)} seeds "
                 f"({_seed_text(seeds)}); device {attrs.get('device')}"
                 + (", quick" if attrs.get("quick") else "")
                 + (f"\nmeasures: {what}" if what else ""), fontsize=10)
    fig.tight_layout()
    return fig


def _study(name, source=None):
    """The study ``name`` (for its parameters' descriptions), from the folder of the file
    it was run from where that still exists, or None where it cannot be loaded here."""
    from ..study import StudyError, get_study

    folder = Path(source).parent if source and Path(source).is_file() else None
    try:
        return get_study(name, None if folder is None else [folder]) if name else None
    except StudyError:
        return None


def _with_unit(label: str, unit: str) -> str:
    return f"{label} ({unit})" if unit else label


def _parameter_label(study, name: str, unit: str) -> str:
    """``constant external drive, coba.I_ext (pA)``: the parameter's description (without
    its parenthetical remarks) from the study, then the name to pass to ``--grid``."""
    try:
        description = study.parameters[name].description.split(" (")[0].strip()
    except (AttributeError, KeyError, TypeError):
        description = ""
    return _with_unit(f"{description}, {name}" if description else name, unit)


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))
