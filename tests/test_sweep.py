"""Sweeps on Dask: checks before submitting, failure isolation, a killed worker, resume,
Ctrl-C, a separately started scheduler, and re-runs of a compiled program.

The sweeps run the tiny study in tests/sweep_studies/tiny_lif.py (20 LIF neurons per
seed, runtime device) on clusters bound to 127.0.0.1.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from neuromodels import store
from neuromodels.cli import main
from neuromodels.study import ProgramCache, StudyError, discover, run_study

STUDY_DIR = Path(__file__).resolve().parent / "sweep_studies"
REPO = Path(__file__).resolve().parent.parent
TINY = discover([STUDY_DIR])["tiny-lif"]
GRID = [-45.0, -42.0, -39.0]  # v_rest (mV)
SEEDS = [0, 1, 2]


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """The tiny study on the study path; ``tmp_path / 'fail'`` makes a point fail while it
    exists."""
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(STUDY_DIR))
    monkeypatch.setenv("TINY_LIF_FAIL", str(tmp_path / "fail"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    return tmp_path


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The tiny study's multi-seed single-command runs (one per grid point, seeds 0-2), in
    this process, one after the other: rate and analytic rate per seed, by v_rest in mV."""
    from brian2 import mV

    from neuromodels.sweep import run_measures

    out = tmp_path_factory.mktemp("sequential")
    results = {}
    for v in GRID:
        path = run_study(TINY, device="runtime", seed=SEEDS[0],
                         params={"v_rest": v * mV, "n_seeds": len(SEEDS)},
                         data_path=out / f"{v}.h5", verbose=False, figure=False)
        assert store.read_attrs(path)["seeds"] == SEEDS
        results[v] = {k: vals for k, (vals, _) in run_measures(TINY, path).items()}
    return results


def _children():
    import psutil

    return [p for p in psutil.Process().children(recursive=True)
            if p.is_running() and "resource_tracker" not in " ".join(p.cmdline())]


def _no_children_left(timeout=20.0):
    deadline = time.monotonic() + timeout
    while _children() and time.monotonic() < deadline:
        time.sleep(0.2)
    return _children()


def _rows(index_csv):
    import csv

    with open(index_csv, newline="") as f:
        return list(csv.DictReader(f))


def _assert_matches_sequential(result, sequential, points=GRID, seeds=SEEDS):
    """Every run's measures equal the sequential run's for that seed; the summary's mean and
    sd over seeds are those of the sequential values."""
    index = {(row["v_rest"], row["seed"]): row for row in result.index.rows()}
    for v in points:
        for k, s in enumerate(seeds):
            row = index[(v, s)]
            assert row["status"] in ("done", "kept"), row
            for m in ("rate", "rate_theory"):
                assert row[m] == sequential[v][m][k], (v, s, m)
    summary = {row["v_rest"]: row for row in result.summary.rows()}
    for v in points:
        for m in ("rate", "rate_theory"):
            ref = sequential[v][m][:len(seeds)]
            assert summary[v][f"{m}_mean"] == pytest.approx(ref.mean(), rel=1e-12, abs=0)
            assert summary[v][f"{m}_sd"] == pytest.approx(ref.std(ddof=1), rel=1e-12, abs=0)


# ------------------------------------------------------------ no Dask needed ---------

@pytest.mark.compat
def test_seeds_and_grid_parsing():
    from neuromodels.sweep import parse_grid, parse_seeds

    assert parse_seeds("0-3,7") == [0, 1, 2, 3, 7]
    assert parse_seeds(range(2)) == [0, 1]
    for bad in ("", "3-1", "a", "0,0", "-1"):
        with pytest.raises(StudyError, match="seed"):
            parse_seeds(bad)
    from brian2 import mV

    assert parse_grid(["v_rest=-45*mV,-40*mV", "n=10"]) == {"v_rest": [-45 * mV, -40 * mV],
                                                            "n": [10]}
    for bad in (["v_rest"], ["=1"], ["n=1", "n=2"]):
        with pytest.raises(StudyError, match="grid"):
            parse_grid(bad)


@pytest.mark.compat
def test_one_seed_per_run_equals_the_multi_seed_form(tmp_path):
    """``seeds=(s,)`` runs exactly seed s (no overlap), and gives what the multi-seed form
    gives for s; the study's seed count is recorded as 1."""
    from neuromodels.sweep import run_measures

    multi = run_study(TINY, device="runtime", seed=4, params={"n_seeds": 2},
                      data_path=tmp_path / "multi.h5", verbose=False, figure=False)
    assert store.read_attrs(multi)["seeds"] == [4, 5]
    both = run_measures(TINY, multi)["rate"][0]
    for k, s in enumerate((4, 5)):
        one = run_study(TINY, device="runtime", seeds=(s,), data_path=tmp_path / f"{s}.h5",
                        verbose=False, figure=False)
        attrs = store.read_attrs(one)
        assert attrs["seeds"] == [s] and attrs["parameters"]["n_seeds"] == "1"
        assert run_measures(TINY, one)["rate"][0][0] == both[k]
    # a run of the analytic check: the discretised rate is within 3 % of Lapicque's
    m = run_measures(TINY, multi)
    assert np.allclose(m["rate"][0], m["rate_theory"][0], rtol=0.03)


@pytest.mark.compat
def test_a_result_is_kept_only_if_readable_with_the_same_run_and_code(tmp_path):
    from brian2 import mV

    from neuromodels.sweep import current_code, stale_reason

    path = run_study(TINY, device="runtime", seeds=(3,), params={"v_rest": -40 * mV},
                     data_path=tmp_path / "run.h5", verbose=False, figure=False)
    attrs = store.read_attrs(path)
    expected = {k: attrs[k] for k in ("study", "quick", "device", "threads", "seeds", "parameters")}
    code = current_code(TINY)
    assert set(code) >= {"versions", "git_commit", "study_sha256"}
    assert stale_reason(path, expected, code) is None
    assert stale_reason(path, {**expected, "seeds": [4]}, code) == "other seeds"
    other = {**expected, "parameters": {**expected["parameters"], "v_rest": "-45. mV"}}
    assert stale_reason(path, other, code) == "other parameters"
    assert stale_reason(path, expected,
                        {**code, "git_commit": "abc"}).startswith("git_commit changed")
    newer = {**code, "versions": {**code["versions"], "brian2": "9.9"}}
    assert stale_reason(path, expected, newer).startswith("versions changed: brian2")
    assert stale_reason(path, expected, {**code, "study_hash": "x"}) == "no study_hash recorded"
    assert stale_reason(path, expected, {**code, "study_sha256": "x"}).startswith(
        "study_sha256 changed")  # the study script was edited
    (tmp_path / "cut.h5").write_bytes(path.read_bytes()[:200])
    assert stale_reason(tmp_path / "cut.h5", expected, code).startswith("unreadable")
    assert stale_reason(tmp_path / "none.h5", expected, code) == "no file"


@pytest.mark.parametrize("args, message", [
    (["--grid", "tau_x=1*ms,2*ms"], "Unknown parameter(s) 'tau_x'"),
    (["--grid", "v_rest=-45*mV,-40"], "Parameter 'v_rest' must have unit volt"),
    (["--grid", "v_rest=-45*mV,10*mV"], "Parameter 'v_rest' must be >= -80. mV and <= 0. V"),
    (["--grid", "n_seeds=1,2"], "'n_seeds' counts the seeds of a run"),
    (["--grid", "v_rest=-45*mV", "-p", "v_rest=-40*mV"], "both swept (--grid) and fixed (-p)"),
    (["--grid", "v_rest=-45*mV,-45*mV"], "repeats a value"),
    (["--seeds", "2-1"], "--seeds expects whole numbers and ranges"),
    (["--device", "genn"], "does not support device 'genn'"),
    (["--workers", "0"], "workers must be a whole number >= 1"),
])
def test_a_bad_sweep_is_one_clear_error_and_submits_nothing(tiny, capsys, monkeypatch, args,
                                                            message):
    pytest.importorskip("distributed", reason="sweeps need the sweep extra (dask[distributed])")
    from neuromodels.sweep import execution

    def no_cluster(*a, **k):
        raise AssertionError("a cluster was started for a bad sweep")

    monkeypatch.setattr(execution, "_client", no_cluster)
    out = tiny / "sweep"
    assert main(["sweep", "tiny-lif", "--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and message in err, err
    assert not out.exists()


def test_without_dask_the_sweep_command_names_the_extra(tiny, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    assert main(["sweep", "tiny-lif", "--out", str(tiny / "sweep")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: sweeps run on Dask, which is not installed here: pip install " \
                  "'neuromodels[sweep]' (installs dask[distributed])"


def test_build_reuse_reruns_the_compiled_program(tmp_path):
    """On C++ standalone (brian2 >= 2.6) a run that differs only in a runtime parameter re-runs
    the compiled program: no build, and the same result as on runtime for that value."""
    from .conftest import require_device

    require_device("cpp_standalone")
    from brian2 import mV

    from neuromodels.devices import can_rerun
    from neuromodels.sweep import run_measures

    programs = ProgramCache()
    try:
        paths = [run_study(TINY, device="cpp_standalone", seeds=(1,), params={"v_rest": v * mV},
                           data_path=tmp_path / f"cpp{v}.h5", verbose=False, figure=False,
                           programs=programs) for v in (-45.0, -39.0)]
    finally:
        programs.close()
    reused = [store.read_attrs(p)["build_reused"] for p in paths]
    assert reused == [False, can_rerun("cpp_standalone")]
    if reused[1]:
        assert store.read_attrs(paths[1])["timings"]["build"] == 0
        assert (programs.builds, programs.reruns) == (1, 1)
    for v, path in zip((-45.0, -39.0), paths):
        ref = run_study(TINY, device="runtime", seeds=(1,), params={"v_rest": v * mV},
                        data_path=tmp_path / f"rt{v}.h5", verbose=False, figure=False)
        a, b = store.read(path)["spikes"], store.read(ref)["spikes"]
        assert np.array_equal(a["i"], b["i"])
        assert np.allclose(np.asarray(a["t"]), np.asarray(b["t"]), rtol=0, atol=1e-12)
        assert run_measures(TINY, path)["rate"][0] == run_measures(TINY, ref)["rate"][0]


def test_what_a_compiled_program_is_keyed_by():
    """Runs share a program only when everything but the runtime parameters is equal."""
    from brian2 import mV

    from neuromodels.study import _program_key, resolve_parameters

    def key(seeds=(0,), **params):
        return _program_key(TINY, "cpp_standalone", None, seeds, False,
                            resolve_parameters(TINY, params=params))

    assert key(v_rest=-45 * mV) == key(v_rest=-40 * mV)
    assert key(spread=4 * mV) != key(spread=4.000001 * mV)
    assert key(seeds=(0,)) != key(seeds=(1,))


def test_runs_sharing_a_program_are_chained_on_one_worker(tiny):
    """With build reuse, the runs of one program group stay in one chain (one build each),
    and there is one chain per worker; without it, every run is a task of its own."""
    from brian2 import mV

    from neuromodels.devices import can_rerun
    from neuromodels.sweep import plan_sweep
    from neuromodels.sweep.execution import _chains

    if not can_rerun("cpp_standalone"):
        pytest.skip("re-runs of a compiled program need brian2 >= 2.6")
    grid = {"v_rest": [v * mV for v in GRID]}
    plan = plan_sweep(TINY, grid, SEEDS, device="cpp_standalone", out=tiny / "sweep")
    assert plan.reusable and len(plan.runs) == 9
    chains = _chains(plan, plan.runs, workers=2, reuse=True)
    assert len(chains) == 2 and sorted(map(len, chains)) == [3, 6]
    for chain in chains:  # whole groups: one seed each, contiguous
        seeds = [r.seed for r in chain]
        assert all(seeds.count(s) == 3 for s in set(seeds))
        assert seeds == sorted(seeds, key=seeds.index)
    one_seed = plan_sweep(TINY, grid, [0], device="cpp_standalone", out=tiny / "sweep")
    assert [len(c) for c in _chains(one_seed, one_seed.runs, workers=2, reuse=True)] == [2, 1]
    assert [len(c) for c in _chains(plan, plan.runs, workers=2, reuse=False)] == [1] * 9


# ------------------------------------------------------------ on Dask ----------------

def test_sweep_survives_a_killed_worker_and_a_failing_point_then_resumes(tiny, sequential):
    """2 workers on 127.0.0.1; one worker is killed while it runs a task and one point fails
    on purpose.  Every other point finishes, the failure is recorded with its error, a
    second call runs only the failed runs, and the table equals the sequential runs'."""
    pytest.importorskip("distributed", reason="sweeps need the sweep extra (dask[distributed])")
    from brian2 import mV

    from neuromodels.sweep import run_sweep

    (tiny / "fail").write_text("-42")
    killed = {}

    def kill_a_busy_worker(progress):
        if killed or progress.done + progress.failed < 1:
            return
        client = progress.client
        busy = {w: ks for w, ks in client.processing().items() if ks}
        if not busy:
            return
        worker, keys = next(iter(busy.items()))
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
        killed.update(worker=worker, keys=list(keys))

    out = tiny / "sweep"
    grid = {"v_rest": [v * mV for v in GRID]}
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        result = run_sweep(TINY, grid, SEEDS, params={"hold": 0.3}, device="runtime", out=out,
                           client=client, progress=kill_a_busy_worker)
        assert killed, "no worker was busy after the first run finished"
        rows = result.index.rows()
        for row in rows:
            if row["v_rest"] == -42.0:
                assert row["status"] == "failed"
                assert "RuntimeError: failing on purpose at v_rest = -42. mV" in row["error"]
            else:
                assert row["status"] == "done", row
                assert Path(out / row["file"]).is_file()
        # the tasks the killed worker held finished on a living worker
        held = [r for r in rows if any(Path(r["file"]).stem in k for k in killed["keys"])]
        assert held and all(r["worker"] != killed["worker"] for r in held)
        assert result.counts == {"done": 6, "failed": 3, "missing": 0, "kept": 0}
        assert [r["status"] for r in _rows(out / "index.csv")] == [r["status"] for r in rows]
        assert not list((out / "runs").glob(".*.tmp"))

        (tiny / "fail").unlink()
        again = run_sweep(TINY, grid, SEEDS, params={"hold": 0.3}, device="runtime", out=out,
                          client=client, progress=False)
    assert again.executed == 3
    assert again.counts == {"done": 3, "failed": 0, "missing": 0, "kept": 6}
    _assert_matches_sequential(again, sequential)
    data = store.read(out / "sweep.h5")
    assert data["attrs"]["counts"]["kept"] == 6 and (out / "sweep.png").is_file()
    assert np.array_equal(data["summary"]["rate_mean"], again.summary["rate_mean"])
    assert _no_children_left() == []


def test_ctrl_c_keeps_finished_runs_and_a_consistent_index(tiny):
    """Ctrl-C (SIGINT to the command's process group, as a terminal sends it) mid-sweep:
    exit 130, every finished file valid, no temporary files, the index lists the rest as
    missing, no process left; the same command then runs only what is missing."""
    pytest.importorskip("distributed", reason="sweeps need the sweep extra (dask[distributed])")
    out = tiny / "sweep"
    # 8 runs of >= 1 s on 2 workers: at the first finished run at most 2 others are running
    # (they may finish while the cluster shuts down, and are then kept) and the rest queued
    cmd = [sys.executable, "-m", "neuromodels.cli", "sweep", "tiny-lif", "--seeds", "0-7",
           "--grid", "v_rest=-45*mV", "-p", "hold=1.0", "--workers", "2", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=tiny, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            if (out / "index.csv").is_file() and any(
                    r["status"] == "done" for r in _rows(out / "index.csv")):
                break
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()
        import psutil

        started = psutil.Process(proc.pid).children(recursive=True)  # workers and their runs
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted: every finished run is kept" in err and "Traceback" not in err
    rows = _rows(out / "index.csv")
    done = [r for r in rows if r["status"] == "done"]
    assert done and len(done) < 8
    assert all(r["status"] == "missing" for r in rows if r["status"] != "done")
    from neuromodels.sweep import run_measures

    for r in done:
        assert run_measures(TINY, out / r["file"])["rate"][0].size == 1
    assert not list((out / "runs").glob(".*.tmp"))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail("processes of the interrupted sweep are still running")
    assert psutil.wait_procs(started, timeout=20)[1] == []
    assert main(cmd[3:] + ["-q"]) == 0  # the same command again
    after = _rows(out / "index.csv")
    assert [r["status"] for r in after] == ["kept" if r["status"] == "done" else "done"
                                            for r in rows]


def _dask_command(*args):
    exe = Path(sys.executable).parent / "dask"
    return [str(exe), *args] if exe.is_file() else [sys.executable, "-m", "dask", *args]


def test_sweep_on_a_separately_started_scheduler(tiny, sequential, capsys):
    """`dask scheduler` and `dask worker` started on their own (as on a cluster), the sweep
    sent with --scheduler; the table equals the sequential runs'; nothing left running."""
    pytest.importorskip("distributed", reason="sweeps need the sweep extra (dask[distributed])")
    import psutil

    file = tiny / "scheduler.json"
    env = dict(os.environ)
    procs = [subprocess.Popen(_dask_command("scheduler", "--host", "127.0.0.1", "--port", "0",
                                            "--no-dashboard", "--scheduler-file", str(file)),
                              env=env, cwd=tiny, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)]
    family = []
    try:
        deadline = time.monotonic() + 60
        while not file.is_file() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(
            _dask_command("worker", address, "--nworkers", "2", "--nthreads", "1", "--host",
                          "127.0.0.1", "--no-dashboard", "--local-directory", str(tiny / "dw")),
            env=env, cwd=tiny, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=120)
        family = [p for proc in procs for p in [psutil.Process(proc.pid),
                                                *psutil.Process(proc.pid).children(recursive=True)]]
        out = tiny / "sweep"
        assert main(["sweep", "tiny-lif", "--seeds", "0-1", "--grid", "v_rest=-45*mV,-39*mV",
                     "--device", "runtime", "--scheduler", address, "--out", str(out), "-q"]) == 0
        rows = _rows(out / "index.csv")
        assert [r["status"] for r in rows] == ["done"] * 4
        assert {r["worker"] for r in rows} <= {f"{w}" for w in _workers(address)}
        from neuromodels.sweep import Table

        class Result:  # the two tables as run_sweep returns them, read back from sweep.h5
            pass

        data = store.read(out / "sweep.h5")
        result = Result()
        result.index = Table({k: list(v) for k, v in data["index"].items()})
        result.summary = Table({k: list(v) for k, v in data["summary"].items()})
        _assert_matches_sequential(result, sequential, points=[-45.0, -39.0], seeds=[0, 1])
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    gone, alive = psutil.wait_procs(family, timeout=20)
    assert alive == []


def _workers(address):
    from distributed import Client

    with Client(address, timeout="30s") as client:
        return list(client.scheduler_info()["workers"])
