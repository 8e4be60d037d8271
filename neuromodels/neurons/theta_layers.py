r"""Brian2 version of the layered theta-oscillator network of
:mod:`neuromodels.exact.feedforward` (train exactly, run anywhere).

Neuron (phase form, :math:`V = \tfrac12 + \tfrac12\tan\tfrac\theta2`, as
:mod:`neuromodels.neurons.theta`), constant drive :math:`I_0 > 1/4`, delta-pulse synapses:

.. math::

    \tau\dot\theta = -\cos\theta + 2 I_0 (1 + \cos\theta),\qquad
    \text{pre spike: } V \mathrel{+}= w \iff \theta \leftarrow 2\arctan(\tan\tfrac\theta2 + 2w),

spike at :math:`\theta = \pi`. The synapses add their weights to ``dVsum`` (linear, so simultaneous
pulses sum as in the exact model); a ``run_regularly`` at the start of the next step, before
the state update, applies the jump once (nothing acts on ``theta`` in between; brian2genn
allows run_regularly only in that slot). Time-to-first-spike coding: after its first spike a neuron is
refractory for the rest of the trial (``refractory`` longer than the trial, ``theta`` frozen),
exactly the exact solver's "each neuron fires at most once". Integrated clock-driven with
RK4; spike times are interpolated as in :func:`neuromodels.neurons.theta.spike_times`
(:math:`\dot\theta = 1/\tau` at :math:`\theta=\pi`). Many samples run at once as independent
copies of the network (block-diagonal synapses). Runs on runtime, C++ standalone and GeNN
(one clock, one postsynaptic variable per synapse, the jump as a named ``run_regularly``).
"""

from __future__ import annotations

import numpy as np
from brian2 import Network, SpikeGeneratorGroup, SpikeMonitor, ms, second

from ..devices import network_clock
from ..model import NeuronModel, SynapseModel
from ..parameters import Parameter, ParameterSet, positive
from .theta import crossing_times

__all__ = ["THETA_OSC", "THETA_OSC_SYNAPSE", "THETA_OSC_EQUATIONS", "THETA_OSC_ON_PRE",
           "THETA_OSC_APPLY", "run_feedforward"]

THETA_OSC_EQUATIONS = """
dtheta/dt = (-cos(theta) + 2*I0*(1 + cos(theta)))/tau : 1 (unless refractory)
dVsum : 1  # summed pulses of this time step
"""
#: synapses accumulate the voltage jumps of a step (linear, so simultaneous spikes add)...
THETA_OSC_ON_PRE = "dVsum_post += w"
#: ...which the neuron applies once, at the start of the next step: V += dV
THETA_OSC_APPLY = "theta = theta + int(not_refractory)*(2*arctan(tan(theta/2) + 2*dVsum) - theta)\ndVsum = 0"

#: The neuron as a model (``t_once`` longer than the trial: at most one spike per trial).
THETA_OSC = NeuronModel(
    name="theta_osc",
    equations=THETA_OSC_EQUATIONS,
    parameters=ParameterSet(
        positive("tau", 60 / np.pi * ms, "time constant (free-running period 60 ms at I0 = 5/4)"),
        Parameter("I0", 1.25, "constant drive (an oscillator needs I0 > 1/4)", low=0.25),
        positive("t_once", 1 * second, "refractory period after the first spike (> trial)"),
    ),
    threshold="theta > pi",
    reset="theta -= 2*pi",  # frozen afterwards (refractory); see crossing_times
    refractory="t_once",
    method="rk4",
    run_regularly=((THETA_OSC_APPLY, "start"),),
    reference="Klos & Memmesheimer (2025) Phys Rev Lett, arXiv 2309.14523",
)
#: Delta-pulse synapse: a presynaptic spike adds ``w`` to the target's ``dVsum``.
THETA_OSC_SYNAPSE = SynapseModel(name="theta_osc_pulse", parameters=ParameterSet(),
                                 model="w : 1", on_pre=THETA_OSC_ON_PRE,
                                 reference=THETA_OSC.reference)


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
    its ``ctx.run``; on a standalone device ``session.run``, with ``chunk`` >= B since a
    device builds one network). ``dt`` defaults to ``unit/1000``; every object runs on the
    default clock when its ``dt`` is the same (which GeNN requires), else on one new clock.
    Returns a list (one per layer) of (B, n_l) first-spike times in model units, ``inf``
    for neurons that did not fire within ``T``.
    """
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
    clock = network_clock(dt)  # one clock for every object (GeNN: the default clock)
    params = {"tau": tau * unit, "I0": I0, "t_once": 2 * (T + 1) * unit}
    on = (w_mask > 0) & np.isfinite(t_in) & (t_in <= T)
    smp, ch = np.nonzero(on)
    # emit each input in the step that starts at or just before its time
    times = np.floor(t_in[smp, ch] * unit_s / dt_s + 1e-9) * dt_s
    P = SpikeGeneratorGroup(b * n_in, smp * n_in + ch, times * second, clock=clock)
    objs, mons = [P], []
    prev, n_prev = P, n_in
    for l, (W, psi0) in enumerate(zip(Ws, psis)):
        n = W.shape[0]
        G = THETA_OSC.group(b * n, name=f"layer{l}*", params=params, clock=clock)
        G.theta = np.tile(_theta0(psi0, tau, I0), b)
        S = THETA_OSC_SYNAPSE.synapses(prev, G, name=f"syn{l}*", clock=clock)
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
