"""Learning methods of varying locality (Lin, Lu, Bal & Sengupta 2025, IEEE Access; arXiv
2402.01782): BPTT, e-prop, OTTT, DFA and DECOLLE on one network, feed-forward and with
explicit recurrence, and their robustness to noise and to white- and black-box attacks.

    neuromodels run locality [--quick]

Network and methods: :mod:`neuromodels.networks.locality` (BPTT: the twin's SGD in the same
training loop; the others: Brian2, numpy target).  Recorded per method, architecture and
seed: test accuracy (the temporal task's ``evidence``: read in the recall window, through
the twin) and seconds per epoch; the peak memory of the training
(:mod:`neuromodels.devices.peak_memory`); CKA of the hidden spike counts on the test set
with BPTT's (same seed, same input spikes) after every epoch; the cosine of the epoch's
change of the weights into 'hidden' with minus BPTT's gradient at the epoch's start (the
twin, on ``n_probe`` training samples).  Robustness of every trained network, through its
twin (:class:`~neuromodels.networks.locality.Probe`): Gaussian input noise, spike deletion,
FGSM, PGD (rate gradient, straight-through) and NES (queries of the loss only), accuracy
on ``n_attack`` test samples vs the strength on a grid of ``n_levels`` from 0 to the max.
"""
import gc

import numpy as np
from brian2 import mV, prefs

from neuromodels.analysis.similarity import linear_cka, linear_cka_chance, update_cosine
from neuromodels.devices import brian2_settings
from neuromodels.devices.peak_memory import peak_memory
from neuromodels.learning import Twin, train
from neuromodels.networks import locality as loc
from neuromodels.parameters import Parameter, ParameterSet, positive
from neuromodels.study import Study

TASKS = ("digits", "mnist", "evidence")
ATTACKS = ("gaussian", "deletion", "fgsm", "pgd", "nes")
PARAMETERS = ParameterSet(
    Parameter("tasks", "digits", "tasks, '+'-separated (the first is drawn)",
              choices=("digits", "mnist", "evidence", "digits+mnist", "digits+evidence",
                       "digits+mnist+evidence")),
    Parameter("n_hidden", 32, "hidden LIF neurons", low=1, integer=True),
    Parameter("T", 12, "time steps per image", low=2, integer=True),
    Parameter("epochs", 3, "training epochs", low=1, integer=True),
    Parameter("n_train", 200, "training samples per task (0: all)", low=0, integer=True),
    Parameter("n_test", 80, "test samples per task (0: all)", low=0, integer=True),
    Parameter("n_seeds", 3, "seeds", low=1, integer=True),
    Parameter("delay", 10, "evidence: steps from the last cue to the recall (at 20 and 30 "
              "BPTT stays near chance in 3 epochs of 200 trials; README)", low=0,
              integer=True),
    positive("eta", 0.1 * mV ** 2, "learning rate of the weights into 'hidden'"),
    positive("eta_out", 0.0005, "learning rate of the readout weights"),
    Parameter("n_probe", 100, "training samples of BPTT's reference gradient", low=1,
              integer=True),
    Parameter("n_attack", 30, "test samples attacked", low=1, integer=True),
    Parameter("n_levels", 3, "strengths per curve, 0 to the max", low=2, integer=True),
    positive("eps_max", 0.2, "largest L-inf radius of FGSM, PGD, NES (spike probability)"),
    positive("noise_max", 0.4, "largest Gaussian input noise s.d."),
    positive("deletion_max", 0.8, "largest spike-deletion probability", high=1),
    Parameter("pgd_steps", 2, "PGD and NES steps", low=1, integer=True),
    Parameter("nes_queries", 800, "NES loss queries per sample and step (cosine 0.93 on 64 "
              "pixels, attacks.nes_expected_cosine)", low=2, integer=True),
    positive("nes_sigma", 0.05, "NES search s.d. (spike probability)"),
)


def _run(name, p, ctx):
    levels = np.linspace(0, 1, int(p["n_levels"]))
    grids = {"gaussian": levels * p["noise_max"], "deletion": levels * p["deletion_max"],
             **{k: levels * p["eps_max"] for k in ("fgsm", "pgd", "nes")}}
    out = {"levels": grids}
    rates = dict(eta=p["eta"], eta_out=p["eta_out"])
    for arch in loc.ARCHITECTURES:
        rec = {m: {} for m in loc.METHODS}
        twin = bptt = None              # one twin and one BPTT program (one XLA build) per arch
        for seed in ctx.seeds:
            x_tr, y_tr, x_te, y_te, T, encode, window = loc.task(
                name, seed, int(p["n_train"]), int(p["n_test"]), int(p["T"]), int(p["delay"]))
            n_in, n_out = x_tr.shape[-1], int(max(y_tr.max(), y_te.max()) + 1)
            sizes = dict(T=T, **rates, **({"window": window} if window else {}))
            ref = loc.network("bptt", arch, n_in, int(p["n_hidden"]), n_out, **sizes)
            twin = twin or Twin(ref)
            bptt = bptt or loc.program("bptt", ref, len(y_tr) + len(y_te), **rates)
            k = min(int(p["n_probe"]), len(y_tr))
            rng = np.random.default_rng(seed + 7)
            probe_in = (encode or loc.rate_code)(x_tr[:k], T, rng)
            ka = min(int(p["n_attack"]), len(y_te))
            bptt_hidden = None
            for method in loc.METHODS:
                ctx.progress(f"{name}, {arch}, seed {seed}: {method}")
                net = loc.network(method, arch, n_in, int(p["n_hidden"]), n_out, **sizes)
                keys, kept = loc.hidden_keys(net), twin.keys()
                program = bptt if method == "bptt" else loc.program(
                    method, net, len(y_tr) + len(y_te), **rates)
                with peak_memory() as memory:
                    h = train(net, net.initial_state(seed=seed), x_tr, y_tr, x_te, y_te,
                              epochs=int(p["epochs"]), seed=seed, encode=encode,
                              session=ctx.session, program=program, record=("hidden",),
                              record_state=kept)
                hidden = [c[len(y_tr):] for c in h["counts"]["hidden"]]
                bptt_hidden = hidden if method == "bptt" else bptt_hidden
                states = [dict(zip(kept, w)) for w in zip(*(h["states"][k_] for k_ in kept))]
                cos = [update_cosine(loc.weight_change(a, b, keys), {
                    n: -g for n, g in loc.bptt_gradient(twin, a, probe_in, y_tr[:k],
                                                        keys).items()})
                    for a, b in zip(states[:-1], states[1:])]
                cka = [linear_cka(a, b) if a.std() > 0 and b.std() > 0 else np.nan
                       for a, b in zip(hidden, bptt_hidden)]
                with ctx.timer("robustness (JAX twin)"):
                    curves = loc.robustness(loc.Probe(twin, h["state"], seed, window), x_te[:ka],
                                            y_te[:ka], grids, seed, steps=int(p["pgd_steps"]),
                                            n_queries=int(p["nes_queries"]),
                                            sigma=float(p["nes_sigma"]))
                test = h["history"]["test_accuracy"] if window is None else [   # the recall
                    np.mean(loc.Probe(twin, s, seed, window).predict(x_te) == y_te)
                    for s in states[1:]]
                r = {"test": test, "seconds": h["history"]["seconds"],
                     "cka": cka, "cosine": cos, "memory": memory.mib, **curves}
                for key, v in r.items():
                    rec[method].setdefault(key, []).append(np.asarray(v, dtype=float))
        out[arch] = {m: {k: np.array(v) for k, v in r.items()} for m, r in rec.items()}
    out.update(n_train=len(y_tr), n_test=len(y_te), n_in=n_in, T=T, equations=ref.describe())
    return out


def simulate(p, ctx):
    data = {"seeds": np.array(ctx.seeds)}
    # Brian2 calls gc.collect() before every run (to warn of objects outside the network); the
    # objects alive now (modules, JAX, Brian2) cannot be garbage and are left out of it
    gc.freeze()
    try:
        with brian2_settings(target="numpy"):      # no C++ build: small networks, many configs
            # a Function's numpy code without Brian2's per-call unit check, which formats the
            # result array into its error message on every call (erf: ~15 % of the quick run)
            prefs.codegen.runtime.numpy.discard_units = True
            for name in p["tasks"].split("+"):
                data[name] = _run(name, p, ctx)
    finally:
        gc.unfreeze()
    data["equations"] = [data[name].pop("equations") for name in p["tasks"].split("+")][-1]
    return data


COLOURS = dict(zip(loc.METHODS, ("k", "C0", "C1", "C2", "C3")))
STYLES = {"feedforward": "-", "recurrent": "--"}
XLABELS = {"gaussian": "input noise s.d.", "deletion": "spike-deletion probability",
           "fgsm": "L-inf radius ε", "pgd": "L-inf radius ε", "nes": "L-inf radius ε"}


def _names(data):
    return [n for n in TASKS if n in data]


def plot(data):
    import matplotlib.pyplot as plt

    from neuromodels.plotting import decorate, grouped_bars, over_seeds, run_label

    names = _names(data)
    main = data[names[0]]
    fig, axes = plt.subplots(3, 3, figsize=(15, 13))
    for ax, arch in zip(axes[0, :2], loc.ARCHITECTURES):
        grouped_bars(ax, {n: [100 * data[n][arch][m]["test"][:, -1] for m in loc.METHODS]
                          for n in names}, [COLOURS[m] for m in loc.METHODS], loc.METHODS)
        ax.set(ylabel="final test accuracy (%)", ylim=(0, 125), yticks=range(0, 101, 20),
               title=f"({'ab'[arch == 'recurrent']}) accuracy, {arch}")
    for ax, key, what, letter in ((axes[0, 2], "cka", "CKA of hidden counts with BPTT", "c"),
                                  (axes[1, 0], "cosine", "cosine of update with −∇BPTT", "d")):
        for arch in loc.ARCHITECTURES:
            for m in loc.METHODS[1:]:
                v = main[arch][m][key]
                over_seeds(ax, np.arange(1, v.shape[1] + 1), v, color=COLOURS[m],
                           ls=STYLES[arch], marker="o", ms=3, label=f"{m}, {arch}")
        decorate(ax, legend=None, xlabel="epoch" + " (the change during it)" * (key == "cosine"),
                 xticks=np.arange(1, v.shape[1] + 1), ylabel=what,
                 title=f"({letter}) {names[0]}: {what.split(' with')[0]} over training")
    for ax, kind, letter in zip(axes.ravel()[4:], ATTACKS, "efghi"):
        for arch in loc.ARCHITECTURES:
            for m in loc.METHODS:
                over_seeds(ax, main["levels"][kind], 100 * main[arch][m][kind],
                           color=COLOURS[m], ls=STYLES[arch], marker="o", ms=3)
        decorate(ax, legend=None, xlabel=XLABELS[kind], ylabel="accuracy (%)", ylim=(0, 100),
                 title=f"({letter}) {names[0]}: {kind.upper() if len(kind) < 5 else kind}")
    fig.legend(*axes[0, 2].get_legend_handles_labels(), loc="upper center", ncols=4,
               fontsize=9, bbox_to_anchor=(0.5, 0.95),
               title="colour: method (black: BPTT); line: solid feed-forward, dashed recurrent")
    fig.suptitle("Learning methods of varying locality (Lin et al. 2025); mean ± s.d. over "
                 f"{len(data['seeds'])} seeds; " + run_label(data, f"{main['T']} steps"),
                 fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig


def results(data):
    """The table per task and the paper's three claims, as measured."""
    from neuromodels.results import mean_sd, table

    rows, claims = [], []
    for name in _names(data):
        d = data[name]
        for arch in loc.ARCHITECTURES:
            r = {m: d[arch][m] for m in loc.METHODS}
            rows += [[f"{name}, {arch}: test accuracy",
                      *(mean_sd(r[m]["test"][:, -1], 100, 1, None, " %") for m in loc.METHODS)],
                     [f"{name}, {arch}: s per epoch",
                      *(mean_sd(r[m]["seconds"][:, 1:].mean(axis=1) if r[m]["seconds"].shape[1]
                                > 1 else r[m]["seconds"][:, 0], 1, 2, None)
                        for m in loc.METHODS)],
                     *([[f"{name}, {arch}: peak memory of training (MiB)",
                         *(f"{np.nanmedian(r[m]['memory']):.0f}" for m in loc.METHODS)]]
                       if "memory" in r["bptt"] else []),     # (runs before it was measured)
                     [f"{name}, {arch}: final CKA with BPTT / mean update cosine", "—",
                      *(f"{np.nanmean(r[m]['cka'][:, -1]):.2f} / "
                        f"{np.nanmean(r[m]['cosine']):+.2f}" for m in loc.METHODS[1:])]]
            acc = {m: r[m]["test"][:, -1].mean() for m in loc.METHODS}
            below = [m for m in loc.METHODS[1:] if acc[m] < acc["bptt"]]
            chance = linear_cka_chance(d["n_test"], *[data["parameters"]["n_hidden"]] * 2)
            claims.append([f"1. {name}, {arch}: local methods below BPTT in accuracy; CKA above "
                           f"chance ({chance:.2f}), update cosine > 0",
                           f"{len(below)} of 4 below ({', '.join(below) or 'none'}); CKA above: "
                           + ", ".join(m for m in loc.METHODS[1:]
                                       if np.nanmean(r[m]["cka"][:, -1]) > chance)
                           + "; cosine > 0: " + ", ".join(m for m in loc.METHODS[1:]
                                                          if np.nanmean(r[m]["cosine"]) > 0)])
        drop = {a: {m: loc.accuracy_drop(d[a][m], ATTACKS).mean() for m in loc.METHODS}
                for a in loc.ARCHITECTURES}
        more = [m for m in loc.METHODS if drop["recurrent"][m] < drop["feedforward"][m]]
        claims.append([f"2. {name}: recurrent loses less accuracy (mean over the 5 curves)",
                       f"{len(more)} of 5 methods ({', '.join(more) or 'none'}); points lost "
                       "feed-forward / recurrent: " + ", ".join(
                           f"{m} {100 * drop['feedforward'][m]:.0f} / "
                           f"{100 * drop['recurrent'][m]:.0f}" for m in loc.METHODS)])
        for arch in loc.ARCHITECTURES:
            rank = {kind: sorted(loc.METHODS, key=lambda m: -d[arch][m][kind][:, -1].mean())
                    for kind in ("pgd", "nes")}
            claims.append([f"3. {name}, {arch}: ranking at the largest ε, PGD vs NES",
                           f"PGD {' > '.join(rank['pgd'])}; NES {' > '.join(rank['nes'])}"
                           + (" (same)" if rank["pgd"] == rank["nes"] else " (differs)")])
    return (table(["", *loc.METHODS], rows) + "\n" + table(["claim", "measured"], claims))


STUDY = Study(
    name="locality", simulate=simulate, plot=plot, parameters=PARAMETERS, results=results,
    title="BPTT, e-prop, OTTT, DFA, DECOLLE: accuracy, similarity to BPTT, robustness",
    quick={"tasks": "digits", "n_hidden": 20, "T": 8, "epochs": 2, "n_train": 60,
           "n_test": 30, "n_seeds": 2, "n_probe": 30, "n_attack": 20, "n_levels": 3,
           "pgd_steps": 2, "nes_queries": 20},
    seeds_parameter="n_seeds", devices=("runtime",), default_device="runtime",
    reference="Lin, Lu, Bal & Sengupta (2025) IEEE Access (arXiv 2402.01782)",
)
