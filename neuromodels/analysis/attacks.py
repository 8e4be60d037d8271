r"""Adversarial attacks on inputs in an L-infinity ball: FGSM, PGD, and NES (queries only).

A model enters only through functions of a batch of inputs ``x`` (n, ...), in a range
``clip = (lo, hi)`` (default [0, 1], pixel intensities before rate coding):

* white-box: ``grad(x)``, the gradient of each sample's loss with respect to its own input
  (shape of x; e.g. the BPTT twin's surrogate gradient);
* black-box: ``loss(x)``, the loss of each sample (shape (n,)), queried only.

The threat model is the L-infinity ball of radius :math:`\epsilon` around the clean input,
intersected with the input range: :math:`S = \{x' : \lVert x' - x\rVert_\infty \le
\epsilon,\ lo \le x' \le hi\}` (a box, so the projection :math:`\Pi_S` is a clip).

* :func:`fgsm` (Goodfellow et al. 2015): :math:`x' = \Pi_S(x + \epsilon\,
  \mathrm{sign}\,\nabla_x L)`, the maximiser over S of the loss linearised at x.
* :func:`pgd` (Madry et al. 2018): from :math:`x_0 = x` (or a uniform random point of S),
  :math:`x_{k+1} = \Pi_S(x_k + \alpha\, \mathrm{sign}\,\nabla_x L(x_k))`,
  k = 0..steps-1.  For a convex loss every step is an ascent step (each coordinate moves
  along its gradient's sign or not at all), and with :math:`\alpha \ge \epsilon` the first
  step is FGSM, so PGD's loss is at least FGSM's.
* :func:`nes_gradient` (Ilyas et al. 2018): the gradient of the Gaussian-smoothed loss
  :math:`E_u[L(x + \sigma u)]` from P antithetic pairs of queries,

  .. math:: \hat g = \frac{1}{2\sigma P} \sum_{i=1}^{P} \bigl(L(x + \sigma u_i)
            - L(x - \sigma u_i)\bigr)\, u_i, \qquad u_i \sim \mathcal N(0, I_d),

  ``n_queries = 2P`` loss evaluations per sample.  For a loss linear around x (a quadratic
  exactly) :math:`\hat g = \frac1P \sum_i u_i u_i^\top g`, whose expected cosine with g is
  :math:`\approx 1/\sqrt{1 + (d+1)/P}` (:func:`nes_expected_cosine`): a cosine of 0.9 needs
  :math:`P \approx 4.3\,(d+1)`.
* :func:`nes_attack`: PGD with :math:`\hat g` in place of the gradient (Ilyas et al.
  2018, alg. 2 without the query-limited early stop): ``steps * n_queries`` queries per
  sample.
* :func:`accuracy_vs_eps`: accuracy of a model under one attack for each radius of a grid.

Queries of NES are not clipped to the input range (the loss is evaluated at
:math:`x \pm \sigma u`); only the attacked inputs are.

References
----------
Goodfellow IJ, Shlens J, Szegedy C (2015) Explaining and harnessing adversarial examples.
ICLR (arXiv 1412.6572).
Madry A, Makelov A, Schmidt L, Tsipras D, Vladu A (2018) Towards deep learning models
resistant to adversarial attacks. ICLR (arXiv 1706.06083).
Ilyas A, Engstrom L, Athalye A, Lin J (2018) Black-box adversarial attacks with limited
queries and information. ICML, PMLR 80:2137-2146.
Wierstra D, Schaul T, Glasmachers T, Sun Y, Peters J, Schmidhuber J (2014) Natural
evolution strategies. JMLR 15:949-980.
"""

from numbers import Real

import numpy as np

from ..parameters import ParameterError
from .classification import accuracy

__all__ = ["fgsm", "pgd", "nes_gradient", "nes_attack", "nes_expected_cosine", "ATTACKS",
           "accuracy_vs_eps"]


# -- input checks (one message per parameter, naming its range) --------------------------
def _real(value):
    return isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)


def _eps(eps):
    if not (_real(eps) and eps >= 0):
        raise ParameterError(
            f"eps must be a finite number >= 0 (L-inf radius, units of the input), got {eps!r}")
    return float(eps)


def _positive(value, name, what):
    if not (_real(value) and value > 0):
        raise ParameterError(f"{name} must be a finite number > 0 ({what}), got {value!r}")
    return float(value)


def _whole(value, name, low, even=False):
    if not (_real(value) and float(value).is_integer() and value >= low
            and not (even and value % 2)):
        kind = "an even whole number" if even else "a whole number"
        raise ParameterError(f"{name} must be {kind} >= {low}, got {value!r}")
    return int(value)


def _inputs(x, clip):
    try:
        lo, hi = (float(c) for c in clip)
    except (TypeError, ValueError):
        raise ParameterError(f"clip must be (low, high), got {clip!r}") from None
    if not lo < hi:
        raise ParameterError(f"clip must be (low, high) with low < high, got {clip!r}")
    x = np.asarray(x, dtype=float)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ParameterError(f"x must be a batch of inputs, shape (n_samples, ...), got {x.shape}")
    if not (np.all(np.isfinite(x)) and x.min() >= lo and x.max() <= hi):
        raise ParameterError(f"x must lie in the input range clip = [{lo}, {hi}]")
    return x, lo, hi


def _called(fn, x, name, shape):
    out = np.asarray(fn(x), dtype=float)
    if out.shape != shape:
        raise ParameterError(f"{name}(x) must return shape {shape}, got {out.shape}")
    return out


def _project(x_adv, x, eps, lo, hi):
    """Projection onto the box {|x' - x| <= eps} intersected with [lo, hi]."""
    return np.clip(np.clip(x_adv, x - eps, x + eps), lo, hi)


def _step_size(step_size, eps, steps):
    if step_size is None:
        return 2.5 * eps / steps
    return _positive(step_size, "step_size", "per-step change, units of the input")


def _projected_sign_steps(x, grad_at, eps, steps, step_size, clip, start=None):
    r"""The iteration PGD and the NES attack share: :math:`x_{k+1} = \Pi_S(x_k +
    \alpha\,\mathrm{sign}\,g(x_k))` from ``start(x, eps, lo, hi)`` (default x itself),
    after checking eps, steps, step_size and the inputs."""
    eps = _eps(eps)
    steps = _whole(steps, "steps", 1)
    x, lo, hi = _inputs(x, clip)
    alpha = _step_size(step_size, eps, steps)
    x_adv = x.copy() if start is None else start(x, eps, lo, hi)
    for _ in range(steps):
        x_adv = _project(x_adv + alpha * np.sign(grad_at(x_adv)), x, eps, lo, hi)
    return x_adv


# -- white-box ------------------------------------------------------------------------
def fgsm(x, grad, eps, clip=(0.0, 1.0)):
    r"""Fast gradient sign method: :math:`\Pi_S(x + \epsilon\,\mathrm{sign}\,\nabla_x L(x))`.

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Clean inputs, in ``clip``.
    grad : callable x -> array of x's shape
        Gradient of each sample's loss with respect to its input.
    eps : float
        L-inf radius, >= 0 (units of x).
    clip : (float, float), default (0.0, 1.0)
        Input range.

    Returns
    -------
    numpy.ndarray of float, shape of x
    """
    eps = _eps(eps)
    x, lo, hi = _inputs(x, clip)
    return _project(x + eps * np.sign(_called(grad, x, "grad", x.shape)), x, eps, lo, hi)


def pgd(x, grad, eps, steps=10, step_size=None, random_start=False, seed=None,
        clip=(0.0, 1.0)):
    r"""Projected gradient descent on the negative loss in the L-inf ball (Madry et al. 2018).

    :math:`x_{k+1} = \Pi_S(x_k + \alpha\,\mathrm{sign}\,\nabla_x L(x_k))`, from x or from
    a uniform random point of :math:`S` (the eps-box around x within ``clip``).

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Clean inputs, in ``clip``.
    grad : callable x -> array of x's shape
        Gradient of each sample's loss with respect to its input.
    eps : float
        L-inf radius, >= 0 (units of x).
    steps : int, default 10
        Number of gradient steps, >= 1.
    step_size : float or None, default None
        :math:`\alpha` > 0 (units of x); None means :math:`2.5\,\epsilon/\mathrm{steps}`
        (Madry et al. 2018).
    random_start : bool, default False
        Start from a uniform random point of S.
    seed : int, numpy.random.Generator or None, default None
        Random seed of the start.
    clip : (float, float), default (0.0, 1.0)
        Input range.

    Returns
    -------
    numpy.ndarray of float, shape of x
    """
    def start(x, eps, lo, hi):
        if not random_start:
            return x.copy()
        rng = np.random.default_rng(seed)
        return _project(x + rng.uniform(-eps, eps, x.shape), x, eps, lo, hi)

    return _projected_sign_steps(x, lambda x_adv: _called(grad, x_adv, "grad", x_adv.shape),
                                 eps, steps, step_size, clip, start)


# -- black-box ------------------------------------------------------------------------
def nes_gradient(loss, x, sigma=1e-3, n_queries=100, seed=None):
    r"""NES estimate of each sample's loss gradient from antithetic Gaussian queries.

    :math:`\hat g = \frac{1}{2\sigma P}\sum_{i=1}^P (L(x + \sigma u_i) - L(x - \sigma
    u_i))\,u_i`, :math:`u_i \sim \mathcal N(0, I)` drawn per sample, P = n_queries / 2.

    Parameters
    ----------
    loss : callable x -> array of shape (n_samples,)
        Loss of each sample (queried only).
    x : array_like, shape (n_samples, ...)
        Where to estimate the gradient.
    sigma : float, default 1e-3
        Search s.d. > 0 (units of x): the estimate is the gradient of the loss smoothed
        with a Gaussian of this width.
    n_queries : int, default 100
        Loss evaluations per sample, an even number >= 2.
    seed : int, numpy.random.Generator or None, default None

    Returns
    -------
    numpy.ndarray of float, shape of x
    """
    sigma = _positive(sigma, "sigma", "NES search s.d., units of the input")
    pairs = _whole(n_queries, "n_queries", 2, even=True) // 2
    x = np.asarray(x, dtype=float)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ParameterError(f"x must be a batch of inputs, shape (n_samples, ...), got {x.shape}")
    rng = np.random.default_rng(seed)
    per_sample = (-1,) + (1,) * (x.ndim - 1)
    g = np.zeros_like(x)
    for _ in range(pairs):
        u = rng.standard_normal(x.shape)
        diff = (_called(loss, x + sigma * u, "loss", x.shape[:1])
                - _called(loss, x - sigma * u, "loss", x.shape[:1]))
        g += diff.reshape(per_sample) * u
    return g / (2 * sigma * pairs)


def nes_expected_cosine(n_dims, n_queries):
    r"""Expected cosine between the NES estimate and the gradient of a locally linear loss.

    :math:`1/\sqrt{1 + (d + 1)/P}`, P = n_queries / 2, from
    :math:`E\lVert \hat g\rVert^2 = \lVert g\rVert^2 (1 + (d+1)/P)` and
    :math:`E[\hat g \cdot g] = \lVert g\rVert^2` (a ratio of expectations, exact as
    P grows): the query budget for a wanted cosine in d input dimensions.  Monte Carlo: within
    0.01 for d >= 30; for d = 10 it underestimates by about 0.02-0.03.  For 0.9 it needs
    P ~ 4.3 (d + 1): 556 queries for the digits' 64 pixels, 6694 for MNIST's 784.

    Parameters
    ----------
    n_dims : int
        Input dimension d per sample, >= 1.
    n_queries : int
        Loss evaluations per sample, an even number >= 2.

    Returns
    -------
    float
    """
    d = _whole(n_dims, "n_dims", 1)
    pairs = _whole(n_queries, "n_queries", 2, even=True) // 2
    return float(1 / np.sqrt(1 + (d + 1) / pairs))


def nes_attack(x, loss, eps, steps=10, step_size=None, sigma=1e-3, n_queries=100, seed=None,
               clip=(0.0, 1.0)):
    r"""Black-box PGD with NES gradients (Ilyas et al. 2018): queries of ``loss`` only.

    :math:`x_{k+1} = \Pi_S(x_k + \alpha\,\mathrm{sign}\,\hat g(x_k))` from :math:`x_0 = x`;
    ``steps * n_queries`` loss evaluations per sample in all.

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Clean inputs, in ``clip``.
    loss : callable x -> array of shape (n_samples,)
        Loss of each sample.
    eps : float
        L-inf radius, >= 0 (units of x).
    steps : int, default 10
        Number of steps, >= 1.
    step_size : float or None, default None
        :math:`\alpha` > 0; None means :math:`2.5\,\epsilon/\mathrm{steps}`.
    sigma : float, default 1e-3
        NES search s.d. > 0.
    n_queries : int, default 100
        Loss evaluations per sample and step, an even number >= 2.
    seed : int, numpy.random.Generator or None, default None
    clip : (float, float), default (0.0, 1.0)
        Input range.

    Returns
    -------
    numpy.ndarray of float, shape of x
    """
    _positive(sigma, "sigma", "NES search s.d., units of the input")
    _whole(n_queries, "n_queries", 2, even=True)
    rng = np.random.default_rng(seed)
    return _projected_sign_steps(x, lambda x_adv: nes_gradient(loss, x_adv, sigma, n_queries, rng),
                                 eps, steps, step_size, clip)


#: attacks by name, and which of the model's functions each needs
ATTACKS = {"fgsm": (fgsm, "grad"), "pgd": (pgd, "grad"), "nes": (nes_attack, "loss")}


def accuracy_vs_eps(x, y, eps_grid, attack, predict, loss=None, grad=None, seed=None,
                    **options):
    """Accuracy of a model on attacked inputs, for each L-inf radius of a grid.

    Parameters
    ----------
    x : array_like, shape (n_samples, ...)
        Clean inputs, in the input range (``clip`` in ``options``, default [0, 1]).
    y : array_like of int, shape (n_samples,)
        Class labels.
    eps_grid : sequence of float
        Radii, each >= 0 (0 gives the clean accuracy).
    attack : {"fgsm", "pgd", "nes"}
        The attack (:data:`ATTACKS`).
    predict : callable x -> array of int, shape (n_samples,)
        The model's predicted classes.
    loss : callable (x, y) -> array of shape (n_samples,), optional
        Each sample's loss (needed by "nes").
    grad : callable (x, y) -> array of x's shape, optional
        Its gradient with respect to x (needed by "fgsm" and "pgd").
    seed : int or None, default None
        Seed of the attack's random numbers, the same for every radius (common random
        numbers: the curve's differences come from eps, not from the draw).
    **options
        Passed on to the attack (``steps``, ``step_size``, ``sigma``, ``n_queries``,
        ``random_start``, ``clip``).

    Returns
    -------
    numpy.ndarray of float, shape (len(eps_grid),)
        Accuracy per radius.
    """
    if attack not in ATTACKS:
        raise ParameterError(f"attack must be one of {sorted(ATTACKS)}, got {attack!r}")
    fn, needs = ATTACKS[attack]
    model_fn = {"grad": grad, "loss": loss}[needs]
    if model_fn is None:
        raise ParameterError(f"attack {attack!r} needs the model's {needs} function")
    grid = [_eps(eps) for eps in np.atleast_1d(eps_grid)]
    if not grid:
        raise ParameterError("eps_grid must hold at least one radius")
    x, _, _ = _inputs(x, options.get("clip", (0.0, 1.0)))
    y = np.asarray(y)
    if attack in ("pgd", "nes"):
        options["seed"] = seed
    out = []
    for eps in grid:
        x_adv = x if eps == 0 else fn(x, lambda z: model_fn(z, y), eps, **options)
        out.append(accuracy(np.asarray(predict(x_adv)), y))
    return np.array(out)
