"""Plasticity rules on imposed spike trains, each checked against theory and NEST 3.

A: pair STDP window (Bi & Poo 1998; all/nearest interactions, additive/multiplicative
bounds).  B, C: triplet STDP (Pfister & Gerstner 2006, minimal fits) under the protocol of
Sjöström et al. (2001): 15 pairings, lag +10 and -10 ms, at each pairing frequency.
D: reward-modulated STDP (Izhikevich 2007) at single synapses.  E: Tsodyks-Markram
short-term plasticity (Tsodyks et al. 1998): release per spike vs rate.  F: associative
plasticity between synapses (APB).  G: the same Poisson trains through NEST 3's models.
Lines are each rule's expectation (:mod:`neuromodels.theory`); all experiments share one
program (:mod:`neuromodels.networks.rule_checks`).  ``neuromodels run plasticity-rules
[--quick]``.  The networks built from these rules: ``song2000``, ``distal-reward``.
"""
import numpy as np
from brian2 import Hz, Network, ms, second

from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.networks import rule_checks
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per
from neuromodels.study import Study
from neuromodels.synapses import stdp
from neuromodels.theory import stdp as theory

PARAMETERS = ParameterSet(
    positive("dt", 0.1 * ms, "time step"),
    positive("frequencies", np.array([0.1, 1, 5, 10, 20, 30, 40, 50]) * Hz,
             "pairing frequencies"),
    positive("tm_duration", 5 * second, "regular trains for the Tsodyks-Markram steady state"),
    positive("trains_duration", 10 * second, "random trains driven through ours and NEST"),
    Parameter("apb_beta", 0.2, "APB strength of panel F", low=0.0),
    Parameter("nest", True, "compare with NEST where it is installed"),
    numpy_target_parameter(),
    steps_per("dt", "tm_duration", at_least=100, what="run"),
    steps_per("dt", "trains_duration", at_least=100, what="run"),
    steps_per("dt", 20 * ms, what="STDP time constant"),
)
QUICK = {"dt": 0.5 * ms, "frequencies": np.array([5, 20, 50]) * Hz, "tm_duration": 3 * second,
         "trains_duration": 3 * second, "numpy_target": True}
WINDOW = dict(A_plus=0.01, A_minus=0.0105, tau_plus=0.02, tau_minus=0.02, w0=0.5)  # pair_stdp


def simulate(p, ctx):
    with brian2_settings(dt=p["dt"], target="numpy" if p["numpy_target"] else None):
        checks = rule_checks.RuleChecks(p, ctx.rng)
        ctx.progress(f"imposed-spike experiments ({float(checks.duration):g} s)")
        ctx.run(Network(*checks.objects), checks.duration)
        data = checks.read()
    data["equations"] = {name: str(rule) for name, rule in checks.rules.items()}
    return data


def results(data):
    """Each validation's measured agreement, and the NEST comparison (README, Results)."""
    from neuromodels.results import sig, table

    w, t, tm, a, r = (data[k] for k in ("window", "triplet", "tm", "apb", "reward_single"))

    def err(pairs):
        return sig(max(float(np.max(np.abs(np.asarray(x) - y))) for x, y in pairs))

    window = err((w[k], theory.pair_window(w["lag"], **WINDOW, bounds=k.split("_")[1]))
                 for k in w if k != "lag")
    boost = err((a[k], a["expected" + k[4:]]) for k in a if k[:5] == "beta_")
    rows = [["pair STDP window, 4 variants, lag -100 to 100 ms", "analytic window",
             f"max abs error {window} w_max"],
            ["triplet STDP, Sjöström protocol, 4 minimal fits", "the rule's expectation",
             "max abs error " + err((t[k], t["expected"][k]) for k in t["expected"]) + " w_max"],
            ["distal reward, single synapses", "expected Δw (rewarded / reversed)", " / ".join(
                f"{sig(x - 0.5)} vs {sig(e)}"
                for x, e in zip(r["w"][[0, 2], -1], r["expected"][[0, 2]]))],
            *[[f"Tsodyks-Markram, {k}", "u∞ x∞, regular trains 1-100 Hz", "max rel. error "
               + err([(tm[k]["last"] / tm[k]["steady"], 1.0)])] for k in ("depressing",
                                                                           "facilitating")],
            ["APB", "β = 0 equals pair STDP; the boost's equation", "β = 0 vs plain: max abs "
             f"difference {sig(float(a['difference_at_zero']))}; boost: max abs error {boost}"]]
    nest = [[k, v["nest_model"], sig(float(v["max_difference"])),
             sig(float(v["max_difference"]) / float(v["scale"]))]
            for k, v in data["nest"].items() if "max_difference" in v]
    header = ["rule", "NEST 3 model", "max abs difference", "relative to NEST's range"]
    return (table(["validation", "reference", "measured"], rows) + "\n"
            + (table(header, nest) if nest else "NEST not run\n"))


def plot(data):
    import matplotlib.pyplot as plt

    from neuromodels.results import sig

    fig = plt.figure(figsize=(19, 9), layout="constrained")
    ax = fig.subplot_mosaic("ABCD;EFGG")
    w, lag = data["window"], np.asarray(data["window"]["lag"]) * 1e3
    for k, key in enumerate(k for k in w if k != "lag"):
        ax["A"].plot(lag, w[key], "o^sv"[k], ms=3, mfc="none", label=key.replace("_", ", "))
    for b in stdp.BOUNDS:
        ax["A"].plot(lag, theory.pair_window(lag / 1e3, **WINDOW, bounds=b), "k-", lw=0.7,
                     label="analytic" if b == stdp.BOUNDS[0] else None)
    ax["A"].set(xlabel="t_post − t_pre (ms)", ylabel="weight change (w_max)",
                title="A  pair STDP window")
    t, f = data["triplet"], np.asarray(data["triplet"]["frequency"])
    for panel, fits in (("B", "visual_cortex"), ("C", "hippocampal")):
        for c, inter in enumerate(stdp.INTERACTIONS):
            for col, (dt, marker) in enumerate(((10, "o"), (-10, "s"))):
                ax[panel].plot(f, t[f"{fits}_{inter}"][:, col], marker, color=f"C{c}",
                               mfc="none", label=f"{inter}, {dt:+d} ms")
                ax[panel].plot(f, t["expected"][f"{fits}_{inter}"][:, col], "-:"[col],
                               color=f"C{c}", lw=0.8)
        ax[panel].plot([], [], "k-", lw=0.8, label="expected")
        ax[panel].axhline(0, color="k", lw=0.5)
        ticks = [x for x in f if x not in (30, 40)]  # 20-50 Hz labels would touch
        ax[panel].set_xscale("log")
        ax[panel].set_xticks(ticks, [f"{x:g}" for x in ticks])
        ax[panel].set_xticks([], minor=True)
        ax[panel].set(xlabel="pairing frequency (Hz)",
                      ylabel="weight change, 15 pairings (w_max)",
                      title=f"{panel}  triplet STDP, {fits.replace('_', ' ')} fit")
    r = data["reward_single"]
    for k, label in enumerate(("pre → post, rewarded", "pre → post, no reward",
                               "post → pre, rewarded")):
        ax["D"].plot(r["t"], r["w"][k] - 0.5, color=f"C{k}", label=label)
        ax["D"].axhline(r["expected"][k], color=f"C{k}", ls=":", lw=1)
    ax["D"].plot([], [], "k:", lw=1, label="expected")
    ax["D"].set(xlabel="time (s)", ylabel="weight change (w_max)",
                xlim=(0, rule_checks.PAIRS[-1] + 2), title="D  reward-modulated STDP")
    ax["D"].legend(fontsize=7, loc="lower left")
    tm = data["tm"]
    for k, kind in enumerate(("depressing", "facilitating")):
        ax["E"].plot(tm["rate"], tm[kind]["last"], "os"[k], color=f"C{k}", mfc="none",
                     label=f"{kind}, simulated")
        ax["E"].plot(tm["rate"], tm[kind]["steady"], "-", color=f"C{k}", lw=0.8,
                     label=f"{kind}, u∞ x∞")
    ax["E"].set(xscale="log", xlabel="input rate (Hz)", ylabel="release per spike u x",
                title="E  Tsodyks-Markram steady state")
    a = data["apb"]
    for k, beta in enumerate(("0", f"{float(a['beta']):g}")):
        ax["F"].plot(a["k"], a[f"beta_{beta}"], "os"[k], color=f"C{k}", mfc="none",
                     label=f"β = {beta}")
        ax["F"].plot(a["k"], a[f"expected_{beta}"], "-", color=f"C{k}", lw=0.8)
    ax["F"].plot([], [], "k-", lw=0.8, label="expected")
    ax["F"].set(xlabel="synapses active together", ylabel="weight change (w_max)",
                title=f"F  APB (β = 0 vs plain STDP: {sig(float(a['difference_at_zero']), 2)})")
    nest_panel(ax["G"], data["nest"])
    for key in "ABCEF":
        ax[key].legend(fontsize=7)
    fig.suptitle(f"Plasticity rules on imposed spike trains; device {data['attrs']['device']}, "
                 f"seed {data['attrs']['seed']}")
    return fig


def nest_panel(ax, nest):
    """G: each rule's largest difference from NEST relative to the range of NEST's values
    (points on a log axis; a difference of exactly 0 is drawn at 1e-17)."""
    names = [k for k in nest if "max_difference" in nest[k]]
    if not names:
        ax.text(0.5, 0.5, "NEST not run", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return
    rel = np.array([float(nest[k]["max_difference"]) / float(nest[k]["scale"]) for k in names])
    y = np.arange(len(names))
    ax.plot(np.maximum(rel, 1e-17), y, "o", color="C4", label="max |ours − NEST| / NEST's range")
    if np.any(rel == 0):
        ax.plot(np.full(np.sum(rel == 0), 1e-17), y[rel == 0], "o", color="C4", mfc="w",
                label="identical (0)")
    ax.set_yticks(y, [f"{k} ({nest[k]['nest_model']})" for k in names], fontsize=8)
    ax.set(xscale="log", xlim=(3e-18, 1), ylim=(len(names) - 0.5, -0.5),
           xlabel="largest difference relative to the range of NEST's values",
           title="G  the same trains through NEST 3")
    ax.grid(axis="x", lw=0.3)
    ax.legend(fontsize=8, loc="lower right")


STUDY = Study(name="plasticity-rules", simulate=simulate, plot=plot, results=results,
              parameters=PARAMETERS, quick=QUICK, devices=("runtime", "cpp_standalone"),
              title="STDP (pair, triplet), Tsodyks-Markram, reward STDP, APB on imposed trains; "
                    "checked against theory and NEST",
              reference="Pfister & Gerstner 2006; Tsodyks et al. 1998; Izhikevich 2007")
