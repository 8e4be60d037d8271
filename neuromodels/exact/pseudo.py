r"""Pseudodynamics after the trial end: pseudospikes that let gradients add/remove spikes.

After the trial end :math:`T` the neuron is driven by a constant suprathreshold current
:math:`\tilde I = \mathrm{softplus}_\alpha(I(T) + u)` (:math:`u`: pseudo-input) and
follows :math:`\tau\dot V = (V-\tfrac12)^2 + \tilde I`, which spikes periodically:

.. math::

    \tilde\Theta = \frac{\tau\pi}{\sqrt{\tilde I}},\qquad
    \tilde\varphi = \frac{\tau}{\sqrt{\tilde I}}\Big(\arctan\frac{V(T)-\tfrac12}{\sqrt{\tilde I}}
        + \frac{\pi}{2}\Big),\qquad
    \tilde t_k = T + k\tilde\Theta - \tilde\varphi .

The :math:`n`-th output spike (:math:`n = 0, 1, \dots`) of a neuron that fired
:math:`K` real spikes is the real one for :math:`n < K`, else the pseudospike
:math:`k = n + 1 - K`. A spike crossing :math:`T` moves continuously between the two
(Klos & Memmesheimer, arXiv 2309.14523).
"""

from __future__ import annotations

import jax.numpy as jnp

from .precision import in_float64

__all__ = ["softplus", "pseudo_phase", "pseudo_period", "output_times", "pseudo_rate"]


@in_float64
def softplus(x, alpha=10.0):
    r""":math:`\alpha \ln(1 + e^{x/\alpha})`, computed stably."""
    return alpha * jnp.logaddexp(0.0, x / alpha)


@in_float64
def pseudo_phase(p, q, I_tilde, tau=1.0):
    r"""Pseudo-phase :math:`\tilde\varphi \in (0, \tilde\Theta)` of the projective state
    ``(p, q)``."""
    root = jnp.sqrt(I_tilde)
    s = jnp.where(q < 0, -1.0, 1.0)  # (p, q) ~ (-p, -q): make the denominator >= 0
    ang = jnp.arctan2(s * (p - 0.5 * q), s * q * root)
    return tau * (ang + jnp.pi / 2) / root


@in_float64
def pseudo_period(I_tilde, tau=1.0):
    r"""Pseudo-period :math:`\tilde\Theta = \tau\pi/\sqrt{\tilde I}`."""
    return tau * jnp.pi / jnp.sqrt(I_tilde)


@in_float64
def pseudo_rate(p, q, I_tilde, tau=1.0):
    r"""Phase fraction :math:`\tilde\varphi/\tilde\Theta`, the 'rate' used as pseudo-input."""
    return pseudo_phase(p, q, I_tilde, tau) / pseudo_period(I_tilde, tau)


@in_float64
def output_times(real, n_real, p, q, I_end, u=0.0, T=10.0, alpha=10.0, tau=1.0):
    """Output spike times: the ``len(real)`` first real spikes, completed by pseudospikes."""
    I_tilde = softplus(I_end + u, alpha)
    phi = pseudo_phase(p, q, I_tilde, tau)
    theta = pseudo_period(I_tilde, tau)
    n = jnp.arange(real.shape[-1])
    k = n + 1 - n_real
    pseudo = T + k * theta - phi
    return jnp.where(n < n_real, real, pseudo)
