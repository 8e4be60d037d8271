r"""Release per spike of the Tsodyks-Markram short-term plasticity model.

Independent of any simulation code.  Between spikes the available resources
recover and the utilisation decays, :math:`\dot x = (1-x)/\tau_{rec}`,
:math:`\dot u = -u/\tau_{fac}`; at a spike :math:`u \to u + U(1-u)`, the
release is :math:`r = u x` and :math:`x \to x - r` (Tsodyks, Pawelzik & Markram
1998, Neural Comput 10:821; with instantaneous release, as NEST's
``tsodyks2_synapse``).  Without facilitation (:math:`\tau_{fac} \to 0`) the
utilisation is :math:`U` at every spike.  For a regular train of rate
:math:`f` (interval :math:`\Delta = 1/f`) the values at a spike converge to

.. math::
    u_\infty = \frac{U}{1 - (1-U)\,e^{-\Delta/\tau_{fac}}},\qquad
    x_\infty = \frac{1 - e^{-\Delta/\tau_{rec}}}{1 - (1-u_\infty)\,e^{-\Delta/\tau_{rec}}},

(:math:`u` just after the facilitation step, :math:`x` just before the release)
and the release per spike to :math:`u_\infty x_\infty`.  Times in seconds
(plain numbers or Brian2 quantities), rates in Hz.
"""
from __future__ import annotations

import numpy as np

from ..units import as_float, as_seconds

__all__ = ["steady_state", "release_per_spike"]


def _facilitation_decay(interval, tau_fac):
    if tau_fac is None:
        return np.zeros_like(interval)
    return np.exp(-interval / as_seconds(tau_fac, "tau_fac"))


def steady_state(rate, U, tau_rec, tau_fac=None):
    """``(u_inf, x_inf, release)`` for a regular train of ``rate`` (Hz);
    ``tau_fac=None``: depressing."""
    interval = 1.0 / as_float(rate, "rate", "hertz")
    u = U / (1.0 - (1.0 - U) * _facilitation_decay(interval, tau_fac))
    decay = np.exp(-interval / as_seconds(tau_rec, "tau_rec"))
    x = (1.0 - decay) / (1.0 - (1.0 - u) * decay)
    return u, x, u * x


def release_per_spike(times, U, tau_rec, tau_fac=None):
    """Release ``u x`` at each spike of ``times`` (s), starting from rest (x = 1, u = 0)."""
    times = np.sort(as_seconds(times, "times"))
    tau_rec = as_seconds(tau_rec, "tau_rec")
    u, x, last, out = 0.0, 1.0, None, np.empty(times.size)
    for k, t in enumerate(times):
        if last is not None:
            x = 1.0 - (1.0 - x) * np.exp(-(t - last) / tau_rec)
            u = u * _facilitation_decay(np.asarray(t - last), tau_fac)
        u = u + U * (1.0 - u)
        out[k] = u * x
        x -= out[k]
        last = t
    return out
