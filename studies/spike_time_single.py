"""Single-neuron spike-time learning with exact gradients (Klos & Memmesheimer 2025, task 1).

One QIF (theta) neuron, trial T = 10 tau, 22 input spikes: 20 at fixed times with fixed
weights, 2 whose weight and time are learned (clipped SGD on exact gradients).  The neuron
starts silent; its two output spikes start as pseudospikes after T and must move onto the
targets 2.5 and 7.5.  Training is exact (JAX, device-independent); the trained neuron is
then run as a Brian2 simulation (theta equations) on the chosen device and its spike times
are compared with the exact ones.

    neuromodels run spike-time-single [--device runtime|cpp_standalone] [--quick]
"""
import numpy as np
from brian2 import Network, ms

from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.exact.network import run as run_exact
from neuromodels.exact.tasks import (SINGLE_FIXED_TIMES, SINGLE_FIXED_WEIGHTS,
                                     SingleNeuronTask, train_single_neuron)
from neuromodels.networks.theta import network_from_exact
from neuromodels.neurons.theta import QIF_EXACT_EQUATIONS, THETA, spike_times
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per
from neuromodels.study import Study

PARAMETERS = ParameterSet(
    Parameter("n_trials", 3000, "training trials (parameter updates + 1)", low=1, integer=True),
    positive("lr", 0.1, "SGD learning rate"),
    positive("clip", 0.02, "elementwise gradient clip (each parameter moves <= lr*clip per trial)"),
    Parameter("chunk", 500, "trials per compiled lax.scan", low=1, integer=True),
    Parameter("tolerance", 1e-3, "a spike 'reaches' its target within this distance (tau)",
              low=0, low_open=True),
    Parameter("history_max", 3000, "stored history rows at most (subsampled evenly beyond)",
              low=2, integer=True),
    positive("tau", 10 * ms, "membrane time constant, the time unit of the task (Brian2 run)"),
    positive("dt", 10 * ms * 2.0 ** -10, "Brian2 integration step of the check run"),
    numpy_target_parameter(what=" for the check run"),
    steps_per("dt", "tau", at_least=100, what="time unit"),
)


def _subsample(n, m, keep=()):
    idx = np.unique(np.concatenate([np.linspace(0, n - 1, min(n, m)).round().astype(int),
                                    [i for i in keep if 0 <= i < n]]))
    return idx


def simulate(p, ctx):
    task = SingleNeuronTask()
    T = task.T
    ctx.progress(f"training {p['n_trials']} trials (exact gradients, JAX)")
    with ctx.timer("training (JAX)"):
        h = train_single_neuron(
            p["n_trials"], lr=p["lr"], clip=p["clip"], chunk=p["chunk"], task=task,
            progress=lambda d, n, loss: ctx.progress(f"trial {d}/{n}: loss {loss:.3g}"))
    hist, targets = h["history"], h["targets"]
    t_out, loss = hist["t_out"], hist["loss"]
    n = len(loss)
    real = np.all(t_out < T, axis=1)
    within = np.all(np.abs(t_out - targets) < p["tolerance"], axis=1)
    first_real = int(np.argmax(real)) if real.any() else -1
    first_within = int(np.argmax(within)) if within.any() else -1
    # the trained neuron (after the last update): exact solver and Brian2
    w_in = np.concatenate([h["final_weights"], SINGLE_FIXED_WEIGHTS])[:, None]  # (n_in, 1)
    t_in = np.concatenate([h["final_times"], SINGLE_FIXED_TIMES])
    exact = run_exact(np.zeros((1, 1)), w_in, t_in, np.arange(len(t_in)), np.zeros(1),
                      np.zeros(1), T)["spikes"][0]
    ctx.progress(f"trained neuron in Brian2 ({ctx.device}), dt = {float(p['dt'] / ms):.3g} ms")
    with brian2_settings(target="numpy" if p["numpy_target"] else None):
        objs = network_from_exact(np.zeros((1, 1)), w_in, t_in, np.arange(len(t_in)),
                                  np.zeros(1), np.zeros(1), tau=p["tau"], dt=p["dt"])
        ctx.run(Network(*objs["objects"]), T * p["tau"])
    brian = spike_times(objs["monitor"], p["dt"], p["tau"])[0]
    same = len(brian) == len(exact)
    diff = np.abs(brian - exact) if same else np.full(max(len(exact), 1), np.inf)
    ctx.progress(f"exact spikes {np.round(exact, 6)}, Brian2 {np.round(brian, 6)}, "
                 f"max |diff| {np.max(diff):.2e} tau")
    idx = _subsample(n, p["history_max"], keep=(first_real, first_within, n - 1))
    return {
        "equations": {"brian2": str(THETA), "exact": QIF_EXACT_EQUATIONS},
        "history": {"trial": idx, "t_out": t_out[idx], "loss": loss[idx],
                    "weights": hist["weights"][idx], "times": hist["times"][idx]},
        "targets": targets, "T": T,
        "first_real": first_real, "first_within": first_within,
        "loss_start": float(loss[0]), "loss_end": float(loss[-1]),
        "t_out_start": t_out[0], "t_out_end": t_out[-1],
        "trained": {"weights": h["final_weights"], "times": h["final_times"],
                    "exact_spikes": np.asarray(exact), "brian2_spikes": np.asarray(brian),
                    "max_abs_diff": float(np.max(diff))},
        "seconds_per_trial": float(hist.summary["seconds_per_trial"]),
    }


def plot(data):
    import matplotlib.pyplot as plt

    p = data["parameters"]
    hist = data["history"]
    trial, t_out, loss = hist["trial"], hist["t_out"], hist["loss"]
    T, targets = float(data["T"]), np.asarray(data["targets"])
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), gridspec_kw={"height_ratios": [1.5, 1]})
    ax = axes[0, 0]
    top = max(float(np.max(t_out)) + 0.3, T + 1)
    ax.axhspan(T, top, color="0.88", zorder=0)
    ax.text(trial[-1], T + 0.1, "pseudospikes (t > T)", ha="right", va="bottom", fontsize=8)
    for k in range(t_out.shape[1]):
        ax.plot(trial, t_out[:, k], color=f"C{k}", lw=1.5, label=f"output spike {k + 1}")
        ax.axhline(targets[k], color=f"C{k}", ls="--", lw=1,
                   label=f"target {targets[k]:g} τ")
    ax.axhline(T, color="k", lw=0.8)
    fr, fw = int(data["first_real"]), int(data["first_within"])
    if fr >= 0:
        ax.axvline(fr, color="0.4", ls=":", lw=1)
        ax.text(fr, 0.3, f" both real\n from trial {fr}", fontsize=8, va="bottom")
    if fw >= 0:
        ax.axvline(fw, color="C2", ls=":", lw=1)
        ax.text(fw, 4.8, f"within {float(p['tolerance']):g} τ\nfrom trial {fw} ", fontsize=8,
                ha="right", color="C2")
    ax.set(xlabel="trial (= parameter updates)", ylabel="output spike time (τ)",
           ylim=(0, top), xlim=(0, trial[-1]), title="(a) output spikes move onto the targets")
    ax.legend(loc="lower left", fontsize=8, ncol=2)
    ax = axes[0, 1]
    ax.semilogy(trial, loss, color="k")
    ax.set(xlabel="trial", ylabel="loss  mean$_k$(t$_k$ − t$^*_k$)² (τ²)",
           xlim=(0, trial[-1]), title="(b) loss")
    if fr >= 0:
        ax.axvline(fr, color="0.4", ls=":", lw=1, label=f"both spikes real from trial {fr}")
        ax.legend(fontsize=8, loc="lower left")
    ax = axes[1, 0]
    for k in range(hist["weights"].shape[1]):
        ax.plot(trial, hist["weights"][:, k], color=f"C{k + 3}", label=f"learned input {k + 1}")
    ax.set(xlabel="trial", ylabel="input weight", xlim=(0, trial[-1]),
           title="(c) learned input weights")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    for k in range(hist["times"].shape[1]):
        ax.plot(trial, hist["times"][:, k], color=f"C{k + 3}", label=f"learned input {k + 1}")
    ax.set(xlabel="trial", ylabel="input spike time (τ)", xlim=(0, trial[-1]), ylim=(0, T),
           title="(d) learned input times")
    ax.legend(fontsize=8)
    tr = data["trained"]
    ex = ", ".join(f"{x:.5f}" for x in np.asarray(tr["exact_spikes"]))
    br = ", ".join(f"{x:.5f}" for x in np.asarray(tr["brian2_spikes"]))
    attrs = data["attrs"]
    fig.suptitle(
        f"Single QIF neuron learns two spike times (exact gradients); τ = "
        f"{float(p['tau'] / ms):g} ms, T = {T:g} τ\n"
        f"trained neuron: exact [{ex}] τ, Brian2 ({attrs['device']}, dt = "
        f"{float(p['dt'] / ms):.3g} ms) [{br}] τ, max |diff| {float(tr['max_abs_diff']):.1e} τ",
        fontsize=10)
    fig.tight_layout()
    return fig


def results(data):
    """Task 1 in numbers (README, Results); the reference reaches the same updates."""
    from neuromodels.results import sig, table

    p = data["parameters"]
    start, end = np.asarray(data["t_out_start"]), np.asarray(data["t_out_end"])
    fr, fw = int(data["first_real"]), int(data["first_within"])
    return table(["start (silent)", "both spikes real", f"both within {float(p['tolerance']):g} τ "
                  "of the targets", "loss", "end spike times", "Brian2 re-run vs exact"],
                 [[f"pseudospikes at {start[0]:.3f} and {start[1]:.3f} τ",
                   f"from update {fr}" if fr >= 0 else "never",
                   f"from update {fw}" if fw >= 0 else "never",
                   f"{sig(data['loss_start'])} → {sig(data['loss_end'], 2)}",
                   f"{end[0]:.4f}, {end[1]:.4f} τ",
                   f"max \\|Δt\\| {sig(data['trained']['max_abs_diff'], 2)} τ "
                   f"(dt = τ/{float(p['tau'] / p['dt']):.0f})"]])


STUDY = Study(
    name="spike-time-single",
    title="Single QIF neuron learns two spike times with exact gradients (Klos & Memmesheimer)",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    results=results,
    quick={"n_trials": 2000, "numpy_target": True},    # Cython: ~45 s to compile cold
    devices=("runtime", "cpp_standalone"),
    default_device="runtime",
    reference="Klos C, Memmesheimer R-M (2025) Phys Rev Lett; arXiv 2309.14523 "
              "(single-neuron task)",
)
