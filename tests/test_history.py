"""The one training-history record (neuromodels/history.py)."""
import numpy as np
import pytest

from neuromodels import store
from neuromodels.history import History


def test_rows_columns_and_missing_values():
    h = History("epoch")
    h.record(0, test_accuracy=0.3)
    h.record(1, loss=0.9, seconds=2.0)
    h.record(2, loss=0.5, seconds=1.0, test_accuracy=0.8)
    np.testing.assert_array_equal(h.steps, [0, 1, 2])
    np.testing.assert_array_equal(h["loss"], [np.nan, 0.9, 0.5])
    np.testing.assert_array_equal(h.recorded("test_accuracy"), [True, False, True])
    assert h.last("test_accuracy") == 0.8 and h.names == ["test_accuracy", "loss", "seconds"]
    assert len(h) == 3 and "loss" in h and "x" not in h
    with pytest.raises(KeyError, match="columns"):
        h["x"]


def test_blocks_of_array_rows_keep_their_dtype():
    h = History("trial")
    h.extend(np.arange(3), t_out=np.ones((3, 2)), k=np.array([1, 2, 3]))
    h.extend(np.arange(3, 5), t_out=np.zeros((2, 2)), k=np.array([4, 5]))
    assert h["t_out"].shape == (5, 2) and h["k"].dtype.kind == "i"
    with pytest.raises(ValueError, match="shape"):
        h.extend([5], t_out=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="rows"):
        h.extend([5, 6], t_out=np.zeros((1, 2)))


def test_store_round_trip(tmp_path):
    h = History("epoch")
    h.record(0, test_accuracy=0.25)
    h.record(1, loss=1.5, test_accuracy=0.5, w=np.arange(3.0))
    h.summary["seconds_per_epoch"] = 1.25
    path = tmp_path / "h.h5"
    store.write(path, {"history": h.to_dict()})
    back = History.from_dict(store.read(path)["history"])
    assert back.step_name == "epoch" and back.summary["seconds_per_epoch"] == 1.25
    np.testing.assert_array_equal(back["loss"], h["loss"])
    np.testing.assert_array_equal(back["w"], h["w"])
