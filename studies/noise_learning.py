"""Noise-driven learning (NDL) vs a deterministic SNN with the same-shaped surrogate, on 8x8 digits.

Reference: Ma G, Yan R, Tang H (2023) Exploiting noise as a resource for
computation and learning in spiking neural networks. Patterns (NSNN, NDL;
robustness of noisy networks to input and weight perturbations).

    neuromodels run noise-learning [--device runtime|cpp_standalone] [--quick]

Network 64-100-10 of escape-noise LIF neurons (threshold 1, tau = 2 steps,
T = 20 steps per sample, rate-coded pixels p = pixel/16), trained by the
package's three-factor rule (:mod:`neuromodels.learning`): NSNN fires with
probability F((v - theta)/sigma) and learns with the noise density; the
deterministic SNN fires when v > theta and learns with the *same* density as
its surrogate gradient.  Test accuracy (mean ± s.d. over seeds) and accuracy
under Gaussian input noise, salt-and-pepper noise, spike deletion, spike-time
jitter and relative weight noise, each network tested with its own firing.

The network is :func:`neuromodels.learning.feedforward` of the escape-noise LIF
(:func:`neuromodels.learning.ndl_neuron`; threshold 1 mV above rest and reset, decay 1/2
per 1 ms step) with a per-neuron ``sigma``: the deterministic SNN is its sigma -> 0 limit,
so on C++ standalone one program serves all training runs and one all evaluations
(re-runs with new values); every run draws fresh noise from (seed, network, epoch).
"""
import numpy as np

from neuromodels.datasets import perturbations
from neuromodels.datasets.digits import load_digits
from neuromodels.datasets.encoding import rate_encode
from brian2 import mV

from neuromodels.learning import (NDL, TRAINING_DEVICES, Program, epoch_seed, feedforward,
                                  ndl_neuron, train)
from neuromodels.neurons.noise import available_noises
from neuromodels.neurons.noisy import escape_lif
from neuromodels.parameters import Parameter, ParameterSet, positive
from neuromodels.study import Study

MODELS = ("noisy", "deterministic")
LABELS = {"noisy": "NSNN (noise-driven learning)",
          "deterministic": "deterministic SNN (same-shaped surrogate)"}
#: Perturbation strengths (0 = clean) and what they mean.
PERTURBATIONS = {
    "gaussian": ((0.0, 0.1, 0.2, 0.3, 0.4, 0.5), "input noise s.d. (pixel/16 units)"),
    "salt_and_pepper": ((0.0, 0.05, 0.1, 0.2, 0.3, 0.4), "fraction of pixels set to 0 or 1"),
    "deletion": ((0.0, 0.1, 0.2, 0.3, 0.5, 0.7), "fraction of input spikes deleted"),
    "jitter": ((0.0, 1.0, 2.0, 3.0, 4.0, 6.0), "spike-time jitter s.d. (time steps)"),
    "weight": ((0.0, 0.1, 0.2, 0.3, 0.5, 0.7), "relative weight noise s.d."),
}
INPUT_KINDS, SPIKE_KINDS = perturbations.INPUT_KINDS, perturbations.SPIKE_KINDS

PARAMETERS = ParameterSet(
    Parameter("n_hidden", 100, "hidden neurons", low=1, integer=True),
    Parameter("T", 20, "time steps per sample", low=1, integer=True),
    Parameter("epochs", 10, "training epochs", low=1, integer=True),
    Parameter("n_seeds", 3, "seeds (study seed, seed + 1, ...)", low=1, integer=True),
    Parameter("n_train", 0, "training samples used (0: all 1437)", low=0, integer=True),
    Parameter("n_test", 0, "test samples used (0: all 360)", low=0, integer=True),
    Parameter("n_repeats", 2, "encodings of the test set per perturbation level", low=1,
              integer=True),
    Parameter("n_levels", 6, "perturbation strengths per kind (clean and the strongest included)",
              low=2, high=6, integer=True),
    Parameter("noise", "gaussian", "noise distribution (firing and learning)",
              choices=available_noises()),
    positive("sigma", 0.4 * mV, "noise scale (threshold 1 mV above reset)"),
    positive("eta", 0.2 * mV ** 2, "learning rate (cosine-annealed over the epochs)"),
    positive("beta", 10.0, "softmax inverse temperature on count/T"),
    Parameter("feedback", "symmetric", "routing of the error to the hidden layer",
              choices=("symmetric", "random")),
)


def _test_spikes(x, T, rng):
    return np.moveaxis(rate_encode(x, T, seed=rng), 0, 1)


def _levels(kind, n_levels):
    """``n_levels`` of the strengths of ``kind``, evenly spread, clean and strongest included."""
    all_levels = PERTURBATIONS[kind][0]
    return tuple(all_levels[i] for i in np.round(np.linspace(0, len(all_levels) - 1,
                                                             n_levels)).astype(int))


def simulate(p, ctx):
    x_train, x_test, y_train, y_test = load_digits()
    if p["n_train"]:
        x_train, y_train = x_train[:p["n_train"]], y_train[:p["n_train"]]
    if p["n_test"]:
        x_test, y_test = x_test[:p["n_test"]], y_test[:p["n_test"]]
    n_levels = int(p["n_levels"])
    levels = {kind: _levels(kind, n_levels) for kind in PERTURBATIONS}
    n_test, T = len(y_test), int(p["T"])
    seeds = list(ctx.seeds)
    neuron = ndl_neuron(p["noise"], sigma=p["sigma"],
                        surrogate_sigma=p["sigma"]).per_neuron("sigma")
    net = feedforward([64, int(p["n_hidden"]), 10], neuron, T=T, feedback=p["feedback"],
                      beta=float(p["beta"]), rule=NDL(eta=p["eta"]))
    sigma = {"noisy": p["sigma"], "deterministic":
             escape_lif(p["noise"], deterministic=True).parameters["sigma"].default}

    def network(model, seed):
        state = net.initial_state(seed=seed)
        for layer in net.layers:
            state[layer, "sigma"] = np.ones(net.size(layer)) * sigma[model]
        return state

    trained, curves = {}, {m: {"train": [], "test": [], "epoch_seconds": []} for m in MODELS}
    program = Program(net, len(y_train) + n_test)
    for seed in seeds:
        for model in MODELS:
            ctx.progress(f"training {model} network, seed {seed}")
            h = train(net, network(model, seed), x_train, y_train, x_test, y_test,
                      epochs=int(p["epochs"]), seed=seed, session=ctx.session, program=program,
                      progress=ctx.progress)
            trained[model, seed] = h["state"]
            curves[model]["train"].append(h["history"]["train_accuracy"])
            curves[model]["test"].append(h["history"]["test_accuracy"])
            curves[model]["epoch_seconds"].append(h["history"]["seconds"])

    # robustness: clean and every input/spike perturbation level (n_repeats encodings each) in
    # one run per network; weight noise: one run per level on as many clean encodings
    rng = np.random.default_rng(ctx.seed + 10_000)
    n_repeats = int(p["n_repeats"])
    inputs, conditions = perturbations.perturbed_test_sets(
        x_test, T, {k: levels[k] for k in INPUT_KINDS + SPIKE_KINDS}, n_repeats, rng)
    n_copies = len(conditions) * n_repeats
    clean_copies = np.concatenate([_test_spikes(x_test, T, rng) for _ in range(n_copies)])
    labels = np.tile(y_test, n_copies)
    evaluator = Program(net, len(labels), plastic=False)
    readout = net.readout
    robustness = {m: {k: np.zeros((len(seeds), n_levels))
                      for k in PERTURBATIONS} for m in MODELS}
    block = n_repeats * n_test
    for si, seed in enumerate(seeds):
        for model in MODELS:
            state = trained[model, seed]
            ctx.progress(f"robustness of the {model} network, seed {seed}")
            counts = evaluator.run(state, inputs, labels, seed=epoch_seed(seed, 0, stream=1),
                                   session=ctx.session)["counts"]["output"]
            for c, (kind, level) in enumerate(conditions):
                acc = readout.accuracy(counts[c * block:(c + 1) * block], labels[:block])
                for k in (INPUT_KINDS + SPIKE_KINDS if kind == "clean" else (kind,)):
                    robustness[model][k][si, levels[k].index(level)] = acc
            for li, level in enumerate(levels["weight"]):
                noisy = state.copy()
                for proj in net.projections:
                    w = state[proj.name, "w"]
                    noisy[proj.name, "w"] = perturbations.weight_noise(np.asarray(w / mV), level,
                                                                       rng) * mV
                counts = evaluator.run(noisy, clean_copies, labels,
                                       seed=epoch_seed(seed, 1 + li, stream=1),
                                       session=ctx.session)["counts"]["output"]
                robustness[model]["weight"][si, li] = readout.accuracy(counts, labels)

    return {
        "equations": net.describe(),
        "seeds": np.array(seeds),
        "accuracy": {m: {"train": np.array(curves[m]["train"]),
                         "test": np.array(curves[m]["test"]),
                         "epoch_seconds": np.array(curves[m]["epoch_seconds"])} for m in MODELS},
        "robustness": {m: {k: robustness[m][k] for k in PERTURBATIONS} for m in MODELS},
        "levels": {k: np.array(v) for k, v in levels.items()},
        "n_train": len(y_train), "n_test": n_test,
    }


def plot(data):
    import matplotlib.pyplot as plt

    acc = data["accuracy"]
    rob = data["robustness"]
    seeds = data["seeds"]
    fig, axes = plt.subplots(2, 3, figsize=(15, 8.5))
    ax = axes[0, 0]
    for k, m in enumerate(MODELS):
        test = 100 * np.asarray(acc[m]["test"])
        epochs = np.arange(1, test.shape[1] + 1)
        sd = test.std(axis=0, ddof=1) if len(seeds) > 1 else np.zeros(test.shape[1])
        ax.errorbar(epochs, test.mean(axis=0), yerr=sd, color=f"C{k}", capsize=3, marker="o",
                    ms=3, label=f"{LABELS[m]}: {test[:, -1].mean():.1f} ± "
                                f"{test[:, -1].std(ddof=1) if len(seeds) > 1 else 0:.1f} %")
    ax.xaxis.get_major_locator().set_params(integer=True)
    lo, hi = ax.get_ylim()
    lo = np.floor(lo - 0.6 * (hi - lo))  # room for the legend below the curves
    ax.set(xlabel="epoch (accuracy after each)", ylim=(lo, hi),
           ylabel=f"test accuracy (%; axis cut: starts at {lo:g} %)",
           title=f"Training, digits 64-{data['parameters']['n_hidden']}-10, "
                 f"T = {data['parameters']['T']} steps")
    ax.legend(fontsize=8, loc="lower right", title="final test accuracy", title_fontsize=8)
    for ax, kind in zip(axes.flat[1:], PERTURBATIONS):
        levels = data["levels"][kind]
        for k, m in enumerate(MODELS):
            a = 100 * np.asarray(rob[m][kind])
            sd = a.std(axis=0, ddof=1) if len(seeds) > 1 else np.zeros(a.shape[1])
            ax.errorbar(levels, a.mean(axis=0), yerr=sd, color=f"C{k}", capsize=3, marker="o",
                        ms=3, label=LABELS[m])
        ax.axhline(10, color="0.5", ls=":", lw=1, label="chance (10 classes)")
        ax.set(xlabel=PERTURBATIONS[kind][1], ylabel="test accuracy (%)",
               title={"gaussian": "Gaussian input noise",
                      "salt_and_pepper": "salt-and-pepper noise",
                      "deletion": "input spike deletion", "jitter": "input spike-time jitter",
                      "weight": "weight noise"}[kind],
               ylim=(0, 100))
        ax.legend(fontsize=8, loc="center left")
    attrs = data["attrs"]
    fig.suptitle(f"Noise-driven learning vs deterministic SNN; mean ± s.d. over "
                 f"{len(seeds)} seeds ({', '.join(map(str, seeds))}); device {attrs['device']}",
                 fontsize=11)
    fig.tight_layout()
    return fig


def results(data):
    """Final-epoch test accuracy and robustness at the strongest perturbations, mean ± sd over
    seeds (README, Results)."""
    from neuromodels.results import mean_sd, table

    acc, rob, lev = data["accuracy"], data["robustness"], data["levels"]
    rows = [[f"test accuracy, {data['parameters']['feedback']} feedback",
             *(mean_sd(np.asarray(acc[m]["test"])[:, -1], 100, unit=" %") for m in MODELS)]]
    for kind in PERTURBATIONS:
        for k in range(1, len(lev[kind])):
            if k == len(lev[kind]) - 1 or (kind == "weight" and lev[kind][k] == 0.5):
                rows.append([f"{PERTURBATIONS[kind][1]} = {lev[kind][k]:g}",
                             *(mean_sd(np.asarray(rob[m][kind])[:, k], 100, 1, None, " %")
                               for m in MODELS)])
    return table(["", *(LABELS[m] for m in MODELS)], rows)


STUDY = Study(
    name="noise-learning",
    title="NSNN (noise-driven learning) vs deterministic SNN on digits: accuracy and robustness",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    quick={"n_train": 200, "n_test": 60, "epochs": 2, "n_seeds": 2, "n_hidden": 40,
           "n_levels": 2, "n_repeats": 1},
    results=results, seeds_parameter="n_seeds",
    devices=TRAINING_DEVICES,
    reference="Ma, Yan & Tang (2023) Patterns",
)
