"""Shared test set-up: quiet warnings, the `long` marker, the groups of tests that one xdist
worker runs together, device availability, Brian2 settings restored after every test, and
one shared quick run per study."""
import contextlib
import gc
import inspect
import os
import re
import warnings

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)
os.environ.setdefault("MPLBACKEND", "Agg")


_QUICK_CALL = re.compile(r"""quick_study\(\s*["']([\w-]+)["']""")


def _xdist_group(item) -> str:
    """The group of tests that one pytest-xdist worker runs together (``--dist loadgroup``):
    every test that reads a study's quick run (``quick_study("name")`` in the test or in a
    fixture it uses, or parametrized by ``name``) joins that study's group, so each quick run
    is made once, on one worker; the other tests keep to their file, so module fixtures are
    made once too."""
    if "quick_study" in getattr(item, "fixturenames", ()):
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "name" in callspec.params:
            return f"quick-{callspec.params['name']}"
        functions = [item.function] + [d.func for defs in
                                        item._fixtureinfo.name2fixturedefs.values()
                                        for d in defs]
        found = {name for f in functions for name in _QUICK_CALL.findall(inspect.getsource(f))}
        if len(found) == 1:
            return f"quick-{found.pop()}"
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))
    if os.environ.get("NEUROMODELS_LONG") == "1":
        return
    skip = pytest.mark.skip(reason="long validation run; set NEUROMODELS_LONG=1 to run it")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    """``--dist loadgroup`` under pytest 9.2 with pytest-xdist up to 3.8: stop with the reason.
    pytest-xdist names a test's group in its id, which pytest 9.2's ids no longer take
    (pytest-xdist issue 1386; hence setup.cfg's ``pytest<9.2``): the groups would be ignored
    without a word, each worker make the shared quick runs again, the suite take ~1.4x."""
    if config.getoption("dist", None) != "loadgroup":
        return
    import xdist

    def version(text):
        return tuple(int(p) for p in re.findall(r"\d+", text)[:2])

    if version(pytest.__version__) >= (9, 2) and version(xdist.__version__) <= (3, 8):
        raise pytest.UsageError(
            f"pytest-xdist {xdist.__version__}'s --dist loadgroup does not group tests under "
            f"pytest {pytest.__version__} (pytest-xdist issue 1386): install the lock's "
            "pytest (make venv), or run without -n")


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


@contextlib.contextmanager
def numpy_target_or_build(device, build_root=None, seed=1):
    """The device of a generated-code edit's test (buildcache): ``'runtime'`` on Brian2's
    numpy target (the reference), or ``'cpp_standalone'`` with its project kept in
    ``build_root`` (the edited text is read back); the last build's objects are collected
    first, else Brian2 numbers this build's names on."""
    from neuromodels import buildcache
    from neuromodels.devices import brian2_settings, use_device

    if not buildcache.brian2_patches_apply():
        pytest.skip("the edit applies to the code Brian2 2.9 generates (the patches are off)")
    gc.collect()
    kwargs = dict(build_root=build_root, keep_build=True) if device != "runtime" else {}
    # the target after use_device, which sets Cython's (cold, ~5 s per code object from an
    # empty ~/.cython: 114 s for the dense-synapses reference)
    with use_device(device, seed=seed, verbose=False, **kwargs) as session, \
            brian2_settings(target="numpy"):
        yield session


_QUICK_RUNS = {}


@pytest.fixture(scope="session")
def quick_study(tmp_path_factory):
    """``quick_study(name)``: the data file of one --quick run of study ``name``, run once per
    test session and shared by its tests, on the study's default device (a cold C++ build is
    faster than the runtime device's cold Cython code: noise-learning 50 s against 253 s), or
    on runtime where its quick run uses Brian2's numpy target (nothing to compile)."""
    from pathlib import Path

    from neuromodels.study import discover, run_study

    studies = discover([Path(__file__).resolve().parent.parent / "studies"])

    def run(name):
        if name not in _QUICK_RUNS:
            study = studies[name]
            numpy_target = (study.quick or {}).get("numpy_target", False)
            device = "runtime" if numpy_target else study.default_device
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
