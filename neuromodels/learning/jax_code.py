"""Brian2 abstract code as JAX functions: the translation behind the differentiable twin.

Every piece of a model that the twin (:mod:`.twin`) runs comes from the SAME Brian2
definitions that the Brian2 program runs, never from a second, hand-written copy:

* the state update is the abstract code of the integration method Brian2 itself picks
  (:func:`state_update_code`: ``StateUpdateMethod.apply_stateupdater``, e.g. 'exact' for
  linear equations: ``_v = E_L + (v - E_L)*exp(-dt/tau_m)``, ``v = _v``);
* the threshold condition, the reset statements, a synapse's ``on_pre`` and the firing
  declaration (P, dP/dv) are the model's strings.

Each expression goes through Brian2's own parser (``str_to_sympy``) and ``sympy.lambdify``
onto ``jax.numpy``; every function call is mapped explicitly (:data:`JAX_FUNCTIONS`), and a
name or function without a JAX equivalent (``rand()``, ``randn()``, ``xi``, a TimedArray,
``t``) is reported, all of them at once, as a :class:`TwinError`.

:func:`antiderivative` integrates a surrogate derivative dP/dv over v (sympy), the smooth
P(v) of the twin's *smoothed* network (for the Gaussian surrogate: the normal CDF).
"""
from __future__ import annotations

import functools
import re

import jax
import jax.numpy as jnp
import sympy
from brian2 import Equations, StateUpdateMethod
from brian2.parsing.sympytools import str_to_sympy
from brian2.utils.stringtools import get_identifiers

from ..errors import UserError

__all__ = ["TwinError", "JAX_FUNCTIONS", "Expression", "Statements", "state_update_code",
           "subexpression_order", "antiderivative"]


class TwinError(UserError, ValueError):
    """A network or model that the differentiable twin cannot translate to JAX (the message
    names the model or projection and every piece that cannot be translated)."""


def _int(x):
    """Brian2's ``int()``: a boolean as 0/1, a number truncated towards zero."""
    x = jnp.asarray(x)
    return x.astype(jnp.result_type(float)) if x.dtype == bool else jnp.trunc(x)


def _exprel(x):
    return jnp.where(x == 0, 1.0, jnp.expm1(x) / jnp.where(x == 0, 1.0, x))


#: Brian2 / sympy function name -> its JAX implementation (the names ``str_to_sympy`` gives).
JAX_FUNCTIONS = {
    "exp": jnp.exp, "log": jnp.log, "log10": jnp.log10, "sqrt": jnp.sqrt, "Abs": jnp.abs,
    "sign": jnp.sign, "sin": jnp.sin, "cos": jnp.cos, "tan": jnp.tan, "sinh": jnp.sinh,
    "cosh": jnp.cosh, "tanh": jnp.tanh, "asin": jnp.arcsin, "acos": jnp.arccos,
    "atan": jnp.arctan, "floor": jnp.floor, "ceiling": jnp.ceil, "Mod": jnp.mod,
    "erf": jax.scipy.special.erf, "clip": jnp.clip, "int_": _int, "exprel": _exprel,
    "expm1": jnp.expm1, "log1p": jnp.log1p,
}
#: The Brian2 names of those functions (as written in model strings).
BRIAN_FUNCTIONS = {"abs", "arccos", "arcsin", "arctan", "ceil", "clip", "cos", "cosh", "exp",
                   "expm1", "exprel", "floor", "int", "log", "log10", "log1p", "sign", "sin",
                   "sinh", "sqrt", "tan", "tanh", "erf"}
_PREFIX = "_nm_jx_"
#: Names every expression may read besides the model's own.
CONSTANTS = {"pi", "e", "inf", "True", "False"}


def _jax_names(expr):
    """Every function call f(...) renamed to a plain name that :data:`JAX_FUNCTIONS` maps."""
    return expr.replace(lambda x: isinstance(x, sympy.Function) and
                        type(x).__name__ in JAX_FUNCTIONS,
                        lambda x: sympy.Function(_PREFIX + type(x).__name__)(*x.args))


def _to_sympy(code: str, known: set, where: str, problems: list):
    """The sympy expression of Brian2 code ``code``, or None (``problems`` says why)."""
    unknown = sorted(get_identifiers(code) - known - CONSTANTS - BRIAN_FUNCTIONS)
    calls = set(re.findall(r"([A-Za-z_]\w*)\s*\(", code))
    if unknown:
        what = ", ".join(f"{n}()" if n in calls else n for n in unknown)
        problems.append(f"{where}: {what} (no JAX equivalent: random numbers, time, "
                        f"TimedArrays and unknown functions cannot be translated)")
        return None
    expr = str_to_sympy(code)
    bad = sorted({type(f).__name__ for f in expr.atoms(sympy.Function)} - set(JAX_FUNCTIONS))
    if bad:
        problems.append(f"{where}: function(s) {', '.join(bad)} have no JAX equivalent")
        return None
    return expr


def lambdify(expr, names):
    """``expr`` (sympy) as a JAX function of the symbols ``names`` (in that order)."""
    symbols = [sympy.Symbol(n, real=True) for n in names]
    expr = expr.subs({s: t for s in expr.free_symbols for t in symbols if s.name == t.name})
    modules = [{_PREFIX + k: f for k, f in JAX_FUNCTIONS.items()}, "jax"]
    return sympy.lambdify(symbols, _jax_names(expr), modules=modules)


class Expression:
    """One Brian2 expression as a function of an environment ``{name: array}``."""

    def __init__(self, code: str, known: set, where: str, problems: list):
        self.code = code
        self.sympy = _to_sympy(code, known, where, problems)
        if self.sympy is not None:
            self.names = sorted(s.name for s in self.sympy.free_symbols)
            self._f = lambdify(self.sympy, self.names)

    def __call__(self, env):
        return self._f(*(env[n] for n in self.names))


_STATEMENT = re.compile(r"^\s*([A-Za-z_]\w*)\s*(=|\+=|-=|\*=|/=)\s*(.+?)\s*$")


class Statements:
    """Brian2 statements (``x = expr``, ``x += expr``, ...), run one after the other on an
    environment; :meth:`__call__` returns the updated copy."""

    def __init__(self, code: str, known: set, where: str, problems: list):
        self.code = code or ""
        self.steps = []
        names = set(known)
        for line in self.code.splitlines():
            line = line.split("#")[0].strip()
            if not line:
                continue
            match = _STATEMENT.match(line)
            if match is None:
                problems.append(f"{where}: statement {line!r} is not 'variable op expression'")
                continue
            var, op, code_expr = match.groups()
            names.add(var)   # temporaries such as _v
            self.steps.append((var, op, Expression(code_expr, names, where, problems)))

    @property
    def targets(self):
        return [var for var, _, _ in self.steps]

    def __call__(self, env):
        env = dict(env)
        for var, op, expr in self.steps:
            value = expr(env)
            if op == "=":
                env[var] = value
            elif op == "+=":
                env[var] = env[var] + value
            elif op == "-=":
                env[var] = env[var] - value
            elif op == "*=":
                env[var] = env[var] * value
            else:
                env[var] = env[var] / value
        return env


def state_update_code(equations: Equations, method: str, name: str) -> str:
    """The abstract code of the state update Brian2 generates for ``equations`` with
    ``method`` (its own method choice, e.g. 'exact' for linear equations)."""
    if not equations.diff_eq_names:
        return ""
    return StateUpdateMethod.apply_stateupdater(equations, {}, method, group_name=name)


def subexpression_order(equations: Equations) -> list:
    """``(name, expression)`` of the subexpressions, each after those it reads."""
    subs = {name: str(equations[name].expr) for name in equations.subexpr_names}
    order = []
    while subs:
        ready = [n for n, e in subs.items() if not (get_identifiers(e) & set(subs) - {n})]
        if not ready:
            raise TwinError(f"The subexpressions {sorted(subs)} depend on each other in a cycle.")
        for n in ready:
            order.append((n, subs.pop(n)))
    return order


@functools.lru_cache(maxsize=64)
def _integrate(derivative: str, membrane: str, values: tuple):
    """:func:`_integrate_sympy`, kept across processes in the cache folder (``sympy.srepr``,
    which reads back to the same expression; sympy's integral and limit of the Gaussian
    surrogate took 1.4 s in every run of a study with a twin)."""
    from ..buildcache.folders import _digest, cache_dir, cached_text, enabled

    key = _digest("antiderivative", sympy.__version__, derivative, membrane, values)
    text = cached_text(cache_dir() / "antiderivatives" / f"{key}.txt" if enabled() else None,
                       lambda: sympy.srepr(_integrate_sympy(derivative, membrane, values)))
    return None if text == "None" else sympy.sympify(text)


def _integrate_sympy(derivative: str, membrane: str, values: tuple):
    expr = str_to_sympy(derivative)
    expr = expr.subs({s: sympy.Float(dict(values)[s.name]) for s in expr.free_symbols
                      if s.name in dict(values)})
    v = next((s for s in expr.free_symbols if s.name == membrane), None)
    if v is None:
        return None
    F = sympy.integrate(expr, v)
    if F.has(sympy.Integral):
        return None
    low = sympy.limit(F, v, -sympy.oo)
    if low.has(sympy.Limit) or low.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        return None
    return F - (sympy.Float(low.evalf()) if low.is_number else low)


def antiderivative(derivative: str, membrane: str, substitutions: list, values: dict):
    """P(v) = integral from -inf to v of ``derivative`` (a Brian2 expression of dP/dv), with
    the subexpressions ``substitutions`` [(name, expression)] (each after those it reads)
    and the shared parameter ``values`` {name: SI float} inserted; a sympy expression, or
    None where sympy finds no closed form with P(-inf) finite."""
    code = derivative
    for name, sub in reversed(substitutions):
        code = re.sub(rf"\b{name}\b", f"({sub})", code)
    return _integrate(code, membrane, tuple(sorted(values.items())))
