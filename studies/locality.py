"""Learning methods of varying locality (Lin, Lu, Bal & Sengupta 2025, IEEE Access; arXiv
2402.01782): BPTT, e-prop, OTTT, DFA and DECOLLE on one network, feed-forward and with
explicit recurrence, and their robustness to noise and to white- and black-box attacks.

    neuromodels run locality [--quick]

Network and methods: :mod:`neuromodels.networks.locality` (BPTT: the twin's SGD in the same
training loop; the others: Brian2, numpy target, or ``--device cpp_standalone``: one C++
build per method and architecture that every seed re-runs).  Recorded per method,
architecture and seed: test accuracy (the temporal task's ``evidence``: read in the recall
window, through the twin) and seconds per epoch; the peak memory of the training
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
from brian2 import get_device, mV, prefs

from neuromodels.analysis.similarity import linear_cka, update_cosine
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
    Parameter("T", 12, f"time steps per image (the readout's cross-entropy counts in the "
              f"last {loc.WINDOW})", low=loc.WINDOW, integer=True),
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
    positive("eps_max", 0.2, "largest L-inf radius of FGSM, PGD, NES (spike probability)",
             high=1),
    positive("noise_max", 0.4, "largest Gaussian input noise s.d."),
    positive("deletion_max", 0.8, "largest spike-deletion probability", high=1),
    Parameter("pgd_steps", 2, "PGD and NES steps", low=1, integer=True),
    Parameter("nes_queries", 800, "NES loss queries per sample and step (cosine 0.93 on 64 "
              "pixels, 0.82 on MNIST's 196, attacks.nes_expected_cosine)", low=2, integer=True),
    positive("nes_sigma", 0.05, "NES search s.d. (spike probability)"),
)


def _refreeze(session):
    """Collect, then leave what is alive out of later collections (``gc.freeze``; Brian2
    collects before every run, ~0.1 s each); a standalone device first lets go of its last
    build, whose frozen objects would stay alive and renumber the next build's files."""
    if session.name == "cpp_standalone" and get_device().has_been_run:
        session.new_build()
    gc.collect()
    gc.freeze()


def _run(name, p, ctx):
    levels = np.linspace(0, 1, int(p["n_levels"]))
    grids = {"gaussian": levels * p["noise_max"], "deletion": levels * p["deletion_max"],
             **{k: levels * p["eps_max"] for k in ("fgsm", "pgd", "nes")}}
    out = {"levels": grids}
    rates = dict(eta=p["eta"], eta_out=p["eta_out"])
    tasks = {seed: loc.task(name, seed, int(p["n_train"]), int(p["n_test"]), int(p["T"]),
                            int(p["delay"])) for seed in ctx.seeds}
    x_tr, y_tr, x_te, y_te, T, encode, window = tasks[ctx.seeds[0]]
    n_in = x_tr.shape[-1]
    n_out = int(max(max(t[1].max(), t[3].max()) for t in tasks.values()) + 1)
    n_samples, k = len(y_tr) + len(y_te), min(int(p["n_probe"]), len(y_tr))
    ka = min(int(p["n_attack"]), len(y_te))
    sizes = dict(T=T, **rates, **({"window": window} if window else {}))
    for arch in loc.ARCHITECTURES:
        rec = {m: {} for m in loc.METHODS}
        ref = loc.network("bptt", arch, n_in, int(p["n_hidden"]), n_out, **sizes)
        twin, bptt_hidden = Twin(ref), {}         # one twin (one XLA build of each function)
        for method in loc.METHODS:                # BPTT first: the others compare with it
            net = loc.network(method, arch, n_in, int(p["n_hidden"]), n_out, **sizes)
            keys, kept = loc.hidden_keys(net), twin.keys()
            program = None                # the last method's (and its Brian2 objects): garbage
            _refreeze(ctx.session)
            # one program per method, re-run by every seed and epoch (cpp_standalone: a build)
            program = loc.program(method, net, n_samples, **rates)
            for seed in ctx.seeds:
                x_tr, y_tr, x_te, y_te, T, encode, window = tasks[seed]
                probe_in = (encode or loc.rate_code)(x_tr[:k], T, np.random.default_rng(seed + 7))
                ctx.progress(f"{name}, {arch}, {method}, seed {seed}")
                with peak_memory() as memory:
                    h = train(net, net.initial_state(seed=seed), x_tr, y_tr, x_te, y_te,
                              epochs=int(p["epochs"]), seed=seed, encode=encode,
                              session=ctx.session, program=program, record=("hidden",),
                              record_state=kept)
                hidden = [c[len(y_tr):] for c in h["counts"]["hidden"]]
                bptt_hidden.setdefault(seed, hidden)             # (method 'bptt')
                states = [dict(zip(kept, w)) for w in zip(*(h["states"][k_] for k_ in kept))]
                cos = [update_cosine(loc.weight_change(a, b, keys), {
                    n: -g for n, g in loc.bptt_gradient(twin, a, probe_in, y_tr[:k],
                                                        keys).items()})
                    for a, b in zip(states[:-1], states[1:])]
                cka = [linear_cka(a, b) if a.std() > 0 and b.std() > 0 else np.nan
                       for a, b in zip(hidden, bptt_hidden[seed])]
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
    gc.freeze()     # modules, JAX, Brian2: never garbage, left out of Brian2's collections
    try:
        # runtime: numpy target (no build); cpp_standalone: a build per method and arch
        with brian2_settings(target="numpy"):
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
#: the panels of each task's row: (key, title, y label, x label)
ROW = (("cka", "CKA with BPTT", "CKA of hidden counts", "epoch"),
       ("cosine", "update cosine", "cosine with −∇BPTT", "epoch (the change during it)"),
       ("gaussian", "input noise", "accuracy (%)", "input noise s.d."),
       ("deletion", "spike deletion", "accuracy (%)", "spike-deletion probability"),
       ("fgsm", "FGSM", "accuracy (%)", "L-inf radius ε"),
       ("pgd", "PGD", "accuracy (%)", "L-inf radius ε"),
       ("nes", "NES (black box)", "accuracy (%)", "L-inf radius ε"))


def _names(data):
    return [n for n in TASKS if n in data]


def plot(data):
    """(a, b) final accuracy per method, architecture and task; then one row per task the
    data holds: (c) CKA and (d) update cosine with BPTT over training, (e-i) accuracy vs the
    strength of each perturbation."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from neuromodels.plotting import grouped_bars, over_seeds, run_label

    names = _names(data)
    fig = plt.figure(figsize=(24, 3.6 * (len(names) + 1) + 1.2))
    grid = fig.add_gridspec(len(names) + 1, len(ROW))
    for j, arch in enumerate(loc.ARCHITECTURES):
        ax = fig.add_subplot(grid[0, 3 * j:3 * j + 3])
        grouped_bars(ax, {n: [100 * data[n][arch][m]["test"][:, -1] for m in loc.METHODS]
                          for n in names}, [COLOURS[m] for m in loc.METHODS], loc.METHODS)
        ax.set(ylabel="final test accuracy (%)", ylim=(0, 125), yticks=range(0, 101, 20),
               title=f"({'ab'[j]}) accuracy, {arch}")
    key = fig.add_subplot(grid[0, 6])
    key.axis("off")
    key.legend([Line2D([], [], color=COLOURS[m], lw=2) for m in loc.METHODS]
               + [Line2D([], [], color="0.4", ls=STYLES[a]) for a in loc.ARCHITECTURES],
               [*loc.METHODS, *(f"{a} (line)" for a in loc.ARCHITECTURES)],
               loc="center", fontsize=10, title="colour: method\nline: architecture")
    for row, name in enumerate(names, 1):
        d = data[name]
        for col, (kind, title, ylabel, xlabel) in enumerate(ROW):
            ax = fig.add_subplot(grid[row, col])
            for arch in loc.ARCHITECTURES:
                for m in loc.METHODS[kind in ("cka", "cosine"):]:   # BPTT vs itself: 1
                    v = d[arch][m][kind]
                    x = np.arange(1, v.shape[1] + 1) if col < 2 else d["levels"][kind]
                    over_seeds(ax, x, v if col < 2 else 100 * v, color=COLOURS[m],
                               ls=STYLES[arch], marker="o", ms=3)
            if col < 2:
                ax.set_xticks(x)
            else:
                ax.set_ylim(0, 100)
            ax.set(title=f"({'cdefghi'[col]}) {name}: {title}", xlabel=xlabel,
                   ylabel=ylabel if col < 3 else None)
    fig.suptitle("Learning methods of varying locality (Lin et al. 2025); mean ± s.d. over "
                 f"{len(data['seeds'])} seeds; "
                 + run_label(data, ", ".join(f"{n} {data[n]['T']} steps" for n in names)),
                 fontsize=12)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
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
        claims += loc.claims(name, d, int(data["parameters"]["n_hidden"]), ATTACKS)
    return (table(["", *loc.METHODS], rows) + "\n" + table(["claim", "measured"], claims))


STUDY = Study(
    name="locality", simulate=simulate, plot=plot, parameters=PARAMETERS, results=results,
    title="BPTT, e-prop, OTTT, DFA, DECOLLE: accuracy, similarity to BPTT, robustness",
    quick={"tasks": "digits", "n_hidden": 20, "T": 8, "epochs": 2, "n_train": 60,
           "n_test": 30, "n_seeds": 2, "n_probe": 30, "n_attack": 20, "n_levels": 3,
           "pgd_steps": 2, "nes_queries": 20},
    seeds_parameter="n_seeds", devices=("runtime", "cpp_standalone"), default_device="runtime",
    reference="Lin, Lu, Bal & Sengupta (2025) IEEE Access (arXiv 2402.01782)",
)
