"""Every study in studies/ runs in --quick mode and re-plots from its stored file."""
from pathlib import Path

import numpy as np
import pytest

from neuromodels import store
from neuromodels.study import discover, plot_study

UNAVAILABLE = {}
STUDIES = discover([Path(__file__).resolve().parent.parent / "studies"], UNAVAILABLE)


def test_every_study_file_loads():
    assert UNAVAILABLE == {}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_quick_run_writes_data_and_figure(name, quick_study, tmp_path):
    path = quick_study(name)
    data = store.read(path)
    assert data["attrs"]["study"] == name and data["attrs"]["quick"]
    assert data["equations"], "a study stores the equations of its models"
    assert path.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
    fig = tmp_path / f"{name}.png"
    plot_study(STUDIES[name], path, fig, verbose=False)  # re-plot from the file alone
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_cuba_coba_quick_statistics(quick_study):
    """Both benchmark networks stay active and irregular after the initial transient."""
    data = store.read(quick_study("cuba-coba"))
    for name in ("cuba", "coba"):
        pop = data["populations"][name]
        t = np.asarray(pop["spikes"]["t"])
        late = t > 0.2  # seconds; activity must be self-sustained, not just the start transient
        assert late.sum() / (int(pop["n"]) * 0.2) > 1.0, name  # > 1 Hz mean rate


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_timings_add_up_over_every_run(name, quick_study):
    """build and simulation summed over every Brian2 run of the study, the study's own
    timers (JAX training) and the rest add up to the total."""
    t = store.read(quick_study(name))["attrs"]["timings"]
    parts = [v for k, v in t.items() if k not in ("compile", "runs", "builds", "total")]
    assert t["runs"] >= 1 and t["builds"] >= 1 and 0 <= t["compile"] <= t["total"]
    assert sum(parts) == pytest.approx(t["total"], rel=1e-9)
    assert t["build"] + t["simulation"] <= t["total"]
