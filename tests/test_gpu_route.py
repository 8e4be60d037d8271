"""The GPU route's CPU-side parts: the carried-wheel list, the benchmark script's arguments,
its results table (from a recorded run), the GeNN CUDA-13 fix, and the device-selection
errors for GPU backends.  No GPU, no simulation, no network."""
import hashlib
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from neuromodels import devices
from neuromodels.devices import DeviceError, DeviceSession, backend_name, check_device

BENCH = Path(__file__).resolve().parent / "benchmarks"
sys.path.insert(0, str(BENCH))
import gpu_route  # noqa: E402

pytestmark = pytest.mark.compat
FIXTURE = BENCH / "gpu_route_fixture.json"
BUNDLE = BENCH.parent.parent / ".gpu-bundle"


# ---------------------------------------------------------------- the carried-wheel list
def _wheel_name_version(filename):
    name, version = filename.split("-")[:2]
    return re.sub(r"[-_.]+", "-", name).lower(), version


def test_wheel_list_meets_the_issue_constraints():
    from packaging.specifiers import SpecifierSet

    listed = gpu_route.load_wheel_list()
    assert listed["python"] == "3.12"
    for site, constraints in listed["constraints"].items():
        in_site = {f["name"]: f for f in listed["files"] if site in f["sites"]}
        for name, spec in constraints.items():
            assert name in in_site, f"{name} is not carried for route {site}"
            assert in_site[name]["version"] in SpecifierSet(spec), (site, name, spec)
    for f in listed["files"]:
        if f["file"].endswith(".whl"):
            assert _wheel_name_version(f["file"]) == (f["name"], f["version"])
            assert re.search(r"-(cp312-cp312|py3-none)-", f["file"]), f["file"]
        if not f.get("built_from"):
            assert re.fullmatch(r"[0-9a-f]{64}", f["sha256"]) and f["bytes"] > 0
    assert sum(f["bytes"] or 0 for f in listed["files"]) < listed["limit_bytes"] / 2
    built = [f for f in listed["files"] if f.get("built_from")]
    assert built and all(f["optional"] for f in built)  # the sdist is the fallback
    assert any(f["file"] == built[0]["built_from"] and f.get("kind") == "sdist"
               for f in listed["files"])


@pytest.mark.skipif(not (BUNDLE / "MANIFEST.json").is_file(),
                    reason="no .gpu-bundle here (make gpu-bundle)")
def test_prepared_bundle_matches_the_list_and_fits():
    listed = gpu_route.load_wheel_list()
    manifest = json.loads((BUNDLE / "MANIFEST.json").read_text())
    assert manifest["total_bytes"] < listed["limit_bytes"]
    for f in listed["files"]:
        path = BUNDLE / ("sdist" if f.get("kind") == "sdist" else "wheels") / f["file"]
        if f.get("sha256"):
            assert hashlib.sha256(path.read_bytes()).hexdigest() == f["sha256"], path
    version = (BUNDLE / listed["genn"]["folder"] / "version.txt").read_text().strip()
    assert version == listed["genn"]["tag"]


# ---------------------------------------------------------------- the script's arguments
def test_defaults_and_case_order():
    args = gpu_route.parse_args([])
    assert args.routes == ["genn", "brian2cuda"] and args.sizes == [64_000, 256_000, 1_000_000]
    assert args.jobs >= 2 and args.deadline < 600  # inside one device command, with time left
    order = gpu_route.case_order(["cuba", "coba"], [1_000_000, 64_000, 256_000])
    assert order[0] == ("cuba", 64_000)  # the smoke case: cheapest first
    assert order[1:5] == [("cuba", 256_000), ("coba", 256_000),
                          ("cuba", 1_000_000), ("coba", 1_000_000)]
    assert order[-1] == ("coba", 64_000) and len(order) == 6


@pytest.mark.parametrize("argv, message", [
    (["--sizes", "0"], "--sizes must be > 0"),
    (["--sizes", "50"], "--sizes must be >= 100 neurons"),
    (["--duration", "-1"], "--duration must be > 0"),
    (["--jobs", "0"], "--jobs must be >= 1"),
    (["--routes", "opencl"], "invalid choice: 'opencl'"),
])
def test_bad_arguments_are_one_clear_error(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        gpu_route.parse_args(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_plan_prints_the_cases_and_touches_nothing(tmp_path, capsys):
    assert gpu_route.main(["--plan", "--work", str(tmp_path / "w"), "--out", str(tmp_path / "o"),
                           "--sizes", "4000", "--networks", "coba"]) == 0
    assert "coba 4000" in capsys.readouterr().out and not list(tmp_path.iterdir())


# ---------------------------------------------------------------- the results table
def test_table_from_a_recorded_run():
    recorded = json.loads(FIXTURE.read_text())
    assert "format fixture" in recorded["about"]  # a CPU rehearsal, not a GPU measurement
    table = gpu_route.format_table(recorded)
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["net", "neurons", "synapses"] and "speed-up" in lines[0]
    ok = [c for c in recorded["cases"] if c["status"] == "ok"]
    assert len(ok) >= 4
    assert sum(line.startswith(("cuba", "coba")) for line in lines) == len(recorded["cases"])
    for row in gpu_route.compare(recorded["cases"]):
        same = [c for c in ok if (c["network"], c["n"]) == (row["network"], row["n"])]
        ref = next(c for c in same if c["device"] == "cpp_standalone")
        gpu = next(c for c in same if c["backend"] == row["backend"])
        assert row["speedup"] == pytest.approx(ref["sim"] / gpu["sim"])
        assert f"{row['speedup']:.3g}x" in table
        # host-drawn connectivity and initial values: the same network on both devices
        assert gpu["synapses"] == ref["synapses"]


def test_verdicts_apply_the_issue_targets():
    cases = [
        {"network": "cuba", "n": 256_000, "device": "cpp_standalone", "backend": "C++ standalone",
         "status": "ok", "sim": 60.0, "rate": 5.0, "isi_cv": 0.50},
        {"network": "cuba", "n": 256_000, "device": "genn", "backend": "GeNN CUDA", "status": "ok",
         "sim": 1.0, "rate": 5.1, "isi_cv": 0.52},
        {"network": "coba", "n": 64_000, "device": "cpp_standalone", "backend": "C++ standalone",
         "status": "ok", "sim": 4.0, "rate": 20.0, "isi_cv": 1.0},
        {"network": "coba", "n": 64_000, "device": "genn", "backend": "GeNN CUDA", "status": "ok",
         "sim": 0.5, "rate": 22.0, "isi_cv": 1.1},
        {"network": "coba", "n": 256_000, "device": "genn", "backend": "GeNN CUDA",
         "status": "failed"},
    ]
    lines = gpu_route.verdicts(gpu_route.compare(cases))
    assert lines == [
        "GeNN CUDA cuba 256000: speed-up 60.0x >= 50x; rate +2.0% (within 5%); "
        "ISI CV +0.020 (within 0.05)",
        "GeNN CUDA coba 64000: rate +10.0% (outside 5%); ISI CV +0.100 (outside 0.05)",
    ]


def test_results_are_written_as_json_and_csv(tmp_path):
    import csv

    recorded = json.loads(FIXTURE.read_text())
    gpu_route.write_results(recorded, tmp_path)
    assert json.loads((tmp_path / "gpu_route.json").read_text())["cases"] == recorded["cases"]
    with open(tmp_path / "gpu_route.csv") as f:
        assert len(list(csv.DictReader(f))) == len(recorded["cases"])
    assert not list(tmp_path.glob(".*.tmp"))


def test_connectivity_cache_gives_the_draw_itself(tmp_path):
    import numpy as np

    import gpu_case
    from neuromodels.connectivity import fixed_probability
    from neuromodels.networks import brette2007

    draw = brette2007.fixed_probability_blocks
    try:
        gpu_case.cached_connectivity(tmp_path)
        for _ in range(2):  # drawn and stored, then read back
            rng = np.random.default_rng(3)
            rng.uniform(size=5)
            blocks = list(brette2007.fixed_probability_blocks(300, 300, 0.1, rng, autapses=False))
            after = rng.random()
    finally:
        brette2007.fixed_probability_blocks = draw
    assert len(blocks) == 1
    i, j = blocks[0]
    rng = np.random.default_rng(3)
    rng.uniform(size=5)
    i0, j0 = fixed_probability(300, 300, 0.1, rng, autapses=False)
    assert np.array_equal(i, i0) and np.array_equal(j, j0) and after == rng.random()
    assert len(list(tmp_path.glob("connectivity-300-*.npz"))) == 1


# ---------------------------------------------------------------- GeNN 4.9.0 with CUDA 13
def test_cuda13_fix_of_genn_optimiser(tmp_path):
    source = tmp_path / "src" / "genn" / "backends" / "cuda" / "optimiser.cc"
    source.parent.mkdir(parents=True)
    source.write_text("    CUcontext cuContext;\n" + gpu_route.CUDA13_CALL + "    // rest\n")
    assert gpu_route.patch_genn_cuda13(tmp_path) == "applied"
    text = source.read_text()
    assert ("cuCtxCreate(&cuContext, nullptr, 0, cuDevice)" in text
            and "#if CUDA_VERSION >= 13000" in text)
    assert gpu_route.patch_genn_cuda13(tmp_path) == "already applied" and source.read_text() == text
    source.write_text("// another GeNN version\n")
    assert gpu_route.patch_genn_cuda13(tmp_path) == "call not found: not applied"


# ---------------------------------------------------------------- device selection for GPUs
def test_gpu_choice_applies_to_gpu_backends_only():
    for name in ("runtime", "cpp_standalone"):
        with pytest.raises(DeviceError, match=f"use_gpu .--gpu. applies to device 'genn'.*"
                                              f"device '{name}' runs on the CPU"):
            check_device(name, use_gpu=True)


def test_unknown_device_lists_brian2cuda_too():
    with pytest.raises(DeviceError,
                       match="choose one of: runtime, cpp_standalone, genn, cuda_standalone"):
        check_device("cuda")


@pytest.mark.skipif(importlib.util.find_spec("brian2cuda") is not None,
                    reason="brian2cuda is installed")
def test_brian2cuda_missing_says_what_it_needs():
    with pytest.raises(DeviceError, match=r"needs the brian2cuda package \(1.0b1\), "
                                          r"which requires brian2 "
                                          r"2.10.1 and Python >= 3.12 \(here: Python 3\.\d+"):
        check_device("cuda_standalone", devices.KNOWN_DEVICES)


def test_models_accept_brian2cuda_only_where_declared():
    with pytest.raises(DeviceError, match="does not support device 'cuda_standalone'"):
        check_device("cuda_standalone", devices.ALL_DEVICES, what="this model")


@pytest.fixture
def genn_ready(monkeypatch, tmp_path):
    """Pretend brian2genn, brian2 2.5 and a GeNN folder (without a CUDA backend) are present."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: object() if name == "brian2genn" else real(name, *a))
    monkeypatch.setattr(devices.requirements, "_brian2_version", lambda: (2, 5, 4))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "genn-buildmodel.sh").write_text("")
    monkeypatch.setenv("GENN_PATH", str(tmp_path))
    cuda = tmp_path / "cuda"
    for f in ("bin/nvcc", "include/cuda_runtime.h"):
        (cuda / f).parent.mkdir(parents=True, exist_ok=True)
        (cuda / f).write_text("")
    monkeypatch.setenv("CUDA_PATH", str(cuda))
    return tmp_path


def test_genn_on_the_gpu_says_what_is_missing(genn_ready, monkeypatch):
    check_device("genn")  # the CPU backend is unaffected
    with pytest.raises(DeviceError,
                       match=f"GeNN at {genn_ready} has none .lib/libgenn_cuda_backend.a.: "
                             f"build it with `CUDA_PATH=.* make -C {genn_ready} cuda`"):
        check_device("genn", use_gpu=True)
    (genn_ready / "lib").mkdir()
    (genn_ready / "lib" / "libgenn_cuda_backend.a").write_text("")
    no_driver = "no NVIDIA driver here (libcuda.so.1 cannot be loaded)"
    monkeypatch.setattr(devices.requirements, "_gpu_probe", lambda: (no_driver, None))
    with pytest.raises(DeviceError, match="device 'genn' on the GPU: no NVIDIA driver here"):
        check_device("genn", use_gpu=True)
    monkeypatch.setattr(devices.requirements, "_gpu_probe", lambda: (None, "NVIDIA H200"))
    check_device("genn", use_gpu=True)
    monkeypatch.setenv("CUDA_PATH", str(genn_ready / "nowhere"))
    with pytest.raises(DeviceError, match="needs CUDA's compiler nvcc and its headers "
                                          ".CUDA_PATH=.*nowhere has no bin/nvcc"):
        check_device("genn", use_gpu=True)


def test_provenance_names_the_backend_and_the_gpu(monkeypatch):
    monkeypatch.setattr(devices.requirements, "_gpu_probe", lambda: (None, "NVIDIA H200"))
    assert DeviceSession("genn").provenance["backend"] == "GeNN CPU"
    gpu = DeviceSession("genn", use_gpu=True).provenance
    assert gpu["backend"] == "GeNN CUDA" and gpu["gpu"] == "NVIDIA H200"
    assert DeviceSession("cuda_standalone", use_gpu=True).provenance["backend"] == "Brian2CUDA"
    cpu = DeviceSession("cpp_standalone", threads=1).provenance
    assert cpu["backend"] == "C++ standalone" and "gpu" not in cpu
    assert backend_name("runtime") == "Brian2 runtime (Cython)"


def test_cli_takes_gpu_and_refuses_it_before_anything_runs(tmp_path, monkeypatch, capsys):
    from neuromodels.cli import build_parser, main
    from tests.test_cli import TOY_STUDY

    assert build_parser().parse_args(["run", "x", "--device", "genn", "--gpu"]).gpu is True
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "toy.py").write_text(TOY_STUDY)
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(tmp_path / "studies"))
    assert main(["run", "toy", "--gpu", "--out", str(tmp_path / "out")]) == 2
    assert ("error: use_gpu (--gpu) applies to device 'genn' (GeNN's CUDA backend) "
            "and 'cuda_standalone' "
            "(always on the GPU); device 'runtime' runs on the CPU.") in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
