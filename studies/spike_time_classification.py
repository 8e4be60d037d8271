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
from brian2 import ms, prefs

from neuromodels.parameters import Parameter, ParameterSet, positive
from neuromodels.study import Study

DATASETS = ("yinyang", "digits")

PARAMETERS = ParameterSet(
    Parameter("datasets", "yinyang,digits", "comma-separated subset of yinyang, digits"),
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
    positive("w_scale", 0.5, "initial weights U(+-w_scale/sqrt(fan_in))"),
    Parameter("n_train", 0, "training samples used (0: all)", low=0, integer=True),
    Parameter("n_test", 0, "test samples used (0: all)", low=0, integer=True),
    Parameter("brian2_samples", 0, "test samples run in Brian2 (0: all used)", low=0,
              integer=True),
    positive("brian2_dt", 0.01 * ms, "Brian2 time step (time unit = 10 ms)"),
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
    import jax

    jax.config.update("jax_enable_x64", True)
    from neuromodels.exact import feedforward as ff
    from neuromodels.neurons.theta_layers import THETA_OSC_APPLY, THETA_OSC_EQUATIONS, \
        THETA_OSC_ON_PRE, run_feedforward

    names = [s.strip() for s in p["datasets"].split(",") if s.strip()]
    for n in names:
        if n not in DATASETS:
            raise ValueError(f"unknown data set {n!r}; choose from {DATASETS}")
    data = {"equations": {"brian2": THETA_OSC_EQUATIONS.strip(), "on_pre": THETA_OSC_ON_PRE,
                          "start_of_step": THETA_OSC_APPLY},
            "results": {}}
    prefs.codegen.target = "numpy"
    for name in names:
        tr, te, sizes = _data(name, p)
        runs = []
        for seed in ctx.seeds:
            cfg = ff.TrainConfig(sizes=sizes, T=p["T"], w_scale=p["w_scale"],
                                 gamma=p["gamma"], temperature=p["temperature"], lr=p["lr"],
                                 lr_decay_epochs=p["lr_decay_epochs"], batch=p["batch"],
                                 epochs=p[f"epochs_{name}"], seed=seed)
            ctx.progress(f"{name}: seed {seed}, sizes {sizes}, {cfg.epochs} epochs")
            res = ff.train(cfg, tr, te, progress=ctx.progress)
            runs.append(res)
        r = {"sizes": np.array(sizes), "seeds": np.array(ctx.seeds)}
        hist = lambda key: np.array([[h[key] for h in res["history"]] for res in runs])  # noqa
        r["epochs"] = np.array([h["epoch"] for h in runs[0]["history"]])
        for key in ("acc_trial", "acc_pseudo", "loss", "silent_never", "silent_per_sample"):
            r[key] = hist(key)
        r["train_loss"] = np.array([res["train_loss"] for res in runs])
        r["s_per_epoch"] = np.array([res["s_per_epoch"] for res in runs])
        # Brian2: the trained network of every seed on the test samples
        nb = p["brian2_samples"] or len(te[2])
        t_b, m_b, y_b = (a[:nb] for a in te)
        neuron = ff.ThetaOsc()
        acc_b2, acc_ex, dt_q, mismatch, compared = [], [], [], [], []
        for seed, res in enumerate(runs):
            t0 = time.perf_counter()
            b2 = run_feedforward(res["params"], t_b, m_b, T=p["T"], unit=10 * ms,
                                 dt=p["brian2_dt"], runner=ctx.run)
            ctx.progress(f"{name}: seed {seed}: Brian2 on {nb} samples in "
                         f"{time.perf_counter() - t0:.1f} s")
            mets, outs = ff.metrics(res["params"], t_b, m_b, y_b, neuron, p["T"])
            t_out = b2[-1]
            fired = np.isfinite(t_out).any(axis=1)
            pred = np.argmin(t_out, axis=1)
            acc_b2.append(float(np.mean(fired & (pred == y_b))))
            acc_ex.append(mets["acc_trial"])
            if seed == 0:
                ex_init = ff.metrics(res["params_init"], t_b[:1], m_b[:1], y_b[:1], neuron,
                                     p["T"])[1]
                r["example"] = {
                    "label": int(y_b[0]), "t_in": t_b[0], "mask": m_b[0],
                    **{f"exact_init_{l}": o[0] for l, o in enumerate(ex_init)},
                    **{f"exact_trained_{l}": o[0] for l, o in enumerate(outs)},
                    **{f"brian2_{l}": np.where(np.isfinite(o[0]), o[0], -1.0)
                       for l, o in enumerate(b2)},
                }
            # spike-time agreement over all test samples and layers: in-trial spikes in
            # both (|t_brian2 - t_exact| quantiles) and in-trial in only one of them
            both = np.concatenate([(np.isfinite(b) & (e <= p["T"])).ravel()
                                   for b, e in zip(b2, outs)])
            one = np.concatenate([(np.isfinite(b) != (e <= p["T"])).ravel()
                                  for b, e in zip(b2, outs)])
            with np.errstate(invalid="ignore"):  # inf - inf where neither fired
                diffs = np.concatenate([np.abs(b - e).ravel() for b, e in zip(b2, outs)])[both]
            dt_q.append(np.quantile(diffs, [0.5, 0.99, 1.0]) if diffs.size else np.zeros(3))
            mismatch.append(float(one.mean()))
            compared.append(int(both.sum()))
        r["acc_brian2"] = np.array(acc_b2)
        r["brian2_abs_dt_spike_quantiles"] = np.array(dt_q)  # (seeds, [median, 99 %, max])
        r["brian2_in_trial_mismatch"] = np.array(mismatch)
        r["brian2_spikes_compared"] = np.array(compared)
        r["acc_exact_same_samples"] = np.array(acc_ex)
        r["brian2_samples"] = nb
        ctx.progress(f"{name}: test accuracy {r['acc_trial'][:, -1].mean():.4f} +- "
                     f"{r['acc_trial'][:, -1].std(ddof=1) if len(runs) > 1 else 0:.4f}; "
                     f"Brian2 {np.mean(acc_b2):.4f} vs exact {np.mean(acc_ex):.4f}; "
                     f"|t_brian2 - t_exact| median {np.median([q[0] for q in dt_q]):.2g}, "
                     f"max {np.max([q[2] for q in dt_q]):.2g}")
        data["results"][name] = r
    return data


def plot(data):
    import matplotlib.pyplot as plt

    res = data["results"]
    names = [n for n in DATASETS if n in res]
    fig, axes = plt.subplots(len(names), 3, figsize=(14, 3.8 * len(names)), squeeze=False)
    for row, name in zip(axes, names):
        r = res[name]
        ep = np.asarray(r["epochs"])
        acc = 100 * np.asarray(r["acc_trial"])
        n = acc.shape[0]
        sd = acc.std(axis=0, ddof=1) if n > 1 else np.zeros_like(acc[0])
        row[0].errorbar(ep, acc.mean(axis=0), yerr=sd, capsize=2, marker=".",
                        label=f"exact solver, mean $\\pm$ sd over {n} seeds")
        b2 = 100 * np.asarray(r["acc_brian2"])
        row[0].errorbar([ep[-1]], [b2.mean()], yerr=[b2.std(ddof=1) if n > 1 else 0],
                        fmt="s", color="C3", capsize=3,
                        label=f"Brian2 ({int(r['brian2_samples'])} test samples)")
        row[0].set(xlabel="epoch", ylabel="test accuracy (%)",
                   title=f"{name}: network {'-'.join(map(str, np.asarray(r['sizes'])))}")
        row[0].legend(fontsize=8, loc="lower right")
        sil = 100 * np.asarray(r["silent_never"])
        x = np.arange(2)
        row[1].bar(x, [sil[:, 0].mean(), sil[:, -1].mean()],
                   yerr=[sil[:, 0].std(ddof=1) if n > 1 else 0,
                         sil[:, -1].std(ddof=1) if n > 1 else 0],
                   capsize=4, color=["0.6", "C0"], label="never fire in the trial (test set)")
        sps = 100 * np.asarray(r["silent_per_sample"])
        row[1].plot(x, [sps[:, 0].mean(), sps[:, -1].mean()], "o--", color="C1",
                    label="silent per sample (mean)")
        row[1].set_xticks(x, ["before training", "after training"])
        row[1].set(ylabel="silent hidden neurons (%)", ylim=(0, 105),
                   title="silent hidden neurons")
        row[1].legend(fontsize=8)
        ex = r["example"]
        T = float(np.asarray(data["parameters"]["T"]))
        layers = len([k for k in ex if k.startswith("brian2_")])
        off = 0
        for l in range(layers):
            e0 = np.asarray(ex[f"exact_init_{l}"])
            e1 = np.asarray(ex[f"exact_trained_{l}"])
            b = np.asarray(ex[f"brian2_{l}"])
            idx = np.arange(e1.size) + off
            lab = l == 0
            k0 = e0 <= T
            n_init = sum(int(np.sum(np.asarray(ex[f"exact_init_{m}"]) <= T))
                         for m in range(layers))
            row[2].plot(10 * e0[k0], idx[k0], "x", color="0.5", ms=4,
                        label=(f"untrained: {n_init} in trial" if lab else None))
            k1 = e1 <= T
            row[2].plot(10 * e1[k1], idx[k1], "o", mfc="none", color="C0", ms=4,
                        label="trained (exact)" if lab else None)
            kb = b >= 0
            row[2].plot(10 * b[kb], idx[kb], ".", color="C3", ms=3,
                        label="trained (Brian2)" if lab else None)
            off += e1.size
            row[2].axhline(off - 0.5, color="0.85", lw=0.5)
        row[2].axvline(10 * T, color="k", ls=":", lw=0.8, label="trial end")
        row[2].set(xlabel="time (ms)", ylabel="neuron (hidden layers, then output)",
                   title=f"first spikes, one test sample (label {int(ex['label'])})",
                   xlim=(0, 10 * T * 2.1))  # room for the legend after the trial end
        row[2].legend(fontsize=7, loc="center right")
    fig.suptitle("Deep theta-neuron network, time-to-first-spike coding, exact gradients "
                 "(pseudospikes = continued dynamics)", fontsize=11)
    fig.tight_layout()
    return fig


STUDY = Study(
    name="spike-time-classification",
    title="Deep initially silent theta network, TTFS: Yin-Yang and digits; Brian2 check",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    # one data set (one JIT compilation), small network and data, a larger learning rate
    # (so that output spikes enter the trial), coarse Brian2 step
    quick={"datasets": "yinyang", "seeds": 2, "epochs_yinyang": 5, "hidden_yinyang": 16,
           "n_train": 500, "n_test": 60, "lr": 1.5e-2, "brian2_samples": 60,
           "brian2_dt": 0.02 * ms},
    devices=("runtime",),
    default_device="runtime",
    reference="Klos & Memmesheimer (2025) Phys Rev Lett, arXiv 2309.14523; Kriener et al. "
              "(2021) Yin-Yang data set",
    seeds_parameter="seeds",
)
