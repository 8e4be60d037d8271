"""The README's result tables are what the committed data files give (they cannot drift)."""
from pathlib import Path

import numpy as np
import pytest

from neuromodels import results, store
from neuromodels.cli import main
from neuromodels.study import discover

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()
BLOCKS = results.blocks(README)
STUDIES = discover([REPO / "studies"])


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_readme_block_equals_the_table_from_the_committed_file(name):
    assert name in STUDIES and STUDIES[name].results is not None, f"no study {name} with results"
    expected = STUDIES[name].results(store.read(REPO / "data" / f"{name}.h5"))
    assert BLOCKS[name] == expected, (f"README's {name} table differs from data/{name}.h5; "
                                      "regenerate it with `make readme-tables`")


def test_every_committed_file_of_a_study_with_results_is_quoted():
    committed = {p.stem for p in (REPO / "data").glob("*.h5") if not p.stem.endswith(".quick")}
    with_tables = {n for n, s in STUDIES.items() if s.results is not None}
    assert committed & with_tables <= set(BLOCKS)


def test_readme_update_rewrites_stale_blocks_only(tmp_path, monkeypatch, capsys):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "t.py").write_text(
        "from neuromodels.study import Study\n"
        "from neuromodels.parameters import ParameterSet\n"
        "from neuromodels.results import mean_sd, table\n"
        "STUDY = Study(name='t', title='t', simulate=None, plot=None, parameters=ParameterSet(),\n"
        "              results=lambda d: table(['x'], [[mean_sd(d['x'], 100, unit=' %')]]))\n")
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(tmp_path / "studies"))
    monkeypatch.setattr("neuromodels.study.discovery.shipped_study_dir", lambda: None)
    monkeypatch.chdir(tmp_path)
    store.write(tmp_path / "data" / "t.h5", {"x": np.array([0.95, 0.96, 0.97])})
    readme = tmp_path / "README.md"
    readme.write_text("intro 1.23\n<!-- results: t -->\n| stale |\n<!-- /results -->\nend\n")
    assert main(["results", "--readme", str(readme)]) == 0
    assert "updated: t" in capsys.readouterr().out
    assert readme.read_text() == ("intro 1.23\n<!-- results: t -->\n| x |\n|---|\n"
                                  "| 96.00 ± 1.00 % (95.0 / 96.0 / 97.0) |\n"
                                  "<!-- /results -->\nend\n")
    assert main(["results", "--readme", str(readme)]) == 0
    assert "updated: none" in capsys.readouterr().out
    assert main(["results", "t"]) == 0
    assert "96.00 ± 1.00 %" in capsys.readouterr().out


def test_number_formats():
    assert [results.sig(x) for x in (0.109, 2.51e-3, 1.162e-8, 0.919, 43.2)] == \
        ["0.109", "2.51e-3", "1.16e-8", "0.919", "43.2"]
    assert results.span([35.2, 39.1], ".2g") == "35–39" and results.span([16, 16], ".2g") == "16"
