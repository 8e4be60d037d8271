"""The figure of a sweep, drawn from its ``sweep.h5``."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .. import store


def plot_sweep(data_path: str | os.PathLike, fig_path: str | os.PathLike | None = None) -> Path:
    """Draw a sweep's figure from its ``sweep.h5``: each measure against the first swept
    parameter (one line per value of the others), mean +- sd over seeds, seeds as dots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = store.read(data_path)
    attrs, summary, index = data["attrs"], data["summary"], data["index"]
    units = attrs.get("units", {})
    names, measures = list(attrs.get("grid_names", [])), list(attrs.get("measures", []))
    numeric = [n for n in names if not isinstance(summary[n], list)]
    x_name = next((n for n in numeric if len(attrs["grid"][n]) > 1), None)
    others = [n for n in names if n != x_name]

    def labels(table, k):
        return ", ".join(f"{n}={_cell(table[n][k])}" for n in others) or None

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
                        color=f"C{color}", label=(label + ", " if label else "") + "mean ± sd")
            rows = ok & np.array([labels(index, k) == label for k in range(len(ix))])
            ax.plot(ix[rows], np.asarray(index[m])[rows], ".", color=f"C{color}", alpha=0.35,
                    label="single seeds" if color == 0 else None)
        ax.set(ylabel=f"{m} ({unit})" if unit else m,
               xlabel=(f"{x_name} ({units['summary'][x_name]})" if x_name in units.get("summary", {})
                       else x_name) if x_name else "")
        if x_name is None:
            ax.set_xticks([])
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(measures):]:
        ax.axis("off")
    seeds = attrs.get("seeds", [])
    fig.suptitle(f"{attrs.get('study')} sweep: mean ± sd over {len(seeds)} seeds "
                 f"({_seed_text(seeds)}); device {attrs.get('device')}"
                 + (", quick" if attrs.get("quick") else ""), fontsize=10)
    fig.tight_layout()
    fig_path = Path(fig_path) if fig_path is not None else Path(data_path).with_suffix(".png")
    with store.atomic_path(fig_path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return fig_path


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, (float, np.floating)) else str(value)


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 2:
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))
