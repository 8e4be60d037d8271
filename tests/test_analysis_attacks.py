"""FGSM, PGD and NES attacks (neuromodels/analysis/attacks.py), against closed forms,
brute force over the corners of the eps-box, finite differences and known gradients."""
import itertools

import numpy as np
import pytest

from neuromodels.analysis.attacks import (accuracy_vs_eps, fgsm, nes_attack,
                                          nes_expected_cosine, nes_gradient, pgd)
from neuromodels.analysis.classification import (accuracy, fit_linear_readout,
                                                 predict_linear_readout)
from neuromodels.parameters import ParameterError


class SoftmaxReadout:
    """Softmax cross-entropy of a linear readout, scores = x W + b (convex in x)."""

    def __init__(self, W, b, y):
        self.W, self.b, self.y = W, b, y

    def probabilities(self, x):
        s = x @ self.W + self.b
        p = np.exp(s - s.max(axis=1, keepdims=True))
        return p / p.sum(axis=1, keepdims=True)

    def loss(self, x):
        return -np.log(self.probabilities(x)[np.arange(len(x)), self.y])

    def grad(self, x):
        p = self.probabilities(x)
        p[np.arange(len(x)), self.y] -= 1
        return p @ self.W.T


def _finite_difference(loss, x, h=1e-6):
    g = np.zeros_like(x)
    for j in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[j] = h
        g[:, j] = (loss(x + e) - loss(x - e)) / (2 * h)
    return g


def _corners(x_row, eps, lo=0.0, hi=1.0):
    """The 2^d corners of the box {|x' - x| <= eps} within [lo, hi]."""
    low, high = np.maximum(x_row - eps, lo), np.minimum(x_row + eps, hi)
    return np.array([np.where(c, high, low) for c in itertools.product([0, 1], repeat=x_row.size)])


def test_fgsm_is_the_closed_form_worst_case_of_the_linearised_loss():
    rng = np.random.default_rng(1)
    d, k, n, eps = 5, 3, 8, 0.1
    model = SoftmaxReadout(rng.standard_normal((d, k)), rng.standard_normal(k),
                           rng.integers(0, k, n))
    x = rng.uniform(0.2, 0.8, (n, d))  # inside the box: no clipping
    g = _finite_difference(model.loss, x)  # independent of model.grad
    np.testing.assert_allclose(model.grad(x), g, atol=1e-8)
    x_adv = fgsm(x, model.grad, eps)
    np.testing.assert_array_equal(x_adv, x + eps * np.sign(g))
    for i in range(n):  # the maximiser of L(x) + g.(x' - x) over the box is a corner
        corners = _corners(x[i], eps)
        linearised = (corners - x[i]) @ g[i]
        np.testing.assert_array_equal(x_adv[i], corners[np.argmax(linearised)])
        inside = x[i] + rng.uniform(-eps, eps, (200, d))
        assert np.all((inside - x[i]) @ g[i] <= (x_adv[i] - x[i]) @ g[i] + 1e-15)
    assert np.all(model.loss(x_adv) > model.loss(x))


def test_fgsm_maximises_a_linear_margin_loss_within_the_input_range():
    """Margin L = (xW)_j - (xW)_y is linear in x: FGSM, clipped to [0, 1], is its exact
    maximum over the eps-box within [0, 1] (brute force over the 2^d corners)."""
    rng = np.random.default_rng(2)
    d, eps = 6, 0.3
    W = rng.standard_normal((d, 2))
    w = W[:, 1] - W[:, 0]

    def margin(x):
        return x @ w

    x = rng.choice([0.0, 0.1, 0.5, 0.95, 1.0], (10, d))  # many points near the edges
    x_adv = fgsm(x, lambda z: np.broadcast_to(w, z.shape), eps)
    assert np.all((x_adv >= 0) & (x_adv <= 1) & (np.abs(x_adv - x) <= eps + 1e-15))
    for i in range(len(x)):
        assert margin(x_adv[i:i + 1])[0] == pytest.approx(margin(_corners(x[i], eps)).max(),
                                                         abs=1e-12)
    # unclipped, FGSM would leave [0, 1] for these points
    assert np.any(x + eps * np.sign(w) > 1) and np.any(x + eps * np.sign(w) < 0)


def test_pgd_stays_in_the_ball_and_beats_fgsm_on_a_convex_loss():
    rng = np.random.default_rng(3)
    d, k, n, eps = 5, 4, 30, 0.25
    model = SoftmaxReadout(3 * rng.standard_normal((d, k)), rng.standard_normal(k),
                           rng.integers(0, k, n))
    x = rng.uniform(0, 1, (n, d))
    l_fgsm = model.loss(fgsm(x, model.grad, eps))
    previous = model.loss(x)
    for steps in (1, 2, 5, 20):  # prefixes of one trajectory; step_size >= eps: 1st = FGSM
        x_adv = pgd(x, model.grad, eps, steps=steps, step_size=2 * eps)
        assert np.all((x_adv >= 0) & (x_adv <= 1) & (np.abs(x_adv - x) <= eps + 1e-12))
        loss = model.loss(x_adv)
        assert np.all(loss >= l_fgsm - 1e-12) and np.all(loss >= previous - 1e-12)
        if steps == 1:
            np.testing.assert_array_equal(x_adv, fgsm(x, model.grad, eps))
        previous = loss
    # a convex function's maximum over the box is at a corner: PGD cannot exceed it, and
    # iterating reaches it for some samples where FGSM's single step does not
    best = np.array([SoftmaxReadout(model.W, model.b, np.full(2**d, label))
                     .loss(_corners(x[i], eps)).max() for i, label in enumerate(model.y)])
    assert np.all(previous <= best + 1e-12)
    assert np.sum(previous > l_fgsm + 1e-3) >= 1
    assert np.sum(previous < best - 1e-9) < np.sum(l_fgsm < best - 1e-9)
    # random start: inside the ball, reproducible by seed
    a = pgd(x, model.grad, eps, steps=3, random_start=True, seed=7)
    np.testing.assert_array_equal(a, pgd(x, model.grad, eps, steps=3, random_start=True,
                                         seed=7))
    assert np.all((a >= 0) & (a <= 1) & (np.abs(a - x) <= eps + 1e-12))
    assert not np.array_equal(a, pgd(x, model.grad, eps, steps=3))


def _cosines(a, b):
    return np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_nes_recovers_the_gradient_of_a_quadratic():
    """d = 64 (the digits' pixels), 1000 queries per sample: expected cosine 0.941."""
    rng = np.random.default_rng(4)
    d, n, n_queries = 64, 6, 1000
    M = rng.standard_normal((d, d))
    A, b = M @ M.T / d, rng.standard_normal(d)

    def loss(x):
        return 0.5 * np.einsum("ni,ij,nj->n", x, A, x) + x @ b

    x = rng.uniform(0, 1, (n, d))
    g = nes_gradient(loss, x, sigma=0.01, n_queries=n_queries, seed=0)
    cos = _cosines(g, x @ A + b)
    expected = nes_expected_cosine(d, n_queries)
    assert expected == pytest.approx(0.941, abs=1e-3)
    assert np.all(cos > 0.9)
    assert np.mean(cos) == pytest.approx(expected, abs=0.02)
    # too few queries for 64 dimensions: cosine well below 0.9, as the formula says
    few = _cosines(nes_gradient(loss, x, sigma=0.01, n_queries=40, seed=0), x @ A + b)
    assert np.mean(few) == pytest.approx(nes_expected_cosine(d, 40), abs=0.1)
    assert np.mean(few) < 0.7


def test_nes_expected_cosine_matches_monte_carlo():
    rng = np.random.default_rng(5)
    for d, n_queries in ((30, 200), (100, 100), (200, 400)):
        g = rng.standard_normal((400, d))
        est = nes_gradient(lambda x: np.sum(x * g, axis=1), np.zeros((400, d)), sigma=0.1,
                           n_queries=n_queries, seed=rng)
        assert np.mean(_cosines(est, g)) == pytest.approx(nes_expected_cosine(d, n_queries),
                                                          abs=0.02)
        # unbiased: E[g_hat] = g, so the projection of g_hat on g has mean |g|^2
        assert np.mean(np.sum(est * g, axis=1) / np.sum(g * g, axis=1)) == pytest.approx(
            1, abs=0.05)


def test_nes_recovers_the_gradient_of_a_small_tanh_network():
    rng = np.random.default_rng(6)
    d, h, n = 64, 16, 5
    W, c, v = rng.standard_normal((d, h)) / 4, rng.standard_normal(h), rng.standard_normal(h)

    def loss(x):
        return np.tanh(x @ W + c) @ v

    def grad(x):
        return ((1 - np.tanh(x @ W + c) ** 2) * v) @ W.T

    x = rng.uniform(0, 1, (n, d))
    np.testing.assert_allclose(grad(x), _finite_difference(loss, x), atol=1e-8)
    cos = _cosines(nes_gradient(loss, x, sigma=1e-3, n_queries=1000, seed=1), grad(x))
    assert np.all(cos > 0.9)
    # unbiased as sigma -> 0: the cosine goes to 1 with the query budget
    many = _cosines(nes_gradient(loss, x, sigma=1e-3, n_queries=40000, seed=2), grad(x))
    assert np.all(many > 0.995)


@pytest.fixture(scope="module")
def blobs():
    """Three Gaussian blobs in [0, 1]^10 and a least-squares linear readout of them."""
    rng = np.random.default_rng(7)
    d, k, n = 10, 3, 150
    y = np.repeat(np.arange(k), n // k)
    x = np.clip(rng.uniform(0.3, 0.7, (k, d))[y] + 0.05 * rng.standard_normal((n, d)), 0, 1)
    W = fit_linear_readout(x, y, ridge=1e-3)
    model = SoftmaxReadout(5 * W[:-1], 5 * W[-1], y)
    return x, y, model, (lambda z: predict_linear_readout(W, z))


def test_nes_black_box_attack_lowers_a_linear_classifiers_accuracy(blobs):
    x, y, model, predict = blobs
    eps = 0.1
    assert accuracy(predict(x), y) > 0.95
    x_nes = nes_attack(x, model.loss, eps, steps=10, n_queries=50, seed=1)
    assert np.all((x_nes >= 0) & (x_nes <= 1) & (np.abs(x_nes - x) <= eps + 1e-12))
    noise = np.clip(x + eps * np.random.default_rng(2).choice([-1, 1], x.shape), 0, 1)
    acc_nes, acc_noise = accuracy(predict(x_nes), y), accuracy(predict(noise), y)
    acc_pgd = accuracy(predict(pgd(x, model.grad, eps, steps=10)), y)
    assert acc_noise > 0.9  # a random corner of the ball barely matters
    assert acc_nes < 0.6 and acc_nes < acc_noise - 0.4
    assert acc_pgd <= acc_nes  # white-box with the exact gradient does at least as well


def test_accuracy_vs_eps_of_fgsm_equals_the_closed_form_for_a_linear_classifier():
    """Binary w.x + b: FGSM lowers each margin by sum_j |w_j| min(eps, room_j), room_j the
    distance to the edge of [0, 1] in the direction the attack moves x_j."""
    rng = np.random.default_rng(8)
    d, n = 8, 400
    w = rng.standard_normal(d)
    x = rng.uniform(0, 1, (n, d))
    b = -0.5 * np.sum(w)  # the boundary through the middle of the cube
    y = (x @ w + b + 0.3 * rng.standard_normal(n) > 0).astype(int)
    s = 2 * y - 1

    def predict(z):
        return (z @ w + b > 0).astype(int)

    def grad(z, labels):
        return -np.outer(2 * labels - 1, w)  # of the loss -s (w.x + b)

    grid = [0.0, 0.01, 0.03, 0.1, 0.3]
    curve = accuracy_vs_eps(x, y, grid, "fgsm", predict, grad=grad)
    moves_up = -s[:, None] * np.sign(w) > 0
    room = np.where(moves_up, 1 - x, x)
    expected = [np.mean(s * (x @ w + b) - np.minimum(eps, room) @ np.abs(w) > 0) for eps in grid]
    np.testing.assert_allclose(curve, expected, atol=1e-12)
    assert curve[0] == accuracy(predict(x), y) and curve[-1] < 0.2


def test_accuracy_vs_eps_of_pgd_and_nes(blobs):
    x, y, model, predict = blobs

    def loss(z, labels):
        return SoftmaxReadout(model.W, model.b, labels).loss(z)

    def grad(z, labels):
        return SoftmaxReadout(model.W, model.b, labels).grad(z)

    grid = [0.0, 0.05, 0.1, 0.2]
    pgd_curve = accuracy_vs_eps(x, y, grid, "pgd", predict, grad=grad, steps=5)
    nes_curve = accuracy_vs_eps(x, y, grid, "nes", predict, loss=loss, seed=3, steps=5,
                                n_queries=30)
    for curve in (pgd_curve, nes_curve):
        assert curve[0] == accuracy(predict(x), y)
        assert np.all(np.diff(curve) <= 0) and curve[-1] < 0.1
    assert np.all(pgd_curve <= nes_curve)
    np.testing.assert_array_equal(nes_curve, accuracy_vs_eps(
        x, y, grid, "nes", predict, loss=loss, seed=3, steps=5, n_queries=30))


@pytest.mark.parametrize("call, message", [
    (lambda x, g: fgsm(x, g, -0.1), "eps must be a finite number >= 0"),
    (lambda x, g: fgsm(x, g, float("nan")), "eps must be a finite number >= 0"),
    (lambda x, g: fgsm(x + 1, g, 0.1), r"x must lie in the input range clip = \[0.0, 1.0\]"),
    (lambda x, g: fgsm(x, g, 0.1, clip=(1, 0)), "clip must be .* low < high"),
    (lambda x, g: fgsm(x, lambda z: z[:, :1], 0.1), r"grad\(x\) must return shape \(2, 3\)"),
    (lambda x, g: pgd(x, g, 0.1, steps=0), "steps must be a whole number >= 1"),
    (lambda x, g: pgd(x, g, 0.1, steps=2.5), "steps must be a whole number >= 1"),
    (lambda x, g: pgd(x, g, 0.1, step_size=0), "step_size must be a finite number > 0"),
    (lambda x, g: nes_gradient(g, x, n_queries=7), "n_queries must be an even whole number"),
    (lambda x, g: nes_attack(x, g, 0.1, sigma=-1), "sigma must be a finite number > 0"),
    (lambda x, g: accuracy_vs_eps(x, [0, 1], [0.1], "cw", g), "attack must be one of"),
    (lambda x, g: accuracy_vs_eps(x, [0, 1], [0.1], "pgd", g), "needs the model's grad"),
])
def test_bad_input_is_refused_naming_the_parameter(call, message):
    x = np.full((2, 3), 0.5)
    with pytest.raises(ParameterError, match=message):
        call(x, lambda z: np.zeros_like(z))
