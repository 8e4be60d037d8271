"""Small plotting helpers shared by the studies' figures (matplotlib; no model code).

* :func:`level_colors`: viridis colours for a family of levels.
* :func:`level_labels`: legend labels for a family of noise levels, 0 (or below
  ``zero_below``) named as the deterministic limit.
* :func:`errorbar_family`: one error-bar curve per level, the deterministic one in black.
* :func:`seed_sd`, :func:`over_seeds`: s.d. over seeds, a mean curve with those error bars.
* :func:`distribution_over_epochs`: a per-neuron quantity over training: median and band.
* :func:`before_after`: a quantity before and after training, two bars (and a line).
* :func:`grouped_bars`: one bar per configuration, side by side for two data sets.
* :func:`chance_lines`: chance levels of several conditions, merged where they agree.
* :func:`raster`: a spike raster (time in ms).
* :func:`trials_with_input`: a raster of repeated trials with their input drawn above.
* :func:`decorate`: axis labels, title, scales and a small legend in one call.
* :func:`run_label`: "device D, seed S, <duration>" (and "(quick)") of a stored run.
* :func:`first_spike_layers`: first-spike times of a layered network for one sample,
  untrained and trained (exact solver) and the trained network in Brian2.
* :func:`text_problems`: the text of a drawn figure that overlaps other text or leaves the
  figure (what a reader cannot read), for tests.
"""
from typing import NamedTuple

import numpy as np

__all__ = ["level_colors", "level_labels", "errorbar_family", "seed_sd", "over_seeds",
           "distribution_over_epochs", "before_after", "grouped_bars", "chance_lines", "raster",
           "trials_with_input", "decorate", "first_spike_layers", "run_label", "text_problems",
           "TextProblems"]


def level_colors(n):
    """``n`` colours from plasma (0 to 0.8: dark blue, purple, red, orange), for levels
    0 .. n-1; plasma's hue turns faster than viridis's, whose neighbours look alike, and
    stops before its pale yellow."""
    import matplotlib.pyplot as plt

    return plt.cm.plasma(np.linspace(0, 0.8, max(n, 2)))


def level_labels(values, name="σ", unit="mV", zero_below=1e-6, zero="deterministic"):
    """``"σ = 2 mV"`` per level; levels below ``zero_below`` are ``zero``."""
    return [zero if v < zero_below else f"{name} = {v:g} {unit}" for v in np.asarray(values)]


def errorbar_family(ax, x, means, sds, labels, deterministic=None, colors=None, **style):
    """Curves ``means[k] ± sds[k]`` against ``x``; level ``deterministic`` (an index, or
    None) drawn as black squares with a dashed line, the others in ``colors`` (default
    :func:`level_colors`). Returns the colours."""
    colors = level_colors(len(labels) + 1) if colors is None else colors
    for k, label in enumerate(labels):
        look = (dict(color="k", marker="s", ls="--") if k == deterministic
                else dict(color=colors[k], marker="o"))
        ax.errorbar(x, means[k], yerr=sds[k], ms=3, capsize=2, label=label, **{**look, **style})
    return colors


def seed_sd(values, axis=0):
    """Sample s.d. over seeds (axis ``axis``; ddof = 1), zeros for a single seed."""
    v = np.asarray(values, dtype=float)
    return v.std(axis=axis, ddof=1) if v.shape[axis] > 1 else np.zeros(np.delete(v.shape, axis))


def over_seeds(ax, x, values, **style):
    """``values`` (seeds, len(x)): their mean with s.d. error bars over seeds."""
    v = np.asarray(values, dtype=float)
    return ax.errorbar(x, v.mean(axis=0), yerr=seed_sd(v), capsize=2, **style)


def distribution_over_epochs(ax, x, values, band=(10, 90), shade=True, **style):
    """``values`` (seeds, len(x), n_neurons): the median over neurons (mean ± s.d. over
    seeds) against ``x`` and, with ``shade``, the ``band`` percentiles (seed means) as a
    shaded band."""
    q = np.percentile(np.asarray(values, dtype=float), [band[0], 50, band[1]], axis=2)
    line = over_seeds(ax, x, q[1], **style)
    if shade:
        ax.fill_between(x, q[0].mean(axis=0), q[2].mean(axis=0), alpha=0.15,
                        color=line.lines[0].get_color())
    return line


def before_after(ax, values, label, line=None, line_label=None):
    """Two bars, ``values`` (seeds, epochs) at the first and the last epoch (mean ± s.d. over
    seeds; grey: before training, C0: after) and, if given, ``line`` (the same shape) at the
    same two epochs, its means as a dashed line."""
    x, v = np.arange(2), np.asarray(values, dtype=float)[:, [0, -1]]
    ax.bar(x, v.mean(axis=0), yerr=seed_sd(v), capsize=4, color=["0.6", "C0"], label=label)
    if line is not None:
        ax.plot(x, np.asarray(line, dtype=float)[:, [0, -1]].mean(axis=0), "o--", color="C1",
                label=line_label)
    ax.set_xticks(x, ["before training", "after training"])


#: hatches of grouped_bars' groups, in order; the last group is plain
GROUP_HATCHES = ("//", "..", "xx", "\\\\", "++")


def grouped_bars(ax, groups, colors, ticks):
    """One bar per configuration (``ticks``, ``colors``) for each group (``groups``: name ->
    one array over seeds per configuration): mean ± s.d. over seeds, the groups side by
    side, each hatched its own way (:data:`GROUP_HATCHES`; the last plain) and named in a
    legend of white swatches with the hatch."""
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    names, width = list(groups), 0.8 / len(groups)
    if len(names) > len(GROUP_HATCHES) + 1:
        raise ValueError(f"grouped_bars: at most {len(GROUP_HATCHES) + 1} groups; got "
                         f"{len(names)}.")
    hatches = [*GROUP_HATCHES[:len(names) - 1], ""]
    for j, name in enumerate(names):
        x = np.arange(len(ticks)) + (j - (len(names) - 1) / 2) * width
        bars = ax.bar(x, [np.mean(a) for a in groups[name]], width, capsize=3,
                      yerr=[seed_sd(a) for a in groups[name]], edgecolor="k", color=colors,
                      error_kw=dict(ecolor="0.45"),
                      hatch=hatches[j])
        for bar in bars:                       # a hatch on a dark bar in white (mpl >= 3.10)
            dark = np.dot(to_rgb(bar.get_facecolor()), (0.299, 0.587, 0.114)) < 0.35
            if dark and hasattr(bar, "set_hatchcolor"):
                bar.set_hatchcolor("white")
    ax.set_xticks(np.arange(len(ticks)), ticks)
    ax.legend([Patch(facecolor="white", edgecolor="k", hatch=h) for h in hatches], names,
              fontsize=8, loc="upper center", ncol=len(names))


def chance_lines(ax, x, levels, colors, what, short, agree=0.05):
    """Chance levels against ``x``, dotted (``levels``, ``colors``: condition name -> array,
    colour): one grey line "chance: ``what``" where all agree within the fraction ``agree``
    of the largest, else one line per condition, "<name>: chance (``short``)"."""
    v = np.array([levels[name] for name in levels], dtype=float)
    if np.all(v.max(axis=0) - v.min(axis=0) <= agree * v.max(axis=0)):
        ax.plot(x, v.mean(axis=0), ":", color="0.4", lw=1.5, label=f"chance: {what}")
        return
    for name, level in levels.items():
        ax.plot(x, level, ":", color=colors[name], lw=1.5, label=f"{name}: chance ({short})")


def raster(ax, t, i, color="k", **style):
    """Spike raster: times ``t`` (s) in ms against indices ``i``."""
    ax.plot(np.asarray(t) * 1e3, np.asarray(i), "|", color=color, **{"ms": 4, **style})


def trials_with_input(ax, spikes, n_trials, t_input, current, span, label, skip=0.0):
    """Raster of ``n_trials`` repeated trials (``spikes``: ``t`` in s, ``i`` the trial) and,
    in a band above them, the input ``current`` against ``t_input`` (ms), scaled from
    ``span`` = (low, high) to the band (legend: ``label``); the transient before ``skip``
    (ms) shaded.  y ticks on the trials only: the band is the input, not a trial."""
    raster(ax, spikes["t"], spikes["i"])
    ax.axvspan(0, skip, color="0.9", zorder=0, label="transient, not analysed")
    lo, hi = span
    ax.plot(t_input, n_trials + 1 + 6 * (np.asarray(current) - lo) / (hi - lo), color="C1",
            lw=0.7, label=label)
    ax.set_yticks(range(0, n_trials, 5))
    ax.set(ylim=(-1, n_trials + 8), xlabel="time (ms)")
    ax.legend(fontsize=8, loc="upper right", ncols=2, framealpha=0.95)


def decorate(ax, legend=8, **props):
    """``ax.set(**props)`` and a legend of font size ``legend`` (None: no legend)."""
    ax.set(**props)
    if legend:
        ax.legend(fontsize=legend)
    return ax


def first_spike_layers(ax, ex, T, ms_per_unit=10.0):
    """First spikes of one sample, layer by layer (rows: hidden layers, then output):
    ``ex`` holds ``exact_init_<l>``, ``exact_trained_<l>`` (model units; past ``T`` =
    pseudospike, not drawn) and ``brian2_<l>`` (-1: no spike) and its ``label``."""
    layers = len([k for k in ex if k.startswith("brian2_")])
    u = ms_per_unit
    n_init = sum(int(np.sum(np.asarray(ex[f"exact_init_{m}"]) <= T)) for m in range(layers))
    off = 0
    for l in range(layers):
        e0 = np.asarray(ex[f"exact_init_{l}"])
        e1 = np.asarray(ex[f"exact_trained_{l}"])
        b = np.asarray(ex[f"brian2_{l}"])
        idx = np.arange(e1.size) + off
        first = l == 0
        k0, k1, kb = e0 <= T, e1 <= T, b >= 0
        ax.plot(u * e0[k0], idx[k0], "x", color="0.5", ms=4,
                label=f"untrained ({n_init} spikes in the trial)" if first else None)
        ax.plot(u * e1[k1], idx[k1], "o", mfc="none", color="C0", ms=4,
                label="trained (exact)" if first else None)
        ax.plot(u * b[kb], idx[kb], ".", color="C3", ms=3,
                label="trained (Brian2)" if first else None)
        off += e1.size
        ax.axhline(off - 0.5, color="0.85", lw=0.5)
    ax.axvline(u * T, color="k", ls=":", lw=0.8, label="trial end")
    ax.set(xlabel="time (ms)", ylabel="neuron (hidden layers, then output)",
           title=f"first spikes, one test sample (label {int(ex['label'])})",
           xlim=(0, u * T * 2.1))  # room for the legend after the trial end
    ax.legend(fontsize=7, loc="center right")


def run_label(data, duration):
    """``device D, seed S, <duration>`` of a stored run, `` (quick)`` appended for a quick
    run: the part of a figure title that says which run it shows."""
    attrs = data["attrs"]
    return (f"device {attrs['device']}, seed {attrs['seed']}, {duration}"
            + (" (quick)" if attrs.get("quick") else ""))


class TextProblems(NamedTuple):
    """What :func:`text_problems` found: ``overlaps``, pairs of ``(name, name)`` of text
    elements whose rendered boxes intersect; ``outside``, the names of those that leave the
    figure. A name is ``"<where>: '<text>'"``, e.g. ``"axes 2 x tick: '0.5'"``."""
    overlaps: list
    outside: list

    def __bool__(self):
        return bool(self.overlaps or self.outside)

    def __str__(self):
        return "\n".join([f"{a}  overlaps  {b}" for a, b in self.overlaps]
                         + [f"{a}  leaves the figure" for a in self.outside]) or "no problems"


def text_problems(fig, tolerance=1.0):
    """The text elements of ``fig`` (titles, suptitle, axis labels, tick labels, offset
    texts, legend texts and titles, annotations and other texts) whose rendered bounding
    boxes overlap, and those that are not inside the figure's area. ``fig`` is drawn first
    (with its own canvas, at its own dpi). Boxes are shrunk by ``tolerance`` pixels on each
    side before comparing, so that boxes that merely touch do not count. Text that is not
    drawn (hidden, empty, tick labels outside the axis's view) is ignored."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    if not hasattr(fig.canvas, "get_renderer"):  # a Figure made without pyplot
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    named = _drawn_texts(fig)
    boxes = np.array([Text.get_window_extent(t, renderer).extents for t, _ in named])
    boxes = boxes.reshape(-1, 4) + np.array([tolerance, tolerance, -tolerance, -tolerance])
    x0, y0, x1, y1 = boxes.T
    hit = ((x0[:, None] < x1[None, :]) & (x0[None, :] < x1[:, None])
           & (y0[:, None] < y1[None, :]) & (y0[None, :] < y1[:, None]))
    fw, fh = fig.bbox.width, fig.bbox.height
    out = (x0 < 0) | (y0 < 0) | (x1 > fw) | (y1 > fh)
    return TextProblems([(named[a][1], named[b][1]) for a, b in zip(*np.nonzero(np.triu(hit, 1)))],
                        [named[k][1] for k in np.flatnonzero(out)])


def _drawn_texts(fig):
    """``[(Text, name)]`` of every text element ``fig`` draws (see :func:`text_problems`)."""
    found = []

    def add(text, where):
        if text is not None and text.get_visible() and text.get_text().strip():
            if all(text is not t for t, _ in found):
                found.append((text, f"{where}: {text.get_text()!r}"))

    for text in [getattr(fig, "_suptitle", None), getattr(fig, "_supxlabel", None),
                 getattr(fig, "_supylabel", None), *fig.texts]:
        add(text, "figure")
    legends = [(leg, "figure legend") for leg in fig.legends]
    for n, ax in enumerate(fig.axes, start=1):
        if not ax.get_visible():
            continue
        for title in (ax.title, ax._left_title, ax._right_title):
            add(title, f"axes {n} title")
        for text in ax.texts:
            add(text, f"axes {n} text")
        legends.append((ax.get_legend(), f"axes {n} legend"))
        if not ax.axison:
            continue
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            if not axis.get_visible():
                continue
            add(axis.label, f"axes {n} {name} label")
            add(axis.offsetText, f"axes {n} {name} offset")
            for tick in axis._update_ticks():  # the ticks inside the view, as drawn
                add(tick.label1, f"axes {n} {name} tick")
                add(tick.label2, f"axes {n} {name} tick")
    for legend, where in legends:
        if legend is not None and legend.get_visible():
            add(legend.get_title(), where + " title")
            for text in legend.get_texts():
                add(text, where)
    return found
