"""Every study in studies/ runs in --quick mode and re-plots from its stored file."""
from pathlib import Path

import numpy as np
import pytest

from neuromodels import store
from neuromodels.study import discover, plot_study, run_study

UNAVAILABLE = {}
STUDIES = discover([Path(__file__).resolve().parent.parent / "studies"], UNAVAILABLE)


def test_every_study_file_loads():
    assert UNAVAILABLE == {}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_quick_run_writes_data_and_figure(name, tmp_path):
    study = STUDIES[name]
    device = "runtime" if "runtime" in study.devices else study.default_device
    path = run_study(study, device=device, quick=True, out=tmp_path, verbose=False)
    data = store.read(path)
    assert data["attrs"]["study"] == name and data["attrs"]["quick"]
    assert data["equations"], "a study stores the equations of its models"
    fig = tmp_path / f"{name}.quick.png"
    assert fig.read_bytes()[:4] == b"\x89PNG"
    fig.unlink()
    plot_study(study, path, fig, verbose=False)
    assert fig.is_file()


def test_cuba_coba_quick_statistics(tmp_path):
    """Both benchmark networks stay active and irregular after the initial transient."""
    study = STUDIES["cuba-coba"]
    data = store.read(run_study(study, device="runtime", quick=True, out=tmp_path, verbose=False,
                                figure=False))
    for name in ("cuba", "coba"):
        pop = data["populations"][name]
        t = np.asarray(pop["spikes"]["t"])
        late = t > 0.2  # seconds; activity must be self-sustained, not just the start transient
        assert late.sum() / (int(pop["n"]) * 0.2) > 1.0, name  # > 1 Hz mean rate
