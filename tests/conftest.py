"""Shared test set-up: quiet warnings, the `long` marker, device availability, Brian2
settings restored after every test, and one shared quick run per study."""
import os
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("NEUROMODELS_LONG") == "1":
        return
    skip = pytest.mark.skip(reason="long validation run; set NEUROMODELS_LONG=1 to run it")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _scoped_brian2_settings():
    """Every test ends with Brian2's preferences and ``defaultclock.dt`` as it found them
    (one place: :func:`neuromodels.devices.brian2_settings`), so no test leaks a code
    generation target or a time step into the next."""
    from neuromodels.devices import brian2_settings

    with brian2_settings():
        yield


def require_device(name):
    """Skip the calling test, with the reason, if device `name` cannot run here."""
    from neuromodels.devices import available_devices

    reason = available_devices()[name]
    if reason is not None:
        pytest.skip(reason)


_QUICK_RUNS = {}


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory):
    """``quick_study(name)``: the data file of one --quick run of study ``name`` (runtime
    where the study supports it), run once per test session and shared by its tests."""
    from pathlib import Path

    from neuromodels.study import discover, run_study

    studies = discover([Path(__file__).resolve().parent.parent / "studies"])

    def run(name):
        if name not in _QUICK_RUNS:
            study = studies[name]
            device = "runtime" if "runtime" in study.devices else study.default_device
            out = tmp_path_factory.mktemp(f"quick-{name}")
            _QUICK_RUNS[name] = run_study(study, device=device, quick=True, out=out, verbose=False)
        return _QUICK_RUNS[name]

    return run


def readme_example(heading):
    """The first Python code block after the README's bold ``heading`` (the README's
    examples are tests)."""
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split(f"**{heading}**", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)
