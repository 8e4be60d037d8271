"""What noise does to the rate code of LIF neurons (after Ma, Yan & Tang 2023, Patterns
4:100831; Brunel 2000, J Comput Neurosci 8:183).

1. Escape noise (P(spike in a step) = F((v - v_th)/sigma)): rate, Fano factor of spike
   counts and ISI CV vs input current, for several noise scales sigma; the deterministic
   LIF is the sigma -> 0 limit of the same model, and at low hazard the neuron is a Poisson
   process with dead time (:mod:`neuromodels.theory.escape`).
2. Diffusive noise (sigma_v = s.d. of the free membrane potential): the rate vs the Siegert
   formula (:func:`neuromodels.theory.lif.siegert_rate`, given the model's own parameters) on
   a grid of input mean mu and sigma_v. This part runs on a finer clock: a discrete-time
   threshold misses excursions between steps and lowers the rate by O(sqrt(dt/tau_m)), most
   at low rates, so the comparison is restricted to rates >= ``siegert.min_rate``.

    neuromodels run noise-rate [--device runtime|cpp_standalone] [--quick]

Neurons are (condition x trial) of one network, run once. Trials of part 1 start from the
same state, so the deterministic neuron repeats itself exactly. Error bars: s.d. over
``groups`` groups of trials (1), s.e.m. over neurons (2). GeNN is not offered: not checked,
and the second clock is not known to work with brian2genn.
"""
import numpy as np
from brian2 import Hz, Network, SpikeMonitor, amp, mV, ms, nA, second, usecond, volt

from neuromodels.analysis.groups import mean_sd, over_groups
from neuromodels.analysis.spiketrains import fano_factor, isi_cv, spike_counts
from neuromodels.neurons.noise import available_noises, get_noise
from neuromodels.neurons.noisy import NOISY_MEMBRANE_PARAMETERS, diffusive_lif, escape_lif
from neuromodels.parameters import (Parameter, ParameterError, ParameterSet, at_most, below,
                                    positive, steps_per)
from neuromodels.plotting import decorate, errorbar_family, level_colors, level_labels, run_label
from neuromodels.study import Study
from neuromodels.theory.escape import escape_rate_low_hazard, hazard
from neuromodels.theory.lif import lif_rate_deterministic, siegert_rate

MEM = NOISY_MEMBRANE_PARAMETERS.defaults


def _grid(name, values, unit, text, low=True):
    kw = {"low": 0 * unit, "low_open": True} if low else {}
    return Parameter(name, np.asarray(values, dtype=float) * unit, text, **kw)


PARAMETERS = ParameterSet(
    positive("duration", 5 * second, "simulated time (both parts side by side)"),
    Parameter("t_skip", 0.2 * second, "initial transient left out of the analysis", low=0 * second),
    positive("dt", 0.1 * ms, "time step (escape-noise firing probability is per step)"),
    positive("dt_fine", 5 * usecond, "time step of the diffusive-noise (Siegert) part"),
    Parameter("noise", "gaussian", "escape-noise distribution", choices=available_noises()),
    Parameter("groups", 4, "groups of trials; error bars: s.d. over groups", low=2, integer=True),
    _grid("rate.I_ext", np.linspace(0, 0.3, 13), nA, "input currents (rheobase 0.15 nA)", False),
    _grid("rate.sigma", [0.5, 1, 2, 4], mV, "escape-noise scales (plus deterministic)"),
    Parameter("rate.trials", 40, "trials per (input, sigma)", low=2, integer=True),
    positive("rate.window", 0.5 * second, "counting window of the Fano factor"),
    _grid("siegert.mu", [-56, -54, -52, -50, -48, -46, -44], mV,
          "mean input mu = E_L + R_m I_ext (threshold -50 mV)", False),
    _grid("siegert.sigma_v", [1, 2, 3, 4, 6], mV, "s.d. of the free membrane potential"),
    Parameter("siegert.neurons", 80, "neurons per (mu, sigma_v)", low=2, integer=True),
    positive("siegert.min_rate", 10 * Hz, "compare with theory where the Siegert rate is >= this"),
    below("t_skip", "duration"),
    at_most("rate.window", "duration"),
    steps_per("dt", "duration", at_least=100, what="run"),
    steps_per("dt", NOISY_MEMBRANE_PARAMETERS["tau_m"].default,
              what="membrane time constant tau_m ="),
    steps_per("dt_fine", NOISY_MEMBRANE_PARAMETERS["tau_m"].default,
              what="membrane time constant tau_m ="),
)
QUICK = {"duration": 1.2 * second, "dt_fine": 10 * usecond, "rate.trials": 48,
         "rate.I_ext": np.array([0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3]) * nA,
         "siegert.mu": np.array([-50, -47, -44]) * mV, "siegert.sigma_v": np.array([2, 4]) * mV,
         "siegert.neurons": 150, "siegert.min_rate": 20 * Hz}


def _check(p):
    span = p["duration"] - p["t_skip"]
    if span <= 0 * second or p["rate.window"] > span or p["rate.trials"] < 2 * p["groups"]:
        raise ParameterError(f"noise-rate: 't_skip' ({p['t_skip']}) must be shorter than "
                             f"'duration' ({p['duration']}), 'rate.window' ({p['rate.window']}) "
                             f"must fit into the rest, and 'rate.trials' ({p['rate.trials']}) "
                             f"must be >= 2 x 'groups' ({p['groups']}).")


def _counts(mon, p, n, window=None):
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:])
    return spike_counts(i, t, n, p["t_skip"], p["duration"], bin_size=window), i, t


def simulate(p, ctx):
    _check(p)
    det = float(escape_lif(p["noise"], deterministic=True).parameters["sigma"].default)
    escape = escape_lif(p["noise"]).per_neuron("sigma")
    diffusive = diffusive_lif().per_neuron("sigma_v")
    # 1. escape noise: neuron = (sigma, input, trial), all starting at v = E_L
    sig, I = np.r_[det, np.asarray(p["rate.sigma"])], np.asarray(p["rate.I_ext"])
    K = p["rate.trials"]
    g1 = escape.group(sig.size * I.size * K, dt=p["dt"], name="rate")
    g1.sigma, g1.I_ext = np.repeat(sig, I.size * K) * volt, np.tile(np.repeat(I, K), sig.size) * amp
    # 2. diffusive noise: neuron = (sigma_v, mu, neuron), random initial v, fine time step
    mu, sv, N = np.asarray(p["siegert.mu"]), np.asarray(p["siegert.sigma_v"]), p["siegert.neurons"]
    g2 = diffusive.group(sv.size * mu.size * N, dt=p["dt_fine"], name="siegert")
    g2.sigma_v = np.repeat(sv, mu.size * N) * volt
    g2.I_ext = np.tile(np.repeat((mu - float(MEM["E_L"])) / float(MEM["R_m"]), N), sv.size) * amp
    g2.v = ctx.rng.uniform(float(MEM["v_reset"]), float(MEM["v_th"]), len(g2)) * volt
    m1, m2 = SpikeMonitor(g1), SpikeMonitor(g2)
    ctx.run(Network(g1, g2, m1, m2), p["duration"])
    ctx.progress("analysing")
    shape, T = (sig.size, I.size, K), float(p["duration"] - p["t_skip"])
    windows, i, t = _counts(m1, p, g1.N, p["rate.window"])
    windows = windows.reshape(-1, *shape)
    rates = _counts(m1, p, g1.N)[0].reshape(shape) / T
    keep = t >= float(p["t_skip"])
    cv = isi_cv(i[keep], t[keep], g1.N).reshape(shape)
    rate = {"I_ext": p["rate.I_ext"], "sigma": sig * volt}
    for key, stat in (("rate", lambda idx: rates[..., idx].mean(axis=-1)),
                      ("fano", lambda idx: mean_sd(fano_factor(windows[..., idx], axis=-1))[0]),
                      ("cv", lambda idx: mean_sd(cv[..., idx], axis=-1)[0])):
        rate[f"{key}_mean"], rate[f"{key}_sd"], _ = over_groups(stat, K, p["groups"])
    mu1, cdf = MEM["E_L"] + MEM["R_m"] * p["rate.I_ext"], get_noise(p["noise"]).cdf_numpy
    rate["hazard"] = hazard(mu1[None, :], MEM["v_th"], sig[1:, None], p["dt"], cdf) * Hz
    rate["escape_poisson_theory"] = escape_rate_low_hazard(
        mu1[None, :], MEM["v_th"], sig[1:, None], p["dt"], MEM["t_ref"], MEM["tau_m"], cdf) * Hz
    rate["deterministic_theory"] = lif_rate_deterministic(
        mu1, MEM["tau_m"], MEM["v_th"], MEM["v_reset"], MEM["t_ref"]) * Hz
    model = {k: MEM[k] for k in ("tau_m", "v_th", "v_reset", "t_ref")}  # the model's own names
    theory = np.array([siegert_rate(p["siegert.mu"], s, **model) for s in p["siegert.sigma_v"]])
    sim = _counts(m2, p, g2.N)[0].reshape(sv.size, mu.size, N) / T
    mean, sem = sim.mean(axis=-1), sim.std(axis=-1, ddof=1) / np.sqrt(N)
    compared = theory >= float(p["siegert.min_rate"])
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.where(theory > 0, mean / theory - 1, np.nan)
    worst = np.unravel_index(np.nanargmax(np.where(compared, np.abs(rel), -1)), rel.shape)
    mu_fine = np.linspace(mu.min(), mu.max(), 57) * volt
    siegert = {"mu": p["siegert.mu"], "sigma_v": p["siegert.sigma_v"], "rate_sim": mean * Hz,
               "rate_sem": sem * Hz, "rate_theory": theory * Hz, "rel_error": rel,
               "rel_error_sem": sem / np.maximum(theory, 1e-12), "compared": compared,
               "max_rel_error": float(np.abs(rel[worst])) if compared.any() else np.nan,
               "max_error_mu": p["siegert.mu"][worst[1]],
               "max_error_sigma_v": p["siegert.sigma_v"][worst[0]], "mu_fine": mu_fine,
               "rate_theory_fine": np.array([siegert_rate(mu_fine, s, **model)
                                             for s in p["siegert.sigma_v"]]) * Hz,
               "dt": p["dt_fine"]}
    return {"equations": {"escape": str(escape), "diffusive": str(diffusive), "deterministic":
                          f"escape model with sigma = {det:g} V (sigma -> 0: Heaviside firing)"},
            "rate": rate, "siegert": siegert}


def plot(data):
    import matplotlib.pyplot as plt

    p, r, s = data["parameters"], data["rate"], data["siegert"]
    fig, axes = plt.subplots(2, 3, figsize=(16, 10))
    I, labels = np.asarray(r["I_ext"] / nA), level_labels(np.asarray(r["sigma"] / mV))
    colors = level_colors(len(labels))
    for ax, key in zip(axes[0], ("rate", "fano", "cv")):
        errorbar_family(ax, I, r[f"{key}_mean"], r[f"{key}_sd"], labels, 0, colors)
        ax.axvline(0.15, color="0.7", lw=0.8)
        ax.set_xlabel("input current I_ext (nA)   (rheobase 0.15 nA)")
        if key != "rate":
            ax.axhline(1, color="0.5", ls=":", lw=1)
    axes[0, 0].plot(I, np.asarray(r["deterministic_theory"]), color="0.6", lw=3, alpha=0.5,
                    zorder=0, label="LIF formula (no noise)")
    for k, curve in enumerate(np.asarray(r["escape_poisson_theory"]), start=1):
        axes[0, 0].plot(I, curve, color=colors[k], ls=":", lw=2.5,
                        label="h/(1 + h t_ref), h = F((μ−θ)/σ)/dt" if k == 1 else None)
    axes[0, 0].set_yscale("symlog", linthresh=1, linscale=0.5)  # 0 Hz stays on the axis
    decorate(axes[0, 0], None, ylim=(0, 5e3), ylabel="firing rate (Hz; log above 1 Hz)",
             title="1  Escape-noise LIF: rate (dotted: low-hazard theory)")
    axes[0, 0].legend(fontsize=8, loc="upper left", ncols=2)  # above the curves
    decorate(axes[0, 1], None, title="1  Trial-to-trial count variability",
             ylabel=f"Fano factor ({float(p['rate.window'] / ms):g} ms counts, across trials)")
    decorate(axes[0, 2], None, ylabel="ISI CV", title="1  Spike-train irregularity")
    mu, sv = np.asarray(s["mu"] / mV), np.asarray(s["sigma_v"] / mV)
    ok = np.asarray(s["compared"], dtype=bool)
    for k, c in enumerate(level_colors(sv.size + 1)[1:]):
        axes[1, 0].plot(np.asarray(s["mu_fine"] / mV), np.asarray(s["rate_theory_fine"][k] / Hz),
                        color=c, lw=1)
        axes[1, 0].errorbar(mu, np.asarray(s["rate_sim"][k] / Hz), fmt="o", ms=4, color=c,
                            yerr=np.asarray(s["rate_sem"][k] / Hz), label=f"σ_v = {sv[k]:g} mV")
        axes[1, 1].errorbar(mu[ok[k]], 100 * s["rel_error"][k][ok[k]], fmt="o-", ms=4, capsize=2,
                            yerr=100 * s["rel_error_sem"][k][ok[k]], color=c,
                            label=f"σ_v = {sv[k]:g} mV")
    axes[1, 0].plot([], [], color="k", lw=1, label="Siegert formula")
    axes[1, 0].axhline(float(p["siegert.min_rate"] / Hz), color="0.6", ls=":", lw=1)
    decorate(axes[1, 0], xlabel="mean input μ = E_L + R_m I_ext (mV)", ylabel="firing rate (Hz)",
             title=f"2  Diffusive-noise LIF vs Siegert (dt = {float(s['dt'] / usecond):g} µs)")
    axes[1, 1].axhspan(-5, 5, color="C2", alpha=0.1, label="±5 %")
    axes[1, 1].axhline(0, color="k", lw=0.8)
    decorate(axes[1, 1], xlabel="mean input μ (mV)",
             ylabel="(simulated − Siegert) / Siegert (%)",
             title=f"2  Relative error where Siegert rate ≥ {float(p['siegert.min_rate'] / Hz):g}"
                   f" Hz: max {100 * s['max_rel_error']:.1f} %")
    half = 0.5 * np.diff(mu)[0]
    im = axes[1, 2].imshow(np.where(ok, 100 * np.abs(s["rel_error"]), np.nan), origin="lower",
                           aspect="auto", cmap="magma_r", vmin=0, vmax=5,
                           extent=[mu[0] - half, mu[-1] + half, -0.5, sv.size - 0.5])
    axes[1, 2].set_yticks(range(sv.size), [f"{x:g}" for x in sv])
    fig.colorbar(im, ax=axes[1, 2], label="|relative error| (%)")
    decorate(axes[1, 2], None, xlabel="mean input μ (mV)", ylabel="σ_v (mV)",
             title="2  |error| on the grid (blank: rate too low to compare)")
    fig.suptitle(f"Noise and the rate code: escape-noise ({p['noise']}) and diffusive-noise LIF; "
                 + run_label(data, f"{float(p['duration'] / second):g} s per trial")
                 + f"\nerror bars: s.d. over {int(p['groups'])} groups of trials (1), "
                   "s.e.m. over neurons (2)", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def results(data):
    """The claims with what the stored run measured (README, Results)."""
    from neuromodels.results import sig, span, table

    p, r, s = data["parameters"], data["rate"], data["siegert"]
    worst = np.unravel_index(np.nanargmax(np.where(s["compared"], np.abs(s["rel_error"]), -1)),
                             np.shape(s["rel_error"]))
    theory, det = np.asarray(r["deterministic_theory"] / Hz), np.asarray(r["rate_mean"][0])
    on = theory > 0
    low = (np.isfinite(np.asarray(r["escape_poisson_theory"] / Hz))
           & (np.asarray(r["rate_mean"][1:]) > 0))
    return table(["claim", "measured"], [
        [f"diffusive LIF rate = Siegert formula (the model's own `sigma_v`) within 5 % "
         f"({int(np.sum(s['compared']))} of {np.size(s['compared'])} grid points with rate ≥ "
         f"{float(p['siegert.min_rate'] / Hz):g} Hz, dt = {float(s['dt'] / usecond):g} µs)",
         f"max relative error {100 * float(s['max_rel_error']):.2f} % "
         f"(μ = {float(s['max_error_mu'] / mV):g} mV, "
         f"σ_v = {float(s['max_error_sigma_v'] / mV):g} mV; s.e. "
         f"{100 * float(s['rel_error_sem'][worst]):.2f} %)"],
        ["deterministic limit (σ → 0)",
         f"rate = LIF formula within {100 * np.max(np.abs(det[on] / theory[on] - 1)):.2g} % at the "
         f"{int(on.sum())} currents above rheobase, " + ("0 Hz below" if np.all(det[~on] == 0) else
         "some below it fire") + f"; Fano factor {sig(np.nanmax(r['fano_mean'][0]), 1)}, "
         f"ISI CV ≤ {sig(np.nanmax(r['cv_mean'][0]), 1)}"],
        ["escape noise, low hazard (h·τ_m < 0.1, firing): Poisson-like counts",
         f"Fano factor {span(np.asarray(r['fano_mean'][1:])[low], '.2f')} "
         f"({int(low.sum())} points)"]])


STUDY = Study(
    name="noise-rate",
    title="Noise and the rate code: rate, Fano factor, ISI CV vs input; diffusive LIF vs Siegert",
    simulate=simulate, plot=plot, parameters=PARAMETERS, quick=QUICK, results=results,
    devices=("runtime", "cpp_standalone"), default_device="cpp_standalone",
    reference="Ma, Yan & Tang (2023) Patterns 4:100831; Brunel (2000) J Comput Neurosci 8:183; "
              "Gerstner & Kistler (2002) Spiking Neuron Models, ch. 5",
)
