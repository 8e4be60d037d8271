r"""Phase locking and spectral detection of a periodic drive.

Used to quantify stochastic resonance: how well the spikes of a neuron carry
a (subthreshold) periodic input as the noise level varies.

* :func:`vector_strength` -- Goldberg & Brown (1969):
  :math:`VS = \left|\frac1n \sum_k e^{2\pi i f t_k}\right|`.
* :func:`rayleigh_test` -- significance of phase locking.
* :func:`power_spectrum` -- periodogram of the spike train (sum of delta
  pulses), normalised so that a Poisson train of rate :math:`\nu` has a flat
  spectrum equal to :math:`\nu`.
* :func:`spectrum_snr` -- spectral peak at the drive frequency divided by
  the background estimated from neighbouring frequency bins (the usual
  stochastic-resonance SNR, e.g. Gammaitoni et al. 1998).
* :func:`locking_over_groups` -- both measures of one condition's repeated
  trials, mean and s.d. over groups of trials.

Spike times are numpy arrays in seconds or Brian2 quantities.

References
----------
Goldberg JM, Brown PB (1969) Response of binaural neurons of dog superior
olivary complex to dichotic tonal stimuli. J Neurophysiol 32:613-636.
Mardia KV, Jupp PE (2000) Directional Statistics, sec. 6.3. Wiley.
Gammaitoni L, Haenggi P, Jung P, Marchesoni F (1998) Stochastic resonance.
Rev Mod Phys 70:223-287.
Longtin A (1993) Stochastic resonance in neuron models. J Stat Phys
70:309-327.
"""

import numpy as np

from ..units import as_float, as_seconds
from .binning import bin_spikes, n_bins
from .groups import over_groups

__all__ = ["vector_strength", "rayleigh_test", "power_spectrum", "spectrum_snr",
           "locking_over_groups"]


def _frequency(frequency):
    f = as_float(frequency, "frequency", "hertz")
    if f.ndim != 0 or not (np.isfinite(f) and f > 0):
        raise ValueError(f"frequency must be a finite scalar > 0 (Hz), got {f}")
    return float(f)


def _times(t):
    return np.atleast_1d(as_seconds(t, "t")).ravel()


def vector_strength(t, frequency, return_phase=False):
    r"""Vector strength (phase locking) of spikes to a periodic signal.

    .. math::

        VS = \left| \frac{1}{n} \sum_{k=1}^{n} e^{i \phi_k} \right|,
        \qquad \phi_k = 2\pi f t_k .

    1 for spikes perfectly locked to one phase, 0 for perfectly uniform
    phases; for :math:`n` independent uniform phases
    :math:`E[VS^2] = 1/n`. For an inhomogeneous Poisson process with rate
    :math:`\nu(1 + m\cos 2\pi f t)`, :math:`VS \to m/2`.

    Parameters
    ----------
    t : array_like or brian2.Quantity
        Spike times (s); the phase origin is t = 0.
    frequency : float or brian2.Quantity
        Frequency :math:`f` of the periodic signal (Hz), > 0.
    return_phase : bool, default False
        Also return the mean phase (radians, in (-pi, pi]).

    Returns
    -------
    float or (float, float)
        VS in [0, 1] (NaN without spikes), and the mean phase if requested.

    References
    ----------
    Goldberg & Brown (1969) J Neurophysiol 32:613-636.
    """
    f = _frequency(frequency)
    t = _times(t)
    if t.size == 0:
        return (np.nan, np.nan) if return_phase else np.nan
    z = np.mean(np.exp(2j * np.pi * f * t))
    vs = float(np.abs(z))
    return (vs, float(np.angle(z))) if return_phase else vs


def rayleigh_test(t, frequency):
    r"""Rayleigh test of uniformity of the spike phases.

    :math:`Z = n\,VS^2`; the p-value under uniform phases uses the
    second-order approximation of Mardia & Jupp (2000), eq. (6.3.5):

    .. math:: p \approx e^{-Z}\left[1 + \frac{2Z - Z^2}{4n}
              - \frac{24Z - 132Z^2 + 76Z^3 - 9Z^4}{288 n^2}\right].

    Parameters
    ----------
    t : array_like or brian2.Quantity
        Spike times (s).
    frequency : float or brian2.Quantity
        Signal frequency (Hz), > 0.

    Returns
    -------
    (float, float)
        Rayleigh statistic Z and p-value (clipped to [0, 1]); NaN for no
        spikes.
    """
    vs = vector_strength(t, frequency)
    n = _times(t).size
    if n == 0:
        return np.nan, np.nan
    z = n * vs**2
    p = np.exp(-z) * (
        1 + (2 * z - z**2) / (4 * n) - (24 * z - 132 * z**2 + 76 * z**3 - 9 * z**4) / (288 * n**2)
    )
    return float(z), float(np.clip(p, 0.0, 1.0))


def _trains(t):
    if isinstance(t, (list, tuple)):
        return [_times(x) for x in t]
    return [_times(t)]


def power_spectrum(t, duration, dt=1e-3, t_start=0.0):
    r"""Periodogram of a spike train, averaged over trials.

    The spike train :math:`s(t) = \sum_k \delta(t - t_k)` on
    :math:`[t_0, t_0 + T)` is binned with step ``dt`` into whole bins
    (:func:`neuromodels.analysis.binning.bin_spikes`; :math:`T` is then the
    binned length, spike counts :math:`c_j` at :math:`t_j = t_0 + j\,dt`), and

    .. math:: S(f_m) = \frac{1}{T}\left|\sum_j c_j\, e^{-2\pi i f_m t_j}\right|^2,
              \qquad f_m = m/T,\; 0 \le f_m \le 1/(2\,dt).

    This is the two-sided spectral density, so a Poisson train of rate
    :math:`\nu` has :math:`E[S(f)] = \nu` for :math:`f > 0` (below about
    :math:`1/(4\,dt)`, where binning does not yet attenuate it). With a list
    of trials the periodograms are averaged.

    Parameters
    ----------
    t : array_like, brian2.Quantity, or list of these
        Spike times (s) of one trial, or a list of trials.
    duration : float or brian2.Quantity
        Trial duration :math:`T` (s), > 0.
    dt : float or brian2.Quantity, default 1e-3
        Bin size (s), in (0, duration].
    t_start : float or brian2.Quantity, default 0.0
        Start of the analysed interval (s).

    Returns
    -------
    freqs : numpy.ndarray
        Frequencies :math:`f_m` (Hz).
    power : numpy.ndarray
        :math:`S(f_m)` (Hz, i.e. spikes^2 s^-2 Hz^-1), trial average.

    References
    ----------
    Gabbiani F, Koch C (1998) Principles of spike train analysis, in Methods
    in Neuronal Modeling, 2nd ed., MIT Press; Bair W et al. (1994) J
    Neurosci 14:2870.
    """
    n = n_bins(duration, dt, "dt")  # checks duration and dt
    dt = float(as_seconds(dt, "dt"))
    T = n * dt
    trains = _trains(t)
    power = np.zeros(n // 2 + 1)
    for tr in trains:
        c = bin_spikes(tr, duration, dt, t_start, name="dt").astype(float)
        power += np.abs(np.fft.rfft(c)) ** 2 / T
    freqs = np.fft.rfftfreq(n, dt)
    return freqs, power / len(trains)


def spectrum_snr(t, duration, frequency, dt=1e-3, n_neighbours=10, gap=1, t_start=0.0):
    r"""Signal-to-noise ratio of the spike spectrum at the drive frequency.

    .. math:: \mathrm{SNR} = \frac{S(f_0)}{\langle S(f_m) \rangle_{m \in B}}

    where :math:`S` is :func:`power_spectrum`, :math:`f_0` the frequency bin
    nearest ``frequency`` and :math:`B` the ``n_neighbours`` bins on each
    side of :math:`f_0`, skipping ``gap`` bins next to it (spectral leakage).
    Choose ``duration`` as a whole number of drive periods so the peak falls
    into one bin. Without a periodic component the expected SNR is about 1
    (an average of K trials' periodograms has s.d. about :math:`1/\sqrt K`);
    for an inhomogeneous Poisson train of rate
    :math:`\nu(1 + m\cos 2\pi f_0 t)` it is about :math:`1 + \nu m^2 T/4`.

    Parameters
    ----------
    t : array_like, brian2.Quantity, or list of these
        Spike times (s) of one trial or a list of trials.
    duration : float or brian2.Quantity
        Trial duration (s), > 0.
    frequency : float or brian2.Quantity
        Drive frequency :math:`f_0` (Hz), > 0 and below the Nyquist
        frequency 1/(2 dt) minus the neighbour band.
    dt : float or brian2.Quantity, default 1e-3
        Bin size of the spectrum (s).
    n_neighbours : int, default 10
        Background bins on each side, >= 1.
    gap : int, default 1
        Bins skipped on each side of the peak, >= 0.
    t_start : float or brian2.Quantity, default 0.0
        Start of the analysed interval (s).

    Returns
    -------
    float
        SNR (dimensionless ratio, not dB); NaN if the background is 0.

    References
    ----------
    Gammaitoni et al. (1998) Rev Mod Phys 70:223-287, sec. II.C.
    """
    f0 = _frequency(frequency)
    if int(n_neighbours) != n_neighbours or n_neighbours < 1:
        raise ValueError(f"n_neighbours must be an integer >= 1, got {n_neighbours!r}")
    if int(gap) != gap or gap < 0:
        raise ValueError(f"gap must be an integer >= 0, got {gap!r}")
    freqs, power = power_spectrum(t, duration, dt, t_start)
    k0 = int(np.argmin(np.abs(freqs - f0)))
    lo = k0 - gap - n_neighbours
    hi = k0 + gap + n_neighbours
    if lo < 1 or hi >= freqs.size:
        raise ValueError(
            f"frequency must leave {gap + n_neighbours} spectral bins on each side "
            f"within (0, {freqs[-1]}] Hz (resolution {freqs[1]:.4g} Hz); got {f0} Hz"
        )
    band = np.r_[power[lo:k0 - gap], power[k0 + gap + 1:hi + 1]]
    bg = band.mean()
    return float(power[k0] / bg) if bg > 0 else float("nan")


def locking_over_groups(trains, duration, frequency, groups, t_start=0.0, n_neighbours=10):
    """How well one condition's repeated trials (``trains``: one spike-time array per trial)
    lock to a periodic drive, over ``groups`` groups of trials
    (:func:`neuromodels.analysis.groups.over_groups`): ``(snr_mean, snr_sd, vs_mean,
    vs_sd)``, the :func:`spectrum_snr` of each group's trials (NaN for a group without
    spikes) and the :func:`vector_strength` of their pooled spikes."""
    def snr(idx):
        if not sum(np.size(trains[k]) for k in idx):
            return np.nan
        return spectrum_snr([trains[k] for k in idx], duration, frequency, t_start=t_start,
                            n_neighbours=n_neighbours)

    def vs(idx):
        return vector_strength(np.concatenate([trains[k] for k in idx]), frequency)

    (snr_mean, snr_sd, _), (vs_mean, vs_sd, _) = (over_groups(stat, len(trains), groups)
                                                  for stat in (snr, vs))
    return snr_mean, snr_sd, vs_mean, vs_sd
