"""A split read back from the dataset cache (neuromodels.datasets.cache) equals the one the
loader makes, bit for bit, in a process that never imports scikit-learn's datasets; a
corrupt entry is made again; NEUROMODELS_CACHE=off and a generator seed bypass it."""
import os
import subprocess
import sys

import numpy as np
import pytest

from neuromodels.datasets.digits import _split, load_digits


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    return tmp_path


def _equal(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype
        np.testing.assert_array_equal(x, y)


def test_a_kept_split_is_the_loaders_split_without_importing_sklearn_datasets(cache_home):
    made = _split(test_size=0.25, random_state=3, scale=True)
    first = load_digits(test_size=0.25, random_state=3)
    (entry,) = (cache_home / "datasets").glob("digits-*.npz")
    _equal(first, made)
    code = ("import sys, numpy as np; from neuromodels.datasets.digits import load_digits; "
            "p = load_digits(test_size=0.25, random_state=3); "
            "print('sklearn.datasets' in sys.modules); "
            "np.savez(sys.argv[1], *p)")
    out = subprocess.run([sys.executable, "-c", code, str(cache_home / "read.npz")],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "NEUROMODELS_CACHE_DIR": str(cache_home)})
    assert out.stdout.strip() == "False"
    with np.load(cache_home / "read.npz") as kept:
        _equal([kept[f"arr_{k}"] for k in range(4)], made)
    # another seed: another entry, another split
    other = load_digits(test_size=0.25, random_state=4)
    assert len(list((cache_home / "datasets").glob("digits-*.npz"))) == 2
    assert not np.array_equal(other[2], first[2])
    # a corrupt entry is made again
    entry.write_bytes(b"not a zip file")
    _equal(load_digits(test_size=0.25, random_state=3), made)
    with np.load(entry) as kept:
        np.testing.assert_array_equal(kept["y_train"], made[2])


def test_off_and_generator_seeds_bypass_the_cache(cache_home, monkeypatch):
    load_digits(random_state=np.random.RandomState(0))
    assert not (cache_home / "datasets").exists()
    monkeypatch.setenv("NEUROMODELS_CACHE", "off")
    load_digits(random_state=0)
    assert not (cache_home / "datasets").exists()
