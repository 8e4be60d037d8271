"""Results files: units survive the round trip; writes are atomic."""
import re

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
    assert np.allclose(back["spikes"]["t"] / ms, [1.0, 2.5])
    assert back["spikes"]["t"].dim == second.dim
    assert back["v"].shape == (2, 1000) and np.allclose(back["v"] / mV, data["v"] / mV)
    assert back["rate"] == 5.5 * Hz and back["g"] == 6 * nS
    assert back["count"] == 7 and back["ratio"] == 0.25
    assert back["equations"]["cuba"] == "dv/dt = -v/tau : volt"
    assert back["names"] == ["a", "b"]
    assert back["attrs"]["seed"] == 4 and back["attrs"]["versions"] == {"brian2": "x"}
    with h5py.File(path) as f:
        assert f["v"].attrs["unit"] == "V" and f["v"].compression == "gzip"


def test_describe_summarises_a_file_with_our_provenance(tmp_path):
    data = {"spikes": {"t": np.array([1.0, 2.5]) * ms}, "v": np.zeros(3) * mV}
    path = store.write(tmp_path / "r.h5", data, {**store.provenance(), "seed": 4})
    text = store.describe(path)
    assert "spikes/" in text and "[V]" in text and "seed: 4" in text


def test_describe_shows_timings_in_seconds_to_three_digits(tmp_path):
    """``neuromodels info`` printed 'build=0.3236223747007898' among the timings (parameters
    keep every digit)."""
    timings = {"build": 0.3236223747007898, "simulation": 12.345678, "runs": 32}
    path = store.write(tmp_path / "r.h5", {"x": np.arange(3)}, {
        **store.provenance(), "timings": timings, "parameters": {"lr": 0.123456789}})
    text = store.describe(path)
    assert "  timings: build=0.324 s, simulation=12.3 s, runs=32\n" in text
    assert "  parameters: lr=0.123456789\n" in text


@pytest.mark.parametrize("attrs", [{}, {"seed": 4, "versions": {"brian2": "x"}}])
def test_describe_refuses_an_hdf5_file_without_our_provenance(tmp_path, attrs):
    path = store.write(tmp_path / "r.h5", {"x": np.arange(3)}, attrs)
    with pytest.raises(store.ResultsFileError,
                       match=re.escape(f"{path} is not a neuromodels results file (an HDF5 file "
                                       "without neuromodels provenance: no ")):
        store.describe(path)


def test_a_name_missing_from_a_read_file_names_the_file_and_the_full_name(tmp_path):
    path = store.write(tmp_path / "r.h5", {"pop": {"cuba": {"t": np.arange(3)}}}, {"seed": 1})
    data = store.read(path)
    with pytest.raises(store.MissingDataset) as caught:
        data["pop"]["cuba"]["spikes"]
    assert str(caught.value) == f"{path} has no 'pop/cuba/spikes'"
    assert caught.value.name == "pop/cuba/spikes" and caught.value.file == path
    assert isinstance(caught.value, KeyError)  # `except KeyError` in a study still works
    with pytest.raises(store.MissingDataset, match=re.escape(f"{path} has no 'coba'")):
        data["coba"]
    with pytest.raises(store.MissingDataset, match=re.escape(f"{path} has no 'attrs/seeds'")):
        data["attrs"]["seeds"]
    assert data["pop"].get("coba") is None and "coba" not in data


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
    with pytest.raises(FileNotFoundError, match="no such file: .*missing.h5"):
        store.read(tmp_path / "missing.h5")


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n" + bytes(64), "is not a neuromodels results file (not an HDF5 file)"),
    (None, "is a folder, not a results file"),
])
def test_what_is_not_a_results_file_is_named(tmp_path, content, message):
    path = tmp_path / "x.h5"
    path.mkdir() if content is None else path.write_bytes(content)
    for reader in (store.read, store.read_attrs, store.describe):
        with pytest.raises(store.ResultsFileError, match=re.escape(message)):
            reader(path)


def test_provenance_records_the_study_script_its_checkout_and_the_lock(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("STUDY = None\n")
    prov = store.provenance(script)
    assert prov["study_file"] == str(script.resolve())
    assert prov["study_sha256"] == __import__("hashlib").sha256(b"STUDY = None\n").hexdigest()
    assert prov["study_git_commit"] == "unknown"  # not in a git checkout
    # the environment's copy of its lock file, compared with what is installed
    (tmp_path / store.LOCK_COPY).write_text(
        "#    uv pip compile setup.cfg -o requirements/venv.txt\n"
        f"numpy=={np.__version__} \\\n    --hash=sha256:00\n"
        "h5py==0.0.1 \\\n    --hash=sha256:00\nnot-installed-pkg==1.0\n")
    lock = store.lock_provenance(tmp_path)
    assert lock["lock_file"] == "requirements/venv.txt"
    assert lock["lock_sha256"] == __import__("hashlib").sha256(
        (tmp_path / store.LOCK_COPY).read_bytes()).hexdigest()
    assert lock["lock_drift"] == [f"h5py {h5py.__version__} (lock 0.0.1)",
                                  "not-installed-pkg missing (lock 1.0)"]
    assert store.lock_provenance(tmp_path / "nothing")["lock_file"] == "none"


def test_git_commit_is_dirty_only_for_changes_to_what_ran(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path,
                       check=True, capture_output=True)

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text("x = 1\n")
    (tmp_path / "data.h5").write_text("old\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "c")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True,
                          text=True).stdout.strip()
    (tmp_path / "data.h5").write_text("rewritten by a run\n")
    assert store.git_commit(tmp_path / "pkg") == head  # a changed data file is not the code
    (tmp_path / "pkg" / "new.py").write_text("y = 2\n")
    assert store.git_commit(tmp_path / "pkg") == head + "-dirty"
    assert store.git_commit(tmp_path / "pkg" / "m.py") == head
