"""Small plotting helpers shared by the studies' figures (matplotlib; no model code).

* :func:`level_colors`: viridis colours for a family of levels.
* :func:`level_labels`: legend labels for a family of noise levels, 0 (or below
  ``zero_below``) named as the deterministic limit.
* :func:`errorbar_family`: one error-bar curve per level, the deterministic one in black.
* :func:`raster`: a spike raster (time in ms).
* :func:`decorate`: axis labels, title, scales and a small legend in one call.
"""
import numpy as np

__all__ = ["level_colors", "level_labels", "errorbar_family", "raster", "decorate"]


def level_colors(n):
    """``n`` colours from viridis (0 to 0.85), for levels 0 .. n-1."""
    import matplotlib.pyplot as plt

    return plt.cm.viridis(np.linspace(0, 0.85, max(n, 2)))


def level_labels(values, name="σ", unit="mV", zero_below=1e-6, zero="deterministic"):
    """``"σ = 2 mV"`` per level; levels below ``zero_below`` are ``zero``."""
    return [zero if v < zero_below else f"{name} = {v:g} {unit}" for v in np.asarray(values)]


def errorbar_family(ax, x, means, sds, labels, deterministic=None, colors=None, **style):
    """Curves ``means[k] +- sds[k]`` against ``x``; level ``deterministic`` (an index, or
    None) drawn as black squares with a dashed line, the others in ``colors`` (default
    :func:`level_colors`). Returns the colours."""
    colors = level_colors(len(labels) + 1) if colors is None else colors
    for k, label in enumerate(labels):
        look = (dict(color="k", marker="s", ls="--") if k == deterministic
                else dict(color=colors[k], marker="o"))
        ax.errorbar(x, means[k], yerr=sds[k], ms=3, capsize=2, label=label, **{**look, **style})
    return colors


def raster(ax, t, i, color="k", **style):
    """Spike raster: times ``t`` (s) in ms against indices ``i``."""
    ax.plot(np.asarray(t) * 1e3, np.asarray(i), "|", color=color, **{"ms": 4, **style})


def decorate(ax, legend=8, **props):
    """``ax.set(**props)`` and a legend of font size ``legend`` (None: no legend)."""
    ax.set(**props)
    if legend:
        ax.legend(fontsize=legend)
    return ax
