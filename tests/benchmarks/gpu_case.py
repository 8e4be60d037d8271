"""One case of the GPU benchmark (``gpu_route.py``): one network, size and device, in its own
process, printing one JSON line.

The network is ``bench_cuba``'s package build (``neuromodels.networks.brette2007``, ~80
synapses per neuron), run through ``neuromodels.devices.use_device``.  Timed phases:
``construct`` (Brian2 objects and host-side connectivity), ``build`` (code generation and
compilation), ``sim`` (the simulation loop, as the compiled program reports it) and
``other`` (the rest of the program's run: start, loading the arrays, copies to and from the
GPU, writing the results).  Builds of several cases overlap; the runs take turns: one
simulation at a time on the GPU and one at a time on the CPU (a lock each).

Connectivity is drawn once per size and kept in ``cache`` (keyed on the arguments and the
generator's state, so a cached draw is exactly the draw that would have been made): the
CUBA and COBA networks of one size share one draw.  ``--draw-only`` fills the cache.

    python gpu_case.py '{"device": "cpp_standalone", "network": "cuba", "n": 64000, ...}'
"""
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _Drawn(Exception):
    """Raised after a draw-only case has stored its connectivity."""


def cached_connectivity(cache: Path, stop_after_draw: bool = False):
    """Wrap ``brette2007.fixed_probability_blocks`` so that each draw is stored in / read
    from ``cache`` (as one block: the blocks concatenated are the same draw)."""
    import numpy as np

    from neuromodels.networks import brette2007

    draw = brette2007.fixed_probability_blocks

    def fixed_probability_blocks(n_source, n_target, p, rng, autapses=True, block=None):
        state = rng.bit_generator.state
        key = hashlib.sha256(json.dumps([n_source, n_target, p, autapses, state],
                                        sort_keys=True).encode()).hexdigest()[:16]
        path = cache / f"connectivity-{n_source}-{key}.npz"
        if path.is_file():
            with np.load(path) as f:
                i, j, after = f["i"], f["j"], json.loads(str(f["state_after"]))
            rng.bit_generator.state = after
        else:
            blocks = list(draw(n_source, n_target, p, rng, autapses=autapses, block=block))
            i = np.concatenate([b[0] for b in blocks]) if blocks else np.empty(0, np.int32)
            j = np.concatenate([b[1] for b in blocks]) if blocks else np.empty(0, np.int32)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
            np.savez(tmp, i=i, j=j, state_after=json.dumps(rng.bit_generator.state))
            os.replace(tmp, path)
        if stop_after_draw:
            raise _Drawn
        yield i, j

    brette2007.fixed_probability_blocks = fixed_probability_blocks


@contextlib.contextmanager
def run_lock(work: Path, name: str):
    """Exclusive use of the GPU or of the CPU for one simulation (``name``: 'gpu' or 'cpu')."""
    with open(work / f"{name}.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _cuda_prefs(spec):
    """Brian2CUDA: C++17 (CUDA 13's Thrust/CUB require it; brian2cuda 1.0b1's makefile says
    -std=c++11, and the last -std wins); for the GPU found by nvidia-smi, or (compile_only)
    for sm_90."""
    from brian2 import prefs

    cuda = prefs.devices.cuda_standalone.cuda_backend
    cuda.extra_compile_args_nvcc = list(cuda.extra_compile_args_nvcc) + ["-std=c++17"]
    prefs.codegen.cpp.extra_compile_args_gcc = [
        "-std=c++17" if a == "-std=c++11" else a for a in prefs.codegen.cpp.extra_compile_args_gcc]
    if spec.get("compile_only"):
        prefs.devices.cuda_standalone.cuda_backend.detect_gpus = False
        prefs.devices.cuda_standalone.cuda_backend.gpu_id = 0
        prefs.devices.cuda_standalone.cuda_backend.compute_capability = 9.0


def run_case(spec: dict) -> dict:
    """Build and run one case; return its timings, statistics and provenance."""
    import warnings

    warnings.filterwarnings("ignore")
    import brian2
    import numpy as np
    from brian2 import defaultclock, get_device, ms, second

    sys.path.insert(0, str(HERE))
    import bench_cuba

    from neuromodels.analysis.spiketrains import isi_cv
    from neuromodels import devices
    from neuromodels.devices import KNOWN_DEVICES, use_device

    work, n, network = Path(spec["work"]), int(spec["n"]), spec["network"]
    cached_connectivity(Path(spec["cache"]), stop_after_draw=spec.get("draw_only", False))
    if spec.get("draw_only"):
        with contextlib.suppress(_Drawn):
            bench_cuba._build("package", network, n, np.random.default_rng(spec["seed"]))
        return {"drawn": n}

    device, use_gpu = spec["device"], spec.get("use_gpu", False)
    if spec.get("compile_only"):  # on a machine without a GPU: skip the driver's check
        devices.requirements._gpu_probe = lambda: (None, "none (compile only)")
    out = {"brian2": brian2.__version__, "numpy": np.__version__,
           "python": sys.version.split()[0]}
    with use_device(device, supported=KNOWN_DEVICES, use_gpu=use_gpu,
                    seed=None if device == "genn" else spec["seed"], build_root=work / "builds",
                    keep_build=spec.get("keep_build", False),
                    what="The CUBA/COBA benchmark") as session:
        defaultclock.dt = 0.1 * ms
        if device == "cuda_standalone":
            _cuda_prefs(spec)
        t0 = time.perf_counter()
        net, mon, synapses = bench_cuba._build("package", network, n,
                                               np.random.default_rng(spec["seed"]))
        dev = get_device()
        dev.build_on_run = False  # build here, run below under the lock
        net.run(spec["duration"] * second)
        t1 = time.perf_counter()
        if device == "genn":  # brian2genn sets this flag at the end of run() and then refuses
            dev.run_statement_used = False  # every code object in a build called after it
        dev.build(**{**dev.build_options, "run": False})
        t2 = time.perf_counter()
        out.update(construct=t1 - t0, build=t2 - t1, **session.provenance)
        if spec.get("compile_only"):
            return {**out, "compiled": True}
        with run_lock(work, "gpu" if session.use_gpu else "cpu"):
            t3 = time.perf_counter()
            if device == "genn":
                dev.run(dev.project_dir, use_gpu, False)
            else:
                dev.run(directory=dev.project_dir, with_output=False, run_args=[])
            t4 = time.perf_counter()
        sim = float(dev._last_run_time)
        i, t = np.asarray(mon.i[:]), np.asarray(mon.t[:] / second)
        n_syn = sum(len(s) for s in synapses)
    cv = isi_cv(i, t, n)
    out.update(wait=t3 - t2, other=max(t4 - t3 - sim, 0.0), sim=sim, spikes=int(len(i)),
               synapses=int(n_syn), rate=len(i) / n / spec["duration"],
               isi_cv=float(np.nanmean(cv)) if np.isfinite(cv).any() else None,
               events_per_s=len(i) * n_syn / n / sim if sim > 0 else None)
    return out


if __name__ == "__main__":
    print(json.dumps(run_case(json.loads(sys.argv[1]))), flush=True)
