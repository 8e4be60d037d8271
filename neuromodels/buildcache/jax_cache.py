"""JAX's persistent compilation cache for a ``with`` block, and the seconds JAX spent
compiling (:func:`jax_compile_time`)."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from .folders import _environment

_JAX_DEFAULTS = {"jax_compilation_cache_dir": None,
                 "jax_persistent_cache_min_compile_time_secs": 1.0,
                 "jax_persistent_cache_min_entry_size_bytes": 0}


def _jax_update(values: dict) -> None:
    jax = sys.modules.get("jax")
    if jax is None:
        return
    for key, value in values.items():
        with contextlib.suppress(AttributeError, ValueError, TypeError):
            jax.config.update(key, value)
    with contextlib.suppress(Exception):   # let the next compile see the new folder
        from jax._src import compilation_cache

        compilation_cache.reset_cache()


@contextlib.contextmanager
def _jax_compilation_cache(folder: Path):
    """JAX's persistent compilation cache in ``folder`` for the ``with`` block (XLA
    compilation of the exact solver's scans: 20-30 s of a quick spike-time run), then
    JAX's previous settings again."""
    ours = {"jax_compilation_cache_dir": str(folder),
            "jax_persistent_cache_min_compile_time_secs": 0.0,
            "jax_persistent_cache_min_entry_size_bytes": 0}
    env = {key.upper(): str(value) for key, value in ours.items()}   # for a JAX imported later
    jax = sys.modules.get("jax")
    saved = {key: getattr(jax.config, key, _JAX_DEFAULTS[key]) for key in ours} if jax else None
    with _environment(env):
        _jax_update(ours)
        try:
            yield
        finally:
            _jax_update(saved or _JAX_DEFAULTS)


#: JAX's compile steps, reported as time spans: tracing to a jaxpr, lowering to MLIR, and the
#: XLA compile (or reading the executable from the persistent cache)
JAX_COMPILE_EVENTS = ("/jax/core/compile/jaxpr_trace_duration",
                      "/jax/core/compile/jaxpr_to_mlir_module_duration",
                      "/jax/core/compile/backend_compile_duration")


def _union_seconds(spans) -> float:
    """Length of the union of ``(start, end)`` intervals (nested traces count once)."""
    total, reach = 0.0, float("-inf")
    for start, end in sorted(spans):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


@contextlib.contextmanager
def jax_compile_time():
    """Yield a function that returns the seconds JAX has spent compiling (the steps of
    :data:`JAX_COMPILE_EVENTS`) since the ``with`` block began; always 0 if JAX was not
    imported when it began.  The rest of the block's time is running compiled code."""
    spans: list = []
    jax = sys.modules.get("jax")
    if jax is None:
        yield lambda: 0.0
        return
    import jax.monitoring as monitoring

    def listener(event, start, end, **kwargs):
        if event in JAX_COMPILE_EVENTS:
            spans.append((start, end))

    monitoring.register_event_time_span_listener(listener)
    try:
        yield lambda: _union_seconds(spans)
    finally:
        if hasattr(monitoring, "unregister_event_time_span_listener"):
            monitoring.unregister_event_time_span_listener(listener)
        else:   # JAX < 0.8 has no unregister for time spans
            from jax._src import monitoring as private

            with contextlib.suppress(ValueError):
                private._event_time_span_listeners.remove(listener)
