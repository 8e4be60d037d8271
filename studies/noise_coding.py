"""What noise does to the neural code: noisy (escape-noise) vs deterministic LIF neurons.

After Ma, Yan & Tang (2023) Patterns 4:100831 (noisy spiking neurons), with the classic
results it builds on:

1. rate, Fano factor of spike counts and ISI CV vs input mean, for several escape-noise
   scales sigma; the deterministic LIF is the sigma -> 0 limit of the same model;
2. the diffusive-noise LIF rate vs the Siegert first-passage-time formula
   (Brunel 2000, eq. 21; :func:`neuromodels.theory.lif.siegert_rate`) on a grid of input
   mean mu and noise sigma_v;
3. spike-timing reliability (Mainen & Sejnowski 1995, Science 268:1503): repeated trials
   with a constant or a frozen fluctuating current (the same noise waveform every trial,
   independent intrinsic noise), Schreiber et al. (2003) reliability and event precision;
4. stochastic resonance (Longtin 1993; Gammaitoni et al. 1998): a subthreshold sinusoid,
   spectral SNR and vector strength vs noise scale;
5. an orientation-tuned population: maximum-likelihood decoding error and linear Fisher
   information (Kanitscheider et al. 2015) vs population size, noisy vs deterministic.

    neuromodels run noise-coding [--device runtime|cpp_standalone] [--quick]

Models: :func:`neuromodels.neurons.noisy.escape_lif` (Gaussian escape noise by default:
P(spike in a step) = F((v - v_th)/sigma), so the hazard F/dt is per time step, as in Ma et al.)
and :func:`~neuromodels.neurons.noisy.diffusive_lif` (white noise, sigma_v = s.d. of the free
membrane potential); tau_m = 10 ms, E_L = v_reset = -65 mV, v_th = -50 mV, R_m = 100 MOhm,
t_ref = 2 ms, so the rheobase is 0.15 nA.

Design: all five parts are independent neurons in ONE Brian2 network run once; neurons are
(grid point x trial) with per-neuron parameters (``model.per_neuron``).  The Siegert part
uses a finer time step (its own clock): a discrete-time threshold check misses excursions
between steps and lowers the rate by O(sqrt(dt/tau_m)), most in the fluctuation-driven
regime at low rates, which is why the comparison is restricted to rates >= ``siegert.min_rate``.
Trials of a condition start from identical states (parts 1 and 3), so the deterministic
neuron repeats itself exactly; the population part starts from random membrane potentials
(stimulus onset at a random phase) and cuts each neuron's run into counting windows
(a population trial takes each neuron's response from an independent simulated neuron).
Error bars: mean +- s.d. over ``groups`` disjoint groups of trials (parts 1, 3, 4),
s.e.m. over neurons (part 2), s.d. over cross-validation folds and jackknife s.e. (part 5).

Devices: runtime and cpp_standalone (default: one build, then the fastest run).  GeNN is
not offered: it was not checked (brian2genn needs brian2 < 2.6), and the study uses a second
clock (``dt_fine``), which brian2genn is not known to support.
"""
import warnings

import numpy as np
from brian2 import (Hz, Network, NeuronGroup, SpikeMonitor, TimedArray, amp, mV, ms, nA, second,
                    usecond, volt)

from neuromodels.analysis.periodic import spectrum_snr, vector_strength
from neuromodels.analysis.population import (decoding_error, empirical_fisher_information,
                                             fisher_information_poisson, ml_decode_poisson)
from neuromodels.analysis.reliability import event_reliability_precision, schreiber_reliability
from neuromodels.analysis.spiketrains import fano_factor, isi_cv, spike_counts, split_trains
from neuromodels.neurons.noise import available_noises, get_noise
from neuromodels.neurons.noisy import NOISY_MEMBRANE_PARAMETERS, diffusive_lif, escape_lif
from neuromodels.parameters import Parameter, ParameterError, ParameterSet, positive
from neuromodels.study import Study
from neuromodels.theory.lif import lif_rate_deterministic, siegert_rate

DEVICES = ("runtime", "cpp_standalone")  # two clocks (dt, dt_fine); GeNN not checked


def _grid(name, values, unit, description):
    return Parameter(name, np.asarray(values, dtype=float) * unit, description)


def _pos_grid(name, values, unit, description):
    return Parameter(name, np.asarray(values, dtype=float) * unit, description, low=0 * unit,
                     low_open=True)


SR_GRID = [0.5, 0.7, 1, 1.4, 2, 2.8, 4, 5.6, 8, 11, 16]  # mV, about sqrt(2) steps

PARAMETERS = ParameterSet(
    positive("duration", 5 * second, "simulated time (all parts run side by side)"),
    Parameter("t_skip", 0.2 * second, "initial transient left out of every analysis",
              low=0 * second),
    positive("dt", 0.1 * ms, "time step (escape-noise firing probability is per step)"),
    positive("dt_fine", 5 * usecond, "time step of the diffusive-noise (Siegert) part"),
    Parameter("noise", "gaussian", "escape-noise distribution", choices=available_noises()),
    Parameter("groups", 4, "independent groups of trials; error bars are s.d. over groups",
              low=2, integer=True),
    # 1. rate, Fano factor, CV
    _grid("rate.I_ext", np.linspace(0, 0.3, 13), nA, "input currents (rheobase 0.15 nA)"),
    _pos_grid("rate.sigma", [0.5, 1, 2, 4], mV, "escape-noise scales (plus deterministic)"),
    Parameter("rate.trials", 40, "trials per (input, sigma)", low=2, integer=True),
    positive("rate.window", 0.5 * second, "counting window of the Fano factor"),
    # 2. Siegert
    _grid("siegert.mu", [-56, -54, -52, -50, -48, -46, -44], mV,
          "mean input mu = E_L + R_m I_ext (threshold -50 mV)"),
    _pos_grid("siegert.sigma_v", [1, 2, 3, 4, 6], mV, "s.d. of the free membrane potential"),
    Parameter("siegert.neurons", 80, "neurons per (mu, sigma_v)", low=2, integer=True),
    positive("siegert.min_rate", 10 * Hz,
             "compare with theory only where the Siegert rate is at least this"),
    # 3. reliability
    positive("rel.I_mean", 0.16 * nA, "mean input current (mu = -49 mV, 1 mV above threshold)"),
    positive("rel.I_std", 0.05 * nA, "s.d. of the frozen fluctuating current"),
    positive("rel.tau_s", 5 * ms, "correlation time of the frozen current (OU process)"),
    _pos_grid("rel.sigma", [0.25, 0.5, 1, 2, 4], mV, "escape-noise scales (plus deterministic)"),
    Parameter("rel.trials", 24, "repeated trials per condition", low=4, integer=True),
    positive("rel.raster_sigma", 1 * mV, "noise scale shown in the rasters (nearest used)"),
    positive("rel.sigma_g", 2 * ms, "width of the Schreiber et al. Gaussian filter"),
    positive("rel.raster_duration", 1 * second, "duration stored for the rasters"),
    # 4. stochastic resonance
    positive("sr.I_mean", 0.10 * nA, "mean input (mu = -55 mV, 5 mV below threshold)"),
    positive("sr.I_amp", 0.03 * nA, "sinusoid amplitude (peak mu = -52 mV: subthreshold)"),
    positive("sr.frequency", 10 * Hz, "sinusoid frequency"),
    _pos_grid("sr.sigma", SR_GRID, mV, "escape-noise scales"),
    _pos_grid("sr.sigma_v", SR_GRID, mV, "diffusive-noise scales (s.d. of v)"),
    Parameter("sr.trials", 40, "trials per noise scale", low=4, integer=True),
    Parameter("sr.neighbours", 5, "spectral bins on each side for the SNR background", low=1,
              integer=True),
    # 5. population code
    Parameter("pop.orientations", 64, "relative orientations simulated (grid over 180 deg)",
              low=8, integer=True),
    Parameter("pop.copies", 6, "neurons per relative orientation and model", low=1, integer=True),
    positive("pop.window", 0.2 * second, "counting window (one trial)"),
    Parameter("pop.I_base", 0.08 * nA, "input far from the preferred orientation", low=0 * nA),
    positive("pop.I_peak", 0.12 * nA, "extra input at the preferred orientation"),
    positive("pop.kappa", 2.0, "von Mises concentration of the input tuning"),
    _pos_grid("pop.sigma", [1, 4], mV, "escape-noise scales of the noisy populations"),
    Parameter("pop.upsample", 8, "decoder candidate grid: orientations x this (Fourier "
              "interpolation of the measured tuning curve)", low=1, integer=True),
    Parameter("pop.sizes", np.array([4, 8, 16, 32, 64]), "population sizes (divide orientations)",
              low=1, integer=True),
)

QUICK = {
    "duration": 1.2 * second,
    "dt_fine": 10 * usecond,
    "rate.I_ext": np.array([0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3]) * nA,
    "rate.trials": 48,
    "siegert.mu": np.array([-50, -47, -44]) * mV,
    "siegert.sigma_v": np.array([2, 4]) * mV,
    "siegert.neurons": 150,
    "siegert.min_rate": 20 * Hz,
    "rel.sigma": np.array([0.5, 2]) * mV,
    "rel.trials": 16,
    "sr.sigma": np.geomspace(0.5, 16, 6) * mV,
    "sr.sigma_v": np.geomspace(0.5, 16, 6) * mV,
    "sr.trials": 60,
    "pop.orientations": 32,
    "pop.copies": 6,
    "pop.sizes": np.array([4, 8, 16, 32]),
}


def _membrane():
    return {k: NOISY_MEMBRANE_PARAMETERS[k].default
            for k in ("tau_m", "E_L", "R_m", "v_th", "v_reset", "t_ref")}


def _drive(group, code, **names):
    """Set I_ext every step from ``code`` (names such as TimedArrays added to the namespace)."""
    group.namespace.update(names)
    group.run_regularly(code, when="start", name=group.name + "_drive")


def _frozen_current(rng, n, dt, tau_s, std):
    """Ornstein-Uhlenbeck sample path (exact update), mean 0, s.d. ``std`` (A); ``n`` steps."""
    a = np.exp(-float(dt / tau_s))
    z = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = z[0]
    b = np.sqrt(1 - a * a)
    for k in range(1, n):
        x[k] = a * x[k - 1] + b * z[k]
    return x * std


def _groups_of(k, groups):
    """Trial indices 0..k-1 split into ``groups`` nearly equal, contiguous groups."""
    return np.array_split(np.arange(k), groups)


def _mean_sd(values):
    values = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=0), np.nanstd(values, axis=0, ddof=1)


def _si(x):
    """Plain float array in SI units."""
    return np.asarray(x, dtype=float)


# --------------------------------------------------------------------------- building
def _build(p, ctx):
    """All groups and monitors of the five parts (one network); returns (objects, parts)."""
    T, dt = p["duration"], p["dt"]
    mem = {k: float(v) for k, v in _membrane().items()}
    det_sigma = float(escape_lif(p["noise"], deterministic=True).parameters["sigma"].default)
    escape = escape_lif(p["noise"]).per_neuron("sigma")
    diffusive = diffusive_lif().per_neuron("sigma_v")
    parts, objects = {}, []

    # 1. rate / Fano / CV: neuron = (sigma, I, trial), identical initial state (v = E_L)
    I, K = _si(p["rate.I_ext"]), p["rate.trials"]
    sig = np.r_[det_sigma, _si(p["rate.sigma"])]
    g = escape.group(sig.size * I.size * K, dt=dt, name="rate")
    g.sigma = np.repeat(sig, I.size * K) * volt
    g.I_ext = np.tile(np.repeat(I, K), sig.size) * amp
    parts["rate"] = dict(mon=SpikeMonitor(g), shape=(sig.size, I.size, K), sigma=sig)

    # 2. Siegert: neuron = (sigma_v, mu, neuron), random initial v, fine time step
    mu, sv, K = _si(p["siegert.mu"]), _si(p["siegert.sigma_v"]), p["siegert.neurons"]
    n = sv.size * mu.size * K
    g2 = diffusive.group(n, dt=p["dt_fine"], name="siegert")
    g2.sigma_v = np.repeat(sv, mu.size * K) * volt
    g2.I_ext = np.tile(np.repeat((mu - mem["E_L"]) / mem["R_m"], K), sv.size) * amp
    g2.v = ctx.rng.uniform(mem["v_reset"], mem["v_th"], n) * volt
    parts["siegert"] = dict(mon=SpikeMonitor(g2), shape=(sv.size, mu.size, K))
    objects += [g, parts["rate"]["mon"], g2, parts["siegert"]["mon"]]

    # 3. reliability: neuron = (sigma, trial); constant vs frozen fluctuating current
    sig, K = np.r_[det_sigma, _si(p["rel.sigma"])], p["rel.trials"]
    n_steps = int(np.ceil(float(T / dt))) + 2
    frozen = _frozen_current(ctx.rng, n_steps, dt, p["rel.tau_s"], float(p["rel.I_std"]))
    rel = {"frozen": frozen, "shape": (sig.size, K), "sigma": sig}
    for cond in ("constant", "fluctuating"):
        g = escape.group(sig.size * K, dt=dt, name=f"reliability_{cond}")
        g.sigma = np.repeat(sig, K) * volt
        if cond == "constant":
            g.I_ext = p["rel.I_mean"]
        else:
            _drive(g, "I_ext = rel_mean + rel_frozen(t)", rel_mean=p["rel.I_mean"],
                   rel_frozen=TimedArray(frozen * amp, dt=dt))
        rel[cond] = SpikeMonitor(g)
        objects += [g, rel[cond]]
    parts["reliability"] = rel

    # 4. stochastic resonance: neuron = (noise scale, trial), escape and diffusive noise
    K = p["sr.trials"]
    names = dict(sr_mean=p["sr.I_mean"], sr_amp=p["sr.I_amp"], sr_f=p["sr.frequency"])
    sr = {}
    for kind, model, var, values in (("escape", escape, "sigma", _si(p["sr.sigma"])),
                                     ("diffusive", diffusive, "sigma_v", _si(p["sr.sigma_v"]))):
        g = model.group(values.size * K, dt=dt, name=f"sr_{kind}")
        setattr(g, var, np.repeat(values, K) * volt)
        _drive(g, "I_ext = sr_mean + sr_amp*sin(2*pi*sr_f*t)", **names)
        sr[kind] = dict(mon=SpikeMonitor(g), shape=(values.size, K))
        objects += [g, sr[kind]["mon"]]
    parts["sr"] = sr

    # 5. population: neuron = (model, relative orientation, copy); random initial v
    M, C = p["pop.orientations"], p["pop.copies"]
    sig = np.r_[_si(p["pop.sigma"]), det_sigma]
    delta = np.arange(M) * np.pi / M
    I_in = _si(p["pop.I_base"]) + _si(p["pop.I_peak"]) * np.exp(
        p["pop.kappa"] * (np.cos(2 * delta) - 1))
    g = escape.group(sig.size * M * C, dt=dt, name="population")
    g.sigma = np.repeat(sig, M * C) * volt
    g.I_ext = np.tile(np.repeat(I_in, C), sig.size) * amp
    g.v = ctx.rng.uniform(mem["v_reset"], mem["v_th"], sig.size * M * C) * volt
    parts["population"] = dict(mon=SpikeMonitor(g), shape=(sig.size, M, C), input=I_in,
                               delta=delta, sigma=sig)
    objects += [g, parts["population"]["mon"]]
    return objects, parts, escape, diffusive, det_sigma


# --------------------------------------------------------------------------- analysis
def _spikes(mon, t_skip):
    """(i, t in s) of a SpikeMonitor, spikes before ``t_skip`` left out."""
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:])
    keep = t >= float(t_skip)
    return i[keep], t[keep]


def _rate_fano_cv(p, part):
    n_sig, n_I, K = part["shape"]
    n = n_sig * n_I * K
    t0, T = float(p["t_skip"]), float(p["duration"])
    i, t = _spikes(part["mon"], t0)
    counts = spike_counts(i, t, n, t0, T, bin_size=p["rate.window"])  # (windows, n)
    counts = counts.reshape(-1, n_sig, n_I, K)
    rates = spike_counts(i, t, n, t0, T).reshape(n_sig, n_I, K) / (T - t0)
    cv = isi_cv(i, t, n).reshape(n_sig, n_I, K)
    per_group = {"rate": [], "fano": [], "cv": []}
    for idx in _groups_of(K, p["groups"]):
        per_group["rate"].append(rates[..., idx].mean(axis=-1))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices: silent neurons
            # Fano factor across the group's trials in each window, averaged over windows
            per_group["fano"].append(np.nanmean(fano_factor(counts[..., idx], axis=-1), axis=0))
            per_group["cv"].append(np.nanmean(cv[..., idx], axis=-1))
    out = {}
    for key, vals in per_group.items():
        out[f"{key}_mean"], out[f"{key}_sd"] = _mean_sd(vals)
    mem = _membrane()
    out["I_ext"] = p["rate.I_ext"]
    out["sigma"] = part["sigma"] * volt
    # low-rate limit of the escape neuron: v sits at mu, hazard h = F((mu - v_th)/sigma)/dt per
    # second; Poisson with dead time t_ref when h*tau_m << 1 (drawn only where h*tau_m < 0.1)
    mu = _si(mem["E_L"] + mem["R_m"] * p["rate.I_ext"])
    h = get_noise(p["noise"]).cdf_numpy(
        (mu[None, :] - float(mem["v_th"])) / part["sigma"][1:, None]) / float(p["dt"])
    poisson = h / (1 + h * float(mem["t_ref"]))
    out["escape_poisson_theory"] = np.where(h * float(mem["tau_m"]) < 0.1, poisson, np.nan) * Hz
    out["hazard"] = h * Hz
    out["deterministic_theory"] = lif_rate_deterministic(
        mem["E_L"] + mem["R_m"] * p["rate.I_ext"], mem["tau_m"], mem["v_th"], mem["v_reset"],
        mem["t_ref"]) * Hz
    return out


def _siegert(p, part):
    n_sv, n_mu, K = part["shape"]
    t0, T = float(p["t_skip"]), float(p["duration"])
    i, t = _spikes(part["mon"], t0)
    rates = spike_counts(i, t, n_sv * n_mu * K, t0, T).reshape(n_sv, n_mu, K) / (T - t0)
    mem = _membrane()
    mu, sv = p["siegert.mu"], p["siegert.sigma_v"]
    # sigma of the Siegert formula (tau dV = (mu - V) dt + sigma sqrt(tau) dW) = sqrt(2) sigma_v
    theory = np.array([siegert_rate(mu, np.sqrt(2) * s, mem["tau_m"], mem["v_th"],
                                    mem["v_reset"], mem["t_ref"]) for s in sv])
    sim, sem = rates.mean(axis=-1), rates.std(axis=-1, ddof=1) / np.sqrt(K)
    compared = theory >= float(p["siegert.min_rate"])
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(theory > 0, sim / theory - 1, np.nan)
    where = np.unravel_index(np.nanargmax(np.where(compared, np.abs(rel), -1)), rel.shape)
    mu_fine = np.linspace(float(mu.min()), float(mu.max()), 57) * volt
    curves = np.array([siegert_rate(mu_fine, np.sqrt(2) * s, mem["tau_m"], mem["v_th"],
                                    mem["v_reset"], mem["t_ref"]) for s in sv])
    return {
        "mu": mu, "sigma_v": sv, "rate_sim": sim * Hz, "rate_sem": sem * Hz,
        "rate_theory": theory * Hz, "rel_error": rel,
        "rel_error_sem": sem / np.maximum(theory, 1e-12),
        "compared": compared,
        "max_rel_error": float(np.abs(rel[where])) if compared.any() else np.nan,
        "max_error_mu": mu[where[1]], "max_error_sigma_v": sv[where[0]],
        "mu_fine": mu_fine, "rate_theory_fine": curves * Hz, "dt": p["dt_fine"],
    }


def _reliability(p, part):
    n_sig, K = part["shape"]
    t0, T = float(p["t_skip"]), float(p["duration"])
    out = {"sigma": part["sigma"] * volt}
    k_show = int(np.argmin(np.abs(part["sigma"] - float(p["rel.raster_sigma"]))))
    out["raster_index"] = k_show
    t_show = float(p["rel.raster_duration"])
    for cond in ("constant", "fluctuating"):
        i_all, t_all = np.asarray(part[cond].i[:]), np.asarray(part[cond].t[:])
        i, t = _spikes(part[cond], t0)
        trains = split_trains(i, t, n_sig * K)
        r_groups, res = [], {"reliability": [], "event_reliability": [], "precision": [],
                             "rate": []}
        for s in range(n_sig):
            tr = trains[s * K:(s + 1) * K]
            r_groups.append([schreiber_reliability([tr[k] for k in idx], T - t0, p["rel.sigma_g"],
                                                   t_start=t0)
                             for idx in _groups_of(K, p["groups"])])
            ev = event_reliability_precision(tr, T - t0, t_start=t0)
            res["reliability"].append(schreiber_reliability(tr, T - t0, p["rel.sigma_g"],
                                                            t_start=t0))
            res["event_reliability"].append(ev.event_reliability)
            res["precision"].append(ev.precision)
            res["rate"].append(sum(x.size for x in tr) / (K * (T - t0)))
        r_groups = np.array(r_groups)
        show = (i_all >= k_show * K) & (i_all < (k_show + 1) * K) & (t_all < t_show)
        out[cond] = {
            "schreiber": np.array(res["reliability"]),
            "schreiber_group_mean": np.nanmean(r_groups, axis=1),
            "schreiber_group_sd": np.nanstd(r_groups, axis=1, ddof=1),
            "event_reliability": np.array(res["event_reliability"]),
            "precision": np.array(res["precision"]) * second,
            "rate": np.array(res["rate"]) * Hz,
            "raster": {"i": i_all[show] - k_show * K, "t": t_all[show] * second},
        }
    step = max(int(round(float(1 * ms / p["dt"]))), 1)
    n_show = int(t_show / float(p["dt"]))
    out["input_t"] = np.arange(0, n_show, step) * p["dt"]
    out["input_I"] = (float(p["rel.I_mean"]) + part["frozen"][:n_show:step]) * amp
    out["trials"] = K
    return out


def _stochastic_resonance(p, parts):
    t0, T = float(p["t_skip"]), float(p["duration"])
    f = float(p["sr.frequency"])
    T_an = np.floor((T - t0) * f + 1e-9) / f  # whole number of periods
    out = {"frequency": p["sr.frequency"], "analysis_duration": T_an * second}
    for kind, var in (("escape", "sr.sigma"), ("diffusive", "sr.sigma_v")):
        part = parts[kind]
        n_sig, K = part["shape"]
        i, t = _spikes(part["mon"], t0)
        keep = t < t0 + T_an
        trains = split_trains(i[keep], t[keep], n_sig * K)
        snr, vs, rate = [], [], []
        for s in range(n_sig):
            tr = trains[s * K:(s + 1) * K]
            snr.append([spectrum_snr([tr[k] for k in idx], T_an, f, t_start=t0,
                                     n_neighbours=p["sr.neighbours"])
                        if sum(tr[k].size for k in idx) else np.nan
                        for idx in _groups_of(K, p["groups"])])
            vs.append([vector_strength(np.concatenate([tr[k] for k in idx]), f)
                       for idx in _groups_of(K, p["groups"])])
            rate.append(sum(x.size for x in tr) / (K * T_an))
        snr_m, snr_sd = _mean_sd(np.transpose(snr))
        vs_m, vs_sd = _mean_sd(np.transpose(vs))
        best = int(np.nanargmax(snr_m)) if np.isfinite(snr_m).any() else -1
        out[kind] = {
            "sigma": p[var], "snr_mean": snr_m, "snr_sd": snr_sd, "vs_mean": vs_m, "vs_sd": vs_sd,
            "rate": np.array(rate) * Hz, "best_index": best,
            "best_sigma": p[var][best] if best >= 0 else np.nan * mV,
            "interior_optimum": bool(0 < best < n_sig - 1),
        }
    return out


def _fine_tuning(f, factor):
    """A periodic tuning curve sampled at M points, Fourier-interpolated to M*factor (>= 0)."""
    from scipy.signal import resample

    return np.maximum(resample(f, f.size * factor), 0.0)


def _linear_fisher(c, idx, trials, M):
    """Linear Fisher information (rad^-2), averaged over the M stimuli, from ``trials``."""
    vals = []
    for s in range(M):
        A = c[idx[s]][:, trials].T
        B = c[idx[(s + 1) % M]][:, trials].T
        live = (A.var(axis=0) + B.var(axis=0)) > 0  # silent neurons carry nothing here
        if not live.any():
            vals.append(0.0)
        elif 2 * len(trials) > live.sum() + 3:
            vals.append(empirical_fisher_information(A[:, live], B[:, live], np.pi / M))
        else:
            return np.nan
    return float(np.mean(vals))


def _population(p, part):
    n_models, M, C = part["shape"]
    t0, T, win = float(p["t_skip"]), float(p["duration"]), float(p["pop.window"])
    i, t = _spikes(part["mon"], t0)
    counts = spike_counts(i, t, n_models * M * C, t0, T, bin_size=win)  # (windows, n)
    W = counts.shape[0]
    # (model, relative orientation, trial) with trial = (copy, window)
    counts = counts.reshape(W, n_models, M, C).transpose(1, 2, 3, 0).reshape(n_models, M, C * W)
    K = C * W
    folds = _groups_of(K, p["groups"])
    G, up = len(folds), p["pop.upsample"]
    stim = np.arange(M) * np.pi / M
    cand = np.arange(M * up) * np.pi / (M * up)
    sizes = np.asarray(p["pop.sizes"], dtype=int)
    out = {"sizes": sizes, "trials": K, "delta": part["delta"], "input": part["input"] * amp,
           "sigma": part["sigma"] * volt}
    for m in range(n_models):
        c = counts[m]
        rms = np.full((sizes.size, G), np.nan)
        fi, fi_se = np.full(sizes.size, np.nan), np.full(sizes.size, np.nan)
        fi_poisson = np.full(sizes.size, np.nan)
        tuning = c.mean(axis=1) / win
        df = (np.roll(tuning, -1) - np.roll(tuning, 1)) / (2 * np.pi / M)
        for a, N in enumerate(sizes):
            if M % N:
                continue
            shift = np.arange(N) * (M // N)  # preferred orientations on the grid
            idx = (np.arange(M)[:, None] - shift[None, :]) % M  # [stimulus, neuron] -> rel. orient.
            idx_fine = (np.arange(M * up)[:, None] - up * shift[None, :]) % (M * up)
            for g, test in enumerate(folds):  # cross-validated ML decoding
                train = np.setdiff1d(np.arange(K), test)
                rates = _fine_tuning(c[:, train].mean(axis=1) / win, up)[idx_fine]
                X = c[idx][:, :, test].transpose(0, 2, 1)  # (stimulus, trial, neuron)
                est = ml_decode_poisson(X, rates, cand, win, period=np.pi)
                rms[a, g] = np.sqrt(np.mean(decoding_error(est, stim[:, None], period=np.pi) ** 2))
            # linear Fisher information from all trials; jackknife s.e. over left-out folds
            fi[a] = _linear_fisher(c, idx, np.arange(K), M)
            jack = np.array([_linear_fisher(c, idx, np.setdiff1d(np.arange(K), f), M) for f in folds])
            fi_se[a] = np.sqrt((G - 1) / G * np.sum((jack - jack.mean()) ** 2))
            fi_poisson[a] = np.mean([fisher_information_poisson(tuning[idx[s]] * Hz, df[idx[s]],
                                                                win * second) for s in range(M)])
        mean = c.mean(axis=1)
        out[f"model{m}"] = {
            "tuning": tuning * Hz, "tuning_sd": c.std(axis=1, ddof=1) / win * Hz,
            "fano": np.where(mean > 0, c.var(axis=1, ddof=1) / np.maximum(mean, 1e-12), np.nan),
            "rms_error_mean": np.nanmean(rms, axis=1),
            "rms_error_sd": np.nanstd(rms, axis=1, ddof=1),
            "fisher": fi, "fisher_se": fi_se, "fisher_poisson": fi_poisson,
        }
    return out


def _check(p):
    """Combinations of parameters the analyses need, checked before anything is built."""
    span = p["duration"] - p["t_skip"]
    problems = []
    if span <= 0 * second:
        problems.append(f"'t_skip' ({p['t_skip']}) must be shorter than 'duration' ({p['duration']})")
    else:
        for name in ("rate.window", "pop.window"):
            if p[name] > span:
                problems.append(f"'{name}' ({p[name]}) must fit into duration - t_skip ({span})")
        if span * p["sr.frequency"] < 1:
            problems.append(f"duration - t_skip ({span}) must hold one period of 'sr.frequency'")
    for name in ("rate.trials", "rel.trials", "sr.trials"):
        if p[name] < 2 * p["groups"]:
            problems.append(f"'{name}' ({p[name]}) must be >= 2 x 'groups' ({p['groups']})")
    bad = [int(n) for n in np.atleast_1d(p["pop.sizes"]) if p["pop.orientations"] % int(n)]
    if bad:
        problems.append(f"'pop.sizes' {bad} must divide 'pop.orientations' ({p['pop.orientations']})")
    if problems:
        raise ParameterError("noise-coding: " + "; ".join(problems) + ".")


def simulate(p, ctx):
    _check(p)
    objects, parts, escape, diffusive, det_sigma = _build(p, ctx)
    ctx.progress(f"{sum(len(o) for o in objects if isinstance(o, NeuronGroup))} neurons "
                 "in one network")
    ctx.run(Network(*objects), p["duration"])
    ctx.progress("analysing")
    return {
        "equations": {"escape": str(escape), "diffusive": str(diffusive),
                      "deterministic": f"escape model with sigma = {det_sigma:g} V "
                                       "(sigma -> 0 limit: Heaviside firing)"},
        "rate": _rate_fano_cv(p, parts["rate"]),
        "siegert": _siegert(p, parts["siegert"]),
        "reliability": _reliability(p, parts["reliability"]),
        "sr": _stochastic_resonance(p, parts["sr"]),
        "population": _population(p, parts["population"]),
    }


# --------------------------------------------------------------------------- figure
def _sigma_labels(sigma_mV):
    return ["deterministic" if s < 1e-6 else f"σ = {s:g} mV" for s in sigma_mV]


def plot(data):
    import matplotlib.pyplot as plt

    p, attrs = data["parameters"], data["attrs"]
    fig, axes = plt.subplots(5, 3, figsize=(16, 25))
    colors = plt.cm.viridis(np.linspace(0, 0.85, 8))

    # 1. rate, Fano factor, CV vs input
    r = data["rate"]
    I = np.asarray(r["I_ext"] / nA)
    for k, label in enumerate(_sigma_labels(np.asarray(r["sigma"] / mV))):
        style = dict(color="k", marker="s", ls="--") if k == 0 else dict(color=colors[k], marker="o")
        for ax, key in zip(axes[0], ("rate", "fano", "cv")):
            ax.errorbar(I, r[f"{key}_mean"][k], yerr=r[f"{key}_sd"][k], ms=3, capsize=2,
                        label=label, **style)
    axes[0, 0].plot(I, np.asarray(r["deterministic_theory"]), color="0.6", lw=3, alpha=0.5,
                    zorder=0, label="LIF formula (no noise)")
    for k in range(1, len(r["sigma"])):
        axes[0, 0].plot(I, np.asarray(r["escape_poisson_theory"][k - 1]), color=colors[k],
                        ls=":", lw=2.5,
                        label="h/(1 + h t_ref), h = F((μ−θ)/σ)/dt" if k == 1 else None)
    axes[0, 0].set(yscale="log", ylim=(0.1, None), ylabel="firing rate (Hz)",
                   title="1  Escape-noise LIF: rate (dotted: low-hazard theory)")
    axes[0, 1].axhline(1, color="0.5", ls=":", lw=1)
    axes[0, 1].set(ylabel=f"Fano factor ({float(p['rate.window'] / ms):g} ms counts, across trials)",
                   title="1  Trial-to-trial count variability")
    axes[0, 2].axhline(1, color="0.5", ls=":", lw=1)
    axes[0, 2].set(ylabel="ISI CV", title="1  Spike-train irregularity")
    for ax in axes[0]:
        ax.axvline(0.15, color="0.7", lw=0.8)
        ax.set_xlabel("input current I_ext (nA)   (rheobase 0.15 nA)")
    axes[0, 0].legend(fontsize=8)

    # 2. Siegert
    s = data["siegert"]
    mu, mu_fine = np.asarray(s["mu"] / mV), np.asarray(s["mu_fine"] / mV)
    ax = axes[1, 0]
    for k, sv in enumerate(np.asarray(s["sigma_v"] / mV)):
        c = colors[k + 1]
        ax.plot(mu_fine, np.asarray(s["rate_theory_fine"][k] / Hz), color=c, lw=1)
        ax.errorbar(mu, np.asarray(s["rate_sim"][k] / Hz), yerr=np.asarray(s["rate_sem"][k] / Hz),
                    fmt="o", ms=4, color=c, label=f"σ_v = {sv:g} mV")
    ax.plot([], [], color="k", lw=1, label="Siegert formula")
    ax.axhline(float(p["siegert.min_rate"] / Hz), color="0.6", ls=":", lw=1)
    ax.set(xlabel="mean input μ = E_L + R_m I_ext (mV)", ylabel="firing rate (Hz)",
           title=f"2  Diffusive-noise LIF vs Siegert (dt = {float(s['dt'] / usecond):g} µs)")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    for k, sv in enumerate(np.asarray(s["sigma_v"] / mV)):
        ok = np.asarray(s["compared"][k], dtype=bool)
        ax.errorbar(mu[ok], 100 * s["rel_error"][k][ok], yerr=100 * s["rel_error_sem"][k][ok],
                    fmt="o-", ms=4, capsize=2, color=colors[k + 1], label=f"σ_v = {sv:g} mV")
    ax.axhspan(-5, 5, color="C2", alpha=0.1, label="±5 %")
    ax.axhline(0, color="k", lw=0.8)
    ax.set(xlabel="mean input μ (mV)", ylabel="(simulated − Siegert) / Siegert (%)",
           title=f"2  Relative error where Siegert rate ≥ {float(p['siegert.min_rate'] / Hz):g} Hz:"
                 f" max {100 * s['max_rel_error']:.1f} %")
    ax.legend(fontsize=8)
    ax = axes[1, 2]
    err = np.where(np.asarray(s["compared"], dtype=bool), 100 * np.abs(s["rel_error"]), np.nan)
    im = ax.imshow(err, origin="lower", aspect="auto", cmap="magma_r", vmin=0, vmax=5,
                   extent=[mu[0] - 0.5 * np.diff(mu)[0], mu[-1] + 0.5 * np.diff(mu)[0],
                           -0.5, len(s["sigma_v"]) - 0.5])
    ax.set_yticks(range(len(s["sigma_v"])), [f"{x:g}" for x in np.asarray(s["sigma_v"] / mV)])
    fig.colorbar(im, ax=ax, label="|relative error| (%)")
    ax.set(xlabel="mean input μ (mV)", ylabel="σ_v (mV)",
           title="2  |error| on the grid (blank: rate too low to compare)")

    # 3. reliability
    rel = data["reliability"]
    K, k_show = int(rel["trials"]), int(rel["raster_index"])
    sig = np.asarray(rel["sigma"] / mV)
    for ax, cond in zip(axes[2, :2], ("constant", "fluctuating")):
        ras = rel[cond]["raster"]
        ax.plot(np.asarray(ras["t"] / ms), ras["i"], "|", color="k", ms=4)
        ax.set(ylim=(-1, K + 8), xlabel="time (ms)",
               ylabel="trial  (grey: transient, not analysed)",
               title=f"3  {cond} input, σ = {sig[k_show]:g} mV: "
                     f"R_corr = {rel[cond]['schreiber'][k_show]:.2f}")
        ax.axvspan(0, float(p["t_skip"] / ms), color="0.9", zorder=0)
    tin, Iin = np.asarray(rel["input_t"] / ms), np.asarray(rel["input_I"] / nA)
    lo, hi = Iin.min(), Iin.max()
    for ax, y in ((axes[2, 0], np.full_like(Iin, float(p["rel.I_mean"] / nA))), (axes[2, 1], Iin)):
        ax.plot(tin, K + 1 + 6 * (y - lo) / (hi - lo), color="C1", lw=0.7,
                label=f"input current ({lo:.2f}–{hi:.2f} nA)")
        ax.legend(loc="lower right", fontsize=8)
    ax = axes[2, 2]
    x = np.where(sig < 1e-6, sig[sig > 1e-6].min() / 2.5, sig)
    for cond, c in (("constant", "C0"), ("fluctuating", "C3")):
        ax.errorbar(x[1:], rel[cond]["schreiber_group_mean"][1:],
                    yerr=rel[cond]["schreiber_group_sd"][1:], fmt="o-", color=c, capsize=2,
                    label=f"{cond} input")
        ax.plot(x[0], rel[cond]["schreiber_group_mean"][0], "s", color=c, mfc="none", ms=8)
        # R_corr of independent Poisson trains at this condition's rate (Schreiber et al. 2003)
        a = 2 * np.sqrt(np.pi) * float(p["rel.sigma_g"] / second) * np.asarray(rel[cond]["rate"] / Hz)
        ax.plot(x[1:], (a / (1 + a))[1:], ":", color=c, lw=1.5,
                label=f"{cond}: chance (Poisson at the same rate)")
    ax.plot([], [], "s", color="0.3", mfc="none", label="deterministic (σ → 0), both inputs")
    ax.set_xscale("log")
    ax.set_xticks(x, ["0"] + [f"{v:g}" for v in sig[1:]])
    ax.minorticks_off()
    ax.set(ylim=(0, 1.05), xlabel="escape-noise σ (mV)  (0: deterministic)",
           ylabel=f"reliability R_corr (σ_g = {float(p['rel.sigma_g'] / ms):g} ms)",
           title=f"3  Reliability ({K} trials; mean ± s.d. over {int(p['groups'])} groups)")
    ax.legend(fontsize=8)

    # 4. stochastic resonance
    sr = data["sr"]
    for kind, c in (("escape", "C0"), ("diffusive", "C3")):
        d = sr[kind]
        xs = np.asarray(d["sigma"] / mV)
        lab = "escape noise (σ)" if kind == "escape" else "diffusive noise (σ_v)"
        axes[3, 0].errorbar(xs, d["snr_mean"], yerr=d["snr_sd"], fmt="o-", color=c, capsize=2,
                            label=lab + f": best {float(d['best_sigma'] / mV):.2g} mV")
        axes[3, 0].plot(xs[d["best_index"]], d["snr_mean"][d["best_index"]], "*", color=c, ms=14)
        axes[3, 1].errorbar(xs, d["vs_mean"], yerr=d["vs_sd"], fmt="o-", color=c, capsize=2,
                            label=lab)
        axes[3, 2].plot(xs, np.asarray(d["rate"] / Hz), "o-", color=c, label=lab)
    axes[3, 0].axhline(1, color="0.5", ls=":", lw=1)
    f0 = float(sr["frequency"] / Hz)
    axes[3, 0].set(xscale="log", yscale="log", xlabel="noise scale (mV)",
                   ylabel=f"spectral SNR at {f0:g} Hz (peak / neighbouring bins)",
                   title="4  Stochastic resonance: subthreshold sinusoid (no noise: no spikes)")
    axes[3, 1].set(xscale="log", xlabel="noise scale (mV)", ylabel="vector strength",
                   title="4  Phase locking to the sinusoid")
    peak = float((NOISY_MEMBRANE_PARAMETERS["E_L"].default + NOISY_MEMBRANE_PARAMETERS["R_m"].default
                  * (p["sr.I_mean"] + p["sr.I_amp"])) / mV)
    axes[3, 2].set(xscale="log", yscale="log", xlabel="noise scale (mV)", ylabel="firing rate (Hz)",
                   title=f"4  Rate (peak of the drive μ = {peak:g} mV; threshold −50 mV)")
    for ax in axes[3]:
        ax.legend(fontsize=8)

    # 5. population code
    pop = data["population"]
    deg = np.asarray(pop["delta"]) * 180 / np.pi
    deg = np.where(deg > 90, deg - 180, deg)
    order = np.argsort(deg)
    sizes = np.asarray(pop["sizes"])
    psig = np.asarray(pop["sigma"] / mV)
    for m, label in enumerate(_sigma_labels(psig)):
        d, c = pop[f"model{m}"], ("k" if psig[m] < 1e-6 else f"C{m}")
        axes[4, 0].errorbar(deg[order], np.asarray(d["tuning"] / Hz)[order],
                            yerr=np.asarray(d["tuning_sd"] / Hz)[order], color=c, capsize=1,
                            label=label)
        axes[4, 1].errorbar(sizes, np.degrees(d["rms_error_mean"]), yerr=np.degrees(d["rms_error_sd"]),
                            fmt="o-", color=c, capsize=2, label=f"{label}: ML decoder")
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[4, 1].plot(sizes, np.degrees(1 / np.sqrt(d["fisher"])), ls="--", color=c,
                            label=f"{label}: 1/√(linear Fisher info)")
        axes[4, 2].errorbar(sizes, d["fisher"], yerr=d["fisher_se"], fmt="o-", color=c,
                            capsize=2, label=f"{label}: linear Fisher info")
        axes[4, 2].plot(sizes, d["fisher_poisson"], ls=":", color=c,
                        label=f"{label}: if Poisson, T Σ f'²/f")
    axes[4, 0].set(xlabel="stimulus − preferred orientation (deg)", ylabel="firing rate (Hz)",
                   title=f"5  Tuning curves (± s.d. over {int(pop['trials'])} trials of "
                         f"{float(p['pop.window'] / ms):g} ms)")
    axes[4, 1].set(xscale="log", yscale="log", xlabel="population size N",
                   ylabel="RMS decoding error (deg)",
                   title=f"5  ML orientation decoding ({int(p['groups'])}-fold cross-validated)")
    axes[4, 2].set(xscale="log", yscale="log", xlabel="population size N",
                   ylabel="Fisher information (rad⁻²)",
                   title="5  Linear Fisher information (± jackknife s.e.)")
    for ax in axes[4]:
        ax.legend(fontsize=7)
    for ax in (axes[4, 1], axes[4, 2]):
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()

    fig.suptitle(f"What noise does to the neural code — escape-noise ({p['noise']}) and diffusive-noise "
                 f"LIF; device {attrs['device']}, seed {attrs['seed']}, "
                 f"{float(p['duration'] / second):g} s per trial"
                 + (" (quick)" if attrs.get("quick") else ""), fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    return fig


def results(data):
    """Each claim of the study with what the stored run measured (README, Results)."""
    from neuromodels.results import sig, span, table

    p, r, s = data["parameters"], data["rate"], data["siegert"]
    worst = np.unravel_index(np.nanargmax(np.where(s["compared"], np.abs(s["rel_error"]), -1)),
                             np.shape(s["rel_error"]))
    rows = [[f"diffusive LIF rate = Siegert formula within 5 % ({int(np.sum(s['compared']))} of "
             f"{np.size(s['compared'])} grid points with rate ≥ "
             f"{float(p['siegert.min_rate'] / Hz):g} Hz, dt = {float(s['dt'] / usecond):g} µs)",
             f"max relative error {100 * float(s['max_rel_error']):.2f} % (μ = "
             f"{float(s['max_error_mu'] / mV):g} mV, σ_v = {float(s['max_error_sigma_v'] / mV):g} "
             f"mV; s.e. {100 * float(s['rel_error_sem'][worst]):.2f} %)"]]
    theory, det = np.asarray(r["deterministic_theory"] / Hz), np.asarray(r["rate_mean"][0])
    above = theory > 0
    below = "0 Hz below" if np.all(det[~above] == 0) else "some currents below it fire"
    rows.append(["deterministic limit (σ → 0)",
                 f"rate = LIF formula within {100 * np.max(np.abs(det[above] / theory[above] - 1)):.2g} "
                 f"% at the {int(above.sum())} currents above rheobase, {below}; Fano factor ≤ "
                 f"{sig(np.nanmax(r['fano_mean'][0]), 1)}, ISI CV ≤ {sig(np.nanmax(r['cv_mean'][0]), 1)}"])
    poisson = np.isfinite(np.asarray(r["escape_poisson_theory"] / Hz)) & (np.asarray(r["rate_mean"][1:]) > 0)
    rows.append(["escape noise, low hazard (h·τ_m < 0.1, firing): Poisson-like counts",
                 f"Fano factor {span(np.asarray(r['fano_mean'][1:])[poisson], '.2f')} "
                 f"({int(poisson.sum())} points)"])
    rel = data["reliability"]
    sig_mV = np.asarray(rel["sigma"] / mV)
    rows.append([f"reliability (Schreiber, {int(rel['trials'])} trials, σ_g = "
                 f"{float(p['rel.sigma_g'] / ms):g} ms), constant vs frozen fluctuating input",
                 "; ".join(f"σ = {x:g} mV: {c:.2f} vs {f:.2f}" for x, c, f in
                           zip(sig_mV, rel["constant"]["schreiber"], rel["fluctuating"]["schreiber"])
                           if x > 1e-6)])
    sr = data["sr"]
    best = {k: (float(sr[k]["best_sigma"] / mV), sr[k]["snr_mean"][int(sr[k]["best_index"])],
                sr[k]["snr_sd"][int(sr[k]["best_index"])], bool(sr[k]["interior_optimum"]))
            for k in ("escape", "diffusive")}
    rows.append([f"stochastic resonance ({float(sr['frequency'] / Hz):g} Hz subthreshold sinusoid, "
                 "spectral SNR)",
                 "; ".join(f"{'interior' if b[3] else 'edge'} optimum: {k} "
                           f"{'σ' if k == 'escape' else 'σ_v'} = {b[0]:g} mV (SNR {sig(b[1])} ± {sig(b[2], 2)})"
                           for k, b in best.items())])
    pop = data["population"]
    sizes, psig = np.asarray(pop["sizes"]), np.asarray(pop["sigma"] / mV)
    rows.append([f"population code, RMS ML decoding error N = {sizes[0]} → {sizes[-1]}",
                 "; ".join(f"{'deterministic' if x < 1e-6 else f'σ = {x:g} mV'}: "
                           f"{sig(np.degrees(e[0]))}° → {sig(np.degrees(e[-1]))}°"
                           for x, e in ((x, np.asarray(pop[f"model{m}"]["rms_error_mean"]))
                                        for m, x in enumerate(psig)))])
    return table(["claim", "measured"], rows)


STUDY = Study(
    name="noise-coding",
    title="Noise and the neural code: rate/Fano/CV, Siegert, reliability, SR, population code",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    quick=QUICK,
    results=results,
    devices=DEVICES,
    default_device="cpp_standalone",
    reference="Ma, Yan & Tang (2023) Patterns 4:100831; Mainen & Sejnowski (1995) Science "
              "268:1503; Brunel (2000) J Comput Neurosci 8:183; Longtin (1993) J Stat Phys 70:309",
)
