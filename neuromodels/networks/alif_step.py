r"""The ALIF under a constant current step: Brian2 against the exact map and against NEST.

The validation protocol of the adaptive-threshold neuron
(:func:`neuromodels.neurons.thresholds.adaptive_threshold`), as data a study can store and
plot: at ``t = 0`` neurons at rest (``v = E_L``, ``theta_a = 0``) receive constant currents
``I``; their inter-spike intervals shorten-then-lengthen into the adaptation transient and
settle at the periodic steady state.  Three implementations of the same protocol:

* **theory**: :func:`neuromodels.theory.alif.alif_spike_times` (the spike-to-spike map,
  iterated from rest) and :func:`~neuromodels.theory.alif.alif_periodic_state` (its fixed
  point), continuous time, exact to ``brentq``'s tolerance;
* **brian2**: the model's equations, exact integration on the grid ``dt``; a spike is
  reported at the end of the step in which ``v > theta`` was found (Brian2's spike time
  plus ``dt``, NEST's convention);
* **nest**: NEST 3's ``gif_psc_exp`` (reset to ``V_reset``, clamped for ``t_ref``; one
  threshold kernel ``q_sfa = delta_theta``, ``tau_sfa = tau_theta``; no spike-triggered
  current; escape noise made deterministic with ``Delta_V = 1e-9 mV``, so that P(spike in a
  step) goes from < 1e-12 to > 1 - 1e-12 within 3e-8 mV of the threshold) and
  ``mat2_psc_exp`` (non-resetting membrane, total refractoriness, one kernel
  ``alpha_1 = delta_theta``, ``tau_1 = tau_theta``, ``alpha_2 = 0``) against
  ``adaptive_threshold(reset_membrane=False)``.  mat2 skips the threshold check for
  ``t_ref/h`` steps after the step of a spike, so on its grid the dead time is ``t_ref + h``;
  it is given ``t_ref - dt`` so that its dead time is the model's ``t_ref`` (Brian2's
  ``not_refractory`` is true again ``t_ref`` after the spike).  Both NEST models integrate
  exactly on the grid and force spikes onto it; gif compares the potential at the end of a
  step with the threshold at its start, so the implementations differ by O(dt) per
  interval.

The default ``dt = 10 µs`` keeps the grid error of every interval (under one step) below
0.13 % of the shortest steady interval (5.6 ms); at 0.1 ms that interval is off by 1.03 %.

:func:`alif_step_validation` returns the nested dict (:func:`alif_step_network` and
:func:`alif_step_data` are its two halves, for a network that runs more than this);
:func:`alif_step_errors` gives the numbers a test or a table needs;
:func:`plot_alif_step_validation` draws it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
from brian2 import Network, SpikeMonitor, amp, nA, second, usecond, volt

from ..devices import network_clock
from ..neurons.thresholds import adaptive_threshold
from ..theory.alif import alif_periodic_state, alif_spike_times

__all__ = ["VARIANTS", "DEFAULT_CURRENTS", "alif_step_network", "alif_step_data",
           "alif_step_validation", "alif_step_errors", "nest_spike_trains",
           "plot_alif_step_validation"]

#: The two membrane variants: (Brian2 model, the NEST model of the same protocol).
VARIANTS = {
    "reset": (adaptive_threshold(), "gif_psc_exp"),
    "no_reset": (adaptive_threshold(reset_membrane=False), "mat2_psc_exp"),
}

#: Step currents of the validation: mu = E_L + R_m I = -45, -35, -15 mV with the defaults.
DEFAULT_CURRENTS = np.array([0.2, 0.3, 0.5]) * nA


def _si(params: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in params.items()}


def nest_spike_trains(variant: str, params: dict[str, Any], currents, duration, dt) -> list:
    """Spike times (s) of NEST's model for ``variant`` under the step ``currents``.

    ``params`` are the Brian2 model's parameters (quantities); they are converted to
    NEST's units (pF, nS, mV, ms, pA).  Needs NEST 3 (``pip install nest-simulator``).
    """
    from ..reference import import_nest

    nest = import_nest()
    p = _si(params)
    ms, mV = 1e3, 1e3
    common = dict(C_m=p["tau_m"] / p["R_m"] * 1e12, E_L=p["E_L"] * mV, V_m=p["E_L"] * mV,
                  t_ref=p["t_ref"] * ms)
    if variant == "reset":
        model = "gif_psc_exp"
        nest_params = dict(common, g_L=1e9 / p["R_m"], V_reset=p["v_reset"] * mV,
                           V_T_star=p["v_th"] * mV, q_sfa=[p["delta_theta"] * mV],
                           tau_sfa=[p["tau_theta"] * ms], q_stc=[], tau_stc=[],
                           Delta_V=1e-9, lambda_0=1e3)
    elif variant == "no_reset":
        model = "mat2_psc_exp"
        # mat2 skips the threshold check for t_ref/h steps after the spike step, so on the
        # grid it cannot fire before t_ref + h: give it t_ref - h (>= h, or NEST refuses).
        nest_params = dict(common, tau_m=p["tau_m"] * ms, omega=p["v_th"] * mV,
                           alpha_1=p["delta_theta"] * mV, tau_1=p["tau_theta"] * ms,
                           alpha_2=0.0, t_ref=(p["t_ref"] - float(dt)) * ms)
    else:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}; got {variant!r}")
    nest.ResetKernel()
    nest.resolution = float(dt) * ms
    nest.rng_seed = 1
    neurons = nest.Create(model, len(currents), params=nest_params)
    neurons.I_e = [float(i) * 1e12 for i in np.asarray(currents)]
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    nest.Simulate(float(duration) * ms)
    events = recorder.events
    ids = np.atleast_1d(neurons.global_id)          # (an int for a single neuron)
    return [np.sort(events["times"][events["senders"] == gid]) / ms for gid in ids]


def _padded(trains: list, n: int) -> np.ndarray:
    out = np.full((len(trains), n), np.nan)
    for k, isi in enumerate(trains):
        out[k, :min(n, len(isi))] = isi[:n]
    return out


def alif_step_network(currents=DEFAULT_CURRENTS, *, dt=10 * usecond,
                      params: dict[str, Any] | None = None) -> dict:
    """The Brian2 side of the protocol, not yet run: both variants on one clock.

    Returns ``{'objects': [...], 'monitors': {variant: SpikeMonitor}, 'currents', 'params':
    {variant: overrides}}``; add ``objects`` to a ``Network`` (with anything else), run it,
    then :func:`alif_step_data`.  ``params`` override the ALIF defaults (checked here).
    """
    currents = np.asarray(currents / amp) * amp
    VARIANTS["reset"][0].namespace(params)  # every check before anything is built
    params = {v: {k: x for k, x in (params or {}).items() if k in model.parameters}
              for v, (model, _) in VARIANTS.items()}  # the no-reset model has no v_reset
    objects, monitors, clock = [], {}, network_clock(dt)
    for variant, (model, _) in VARIANTS.items():
        g = model.group(len(currents), params=params[variant], clock=clock,
                        name=f"alif_step_{variant}")
        g.I_ext = currents
        monitors[variant] = SpikeMonitor(g, name=f"alif_step_{variant}_spikes")
        objects += [g, monitors[variant]]
    return {"objects": objects, "monitors": monitors, "currents": currents, "params": params}


def alif_step_data(network: dict, duration, nest: bool | None = None) -> dict:
    """The nested dict of the protocol after ``network`` (:func:`alif_step_network`) ran for
    ``duration``: reads the monitors (on a standalone device: inside its ``use_device``
    block), iterates the exact map, and runs NEST (``nest=None``: where it is installed,
    else ``nest_missing`` says so; ``True``: required; ``False``: left out).  Layout::

        current (amp), dt, duration, nest_missing (why NEST is absent, if it is)
        <variant>/ nest_model, equations,
                   theory/ isi (n_current, n_isi; NaN-padded, s), isi_steady (fixed point, s),
                           threshold_steady (volt)
                   brian2/ isi, isi_steady (the last interval of the run, s)
                   nest/   isi, isi_steady
    """
    currents, monitors = network["currents"], network["monitors"]
    dt = monitors["reset"].source.clock.dt
    dt_s = float(dt / second)
    data: dict[str, Any] = {"current": currents, "dt": dt, "duration": duration}
    if nest is None:
        from ..reference import nest_unavailable

        missing = nest_unavailable()
        nest = missing is None
        if not nest:
            data["nest_missing"] = missing
    for variant, (model, nest_model) in VARIANTS.items():
        values = model.namespace(network["params"][variant])
        p = _si(values)
        m = monitors[variant]
        trains = {"brian2": [np.asarray(m.t[m.i == k] / second) + dt_s
                             for k in range(len(currents))]}
        if nest:
            trains["nest"] = nest_spike_trains(variant, values, currents, duration, dt)
        theory, steady, threshold = [], [], []
        for k, current in enumerate(np.asarray(currents)):
            mu = p["E_L"] + p["R_m"] * float(current)
            args = (mu, p["tau_m"], p["v_th"], p.get("v_reset"), p["t_ref"], p["tau_theta"],
                    p["delta_theta"])
            n = max(len(tr[k]) for tr in trains.values()) + 2
            t = alif_spike_times(*args, n, v0=p["E_L"], reset=variant == "reset")
            theory.append(t[t <= float(duration / second)])
            state = alif_periodic_state(*args, reset=variant == "reset")
            steady.append(state["isi"])
            threshold.append(state["threshold"])
        trains["theory"] = theory
        n_isi = max(len(t) for tr in trains.values() for t in tr) - 1
        block = {"nest_model": nest_model, "equations": str(model),
                 "theory": {"isi": _padded([np.diff(t) for t in theory], n_isi) * second,
                            "isi_steady": np.array(steady) * second,
                            "threshold_steady": np.array(threshold) * volt}}
        for name in ("brian2", "nest"):
            if name in trains:
                isis = [np.diff(t) for t in trains[name]]
                block[name] = {"isi": _padded(isis, n_isi) * second,
                               "isi_steady": np.array([i[-1] if len(i) else np.nan
                                                       for i in isis]) * second}
        data[variant] = block
    return data


def alif_step_validation(currents=DEFAULT_CURRENTS, *, duration=1 * second, dt=10 * usecond,
                         params: dict[str, Any] | None = None, nest: bool | None = None,
                         run: Callable | None = None) -> dict:
    """Build, run and read the whole protocol: :func:`alif_step_network`, one run of
    ``duration`` with ``run(net, duration)`` (default ``Network.run``; a study passes
    ``ctx.run``), :func:`alif_step_data`.  With the defaults (1 s, dt = 10 µs) it simulates
    1e5 steps of 6 neurons."""
    if nest:
        from ..reference import nest_unavailable

        why = nest_unavailable()
        if why:
            raise ImportError(f"nest=True needs NEST: {why}")
    network = alif_step_network(currents, dt=dt, params=params)
    (run or Network.run)(Network(*network["objects"]), duration)
    return alif_step_data(network, duration, nest)


def alif_step_errors(data: dict, variant: str = "reset", n_transient: int = 10) -> dict:
    """Deviations in ``data`` (from :func:`alif_step_validation`), per current, in seconds
    or as fractions: ``steady_<impl>`` = (last ISI - fixed point)/fixed point;
    ``transient_<impl>`` = max |ISI_k - theory ISI_k| over the first ``n_transient``
    intervals; ``transient_brian2_nest`` and ``steady_brian2_nest`` between the two."""
    block = data[variant]
    theory = np.asarray(block["theory"]["isi"])[:, :n_transient]
    steady = np.asarray(block["theory"]["isi_steady"])
    out = {}
    for name in ("brian2", "nest"):
        if name in block:
            isi = np.asarray(block[name]["isi"])
            out[f"steady_{name}"] = np.asarray(block[name]["isi_steady"]) / steady - 1
            out[f"transient_{name}"] = np.max(np.abs(isi[:, :n_transient] - theory), axis=1)
    if "nest" in block:
        b, n = (np.asarray(block[k]["isi"])[:, :n_transient] for k in ("brian2", "nest"))
        out["transient_brian2_nest"] = np.max(np.abs(b - n), axis=1)
        out["steady_brian2_nest"] = (np.asarray(block["brian2"]["isi_steady"])
                                     / np.asarray(block["nest"]["isi_steady"]) - 1)
    return out


def plot_alif_step_validation(data: dict, axes=None, variant: str = "reset", n_show: int = 20):
    """Three panels from ``data`` (:func:`alif_step_validation`, or the same read back from a
    file): (a) the adaptation transient, the first ``n_show`` ISIs against interval number
    (theory lines, Brian2 and NEST markers, one colour per current; dotted: the fixed
    point); (b) every ISI's signed deviation from the theory's, in time steps; (c) the
    steady-state deviation of the last ISI from the fixed point (percent, per current, with
    the 1 % criterion).  ``axes``: three matplotlib axes (default: a new figure).  Returns the
    figure."""
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    if axes is None:
        fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    ax_t, ax_d, ax_s = axes
    block = data[variant]
    currents = np.asarray(data["current"]) * 1e9
    dt = float(np.asarray(data["dt"]))
    colours = plt.cm.viridis(np.linspace(0.1, 0.85, len(currents)))
    nest_label = f"NEST {block.get('nest_model', '')}".strip()
    impls = [("brian2", "Brian2", "o"), ("nest", nest_label, "x")]
    impls = [i for i in impls if i[0] in block]
    theory = np.asarray(block["theory"]["isi"])
    for k, colour in enumerate(colours):
        n = np.arange(1, theory.shape[1] + 1)
        ax_t.plot(n[:n_show], theory[k, :n_show] * 1e3, "-", color=colour, lw=1.2)
        ax_t.axhline(np.asarray(block["theory"]["isi_steady"])[k] * 1e3, color=colour, lw=0.7,
                     ls=":")
        for (key, _, marker), shift in zip(impls, (-0.15, 0.15)):
            isi = np.asarray(block[key]["isi"])[k]
            ax_t.plot(n[:n_show], isi[:n_show] * 1e3, marker, color=colour, ms=4, mfc="none")
            ax_d.plot(n + shift, (isi - theory[k]) / dt, marker, color=colour, ms=3, mfc="none")
    handles = [Line2D([], [], color=c, label=f"I = {i:.2f} nA") for c, i in zip(colours, currents)]
    handles += [Line2D([], [], color="k", lw=1.2, label="theory (spike-to-spike map)")]
    handles += [Line2D([], [], color="k", ls="", marker=m, mfc="none", label=lab)
                for _, lab, m in impls]
    ax_t.set_ylim(0, ax_t.get_ylim()[1] * 1.5)   # room for the legend above the curves
    ax_t.legend(handles=handles, fontsize=7, loc="upper right", ncol=2)
    ax_t.set_xlabel("interval number after the step onset")
    ax_t.set_ylabel("inter-spike interval (ms)")
    ax_t.set_title(f"(a) ALIF, {variant.replace('_', ' ')}: adaptation transient", fontsize=9)
    ax_d.axhline(0, color="k", lw=0.8)
    ax_d.set_xlabel("interval number after the step onset")
    ax_d.set_ylabel(f"ISI − theory ISI, signed (time steps of {dt * 1e6:g} µs)")
    ax_d.set_title("(b) deviation from the exact map", fontsize=9)
    ax_d.legend(handles=handles[-len(impls):], fontsize=7)
    errors = alif_step_errors(data, variant)
    width = 0.8 / max(len(impls), 1)
    x = np.arange(len(currents))
    for j, (key, label, _) in enumerate(impls):
        ax_s.bar(x + (j - (len(impls) - 1) / 2) * width, 100 * np.abs(errors[f"steady_{key}"]),
                 width, label=label)
    ax_s.axhline(1.0, color="k", ls="--", lw=0.8, label="1 % criterion")
    ax_s.set_yscale("log")
    ax_s.set_xticks(x, [f"{c:.2f}" for c in currents])
    ax_s.set_xlabel("step current I (nA)")
    ax_s.set_ylabel("|last ISI / fixed-point ISI − 1| (%)")
    ax_s.set_title(f"(c) steady state after {float(np.asarray(data['duration'])):g} s", fontsize=9)
    ax_s.legend(fontsize=7)
    return ax_t.figure
