r"""Event-driven exact simulation of a network of QIF (theta) neurons.

Between events every neuron follows the closed-form flow of :mod:`.qif`; events are
input spikes of channel :math:`c` (current jump :math:`I \mathrel{+}= w_\mathrm{in}[c, :]`)
and network spikes of neuron :math:`j` (zeros of :math:`q`, current jump
:math:`I \mathrel{+}= W[j, :]`, no self-reset needed in projective form). Weight matrices
are ``(n_pre, n_post)``, as everywhere in the package. The simulation is a
``jax.lax.scan`` over at most ``K`` events; it is differentiable (``jax.grad``) with
respect to the weights, the input spike times and the initial state, which yields exact
gradients of spike times (Klos & Memmesheimer, arXiv 2309.14523, eqs. for the QIF neuron
with :math:`\tau_s = \tau/2`).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from .precision import in_float64
from .qif import flow, state_from_voltage, time_to_spike

__all__ = ["Trace", "simulate", "run", "neuron_spikes", "check_inputs"]


class Trace(NamedTuple):
    """Result of :func:`simulate` (all JAX arrays).

    ``t``: time after each of the ``K`` steps; ``spike``: whether the step was a network
    spike; ``neuron``: index of the spiking neuron (meaningful where ``spike``);
    ``p, q, I``: state at the trial end; ``complete``: whether ``K`` sufficed.
    """

    t: jax.Array
    spike: jax.Array
    neuron: jax.Array
    p: jax.Array
    q: jax.Array
    I: jax.Array
    complete: jax.Array


def check_inputs(W, w_in, in_times, in_channels, V_init, I_init, T, K, tau=1.0):
    """Validate shapes and ranges; raise ``ValueError`` naming the parameter."""
    import numpy as np

    if not (np.isscalar(T) or np.ndim(T) == 0) or not float(T) > 0:
        raise ValueError(f"T (trial duration) must be a number > 0, got {T!r}")
    if not float(tau) > 0:
        raise ValueError(f"tau (time constant) must be > 0, got {tau!r}")
    if int(K) < 1:
        raise ValueError(f"K (maximal number of events) must be >= 1, got {K!r}")
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W (recurrent weights) must have shape (N, N), got {W.shape}")
    N = W.shape[0]
    w_in = np.asarray(w_in)
    if w_in.ndim != 2 or w_in.shape[1] != N:
        raise ValueError(f"w_in (input weights) must have shape (n_in, N={N}), got {w_in.shape}")
    t_in = np.asarray(in_times)
    c_in = np.asarray(in_channels)
    if t_in.ndim != 1 or c_in.shape != t_in.shape:
        raise ValueError(
            f"in_times and in_channels must be 1-d of equal length, got {t_in.shape}, {c_in.shape}"
        )
    if c_in.size and (c_in.min() < 0 or c_in.max() >= w_in.shape[0]):
        raise ValueError(f"in_channels must lie in [0, {w_in.shape[0] - 1}]")
    if t_in.size and np.any(np.isnan(t_in)):
        raise ValueError("in_times must not contain NaN")
    for name, x in (("V_init", V_init), ("I_init", I_init)):
        if np.shape(x) != (N,):
            raise ValueError(f"{name} (initial state) must have shape (N={N},), got {np.shape(x)}")
    if np.any(~np.isfinite(np.asarray(I_init, dtype=float))):
        raise ValueError("I_init (initial current) must be finite")


@in_float64
def simulate(W, w_in, in_times, in_channels, V_init, I_init, T, K, tau=1.0):
    r"""Simulate one trial of duration ``T`` event by event (at most ``K`` events).

    Parameters: ``W`` (N, N) recurrent weights (``W[j, i]``: j -> i), ``w_in`` (n_in, N)
    input weights, ``in_times``/``in_channels`` (M,) input spikes (any order; times
    outside [0, T) have no effect), ``V_init``/``I_init`` (N,) initial voltage and synaptic
    current. Traceable by JAX; call :func:`check_inputs` first for validation.
    """
    order = jnp.argsort(in_times)
    t_in = jnp.concatenate([in_times[order], jnp.array([jnp.inf])])
    c_in = jnp.concatenate([in_channels[order], jnp.array([0])])
    p0, q0 = state_from_voltage(V_init)

    def step(carry, _):
        t, p, q, I, ptr = carry
        dts = time_to_spike(p, q, I, tau)
        j = jnp.argmin(dts)
        dt_net = dts[j]
        dt_in = t_in[ptr] - t
        is_in = dt_in <= dt_net
        dt = jnp.where(is_in, dt_in, dt_net)
        in_trial = t + dt < T
        dt = jnp.where(in_trial, dt, jnp.maximum(T - t, 0.0))
        p, q, I = flow(p, q, I, dt, tau)
        net = (~is_in) & in_trial
        # the spiking neuron sits exactly at q = 0 (exact: q(t_spike) = 0 identically)
        q = q.at[j].set(jnp.where(net, 0.0, q[j]))
        jump = jnp.where(is_in, w_in[c_in[ptr], :], W[j, :])
        I = I + jnp.where(in_trial, jump, 0.0)
        ptr = ptr + (is_in & in_trial)
        t = t + dt
        return (t, p, q, I, ptr), (t, net, j)

    init = (jnp.asarray(0.0), p0, q0, jnp.asarray(I_init, dtype=jnp.float64), jnp.asarray(0))
    (t, p, q, I, _), (ts, spikes, nrn) = jax.lax.scan(step, init, None, length=K)
    return Trace(ts, spikes, nrn, p, q, I, t >= T)


@in_float64
def neuron_spikes(trace: Trace, i, M):
    """First ``M`` spike times of neuron ``i`` (padded with ``inf``) and its spike count."""
    mask = trace.spike & (trace.neuron == i)
    idx = jnp.nonzero(mask, size=M, fill_value=0)[0]
    n = jnp.sum(mask)
    times = jnp.where(jnp.arange(M) < n, trace.t[idx], jnp.inf)
    return times, n


_simulate_jit = jax.jit(simulate, static_argnums=(7,))


@in_float64
def run(W, w_in, in_times, in_channels, V_init, I_init, T, K=None, tau=1.0):
    """Validated, compiled :func:`simulate` returning numpy results.

    ``K`` defaults to (number of inputs + 4 N + 1) and is doubled until the trial is
    complete. Returns a dict: ``spikes`` (list of arrays of spike times per neuron),
    ``V_end``, ``I_end`` and the raw :class:`Trace`.
    """
    import numpy as np

    N = np.shape(W)[0] if np.ndim(W) == 2 else 0
    K = int(K) if K is not None else int(np.size(in_times)) + 4 * max(N, 1) + 1
    check_inputs(W, w_in, in_times, in_channels, V_init, I_init, T, K, tau)
    args = [jnp.asarray(W, jnp.float64), jnp.asarray(w_in, jnp.float64),
            jnp.asarray(in_times, jnp.float64), jnp.asarray(in_channels, jnp.int32),
            jnp.asarray(V_init, jnp.float64), jnp.asarray(I_init, jnp.float64)]
    while True:
        tr = _simulate_jit(*args, float(T), K, float(tau))
        if bool(tr.complete):
            break
        K *= 2
    t, spk, nrn = (np.asarray(x) for x in (tr.t, tr.spike, tr.neuron))
    spikes = [t[spk & (nrn == i)] for i in range(N)]
    return {"spikes": spikes, "V_end": np.asarray(tr.p / tr.q), "I_end": np.asarray(tr.I),
            "trace": tr, "K": K}
