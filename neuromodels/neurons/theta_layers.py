r"""Brian2 version of the layered theta-oscillator network of
:mod:`neuromodels.exact.feedforward` (train exactly, run anywhere).

Neuron (phase form, :math:`V = \tfrac12 + \tfrac12\tan\tfrac\theta2`, as
:mod:`neuromodels.neurons.theta`), constant drive :math:`I_0 > 1/4`, delta-pulse synapses:

.. math::

    \tau\dot\theta = -\cos\theta + 2 I_0 (1 + \cos\theta),\qquad
    \text{pre spike: } V \mathrel{+}= w \iff \theta \leftarrow 2\arctan(\tan\tfrac\theta2 + 2w),

spike at :math:`\theta = \pi`. The synapses add their weights to ``dVsum`` (linear, so simultaneous
pulses sum as in the exact model); a ``run_regularly`` after the synapses applies the jump
once per step. Time-to-first-spike coding: after its first spike a neuron is
refractory for the rest of the trial (``refractory`` longer than the trial, ``theta`` frozen),
exactly the exact solver's "each neuron fires at most once". Integrated clock-driven with
RK4; spike times are interpolated as in :func:`neuromodels.neurons.theta.spike_times`
(:math:`\dot\theta = 1/\tau` at :math:`\theta=\pi`). Many samples run at once as independent
copies of the network (block-diagonal synapses).
"""

from __future__ import annotations

import numpy as np
from brian2 import (Network, NeuronGroup, SpikeGeneratorGroup, SpikeMonitor, Synapses,
                    ms, second)

from .theta import crossing_times

__all__ = ["THETA_OSC_EQUATIONS", "THETA_OSC_ON_PRE", "THETA_OSC_APPLY", "run_feedforward"]

THETA_OSC_EQUATIONS = """
dtheta/dt = (-cos(theta) + 2*I0*(1 + cos(theta)))/tau : 1 (unless refractory)
dVsum : 1  # summed pulses of this time step
"""
#: synapses accumulate the voltage jumps of a step (linear, so simultaneous spikes add)...
THETA_OSC_ON_PRE = "dVsum_post += w"
#: ...which the neuron applies once per step, after the synapses: V += dV
THETA_OSC_APPLY = "theta = theta + int(not_refractory)*(2*arctan(tan(theta/2) + 2*dVsum) - theta)\ndVsum = 0"


def _theta0(psi0, tau, I0):
    """Brian2 phase theta of the exact phase psi (same time unit as tau)."""
    r = np.sqrt(I0 - 0.25)
    V = r * np.tan(np.asarray(psi0) * r / tau - np.pi / 2) + 0.5
    return 2 * np.arctan(2 * V - 1)


def run_feedforward(params, t_in, w_mask, *, tau=6 / np.pi, I0=1.25, T=2.0, unit=10 * ms,
                    dt=None, chunk=250, runner=None):
    """Simulate the trained network in Brian2 for ``T`` (model time units, 1 unit =
    ``unit``) on every sample of ``t_in`` (B, n_in) (inputs with ``w_mask == 0`` do not
    spike). ``params`` as returned by :func:`neuromodels.exact.feedforward.train`.

    ``runner(net, duration)`` runs each Brian2 network (default ``net.run``; a study passes
    its ``ctx.run``). Returns a list (one per layer) of (B, n_l) first-spike times in model units, ``inf``
    for neurons that did not fire within ``T``.
    """
    from brian2 import defaultclock

    Ws = [np.asarray(W, float) for W in params["W"]]
    psis = [np.asarray(p, float) for p in params["psi0"]]
    t_in = np.asarray(t_in, float)
    w_mask = np.asarray(w_mask, float)
    if t_in.ndim != 2 or t_in.shape != w_mask.shape or t_in.shape[1] != Ws[0].shape[1]:
        raise ValueError("t_in and w_mask must have shape (B, n_in) matching the weights")
    dt = 1e-3 * unit if dt is None else dt
    unit_s = float(unit / second)
    B = t_in.shape[0]
    out = [np.full((B, W.shape[0]), np.inf) for W in Ws]
    for start in range(0, B, chunk):
        sl = slice(start, min(B, start + chunk))
        res = _run_chunk(Ws, psis, t_in[sl], w_mask[sl], tau, I0, T, unit, dt, runner)
        for l, r in enumerate(res):
            out[l][sl] = r
    return out


def _block_connect(S, W, b, n_pre, n_post):
    post, pre = np.nonzero(W)
    w = W[post, pre]
    offs_pre = (np.arange(b) * n_pre)[:, None]
    offs_post = (np.arange(b) * n_post)[:, None]
    S.connect(i=(pre[None, :] + offs_pre).ravel(), j=(post[None, :] + offs_post).ravel())
    S.w = np.tile(w, b)


def _run_chunk(Ws, psis, t_in, w_mask, tau, I0, T, unit, dt, runner=None):
    b, n_in = t_in.shape
    unit_s, dt_s = float(unit / second), float(dt / second)
    ns = {"tau": tau * unit, "I0": I0}
    on = (w_mask > 0) & np.isfinite(t_in) & (t_in <= T)
    smp, ch = np.nonzero(on)
    # emit each input in the step that starts at or just before its time
    times = np.floor(t_in[smp, ch] * unit_s / dt_s + 1e-9) * dt_s
    P = SpikeGeneratorGroup(b * n_in, smp * n_in + ch, times * second, dt=dt)
    objs, groups, mons = [P], [], []
    prev, n_prev = P, n_in
    for l, (W, psi0) in enumerate(zip(Ws, psis)):
        n = W.shape[0]
        G = NeuronGroup(b * n, THETA_OSC_EQUATIONS, threshold="theta > pi",
                        reset="theta = pi", refractory=2 * (T + 1) * unit, method="rk4",
                        namespace=ns, dt=dt, name=f"layer{l}*")
        G.theta = np.tile(_theta0(psi0, tau, I0), b)
        G.run_regularly(THETA_OSC_APPLY, when="after_synapses", name=f"apply{l}*")
        S = Synapses(prev, G, model="w : 1", on_pre=THETA_OSC_ON_PRE, dt=dt,
                     name=f"syn{l}*")
        _block_connect(S, W, b, n_prev, n)
        M = SpikeMonitor(G, variables=["theta"], name=f"mon{l}*")
        objs += [G, S, M]
        mons.append((M, n))
        prev, n_prev = G, n
    net = Network(*objs)
    if runner is None:
        net.run(T * unit, namespace={})
    else:
        runner(net, T * unit)
    res = []
    for M, n in mons:
        ts = crossing_times(M.t / second, M.theta, dt_s, tau * unit_s) / unit_s
        idx = np.asarray(M.i)
        r = np.full(b * n, np.inf)
        # first spike per neuron (each neuron fires at most once)
        order = np.argsort(ts)[::-1]
        r[idx[order]] = ts[order]
        r = np.where(r <= T, r, np.inf)
        res.append(r.reshape(b, n))
    return res
