r"""Networks of theta neurons built from exact solutions (train exactly, run anywhere).

* :func:`network_from_exact`: the Brian2 objects of a recurrent QIF network of
  :mod:`neuromodels.exact.network` (its weights, inputs and initial state), with the theta
  neuron :data:`neuromodels.neurons.theta.THETA` and sub-step-corrected synapses.
* :func:`run_feedforward`: runs a layered time-to-first-spike network trained by
  :func:`neuromodels.exact.feedforward.train` with the oscillator
  :data:`neuromodels.neurons.theta.THETA_OSC`, many samples at once as independent copies
  (block-diagonal synapses), and returns its first-spike times.
* :func:`first_spike_agreement`: how closely those first-spike times match the exact
  solver's (quantiles of the difference, spikes in the trial in only one of the two).

Weight matrices are ``(n_pre, n_post)``, as everywhere in the package.
"""
from __future__ import annotations

import numpy as np
from brian2 import Network, SpikeGeneratorGroup, SpikeMonitor, ms, second

from ..devices import DeviceError, network_clock, require_active_device
from ..neurons.theta import (THETA, THETA_INPUT_SYNAPSE, THETA_OSC, THETA_OSC_SYNAPSE,
                             THETA_RECURRENT_SYNAPSE, THETA_SYNAPSE, TIME_UNIT, crossing_times,
                             theta_group)

__all__ = ["network_from_exact", "run_feedforward", "first_spike_agreement"]


def network_from_exact(W, w_in, in_times, in_channels, V_init, I_init, tau=10 * ms, dt=None,
                       substep=True, model=THETA):
    """Brian2 objects for an exact QIF network (:func:`neuromodels.exact.network.simulate`).

    ``W`` (N, N) recurrent weights and ``w_in`` (n_in, N) input weights, both
    ``(n_pre, n_post)``; input spikes ``in_times`` (units of ``tau``) of channels
    ``in_channels``; initial voltage ``V_init`` and synaptic current ``I_init`` (N,).
    Returns a dict: ``neurons``, ``inputs`` (SpikeGeneratorGroup), ``input_synapses``,
    ``synapses`` (recurrent), ``monitor`` (SpikeMonitor recording ``theta``) and
    ``objects`` (all of them, for ``Network(*objects)``). Each input spike has its own
    generator index and a sub-step lag (see :mod:`neuromodels.neurons.theta`). The caller
    runs ``T * tau`` and reads :func:`neuromodels.neurons.theta.spike_times`. All objects
    share one clock, :func:`neuromodels.devices.network_clock` of ``dt``.

    ``substep=False`` uses :data:`~neuromodels.neurons.theta.THETA_SYNAPSE` instead of the
    sub-step-corrected synapses (which write two postsynaptic variables, which GeNN cannot):
    spike timing is then exact to RK4 order only for inputs on the time grid and first order
    in ``dt`` otherwise.

    ``model``: the neuron (default :data:`~neuromodels.neurons.theta.THETA`; a user's variant
    of it, with the variables ``theta`` and ``I``, for
    :func:`neuromodels.networks.neuron_checks.exact_solver`).
    """
    W = np.asarray(W, dtype=float)
    w_in = np.asarray(w_in, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W (recurrent weights) must have shape (N, N), got {W.shape}")
    N = W.shape[0]
    if w_in.ndim != 2 or w_in.shape[1] != N:
        raise ValueError(f"w_in (input weights) must have shape (n_in, N={N}), got {w_in.shape}")
    t_in = np.asarray(in_times, dtype=float)
    c_in = np.asarray(in_channels, dtype=int)
    if t_in.shape != c_in.shape or t_in.ndim != 1:
        raise ValueError("in_times and in_channels must be 1-d arrays of equal length")
    if t_in.size and np.any(t_in < 0):
        raise ValueError("in_times must be >= 0")
    synapse_in, synapse_rec = ((THETA_INPUT_SYNAPSE, THETA_RECURRENT_SYNAPSE) if substep
                               else (THETA_SYNAPSE, THETA_SYNAPSE))
    for synapse in (synapse_in, synapse_rec):
        try:
            require_active_device(synapse.devices, f"Synapse model '{synapse.name}'")
        except DeviceError as err:
            raise DeviceError(f"{err} Pass substep=False to use '{THETA_SYNAPSE.name}'.") from None
    clock = network_clock(dt)  # one clock for every object (GeNN: the default clock)
    dt_s = float(clock.dt / second)
    tau_s = float(tau / second)
    G = theta_group(N, V_init=V_init, I_init=I_init, clock=clock, tau=tau, model=model)
    # one generator index per input spike, emitted in the step whose end is the first grid
    # time >= t_k; the synapse carries the lag of the step's end behind t_k
    n_end = np.maximum(np.ceil(t_in * tau_s / dt_s - 1e-9).astype(int), 1)
    lag = (n_end * dt_s - t_in * tau_s) / tau_s
    k = np.arange(t_in.size)
    P = SpikeGeneratorGroup(max(t_in.size, 1), k, (n_end - 1) * dt_s * second, clock=clock)
    w_spike = w_in[c_in, :]  # (n_spikes, N): weights of each input spike onto every neuron
    pre, post = np.nonzero(w_spike)
    S_in = synapse_in.connect(P, G, pre, post, clock=clock)
    S_in.w = w_spike[pre, post]
    if substep:
        S_in.lag = lag[pre]
    objects = [G, P, S_in]
    S = None
    src, tgt = np.nonzero(W)
    if src.size:
        S = synapse_rec.connect(G, G, src, tgt, clock=clock)
        S.w = W[src, tgt]
        objects.append(S)
    M = SpikeMonitor(G, variables=["theta"])
    objects.append(M)
    return {"neurons": G, "inputs": P, "input_synapses": S_in, "synapses": S, "monitor": M,
            "objects": objects}


def _theta0(psi0, tau, I0):
    """Brian2 phase theta of the exact phase psi (same time unit as tau)."""
    r = np.sqrt(I0 - 0.25)
    V = r * np.tan(np.asarray(psi0) * r / tau - np.pi / 2) + 0.5
    return 2 * np.arctan(2 * V - 1)


def run_feedforward(params, t_in, w_mask, *, neuron, T=2.0, unit=TIME_UNIT, dt=None,
                    chunk=250, runner=None):
    """Simulate a trained layered network in Brian2 for ``T`` (model time units, 1 unit =
    ``unit``) on every sample of ``t_in`` (B, n_in) (inputs with ``w_mask == 0`` do not
    spike). ``params`` and ``neuron`` (its ``tau`` and ``I0``, in model units) as returned by
    :func:`neuromodels.exact.feedforward.train`: a network runs with the neuron it was
    trained with.

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
    if t_in.ndim != 2 or t_in.shape != w_mask.shape or t_in.shape[1] != Ws[0].shape[0]:
        raise ValueError("t_in and w_mask must have shape (B, n_in) matching the weights "
                         "(n_in, n_1)")
    dt = 1e-3 * unit if dt is None else dt
    B = t_in.shape[0]
    out = [np.full((B, W.shape[1]), np.inf) for W in Ws]
    for start in range(0, B, chunk):
        sl = slice(start, min(B, start + chunk))
        res = _run_chunk(Ws, psis, t_in[sl], w_mask[sl], float(neuron.tau), float(neuron.I0),
                         T, unit, dt, runner)
        for l, r in enumerate(res):
            out[l][sl] = r
    return out


def first_spike_agreement(brian2_times, exact_times, T):
    """Agreement of Brian2 first-spike times (``inf``: no spike in the trial) with the exact
    solver's (times past ``T`` are pseudospikes, not in the trial), over every layer and
    sample. Returns ``(quantiles, one_only, compared)``: the median, 99th percentile and
    largest of |t_brian2 - t_exact| over neurons firing in the trial in both (zeros when
    none), the fraction of neuron-sample pairs firing in the trial in only one of them, and
    how many spike times were compared.
    """
    b = np.concatenate([np.asarray(x, float).ravel() for x in brian2_times])
    e = np.concatenate([np.asarray(x, float).ravel() for x in exact_times])
    fired_b, fired_e = np.isfinite(b), e <= T
    both = fired_b & fired_e
    diffs = np.abs(b[both] - e[both])
    quantiles = np.quantile(diffs, [0.5, 0.99, 1.0]) if diffs.size else np.zeros(3)
    return quantiles, float(np.mean(fired_b != fired_e)), int(both.sum())


def _block_connect(S, W, b, n_pre, n_post):
    pre, post = np.nonzero(W)
    w = W[pre, post]
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
        n = W.shape[1]
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
