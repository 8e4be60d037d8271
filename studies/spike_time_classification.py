"""Spike-time classification with a deep, initially silent network of theta neurons
(Klos & Memmesheimer 2025): exact event-driven training, then the trained network in Brian2.

Time-to-first-spike coding; pulse-coupled theta oscillators (constant drive I0 = 5/4,
tau = 6/pi, period 6, trial T = 2, initial phase at half period: silent in the trial);
network layers n_in - hidden - hidden - n_out; loss: cross-entropy on negative output
first-spike times plus gamma (exp(t_label/T) - 1); AdaBelief. Pseudospikes: the exact
dynamics continued past the trial end (see ``neuromodels.exact.feedforward``).
Data sets: Yin-Yang (Kriener et al. 2021; 5000/1000 train/test) and scikit-learn's 8x8
digits (grey levels as latencies, 1437/360).

    neuromodels run spike-time-classification [--quick]

Accuracy counts a sample as correct only when the correct output neuron fires first within
the trial. Brian2 (runtime device) runs the trained network on the test set (or its first
``brian2_samples`` samples) and its accuracy is compared with the exact solver's on the same
samples. Time unit 1 = 10 ms in Brian2.
"""
import time

import numpy as np
from brian2 import ms

from neuromodels.analysis.classification import accuracy, predict_first_spike
from neuromodels.devices import brian2_settings
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per
from neuromodels.study import Study

DATASETS = ("yinyang", "digits")

PARAMETERS = ParameterSet(
    Parameter("datasets", "yinyang,digits", "data sets, comma-separated",
              choices=(",".join(DATASETS), *DATASETS)),
    Parameter("seeds", 3, "number of network seeds (--seed, --seed + 1, ...)", low=1, integer=True),
    Parameter("epochs_yinyang", 60, "training epochs on Yin-Yang", low=1, integer=True),
    Parameter("epochs_digits", 30, "training epochs on digits", low=1, integer=True),
    Parameter("hidden_yinyang", 64, "neurons per hidden layer (Yin-Yang)", low=1, integer=True),
    Parameter("hidden_digits", 100, "neurons per hidden layer (digits)", low=1, integer=True),
    Parameter("n_hidden_layers", 2, "hidden layers", low=1, integer=True),
    Parameter("batch", 20, "mini-batch size", low=1, integer=True),
    positive("lr", 6e-3, "AdaBelief learning rate"),
    positive("lr_decay_epochs", 40.0, "learning rate decays by 1/e every this many epochs"),
    positive("gamma", 0.3, "weight of the early-spike regulariser"),
    positive("temperature", 0.3, "softmax temperature (time units) on -t_out"),
    positive("T", 2.0, "trial duration (time units)"),
    positive("w_scale", 0.5, "initial weights U(±w_scale/sqrt(fan_in))"),
    Parameter("n_train", 0, "training samples used (0: all)", low=0, integer=True),
    Parameter("n_test", 0, "test samples used (0: all)", low=0, integer=True),
    Parameter("brian2_samples", 0, "test samples run in Brian2 (0: all used)", low=0,
              integer=True),
    positive("brian2_dt", 0.01 * ms, "Brian2 time step (time unit = 10 ms)"),
    steps_per("brian2_dt", 10 * ms, at_least=100, what="time unit"),
)


def _data(name, p):
    from neuromodels.datasets.digits import load_digits
    from neuromodels.datasets.yinyang import load_yinyang
    from neuromodels.exact import feedforward as ff

    if name == "yinyang":
        d = load_yinyang()
        tr = (*ff.yinyang_inputs(d["train"][0]), d["train"][1])
        te = (*ff.yinyang_inputs(d["test"][0]), d["test"][1])
        hidden = p["hidden_yinyang"]
    else:
        Xtr, Xte, ytr, yte = load_digits()
        tr = (*ff.digits_inputs(Xtr), ytr)
        te = (*ff.digits_inputs(Xte), yte)
        hidden = p["hidden_digits"]
    if p["n_train"]:
        tr = tuple(a[:p["n_train"]] for a in tr)
    if p["n_test"]:
        te = tuple(a[:p["n_test"]] for a in te)
    sizes = (tr[0].shape[1],) + (hidden,) * p["n_hidden_layers"] + (int(te[2].max()) + 1,)
    return tr, te, sizes


def simulate(p, ctx):
    from neuromodels.exact import feedforward as ff
    from neuromodels.networks.theta import first_spike_agreement, run_feedforward
    from neuromodels.neurons.theta import (THETA_OSC_APPLY, THETA_OSC_EQUATIONS,
                                           THETA_OSC_ON_PRE, TIME_UNIT)

    names = p["datasets"].split(",")
    data = {"equations": {"brian2": THETA_OSC_EQUATIONS.strip(), "on_pre": THETA_OSC_ON_PRE,
                          "start_of_step": THETA_OSC_APPLY},
            "results": {}}
    for name in names:
        tr, te, sizes = _data(name, p)
        runs = []
        for seed in ctx.seeds:
            cfg = ff.TrainConfig(sizes=sizes, T=p["T"], w_scale=p["w_scale"],
                                 gamma=p["gamma"], temperature=p["temperature"], lr=p["lr"],
                                 lr_decay_epochs=p["lr_decay_epochs"], batch=p["batch"],
                                 epochs=p[f"epochs_{name}"], seed=seed)
            ctx.progress(f"{name}: seed {seed}, sizes {sizes}, {cfg.epochs} epochs")
            with ctx.timer("training (JAX)"):
                res = ff.train(cfg, tr, te, progress=ctx.progress)
            runs.append(res)
        r = {"sizes": np.array(sizes), "seeds": np.array(ctx.seeds)}
        h0 = runs[0]["history"]
        evaluated = h0.recorded("test_accuracy")
        r["epochs"] = h0.steps[evaluated]
        for key, column in (("acc_trial", "test_accuracy"), ("acc_pseudo", "test_accuracy_pseudo"),
                            ("loss", "test_loss"), ("silent_never", "test_silent_never"),
                            ("silent_per_sample", "test_silent_per_sample")):
            r[key] = np.array([res["history"][column][evaluated] for res in runs])
        r["train_loss"] = np.array([res["history"]["loss"][1:] for res in runs])
        r["s_per_epoch"] = np.array([res["history"].summary["seconds_per_epoch"]
                                     for res in runs])
        # Brian2: the trained network of every seed on the test samples, with its own neuron
        nb = p["brian2_samples"] or len(te[2])
        t_b, m_b, y_b = (a[:nb] for a in te)
        acc_b2, acc_ex, agreement = [], [], []
        for k, (seed, res) in enumerate(zip(ctx.seeds, runs)):
            neuron = res["neuron"]
            t0 = time.perf_counter()
            with brian2_settings(target="numpy"):
                b2 = run_feedforward(res["params"], t_b, m_b, neuron=neuron, T=p["T"],
                                     unit=TIME_UNIT, dt=p["brian2_dt"], runner=ctx.run)
            ctx.progress(f"{name}: seed {seed}: Brian2 on {nb} samples in "
                         f"{time.perf_counter() - t0:.1f} s")
            mets, outs = ff.metrics(res["params"], t_b, m_b, y_b, neuron, p["T"], p["gamma"],
                                    p["temperature"])
            acc_b2.append(accuracy(predict_first_spike(b2[-1], p["T"]), y_b))
            acc_ex.append(mets["acc_trial"])
            if k == 0:
                ex_init = ff.metrics(res["params_init"], t_b[:1], m_b[:1], y_b[:1], neuron,
                                     p["T"], p["gamma"], p["temperature"])[1]
                r["example"] = {
                    "label": int(y_b[0]), "t_in": t_b[0], "mask": m_b[0],
                    **{f"exact_init_{l}": o[0] for l, o in enumerate(ex_init)},
                    **{f"exact_trained_{l}": o[0] for l, o in enumerate(outs)},
                    **{f"brian2_{l}": np.where(np.isfinite(o[0]), o[0], -1.0)
                       for l, o in enumerate(b2)},
                }
            agreement.append(first_spike_agreement(b2, outs, p["T"]))
        r["acc_brian2"] = np.array(acc_b2)
        dt_q, r["brian2_in_trial_mismatch"], r["brian2_spikes_compared"] = (
            np.array(a) for a in zip(*agreement))
        r["brian2_abs_dt_spike_quantiles"] = dt_q  # (seeds, [median, 99 %, max])
        r["acc_exact_same_samples"] = np.array(acc_ex)
        r["brian2_samples"] = nb
        ctx.progress(f"{name}: test accuracy {r['acc_trial'][:, -1].mean():.4f} ± "
                     f"{r['acc_trial'][:, -1].std(ddof=1) if len(runs) > 1 else 0:.4f}; "
                     f"Brian2 {np.mean(acc_b2):.4f} vs exact {np.mean(acc_ex):.4f}; "
                     f"|t_brian2 - t_exact| median {np.median(dt_q[:, 0]):.2g}, "
                     f"max {np.max(dt_q[:, 2]):.2g}")
        data["results"][name] = r
    return data


def plot(data):
    import matplotlib.pyplot as plt

    from neuromodels.plotting import before_after, first_spike_layers, over_seeds, seed_sd

    res = data["results"]
    names = [n for n in DATASETS if n in res]
    fig, axes = plt.subplots(len(names), 3, figsize=(14, 3.8 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        r = res[name]
        ep = np.asarray(r["epochs"])
        acc = 100 * np.asarray(r["acc_trial"])
        over_seeds(row[0], ep, acc, marker=".",
                   label=f"exact solver, mean ± s.d. over {acc.shape[0]} seeds")
        b2 = 100 * np.asarray(r["acc_brian2"])
        row[0].errorbar([ep[-1]], [b2.mean()], yerr=[seed_sd(b2)],
                        fmt="s", color="C3", capsize=3,
                        label=f"Brian2 ({int(r['brian2_samples'])} test samples)")
        classes = int(np.asarray(r["sizes"])[-1])
        row[0].axhline(100 / classes, color="0.5", ls=":", lw=1,
                       label=f"chance ({classes} classes)")
        if ep[0] == 0:  # the untrained network, whose output neurons may not spike in T
            row[0].annotate(f"epoch 0: untrained ({acc.mean(axis=0)[0]:.0f} %);\na sample "
                            "with no output\nspike in the trial is wrong",
                            (ep[0], acc.mean(axis=0)[0]), xytext=(0.3, 0.3),
                            textcoords="axes fraction", fontsize=8,
                            arrowprops=dict(arrowstyle="->", color="0.4", lw=0.8))
        row[0].set(xlabel="epoch (0: before training)", ylabel="test accuracy (%)",
                   title=f"{name}: network {'-'.join(map(str, np.asarray(r['sizes'])))}")
        row[0].legend(fontsize=8, loc="lower right")
        before_after(row[1], 100 * np.asarray(r["silent_never"]),
                     "never fire in the trial (test set)",
                     100 * np.asarray(r["silent_per_sample"]), "silent per sample (mean)")
        row[1].set(ylabel="silent hidden neurons (%)", ylim=(0, 105),
                   title="silent hidden neurons")
        row[1].legend(fontsize=8)
        first_spike_layers(row[2], r["example"], float(np.asarray(data["parameters"]["T"])),
                           ms_per_unit=10)
    fig.suptitle("Deep theta-neuron network, time-to-first-spike coding, exact gradients "
                 "(pseudospikes = continued dynamics)", fontsize=11)
    fig.tight_layout()
    return fig


def results(data):
    """Accuracies, silent neurons and Brian2-vs-exact spike times per data set (README,
    Results); one time unit is 10 ms."""
    from neuromodels.results import mean_sd, sig, span, table

    names = {"yinyang": "Yin-Yang", "digits": "8×8 digits (grey levels as latencies)"}
    acc, spikes = [], []
    for name in (n for n in DATASETS if n in data["results"]):
        r = data["results"][name]
        exact, brian2 = np.asarray(r["acc_trial"])[:, -1], np.asarray(r["acc_brian2"])
        n = int(r["brian2_samples"])  # the same number of correct samples: identical
        same = np.allclose(brian2, np.asarray(r["acc_exact_same_samples"]), rtol=0, atol=0.5 / n)
        silent = 100 * np.asarray(r["silent_never"])
        acc.append([names[name], "-".join(map(str, np.asarray(r["sizes"]))),
                    f"{len(r['epochs']) - 1}", mean_sd(exact, 100, unit=" %"),
                    ("identical" if same else " / ".join(f"{100 * a:.1f}" for a in brian2) + " %")
                    + f" ({n} samples)",
                    f"{span(silent[:, 0])} % → {span(silent[:, -1], '.2g')} %"])
        q = np.asarray(r["brian2_abs_dt_spike_quantiles"]) * 10  # ms
        spikes.append([names[name], span(r["brian2_spikes_compared"], ",.0f"),
                       span(1e3 * q[:, 0], ".2g", " µs"), span(1e3 * q[:, 1], ".2g", " µs"),
                       span(q[:, 2], "#.2g", " ms"),
                       f"≤ {sig(np.max(r['brian2_in_trial_mismatch']), 2)}"])
    return (table(["data set", "network", "epochs", "test accuracy (exact), seeds "
                   + ", ".join(map(str, np.asarray(data["results"][DATASETS[0]]["seeds"]))),
                   "Brian2 re-run, same test samples",
                   "hidden neurons never firing in the trial, before → after"], acc)
            + "\n" + table(["data set", "in-trial spikes compared per seed", "median \\|Δt\\|",
                            "99th percentile", "largest", "in the trial in one only "
                            "(fraction of neuron-sample pairs)"], spikes))


STUDY = Study(
    name="spike-time-classification",
    title="Deep initially silent theta network, TTFS: Yin-Yang and digits; Brian2 check",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    results=results,
    # one data set (one JIT compilation), small network and data, a larger learning rate
    # (so that output spikes enter the trial), coarse Brian2 step
    quick={"datasets": "yinyang", "seeds": 2, "epochs_yinyang": 5, "hidden_yinyang": 16,
           "n_train": 500, "n_test": 60, "lr": 1.5e-2, "brian2_samples": 60,
           "brian2_dt": 0.02 * ms},
    devices=("runtime",), default_device="runtime",
    reference="Klos & Memmesheimer (2025) Phys Rev Lett, arXiv 2309.14523; Kriener et al. "
              "(2021) Yin-Yang data set",
    seeds_parameter="seeds",
)
