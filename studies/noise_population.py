"""What noise does to a population code: decoding an orientation from noisy vs deterministic
LIF neurons (after Ma, Yan & Tang 2023, Patterns 4:100831; Kanitscheider et al. 2015).

A ring of N escape-noise neurons with von Mises tuned input
(:func:`neuromodels.analysis.population.von_mises_tuning`) and evenly spaced preferred
orientations. By symmetry one simulated neuron per relative orientation (``pop.copies``
copies, each run cut into counting windows of ``pop.window``) gives every population
trial, each neuron's response from an independent simulated neuron
(:mod:`neuromodels.analysis.ring_population`). Measured vs N: the RMS error of
cross-validated maximum-likelihood decoding and the bias-corrected linear Fisher
information (with its jackknife s.e. and the Poisson value T sum f'^2/f).

    neuromodels run noise-population [--device runtime|cpp_standalone] [--quick]

The neurons start from random membrane potentials (stimulus onset at a random phase). For
deterministic neurons 1/sqrt(linear Fisher) is not a bound on the decoding error (integer
counts carry more than linear Fisher information); the figure says so. GeNN is not offered
(not checked).
"""
import numpy as np
from brian2 import Hz, Network, SpikeMonitor, amp, mV, ms, nA, second, volt

from neuromodels.analysis.population import fisher_information_poisson, von_mises_tuning
from neuromodels.analysis.ring_population import (cross_validated_ml_error, jackknife_se,
                                                  ring_indices, ring_linear_fisher)
from neuromodels.analysis.spiketrains import spike_counts
from neuromodels.neurons.noise import available_noises
from neuromodels.neurons.noisy import NOISY_MEMBRANE_PARAMETERS, escape_lif
from neuromodels.parameters import (Parameter, ParameterError, ParameterSet, at_most, below,
                                    positive, steps_per)
from neuromodels.plotting import decorate, level_labels, run_label
from neuromodels.study import Study

PARAMETERS = ParameterSet(
    positive("duration", 5 * second, "simulated time"),
    Parameter("t_skip", 0.2 * second, "initial transient left out of the analysis", low=0 * second),
    positive("dt", 0.1 * ms, "time step (escape-noise firing probability is per step)"),
    Parameter("noise", "gaussian", "escape-noise distribution", choices=available_noises()),
    Parameter("groups", 4, "cross-validation folds (and jackknife groups)", low=2, integer=True),
    Parameter("pop.orientations", 64, "relative orientations simulated (grid over 180 deg)",
              low=8, integer=True),
    Parameter("pop.copies", 6, "neurons per relative orientation and model", low=1, integer=True),
    positive("pop.window", 0.2 * second, "counting window (one trial)"),
    Parameter("pop.I_base", 0.08 * nA, "input far from the preferred orientation", low=0 * nA),
    positive("pop.I_peak", 0.12 * nA, "extra input at the preferred orientation"),
    positive("pop.kappa", 2.0, "von Mises concentration of the input tuning"),
    Parameter("pop.sigma", np.array([1.0, 4.0]) * mV, "escape-noise scales of the noisy "
              "populations (plus deterministic)", low=0 * mV, low_open=True),
    Parameter("pop.upsample", 8, "decoder candidate grid: orientations x this (Fourier "
              "interpolation of the measured tuning curve)", low=1, integer=True),
    Parameter("pop.sizes", np.array([4, 8, 16, 32, 64]), "population sizes (divide orientations)",
              low=1, integer=True),
    below("t_skip", "duration"),
    at_most("pop.window", "duration"),
    steps_per("dt", "duration", at_least=100, what="run"),
    steps_per("dt", "pop.window", what="counting window"),
    steps_per("dt", NOISY_MEMBRANE_PARAMETERS["tau_m"].default,
              what="membrane time constant tau_m ="),
)
QUICK = {"duration": 1.2 * second, "pop.orientations": 32, "pop.sizes": np.array([4, 8, 16, 32])}


def _check(p):
    span = p["duration"] - p["t_skip"]
    bad = [int(n) for n in np.atleast_1d(p["pop.sizes"]) if p["pop.orientations"] % int(n)]
    problems = ([f"'pop.sizes' {bad} must divide 'pop.orientations' ({p['pop.orientations']})"]
                if bad else [])
    if span <= 0 * second or p["pop.window"] > span:
        problems.append(f"'pop.window' ({p['pop.window']}) must fit into duration - t_skip "
                        f"({span}), and 't_skip' must be shorter than 'duration'")
    if problems:
        raise ParameterError("noise-population: " + "; ".join(problems) + ".")


def simulate(p, ctx):
    _check(p)
    mem = NOISY_MEMBRANE_PARAMETERS.defaults
    det = float(escape_lif(p["noise"], deterministic=True).parameters["sigma"].default)
    M, C, win = p["pop.orientations"], p["pop.copies"], float(p["pop.window"])
    sig, delta = np.r_[np.asarray(p["pop.sigma"]), det], np.arange(M) * np.pi / M
    I_in = von_mises_tuning(delta, 0.0, float(p["pop.I_peak"]), p["pop.kappa"],
                            float(p["pop.I_base"]))  # amp (plain SI values)
    g = escape_lif(p["noise"]).per_neuron("sigma").group(sig.size * M * C, dt=p["dt"],
                                                        name="population")
    g.sigma = np.repeat(sig, M * C) * volt  # neuron = (model, relative orientation, copy)
    g.I_ext = np.tile(np.repeat(I_in, C), sig.size) * amp
    g.v = ctx.rng.uniform(float(mem["v_reset"]), float(mem["v_th"]), len(g)) * volt
    mon = SpikeMonitor(g)
    ctx.run(Network(g, mon), p["duration"])
    ctx.progress("analysing")
    counts = spike_counts(np.asarray(mon.i[:]), np.asarray(mon.t[:]), len(g), p["t_skip"],
                          p["duration"], bin_size=p["pop.window"])  # (windows, neurons)
    K = C * counts.shape[0]  # trial = (copy, window): counts (model, orientation, trial)
    counts = counts.reshape(-1, sig.size, M, C).transpose(1, 2, 3, 0).reshape(sig.size, M, K)
    folds = np.array_split(np.arange(K), p["groups"])
    sizes = np.asarray(p["pop.sizes"], dtype=int)
    out = {"sizes": sizes, "trials": K, "delta": delta, "input": I_in * amp, "sigma": sig * volt}
    for m, c in enumerate(counts):
        tuning = c.mean(axis=1) / win
        df = (np.roll(tuning, -1) - np.roll(tuning, 1)) / (2 * np.pi / M)
        rms = np.array([cross_validated_ml_error(c, N, win, folds, p["pop.upsample"])
                        for N in sizes])
        jack = [[ring_linear_fisher(c, N, np.setdiff1d(np.arange(K), f)) for f in folds]
                for N in sizes]
        out[f"model{m}"] = {
            "tuning": tuning * Hz, "tuning_sd": c.std(axis=1, ddof=1) / win * Hz,
            "rms_error_mean": np.nanmean(rms, axis=1),
            "rms_error_sd": np.nanstd(rms, axis=1, ddof=1),
            "fisher": np.array([ring_linear_fisher(c, N) for N in sizes]),
            "fisher_se": np.array([jackknife_se(j) for j in jack]),
            "fisher_poisson": np.array([np.mean([fisher_information_poisson(
                tuning[ix] * Hz, df[ix], win * second) for ix in ring_indices(M, N)])
                for N in sizes])}
    return {"equations": {"escape": str(escape_lif(p["noise"])), "deterministic":
                          f"escape model with sigma = {det:g} V (sigma -> 0: Heaviside firing)"},
            "population": out}


def plot(data):
    import matplotlib.pyplot as plt

    p, pop = data["parameters"], data["population"]
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    deg = np.asarray(pop["delta"]) * 180 / np.pi
    deg = np.where(deg > 90, deg - 180, deg)
    order, sizes, sig = np.argsort(deg), np.asarray(pop["sizes"]), np.asarray(pop["sigma"] / mV)
    for m, label in enumerate(level_labels(sig)):
        d, c = pop[f"model{m}"], ("k" if sig[m] < 1e-6 else f"C{m}")
        axes[0].errorbar(deg[order], np.asarray(d["tuning"] / Hz)[order], capsize=1, color=c,
                         yerr=np.asarray(d["tuning_sd"] / Hz)[order], label=label)
        axes[1].errorbar(sizes, np.degrees(d["rms_error_mean"]), fmt="o-", color=c, capsize=2,
                         yerr=np.degrees(d["rms_error_sd"]))
        with np.errstate(divide="ignore", invalid="ignore"):
            axes[1].plot(sizes, np.degrees(1 / np.sqrt(d["fisher"])), ls="--", color=c)
        axes[2].errorbar(sizes, d["fisher"], yerr=d["fisher_se"], fmt="o-", color=c, capsize=2)
        axes[2].plot(sizes, d["fisher_poisson"], ls=":", color=c)
    decorate(axes[0], 8, xlabel="stimulus − preferred orientation (deg)",
             ylabel="firing rate (Hz)", title=f"Tuning curves (± s.d. over {int(pop['trials'])} "
             f"trials of {float(p['pop.window'] / ms):g} ms)")
    axes[0].get_legend().set_title("colour in every panel", prop={"size": 8})
    # colour: the noise level (legend of the tuning curves); line style: what is drawn
    for ax, styles in ((axes[1], (("o-", "ML decoder (± s.d. over folds)"),
                                  ("--", "1/√(linear Fisher info); not a bound "
                                         "when deterministic"))),
                       (axes[2], (("o-", "linear Fisher info"),
                                  (":", "if Poisson: T Σ f′²/f")))):
        for style, label in styles:
            ax.plot([], [], style, color="0.4", label=label)
        ax.legend(fontsize=8, loc="lower left" if ax is axes[1] else "upper left")
    decorate(axes[1], None, xscale="log", yscale="log", xlabel="population size N",
             ylabel="RMS decoding error (deg)",
             title=f"ML orientation decoding ({int(p['groups'])}-fold cross-validated)")
    decorate(axes[2], None, xscale="log", yscale="log", xlabel="population size N",
             ylabel="Fisher information (rad⁻²)",
             title="Linear Fisher information (± jackknife s.e.)")
    for ax in axes[1:]:
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
    fig.suptitle(f"Noise and the population code: escape-noise ({p['noise']}) LIF; "
                 + run_label(data, f"{float(p['duration'] / second):g} s"), fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def results(data):
    """The claim with what the stored run measured (README, Results)."""
    from neuromodels.results import sig, table

    pop = data["population"]
    sizes, levels = np.asarray(pop["sizes"]), np.asarray(pop["sigma"] / mV)
    errors = (np.degrees(np.asarray(pop[f"model{m}"]["rms_error_mean"]))
              for m in range(levels.size))
    return table(["claim", "measured"], [
        [f"population code, RMS ML decoding error N = {sizes[0]} → {sizes[-1]}",
         "; ".join(f"{'deterministic' if x < 1e-6 else f'σ = {x:g} mV'}: "
                   f"{sig(e[0])}° → {sig(e[-1])}°" for x, e in zip(levels, errors))]])


STUDY = Study(
    name="noise-population",
    title="Noise and the population code: decoding error and linear Fisher information vs size",
    simulate=simulate, plot=plot, parameters=PARAMETERS, quick=QUICK, results=results,
    devices=("runtime", "cpp_standalone"), default_device="cpp_standalone",
    reference="Ma, Yan & Tang (2023) Patterns 4:100831; Kanitscheider et al. (2015) PLoS Comput "
              "Biol 11:e1004218; Seung & Sompolinsky (1993) PNAS 90:10749",
)
