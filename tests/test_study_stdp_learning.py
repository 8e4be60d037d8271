"""The study stdp-learning (Diehl & Cook 2015 STDP networks): its quick run learns above the
no-plasticity control on the same spikes, the control changes no weight and no threshold, the
thresholds after training are theta_plus times the training spikes (frozen on test samples,
decaying with tau_theta = 1e7 ms), and receptive fields are the digits' images."""
from pathlib import Path

import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels import store
from neuromodels.networks import stdp_learning as sl
from neuromodels.networks.diehl_cook import EXC_PARAMETERS
from neuromodels.parameters import ParameterError
from neuromodels.study import discover

STUDY = discover([Path(__file__).resolve().parent.parent / "studies"])["stdp-learning"]


def test_stdp_learning_quick_run_learns_and_keeps_its_invariants(quick_study):
    data = store.read(quick_study("stdp-learning"))
    d, q = data["digits"], STUDY.quick
    n_seeds, epochs = len(data["seeds"]), q["epochs"]
    trained, control = [], []
    for size in data["sizes"]:
        r = d[f"n{size}"]
        for rule in sl.RULES:
            assert r[rule]["test"].shape == r[rule]["train"].shape == (n_seeds, epochs)
            # every weight counted once in the histogram; the fields are those of the
            # neurons of largest theta_a, in the image's pixel order
            np.testing.assert_array_equal(r[rule]["w_hist"].sum(axis=1), 64 * size)
            assert r[rule]["fields"].shape == (n_seeds, min(q["n_fields"], size), 64)
            assert np.all(r[rule]["memory"] >= 0)
            assert np.all(np.isnan(r[rule]["program_memory"]))     # runtime: no program
            if rule == "dong":                    # threshold balance: its own increments
                continue
            # theta_a: + 0.1 mV per training spike, none on test samples, decay over the
            # training time only (at most exp(-t/tau_theta)): an increment on test samples,
            # or a missing one, breaks these bounds
            plus, tau = float(sl.THETA_PLUS / mV), float(EXC_PARAMETERS["tau_theta"] / ms)
            slot = float((sl.SCALED["t_present"] + sl.SCALED["t_rest"]) / ms)
            t_train = epochs * d["n_train"] * slot
            upper = plus * r[rule]["train_spikes"]
            assert upper.sum() > 0
            assert np.all(r[rule]["theta"] <= upper + 1e-9)
            assert np.all(r[rule]["theta"] >= upper * np.exp(-t_train / tau) - 1e-9)
        # the control (learning-rate factor 0): no weight, no threshold changes
        np.testing.assert_array_equal(r["control"]["w_change"], 0)
        np.testing.assert_array_equal(r["control"]["theta"], 0)
        trained.append(r["triplet"]["test"][:, -1])
        control.append(r["control"]["test"])
    # the example's STDP classifies above chance (0.1) and above voting on the initial weights
    # of the same network on the same input spikes (mean over sizes and seeds)
    assert np.mean(trained) > 0.2 and np.mean(trained) > np.mean(control) + 0.03
    text = STUDY.results(data)
    assert "82.9 / 87.0 / 91.9 / 95.0 %" in text and "97.9 %" in text


def test_receptive_fields_are_the_images():
    """Weights whose column j is digit j's pixels give back sklearn's 8x8 images (row-major),
    and the mosaic places field k at row k // columns, column k % columns."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    w = digits.data[:5].T                                   # (64 inputs, 5 neurons)
    fields = sl.receptive_fields(w, 8, [4, 0])
    np.testing.assert_array_equal(fields, digits.images[[4, 0]])
    tiled = sl.mosaic(sl.receptive_fields(w, 8), 3)
    assert tiled.shape == (2 * 9 - 1, 3 * 9 - 1)
    np.testing.assert_array_equal(tiled[9:17, 9:17], digits.images[4])
    assert np.isnan(tiled[8]).all() and np.isnan(tiled[9:, 18:]).all()
    with pytest.raises(ParameterError, match="8x8"):
        sl.receptive_fields(np.zeros((60, 2)), 8)
    with pytest.raises(ParameterError, match="'dataset'"):
        sl.dataset("cifar", 10, 10)
    with pytest.raises(ParameterError, match="'dong'.*'inhibition'"):
        sl.network(64, 4, "dong", dong="inhibition+lateral")
    with pytest.raises(ParameterError, match="'rule'"):
        sl.network(64, 4, "pair")
