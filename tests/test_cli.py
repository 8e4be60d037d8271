"""The command line: list, run, figures, info; every bad input fails before simulating."""
import numpy as np
import pytest

from neuromodels import store
from neuromodels.cli import main

pytestmark = pytest.mark.compat

TOY_STUDY = '''
"""A tiny study for testing the study machinery."""
import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, ms
from neuromodels.parameters import ParameterSet, positive
from neuromodels.results import table
from neuromodels.study import Study

def simulate(p, ctx):
    g = NeuronGroup(4, "dv/dt = (2 - v)/tau : 1", threshold="v > 1", reset="v = 0",
                    method="exact", namespace={"tau": p["tau"]})
    g.v = ctx.rng.uniform(size=4)
    mon = SpikeMonitor(g)
    ctx.run(Network(g, mon), p["duration"])
    return {"spikes": {"t": mon.t[:], "i": np.asarray(mon.i[:])},
            "equations": {"toy": "dv/dt = (2 - v)/tau : 1"}}

def plot(data):
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot(data["spikes"]["t"] / ms, data["spikes"]["i"], ".")
    ax.set(xlabel="time (ms)", ylabel="neuron")
    return fig

def results(data):
    return table(["spikes"], [[len(data["spikes"]["t"])]])

STUDY = Study(name="toy", title="toy study", simulate=simulate, plot=plot, results=results,
              parameters=ParameterSet(positive("tau", 10 * ms), positive("duration", 50 * ms)),
              quick={"duration": 20 * ms}, devices=("runtime", "cpp_standalone"),
              default_device="runtime")
'''


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The toy study alone (the shipped studies left out), in ``$NEUROMODELS_STUDIES``."""
    studies = tmp_path / "studies"
    studies.mkdir()
    (studies / "toy.py").write_text(TOY_STUDY)
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(studies))
    monkeypatch.setattr("neuromodels.study.discovery.shipped_study_dir", lambda: None)
    monkeypatch.chdir(tmp_path)  # no ./studies here
    return tmp_path / "out"


def test_list_shows_one_line_per_study_and_where_it_comes_from(toy, capsys):
    assert main(["list"]) == 0
    assert capsys.readouterr().out.strip() == "toy                      toy study  [./studies]"


def test_run_writes_data_with_provenance_then_figures_replots(toy, capsys):
    assert main(["run", "toy", "--seed", "5", "--out", str(toy), "-p", "tau=5*ms"]) == 0
    out = capsys.readouterr().out
    # Brian2's progress report, start and end (duration 50 ms)
    assert "Starting simulation at t=0. s for a duration of 50. ms" in out
    assert "50. ms (100%) simulated in" in out
    data = store.read(toy / "toy.h5")
    attrs = data["attrs"]
    assert attrs["study"] == "toy" and attrs["seed"] == 5 and attrs["device"] == "runtime"
    assert attrs["parameters"]["tau"] == "5. ms" and "brian2" in attrs["versions"]
    assert {"simulation", "build", "total"} <= set(attrs["timings"]) and attrs["git_commit"]
    assert data["equations"]["toy"].startswith("dv/dt")
    # period = tau ln 2 = 3.47 ms: every neuron fires 14 or 15 times in 50 ms
    counts = np.bincount(data["spikes"]["i"], minlength=4)
    assert np.all((counts >= 14) & (counts <= 15))
    png = toy / "toy.png"
    assert png.read_bytes()[:4] == b"\x89PNG"
    png.unlink()
    assert main(["figures", "toy", "--out", str(toy)]) == 0  # no simulation
    assert png.is_file()
    assert main(["info", str(toy / "toy.h5")]) == 0
    assert "seed: 5" in capsys.readouterr().out
    assert main(["results", "toy", "--out", str(toy)]) == 0
    assert f"## toy\n\n| spikes |\n|---|\n| {len(data['spikes']['t'])} |" in capsys.readouterr().out


def test_same_seed_same_result_quick_is_separate(toy):
    main(["run", "toy", "--seed", "2", "--out", str(toy), "-q"])
    first = store.read(toy / "toy.h5")["spikes"]["t"]
    main(["run", "toy", "--seed", "2", "--out", str(toy), "-q"])
    assert np.array_equal(store.read(toy / "toy.h5")["spikes"]["t"], first)
    main(["run", "toy", "--quick", "--out", str(toy), "-q"])
    assert (toy / "toy.quick.h5").is_file()


def test_a_quick_run_goes_to_the_studys_quick_device_unless_one_is_given(toy):
    """Study(quick_device=...): a quick run without a device runs there (here the toy study
    with default cpp_standalone and quick device runtime: no C++ build); a full run goes to
    the default device (seen in the refusal of --gpu, which names it, before anything runs);
    a device given wins."""
    import dataclasses

    from neuromodels.study import discover, run_study

    study = dataclasses.replace(discover()["toy"], default_device="cpp_standalone",
                                quick_device="runtime")
    path = run_study(study, quick=True, out=toy, verbose=False, figure=False)
    assert store.read(path)["attrs"]["device"] == "runtime"
    for quick, device, named in ((False, None, "cpp_standalone"), (True, "cpp_standalone",
                                                                    "cpp_standalone")):
        with pytest.raises(Exception, match=named):
            run_study(study, quick=quick, device=device, use_gpu=True, out=toy, verbose=False)


def test_results_of_one_study_into_a_readme_leaves_the_other_blocks(toy, capsys):
    """``results NAME --readme FILE`` rewrites NAME's block only: another block (here of a
    study not even known) is kept byte for byte; without a NAME every block is rendered."""
    main(["run", "toy", "--out", str(toy), "-q"])
    readme = toy / "README.md"
    other = "<!-- results: elsewhere -->\nkept as it is\n<!-- /results -->\n"
    readme.write_text("<!-- results: toy -->\nold\n<!-- /results -->\n" + other)
    assert main(["results", "toy", "--out", str(toy), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "| spikes |" in text and "old" not in text and text.endswith(other)
    assert main(["results", "--out", str(toy), "--readme", str(readme)]) == 2
    assert "unknown study elsewhere" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["run", "nope"], "Unknown study 'nope'; known studies: toy"),
    (["run", "toy", "--device", "genn"],
     "does not support device 'genn'; supported devices: runtime, cpp_standalone"),
    (["run", "toy", "--device", "gpu"], "Unknown device 'gpu'"),
    (["run", "toy", "-p", "tau=-5*ms"], "Parameter 'tau' must be > 0. s; got -5. ms"),
    (["run", "toy", "-p", "tau=5*mV"], "Parameter 'tau' must have unit second"),
    (["run", "toy", "-p", "tua=5*ms"], "Unknown parameter(s) 'tua'"),
    (["run", "toy", "--threads", "2"], "threads (OpenMP) apply only to device 'cpp_standalone'"),
    (["run", "toy", "--seed", "-1"], "seed must be a whole number in [0, 2**32)"),
])
def test_bad_input_is_one_clear_error_and_writes_nothing(toy, capsys, args, message):
    assert main(args + ["--out", str(toy)] if args[0] == "run" else args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err
    assert not toy.exists() or list(toy.iterdir()) == []


def test_failed_rerun_keeps_the_good_file(toy, capsys):
    main(["run", "toy", "--out", str(toy), "-q"])
    good = (toy / "toy.h5").read_bytes()
    assert main(["run", "toy", "--out", str(toy), "-p", "duration=-1*second"]) == 2
    assert (toy / "toy.h5").read_bytes() == good


def test_devices_command_reports_each_device(capsys):
    assert main(["devices"]) == 0
    out = capsys.readouterr().out
    assert "runtime" in out and "cpp_standalone" in out and "genn" in out


def test_a_study_whose_dependency_is_missing_is_listed_as_unavailable(toy, capsys):
    studies = toy.parent / "studies"
    (studies / "needs_extra.py").write_text("import a_package_that_is_not_installed\n")
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("toy ") and "(needs_extra.py unavailable here: No module named" in out
    assert main(["run", "needs_extra"]) == 2
    assert "needs_extra.py cannot be loaded here" in capsys.readouterr().err
