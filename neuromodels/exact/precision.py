"""Double precision for the exact solver, without touching JAX's global setting.

JAX computes in float32 unless ``jax_enable_x64`` is on. Exact spike times and their
gradients need float64 (finite-difference checks at 1e-8, spike times that must agree with
Brian2 to 1e-6), so every public function of :mod:`neuromodels.exact` runs inside
:func:`float64`, a scoped switch (``jax.enable_x64`` / ``jax.experimental.enable_x64``):
the precision does not depend on what was imported first, and the caller's own JAX code
keeps whatever setting it had.

Calling the package's functions directly (``run``, ``train``, ``forward``, ...) needs
nothing. To transform them yourself (``jax.grad``, ``jax.jit``, ``jax.vmap``), open the
scope around the transformation, or they refuse to run in float32::

    from neuromodels.exact import float64
    with float64():
        g = jax.grad(loss)(params)
"""
from __future__ import annotations

import functools

import jax

__all__ = ["float64", "in_float64", "scoped_precision"]


def float64():
    """Context manager: JAX arrays and computations inside are float64 (scoped)."""
    return scoped_precision("float64")


def scoped_precision(name: str):
    """Context manager: JAX computes in ``name`` ('float64': x64 on, 'float32': x64 off)
    inside, whatever the global setting."""
    if name not in ("float32", "float64"):
        raise ValueError(f"precision must be 'float32' or 'float64', got {name!r}")
    if hasattr(jax, "enable_x64"):  # JAX >= 0.8
        return jax.enable_x64(name == "float64")
    from jax.experimental import disable_x64, enable_x64  # JAX 0.4 - 0.7

    return enable_x64() if name == "float64" else disable_x64()


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


def in_float64(fn):
    """Decorator: run ``fn`` inside :func:`float64`. Traced arguments (``fn`` called inside a
    ``jax.grad``/``jit``/``vmap`` begun in float32) are refused with an error that says how to
    open the scope: their precision was fixed before ``fn`` could choose it."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if jax.config.jax_enable_x64:
            return fn(*args, **kwargs)
        if any(_is_tracer(x) for x in jax.tree_util.tree_leaves((args, kwargs))):
            raise TypeError(
                f"neuromodels.exact.{fn.__qualname__} was called inside a JAX transformation "
                "running in float32; open the float64 scope around it: "
                "`with neuromodels.exact.float64(): ...`")
        with float64():
            return fn(*args, **kwargs)

    return wrapper
