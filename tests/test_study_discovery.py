"""Finding the studies: the shipped ones after any install, plus a user's own folders."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neuromodels import study as study_module
from neuromodels.study import discover, shipped_study_dir, study_origin

from .test_cli import TOY_STUDY

REPO = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p.stem for p in (REPO / "studies").glob("*.py") if not p.name.startswith("_"))


def test_a_users_studies_folder_adds_to_the_shipped_studies(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "toy.py").write_text(TOY_STUDY)
    (tmp_path / "studies" / "cuba_coba.py").write_text(
        TOY_STUDY.replace('name="toy"', 'name="cuba-coba"'))  # the user's own version
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEUROMODELS_STUDIES", raising=False)
    replaced = {}
    studies = discover(replaced=replaced)
    assert shipped_study_dir() == REPO / "studies"
    assert {"toy", "noise-rate", "spike-time-single"} <= set(studies)
    assert study_origin(studies["toy"]) == "./studies"
    assert study_origin(studies["noise-rate"]) == "shipped"
    # a study of the same name in the user's folder replaces the shipped one, and says so
    assert study_origin(studies["cuba-coba"]) == "./studies"
    assert replaced == {"cuba-coba": str(REPO / "studies" / "cuba_coba.py")}


def test_neuromodels_studies_folders_add_too(tmp_path, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "toy.py").write_text(TOY_STUDY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(tmp_path / "mine"))
    dirs = study_module.default_study_dirs()
    assert dirs == [REPO / "studies", tmp_path / "mine"]


def test_a_non_editable_install_lists_the_shipped_studies_and_the_users(tmp_path):
    """Build a wheel of a copy of the checkout, install it (pip --target), then run
    `neuromodels list` from a folder with the user's own ./studies."""
    pytest.importorskip("setuptools", reason="building the wheel needs setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("setup.py", "setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for name in ("neuromodels", "studies"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["wheel", "--no-deps", "--no-build-isolation", str(src), "-w",
                          str(tmp_path / "wheel")], check=True, capture_output=True, timeout=300)
    site = tmp_path / "site"
    subprocess.run(pip + ["install", "--no-deps", "--no-index", "--target", str(site),
                          *map(str, (tmp_path / "wheel").glob("*.whl"))],
                   check=True, capture_output=True, timeout=300)
    user = tmp_path / "user"
    (user / "studies").mkdir(parents=True)
    (user / "studies" / "toy.py").write_text(TOY_STUDY)
    env = {k: v for k, v in __import__("os").environ.items() if k != "NEUROMODELS_STUDIES"}
    env["PYTHONPATH"] = str(site)
    code = ("import neuromodels, sys; print(neuromodels.__file__); "
            "from neuromodels.cli import main; sys.exit(main(['list']))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=user, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(str(site / "neuromodels"))  # the installed copy, not the checkout
    listed = {line.split()[0]: line.rsplit("[", 1)[1].rstrip("]") for line in lines[1:]
              if line.endswith("]")}
    names = {study_module._load_study_file(REPO / "studies" / f"{s}.py").name for s in SHIPPED}
    assert {name: listed.get(name) for name in names} == {name: "shipped" for name in names}
    assert listed["toy"] == "./studies"


def test_every_command_uses_the_study_that_list_shows(tmp_path, monkeypatch, capsys):
    """A study file in $NEUROMODELS_STUDIES or ./studies replaces a shipped one of the same
    name for `run` too: get_study (the fast path, one file) and discover agree."""
    from neuromodels.cli import main
    from neuromodels.study import get_study

    mine, local = tmp_path / "mine", tmp_path / "studies"
    for folder, title in ((mine, "from NEUROMODELS_STUDIES"), (local, "from ./studies")):
        folder.mkdir()
        (folder / "cuba_coba.py").write_text(TOY_STUDY.replace('name="toy"', 'name="cuba-coba"')
                                             .replace('title="toy study"', f'title="{title}"'))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NEUROMODELS_STUDIES", str(mine))
    for winner in (local / "cuba_coba.py", mine / "cuba_coba.py"):
        listed = discover()["cuba-coba"]
        assert get_study("cuba-coba").source == listed.source == str(winner)
        (local / "cuba_coba.py").unlink(missing_ok=True)  # then $NEUROMODELS_STUDIES wins
    (local / "cuba_coba.py").write_text((mine / "cuba_coba.py").read_text())
    assert main(["run", "cuba-coba", "--show-parameters"]) == 0
    shown = capsys.readouterr().out
    assert "tau" in shown and "p_connect" not in shown  # the user's parameters, not CUBA's
    shipped = get_study("cuba-coba", dirs=[REPO / "studies"])
    assert shipped.source == str(REPO / "studies" / "cuba_coba.py")
