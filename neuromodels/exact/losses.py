r"""Spike-time losses (Klos & Memmesheimer, arXiv 2309.14523).

* :func:`mse_loss`: :math:`L = \frac1K\sum_k (t_k - t^*_k)^2` (single-neuron task).
* :func:`relative_sentinel_loss`: for each target neuron the real targets
  :math:`t^*_1..t^*_m` and a sentinel :math:`t^*_{m+1} = 1.1\,T`;
  :math:`L = \frac{1}{\sum(m+1)}\sum_i\big[\sum_{k\le m}\big(\frac{t_k-t^*_k}{t^*_k+2}\big)^2
  + [t_{m+1} < t^*_{m+1}]\big(\frac{t_{m+1}-t^*_{m+1}}{t^*_{m+1}+2}\big)^2\big]`
  (recurrent task): the sentinel term only penalises a surplus spike.
"""

from __future__ import annotations

import jax.numpy as jnp

from .precision import in_float64

__all__ = ["mse_loss", "relative_sentinel_loss"]


@in_float64
def mse_loss(t_out, t_target):
    """Mean squared spike-time error."""
    return jnp.mean((t_out - t_target) ** 2)


@in_float64
def relative_sentinel_loss(t_outs, t_targets):
    """Relative squared error with sentinel; lists of arrays, each ending with the sentinel."""
    total = 0.0
    count = 0
    for t_out, t_tar in zip(t_outs, t_targets):
        rel = ((t_out - t_tar) / (t_tar + 2.0)) ** 2
        total = total + jnp.sum(rel[:-1]) + rel[-1] * (t_out[-1] < t_tar[-1])
        count += t_tar.shape[0]
    return total / count
