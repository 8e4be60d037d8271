r"""Firing rate of an escape-noise (stochastic-threshold) neuron in the low-hazard limit.

An escape-noise neuron fires in a time step of length :math:`dt` with probability
:math:`F((v - v_{th})/\sigma)` (:mod:`neuromodels.neurons.noisy`), i.e. with hazard
:math:`h = F((\mu - v_{th})/\sigma)/dt` per second while its membrane sits at
:math:`\mu = E_L + R_m I_{ext}`. When the hazard is low (:math:`h\tau_m \ll 1`) the membrane
has relaxed back to :math:`\mu` long before the next spike, so the spike train is a Poisson
process with hazard :math:`h` and dead time :math:`t_{ref}`:

.. math:: r = \frac{h}{1 + h\,t_{ref}} ,

exactly also for the discrete process (per-step probability :math:`p = h\,dt`, a geometric
wait of mean :math:`dt/p` after the dead time). Its Fano factor and ISI CV tend to 1 as
:math:`h\,t_{ref} \to 0` (CV :math:`= 1 - r\,t_{ref}`).

The noise distribution enters as its CDF, a function of :math:`x = (v - v_{th})/\sigma`
(e.g. ``neuromodels.neurons.noise.get_noise(name).cdf_numpy``): theory knows no model.

References
----------
Gerstner W, Kistler WM (2002) Spiking Neuron Models, sec. 5.3 (escape noise) and 5.2
(Poisson process with dead time). Cambridge University Press.
"""
import numpy as np

from ..units import as_float

__all__ = ["hazard", "dead_time_poisson_rate", "escape_rate_low_hazard"]


def hazard(mu, v_th, sigma, dt, cdf):
    """Escape hazard ``cdf((mu - v_th) / sigma) / dt`` (Hz) of a neuron held at ``mu``
    (volt), noise scale ``sigma`` (volt, > 0), time step ``dt`` (s, > 0)."""
    mu, v_th = as_float(mu, "mu", "volt"), as_float(v_th, "v_th", "volt")
    sigma, dt = as_float(sigma, "sigma", "volt"), as_float(dt, "dt", "second")
    if np.any(~(sigma > 0)):
        raise ValueError(f"sigma (noise scale) must be > 0 (voltage), got {sigma}")
    if np.any(~(dt > 0)):
        raise ValueError(f"dt (time step) must be > 0 (s), got {dt}")
    p = np.asarray(cdf((mu - v_th) / sigma), dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("cdf must return probabilities in [0, 1]")
    return p / dt


def dead_time_poisson_rate(h, t_ref):
    """Rate ``h / (1 + h t_ref)`` (Hz) of a Poisson process of hazard ``h`` (Hz, >= 0) with
    dead time ``t_ref`` (s, >= 0)."""
    h, t_ref = as_float(h, "h", "hertz"), as_float(t_ref, "t_ref", "second")
    if np.any(~(h >= 0)) or np.any(~(t_ref >= 0)):
        raise ValueError(f"h and t_ref must be >= 0, got h={h}, t_ref={t_ref}")
    return h / (1 + h * t_ref)


def escape_rate_low_hazard(mu, v_th, sigma, dt, t_ref, tau_m, cdf, max_hazard_tau=0.1):
    r"""Low-hazard rate :math:`h/(1 + h t_{ref})` (Hz) of the escape-noise LIF with constant
    input (module docstring), NaN where the limit does not hold
    (:math:`h\,\tau_m \ge` ``max_hazard_tau``).

    Parameters
    ----------
    mu : float, array_like or brian2.Quantity
        Mean membrane potential :math:`E_L + R_m I_{ext}` (volt).
    v_th, sigma : float or brian2.Quantity
        Threshold and noise scale (volt).
    dt : float or brian2.Quantity
        Time step of the per-step firing probability (s).
    t_ref, tau_m : float or brian2.Quantity
        Refractory period and membrane time constant (s).
    cdf : callable
        CDF of the noise, vectorised over :math:`x = (v - v_{th})/\sigma`.
    max_hazard_tau : float, default 0.1
        Largest :math:`h\,\tau_m` at which the limit is used.

    Returns
    -------
    numpy.ndarray or float
        Rate (Hz), broadcast over the inputs.
    """
    h = hazard(mu, v_th, sigma, dt, cdf)
    tau_m = as_float(tau_m, "tau_m", "second")
    rate = dead_time_poisson_rate(h, t_ref)
    out = np.where(h * tau_m < max_hazard_tau, rate, np.nan)
    return out[()] if out.ndim == 0 else out
