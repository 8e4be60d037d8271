"""The catalogue of bad input and Ctrl-C: for each, the exit code, one line naming the
problem, no traceback, and no file left behind (or the previous file kept byte for byte).

Bad input runs through ``main([...])`` with captured output; Ctrl-C runs the command line in
a subprocess and sends SIGINT to its process group, as a terminal does.
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from neuromodels import store
from neuromodels.cli import main
from neuromodels.study import RunContext, Study, StudyInterrupted, run_study
from neuromodels.parameters import ParameterSet, positive

from .test_cli import TOY_STUDY, toy  # noqa: F401 (the fixture)

REPO = Path(__file__).resolve().parent.parent
PREVIOUS = b"the previous results file\n"


@pytest.fixture
def out(toy):  # noqa: F811 (the fixture imported above)
    """The output folder, made; the toy study is the only one discovered (test_cli.toy)."""
    toy.mkdir()
    return toy


def _prepare(case, out):
    """Files a case needs before it runs."""
    if case == "foreign-h5":
        with h5py.File(out / "foreign.h5", "w") as f:
            f["x"] = np.arange(3)
    if case == "empty-h5":
        h5py.File(out / "empty.h5", "w").close()
    if case.startswith("outdated"):  # an older toy: spikes without times
        store.write(out / "toy.h5", {"spikes": {"i": np.arange(3)}}, store.provenance())
        (out / "toy.png").write_bytes(PREVIOUS)
    if case == "outdated-readme":
        (out / "README.md").write_text("# toy\n<!-- results: toy -->\nold\n<!-- /results -->\n")
    if case == "png":
        (out / "fig.png").write_bytes((REPO / "figures" / "cuba-coba.png").read_bytes()[:256])
    if case == "file-as-out":
        (out / "afile").write_text("not a folder\n")
    if case == "quick-only":
        store.write(out / "toy.quick.h5", {"x": np.arange(3)}, {"study": "toy"})


CATALOGUE = [
    # (case, argv with OUT for the output folder, message that must appear)
    ("png", ["info", "OUT/fig.png"], "OUT/fig.png is not a neuromodels results file"),
    ("missing", ["info", "OUT/nothing.h5"], "no such file: OUT/nothing.h5"),
    ("foreign-h5", ["info", "OUT/foreign.h5"], "OUT/foreign.h5 is not a neuromodels results "
     "file (an HDF5 file without neuromodels provenance: no versions, python, platform"),
    ("empty-h5", ["info", "OUT/empty.h5"], "OUT/empty.h5 is not a neuromodels results file"),
    ("outdated", ["figures", "toy", "--out", "OUT"],
     "OUT/toy.h5 has no 'spikes/t', which study toy needs for its figure (written by an older "
     "version of the study? re-run `neuromodels run toy --out OUT`)"),
    ("outdated", ["results", "toy", "--out", "OUT"],
     "OUT/toy.h5 has no 'spikes/t', which study toy needs for its results tables (written by "
     "an older version of the study? re-run `neuromodels run toy --out OUT`)"),
    ("outdated-readme", ["results", "--out", "OUT", "--readme", "OUT/README.md"],
     "OUT/toy.h5 has no 'spikes/t', which study toy needs for its results tables"),
    ("none", ["run", "toy", "--out", "OUT", "-p", "tau=5*ms", "-p", "tau=6*ms"],
     "-p tau given twice ('5*ms' and '6*ms'); give each parameter once"),
    ("none", ["run", "toy", "--show-parameters", "-p", "tau=5*ms", "-p", "tau = 5*ms"],
     "-p tau given twice ('5*ms' and '5*ms')"),
    ("none", ["sweep", "toy", "--out", "OUT", "-p", "tau=5*ms", "-p", "tau=6*ms"],
     "-p tau given twice ('5*ms' and '6*ms')"),
    ("folder", ["info", "OUT"], "OUT is a folder, not a results file"),
    ("file-as-out", ["run", "toy", "--out", "OUT/afile"], "Output folder OUT/afile is a file"),
    ("file-as-out", ["run", "toy", "--out", "OUT/afile/sub"],
     "Output folder OUT/afile/sub cannot be created: OUT/afile is a file"),
    ("inf", ["run", "toy", "--out", "OUT", "-p", "tau=1e400*ms"],
     "Parameter 'tau' must be finite; got inf s."),
    ("nan", ["run", "toy", "--out", "OUT", "-p", "tau=1e400*ms-1e400*ms"],
     "Parameter 'tau' must be finite; got nan s."),
    ("quick-only", ["figures", "toy", "--out", "OUT"],
     "--quick data are there for toy: `neuromodels figures toy --quick --out OUT`"),
    ("none", ["figures", "--quick", "--out", "OUT"],
     "no --quick data for 1 of 1 studies (toy) in OUT; "
     "run `neuromodels run toy --quick --out OUT`"),
    ("none", ["run", "toy", "--out", "OUT", "-p", "tau"], "-p expects NAME=VALUE"),
    ("none", ["run", "toy", "--seed", "abc"], "argument --seed: invalid int value: 'abc'"),
    ("none", ["figures", "nope"], "unknown study nope; known: toy"),
]


@pytest.mark.compat
@pytest.mark.parametrize("case, argv, message", CATALOGUE,
                         ids=[f"{c}:{' '.join(a[:2])}" for c, a, _ in CATALOGUE])
def test_bad_input_is_one_line_exit_2_no_traceback_nothing_written(out, capsys, case, argv,
                                                                   message):
    _prepare(case, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    argv = [a.replace("OUT", str(out)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert message.replace("OUT", str(out)) in err
    assert "Traceback" not in captured.out + captured.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.compat
def test_a_bad_input_in_a_fresh_process_prints_one_line(tmp_path):
    png = tmp_path / "fig.png"
    png.write_bytes((REPO / "figures" / "cuba-coba.png").read_bytes()[:256])
    proc = subprocess.run([sys.executable, "-m", "neuromodels.cli", "info", str(png)],
                          capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"error: {png} is not a neuromodels results file (not an HDF5 file)\n"


# ---- a reader that goes away: `neuromodels list | head -1` ------------------------------

#: the command line with the shipped studies left out (as the ``toy`` fixture does), so that
#: ``list`` loads the toy study alone
_CLI = ("import sys, neuromodels.study as s; s.shipped_study_dir = lambda: None; "
        "from neuromodels.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.compat
@pytest.mark.parametrize("argv", [["list"], ["run", "toy", "--show-parameters"]])
def test_a_closed_pipe_on_stdout_ends_quietly_with_141(tmp_path, argv):
    """Exit status 141 (128 + SIGPIPE), as `ls | head -1` gives: the output was cut short."""
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "toy.py").write_text(TOY_STUDY)
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the command writes a byte
    try:
        proc = subprocess.run([sys.executable, "-c", _CLI, *argv], stdout=write,
                              stderr=subprocess.PIPE, text=True, env=_env(tmp_path),
                              cwd=tmp_path, timeout=300)
    finally:
        os.close(write)
    assert proc.returncode == 141 and proc.stderr == ""


# ---- Ctrl-C -----------------------------------------------------------------------------

def _no_brian2_study(simulate):
    """A study that runs no Brian2 network (so no build): its simulate is the test's."""
    return Study(name="nobuild", title="no build", simulate=simulate, plot=None,
                 parameters=ParameterSet(positive("tau", 1.0)), devices=("runtime",),
                 default_device="runtime")


@pytest.mark.compat
def test_an_interrupt_swallowed_inside_the_study_still_stops_it(tmp_path):
    """A JAX callback once swallowed KeyboardInterrupt and the run went on to replace the
    file: whatever the study does with the interrupt, nothing is written after it."""
    def simulate(p, ctx: RunContext):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            pass  # swallowed, as by the callback
        return {"x": np.arange(3)}

    (tmp_path / "nobuild.h5").write_bytes(PREVIOUS)
    with pytest.raises(StudyInterrupted, match="interrupted; the previous results file is kept"):
        run_study(_no_brian2_study(simulate), out=tmp_path, verbose=False)
    assert [p.name for p in tmp_path.iterdir()] == ["nobuild.h5"]
    assert (tmp_path / "nobuild.h5").read_bytes() == PREVIOUS


@pytest.mark.compat
def test_an_interrupt_while_the_file_is_written_keeps_the_previous_file(tmp_path, monkeypatch):
    write_tree = store._write_tree

    def interrupted_write(group, tree):
        write_tree(group, tree)
        os.kill(os.getpid(), signal.SIGINT)  # arrives in the middle of the write
        time.sleep(0.2)

    monkeypatch.setattr(store, "_write_tree", interrupted_write)
    (tmp_path / "nobuild.h5").write_bytes(PREVIOUS)
    with pytest.raises(StudyInterrupted, match="the previous results file is kept"):
        run_study(_no_brian2_study(lambda p, ctx: {"x": np.arange(3)}), out=tmp_path,
                  verbose=False)
    assert [p.name for p in tmp_path.iterdir()] == ["nobuild.h5"]
    assert (tmp_path / "nobuild.h5").read_bytes() == PREVIOUS


def _env(tmp_path):
    env = dict(os.environ,
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               NEUROMODELS_STUDIES=str(tmp_path / "studies"), TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _other_process_in(folder: Path, pid: int, exe: str | None = None) -> bool:
    """Whether a process other than ``pid`` works in ``folder`` (make or the compiler during
    the build) or, with ``exe``, runs the program ``folder/exe`` (the simulation)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == pid:
            continue
        try:
            where = os.readlink(proc / ("exe" if exe else "cwd"))
        except OSError:
            continue
        if (where == str(folder / exe)) if exe else where.startswith(str(folder)):
            return True
    return False


@pytest.mark.compat
@pytest.mark.parametrize("phase", ["build", "simulation"])
def test_ctrl_c_during_build_or_simulation_keeps_the_previous_file(tmp_path, phase):
    """SIGINT to the process group of `neuromodels run` (cpp_standalone) while the C++
    program compiles, or while it runs: exit 130, one message, the previous file intact,
    no temporary file, no build folder."""
    from .conftest import require_device

    require_device("cpp_standalone")
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "toy.py").write_text(TOY_STUDY)
    out = tmp_path / "out"
    out.mkdir()
    (out / "toy.h5").write_bytes(PREVIOUS)
    builds = tmp_path / "tmp" / "neuromodels-build"
    argv = [sys.executable, "-m", "neuromodels.cli", "run", "toy", "--device", "cpp_standalone",
            "--out", str(out)] + (["-p", "duration=20000*second"] if phase == "simulation" else [])
    proc = subprocess.Popen(argv, env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            folders = list(builds.glob("cpp_standalone-*")) if builds.is_dir() else []
            if folders and _other_process_in(folders[0], proc.pid,
                                             "main" if phase == "simulation" else None):
                break
            time.sleep(0.05)
        assert proc.poll() is None, f"the run ended before its {phase}: {proc.communicate()}"
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stdout + stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; the previous results file is kept"
    assert "Traceback" not in stdout + stderr and "compilation failed" not in stdout + stderr
    assert [p.name for p in out.iterdir()] == ["toy.h5"]
    assert (out / "toy.h5").read_bytes() == PREVIOUS
    assert list(builds.iterdir()) == []


def test_a_text_parameter_keeps_the_text_given():
    """``-p sizes=100+400`` and ``-p sizes=400`` of a text parameter are the texts, not the
    sum 500 nor the number 400 (which its choices refused: "got 400" among '400'); a number
    parameter still reads arithmetic and units."""
    from neuromodels.cli import _parse_params
    from neuromodels.parameters import Parameter

    params = ParameterSet(Parameter("sizes", "100", "sizes", choices=("100", "400", "100+400")),
                          positive("tau", 5e-3, "tau"))
    got = _parse_params(["sizes=100+400", "tau=2*3e-3"], params)
    assert got == {"sizes": "100+400", "tau": pytest.approx(6e-3)}
    assert params.resolve(_parse_params(["sizes=400"], params))["sizes"] == "400"
