"""BioLCNet (Ghaemi et al. 2022) trained end to end on scikit-learn's 8x8 digits, by the
size of its locally connected layer: random local weights, STDP in the local layer and
R-STDP (dopamine: +1 for a correct decision, -1 otherwise) in the readout, from pixels, all
learning in the same run.

    neuromodels run biolcnet [--quick]

Network: :func:`neuromodels.networks.biolcnet.scaled` (kernel 4, stride 2: 3 x 3 positions,
10 + 20 + 20 ms samples at dt 1 ms, 128 Hz white pixels), the classes 0 .. ``classes`` - 1
(BioLCNet's notebook: 0, 1, 2); trained with :func:`~neuromodels.learning.train` (one Brian2
run per epoch, plasticity and threshold adaptation off on test samples), read as the class
with the most output spikes.  Arms, from the same initial network, seed and input spikes:
end to end; the control, the readout's R-STDP rate 0 (the local layer learns as end to end:
the readout feeds nothing back to it); the local layer's STDP off (random local weights,
normalised; ``frozen_lc``): whether what the local layer learns helps.  Recorded per size,
arm and seed: train and test accuracy after every epoch, the largest change of the local and
of the readout weights, and the receptive fields of the channels at the middle position.
"""
import numpy as np

from neuromodels.devices import brian2_settings, numpy_target_parameter
from neuromodels.learning import Program, train
from neuromodels.networks import biolcnet as bl
from neuromodels.networks import stdp_learning as sl
from neuromodels.parameters import Parameter, ParameterSet
from neuromodels.study import Study

PARAMETERS = ParameterSet(
    Parameter("sizes", "10+25+50", "LC channels per position, '+'-separated",
              choices=("4+8", "10+25", "50", "10+25+50")),
    Parameter("classes", 3, "digits 0 .. classes - 1 (BioLCNet's notebook: 3)", low=2,
              high=10, integer=True),
    Parameter("epochs", 10, "training epochs", low=1, integer=True),
    Parameter("n_train", 0, "training samples (0: all of those classes)", low=0, integer=True),
    Parameter("n_test", 0, "test samples (0: all of those classes)", low=0, integer=True),
    Parameter("n_seeds", 3, "seeds", low=1, integer=True),
    Parameter("frozen_lc", True, "also the arm with the local layer's STDP off"),
    numpy_target_parameter(),
)

#: the arms: end to end; the control (the readout's rate 0); the local layer's STDP off (random
#: local weights, normalised): whether what the local layer learns helps the readout
ARMS = {"trained": {}, "control": dict(nu_out=0.0), "frozen": dict(nu_lc_pre=0.0, nu_lc_post=0.0)}
LABELS = {"trained": "end to end", "control": "readout rate 0 (control)",
          "frozen": "local STDP off"}
SHORT = {"trained": "end to end", "control": "control", "frozen": "LC frozen"}
COLOURS = {"trained": "C0", "control": "grey", "frozen": "C1"}


def _run(net, state, d, epochs, seed, ctx, program):
    h = train(net, state, *d, epochs=epochs, encode=bl.encoder(net), seed=seed,
              lr_schedule=lambda e, n: 1.0, session=ctx.session, program=program)
    return h["history"], h["state"]


def simulate(p, ctx):
    sizes = [int(s) for s in str(p["sizes"]).split("+")]
    d = bl.digits(int(p["classes"]), p["n_train"], p["n_test"])
    data = {"seeds": np.array(ctx.seeds), "sizes": np.array(sizes), "n_train": len(d[1]),
            "n_test": len(d[3])}
    with brian2_settings(target="numpy" if p["numpy_target"] else None):
        for size in sizes:
            nets = {key: bl.scaled(64, size, int(p["classes"]), **ARMS[key])
                    for key in ARMS if key != "frozen" or p["frozen_lc"]}
            rec, last = {}, {}
            for key, net in nets.items():    # one build each, re-run for every seed
                program = Program(net, len(d[1]) + len(d[3]), plastic=True)
                r = rec[key] = {}
                for seed in ctx.seeds:
                    ctx.progress(f"{size} channels, {key}, seed {seed}")
                    s0 = net.initial_state(seed=seed)
                    h, s = _run(net, s0, d, p["epochs"], seed, ctx, program)
                    for k in ("train", "test"):
                        r.setdefault(k, []).append(np.asarray(h[f"{k}_accuracy"], float))
                    r.setdefault("seconds", []).append(np.asarray(h["seconds"], float))
                    for proj in ("input_to_lc", "lc_to_output"):
                        r.setdefault(f"dw_{proj}", []).append(
                            np.abs(s[proj, "w"] - s0[proj, "w"]).max())
                    r.setdefault("fields", []).append(
                        bl.lc_fields(net, s["input_to_lc", "w"]).astype(np.float32))
                    last.setdefault(key, []).append(s["input_to_lc", "w"])
            # the local layer learns alike in both (the readout feeds nothing back to it)
            rec["lc_same"] = [np.array_equal(a, b) for a, b in zip(last["trained"],
                                                                  last["control"])]
            data[f"n{size}"] = {g: ({k: np.array(v) for k, v in r.items()} if isinstance(r, dict)
                                    else np.array(r)) for g, r in rec.items()}
    data["equations"] = nets["trained"].describe()
    return data


def _arms(data):
    return [key for key in ARMS if key in data[f"n{data['sizes'][0]}"]]


def plot(data):
    import matplotlib.pyplot as plt

    from neuromodels.plotting import decorate, over_seeds, run_label

    sizes, big = data["sizes"], f"n{data['sizes'][-1]}"
    chance = 100 / int(data["parameters"]["classes"])
    fig, axes = plt.subplots(1, 3, figsize=(16, 5.2))
    ax = axes[0]
    for key in _arms(data):
        acc = np.stack([data[f"n{s}"][key]["test"][:, -1] for s in sizes], 1)
        over_seeds(ax, sizes, 100 * acc, color=COLOURS[key], marker="o", label=LABELS[key])
    ax.axhline(chance, color="k", lw=0.5, ls=":", label=f"chance ({chance:.0f} %)")
    decorate(ax, legend=8, xlabel="LC channels per position", ylabel="test accuracy (%)",
             xticks=sizes, ylim=(0, 100), title="(a) accuracy after training vs size")
    ax = axes[1]
    for s, marker in zip(sizes, "os^D"):
        for key in _arms(data):
            v = data[f"n{s}"][key]["test"]
            over_seeds(ax, np.arange(1, v.shape[1] + 1), 100 * v, color=COLOURS[key],
                       marker=marker, label=f"{s} ch., {SHORT[key]}")
    ax.axhline(chance, color="k", lw=0.5, ls=":")
    decorate(ax, legend=None, xlabel="epoch", ylabel="test accuracy (%)", ylim=(0, 118),
             yticks=np.arange(0, 101, 20), xticks=np.arange(1, v.shape[1] + 1),
             title="(b) training curves")
    ax.legend(fontsize=6, ncol=len(sizes), loc="upper center")
    ax = axes[2]
    fields = sl.receptive_fields(data[big]["trained"]["fields"][0].T, 8)
    rows, cols = fields.any(axis=(0, 2)), fields.any(axis=(0, 1))      # the kernel's patch
    image = ax.imshow(sl.mosaic(fields[:, rows][:, :, cols], int(np.ceil(np.sqrt(
        len(fields))))), cmap="hot_r")
    fig.colorbar(image, ax=ax, label="input weight")
    ax.set(xticks=[], yticks=[], xlabel=f"seed {data['seeds'][0]}, {len(fields)} channels",
           title="(c) LC receptive fields, middle position")
    fig.suptitle(f"BioLCNet end to end on digits 0-{int(data['parameters']['classes']) - 1}; "
                 f"mean ± s.d. over {len(data['seeds'])} seeds; "
                 + run_label(data, f"{int(data['parameters']['epochs'])} epochs"), fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    return fig


def results(data):
    """Test accuracy per size, trained and control (mean ± s.d. over seeds)."""
    from neuromodels.results import mean_sd, table

    rows = []
    for s in data["sizes"]:
        r = data[f"n{s}"]
        rows.append([f"{s} ({data['n_train']} / {data['n_test']})",
                     *(mean_sd(r[key]["test"][:, -1], 100, 1, None, " %") for key in _arms(data)),
                     f"{np.mean(r['trained']['seconds']):.1f}"])
    return table(["LC channels (train / test samples)",
                  *(f"test accuracy, {LABELS[key]}" for key in _arms(data)),
                  "s per epoch (wall, end to end)"], rows)


STUDY = Study(
    name="biolcnet", simulate=simulate, plot=plot, parameters=PARAMETERS, results=results,
    title="BioLCNet (local STDP layer, R-STDP readout) end to end on digits, by size",
    quick={"sizes": "4+8", "classes": 3, "epochs": 1, "n_train": 20, "n_test": 10,
           "n_seeds": 1, "frozen_lc": False, "numpy_target": True},
    seeds_parameter="n_seeds", devices=("runtime", "cpp_standalone"),
    default_device="cpp_standalone", quick_device="runtime",     # quick: numpy, no build
    reference="Ghaemi et al. (2022) arXiv 2109.05539",
)
