"""What noise does to spike timing: reliability and stochastic resonance of noisy LIF neurons
(after Ma, Yan & Tang 2023, Patterns 4:100831).

3. Reliability (Mainen & Sejnowski 1995, Science 268:1503): repeated trials driven by a
   constant current or by a frozen fluctuating one (an Ornstein-Uhlenbeck current, the same
   waveform every trial, :func:`neuromodels.stimuli.ou_process`), with independent escape
   noise; Schreiber et al. (2003) reliability and event precision vs noise scale.
4. Stochastic resonance (Longtin 1993, J Stat Phys 70:309; Gammaitoni et al. 1998): a
   subthreshold sinusoid (:func:`neuromodels.stimuli.sinusoid`), spectral SNR and vector
   strength vs the scale of escape or diffusive noise.

    neuromodels run noise-timing [--device runtime|cpp_standalone] [--quick]

Neurons are (condition x trial) of one network, run once; trials of a condition start from
the same state, so the deterministic neuron repeats itself exactly. Error bars: s.d. over
``groups`` groups of trials. GeNN is not offered (not checked).
"""
import numpy as np
from brian2 import Hz, Network, SpikeMonitor, TimedArray, mV, ms, nA, second, volt

from neuromodels.analysis.periodic import locking_over_groups
from neuromodels.analysis.reliability import poisson_chance, trial_reliability
from neuromodels.analysis.spiketrains import split_trains
from neuromodels.neurons.noise import available_noises
from neuromodels.neurons.noisy import NOISY_MEMBRANE_PARAMETERS, diffusive_lif, escape_lif
from neuromodels.parameters import (Parameter, ParameterError, ParameterSet, at_most, below,
                                    positive, steps_per)
from neuromodels.plotting import chance_lines, decorate, run_label, trials_with_input
from neuromodels.stimuli import n_samples, ou_process, sinusoid
from neuromodels.study import Study

SR_GRID = np.array([0.5, 0.7, 1, 1.4, 2, 2.8, 4, 5.6, 8, 11, 16])  # mV, about sqrt(2) steps
PARAMETERS = ParameterSet(
    positive("duration", 5 * second, "simulated time (both parts side by side)"),
    Parameter("t_skip", 0.2 * second, "initial transient left out of the analysis",
              low=0 * second),
    positive("dt", 0.1 * ms, "time step (escape-noise firing probability is per step)"),
    Parameter("noise", "gaussian", "escape-noise distribution", choices=available_noises()),
    Parameter("groups", 4, "groups of trials; error bars: s.d. over groups", low=2, integer=True),
    positive("rel.I_mean", 0.16 * nA, "mean input current (mu = -49 mV, 1 mV above threshold)"),
    positive("rel.I_std", 0.05 * nA, "s.d. of the frozen fluctuating current"),
    positive("rel.tau_s", 5 * ms, "correlation time of the frozen current (OU process)"),
    Parameter("rel.sigma", np.array([0.25, 0.5, 1, 2, 4]) * mV,
              "escape-noise scales (plus deterministic)", low=0 * mV, low_open=True),
    Parameter("rel.trials", 24, "repeated trials per condition", low=4, integer=True),
    positive("rel.raster_sigma", 1 * mV, "noise scale shown in the rasters (nearest used)"),
    positive("rel.sigma_g", 2 * ms, "width of the Schreiber et al. Gaussian filter"),
    positive("rel.raster_duration", 1 * second, "duration stored for the rasters"),
    positive("sr.I_mean", 0.10 * nA, "mean input (mu = -55 mV, 5 mV below threshold)"),
    positive("sr.I_amp", 0.03 * nA, "sinusoid amplitude (peak mu = -52 mV: subthreshold)"),
    positive("sr.frequency", 10 * Hz, "sinusoid frequency"),
    Parameter("sr.sigma", SR_GRID * mV, "escape-noise scales", low=0 * mV, low_open=True),
    Parameter("sr.sigma_v", SR_GRID * mV, "diffusive-noise scales (s.d. of v)", low=0 * mV,
              low_open=True),
    Parameter("sr.trials", 40, "trials per noise scale", low=4, integer=True),
    Parameter("sr.neighbours", 5, "spectral bins on each side for the SNR background", low=1,
              integer=True),
    below("t_skip", "duration"),
    at_most("rel.raster_duration", "duration"),
    steps_per("dt", "duration", at_least=100, what="run"),
    steps_per("dt", NOISY_MEMBRANE_PARAMETERS["tau_m"].default, what="membrane time constant"),
    steps_per("dt", "rel.tau_s", what="input correlation time"),
)
# rel.trials: 8 per group (with 4 the s.d. over groups was 0.05 or 0.18, by the random draw)
QUICK = {"duration": 1.2 * second, "rel.sigma": np.array([0.5, 2]) * mV, "rel.trials": 32,
         "sr.sigma": np.geomspace(0.5, 16, 6) * mV, "sr.sigma_v": np.geomspace(0.5, 16, 6) * mV,
         "sr.trials": 60}


def _check(p):
    span = p["duration"] - p["t_skip"]
    problems = [f"'{k}' ({p[k]}) must be >= 2 x 'groups' ({p['groups']})"
                for k in ("rel.trials", "sr.trials") if p[k] < 2 * p["groups"]]
    if span * p["sr.frequency"] < 1:
        problems.append(f"duration - t_skip ({span}) must hold one period of 'sr.frequency'")
    if problems:
        raise ParameterError("noise-timing: " + "; ".join(problems) + ".")


def _trains(mon, n, t_skip, t_end):
    """Spike trains (s) of ``n`` neurons, spikes in [t_skip, t_end) only."""
    i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:])
    keep = (t >= t_skip) & (t < t_end)
    return split_trains(i[keep], t[keep], n)


def simulate(p, ctx):
    _check(p)
    det = float(escape_lif(p["noise"], deterministic=True).parameters["sigma"].default)
    escape = escape_lif(p["noise"]).per_neuron("sigma")
    diffusive = diffusive_lif().per_neuron("sigma_v")
    sig, K = np.r_[det, np.asarray(p["rel.sigma"])], p["rel.trials"]
    frozen = ou_process(ctx.rng, n_samples(p["duration"], p["dt"]), p["dt"], p["rel.tau_s"],
                        p["rel.I_std"], p["rel.I_mean"])
    drive = {"constant": p["rel.I_mean"], "fluctuating": "rel_input(t)",
             "escape": "sr_input(t)", "diffusive": "sr_input(t)"}
    stim = {"rel_input": TimedArray(frozen, dt=p["dt"]),
            "sr_input": sinusoid(p["sr.I_amp"], p["sr.frequency"], p["duration"], p["dt"],
                                 mean=p["sr.I_mean"])}
    groups, mons = [], {}
    for name, model, var, values, trials in (
            ("constant", escape, "sigma", sig, K), ("fluctuating", escape, "sigma", sig, K),
            ("escape", escape, "sigma", np.asarray(p["sr.sigma"]), p["sr.trials"]),
            ("diffusive", diffusive, "sigma_v", np.asarray(p["sr.sigma_v"]), p["sr.trials"])):
        g = model.group(values.size * trials, dt=p["dt"], name=name, namespace=stim)
        setattr(g, var, np.repeat(values, trials) * volt)
        if isinstance(drive[name], str):
            g.run_regularly(f"I_ext = {drive[name]}", when="start", name=f"{name}_drive")
        else:
            g.I_ext = drive[name]
        mons[name] = SpikeMonitor(g)
        groups += [g, mons[name]]
    ctx.run(Network(*groups), p["duration"])
    ctx.progress("analysing")
    t0, T = float(p["t_skip"]), float(p["duration"])
    k_show = int(np.argmin(np.abs(sig - float(p["rel.raster_sigma"]))))
    rel = {"sigma": sig * volt, "raster_index": k_show, "trials": K}
    for cond in ("constant", "fluctuating"):
        trains = _trains(mons[cond], sig.size * K, t0, T)
        res = [trial_reliability(trains[s * K:(s + 1) * K], T - t0, p["rel.sigma_g"],
                                 p["groups"], t_start=t0) for s in range(sig.size)]
        rel[cond] = {key: np.array([r[key] for r in res]) for key in res[0]}
        rel[cond]["precision"], rel[cond]["rate"] = (rel[cond]["precision"] * second,
                                                     rel[cond]["rate"] * Hz)
        i, t = np.asarray(mons[cond].i[:]), np.asarray(mons[cond].t[:])
        show = (i // K == k_show) & (t < float(p["rel.raster_duration"]))
        rel[cond]["raster"] = {"i": i[show] - k_show * K, "t": t[show] * second}
    every = max(int(round(float(1 * ms / p["dt"]))), 1)
    n_show = int(p["rel.raster_duration"] / p["dt"])
    rel["input_t"], rel["input_I"] = np.arange(0, n_show, every) * p["dt"], frozen[:n_show:every]
    f = float(p["sr.frequency"])
    T_an = np.floor((T - t0) * f + 1e-9) / f  # a whole number of periods
    sr = {"frequency": p["sr.frequency"], "analysis_duration": T_an * second}
    for kind, var in (("escape", "sr.sigma"), ("diffusive", "sr.sigma_v")):
        n_sig, K = len(p[var]), p["sr.trials"]
        trains = _trains(mons[kind], n_sig * K, t0, t0 + T_an)
        per = [trains[s * K:(s + 1) * K] for s in range(n_sig)]
        lock = np.array([locking_over_groups(tr, T_an, f, p["groups"], t_start=t0,
                                             n_neighbours=p["sr.neighbours"]) for tr in per])
        best = int(np.nanargmax(lock[:, 0])) if np.isfinite(lock[:, 0]).any() else -1
        sr[kind] = {"sigma": p[var], "snr_mean": lock[:, 0], "snr_sd": lock[:, 1],
                    "vs_mean": lock[:, 2], "vs_sd": lock[:, 3], "best_index": best,
                    "rate": np.array([sum(x.size for x in tr) / (K * T_an) for tr in per]) * Hz,
                    "best_sigma": p[var][best] if best >= 0 else np.nan * mV,
                    "interior_optimum": bool(0 < best < n_sig - 1)}
    return {"equations": {"escape": str(escape), "diffusive": str(diffusive), "deterministic":
                          f"escape model with sigma = {det:g} V (sigma -> 0: Heaviside firing)"},
            "reliability": rel, "sr": sr}


def plot(data):
    import matplotlib.pyplot as plt
    from matplotlib.legend_handler import HandlerTuple

    p, rel, sr = data["parameters"], data["reliability"], data["sr"]
    fig, axes = plt.subplots(2, 3, figsize=(16, 10))
    K, k_show, sig = int(rel["trials"]), int(rel["raster_index"]), np.asarray(rel["sigma"] / mV)
    tin, Iin = np.asarray(rel["input_t"] / ms), np.asarray(rel["input_I"] / nA)
    lo, hi = Iin.min(), Iin.max()
    I_mean = float(p["rel.I_mean"] / nA)
    for ax, cond, y, span in (
            (axes[0, 0], "constant", np.full_like(Iin, I_mean), f"{I_mean:.2f} nA"),
            (axes[0, 1], "fluctuating", Iin, f"{lo:.2f}–{hi:.2f} nA, frozen")):
        trials_with_input(ax, rel[cond]["raster"], K, tin, y, (lo, hi), f"input current ({span})",
                          skip=float(p["t_skip"] / ms))
        ax.set(ylabel="trial (one neuron, same input each trial)",
               title=f"3  {cond} input, escape σ = {sig[k_show]:g} mV: R_corr = "
                     f"{rel[cond]['schreiber'][k_show]:.2f}")
    ax, x = axes[0, 2], np.where(sig < 1e-6, sig[sig > 1e-6].min() / 2.5, sig)
    chance, deterministic = {}, []
    for cond, c, ms_ in (("constant", "C0", 10), ("fluctuating", "C3", 6)):
        ax.errorbar(x[1:], rel[cond]["schreiber_group_mean"][1:], fmt="o-", color=c, capsize=2,
                    yerr=rel[cond]["schreiber_group_sd"][1:], label=f"{cond} input")
        deterministic += ax.plot(x[0], rel[cond]["schreiber_group_mean"][0], "s", color=c,
                                 mfc="none", ms=ms_)
        chance[cond] = poisson_chance(rel[cond]["rate"], p["rel.sigma_g"])[1:]
    chance_lines(ax, x[1:], chance, {"constant": "C0", "fluctuating": "C3"},
                 "Poisson trains at the measured rate", "Poisson")
    ax.legend([tuple(deterministic)] + ax.get_legend_handles_labels()[0],
              ["deterministic (σ → 0), each input"] + ax.get_legend_handles_labels()[1],
              handler_map={tuple: HandlerTuple(ndivide=None)}, fontsize=8, loc="upper center",
              ncols=2)
    ax.set_xscale("log")
    ax.set_xticks(x, ["0"] + [f"{v:g}" for v in sig[1:]])
    ax.minorticks_off()
    ax.set_yticks(np.linspace(0, 1, 6))  # the band above 1 holds the legend
    decorate(ax, None, ylim=(0, 1.3), xlabel="escape-noise σ (mV)  (0: deterministic)",
             ylabel=f"reliability R_corr (σ_g = {float(p['rel.sigma_g'] / ms):g} ms)",
             title=f"3  Reliability ({K} trials; mean ± s.d. over {int(p['groups'])} groups)")
    for kind, c in (("escape", "C0"), ("diffusive", "C3")):
        d, lab = sr[kind], "escape noise (σ)" if kind == "escape" else "diffusive noise (σ_v)"
        xs, b = np.asarray(d["sigma"] / mV), d["best_index"]
        axes[1, 0].errorbar(xs, d["snr_mean"], yerr=d["snr_sd"], fmt="o-", color=c, capsize=2,
                            label=lab + f": best {float(d['best_sigma'] / mV):.2g} mV")
        axes[1, 0].plot(xs[b], d["snr_mean"][b], "*", color=c, ms=14)
        axes[1, 1].errorbar(xs, d["vs_mean"], yerr=d["vs_sd"], fmt="o-", color=c, capsize=2,
                            label=lab)
        axes[1, 2].plot(xs, np.asarray(d["rate"] / Hz), "o-", color=c, label=lab)
    axes[1, 0].axhline(1, color="0.5", ls=":", lw=1)
    noise = "noise: escape σ or diffusive σ_v (mV)"
    decorate(axes[1, 0], xscale="log", yscale="log", xlabel=noise,
             ylabel=f"spectral SNR at {float(sr['frequency'] / Hz):g} Hz (peak / neighbours)",
             title="4  Stochastic resonance, subthreshold sinusoid")
    decorate(axes[1, 1], xscale="log", xlabel=noise, ylabel="vector strength",
             title="4  Phase locking to the sinusoid")
    mem = NOISY_MEMBRANE_PARAMETERS.defaults
    peak = float((mem["E_L"] + mem["R_m"] * (p["sr.I_mean"] + p["sr.I_amp"])) / mV)
    axes[1, 2].set_yscale("symlog", linthresh=0.1, linscale=0.5)  # 0 Hz stays on the axis
    decorate(axes[1, 2], xscale="log", ylim=(0, None), xlabel=noise,
             ylabel="firing rate (Hz; log above 0.1 Hz)",
             title=f"4  Rate (drive peaks at μ = {peak:g} mV".replace("-", "−")
                   + f", below θ = {float(mem['v_th'] / mV):g} mV)".replace("-", "−"))
    fig.suptitle(f"Noise and spike timing: escape-noise ({p['noise']}) and diffusive-noise LIF; "
                 + run_label(data, f"{float(p['duration'] / second):g} s per trial")
                 + "\nσ: width of the escape-noise hazard; σ_v: s.d. of the diffusive noise's "
                   "free membrane potential", fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return fig


def results(data):
    """The claims with what the stored run measured (README, Results)."""
    from neuromodels.results import sig, table

    p, rel, sr = data["parameters"], data["reliability"], data["sr"]
    pairs = zip(np.asarray(rel["sigma"] / mV), rel["constant"]["schreiber"],
                rel["fluctuating"]["schreiber"])
    best = [(k, float(sr[k]["best_sigma"] / mV), sr[k]["snr_mean"][int(sr[k]["best_index"])],
             sr[k]["snr_sd"][int(sr[k]["best_index"])], bool(sr[k]["interior_optimum"]))
            for k in ("escape", "diffusive")]
    return table(["claim", "measured"], [
        [f"reliability (Schreiber, {int(rel['trials'])} trials, "
         f"σ_g = {float(p['rel.sigma_g'] / ms):g} ms), constant vs frozen fluctuating input",
         "; ".join(f"σ = {x:g} mV: {c:.2f} vs {f:.2f}" for x, c, f in pairs if x > 1e-6)],
        [f"stochastic resonance ({float(sr['frequency'] / Hz):g} Hz subthreshold sinusoid, "
         "spectral SNR)",
         "; ".join(f"{'interior' if inner else 'edge'} optimum: "
                   f"{k} {'σ' if k == 'escape' else 'σ_v'} = {x:g} mV (SNR {sig(m)} ± {sig(sd, 2)})"
                   for k, x, m, sd, inner in best)]])


STUDY = Study(
    name="noise-timing",
    title="Noise and spike timing: reliability for frozen vs constant input; stochastic resonance",
    simulate=simulate, plot=plot, parameters=PARAMETERS, quick=QUICK, results=results,
    devices=("runtime", "cpp_standalone"), default_device="cpp_standalone",
    reference="Ma, Yan & Tang (2023) Patterns 4:100831; Mainen & Sejnowski (1995) Science "
              "268:1503; Schreiber et al. (2003) Neurocomputing 52:925; Longtin (1993) J Stat "
              "Phys 70:309",
)
