r"""Analytic results for the QIF/theta neuron (pure numpy).

QIF form used throughout the package (Klos & Memmesheimer, arXiv 2309.14523):
:math:`\tau\dot V = V(V-1) + I = (V-\tfrac12)^2 + (I-\tfrac14)`; theta form
:math:`V = \tfrac12 + \tfrac12\tan(\theta/2)`,
:math:`\tau\dot\theta = -\cos\theta + 2I(1+\cos\theta)`, spike at :math:`\theta=\pi`
(Ermentrout & Kopell 1986).

* With constant drive, :math:`\tau\dot V = (V-\tfrac12)^2 + J` oscillates for
  :math:`J>0` with period :math:`\tau\pi/\sqrt{J}` (:func:`period`), so the QIF neuron
  with constant current :math:`I` has period :math:`\tau\pi/\sqrt{I-1/4}`
  (:func:`qif_period`). The pseudodynamics use exactly :math:`J = \tilde I`.
* Started at :math:`V_0` with constant drive, the first spike comes after
  :math:`\tau(\pi/2 - \arctan((V_0-\tfrac12)/\sqrt J))/\sqrt J` (:func:`first_spike_time_constant`).
* With decaying current :math:`I(t) = I(0) e^{-2t/\tau}` from :math:`V_0`, the first
  spike comes at :math:`t = -\tau\ln(1-\sigma)` with
  :math:`\sigma = (\pi/2-\arctan(V_0/\sqrt{I(0)}))/\sqrt{I(0)}` if :math:`\sigma<1`
  (:func:`first_spike_time_decaying`); from :math:`V_0=0` a spike needs
  :math:`I(0) > \pi^2/4` (:func:`rheobase_decaying`).

Names: :math:`I_0` (``I0``) is always the **constant** drive, as in Klos & Memmesheimer's
deep networks; an initial value of the decaying synaptic current is ``I_init``.
:data:`OSCILLATOR_I0` and :data:`OSCILLATOR_TAU` are the oscillator of their deep networks
(:math:`I_0 = 5/4`, period 6 time units), the one place that the exact solver
(:class:`neuromodels.exact.feedforward.ThetaOsc`) and the Brian2 model
(:data:`neuromodels.neurons.theta.THETA_OSC`) take their defaults from.
"""

from __future__ import annotations

import numpy as np

__all__ = ["OSCILLATOR_I0", "OSCILLATOR_TAU", "period", "qif_period", "first_spike_time_constant",
           "first_spike_time_decaying", "rheobase_decaying", "theta_from_voltage",
           "voltage_from_theta"]


#: Constant drive of the deep networks' theta oscillators (Klos & Memmesheimer 2025).
OSCILLATOR_I0 = 1.25
#: Their time constant, in model time units: period tau pi / sqrt(I0 - 1/4) = 6.
OSCILLATOR_TAU = 6 / np.pi


def _positive(name, x):
    x = np.asarray(x, dtype=float)
    if np.any(~(x > 0)):
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return x


def period(J, tau=1.0):
    r"""Period :math:`\tau\pi/\sqrt J` of :math:`\tau\dot V = (V-\frac12)^2 + J`, ``J > 0``."""
    J = _positive("J (constant drive)", J)
    return _positive("tau", tau) * np.pi / np.sqrt(J)


def qif_period(I, tau=1.0):
    r"""Period :math:`\tau\pi/\sqrt{I - 1/4}` of :math:`\tau\dot V = V(V-1)+I`, ``I > 1/4``."""
    I = np.asarray(I, dtype=float)
    if np.any(~(I > 0.25)):
        raise ValueError(f"I (constant current) must be > 1/4 for periodic firing, got {I!r}")
    return period(I - 0.25, tau)


def first_spike_time_constant(V0, J, tau=1.0):
    r"""Time to the first spike of :math:`\tau\dot V = (V-\frac12)^2 + J` from ``V0``."""
    J = _positive("J (constant drive)", J)
    r = np.sqrt(J)
    return tau * (np.pi / 2 - np.arctan((np.asarray(V0, float) - 0.5) / r)) / r


def first_spike_time_decaying(V0, I_init, tau=1.0):
    r"""First spike time with :math:`I = I_\mathrm{init}e^{-2t/\tau}`, ``I_init > 0``;
    ``inf`` if none."""
    I_init = _positive("I_init (initial current)", I_init)
    r = np.sqrt(I_init)
    sigma = (np.pi / 2 - np.arctan(np.asarray(V0, float) / r)) / r
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sigma < 1, -tau * np.log1p(-np.minimum(sigma, 1.0)), np.inf)


def rheobase_decaying():
    r"""Smallest initial current :math:`I(0)` that makes a neuron at :math:`V_0=0` spike:
    :math:`\pi^2/4`."""
    return np.pi ** 2 / 4


def theta_from_voltage(V):
    r""":math:`\theta = 2\arctan(2V-1)` (``V = inf`` gives :math:`\pi`)."""
    return 2 * np.arctan(2 * np.asarray(V, float) - 1)


def voltage_from_theta(theta):
    r""":math:`V = \frac12 + \frac12\tan(\theta/2)`."""
    return 0.5 + 0.5 * np.tan(np.asarray(theta, float) / 2)
