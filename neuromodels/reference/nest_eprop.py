"""NEST 3.10's e-prop (``*_bsshslm_2020`` models) with given weights, inputs and targets.

The reference for our Brian2 e-prop (Bellec et al. 2020, Nat. Commun. 11:3625): the recurrent
``eprop_iaf_bsshslm_2020`` -> ``eprop_readout_bsshslm_2020`` network of NEST's sine-wave
regression example (pynest/examples/eprop_plasticity/eprop_supervised_regression_sine-waves_
bsshslm_2020.py), which NEST's testsuite/pytests/synapses/test_eprop_bsshslm_2020_plasticity.py
checks against the original TensorFlow code (rtol 1e-7).  Why ``_bsshslm_2020`` and not the
newer ``eprop_iaf``/``eprop_readout``: it is the variant verified against TensorFlow, and it
computes the paper's offline e-prop (one update per sequence, all states and traces reset at
each sequence start); the newer models learn online, without resets, with other conventions.
Layout as everywhere in neuromodels: weights (n_pre, n_post).  Units are NEST's: ms, mV, pA
with C_m = 1 pF, E_L = 0; a spike through weight w moves the voltage by ζ·w mV.

What NEST computes (sources at tag v3.10; k = 0 … T-1 the step within a sequence of T steps,
one update interval = one sequence; α = exp(-dt/τ_m), κ = exp(-dt/τ_out), ζ = 1 - α,
ζ_out = 1 - κ (``regular_spike_arrival`` False, as in NEST's example); IAF = models/eprop_iaf_
bsshslm_2020.cpp, OUT = models/eprop_readout_bsshslm_2020.cpp, ARCH = nestkernel/eprop_
archiving_node_recurrent_impl.h, SYN = models/eprop_synapse_bsshslm_2020.h).  Every weight
after every update equals (to 1e-12) a numpy transcription of this list in
tests/test_reference_nest_eprop.py.

- Membrane (IAF:284-323), recurrent neuron j: at k = 0, v = z = 0 and r = 0; then
  v^k = α v^{k-1} + ζ (Σ_i W^in_ij x_i^k + Σ_i W^rec_ij z_i^{k-1}) - v_th z_j^{k-1}: reset by
  subtraction one step after the spike; z_j^k = H(v^k - v_th) if r = 0, then r = t_ref/dt
  (r is decremented before v is computed, so no spike and ψ = 0 for t_ref/dt - 1 steps).
  x^k: input spikes of step k.  Not delivered: inputs at k = 0 and recurrent spikes of
  k = T-1 (SYN:565-570, the sequence boundary); no autapses.
- Surrogate (ARCH:87-99), after the subtraction: ψ_j^k = h max(0, 1 - |v^k - v_th| / w);
  with h = γ/v_th and w = v_th as in NEST's example: ψ = (γ/v_th) max(0, 1 - |v - v_th|/v_th).
- Presynaptic trace (IAF:418): x̄_i^k = α x̄_i^{k-1} + ζ s_i^k, s_i^k the spike entering v^k
  (the current step's input spike is included; for a recurrent neuron s^k = z^{k-1});
  x̄ = 0 at the sequence start.
- Eligibility (IAF:419-420): e_ij^k = ψ_j^k x̄_i^k;  ē_ij^k = κ ē_ij^{k-1} + (1 - κ) e_ij^k.
- Readout (OUT:248-315), MSE: y_m^k = κ y_m^{k-1} + ζ_out Σ_j W^out_jm z_j^k, y = 0 at the
  sequence start, so the spikes of step k count at once: NEST's rec->out delay and its
  readout delay (``readout_signal`` = the previous step's V_m, OUT:312) are undone by the
  history shift (nestkernel/eprop_archiving_node_readout.h:123-147).  E_m^k = y_m^k - y*_m^k.
- Learning signal (ARCH:177-199, 260-276): L_j^k = Σ_m B_jm E_m^k, the raw error of the same
  step through the fixed feedback B (no readout derivative); NEST's 3 one-step delays
  (rec->out, out->norm, out->rec) are undone by writing L 3 steps back in the history.
- Gradient (IAF:392-441; ARCH:203-221), per sequence: g_ij = Σ_k L_j^k ē_ij^k
  + c_reg (n_j/T - f_target dt) / T · Σ_k e_ij^k  (n_j: spikes of j in the sequence;
  f_target dt: target spikes per step, f_target in Hz, dt in s); readout (OUT:376-415):
  g_jm = Σ_k E_m^k z̄_j^k, z̄_j^k = κ z̄_j^{k-1} + ζ_out z_j^k
  (no κ-filtered eligibility); ``average_gradient`` divides both by T.
- Update (SYN:588-611, models/weight_optimizer.cpp:126-183): W <- clip(W - η g, ±w_bound) once
  per sequence (batch size 1), applied at the synapse's first presynaptic spike after the
  sequence end (SYN:627-636; the same weights as at the end).
- Loss (NEST's test): E = ½ Σ_k Σ_m (y_m^k - y*_m^k)² per sequence (the test averages over
  outputs; the same for one output).
- One artefact: an input spike at k = 1 of sequence n+1 triggers sequence n's gradient
  (SYN:588-599) before the learning signal of its step T-1 has arrived, so that synapse's sum
  lacks the term k = T-1.  Keep inputs silent at k = 0 and 1 when comparing.

The weights after each update are read from a ``weight_recorder`` (a synapse transmits its
weight at each presynaptic spike); one extra sequence, in which every input and, by a strong
static kick, every recurrent neuron fires at k = 2, reads out the last update.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neuromodels.errors import UserError
from neuromodels.reference.nest_synapses import _kernel, available

__all__ = ["available", "EpropRun", "sine_wave_task", "run"]

# NEST's fixed one-step offsets (nestkernel/eprop_archiving_node.h:164-180): generator offset,
# input->rec and rec->out transmission, readout normalisation delay.
_OFFSET_GEN, _DELAY_IN_REC, _DELAY_REC_OUT, _DELAY_OUT_NORM = 1, 1, 1, 1


@dataclass(frozen=True)
class EpropRun:
    """NEST's result.  Weights (n_iter + 1, n_pre, n_post), pA: ``[0]`` the initial weights,
    ``[n]`` those after update n; ``loss`` (n_iter,) per sequence; ``readout`` and ``target``
    (n_iter, T, n_out): y^k and y*^k as NEST recorded them."""
    w_in: np.ndarray
    w_rec: np.ndarray
    w_out: np.ndarray
    loss: np.ndarray
    readout: np.ndarray
    target: np.ndarray


def sine_wave_task(seed: int = 1, n_in: int = 100, n_rec: int = 100, n_out: int = 1,
                   steps: int = 1000, p_in: float = 0.05,
                   periods=(1000, 500, 333, 200)) -> dict:
    """NEST's sine-wave regression task, drawn as its test draws it (``np.random.seed(seed)``,
    same order): ``w_in`` (n_in, n_rec), ``w_rec`` (n_rec, n_rec, zero diagonal), ``w_out``
    (n_rec, n_out) and feedback ``b`` (n_rec, n_out; B_jm, symmetric e-prop is b = w_out),
    each N(0, 1/fan-in) rounded to float32; ``inputs`` (steps, n_in) Bernoulli(p_in), silent
    at step 0; ``target`` (steps, n_out): sum of sines (periods in steps, amplitudes U(0.5, 2),
    phases U(0, 2π)), shifted to start at 0 and scaled to max |y*| = 1."""
    rng = np.random.RandomState(seed)

    def normal(shape, fan_in):
        return np.asarray(rng.randn(*shape) / np.sqrt(fan_in), np.float32).astype(float)

    w_in = normal((n_in, n_rec), n_in)
    w_rec = normal((n_rec, n_rec), n_rec)
    np.fill_diagonal(w_rec, 0.0)
    w_out = normal((n_rec, n_out), n_rec)
    b = normal((n_rec, n_out), n_rec)
    inputs = rng.rand(steps, n_in) < p_in
    inputs[0] = False
    amplitudes = rng.uniform(0.5, 2.0, size=len(periods))
    phases = rng.uniform(0.0, 2.0 * np.pi, size=len(periods))
    sines = sum(a * np.sin(np.linspace(phi, phi + 2.0 * np.pi * (steps // period), steps))
                for a, phi, period in zip(amplitudes, phases, periods))
    sines = sines - sines[0]
    sines /= max(np.abs(sines).max(), 1e-6)
    target = np.repeat(sines[:, None], n_out, axis=1)
    return {"w_in": w_in, "w_rec": w_rec, "w_out": w_out, "b": b, "inputs": inputs,
            "target": target}


def _per_sequence(array, n_iter, name, width):
    array = np.asarray(array)
    if array.ndim == 2:
        array = np.broadcast_to(array, (n_iter, *array.shape))
    if array.ndim != 3 or array.shape[0] != n_iter or array.shape[2] != width:
        raise UserError(f"{name} must have shape (T, {width}) or (n_iter={n_iter}, T, {width}); "
                        f"got {np.shape(array)}")
    return array


def _weights_after_updates(events, sources, targets, w0, n_iter, shift, steps, dt,
                           autapses=True):
    """(n_iter + 1, n_pre, n_post): the weight a synapse transmits at its first spike of
    sequence n or later is its weight after update n (a sequence without presynaptic spikes
    has zero gradient)."""
    keep = np.isin(events["senders"], sources) & np.isin(events["targets"], targets)
    synapse = (np.searchsorted(sources, events["senders"][keep]) * len(targets)
               + np.searchsorted(targets, events["targets"][keep]))
    seq = (np.rint(events["times"][keep] / dt).astype(np.int64) - shift) // steps
    key = synapse * (n_iter + 2) + np.minimum(seq, n_iter + 1)
    order = np.argsort(key, kind="stable")
    key, weights = key[order], events["weights"][keep][order]
    every = np.arange(w0.size)
    out = np.empty((n_iter + 1, w0.size))
    out[0] = w0.ravel()
    for n in range(1, n_iter + 1):
        at = np.minimum(np.searchsorted(key, every * (n_iter + 2) + n), len(key) - 1)
        found = (key[at] // (n_iter + 2) == every) & (key[at] % (n_iter + 2) >= n)
        out[n] = np.where(found, weights[at], np.nan)
    out = out.reshape(n_iter + 1, *w0.shape)
    mask = np.ones(w0.shape, bool)
    if not autapses:
        np.fill_diagonal(mask, False)
    if np.isnan(out[:, mask]).any():
        raise RuntimeError("a synapse transmitted no spike after an update; cannot read it")
    out[:, ~mask] = 0.0
    return out


def run(w_in, w_rec, w_out, b, inputs, target, *, n_iter: int, dt: float = 1.0,
        tau_m: float = 30.0, tau_out: float = 30.0, v_th: float = 0.03, gamma: float = 0.3,
        width: float = 1.0, t_ref: float = 0.0, eta: float = 1e-4, c_reg: float = 0.0,
        f_target: float = 10.0, w_bound: float = 100.0, average_gradient: bool = False,
        record_weights: bool = True) -> EpropRun:
    """Train NEST's e-prop network on ``n_iter`` sequences (batch size 1, plain gradient
    descent, learning rate ``eta``) and return the weights after every update and the loss
    per sequence (:class:`EpropRun`; ``record_weights=False``: initial weights only, faster).

    ``w_in`` (n_in, n_rec), ``w_rec`` (n_rec, n_rec; diagonal ignored), ``w_out`` (n_rec,
    n_out), feedback ``b`` (n_rec, n_out), all in pA; ``inputs`` (boolean spikes, silent at
    step 0) and ``target`` of shape (T, n) for every sequence or (n_iter, T, n).  ``dt``,
    ``tau_m``, ``tau_out`` (the readout's, κ = exp(-dt/tau_out)), ``t_ref`` in ms; ``v_th`` in
    mV above rest (= reset = 0); the surrogate's height is ``gamma``/v_th and its half-width
    ``width``·v_th; ``c_reg`` (0: off) and ``f_target`` (Hz) the firing-rate regularisation;
    weights are clipped to ±``w_bound``.
    """
    reason = available()
    if reason:
        raise RuntimeError(reason)
    w_in, w_rec, w_out, b = (np.array(w, float) for w in (w_in, w_rec, w_out, b))
    n_in, n_rec = w_in.shape
    n_out = w_out.shape[1]
    for name, w, shape in (("w_rec", w_rec, (n_rec, n_rec)), ("w_out", w_out, (n_rec, n_out)),
                           ("b", b, (n_rec, n_out))):
        if w.shape != shape:
            raise UserError(f"{name} must have shape {shape} (n_pre, n_post) for w_in of shape "
                            f"{w_in.shape}; got {w.shape}")
    inputs = _per_sequence(inputs, n_iter, "inputs", n_in).astype(bool)
    target = _per_sequence(target, n_iter, "target", n_out).astype(float)
    steps = inputs.shape[1]
    if target.shape[1] != steps or steps < 3:
        raise UserError(f"inputs and target must have the same number of steps T >= 3; got "
                        f"{steps} and {target.shape[1]}")
    if inputs[:, 0].any():
        raise UserError("inputs must be silent at step 0 of each sequence (NEST does not "
                        "deliver them)")
    np.fill_diagonal(w_rec, 0.0)

    nest = _kernel(dt)
    sequence = steps * dt
    total_offset = _OFFSET_GEN + _DELAY_IN_REC + _DELAY_REC_OUT + _DELAY_OUT_NORM
    task = n_iter * sequence
    nest.set(eprop_learning_window=sequence, eprop_reset_neurons_on_update=True,
             eprop_update_interval=sequence, print_time=False, total_num_virtual_procs=1)

    zeta = 1.0 - np.exp(-dt / tau_m)
    rec_params = {"C_m": 1.0, "c_reg": c_reg, "E_L": 0.0, "f_target": f_target, "I_e": 0.0,
                  "flush_event_send_interval": sequence, "regular_spike_arrival": False,
                  "surrogate_gradient_function": "piecewise_linear",
                  "surrogate_gradient_height": gamma / v_th,
                  "surrogate_gradient_width": width * abs(v_th), "t_ref": t_ref,
                  "tau_m": tau_m, "V_m": 0.0, "V_th": v_th}
    out_params = {"C_m": 1.0, "E_L": 0.0, "I_e": 0.0, "loss": "mean_squared_error",
                  "regular_spike_arrival": False, "tau_m": tau_out, "V_m": 0.0}
    generators = nest.Create("spike_generator", n_in)
    parrots = nest.Create("parrot_neuron", n_in)
    rec = nest.Create("eprop_iaf_bsshslm_2020", n_rec, rec_params)
    out = nest.Create("eprop_readout_bsshslm_2020", n_out, out_params)
    rate_target = nest.Create("step_rate_generator", n_out)
    meter = nest.Create("multimeter", params={
        "interval": dt, "record_from": ["readout_signal", "target_signal"],
        "start": total_offset * dt, "stop": total_offset * dt + task})
    recorder = nest.Create("weight_recorder")

    optimizer = {"type": "gradient_descent", "batch_size": 1, "eta": eta,
                 "Wmin": -w_bound, "Wmax": w_bound}
    nest.SetDefaults("eprop_synapse_bsshslm_2020", {
        "optimizer": optimizer, "average_gradient": average_gradient,
        **({"weight_recorder": recorder} if record_weights else {})})
    all_to_all = {"rule": "all_to_all", "allow_autapses": False}
    one_to_one = {"rule": "one_to_one"}
    eprop = {"synapse_model": "eprop_synapse_bsshslm_2020", "delay": dt,
             "tau_m_readout": tau_out}
    static = {"synapse_model": "static_synapse", "delay": dt}
    # NEST takes weight matrices as (n_post, n_pre)
    nest.Connect(generators, parrots, one_to_one, static)
    nest.Connect(parrots, rec, all_to_all, {**eprop, "weight": w_in.T})
    nest.Connect(rec, rec, all_to_all, {**eprop, "weight": w_rec.T})
    nest.Connect(rec, out, all_to_all, {**eprop, "weight": w_out.T})
    nest.Connect(out, rec, all_to_all, {"synapse_model":
                                        "eprop_learning_signal_connection_bsshslm_2020",
                                        "delay": dt, "weight": b})
    nest.Connect(rate_target, out, one_to_one, {"synapse_model": "rate_connection_delayed",
                                                "delay": dt, "receptor_type": 2})
    nest.Connect(meter, out, all_to_all, static)

    # sequence n, step k: generator spike at (n T + k + 1) dt, entering v at step k
    grid = np.arange(steps) * dt
    starts = np.arange(n_iter + 1) * sequence + _OFFSET_GEN * dt
    spikes = np.concatenate([inputs, np.zeros((1, steps, n_in), bool)])
    if record_weights:
        # the extra sequence: every neuron fires at k = 2 (not 1: see the artefact above)
        spikes[n_iter, 2] = True
        kick_generator = nest.Create("spike_generator",
                                     params={"spike_times": [starts[n_iter] + 2 * dt]})
        kick = nest.Create("parrot_neuron")
        nest.Connect(kick_generator, kick, one_to_one, static)
        nest.Connect(kick, rec, all_to_all, {**static, "weight": 10.0 * abs(v_th) / zeta})
    generators.set([{"spike_times": np.concatenate([grid[spikes[n, :, i]] + starts[n]
                                                    for n in range(n_iter + 1)])}
                    for i in range(n_in)])
    times = np.arange(n_iter * steps) * dt + total_offset * dt
    rate_target.set([{"amplitude_times": times,
                      "amplitude_values": target[:, :, m].ravel()} for m in range(n_out)])
    nest.Simulate(task + (sequence if record_weights else 0.0) + (total_offset + 2) * dt)

    events = meter.events
    order = np.lexsort((events["times"], events["senders"]))
    readout, got_target = (np.asarray(events[key])[order].reshape(n_out, n_iter, steps)
                           .transpose(1, 2, 0) for key in ("readout_signal", "target_signal"))
    loss = 0.5 * np.sum((readout - got_target) ** 2, axis=(1, 2))
    if not record_weights:
        return EpropRun(w_in[None], w_rec[None], w_out[None], loss, readout, got_target)

    events = {key: np.asarray(value) for key, value in recorder.events.items()}
    ids = [np.asarray(group.tolist()) for group in (parrots, rec, out)]
    shift = _OFFSET_GEN + _DELAY_IN_REC  # the recurrent neurons' sequence starts at step 2
    weights = [_weights_after_updates(events, ids[0], ids[1], w_in, n_iter, shift, steps, dt),
               _weights_after_updates(events, ids[1], ids[1], w_rec, n_iter, shift, steps, dt,
                                      autapses=False),
               _weights_after_updates(events, ids[1], ids[2], w_out, n_iter,
                                      shift + _DELAY_REC_OUT, steps, dt)]
    return EpropRun(*weights, loss=loss, readout=readout, target=got_target)
