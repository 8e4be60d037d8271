"""The house: ``neuromodels.study``, ``neuromodels.devices``, ``neuromodels.model`` and
``neuromodels.buildcache`` are packages of small modules, one per job, a compiled program's
re-runs have one home, and the arrows between layers point one way."""
import re
from pathlib import Path

import pytest

import neuromodels.buildcache
import neuromodels.devices
import neuromodels.model
import neuromodels.study

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", [neuromodels.study, neuromodels.devices, neuromodels.model,
                                     neuromodels.buildcache],
                         ids=["study", "devices", "model", "buildcache"])
def test_a_package_of_small_modules(package):
    folder = Path(package.__file__).parent
    assert package.__file__.endswith("__init__.py")  # a package, no longer one module
    lengths = {p.name: p.read_text().count("\n") for p in folder.glob("*.py")}
    assert len(lengths) >= 5 and max(lengths.values()) <= 250, lengths


def test_re_runs_have_one_home():
    """Only neuromodels/devices/ decides when a run re-runs a compiled program and does it
    (``.rerun(``, the device's ``project_dir``); the study runner and learning programs use
    ``CompiledProgram``."""
    copies = [f"{path.relative_to(ROOT)}: {m.group(0)}"
              for path in sorted((ROOT / "neuromodels").rglob("*.py"))
              if "devices" not in path.relative_to(ROOT).parts
              for m in re.finditer(r"\.rerun\(|project_dir", path.read_text())]
    assert not copies, copies
    for rel in ("neuromodels/study/context.py", "neuromodels/study/programs.py",
                "neuromodels/learning/program.py"):
        assert "CompiledProgram" in (ROOT / rel).read_text(), rel


def test_models_and_learning_do_not_know_the_study_layer():
    """learning/, networks/ and neurons/ raise their own errors (a diverged training is a
    ``learning.DivergenceError``, shown by the command line as one line through
    ``neuromodels.errors.UserError``), never the study layer's."""
    imports = [f"{path.relative_to(ROOT)}: {m.group(0)}"
               for part in ("learning", "networks", "neurons", "synapses")
               for path in sorted((ROOT / "neuromodels" / part).rglob("*.py"))
               for m in re.finditer(r"from \.\.study\b.*|neuromodels\.study\b.*",
                                    path.read_text())]
    assert not imports, imports


def test_a_diverged_training_is_one_line_at_the_command_line():
    from neuromodels.errors import UserError
    from neuromodels.learning import DivergenceError, LearningError

    assert issubclass(DivergenceError, UserError) and issubclass(LearningError, UserError)


def test_learning_exports_no_name_of_brian2():
    """A user who writes ``from brian2 import *`` and imports from the learning framework gets
    both: no name of ``neuromodels.learning`` is one of Brian2's (``Network`` was)."""
    import brian2

    import neuromodels.learning as learning

    assert not set(learning.__all__) & set(dir(brian2))
