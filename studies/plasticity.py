"""Associative synaptic plasticity: the STDP family, short-term plasticity, distal reward, APB.

A: pair STDP window vs the analytic window.  B, C: triplet STDP, Sjostrom et al. (2001) protocol (lag +-10 ms,
15 pairings), minimal fits of Pfister & Gerstner (2006) vs the rule's expectation.  D: Song, Miller & Abbott
(2000): 1000 Poisson inputs, additive STDP.  E, F: Izhikevich (2007) distal reward: single synapses, then one
rewarded synapse in a network.  G: Tsodyks-Markram release per spike vs rate.  H: associative plasticity
between synapses (APB).  I: the same spike trains through NEST 3 (where installed).  ``neuromodels run
plasticity [--quick]``: three programs (imposed spikes on a 1 ms grid; Song; the reward networks), so that
none runs for another's duration.  Sizes: Song, 10 independent neurons (error bars) for 100 s (Brian2's
STDP.py run, bimodal); 3 reward networks (seeds; one program) for 1800 s: at 600 s a network had had 8 rewards,
its rewarded synapse not above the others; at 1800 s 92, at w_max (Izhikevich: 1 h).  Quick: window 100 ms.
"""
import numpy as np
from brian2 import Hz, Network, SpikeGeneratorGroup, StateMonitor, ms, second

from neuromodels.devices import brian2_settings
from neuromodels.networks import distal_reward, imposed, song2000
from neuromodels.parameters import Parameter, ParameterSet, positive, unprefixed
from neuromodels.reference import nest_synapses
from neuromodels.study import Study
from neuromodels.synapses import apb, reward, short_term, stdp, triplet
from neuromodels.theory import short_term as tm_theory, stdp as theory

PARAMETERS = ParameterSet(
    positive("dt", 0.1 * ms, "time step"),
    Parameter("frequencies", np.array([0.1, 1, 5, 10, 20, 30, 40, 50]) * Hz, "pairing frequencies"),
    positive("song_duration", 100 * second, "Song et al. run (Brian2's examples/synapses/STDP.py: 100 s)"),
    Parameter("song_neurons", 10, "independent Song neurons (1000 inputs each)", low=1, integer=True),
    positive("network_duration", 1800 * second, "distal-reward network run"),
    Parameter("networks", 3, "independent distal-reward networks", low=1, integer=True),
    positive("tm_duration", 5 * second, "regular trains for the Tsodyks-Markram steady state"),
    positive("trains_duration", 10 * second, "random trains driven through ours and NEST"),
    Parameter("apb_beta", 0.2, "APB strength of panel H", low=0.0),
    Parameter("nest", True, "compare with NEST where it is installed"),
    Parameter("numpy_target", False, "on runtime, Brian2's numpy target: nothing to compile (quick: cheap when cold)"),
    distal_reward.PARAMETERS.prefixed("reward."),
)
QUICK = {"dt": 0.5 * ms, "frequencies": np.array([5, 20, 50]) * Hz, "song_duration": 5 * second,
         "song_neurons": 2, "network_duration": 20 * second, "networks": 1, "tm_duration": 3 * second,
         "trains_duration": 3 * second, "reward.n": 30, "reward.k_in": 5, "reward.window": 100 * ms, "numpy_target": True}
GRID = 1 * ms
FITS = [key for key in triplet.FITS if key[2] == "minimal"]
RATES = np.array([1, 2, 5, 10, 20, 50, 100]) * Hz
PAIRS = np.arange(1.0, 10.0, 2.0)  # panel E: pre spikes; post 10 ms later; rewards 1 s after that
REWARDED = [(PAIRS, PAIRS + 0.01, PAIRS + 1.01), (PAIRS, PAIRS + 0.01, []), (PAIRS + 0.01, PAIRS, PAIRS + 1.01)]
DOPAMINE = np.array([0.7, 1.3, 2.2, 2.9, 4.1, 5.5, 6.0, 7.7, 8.8])  # panel I, s
REWARD = reward.reward_stdp(A_plus=0.05, A_minus=0.075)
RULES = {**{f"stdp_{i}_{b}": stdp.pair_stdp(interaction=i, bounds=b) for i in stdp.INTERACTIONS for b in stdp.BOUNDS},
         **{"triplet_" + "_".join(f[:2]): triplet.triplet_stdp(data=f[0], interaction=f[1]) for f in FITS},
         "triplet_visual_cortex_all_full": triplet.triplet_stdp(fit="full"),
         "tm_depressing": short_term.tsodyks_markram(), "tm_facilitating": short_term.tsodyks_markram(facilitating=True),
         "reward_stdp": REWARD, "apb_0": apb.apb_stdp()}
NEST = [k for k in RULES if k.startswith(("stdp_", "tm_", "reward", "triplet_visual_cortex_all_full"))]


def imposed_experiments(p, ctx):
    """Panels A-C, E, G-I on one stage; returns the Brian2 objects and a function that reads the results."""
    rules = dict(RULES, apb_beta=apb.apb_stdp(beta=p["apb_beta"]))
    stage = imposed.Stage(apb.with_coactivity(reward.with_dopamine(imposed.post_neuron())), name="plasticity")
    lags = np.setdiff1d(np.arange(-100, 101, 2), [0]) * 1e-3
    protocols = [tuple(k * float(p["dt"]) for k in imposed.grid_steps(theory.pairing_protocol(15, f, lag), p["dt"]))
                 for f in p["frequencies"] for lag in (0.01, -0.01)]  # on the grid, as simulated (30 Hz is not)
    trains = [np.arange(0.1, float(p["tm_duration"]), float(1 / r)) for r in RATES]
    ks = np.arange(1, 9)  # panel H: k synapses onto one neuron fire at 0.5 s, the neuron at 0.505 s
    pre = imposed.poisson_trains(ctx.rng, 2, 15 * Hz, p["trains_duration"], dt=GRID)
    post = imposed.poisson_trains(ctx.rng, 2, 15 * Hz, p["trains_duration"], dt=GRID, avoid=pre)
    runs = {name: {} for name in rules}  # rule -> experiment -> (i, j)
    for name in rules:
        if name.startswith("stdp_"):
            runs[name]["window"] = stage.add([[0.2]] * lags.size, [[0.2 + x] for x in lags])
        if name.startswith("triplet_") and not name.endswith("full"):
            runs[name]["pairing"] = stage.add(*zip(*protocols))
        if name.startswith("tm_"):
            runs[name]["regular"] = stage.add(trains, [[]] * len(trains))
        if name == "reward_stdp":
            runs[name]["single"] = stage.add(*zip(*[(a, b) for a, b, _ in REWARDED]))
        if name.startswith("apb"):
            runs[name]["coactive"] = stage.add([[0.5]] * ks.sum(), [[0.505]] * ks.size, np.repeat(np.arange(ks.size), ks))
        if name in NEST or name in ("apb_0", "stdp_all_additive"):
            runs[name]["trains"] = stage.add(pre, post)
    objects = stage.build()
    syn = {name: stage.connect(rules[name], *map(np.concatenate, zip(*runs[name].values())), name=name)
           for name in rules}
    offset = {name: np.cumsum([0] + [r[0].size for r in runs[name].values()])[:-1] for name in rules}
    part = {name: dict(zip(runs[name], offset[name])) for name in rules}  # experiment -> first synapse
    first = {name: part[name]["regular" if name.startswith("tm_") else "trains"] for name in NEST}
    monitors = {name: stage.monitor(syn[name], "r" if name.startswith("tm_") else "w", dt=GRID,
                                    record=np.arange(first[name], len(syn[name]))) for name in NEST}
    recorded = {name: np.concatenate([r[0] for r in runs[name].values()])[first[name]:] for name in NEST}
    traces = StateMonitor(syn["reward_stdp"], ["w", "c"], record=[0, 1, 2], dt=10 * ms)
    dopamine = SpikeGeneratorGroup(2, np.repeat([0, 1], [PAIRS.size, DOPAMINE.size]),
                                   np.concatenate([PAIRS + 1.01, DOPAMINE]) * second)
    rewarded = runs["reward_stdp"]["single"][1][[0, 2]], runs["reward_stdp"]["trains"][1]
    release = reward.dopamine_release().connect(dopamine, stage.post, np.repeat([0, 1], [2, 2]), np.concatenate(rewarded))

    def read():
        w = {name: np.asarray(syn[name].w[:]) - 0.5 for name in rules if "w" in syn[name].variables and name[:2] != "tm"}
        select = lambda name, exp: w[name][part[name][exp]:part[name][exp] + runs[name][exp][0].size]
        data = {"window": {"lag": lags * second, **{k[5:]: select(k, "window") for k in rules if k.startswith("stdp_")}},
                "triplet": {"frequency": p["frequencies"], "expected": {}}, "tm": {"rate": RATES},
                "reward_single": {"t": traces.t[:], "w": traces.w[:], "c": traces.c[:], "expected": np.array(
                    [theory.reward_weight_change(a, b, d, tau_n=200 * ms, **{k: REWARD.parameters[k].default for k in
                     ("A_plus", "A_minus", "tau_plus", "tau_minus", "tau_c")}) for a, b, d in REWARDED])},
                "apb": {"k": ks, "beta": p["apb_beta"],
                        "difference_at_zero": np.max(np.abs(select("stdp_all_additive", "trains") - select("apb_0", "trains")))},
                "nest": {}}
        for f in FITS:
            key = "_".join(f[:2])
            data["triplet"][key] = np.reshape(select("triplet_" + key, "pairing"), (-1, 2))
            data["triplet"]["expected"][key] = np.reshape([theory.triplet_weight_change(
                a, b, interaction=f[1], **triplet.FITS[f]) for a, b in protocols], (-1, 2))
        for kind in ("depressing", "facilitating"):
            v = short_term.FACILITATING if kind == "facilitating" else short_term.DEPRESSING
            ours = imposed.values_at(monitors["tm_" + kind], stage.steps(recorded["tm_" + kind]))[:len(trains)]
            exact = [tm_theory.release_per_spike(t, v["U"], v["tau_rec"], v.get("tau_fac")) for t in trains]
            data["tm"][kind] = {"last": np.array([r[-1] for r in ours]), "release_20Hz": ours[4],
                                "steady": tm_theory.steady_state(RATES, v["U"], v["tau_rec"], v.get("tau_fac"))[2],
                                "recursion_error": max(np.max(np.abs(a / b - 1)) for a, b in zip(ours, exact))}
        onto = np.repeat(np.arange(ks.size), ks)
        for name, beta in (("apb_0", 0.0), ("apb_beta", p["apb_beta"])):
            dw = select(name, "coactive")
            data["apb"][f"beta_{beta:g}"] = np.array([dw[onto == n].mean() for n in range(ks.size)])
            data["apb"][f"expected_{beta:g}"] = 0.01 * np.exp(-0.25) * (1 + beta * (ks - 1) * np.exp(-0.25))
        why = nest_synapses.available() if p["nest"] else "not asked for (nest = false)"
        for name in NEST:
            ours = imposed.values_at(monitors[name], stage.steps(recorded[name]))[-2:]
            data["nest"][name] = {"ours": ours[0], **({"skipped": why} if why else nest_synapses.compare(
                rules[name], pre, post, ours, dopamine=DOPAMINE, resolution=float(p["dt"] / ms)))}
        return data

    return objects + list(syn.values()) + list(monitors.values()) + [traces, dopamine, release], read


def simulate(p, ctx):
    with brian2_settings(dt=p["dt"], target="numpy" if p["numpy_target"] else None):
        objects, read = imposed_experiments(p, ctx)
        longest = max(15 / p["frequencies"].min(), 11 * second, p["tm_duration"], p["trains_duration"])
        ctx.progress(f"imposed-spike experiments ({float(longest):g} s)")
        ctx.run(Network(*objects), longest + 0.2 * second)
        data = read()
        ctx.session.new_build()
        song = song2000.build(p["song_neurons"], p["song_duration"], ctx.rng)
        ctx.progress(f"Song et al.: {p['song_neurons']} neurons, {float(p['song_duration']):g} s")
        ctx.run(Network(*song.objects), p["song_duration"])
        data["song"] = song.results(p["song_duration"])
        ctx.session.new_build()
        net = distal_reward.build(unprefixed(p, "reward."), ctx.rng, copies=p["networks"])
        chosen = StateMonitor(net.plastic, "w", record=net.chosen, dt=1 * second)
        ctx.progress(f"distal reward: {p['networks']} networks, {float(p['network_duration']):g} s")
        ctx.run(Network(chosen, *net.objects), p["network_duration"])
        data["network"] = net.results(chosen, p["network_duration"])
    data["equations"] = {name: str(rule) for name, rule in RULES.items()}
    return data


def results(data):
    """Each validation's measured agreement, and the NEST comparison (README, Results)."""
    from neuromodels.results import mean_sd, sig, table

    w, t, tm, a, r, n = (data[k] for k in ("window", "triplet", "tm", "apb", "reward_single", "network"))
    err = lambda pairs: sig(max(float(np.max(np.abs(np.asarray(x) - y))) for x, y in pairs))
    low, high = (100 * f for f in song2000.bimodality(data["song"]["w"]))
    chosen, others = np.asarray(n["w"])[:, 0], np.asarray(n["w"])[:, 1:]
    rows = [["pair STDP window, 4 variants, lag -100 to 100 ms", "analytic window", "max abs error " + err(
                (w[k], theory.pair_window(w["lag"], 0.01, 0.0105, 0.02, 0.02, w0=0.5, bounds=k.split("_")[1]))
                for k in w if k != "lag") + " w_max"],
            ["triplet STDP, Sjöström protocol, 4 minimal fits", "the rule's expectation",
             "max abs error " + err((t[k], t["expected"][k]) for k in t["expected"]) + " w_max"],
            ["Song et al. 2000, additive STDP, 1000 inputs", "Brian2's example: 28 % < 0.1, 17.6 % > 0.9 w_max",
             f"{mean_sd(low, digits=1)} % < 0.1, {mean_sd(high, digits=1)} % > 0.9 w_max (over {low.size} neurons)"],
            ["distal reward, single synapses", "expected Δw (rewarded / reversed)", " / ".join(
                f"{sig(x - 0.5)} vs {sig(e)}" for x, e in zip(r["w"][[0, 2], -1], r["expected"][[0, 2]]))],
            ["distal reward network", "rewarded synapse vs the others (w_max = 4)", f"{mean_sd(chosen)} vs "
             f"{mean_sd(others.mean(axis=1), each=None)} (mean; {mean_sd(100 * (others >= chosen[:, None]).mean(axis=1), digits=1, each=None)}"
             f" % ≥ it) over {chosen.size} networks; rewards {' / '.join(map(str, n['rewards']))}"],
            *[[f"Tsodyks-Markram, {k}", "u∞ x∞, regular trains 1-100 Hz", "max rel. error " + err(
                [(tm[k]["last"] / tm[k]["steady"], 1.0)])] for k in ("depressing", "facilitating")],
            ["APB", "β = 0 equals pair STDP; the boost's equation", "β = 0 vs plain: max abs difference "
             + sig(float(a["difference_at_zero"])) + "; boost: max abs error " + err((a[k], a["expected" + k[4:]]) for k in a if k[:5] == "beta_")]]
    nest = [[k, v["nest_model"], sig(float(v["max_difference"])), sig(float(v["max_difference"]) / float(v["scale"]))]
            for k, v in data["nest"].items() if "max_difference" in v]
    return table(["validation", "reference", "measured"], rows) + "\n" + (table(
        ["rule", "NEST 3 model", "max abs difference", "relative to NEST's range"], nest) if nest else "NEST not run\n")


def plot(data):
    import matplotlib.pyplot as plt

    fig, grid = plt.subplots(3, 3, figsize=(16, 13), layout="tight")
    ax, w, lag = grid.ravel(), data["window"], np.asarray(data["window"]["lag"]) * 1e3
    for k, key in enumerate(k for k in w if k != "lag"):
        ax[0].plot(lag, w[key], "o^sv"[k], ms=3, mfc="none", label=key.replace("_", ", "))
    ax[0].plot(lag, np.transpose([theory.pair_window(lag / 1e3, 0.01, 0.0105, 0.02, 0.02, w0=0.5, bounds=b)
                                  for b in stdp.BOUNDS]), "k-", lw=0.7)
    ax[0].set(xlabel="t_post - t_pre (ms)", ylabel="weight change (w_max)", title="A  pair STDP window (lines: analytic)")
    t, f = data["triplet"], np.asarray(data["triplet"]["frequency"])
    for a, data_set in zip(ax[1:3], ("visual_cortex", "hippocampal")):
        for c, inter in enumerate(stdp.INTERACTIONS):
            key = f"{data_set}_{inter}"
            for col, (lag, marker) in enumerate(((10, "o"), (-10, "s"))):
                a.plot(f, t[key][:, col], marker, color=f"C{c}", mfc="none", label=f"{inter}, {lag:+d} ms")
                a.plot(f, t["expected"][key][:, col], "-" if lag > 0 else "--", color=f"C{c}", lw=0.8)
        a.axhline(0, color="k", lw=0.5)
        a.set(xscale="log", xlabel="pairing frequency (Hz)", ylabel="weight change after 15 pairings (w_max)",
              title=f"{'BC'[data_set == 'hippocampal']}  triplet, {data_set.replace('_', ' ')} (lines: expected)")
    (low, high), bins = (100 * f for f in song2000.bimodality(data["song"]["w"])), np.linspace(0, 1, 21)
    counts = song2000.histogram(data["song"]["w"])
    ax[3].bar(bins[:-1], counts.mean(axis=0), 0.05, align="edge", color="C2", yerr=counts.std(axis=0), capsize=2,
              label=f"< 0.1: {low.mean():.1f} +- {low.std(ddof=1):.1f} %\n> 0.9: {high.mean():.1f} +- {high.std(ddof=1):.1f} %")
    ax[3].set(xlabel="w / w_max", ylabel="synapses per neuron (mean +- s.d.)",
              title=f"D  Song et al. 2000 ({low.size} neurons, {float(data['parameters']['song_duration']):g} s)")
    r = data["reward_single"]
    for k, label in enumerate(("rewarded", "not rewarded", "reversed, rewarded")):
        ax[4].plot(r["t"], r["w"][k] - 0.5, color=f"C{k}", label=label)
        ax[4].axhline(r["expected"][k], color=f"C{k}", ls=":", lw=1)
    ax[4].set(xlabel="time (s)", ylabel="weight change (w_max)", title="E  distal reward, single synapses (dotted: expected)")
    n, t = data["network"], np.asarray(data["network"]["t"])
    (m, sd), others = (f(np.asarray(n["chosen"]), axis=0) for f in (np.mean, np.std)), np.asarray(n["w"])[:, 1:]
    ax[5].plot(t, m, "C3", label=f"rewarded synapse: mean +- s.d. ({len(n['rewards'])} networks)")
    ax[5].fill_between(t, m - sd, m + sd, color="C3", alpha=0.3)
    ax[5].axhspan(others.mean() - others.std(), others.mean() + others.std(), color="0.8", label=f"the others at the end: mean +- s.d."
                  f"\n({100 * np.mean(others >= 0.99 * float(data['parameters']['reward.w_max'])):.0f} % at w_max)")
    ax[5].set(xlabel="time (s)", ylabel="weight (w_max = 4)", title=f"F  reward network (rewards {'/'.join(map(str, n['rewards']))})")
    tm = data["tm"]
    for k, kind in enumerate(("depressing", "facilitating")):
        ax[6].plot(tm["rate"], tm[kind]["last"], "os"[k], color=f"C{k}", mfc="none", label=f"{kind}, simulated")
        ax[6].plot(tm["rate"], tm[kind]["steady"], "-", color=f"C{k}", lw=0.8, label=f"{kind}, u_inf x_inf")
    ax[6].set(xscale="log", xlabel="input rate (Hz)", ylabel="release per spike", title="G  Tsodyks-Markram steady state")
    a = data["apb"]
    for k, beta in enumerate(("0", f"{float(a['beta']):g}")):
        ax[7].plot(a["k"], a[f"beta_{beta}"], "os"[k], color=f"C{k}", mfc="none", label=f"beta = {beta}")
        ax[7].plot(a["k"], a[f"expected_{beta}"], "-", color=f"C{k}", lw=0.8)
    ax[7].set(xlabel="synapses active together", ylabel="weight change (w_max)",
              title=f"H  APB (lines: expected; beta = 0 vs plain: {float(a['difference_at_zero']):.1e})")
    names = [k for k in data["nest"] if "max_difference" in data["nest"][k]]
    if names:
        rel = [max(float(data["nest"][k]["max_difference"]) / float(data["nest"][k]["scale"]), 1e-17) for k in names]
        ax[8].barh(range(len(names)), rel, color="C4")
        ax[8].set_yticks(range(len(names)), [f"{k} ({data['nest'][k]['nest_model']})" for k in names], fontsize=7)
        ax[8].set(xscale="log", xlabel="max |ours - NEST| / range of NEST's values", title="I  NEST 3, same trains")
    else:
        ax[8].text(0.5, 0.5, "NEST not run", ha="center", transform=ax[8].transAxes)
    [a.legend(fontsize=7) for a in ax[:8]]
    fig.suptitle(f"Associative synaptic plasticity; device {data['attrs']['device']}, seed {data['attrs']['seed']}")
    return fig


STUDY = Study(name="plasticity", simulate=simulate, plot=plot, results=results, parameters=PARAMETERS, quick=QUICK,
              title="STDP (pair, triplet), Tsodyks-Markram, distal reward, APB; checked against theory and NEST",
              devices=("runtime", "cpp_standalone"), reference="Song et al. 2000; Pfister & Gerstner 2006; Tsodyks et al. 1998; Izhikevich 2007")
