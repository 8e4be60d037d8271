"""The study biolcnet (BioLCNet end to end on digits): its quick run keeps the invariants of
the protocol (the control's readout never changes, the local layer learns the same in the
trained run and the control because nothing feeds back to it, the fields are the middle
kernel patch), and the helpers pick the right neurons and classes."""
from pathlib import Path

import numpy as np
import pytest

from neuromodels import store
from neuromodels.networks import biolcnet as bl
from neuromodels.parameters import ParameterError
from neuromodels.study import discover

STUDY = discover([Path(__file__).resolve().parent.parent / "studies"])["biolcnet"]


def _patch(row, col, side=8, kernel=4):
    """Pixel indices (row-major) of the kernel x kernel patch at (row, col)."""
    return sorted((row + i) * side + col + j for i in range(kernel) for j in range(kernel))


def test_biolcnet_quick_run_keeps_its_invariants(quick_study):
    data = store.read(quick_study("biolcnet"))
    q = STUDY.quick
    n_seeds, epochs = len(data["seeds"]), q["epochs"]
    middle = _patch(2, 2)                   # 3 x 3 positions of stride 2: the middle at (2, 2)
    for size in data["sizes"]:
        r = data[f"n{size}"]
        for key in ("trained", "control"):
            assert r[key]["test"].shape == r[key]["train"].shape == (n_seeds, epochs)
            assert np.all((r[key]["test"] >= 0) & (r[key]["test"] <= 1))
            fields = r[key]["fields"]
            assert fields.shape == (n_seeds, size, 64)
            outside = np.setdiff1d(np.arange(64), middle)
            assert np.all(fields[..., outside] == 0) and np.all(fields[..., middle].sum(-1) > 0)
            assert np.all(r[key]["dw_input_to_lc"] > 0)          # STDP + normalisation
        # the control's readout rate is 0: its weights stay; the trained readout's move
        np.testing.assert_array_equal(r["control"]["dw_lc_to_output"], 0)
        assert np.all(r["trained"]["dw_lc_to_output"] > 0)
        # same seed, same input spikes, no feedback to the LC layer: bit-identical LC weights
        assert np.all(r["lc_same"])
    assert f"{data['sizes'][0]} ({data['n_train']} / {data['n_test']})" in STUDY.results(data)


def test_fields_and_digits_pick_the_right_neurons_and_classes():
    """lc_fields of the connection mask: position p's channels see exactly the kernel patch
    at p (row-major positions of stride 2); bl.digits() keeps the classes asked for."""
    net = bl.scaled(64, 3, 3)
    mask = net.projections[0].mask(net)
    for position in range(9):
        row, col = divmod(position, 3)
        fields = bl.lc_fields(net, mask, position)
        assert fields.shape == (3, 64)
        for f in fields:
            assert np.flatnonzero(f).tolist() == _patch(2 * row, 2 * col)
    with pytest.raises(ParameterError, match="'position'"):
        bl.lc_fields(net, mask, 9)
    x_tr, y_tr, x_te, y_te = bl.digits(3, 0, 5)
    assert set(y_tr) == {0, 1, 2} and len(y_te) == 5 and set(y_te) <= {0, 1, 2}
    assert x_tr.shape == (len(y_tr), 64)
