"""Results files: units survive the round trip; writes are atomic."""
import h5py
import numpy as np
import pytest
from brian2 import Hz, mV, ms, nS, second

from neuromodels import store

pytestmark = pytest.mark.compat


def test_roundtrip_keeps_units_values_and_structure(tmp_path):
    data = {
        "spikes": {"t": np.array([1.0, 2.5]) * ms, "i": np.array([0, 3])},
        "v": np.linspace(-70, -50, 2000).reshape(2, 1000) * mV,
        "rate": 5.5 * Hz, "g": 6 * nS, "count": 7, "ratio": 0.25,
        "equations": {"cuba": "dv/dt = -v/tau : volt"},
        "names": ["a", "b"],
    }
    path = store.write(tmp_path / "r.h5", data, {"seed": 4, "versions": {"brian2": "x"}})
    back = store.read(path)
    assert np.allclose(back["spikes"]["t"] / ms, [1.0, 2.5]) and back["spikes"]["t"].dim == second.dim
    assert back["v"].shape == (2, 1000) and np.allclose(back["v"] / mV, data["v"] / mV)
    assert back["rate"] == 5.5 * Hz and back["g"] == 6 * nS
    assert back["count"] == 7 and back["ratio"] == 0.25
    assert back["equations"]["cuba"] == "dv/dt = -v/tau : volt"
    assert back["names"] == ["a", "b"]
    assert back["attrs"]["seed"] == 4 and back["attrs"]["versions"] == {"brian2": "x"}
    with h5py.File(path) as f:
        assert f["v"].attrs["unit"] == "V" and f["v"].compression == "gzip"
    text = store.describe(path)
    assert "spikes/" in text and "[V]" in text and "seed: 4" in text


def test_failed_write_leaves_previous_file_intact_and_no_temporary(tmp_path):
    path = tmp_path / "r.h5"
    store.write(path, {"x": np.arange(3)})
    before = path.read_bytes()
    with pytest.raises(TypeError, match="Cannot store 'bad'"):
        store.write(path, {"y": np.arange(5), "bad": object()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.h5"]


def test_interrupted_write_leaves_nothing(tmp_path):
    path = tmp_path / "new.h5"
    with pytest.raises(KeyboardInterrupt):
        with store.atomic_path(path) as tmp:
            tmp.write_bytes(b"partial")
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_provenance_has_versions_commit_and_time():
    prov = store.provenance()
    assert {"brian2", "numpy", "h5py"} <= set(prov["versions"])
    assert prov["git_commit"] and prov["created"]


def test_reading_a_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="No results file at .*missing.h5"):
        store.read(tmp_path / "missing.h5")
