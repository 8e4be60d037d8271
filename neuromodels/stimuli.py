r"""Input protocols shared by studies: current steps, ramps, sinusoids, frozen noise.

Each protocol is sampled on the time grid :math:`t_k = k\,dt`, :math:`k = 0 \dots n-1`,
with :math:`n = \lceil T/dt \rceil` for a duration :math:`T`, and returned as a Brian2
``TimedArray`` (``stim(t)`` in equations or ``run_regularly`` code gives the value of the
step that contains ``t``; after the last sample it keeps the last value). Values carry
units (amp, volt, ...): the unit of the amplitude given. :func:`ou_process` returns the
samples themselves, for a study that stores the input it applied.

* :func:`step`: :math:`b + a\,[t_{on} \le t < t_{off}]`.
* :func:`ramp`: linear from :math:`x_0` at :math:`t_{on}` to :math:`x_1` at :math:`t_{off}`,
  constant before and after.
* :func:`sinusoid`: :math:`m + a \sin(2\pi f t + \varphi)`.
* :func:`ou_process` / :func:`frozen_noise`: an Ornstein-Uhlenbeck process with mean
  :math:`m`, stationary s.d. :math:`s` and correlation time :math:`\tau`, by its exact
  update :math:`x_{k+1} = m + (x_k - m)\,e^{-dt/\tau} + s\sqrt{1 - e^{-2dt/\tau}}\,z_k`
  started in the stationary distribution, so that
  :math:`\mathrm{Var}\,x = s^2` and :math:`\mathrm{corr}(x_k, x_{k+j}) = e^{-j\,dt/\tau}`
  at every step. Drawn from a seeded numpy ``Generator`` on the host: the same frozen
  noise on every device and in every trial (Mainen & Sejnowski 1995).

A von Mises (orientation-tuned) input is :func:`neuromodels.analysis.population.von_mises_tuning`.

Reference: Mainen ZF, Sejnowski TJ (1995) Science 268:1503 (frozen noise); Uhlenbeck GE,
Ornstein LS (1930) Phys Rev 36:823; Gillespie DT (1996) Phys Rev E 54:2084 (exact update).
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity, TimedArray, get_dimensions, second

__all__ = ["n_samples", "step", "ramp", "sinusoid", "ou_process", "frozen_noise"]


def _time(x, name):
    if not isinstance(x, Quantity) or get_dimensions(x) != get_dimensions(second):
        raise ValueError(f"{name} must be a time (a Brian2 quantity in s or ms), got {x!r}")
    value = float(x / second)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be finite and >= 0, got {x!r}")
    return value


def _positive_time(x, name):
    value = _time(x, name)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {x!r}")
    return value


def _same_unit(reference, name, *others):
    """The unit (a Quantity of value 1, or 1.0) of ``reference``; ``others`` must match it."""
    unit = Quantity(1.0, dim=get_dimensions(reference))
    for other_name, other in others:
        if other is not None and get_dimensions(other) != get_dimensions(reference):
            raise ValueError(f"{other_name} must have the unit of {name} ({unit.dim}), "
                             f"got {other!r}")
    return unit


def n_samples(duration, dt) -> int:
    """Number of grid points ``ceil(duration / dt)`` (within 1e-9 of a step) covering
    ``[0, duration)``."""
    T, h = _positive_time(duration, "duration"), _positive_time(dt, "dt")
    return max(int(np.ceil(T / h - 1e-9)), 1)


def _grid(duration, dt):
    n = n_samples(duration, dt)
    return np.arange(n) * _positive_time(dt, "dt"), n


def step(amplitude, start, stop, duration, dt, baseline=None) -> TimedArray:
    """Current (or any) step: ``baseline + amplitude`` for ``start <= t < stop``, else
    ``baseline`` (default 0 in the unit of ``amplitude``). ``start``, ``stop``, ``duration``
    and ``dt`` are times; ``start < stop``."""
    unit = _same_unit(amplitude, "amplitude", ("baseline", baseline))
    t0, t1 = _time(start, "start"), _time(stop, "stop")
    if not t1 > t0:
        raise ValueError(f"stop ({stop!r}) must be after start ({start!r})")
    t, _ = _grid(duration, dt)
    h = _positive_time(dt, "dt")
    on = (t >= t0 - 1e-9 * h) & (t < t1 - 1e-9 * h)
    b = 0.0 if baseline is None else float(baseline / unit)
    return TimedArray((b + float(amplitude / unit) * on) * unit, dt=dt)


def ramp(start_value, end_value, start, stop, duration, dt) -> TimedArray:
    """Linear ramp from ``start_value`` at ``start`` to ``end_value`` at ``stop``; constant
    ``start_value`` before and ``end_value`` after (same unit for both values)."""
    unit = _same_unit(start_value, "start_value", ("end_value", end_value))
    t0, t1 = _time(start, "start"), _time(stop, "stop")
    if not t1 > t0:
        raise ValueError(f"stop ({stop!r}) must be after start ({start!r})")
    t, _ = _grid(duration, dt)
    x0, x1 = float(start_value / unit), float(end_value / unit)
    return TimedArray((x0 + (x1 - x0) * np.clip((t - t0) / (t1 - t0), 0.0, 1.0)) * unit, dt=dt)


def sinusoid(amplitude, frequency, duration, dt, mean=None, phase=0.0) -> TimedArray:
    """``mean + amplitude * sin(2 pi frequency t + phase)`` (``mean`` default 0; ``phase``
    in radians; ``frequency`` in Hz, below the Nyquist frequency 1/(2 dt))."""
    unit = _same_unit(amplitude, "amplitude", ("mean", mean))
    f = float(frequency * second) if isinstance(frequency, Quantity) else None
    if f is None or get_dimensions(frequency) != get_dimensions(1 / second) or \
            not (np.isfinite(f) and f > 0):
        raise ValueError(f"frequency must be a frequency > 0 (Hz), got {frequency!r}")
    if f >= 0.5 / _positive_time(dt, "dt"):
        raise ValueError(f"frequency ({frequency!r}) must be below the Nyquist frequency "
                         f"1/(2 dt) = {0.5 / _positive_time(dt, 'dt'):g} Hz")
    t, _ = _grid(duration, dt)
    m = 0.0 if mean is None else float(mean / unit)
    values = m + float(amplitude / unit) * np.sin(2 * np.pi * f * t + float(phase))
    return TimedArray(values * unit, dt=dt)


def ou_process(rng: np.random.Generator, n, dt, tau, std, mean=None) -> Quantity:
    """``n`` samples of an Ornstein-Uhlenbeck process (module docstring), spaced ``dt``,
    correlation time ``tau``, stationary s.d. ``std`` (any unit; ``mean`` in the same unit,
    default 0). Uses exactly ``n`` standard normal draws of ``rng``."""
    if int(n) != n or n < 1:
        raise ValueError(f"n (number of samples) must be an integer >= 1, got {n!r}")
    unit = _same_unit(std, "std", ("mean", mean))
    s = float(std / unit)
    if not (np.isfinite(s) and s >= 0):
        raise ValueError(f"std must be finite and >= 0, got {std!r}")
    a = np.exp(-_positive_time(dt, "dt") / _positive_time(tau, "tau"))
    z = rng.standard_normal(int(n))
    x = np.empty(int(n))
    x[0] = z[0]
    b = np.sqrt(1 - a * a)
    for k in range(1, int(n)):
        x[k] = a * x[k - 1] + b * z[k]
    m = 0.0 if mean is None else float(mean / unit)
    return (m + s * x) * unit


def frozen_noise(rng: np.random.Generator, duration, dt, tau, std, mean=None) -> TimedArray:
    """:func:`ou_process` on the grid of ``duration`` as a ``TimedArray`` (the same sample
    path every time it is played: frozen noise)."""
    return TimedArray(ou_process(rng, n_samples(duration, dt), dt, tau, std, mean), dt=dt)
