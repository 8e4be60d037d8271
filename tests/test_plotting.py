"""The shared plotting helpers; :func:`text_problems` on hand-made figures; the sweep
figure's labels."""
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from neuromodels import store  # noqa: E402
from neuromodels.plotting import level_colors, level_labels, text_problems  # noqa: E402


@pytest.fixture
def figure():
    figs = []

    def make(*args, **kwargs):
        figs.append(plt.subplots(*args, **kwargs))
        return figs[-1]

    yield make
    for fig, _ in figs:
        plt.close(fig)


def test_a_clean_figure_has_no_text_problems(figure):
    fig, axes = figure(1, 2, figsize=(8, 3))
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="a line")
        ax.set(xlabel="time (ms)", ylabel="rate (Hz)", title="a short title")
        ax.legend()
    fig.suptitle("a suptitle")
    fig.tight_layout()
    problems = text_problems(fig)
    assert not problems, str(problems)
    assert problems.overlaps == [] and problems.outside == []


def test_overlapping_labels_are_found(figure):
    """A long x label of the left panel runs into the x label of the right one."""
    fig, axes = figure(1, 2, figsize=(6, 3))
    axes[0].set_xlabel("a very long x label that runs into the next panel's x label")
    axes[1].set_xlabel("the next panel's x label")
    problems = text_problems(fig)
    assert any("axes 1 x label" in a and "axes 2 x label" in b for a, b in problems.overlaps)


def test_tick_labels_that_collide_are_found(figure):
    fig, ax = figure(figsize=(2, 2))
    ax.set_xticks(np.arange(10), [f"label {k}" for k in range(10)])
    problems = text_problems(fig)
    assert any("x tick" in a and "x tick" in b for a, b in problems.overlaps)


def test_a_clipped_title_is_found(figure):
    fig, ax = figure(figsize=(3, 3))
    ax.set_title("a title far too long for a figure of this width, cut at both ends")
    problems = text_problems(fig)
    assert problems.outside == ["axes 1 title: 'a title far too long for a figure of this "
                                "width, cut at both ends'"]
    assert "leaves the figure" in str(problems)


def test_hidden_and_out_of_view_text_is_ignored(figure):
    fig, axes = figure(1, 2, figsize=(6, 3))
    axes[0].set_title("x" * 200, visible=False)
    axes[1].axis("off")
    axes[1].set_ylabel("y" * 200)                  # not drawn: the axis is off
    axes[0].set_xticks([0, 0.5, 1, 50], ["0", "0.5", "1", "far " * 30])
    axes[0].set_xlim(0, 1)                         # the tick at 50 is outside the view
    fig.tight_layout()
    assert not text_problems(fig)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_neighbouring_level_colours_can_be_told_apart(n):
    """Up to six levels, neighbours differ by >= 0.22 in RGB (viridis, 0-0.85, gave two
    greens 0.17 apart at six levels)."""
    rgb = np.asarray(level_colors(n))[:, :3]
    assert np.linalg.norm(np.diff(rgb, axis=0), axis=1).min() >= 0.22


def test_level_labels_name_the_deterministic_limit():
    assert level_labels([0, 0.5, 2]) == ["deterministic", "σ = 0.5 mV", "σ = 2 mV"]


SWEEP = Path(__file__).resolve().parent.parent / "data" / "sweeps" / "coba-drive" / "sweep.h5"


def _sweep_labels(fig):
    return [t for ax in fig.axes for t in (ax.get_xlabel(), ax.get_ylabel())]


def test_the_sweep_figure_labels_its_axes_in_words():
    """The swept parameter by its description, a measure by its line in the study's
    ``measures`` docstring, and no overlapping or clipped text (the committed sweep)."""
    from neuromodels.study import get_study
    from neuromodels.sweep.figure import sweep_figure

    def measures(data):
        """Mean rate and ISI CV of each network.

        ``cuba_rate``: CUBA mean firing rate
        """

    study = SimpleNamespace(parameters=get_study("cuba-coba").parameters, measures=measures)
    fig = sweep_figure(store.read(SWEEP), study)
    try:
        labels = _sweep_labels(fig)
        assert "constant external drive, coba.I_ext (pA)" in labels
        assert "CUBA mean firing rate (Hz)" in labels and "coba cv" in labels
        assert not any("_" in label for label in labels if "coba.I_ext" not in label)
        assert "measures: Mean rate and ISI CV of each network." in fig._suptitle.get_text()
        assert not text_problems(fig), str(text_problems(fig))
    finally:
        plt.close(fig)


def test_the_sweep_figure_without_its_study_keeps_the_names():
    from neuromodels.sweep.figure import sweep_figure

    data = store.read(SWEEP)
    data["attrs"]["study"] = "no-such-study"
    fig = sweep_figure(data)
    try:
        assert "coba.I_ext (pA)" in _sweep_labels(fig)
    finally:
        plt.close(fig)
