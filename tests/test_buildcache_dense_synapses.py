"""All-to-all synapse loops without index arrays (neuromodels.buildcache.dense_synapses):
the text edit; a program whose per-synapse updates and spikes (all-to-all, all-to-all in
another order, all-to-all with delays) give the values of Brian2's numpy target; the
program's check of the order (sparse and other layouts)."""
import shutil
import subprocess

import numpy as np
import pytest

from neuromodels.buildcache.dense_synapses import _CHECK, MARK, vectorise_text

from .conftest import numpy_target_or_build

LOOP = """void _run_syn_codeobject()
{{
    const int _N = _array_syn_N[0];
    {pragma}
    for(int _idx=0; _idx<_N; _idx++)
    {{
        // vector code
        const size_t _vectorisation_idx = _idx;
        const int32_t _postsynaptic_idx = _ptr_array_syn__synaptic_post[_idx];
        const int32_t _presynaptic_idx = _ptr_array_syn__synaptic_pre[_idx];
        double e = _ptr_array_syn_e[_idx];
        e = k * e + _ptr_array_a[_presynaptic_idx] * _ptr_array_b[_postsynaptic_idx];{extra}
        _ptr_array_syn_e[_idx] = e;
    }}
}}
"""


def test_the_loop_is_rewritten_once_with_brian2s_loop_as_the_fallback():
    text = LOOP.format(pragma="", extra="")
    new, n = vectorise_text(text)
    assert n == 1 and MARK in new
    dense, fallback = new.split("    else\n")
    assert "const int32_t _postsynaptic_idx = _nm_j;" in dense
    assert "const int32_t _presynaptic_idx = _nm_i;" in dense
    assert "__synaptic_pre[_idx]" not in dense.split("void _run_")[1]
    assert "_nm_dense_n_post(_dynamic_array_syn__synaptic_pre" in dense
    # Brian2's loop as it was, after the else
    loop = text[text.index("    for(int _idx"):text.rindex("    }\n") + 6]
    assert fallback == loop + "    }\n}\n"                  # and the block's end
    assert vectorise_text(new) == (new, 0)                         # once


SUMMED = """void _run_syn_summed_variable_codeobject()
{
    for (int _target_idx=0; _target_idx<_target_size; _target_idx++)
    {
        _ptr_array_post_s[_target_idx + 0] = 0;
    }
    for(int _idx=0; _idx<_ptr_array_syn_N[0]; _idx++)
    {
        // vector code
        const size_t _vectorisation_idx = _idx;
        const int32_t _presynaptic_idx = _ptr_array_syn__synaptic_pre[_idx];
        const double _synaptic_var = _ptr_array_syn_w[_idx] * _ptr_array_a[_presynaptic_idx];
        _ptr_array_post_s[_ptr_array_syn__synaptic_post[_idx]] += _synaptic_var;
    }
}
"""


def test_a_summed_variable_adds_in_the_same_order():
    new, n = vectorise_text(SUMMED)
    dense = new.split("    else\n")[0]
    assert n == 1 and "const int _nm_N = _ptr_array_syn_N[0];" in dense
    assert "_ptr_array_post_s[_nm_j] += _synaptic_var;" in dense
    assert "_target_idx + 0] = 0;" in dense.split(MARK)[1]    # zeroed before, as it was


EVENTS = """void _run_syn_pre_codeobject()
{
    std::vector<int> *_spiking_synapses = syn_pre.peek();
    const int _num_spiking_synapses = _spiking_synapses->size();
    {
        for(int _spiking_synapse_idx=0;
            _spiking_synapse_idx<_num_spiking_synapses;
            _spiking_synapse_idx++)
        {
            const size_t _idx = (*_spiking_synapses)[_spiking_synapse_idx];
            const size_t _vectorisation_idx = _idx;
            const int32_t _postsynaptic_idx = _ptr_array_syn__synaptic_post[_idx];
            double v_post = _ptr_array_post_v[_postsynaptic_idx];
            v_post += _ptr_array_syn_w[_idx];
            _ptr_array_post_v[_postsynaptic_idx] = v_post;
        }
    }
}
"""


def test_a_pathways_spikes_are_taken_a_row_at_a_time():
    new, n = vectorise_text(EVENTS)
    dense, fallback = new.split("        else\n")
    assert n == 1 and "syn_pre.queue[0]->scalar_delay" in dense     # one delay for all
    assert "const size_t _idx = _nm_first + _nm_j;" in dense
    assert "const int32_t _postsynaptic_idx = _nm_j;" in dense
    assert "_spiking_synapse_idx++)" in fallback and "__synaptic_post[_idx]" in fallback


@pytest.mark.parametrize("pragma, extra", [
    ("#pragma omp for schedule(static)", ""),                       # OpenMP: left alone
    ("", "\n        e += _ptr_array_syn__synaptic_pre[0];"),        # the index used otherwise
])
def test_loops_it_cannot_rewrite_are_left_as_written(pragma, extra):
    text = LOOP.format(pragma=pragma, extra=extra)
    assert vectorise_text(text) == (text, 0)


CONNECTIONS = {"all": None,                                          # i-major: dense
               "all, j first": tuple(np.divmod(np.arange(30), 6)[::-1]),  # another order
               "all, delays": None}                           # spikes arrive in another order


def _updates(device, build_root=None):
    """Eligibility-like per-synapse traces of 6 -> 5 neurons after 30 steps (updated in every
    step and at every spike of the presynaptic neuron), summed variables and what the spikes
    added to the postsynaptic neurons, per connection of :data:`CONNECTIONS` and synapse in
    (i, j) order; and the project directory."""
    from brian2 import Network, NeuronGroup, Synapses, ms

    with numpy_target_or_build(device, build_root) as session:
        sums = "".join(f"\ns{k} : 1\nr{k} : 1\ng{k} : 1" for k in range(len(CONNECTIONS)))
        pre = NeuronGroup(6, "a : 1" + sums, threshold="a > 0.2", name="pre_group")
        post = NeuronGroup(5, "b : 1" + sums, name="post_group")
        pre.run_regularly("a = sin(0.7 * i + t / ms)", dt=1 * ms)
        post.run_regularly("b = cos(0.3 * i + 2 * t / ms)", dt=1 * ms)
        synapses = {}
        for k, (name, pairs) in enumerate(CONNECTIONS.items()):
            syn = Synapses(pre, post, f"el : 1\nw : 1\ns{k}_post = w * a_pre : 1 (summed)\n"
                                      f"r{k}_pre = w * b_post : 1 (summed)",
                           on_pre=f"g{k}_post += w * a_pre\nel += 0.1 * b_post", name=f"syn{k}")
            syn.connect(**({} if pairs is None else dict(i=pairs[0], j=pairs[1])))
            if name == "all, delays":
                syn.delay = "(j % 3) * ms"
            syn.w = "0.1 * (i + 1) - 0.05 * j"
            syn.run_regularly("el = 0.8 * el + a_pre * b_post\n"
                              "w = clip(w + 0.01 * el * b_post, -1, 1)", dt=1 * ms, when="end")
            synapses[name] = syn
        session.run(Network(pre, post, *synapses.values()), 30 * ms)
        values = {}
        for name, syn in synapses.items():
            order = np.lexsort((np.asarray(syn.j[:]), np.asarray(syn.i[:])))
            values[name] = (np.asarray(syn.el[:])[order], np.asarray(syn.w[:])[order],
                            np.asarray(getattr(post, f"s{len(values)}")[:]),
                            np.asarray(getattr(pre, f"r{len(values)}")[:]),
                            np.asarray(getattr(post, f"g{len(values)}")[:]))
        return values, session.directory


def test_a_program_gives_the_numpy_targets_values(tmp_path, monkeypatch):
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    expected, _ = _updates("runtime")
    got, project = _updates("cpp_standalone", tmp_path / "build")
    for k, name in enumerate(CONNECTIONS):   # every loop rewritten; dense or not at run time
        codes = [p.read_text() for p in (project / "code_objects").glob(f"syn{k}_*.cpp")
                 if "create" not in p.name]
        # the update, the two summed variables, the spikes, the setting of w (and of delays)
        assert sum(MARK in c for c in codes) == 5 + (name == "all, delays")
        for a, b in zip(got[name], expected[name]):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=name)


@pytest.mark.skipif(shutil.which("c++") is None, reason="no C++ compiler")
def test_the_program_takes_the_dense_loop_only_for_synapses_in_brian2s_order(tmp_path):
    """The check of the generated code, compiled alone: n_post where synapse i * n_post + j
    goes from i to j for each of the n synapses, else 0 (also where n is not the arrays'
    size, without reading past them)."""
    dense = np.repeat(np.arange(6), 5), np.tile(np.arange(5), 6)
    cases = {"dense": (*dense, 30, 5),
             "j first": (np.tile(np.arange(6), 5), np.repeat(np.arange(5), 6), 30, 0),
             "sparse": ([0, 0, 2, 3, 5], [1, 4, 0, 0, 3], 5, 0),
             "one missing": (dense[0][:-1], dense[1][:-1], 29, 0),
             "from 1": (dense[0] + 1, dense[1], 30, 0),
             "another count": (*dense, 25, 0),
             "beyond the arrays": ([0] * 5, range(5), 10, 0),   # never reads past them
             "none": ([], [], 0, 0)}

    def vector(v):
        return f"std::vector<int32_t>{{{', '.join(map(str, v))}}}"

    calls = "\n".join(f"    printf(\"%d\\n\", _nm_dense_n_post({vector(p)}, {vector(q)}, {n}));"
                       for p, q, n, _ in cases.values())
    source = tmp_path / "check.cpp"
    source.write_text("#include <cstdint>\n#include <cstdio>\n#include <vector>\n"
                      + _CHECK.format(mark=MARK) + f"int main()\n{{\n{calls}\n}}\n")
    # _GLIBCXX_ASSERTIONS: a read past a vector's end aborts
    subprocess.run(["c++", "-O2", "-D_GLIBCXX_ASSERTIONS", "-o", str(tmp_path / "check"),
                    str(source)], check=True)
    out = subprocess.run([str(tmp_path / "check")], capture_output=True, text=True, check=True)
    assert [int(v) for v in out.stdout.split()] == [k for *_, k in cases.values()]
