"""Threshold conditions in a loop of their own, then the events
(neuromodels.buildcache.threshold_loops): the text edit; a program whose spikes (an
escape-noise erf threshold, a refractory group) are those of Brian2's numpy target, with the
erf threshold vectorised.  (A condition that draws random numbers keeps its statements and
their order, the text test; its draws differ between numpy and C++ by construction.)"""
import shutil
import subprocess

import numpy as np
import pytest

from neuromodels.buildcache.threshold_loops import MARK, split_text
from neuromodels.buildcache.vector_math import vector_form

from .conftest import numpy_target_or_build

LOOP = """void _run_g_thresholder_codeobject()
{{
    const double t = _ptr_array_defaultclock_t[0];
{pragma}
    long _count = 0;
    for(size_t _idx=0; _idx<N; _idx++)
    {{
        const size_t _vectorisation_idx = _idx;
        const double v = _ptr_array_g_v[_idx];
        const char _cond = v > 1.0;

        if(_cond) {{
            _ptr_array_g__spikespace[_count++] = _idx;
{refractory}
        }}
    }}
    _ptr_array_g__spikespace[N] = _count;
}}
"""
REFRACTORY = """            _ptr_array_g_not_refractory[_idx] = false;
            _ptr_array_g_lastspike[_idx] = t;
"""


@pytest.mark.parametrize("refractory", ["", REFRACTORY])
def test_the_conditions_go_first_then_the_events_in_the_same_space(refractory):
    text = LOOP.format(pragma="", refractory=refractory)
    new, n = split_text(text)
    assert n == 1 and MARK in new
    conditions, events = new.split(MARK)[1].split("    for(size_t _idx=0; _idx<N; _idx++)")[1:]
    assert "_ptr_array_g__spikespace[_idx] = _cond;" in conditions
    assert "_count" not in conditions and "if(" not in conditions
    assert "if(_ptr_array_g__spikespace[_idx]) {" in events
    assert "_ptr_array_g__spikespace[_count++] = _idx;" in events
    assert ("_ptr_array_g_lastspike[_idx] = t;" in events) == bool(refractory)
    assert "_ptr_array_g__spikespace[N] = _count;" in new
    assert split_text(new) == (new, 0)                                   # once


@pytest.mark.parametrize("pragma, refractory", [
    ("    #pragma omp parallel", ""),                                     # OpenMP
    ("", REFRACTORY.replace("= t;", "= t_spike;")),       # reads what loop 2 cannot see
])
def test_loops_it_cannot_split_are_left_as_written(pragma, refractory):
    text = LOOP.format(pragma=pragma, refractory=refractory)
    assert split_text(text) == (text, 0)


def _spikes(device, build_root=None):
    """Spikes of two groups over 40 steps: an escape-noise threshold (the package's erf of v
    against a number u in [0, 1) set before, deterministic here), a refractory group; the
    refractory group's last spikes; and the project directory."""
    from brian2 import Network, NeuronGroup, SpikeMonitor, ms

    from neuromodels.neurons.noise import erf

    with numpy_target_or_build(device, build_root, seed=3) as session:
        escape = NeuronGroup(37, "v = sin(0.3 * i + t / ms) : 1\nu : 1",
                             threshold="u < 0.5 * (1 + erf((v - 0.2) / 0.3))",
                             namespace={"erf": erf}, name="escape")
        escape.run_regularly("u = 0.5 + 0.49 * sin(17.3 * i + 3.1 * t / ms)",
                             when="before_thresholds")
        refractory = NeuronGroup(11, "dv/dt = (1.5 + 0.1 * i - v) / (5 * ms) : 1 (unless "
                                 "refractory)", threshold="v > 1", reset="v = 0",
                                 refractory=2 * ms, method="exact", name="refractory")
        monitors = [SpikeMonitor(g) for g in (escape, refractory)]
        session.run(Network(escape, refractory, *monitors), 4 * ms)
        lastspike = np.asarray(refractory.lastspike_[:])
        return ([(np.asarray(m.i[:]), np.asarray(m.t_[:])) for m in monitors], lastspike,
                session.directory)


def test_a_program_gives_the_numpy_targets_spikes(tmp_path, monkeypatch):
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    expected, last_expected, _ = _spikes("runtime")
    got, last, project = _spikes("cpp_standalone", tmp_path / "build")
    split = [p.name for p in (project / "code_objects").glob("*thresholder*.cpp")
             if MARK in p.read_text()]
    assert len(split) == 2, split
    for (i, t), (i_expected, t_expected) in zip(got, expected):
        assert len(i_expected) > 5
        np.testing.assert_array_equal(i, i_expected)
        np.testing.assert_allclose(t, t_expected, rtol=1e-12)
    np.testing.assert_allclose(last, last_expected, rtol=1e-12)
    # the erf condition: GCC's vector loop with glibc's vector erf (buildcache.vector_math)
    nm = shutil.which("nm")
    if nm and vector_form("erf"):
        symbols = subprocess.run([nm, "-D", str(project / "main")], capture_output=True,
                                 text=True).stdout
        assert any(s.startswith("_ZGV") and s.split("@")[0].endswith("_erf")
                   for s in symbols.split()), symbols
