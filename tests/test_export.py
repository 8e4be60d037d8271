"""`neuromodels export`: results files as NWB and Neo, read back by pynwb, Neo and Elephant."""
import json
from contextlib import nullcontext
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import mV, ms, second

from neuromodels import store
from neuromodels.analysis.spiketrains import firing_rates, isi_cv, split_trains
from neuromodels.cli import main
from neuromodels.export import contents

REPO = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(7)
A_T, A_I = np.sort(RNG.uniform(0, 0.5, 40)), RNG.integers(0, 3, 40)  # neurons 3, 4 silent
B_T, B_I = np.sort(RNG.uniform(0, 0.5, 25)), RNG.integers(0, 4, 25)
V = RNG.normal(-60, 5, (2, 10))
EQS = "dv/dt = (v_rest - v)/tau : volt"


@pytest.fixture
def results(tmp_path):
    """A small results file: two spike-train groups (one with a sibling n), a monitor of two
    neurons' v, a group of dimensionless times, equations, parameters and provenance."""
    data = {
        "equations": {"a": EQS},
        "parameters": {"duration": 0.5 * second, "tau": 10 * ms, "noise": "gaussian", "n": 5},
        "populations": {"a": {"spikes": {"t": A_T * second, "i": A_I}, "n": 5},
                        "b": {"spikes": {"t": B_T * second, "i": B_I}}},
        "monitor": {"t": np.arange(10) * ms, "v": V * mV, "other": np.arange(4)},
        "scaled": {"t": np.array([0.5, 1.5]), "i": np.array([0, 1])},  # times in units of tau
    }
    attrs = {**store.provenance(), "study": "toy", "title": "A toy network",
             "reference": "Someone (2020) J Toy 1:1", "seed": 3, "parameters": "tau=10. ms"}
    return store.write(tmp_path / "toy.h5", data, attrs)


def _trains(t, i, n):
    return split_trains(i, t, n)


def test_contents_finds_spike_trains_traces_and_the_model_by_rule(results):
    found = contents(results)
    assert [(s.path, s.n) for s in found.spikes] == [("populations/a/spikes", 5),
                                                     ("populations/b/spikes", int(B_I.max()) + 1)]
    assert [(t.path, t.values.shape, t.unit) for t in found.traces] == [("monitor/v", (2, 10),
                                                                         "V")]
    assert found.skipped == ["scaled: t has no time unit"]
    assert found.equations == {"equations/a": EQS}
    assert found.attrs["seed"] == 3 and set(found.parameters) == {"duration", "tau", "noise", "n"}


def test_nwb_round_trip_passes_pynwb_validator(results, capsys):
    from pynwb import NWBHDF5IO, validate

    assert main(["export", str(results), "--to", "nwb"]) == 0
    path = results.with_suffix(".nwb")
    assert capsys.readouterr().out.startswith(f"wrote {path}: 2 spike-train groups (9 neurons, "
                                              f"65 spikes), 1 recorded variables")
    assert validate(path=str(path)) == []
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        units = nwb.units.to_dataframe()
        expected = [("populations/a/spikes", k, tr) for k, tr in enumerate(_trains(A_T, A_I, 5))]
        expected += [("populations/b/spikes", k, tr)
                     for k, tr in enumerate(_trains(B_T, B_I, int(B_I.max()) + 1))]
        assert len(units) == len(expected)
        for (pop, k, times), (_, row) in zip(expected, units.iterrows()):
            assert (row["population"], row["neuron"]) == (pop, k)
            np.testing.assert_array_equal(row["spike_times"], times)  # NWB: seconds
        v = nwb.acquisition["monitor.v"]
        assert v.unit == "V"
        np.testing.assert_array_equal(v.data[:], (V * 1e-3).T)  # time first, SI
        np.testing.assert_array_equal(v.timestamps[:], np.arange(10) * 1e-3)
        tables = {name: nwb.processing["neuromodels"][name].to_dataframe()
                  for name in ("equations", "parameters", "provenance")}
        assert tables["equations"].set_index("path")["equations"].to_dict() == {
            "equations/a": EQS}
        params = tables["parameters"].set_index("parameter")
        assert params.loc["tau", "si_value"] == 0.01 and params.loc["tau", "unit"] == "s"
        assert params.loc["noise", "value"] == "gaussian"
        prov = tables["provenance"].set_index("key")["value"]
        assert prov["seed"] == "3" and json.loads(prov["versions"])["brian2"]
        assert prov["git_commit"] == store.read_attrs(results)["git_commit"]
        assert list(nwb.related_publications) == ["Someone (2020) J Toy 1:1"]
        assert nwb.session_description == "A toy network"


def test_neo_round_trip_keeps_times_units_and_annotations(results, tmp_path):
    import quantities as pq
    from neo.io import PickleIO

    out = tmp_path / "toy-export.pkl"
    assert main(["export", str(results), "--to", "neo", "--out", str(out)]) == 0
    block = PickleIO(str(out)).read_block()
    assert block.annotations["equations"] == {"equations/a": EQS}
    assert block.annotations["parameters"]["tau"] == str(10 * ms)
    assert block.annotations["provenance"]["seed"] == "3"
    assert block.name == "toy" and block.description == "A toy network"
    trains = block.segments[0].spiketrains
    assert [g.name for g in block.groups] == ["populations/a/spikes", "populations/b/spikes"]
    assert [len(g.spiketrains) for g in block.groups] == [5, int(B_I.max()) + 1]
    expected = _trains(A_T, A_I, 5) + _trains(B_T, B_I, int(B_I.max()) + 1)
    assert len(trains) == len(expected)
    for train, times in zip(trains, expected):
        assert train.units == pq.s and train.t_stop == 0.5 * pq.s
        np.testing.assert_array_equal(train.magnitude, times)
    assert trains[6].annotations == {"population": "populations/b/spikes", "neuron": 1}
    (signal,) = block.segments[0].irregularlysampledsignals
    np.testing.assert_allclose(signal.rescale(pq.mV).magnitude, V.T, rtol=1e-12)
    np.testing.assert_allclose(signal.times.rescale(pq.ms).magnitude, np.arange(10))


def test_elephant_rate_and_cv_of_the_neo_export_equal_our_analysis(tmp_path):
    import quantities as pq
    from elephant.statistics import cv, isi, mean_firing_rate
    from neo.io import PickleIO

    source = REPO / "data" / "cuba-coba.h5"
    out = tmp_path / "cuba-coba.neo.pkl"
    assert main(["export", str(source), "--to", "neo", "--out", str(out)]) == 0
    block = PickleIO(str(out)).read_block()
    data = store.read(source)
    for group in block.groups:
        pop = data["populations"][group.name.split("/")[1]]
        i, t, n = pop["spikes"]["i"], pop["spikes"]["t"], int(pop["n"])
        rates = firing_rates(i, t, n, data["parameters"]["duration"])
        cvs = isi_cv(i, t, n)
        assert len(group.spiketrains) == n
        for k, train in enumerate(group.spiketrains[:300]):  # a subset, for speed
            assert mean_firing_rate(train).rescale(pq.Hz).magnitude == pytest.approx(
                rates[k], rel=1e-12)
            if np.isfinite(cvs[k]):
                assert cv(isi(train)) == pytest.approx(cvs[k], rel=1e-12)


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("case, argv, message", [
    ("unknown format", ["--to", "csv"], "argument --to: invalid choice: 'csv'"),
    ("missing file", ["--to", "nwb", "--source", "OUT/nothing.h5"], "no such file: OUT/nothing.h5"),
    ("nothing to export", ["--to", "neo", "--source", "OUT/empty.h5"],
     "OUT/empty.h5 holds no spike trains (a group with arrays t [time] and i) and no recorded"),
    ("output exists", ["--to", "nwb", "--out", "OUT/old.nwb"],
     "OUT/old.nwb exists; pass --force to replace it, or --out another file"),
    ("output is the source", ["--to", "neo", "--out", "OUT/toy.h5", "--force"],
     "--out OUT/toy.h5 is the results file itself"),
    ("no pynwb", ["--to", "nwb"], "--to nwb needs the package pynwb, from the extra `export`: "
                                  "pip install 'neuromodels[export]'"),
    ("no neo", ["--to", "neo"], "--to neo needs the package neo, from the extra `export`"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(results, monkeypatch, capsys,
                                                         case, argv, message):
    folder = results.parent
    store.write(folder / "empty.h5", {"x": np.arange(3)}, store.provenance())
    (folder / "old.nwb").write_bytes(b"a previous export\n")
    if case.startswith("no "):
        monkeypatch.setitem(sys.modules, case.split()[1], None)  # `import pynwb` fails
    argv = [a.replace("OUT", str(folder)) for a in argv]
    source = argv.pop(argv.index("--source") + 1) if "--source" in argv else str(results)
    argv = [a for a in argv if a != "--source"]
    before = _files(folder)
    with pytest.raises(SystemExit) if case == "unknown format" else nullcontext() as stop:
        code = main(["export", source, *argv])
    if case == "unknown format":
        code = stop.value.code
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and message.replace("OUT", str(folder)) in err, err
    assert _files(folder) == before
    assert (folder / "old.nwb").read_bytes() == b"a previous export\n"


def test_force_replaces_and_a_failed_export_keeps_the_previous_file(results, monkeypatch):
    import neuromodels.export as export

    out = results.with_suffix(".nwb")
    out.write_bytes(b"a previous export\n")

    def broken(found, path):
        Path(path).write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "to_nwb", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        main(["export", str(results), "--to", "nwb", "--force"])
    assert out.read_bytes() == b"a previous export\n"
    assert _files(results.parent) == ["toy.h5", "toy.nwb"]  # no temporary file left
    monkeypatch.undo()
    assert main(["export", str(results), "--to", "nwb", "--force"]) == 0
    assert out.read_bytes().startswith(b"\x89HDF")
