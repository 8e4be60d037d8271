r"""Closed-form dynamics of the QIF neuron with exponentially decaying input current.

Model (Klos & Memmesheimer, arXiv 2309.14523, Phys. Rev. Lett. 2025):

.. math::

    \tau \dot V = V(V-1) + I, \qquad
    \tfrac{\tau}{2}\dot I = -I + \tfrac{\tau}{2}\sum_k w_k\,\delta(t-t_k).

A spike is emitted when :math:`V` reaches :math:`+\infty`; :math:`V` continues from
:math:`-\infty` (the theta neuron: :math:`V = \tfrac12 + \tfrac12\tan(\theta/2)`).

**Linearisation used here.** Over an interval without events that starts at
:math:`(V_0, I_0)`, substitute :math:`\sigma = 1 - e^{-\Delta t/\tau}` and
:math:`y = V e^{\Delta t/\tau}`; then :math:`dy/d\sigma = y^2 + I_0` with *constant*
:math:`I_0` (a Riccati equation). Writing :math:`y = p/q` makes it linear,
:math:`p' = I_0 q,\; q' = -p`, solved by

.. math::

    \begin{pmatrix}p\\q\end{pmatrix}(\sigma) =
    \begin{pmatrix}C & I_0 S\\ -S & C\end{pmatrix}\begin{pmatrix}p_0\\q_0\end{pmatrix},
    \quad C = \cos(\sqrt{I_0}\,\sigma),\; S = \frac{\sin(\sqrt{I_0}\,\sigma)}{\sqrt{I_0}},

(cosh/sinh for :math:`I_0<0`; both are entire functions of :math:`I_0`). The neuron's
state is kept in projective form :math:`(p, q)` with :math:`V = p/q`, so the reset
:math:`+\infty \to -\infty` is simply a zero crossing of :math:`q`: spikes are the
zeros of :math:`q`, no voltage cap is needed, and spike times are smooth functions of
all parameters except where a spike crosses the end of the trial.

Time to the next spike from :math:`(p, q, I)`: the first :math:`\sigma\in(0,1)` with
:math:`C q - S p = 0`, i.e. :math:`\sigma = (\pi/2-\operatorname{atan2}(p/\sqrt I, q)
\bmod \pi)/\sqrt I` for :math:`I>0`, :math:`\operatorname{artanh}(\sqrt{-I}\,q/p)/\sqrt{-I}`
for :math:`I<0`; then :math:`\Delta t = -\tau\ln(1-\sigma)`. Its derivatives are given by
the implicit-function theorem on :math:`F = Cq - Sp`, which is exact and regular at
:math:`I=0` as well.

All functions are written in JAX and act elementwise; time is measured in units of
``tau`` where a function has no ``tau`` argument.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .precision import in_float64

__all__ = ["cos_sin", "flow", "time_to_spike", "voltage", "state_from_voltage"]

# Below this |I sigma^2| the Taylor series of C and S is used (truncation error < 1e-20).
_Z_SMALL = 1e-4
_N_TAYLOR = 4


@in_float64
def cos_sin(I, x):
    r"""Entire functions :math:`C = \cos(\sqrt{I}x)` and :math:`S = \sin(\sqrt{I}x)/\sqrt{I}`.

    Continued analytically to :math:`I \le 0` (cosh, sinh); differentiable everywhere.
    """
    z = I * x * x
    small = jnp.abs(z) < _Z_SMALL
    # Taylor branch: C = sum (-z)^k/(2k)!, S = x sum (-z)^k/(2k+1)!
    zs = jnp.where(small, z, 0.0)
    c_series = jnp.zeros_like(zs)
    s_series = jnp.zeros_like(zs)
    fc, fs = 1.0, 1.0
    term = jnp.ones_like(zs)
    for k in range(_N_TAYLOR):
        c_series = c_series + term / fc
        s_series = s_series + term / fs
        term = term * (-zs)
        fc *= (2 * k + 1) * (2 * k + 2)
        fs *= (2 * k + 2) * (2 * k + 3)
    # closed-form branches, with safe arguments so that unused branches stay finite
    pos = I > 0
    Isafe = jnp.where(small, 1.0, jnp.abs(I))
    w = jnp.sqrt(Isafe)
    arg = w * x
    c_big = jnp.where(pos, jnp.cos(arg), jnp.cosh(arg))
    s_big = jnp.where(pos, jnp.sin(arg), jnp.sinh(arg)) / w
    C = jnp.where(small, c_series, c_big)
    S = jnp.where(small, x * s_series, s_big)
    return C, S


@in_float64
def flow(p, q, I, dt, tau=1.0):
    r"""Evolve the projective state ``(p, q)`` (``V = p/q``) and current ``I`` by ``dt``.

    Returns ``(p1, q1, I1)``; ``(p1, q1)`` is rescaled to unit max-norm, which leaves
    :math:`V` unchanged.
    """
    s = dt / tau
    sigma = -jnp.expm1(-s)
    C, S = cos_sin(I, sigma)
    p1 = C * p + I * S * q
    q1 = (C * q - S * p) * jnp.exp(s)
    scale = jnp.maximum(jnp.abs(p1), jnp.abs(q1))
    return p1 / scale, q1 / scale, I * jnp.exp(-2.0 * s)


@jax.custom_jvp
def _sigma_to_zero(p, q, I):
    """First sigma in (0, inf) with C q - S p = 0 (inf if none); see module docstring."""
    pos = I > 0
    neg = I < 0
    w = jnp.sqrt(jnp.where(I == 0, 1.0, jnp.abs(I)))
    # I > 0: rotation with angular velocity w
    alpha = jnp.arctan2(p / w, q)
    beta = jnp.pi / 2 - alpha
    beta = jnp.where(beta <= 0, beta + jnp.pi, beta)
    beta = jnp.where(beta > jnp.pi, beta - jnp.pi, beta)
    s_pos = beta / w
    # I < 0: tanh(w sigma) = w q / p needs 0 < w q/p < 1
    psafe = jnp.where(p == 0, 1.0, p)
    r = w * q / psafe
    ok_neg = (p != 0) & (r > 0) & (r < 1)
    s_neg = jnp.where(ok_neg, jnp.arctanh(jnp.where(ok_neg, r, 0.5)) / w, jnp.inf)
    # I == 0: q - sigma p = 0
    r0 = q / psafe
    s_zero = jnp.where((p != 0) & (r0 > 0), r0, jnp.inf)
    return jnp.where(pos, s_pos, jnp.where(neg, s_neg, s_zero))


@_sigma_to_zero.defjvp
def _sigma_to_zero_jvp(primals, tangents):
    # implicit differentiation of F(sigma, p, q, I) = C q - S p = 0
    p, q, I = primals
    dp, dq, dI = tangents
    sig = _sigma_to_zero(p, q, I)
    finite = jnp.isfinite(sig)
    x = jnp.where(finite, sig, 0.0)
    (C, S), (dC_dI, dS_dI) = jax.jvp(
        lambda Ii: cos_sin(Ii, x), (I,), (jnp.ones_like(I),)
    )
    F_sigma = -I * S * q - C * p  # dC/dsigma = -I S, dS/dsigma = C
    F_sigma = jnp.where(finite & (F_sigma != 0), F_sigma, 1.0)
    dF = C * dq - S * dp + (dC_dI * q - dS_dI * p) * dI
    dsig = jnp.where(finite, -dF / F_sigma, 0.0)
    return sig, dsig


@in_float64
def time_to_spike(p, q, I, tau=1.0):
    r"""Time until the next spike from state ``(p, q, I)`` without further input.

    :math:`\Delta t = -\tau \ln(1-\sigma)`; ``inf`` when the neuron does not spike.
    """
    sig = _sigma_to_zero(p, q, I)
    ok = sig < 1.0
    return jnp.where(ok, -tau * jnp.log1p(-jnp.where(ok, sig, 0.0)), jnp.inf)


@in_float64
def state_from_voltage(V):
    """Projective state ``(p, q)`` for voltage ``V`` (``+-inf`` allowed)."""
    V = jnp.asarray(V, dtype=jnp.float64)
    inf = jnp.isinf(V)
    p = jnp.where(inf, jnp.sign(V), V)
    q = jnp.where(inf, 0.0, 1.0)
    return p, q


@in_float64
def voltage(p, q):
    """Voltage ``V = p/q`` (``+-inf`` at a spike)."""
    return p / q
