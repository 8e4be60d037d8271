r"""Small optimisers as pure functions on pytrees: ``init(params) -> state``,
``update(grads, state) -> (steps, state)``; new params are ``params + steps``.

* :func:`clipped_sgd`: :math:`\Delta = -\eta\,\mathrm{clip}(g, -c, c)` (elementwise).
* :func:`adabelief` (Zhuang et al., NeurIPS 2020):
  :math:`m \leftarrow \beta_1 m + (1-\beta_1)g`,
  :math:`s \leftarrow \beta_2 s + (1-\beta_2)(g-m)^2 + \epsilon_r`,
  :math:`\Delta = -\eta_n\,\hat m/(\sqrt{\hat s}+\epsilon)` with bias corrections
  :math:`\hat m = m/(1-\beta_1^n)`, :math:`\hat s = s/(1-\beta_2^n)`.
* :func:`exponential_decay`: :math:`\eta_n = \eta_0\,r^{n/n_\mathrm{decay}}` (n from 0).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp

from .precision import in_float64

__all__ = ["Optimizer", "clipped_sgd", "adabelief", "exponential_decay"]


class Optimizer(NamedTuple):
    init: Callable
    update: Callable


def _check_positive(name, x):
    if not (float(x) > 0):
        raise ValueError(f"{name} must be > 0, got {x!r}")


def exponential_decay(lr0, n_decay, rate):
    """Learning-rate schedule ``lr0 * rate**(n / n_decay)``."""
    _check_positive("lr0", lr0)
    _check_positive("n_decay", n_decay)
    _check_positive("rate", rate)
    return lambda n: lr0 * rate ** (n / n_decay)


def clipped_sgd(lr, clip):
    """SGD on the elementwise clipped gradient."""
    _check_positive("lr", lr)
    _check_positive("clip", clip)

    def init(params):
        return jnp.zeros((), jnp.int32)

    def update(grads, state):
        steps = jax.tree.map(lambda g: -lr * jnp.clip(g, -clip, clip), grads)
        return steps, state + 1

    return Optimizer(in_float64(init), in_float64(update))


def adabelief(lr, b1=0.9, b2=0.999, eps=1e-16, eps_root=1e-16):
    """AdaBelief; ``lr`` is a number or a schedule ``n -> lr``."""
    sched = lr if callable(lr) else (lambda n: lr)
    if not callable(lr):
        _check_positive("lr", lr)
    for name, b in (("b1", b1), ("b2", b2)):
        if not 0 <= b < 1:
            raise ValueError(f"{name} must lie in [0, 1), got {b!r}")

    def init(params):
        zeros = jax.tree.map(jnp.zeros_like, params)
        return (jnp.zeros((), jnp.int32), zeros, zeros)

    def update(grads, state):
        n, m, s = state
        m = jax.tree.map(lambda m_, g: b1 * m_ + (1 - b1) * g, m, grads)
        s = jax.tree.map(
            lambda s_, g, m_: b2 * s_ + (1 - b2) * (g - m_) ** 2 + eps_root, s, grads, m
        )
        n1 = n + 1
        c1 = 1 - b1**n1
        c2 = 1 - b2**n1
        eta = sched(n)
        steps = jax.tree.map(lambda m_, s_: -eta * (m_ / c1) / (jnp.sqrt(s_ / c2) + eps), m, s)
        return steps, (n1, m, s)

    return Optimizer(in_float64(init), in_float64(update))

