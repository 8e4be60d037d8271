"""Less compiler work per cpp_standalone build, the same program
(:mod:`neuromodels.buildcache.precompiled`): the code objects compile against a precompiled
header, objects.cpp at -O0, the spikes are those of Brian2's own build, ccache still hits."""
import gc
import os
import shutil
import subprocess

import numpy as np
import pytest

from neuromodels import buildcache
from neuromodels.buildcache import network_loop, precompiled


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    monkeypatch.delenv("CXX", raising=False)
    return tmp_path / "cache"


def test_the_wrapper_adds_the_header_only_to_a_code_object_with_one(cache, tmp_path):
    compiler = tmp_path / "bin" / "fake-cxx"
    compiler.parent.mkdir()
    compiler.write_text('#!/bin/sh\necho "$@"\n')
    compiler.chmod(0o755)
    wrapper = precompiled.compiler_wrapper(f"{compiler} -m64")
    assert wrapper.split()[1:] == ["-m64"]

    def run(*args, pch=True):
        (tmp_path / "_pch.h.gch").unlink(missing_ok=True)
        if pch:
            (tmp_path / "_pch.h.gch").write_text("")
        return subprocess.run([*wrapper.split(), *args], cwd=tmp_path, capture_output=True,
                              text=True, check=True).stdout.split()

    assert run("-c", "code_objects/a.cpp") == ["-include", "_pch.h", "-m64", "-c",
                                               "code_objects/a.cpp"]
    assert run("-c", "code_objects/a.cpp", pch=False) == ["-m64", "-c", "code_objects/a.cpp"]
    assert run("-c", "objects.cpp") == ["-m64", "-c", "objects.cpp"]   # not a code object
    assert run("-E", "code_objects/a.cpp") == ["-m64", "-E", "code_objects/a.cpp"]  # ccache's
    # a changed compiler is a changed script (ccache checks the script's size and time)
    text = open(wrapper.split()[0]).read()
    compiler.write_text('#!/bin/sh\necho "$@" # another version\n')
    precompiled.compiler_wrapper(str(compiler))
    assert open(wrapper.split()[0]).read() != text


def _spikes(build_root):
    from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, ms

    from neuromodels.devices import use_device

    gc.collect()   # the last build's objects: else Brian2 names these 'neurongroup_1', ...
    with use_device("cpp_standalone", seed=2, build_root=build_root, keep_build=True,
                    verbose=False) as session:
        group = NeuronGroup(20, "dv/dt = (1.2 + 0.05*i - v)/(10*ms) : 1", threshold="v > 1",
                            reset="v = 0", method="exact")
        syn = Synapses(group, group, on_pre="v_post += 0.02")
        syn.connect(p=0.3)
        mon = SpikeMonitor(group)
        session.run(Network(group, syn, mon), 100 * ms)
        return session.directory, np.asarray(mon.t_), np.asarray(mon.i)


@pytest.mark.skipif(buildcache.ccache_executable() is None, reason="ccache not found")
def test_a_build_with_the_precompiled_header_runs_as_brian2s_own(cache, tmp_path, monkeypatch):
    if not buildcache.brian2_patches_apply():
        pytest.skip("the makefile is Brian2 2.9's (the patches are off on this Brian2)")
    monkeypatch.setenv("NEUROMODELS_CACHE", "off")          # Brian2's own build
    plain, t_plain, i_plain = _spikes(tmp_path / "plain")
    monkeypatch.delenv("NEUROMODELS_CACHE")
    project, t, i = _spikes(tmp_path / "cold")
    # the step loop without a clock() per step (buildcache.network_loop): same spikes
    assert network_loop.MARK in (project / "network.cpp").read_text()
    assert network_loop.MARK not in (plain / "network.cpp").read_text()
    makefile = (project / "makefile").read_text()
    assert "objects.o: OPTIMISATIONS" in makefile and "-O0" in makefile
    assert (project / "_pch.h.gch").is_file()   # the code objects had the header precompiled
    assert len(t_plain) > 20 and np.array_equal(t, t_plain) and np.array_equal(i, i_plain)
    # warm: every object from ccache (keyed as without the header), no header built; the
    # kept linked program removed first (else the build takes it and runs no make at all:
    # tests/test_buildcache_programs.py)
    shutil.rmtree(cache / "programs")
    stats = dict(os.environ, CCACHE_DIR=str(cache / "ccache"))
    ccache = buildcache.ccache_executable()
    subprocess.run([ccache, "-z"], env=stats, check=True, capture_output=True)
    project, t, i = _spikes(tmp_path / "warm")
    assert not (project / "_pch.h.gch").exists()
    assert np.array_equal(t, t_plain) and np.array_equal(i, i_plain)
    out = subprocess.run([ccache, "--print-stats"], env=stats, check=True, capture_output=True,
                         text=True).stdout
    counts = dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)
    hits = int(counts["direct_cache_hit"]) + int(counts["preprocessed_cache_hit"])
    assert hits > 5 and int(counts["cache_miss"]) == 0
