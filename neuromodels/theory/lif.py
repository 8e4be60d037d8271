r"""Analytic firing rates of the leaky integrate-and-fire (LIF) neuron.

Independent of any simulation code. All functions accept plain floats/arrays
or Brian2 quantities; quantities are converted to SI base units first, so
with plain numbers give **voltages in one consistent unit** (e.g. all in mV
or all in V) and **times in seconds**. Rates are returned in Hz (1/s) as
numpy floats/arrays (broadcast over the inputs).

Model and noise convention
--------------------------
The membrane potential obeys the diffusive (Ornstein-Uhlenbeck) equation

.. math::

    \tau_m \frac{dV}{dt} = \mu - V + \sigma_V \sqrt{2\tau_m}\, \xi(t),
    \qquad \langle \xi(t) \xi(t') \rangle = \delta(t - t'),

with spike and reset :math:`V \to V_r` when :math:`V` reaches the threshold
:math:`v_{th}`, followed by an absolute refractory period :math:`t_{ref}` during
which V is clamped at :math:`V_r`. :math:`\sigma_V` (``sigma_v``) is the
**standard deviation of the free membrane potential** (no threshold), and the names
are those of the model, :func:`neuromodels.neurons.noisy.diffusive_lif`
(``sigma_v``, ``tau_m``, ``v_th``, ``v_reset``, ``t_ref``; ``mu = E_L + R_m I_ext``),
so its parameters can be passed as they are. In Brian2 this is

.. code-block:: python

    eqs = "dv/dt = (mu - v)/tau_m + sigma_v*sqrt(2/tau_m)*xi : volt (unless refractory)"

Brunel (2000) and Brunel & Hakim (1999) write the noise amplitude
:math:`\sigma = \sqrt 2\,\sigma_V` instead (their
:math:`\tau\dot V = \mu - V + \sigma\sqrt\tau\,\xi`); the formulas below are theirs
with that substitution.

References
----------
Siegert AJF (1951) On the first passage time probability problem.
Phys Rev 81:617-623.
Ricciardi LM (1977) Diffusion Processes and Related Topics in Biology.
Springer.
Brunel N, Hakim V (1999) Fast global oscillations in networks of
integrate-and-fire neurons with low firing rates. Neural Comput 11:1621-1671.
Brunel N (2000) Dynamics of sparsely connected networks of excitatory and
inhibitory spiking neurons. J Comput Neurosci 8:183-208, eq. (21).
"""

import numpy as np
from scipy import integrate, special

from ..units import as_float

__all__ = ["lif_rate_deterministic", "siegert_rate", "siegert_cv"]


def _common(mu, tau_m, v_th, v_reset, t_ref):
    mu = as_float(mu, "mu", "volt")
    v_th = as_float(v_th, "v_th", "volt")
    v_reset = as_float(v_reset, "v_reset", "volt")
    tau_m = as_float(tau_m, "tau_m", "second")
    t_ref = as_float(t_ref, "t_ref", "second")
    if np.any(~(tau_m > 0)):
        raise ValueError(f"tau_m must be > 0 (s), got {tau_m}")
    if np.any(~(t_ref >= 0)):
        raise ValueError(f"t_ref must be >= 0 (s), got {t_ref}")
    if np.any(~(v_reset < v_th)):
        raise ValueError(
            f"v_reset must be < v_th, got v_reset={v_reset}, v_th={v_th}"
        )
    return mu, tau_m, v_th, v_reset, t_ref


def _sigma_v(sigma_v):
    sigma_v = as_float(sigma_v, "sigma_v", "volt")
    if np.any(~(sigma_v > 0)):
        raise ValueError(f"sigma_v (s.d. of the free membrane potential) must be > 0 (voltage), "
                         f"got {sigma_v}")
    return sigma_v


def lif_rate_deterministic(mu, tau_m, v_th, v_reset, t_ref=0.0):
    r"""Firing rate of the noiseless LIF neuron driven by constant input.

    For :math:`\tau_m\, dV/dt = \mu - V` with threshold :math:`\theta` (``v_th``),
    reset :math:`V_r` and refractory period :math:`t_{ref}`:

    .. math::

        r = \left[t_{ref} + \tau_m \ln\frac{\mu - V_r}{\mu - \theta}\right]^{-1}
        \quad (\mu > \theta), \qquad r = 0 \quad (\mu \le \theta).

    Parameters
    ----------
    mu : float, array_like or brian2.Quantity
        Steady-state potential :math:`\mu` (resting potential plus
        :math:`R I`), in the voltage unit of ``v_th``.
    tau_m : float or brian2.Quantity
        Membrane time constant (s), > 0.
    v_th : float or brian2.Quantity
        Firing threshold :math:`\theta` (voltage).
    v_reset : float or brian2.Quantity
        Reset potential :math:`V_r` (voltage), < ``v_th``.
    t_ref : float or brian2.Quantity, default 0.0
        Absolute refractory period (s), >= 0.

    Returns
    -------
    float or numpy.ndarray
        Firing rate in Hz, broadcast over the inputs.

    References
    ----------
    Gerstner W, Kistler WM, Naud R, Paninski L (2014) Neuronal Dynamics,
    sec. 1.3, eq. (1.12). Cambridge University Press.
    """
    mu, tau_m, theta, v_reset, t_ref = _common(mu, tau_m, v_th, v_reset, t_ref)
    mu, tau_m, theta, v_reset, t_ref = np.broadcast_arrays(mu, tau_m, theta, v_reset, t_ref)
    out = np.zeros(mu.shape)
    above = mu > theta
    with np.errstate(divide="ignore", invalid="ignore"):
        period = t_ref + tau_m * np.log((mu - v_reset) / (mu - theta))
    out[above] = 1.0 / period[above]
    return out[()] if out.ndim == 0 else out


def _integral(a, b):
    r""":math:`\int_a^b e^{u^2}(1+\mathrm{erf}\,u)\,du` using erfcx(-u), overflow-safe."""
    if b <= a:
        return 0.0
    f = lambda u: special.erfcx(-u)  # noqa: E731  = exp(u^2) (1 + erf u)
    # the integrand grows like exp(u^2) for u > 0: integrate the positive part
    # piecewise so quad resolves the growth; it overflows to inf for b >~ 26
    if b > 26.5:
        return np.inf
    pts = [a]
    if a < 0 < b:
        pts.append(0.0)
    if b > 1:
        pts.extend(x for x in np.arange(max(a, 0.0) + 1.0, b, 1.0))
    pts.append(b)
    total = 0.0
    for lo, hi in zip(pts[:-1], pts[1:]):
        val, _ = integrate.quad(f, lo, hi, limit=200, epsabs=0.0, epsrel=1e-10)
        total += val
    return total


def siegert_rate(mu, sigma_v, tau_m, v_th, v_reset, t_ref=0.0):
    r"""Stationary rate of the LIF neuron with white-noise (diffusive) input.

    Siegert's mean first-passage-time formula in the form of Brunel (2000),
    eq. (21), for the equation

    .. math:: \tau_m \frac{dV}{dt} = \mu - V + \sigma_V\sqrt{2\tau_m}\,\xi(t)

    (see the module docstring: :math:`\sigma_V` is the s.d. of the free membrane
    potential, the ``sigma_v`` of :func:`neuromodels.neurons.noisy.diffusive_lif`;
    Brunel's :math:`\sigma = \sqrt2\,\sigma_V`), threshold :math:`\theta`
    (``v_th``), reset :math:`V_r`, refractory period :math:`t_{ref}`:

    .. math::

        \frac{1}{r} = t_{ref} + \tau_m \sqrt{\pi}
        \int_{(V_r - \mu)/\sigma}^{(\theta - \mu)/\sigma}
        e^{u^2} \left(1 + \mathrm{erf}\, u\right) du, \qquad \sigma = \sqrt 2\,\sigma_V .

    The integrand is evaluated as ``scipy.special.erfcx(-u)``
    :math:`= e^{u^2}\mathrm{erfc}(-u) = e^{u^2}(1+\mathrm{erf}\,u)`, which does
    not overflow for large negative :math:`u` (strong drive) and is
    integrated with ``scipy.integrate.quad`` (relative tolerance 1e-10). For
    an upper limit above about 26.5 the mean passage time exceeds the largest
    float and the rate is returned as 0. As :math:`\sigma \to 0` the result
    tends to :func:`lif_rate_deterministic`. Note: this is the white-noise
    (diffusion) limit; for Brian2 simulations with time step ``dt`` the
    simulated rate carries an O(sqrt(dt/tau_m)) bias from the discrete
    threshold crossing (Brunel & Hakim 1999 discuss the correction).

    Parameters
    ----------
    mu : float, array_like or brian2.Quantity
        Mean input :math:`\mu` (voltage): ``E_L + R_m I_ext`` of the model.
    sigma_v : float, array_like or brian2.Quantity
        Standard deviation :math:`\sigma_V` of the free membrane potential
        (voltage), > 0.
    tau_m : float or brian2.Quantity
        Membrane time constant (s), > 0.
    v_th : float or brian2.Quantity
        Threshold (voltage).
    v_reset : float or brian2.Quantity
        Reset potential (voltage), < ``v_th``.
    t_ref : float or brian2.Quantity, default 0.0
        Absolute refractory period (s), >= 0.

    Returns
    -------
    float or numpy.ndarray
        Firing rate in Hz, broadcast over the inputs.

    References
    ----------
    Siegert (1951) Phys Rev 81:617; Brunel (2000) J Comput Neurosci 8:183,
    eq. (21); Brunel & Hakim (1999) Neural Comput 11:1621.
    """
    mu, tau_m, theta, v_reset, t_ref = _common(mu, tau_m, v_th, v_reset, t_ref)
    sigma = np.sqrt(2) * _sigma_v(sigma_v)  # Brunel's amplitude
    b = np.broadcast_arrays(mu, sigma, tau_m, theta, v_reset, t_ref)
    out = np.empty(b[0].shape)
    for idx in np.ndindex(out.shape):
        m, s, tau, th, vr, tr = (float(x[idx]) for x in b)
        integral = _integral((vr - m) / s, (th - m) / s)
        out[idx] = 1.0 / (tr + tau * np.sqrt(np.pi) * integral)
    return out[()] if out.ndim == 0 else out


def siegert_cv(mu, sigma_v, tau_m, v_th, v_reset, t_ref=0.0):
    r"""Coefficient of variation of the ISIs of the diffusive LIF neuron.

    Brunel (2000), eq. (A.1) / Brunel & Hakim (1999), same equation and
    conventions as :func:`siegert_rate`:

    .. math::

        C_V^2 = 2\pi (r \tau_m)^2 \int_{y_r}^{y_\theta} e^{x^2}
        \int_{-\infty}^{x} e^{y^2} (1 + \mathrm{erf}\, y)^2 \, dy\, dx,

    with :math:`y_r = (V_r-\mu)/\sigma`, :math:`y_\theta = (\theta-\mu)/\sigma`,
    :math:`\sigma = \sqrt 2\,\sigma_V`, and :math:`r` from :func:`siegert_rate`. The inner
    integrand is evaluated as ``exp(x^2 - y^2) erfcx(-y)^2`` (overflow-safe). Accurate for
    :math:`y_\theta \lesssim 10`.

    Parameters
    ----------
    mu, sigma_v, tau_m, v_th, v_reset, t_ref
        As in :func:`siegert_rate`.

    Returns
    -------
    float or numpy.ndarray
        CV of the inter-spike intervals (dimensionless).

    References
    ----------
    Brunel N (2000) J Comput Neurosci 8:183-208, appendix A.
    """
    rate = siegert_rate(mu, sigma_v, tau_m, v_th, v_reset, t_ref)
    mu, tau_m, theta, v_reset, t_ref = _common(mu, tau_m, v_th, v_reset, t_ref)
    sigma = np.sqrt(2) * _sigma_v(sigma_v)
    b = np.broadcast_arrays(rate, mu, sigma, tau_m, theta, v_reset)
    out = np.empty(b[0].shape)
    for idx in np.ndindex(out.shape):
        r, m, s, tau, th, vr = (float(x[idx]) for x in b)
        a, c = (vr - m) / s, (th - m) / s

        def outer(x):
            # e^{x^2} int_{-inf}^{x} e^{y^2}(1+erf y)^2 dy
            #   = int_{-inf}^{x} e^{x^2 + y^2} (1 + erf y)^2 dy
            #   = int e^{x^2 - y^2} erfcx(-y)^2 dy
            inner = lambda y: np.exp(x * x - y * y) * special.erfcx(-y) ** 2  # noqa: E731
            val, _ = integrate.quad(inner, -np.inf, x, limit=200)
            return val

        val, _ = integrate.quad(outer, a, c, limit=200)
        out[idx] = np.sqrt(2 * np.pi * (r * tau) ** 2 * val)
    return out[()] if out.ndim == 0 else out
