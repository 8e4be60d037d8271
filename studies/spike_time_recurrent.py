"""Recurrent QIF network learns target spike trains with exact gradients (Klos & Memmesheimer
2025, task 2).

Ten QIF (theta) neurons, trial T = 10 tau; every neuron gets its own excitatory (+5) and
inhibitory (-5) Poisson input train at rate 1/tau (drawn with numpy, seed ``input_seed``).
The 10x9 recurrent weights and the initial (V, I) of every neuron are trained, all starting
at 0, so that neurons 0 and 1 fire the target trains of the task definition (5 and 4 spikes).
Two optimiser configurations of the paper: ``decay`` (AdaBelief, learning rate decaying by
1/e every ``decay_steps`` trials) and ``line_search`` (AdaBelief with b2 = 0.99, each step
scaled by the best of 50 factors that moves no output spike by more than ``dt_max``).
Training is exact (JAX, device-independent); the trained networks are then run as one
Brian2 network (theta equations; block-diagonal weights, one copy of the inputs each) on the
chosen device and compared with the exact spikes (``--quick`` on runtime: Brian2's numpy
target, nothing to compile).
Stored weights ``W`` are (n_pre, n_post); ``V_init``, ``I_init`` the learned initial state.

    neuromodels run spike-time-recurrent [--device runtime|cpp_standalone] [--quick]
"""
import numpy as np
from brian2 import Network, ms
from scipy.linalg import block_diag

from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.exact.network import run as run_exact
from neuromodels.exact.tasks import RECURRENT_SEED, RecurrentTask, train_recurrent
from neuromodels.networks.theta import network_from_exact
from neuromodels.neurons.theta import QIF_EXACT_EQUATIONS, THETA, spike_times
from neuromodels.parameters import Parameter, ParameterSet, positive, steps_per
from neuromodels.study import Study

CONFIGS = ("decay", "line_search")
LABELS = {"decay": "AdaBelief, lr × 1/e per 2000 trials",
          "line_search": "AdaBelief (b2 = 0.99), line search"}

PARAMETERS = ParameterSet(
    Parameter("configurations", "both", "optimiser configuration(s) to train",
              choices=("decay", "line_search", "both")),
    Parameter("n_trials", 10001, "training trials of the 'decay' configuration", low=1,
              integer=True),
    Parameter("n_trials_line_search", 5000, "training trials of the 'line_search' configuration",
              low=1, integer=True),
    positive("lr", 1e-2, "AdaBelief learning rate (initial, for 'decay')"),
    Parameter("decay_steps", 2000, "trials per 1/e learning-rate decay ('decay')", low=1,
              integer=True),
    positive("dt_max", 0.5, "line search: largest allowed move of an output spike (tau)"),
    Parameter("input_seed", RECURRENT_SEED, "seed of the numpy draw of the Poisson inputs",
              low=0, integer=True),
    Parameter("history_max", 2000, "stored rows of the output-time history at most",
              low=2, integer=True),
    positive("tau", 10 * ms, "membrane time constant, the time unit of the task (Brian2 run)"),
    positive("dt", 10 * ms * 2.0 ** -12, "Brian2 integration step of the check run (the "
             "line-search network has weights up to ~50: tau/1024 gave 4e-3 tau, tau/4096 2e-4)"),
    numpy_target_parameter(what=" for the check run"),
    steps_per("dt", "tau", at_least=100, what="time unit"),
)


def _spikes(spike_list):
    i = np.concatenate([np.full(len(s), k) for k, s in enumerate(spike_list)]).astype(int)
    t = np.concatenate([np.asarray(s, dtype=float) for s in spike_list])
    return {"i": i, "t": t}


def _exact_spikes(task, W, V_init, I_init):
    return run_exact(W, np.asarray(task.w_in), np.asarray(task.in_times),
                     np.asarray(task.in_channels), V_init, I_init, task.T)["spikes"]


def simulate(p, ctx):
    task = RecurrentTask(seed=p["input_seed"])
    N, T = task.N, task.T
    configs = CONFIGS if p["configurations"] == "both" else (p["configurations"],)
    data = {"equations": {"brian2": str(THETA), "exact": QIF_EXACT_EQUATIONS},
            "T": T, "N": N, "configs": np.array(configs, dtype="S"),
            "inputs": {"t": np.asarray(task.in_times), "channel": np.asarray(task.in_channels)},
            "targets": {str(i): np.asarray(t)[:-1] for i, t in enumerate(task.targets)},
            "before": _spikes(_exact_spikes(task, np.zeros((N, N)), np.zeros(N), np.zeros(N)))}
    trained = {}
    for name in configs:
        n = p["n_trials_line_search"] if name == "line_search" else p["n_trials"]
        ctx.progress(f"{name}: training {n} trials (exact gradients, JAX)")
        with ctx.timer("training (JAX)"):
            h = train_recurrent(
                n, lr=p["lr"], decay_steps=p["decay_steps"], task=task,
                line_search=name == "line_search", dt_max=p["dt_max"],
                progress=lambda d, tot, loss, name=name: ctx.progress(
                    f"{name}: trial {d}/{tot}: loss {loss:.3g}"))
        hist = h["history"]
        loss = hist["loss"]
        idx = np.unique(np.linspace(0, len(loss) - 1, min(len(loss), p["history_max"]))
                        .round().astype(int))
        W, V_init, I_init = h["final_W"], h["final_V_init"], h["final_I_init"]
        trained[name] = (W, V_init, I_init)
        after = _exact_spikes(task, W, V_init, I_init)
        data[name] = {
            "loss": loss, "trial": idx,
            "t_out": {str(i): hist[f"t_out_{i}"][idx] for i in range(len(task.targets))},
            "W": W, "V_init": V_init, "I_init": I_init, "after": _spikes(after),
            "seconds_per_trial": float(hist.summary["seconds_per_trial"]),
            "orders": float(np.log10(loss[0] / loss[-1])),
        }
        ctx.progress(f"{name}: loss {loss[0]:.3g} -> {loss[-1]:.3g} "
                     f"({data[name]['orders']:.2f} orders of magnitude)")
    # all trained networks as one Brian2 network (block-diagonal weights, each network its own
    # copy of the inputs): one set of code objects to build and run, however many there are
    ctx.progress(f"trained network(s) in Brian2 ({ctx.device}), dt = {float(p['dt'] / ms):.3g} ms")
    W, V_init, I_init = (list(x) for x in zip(*trained.values()))
    w_in, copies = np.asarray(task.w_in), len(trained)
    channels = np.concatenate([np.asarray(task.in_channels) + k * w_in.shape[0]
                               for k in range(copies)])
    with brian2_settings(target="numpy" if p["numpy_target"] else None):
        built = network_from_exact(block_diag(*W), block_diag(*[w_in] * copies),
                                   np.tile(np.asarray(task.in_times), copies), channels,
                                   np.concatenate(V_init), np.concatenate(I_init),
                                   tau=p["tau"], dt=p["dt"])
        ctx.run(Network(*built["objects"]), T * p["tau"])
    produced = spike_times(built["monitor"], p["dt"], p["tau"])
    for copy, name in enumerate(trained):
        got = produced[copy * N:(copy + 1) * N]
        exact = data[name]["after"]
        ex = [exact["t"][exact["i"] == k] for k in range(N)]
        same = all(len(g) == len(e) for g, e in zip(got, ex))
        diff = max((float(np.max(np.abs(g - e))) for g, e in zip(got, ex) if len(e)),
                   default=0.0) if same else np.inf
        data[name]["brian2"] = _spikes(got)
        data[name]["brian2_same_counts"] = same
        data[name]["brian2_max_abs_diff"] = diff
        ctx.progress(f"{name}: Brian2 vs exact: same spike counts {same}, "
                     f"max |diff| {diff:.2e} tau")
    return data


def _raster(ax, spikes, targets, T, title):
    ax.plot(spikes["t"], spikes["i"], "|", color="k", ms=9, mew=1.5, label="produced")
    for k, tar in targets.items():
        ax.plot(tar, np.full(len(tar), int(k)) + 0.35, "v", color="C3", ms=5,
                label="target" if k == "0" else None)
    ax.set(xlim=(0, T), ylim=(-0.7, 9.7), yticks=range(10), xlabel="time (τ)",
           ylabel="neuron", title=title)
    ax.invert_yaxis()


def plot(data):
    import matplotlib.pyplot as plt

    p = data["parameters"]
    T = float(data["T"])
    configs = [c.decode() if isinstance(c, bytes) else str(c) for c in data["configs"]]
    targets = data["targets"]
    ncol = 1 + len(configs)
    fig = plt.figure(figsize=(4.6 * ncol, 8.2))
    gs = fig.add_gridspec(2, ncol, height_ratios=[1, 1.05])
    ax = fig.add_subplot(gs[0, : max(1, ncol // 2)])
    for k, name in enumerate(configs):
        loss = data[name]["loss"]
        ax.loglog(np.arange(1, len(loss) + 1), loss, color=f"C{k}", lw=1,
                    label=f"{name}: {LABELS[name]}\n{loss[0]:.3g} → {loss[-1]:.2g} "
                          f"({float(data[name]['orders']):.2f} decades)")
    ax.set(xlabel="trial + 1", ylabel="loss (relative squared error)",
           title="(a) loss over training")
    ax.legend(fontsize=7, loc="lower left", framealpha=0.9)
    main = configs[0]
    d = data[main]
    right = gs[0, max(1, ncol // 2):].subgridspec(1, len(targets), wspace=0.08)
    first = None
    for col, (k, tar) in enumerate(targets.items()):
        ax = fig.add_subplot(right[0, col], sharey=first)
        first = first or ax
        t_out = d["t_out"][k]
        for j in range(len(tar)):  # spike j of neuron k and its target in one colour
            ax.plot(d["trial"] + 1, t_out[:, j], color=f"C{j}", lw=0.9)
            ax.axhline(tar[j], color=f"C{j}", ls="--", lw=0.7)
        ax.axhspan(T, 1.1 * T + 1, color="0.88", zorder=0)
        ax.axhline(1.1 * T, color="0.3", ls=":", lw=0.8)
        ax.set_xscale("log")
        ax.set(xlabel="trial + 1", ylim=(0, 1.1 * T + 1),
               title=f"(b) neuron {k}: spikes vs its {len(tar)} targets ({main})")
        ax.title.set_fontsize(10)
        if col == 0:
            ax.set_ylabel("output spike time (τ)")
        else:
            ax.tick_params(labelleft=False)
            ax.text(d["trial"][-1] + 1, 1.1 * T, "no spike: 1.1 T ", ha="right", va="bottom",
                    fontsize=8)
    ax.plot([], [], color="0.3", label="k-th spike (colour: k)")
    ax.plot([], [], color="0.3", ls="--", label="its target")
    ax.fill_between([], [], color="0.88", label="pseudospike (none in trial)")
    ax.legend(fontsize=8, loc="lower left", framealpha=0.95)
    ax = fig.add_subplot(gs[1, 0])
    _raster(ax, data["before"], targets, T, "(c) before training")
    ax.legend(fontsize=8, loc="lower right")
    for k, name in enumerate(configs):
        ax = fig.add_subplot(gs[1, 1 + k])
        _raster(ax, data[name]["after"], targets, T,
                f"({chr(ord('d') + k)}) after training: {name}")
    attrs = data["attrs"]
    diffs = ", ".join(f"{name}: {float(data[name]['brian2_max_abs_diff']):.1e} τ"
                      for name in configs)
    fig.suptitle(f"Recurrent network of 10 QIF neurons learns target spike trains of neurons "
                 f"0 and 1 (exact gradients); input seed {int(p['input_seed'])}, τ = "
                 f"{float(p['tau'] / ms):g} ms\ntrained networks in Brian2 ({attrs['device']}, "
                 f"dt = {float(p['dt'] / ms):.3g} ms) vs exact, max |spike-time diff|: {diffs}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def results(data):
    """Task 2 in numbers for each optimiser (README, Results)."""
    from neuromodels.results import sig, table

    p = data["parameters"]
    labels = {"decay": f"AdaBelief, lr {float(p['lr']):g} decaying 1/e per "
                       f"{int(p['decay_steps'])} trials",
              "line_search": "AdaBelief (b2 = 0.99) with line search"}
    rows = []
    for name in (c.decode() if isinstance(c, bytes) else str(c) for c in data["configs"]):
        loss = np.asarray(data[name]["loss"])
        after = [sig(loss[k]) if k < loss.size else "–" for k in (100, 1000)]
        diff = float(data[name]["brian2_max_abs_diff"])
        rows.append([labels[name], f"{loss.size}", sig(loss[0]), *after, sig(loss[-1]),
                     f"{float(data[name]['orders']):.2f}",
                     f"{sig(diff, 2)} τ" if bool(data[name]["brian2_same_counts"])
                     else "spike counts differ"])
    return table(["optimiser", "trials", "start", "after 100", "after 1000", "end",
                  "orders of magnitude", f"Brian2 re-run (dt = τ/{float(p['tau'] / p['dt']):.0f}) "
                  "vs exact, max \\|Δt\\|"], rows)


STUDY = Study(
    name="spike-time-recurrent",
    title="Recurrent QIF network learns target spike trains with exact gradients "
          "(Klos & Memmesheimer)",
    simulate=simulate,
    plot=plot,
    parameters=PARAMETERS,
    results=results,
    quick={"n_trials": 300, "n_trials_line_search": 60, "dt": 10 * ms * 2.0 ** -10,
           "numpy_target": True},
    devices=("runtime", "cpp_standalone"),
    default_device="runtime",
    reference="Klos C, Memmesheimer R-M (2025) Phys Rev Lett; arXiv 2309.14523 (recurrent task)",
)
