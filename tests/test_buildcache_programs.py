"""The linked-program cache (neuromodels.buildcache.programs): a repeated build of the same
C++ project takes its program from the cache instead of running make."""
import os

import numpy as np
import pytest

from neuromodels import buildcache
from neuromodels.buildcache.programs import PROGRAM, program_key

from .conftest import require_device


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    return tmp_path / "cache"


def _project(folder, sources, makefile="OPTIMISATIONS = -O3\n"):
    (folder / "code_objects").mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (folder / name).write_text(text)
    (folder / "makefile").write_text(makefile)
    return folder


def test_the_key_is_the_code_the_makefile_and_the_compiler(tmp_path, monkeypatch):
    monkeypatch.setenv("CXX", "g++")
    sources = {"main.cpp": "int main() {}", "code_objects/a.cpp": "int a;", "objects.h": "//"}
    key = program_key(_project(tmp_path / "a", sources))
    assert program_key(_project(tmp_path / "b", sources)) == key      # another directory
    b = tmp_path / "b"
    for data in ("results/v", "static_arrays/w", "main.o", "make.deps", PROGRAM):
        (b / data).parent.mkdir(exist_ok=True)
        (b / data).write_text("anything")          # what make leaves or the program reads
    assert program_key(b) == key
    assert program_key(_project(tmp_path / "c", {**sources, "objects.h": "// x"})) != key
    assert program_key(_project(tmp_path / "d", sources, "OPTIMISATIONS = -O0\n")) != key
    monkeypatch.setenv("CXX", "clang++")
    assert program_key(_project(tmp_path / "e", sources)) != key


class _FakeDevice:
    """The make step of a standalone device: writes a 'program' naming its build."""

    def __init__(self):
        self.calls = 0
        self.timers = {"compile": {"make": None}}

    def compile_source(self, directory, compiler, debug, clean):
        self.calls += 1
        path = os.path.join(directory, PROGRAM)
        with open(path, "w") as f:
            f.write(f"build {self.calls}")
        os.chmod(path, 0o755)

    def build(self, **kwargs):
        pass


def test_a_repeated_build_takes_the_kept_program(cache, tmp_path, capsys):
    if not buildcache.brian2_patches_apply():
        pytest.skip("the build patches are off on this Brian2")
    device = _FakeDevice()
    buildcache.instrument_compile(device, "cpp_standalone", "Study 'x'")
    sources = {"main.cpp": "int main() { return 0; }"}
    device.compile_source(str(_project(tmp_path / "a", sources)), "gcc", False, False)
    capsys.readouterr()
    b = _project(tmp_path / "b", sources)
    device.compile_source(str(b), "gcc", False, False)
    assert device.calls == 1 and (b / PROGRAM).read_text() == "build 1"
    assert os.access(b / PROGRAM, os.X_OK)
    assert "the program of Study 'x' is cached" in capsys.readouterr().out
    # changed code: make runs; clean=True: make runs
    c = _project(tmp_path / "c", {"main.cpp": "int main() { return 1; }"})
    device.compile_source(str(c), "gcc", False, False)
    device.compile_source(str(_project(tmp_path / "d", sources)), "gcc", False, True)
    assert device.calls == 3


def test_a_network_built_again_runs_the_kept_program_alike(cache, tmp_path):
    """Two builds of the same network in two sessions: the second makes nothing and its
    program gives the same spikes."""
    import brian2
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms

    from neuromodels.devices import use_device

    require_device("cpp_standalone")
    if not buildcache.brian2_patches_apply():
        pytest.skip("the build patches are off on this Brian2 (every build runs make)")

    def run(folder):
        with use_device("cpp_standalone", build_root=folder, seed=3, verbose=False) as session:
            g = NeuronGroup(8, "dv/dt = (1.2 - v)/(10*ms) + 0.5*xi/sqrt(ms) : 1",
                            threshold="v > 1", reset="v = 0", method="euler", name="g")
            mon = SpikeMonitor(g, name="g_spikes")   # named: the same code in both builds
            session.run(Network(g, mon), 50 * ms, seed=3)
            make = brian2.get_device().timers["compile"]["make"]
            return np.asarray(mon.i[:]), np.asarray(mon.t[:]), make

    i1, t1, _ = run(tmp_path / "one")
    i2, t2, make = run(tmp_path / "two")
    assert make == 0.0 and len(i1) > 10
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(t1, t2)
