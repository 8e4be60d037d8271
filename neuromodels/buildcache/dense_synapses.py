"""Per-synapse updates of all-to-all synapses as a loop the compiler can vectorise.

Brian2's C++ template for the per-step code of a ``Synapses`` object (its state updater and
its ``run_regularly`` operations, template ``stateupdate.cpp``) loops over the synapses and
reads each one's pre- and postsynaptic neuron through an index array::

    for (_idx = 0; _idx < _N; _idx++) {
        _presynaptic_idx = _synaptic_pre[_idx];  _postsynaptic_idx = _synaptic_post[_idx];
        ...  x_pre[_presynaptic_idx] ... y_post[_postsynaptic_idx] ...
    }

The gathers keep the compiler from vectorising the loop: about 2 ns per synapse and step
on the 2-core machine type, a learning rule's eligibility trace of 64 x 100 input synapses
the largest single cost of an e-prop or OTTT epoch.  Synapses connected all-to-all in
Brian2's order (synapse ``i * n_post + j`` from ``i`` to ``j``, what ``connect()`` and
:func:`neuromodels.devices.connect_in_blocks` make) need no index: :func:`vectorise` rewrites
the loop, in the text Brian2 generated, as ::

    if (dense)   for (i < n_pre) for (j < n_post) { _idx = i * n_post + j;
                                                    _presynaptic_idx = i; _postsynaptic_idx = j;
                                                    ...the same statements... }
    else         the loop as Brian2 wrote it

``dense`` is checked in the program, against the synapses' index arrays, whenever their
number changes (once per run of a learning program).  The delivery of a pathway's spikes
(``synapses.cpp``) is rewritten alike: with one delay for all synapses, the queue holds the
synapses of each spike as one row ``i * n_post ... i * n_post + n_post - 1``, taken a row at
a time.  The same synapses in the same order, the same statements: the same values up to
the rounding ``-ffast-math`` allows in a vectorised loop (a sum into a presynaptic variable
may be added in another order; checked against Brian2's numpy target in the tests).  Loops
whose statements read the index arrays otherwise, and loops run in parallel (OpenMP), are
left as they are.
"""
from __future__ import annotations

import re
from .project_text import edit_code_objects

MARK = "// neuromodels.buildcache.dense_synapses"

#: Brian2's loop over a ``Synapses`` object's synapses (``stateupdate.cpp``, whose count
#: ``_N`` is read from the group's ``N`` just before; ``summed_variable.cpp``, which reads it
#: in the loop's head)
_LOOP = re.compile(
    r"(?P<indent>[ \t]*)for\(int _idx=0; _idx<(?P<count>_N|_ptr_array_(?P<syn>\w+?)_N\[0\]); "
    r"_idx\+\+\)[ \t]*\n"
    r"(?P=indent)\{[ \t]*\n"
    r"(?P<body>(?:.*\n)*?)"
    r"(?P=indent)\}[ \t]*\n")
_COUNT = re.compile(r"const int _N = _array_(\w+?)_N\[0\];")

#: Brian2's loop over the synapses of a pathway's spikes (``synapses.cpp``), as its queue
#: hands them over
_EVENTS = re.compile(
    r"(?P<indent>[ \t]*)for\(int _spiking_synapse_idx=0;[ \t]*\n"
    r"[ \t]*_spiking_synapse_idx<_num_spiking_synapses;[ \t]*\n"
    r"[ \t]*_spiking_synapse_idx\+\+\)[ \t]*\n"
    r"(?P=indent)\{[ \t]*\n"
    r"[ \t]*const size_t _idx = \(\*_spiking_synapses\)\[_spiking_synapse_idx\];[ \t]*\n"
    r"(?P<body>(?:.*\n)*?)"
    r"(?P=indent)\}[ \t]*\n")
_PATHWAY = re.compile(r"std::vector<int> \*_spiking_synapses = (\w+)\.peek\(\);")
_SYNAPSES = re.compile(r"_ptr_array_(\w+?)__synaptic_(?:pre|post)\[_idx\]")

_CHECK = """{mark}: n_post where synapse i * n_post + j goes from i to j for each of the n
// synapses, else 0
static int _nm_dense_n_post(const std::vector<int32_t> &pre, const std::vector<int32_t> &post,
                            const int n)
{{
    if ((int)pre.size() != n || (int)post.size() != n)
        return 0;
    int n_post = 0;
    while (n_post < n && pre[n_post] == 0)
        n_post++;
    if (n_post == 0 || n % n_post != 0)
        return 0;
    for (int k = 0; k < n; k++)
        if (pre[k] != k / n_post || post[k] != k % n_post)
            return 0;
    return n_post;
}}
"""

#: the start of a rewritten loop: n_post (0: not all-to-all), checked again when the
#: number of synapses changes
_N_POST = """{i}{{  {mark}: {what}
{i}const int _nm_N = {count};
{i}static int _nm_checked_N = -1, _nm_n_post = 0;
{i}if (_nm_N != _nm_checked_N)
{i}{{
{i}    _nm_n_post = _nm_dense_n_post(_dynamic_array_{syn}__synaptic_pre,
{i}                                  _dynamic_array_{syn}__synaptic_post, _nm_N);
{i}    _nm_checked_N = _nm_N;
{i}}}
"""

_DENSE = _N_POST + """\
{i}if (_nm_n_post > 0)
{i}{{
{i}    const int _nm_n_pre = _nm_N / _nm_n_post;
{i}    for(int _nm_i=0; _nm_i<_nm_n_pre; _nm_i++)
{i}    for(int _nm_j=0; _nm_j<_nm_n_post; _nm_j++)
{i}    {{
{i}        const int _idx = _nm_i * _nm_n_post + _nm_j;
{body}{i}    }}
{i}}}
{i}else
{loop}{i}}}
"""

_DENSE_EVENTS = _N_POST + """\
{i}// one delay for all: the queue holds each spike's synapses as one row, in order
{i}if (_nm_n_post > 0 && {pathway}.queue[0]->scalar_delay &&
{i}    _num_spiking_synapses % _nm_n_post == 0)
{i}{{
{i}    for(int _nm_row=0; _nm_row<_num_spiking_synapses; _nm_row+=_nm_n_post)
{i}    {{
{i}        const int _nm_first = (*_spiking_synapses)[_nm_row];
{i}        const int _nm_i = _nm_first / _nm_n_post;
{i}        for(int _nm_j=0; _nm_j<_nm_n_post; _nm_j++)
{i}        {{
{i}            const size_t _idx = _nm_first + _nm_j;
{body}{i}        }}
{i}    }}
{i}}}
{i}else
{loop}{i}}}
"""


def _dense_body(body: str, syn: str, indent: str) -> str | None:
    """``body`` with its reads of the index arrays (``_synaptic_pre[_idx]``,
    ``_synaptic_post[_idx]``) replaced by the loop counters; None where it reads them in any
    other way (or not at all: nothing to gain)."""
    new, count = body, 0
    for side, counter in (("pre", "_nm_i"), ("post", "_nm_j")):
        new, n = re.subn(rf"_ptr_array_{re.escape(syn)}__synaptic_{side}\[_idx\]", counter, new)
        count += n
    if count == 0 or "__synaptic_pre" in new or "__synaptic_post" in new or "#pragma" in new:
        return None
    return "".join(indent + line if line.strip() else line
                   for line in new.splitlines(keepends=True))


def _after_pragma(before: str) -> bool:
    """Whether the line before a loop is a pragma (OpenMP: the loop is left as it is)."""
    lines = before.rstrip().splitlines()
    return bool(lines) and lines[-1].lstrip().startswith("#pragma")


def vectorise_text(text: str) -> tuple[str, int]:
    """``text`` (a generated code object) with every synapse loop it can rewrite rewritten
    (module docstring), and how many."""
    if MARK in text:
        return text, 0
    count = 0

    def rewrite(m: re.Match, template: str, syn: str | None, indent: str, **names) -> str:
        nonlocal count
        body = None if syn is None or _after_pragma(m.string[:m.start()]) else \
            _dense_body(m["body"], syn, indent)
        if body is None:
            return m[0]
        count += 1
        return template.format(i=m["indent"], mark=MARK, syn=syn, body=body, loop=m[0],
                               **names)

    def loop(m: re.Match) -> str:
        syn = m["syn"]
        if syn is None:                       # ``_N``: read from the group's N just before
            before = m.string[:m.start()]
            declared = _COUNT.match(before[before.rfind("const int _N = "):])
            syn = declared and declared[1]
        return rewrite(m, _DENSE, syn, " " * 4, count=m["count"],
                       what="without index arrays where the synapses are all-to-all")

    def events(m: re.Match) -> str:
        pathways = _PATHWAY.findall(m.string[:m.start()])
        names = set(_SYNAPSES.findall(m["body"]))
        syn = names.pop() if pathways and len(names) == 1 else None
        return rewrite(m, _DENSE_EVENTS, syn, " " * 8, pathway=pathways[-1] if pathways else "",
                       count=f"(int)_dynamic_array_{syn}__synaptic_pre.size()",
                       what="whole rows of all-to-all synapses")

    new = _EVENTS.sub(events, _LOOP.sub(loop, text))
    if count == 0:
        return text, 0
    # the check beside the code object's function, before it
    at = re.search(r"^void _run_", new, re.M)
    if at is None:
        return text, 0
    return new[:at.start()] + _CHECK.format(mark=MARK) + new[at.start():], count


def vectorise(directory) -> int:
    """Rewrite the synapse loops of the code objects in ``directory`` (a C++ standalone
    project; module docstring); the number of loops rewritten."""
    return edit_code_objects(directory, "*.cpp", MARK, lambda text: (
        vectorise_text(text) if "__synaptic_" in text else (text, 0)))
