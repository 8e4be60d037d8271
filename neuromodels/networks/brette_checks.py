r"""The independent check of the Brette et al. (2007) CUBA and COBA networks
(``neuromodels validate`` and the tests).

The paper's own numbers were not found, so the reference is a second implementation:
:func:`plain_network`, the benchmarks written the way R. Brette's published code writes
them (Brian2's ``examples/CUBA.py``; benchmark 1's ``COBA.py`` of the paper's supplementary
code, translated to Brian2), with no neuromodels code: its own equations (potentials
relative to rest, conductances in units of :math:`g_l` for COBA), its own parameters and
Brian2's own draws of the connectivity and the initial state (``connect(p=...)``,
``rand()``/``randn()``).  It is run with several seeds; the model under test is run in
:func:`neuromodels.networks.brette2007.build`'s network (its own numpy draw) and its mean
rate and mean ISI CV (:func:`~neuromodels.analysis.spiketrains.isi_cv`, neurons with
>= 3 spikes), averaged over as many of its own draws, must lie near the seeds' mean: other
draws of the same random network (one draw of COBA's rate spreads by ±10 %).

The reference holds the benchmark's published parameters, so the check applies to any
model with the shipped neuron's structure (variables, parameters, threshold, reset) and a
model whose dynamics differ (a slower inhibitory synapse) fails.

Reference: Brette R et al. (2007) J Comput Neurosci 23:349-398, appendix B.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, mV, ms, second, seed

from ..analysis.spiketrains import firing_rates, isi_cv
from ..devices import brian2_settings
from ..neurons import lif
from ..validation.check import Check, Validated, requires, same_code
from . import brette2007

__all__ = ["VALIDATED", "plain_network", "plain_statistics", "network_statistics",
           "brette_network"]

_CUBA_EQS = """
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
"""

# R. Brette's benchmark 1: v relative to rest, conductances in units of g_l
_COBA_EQS = """
dv/dt = (-v+ge*(Ee-v)+gi*(Ei-v))*(1./taum) : volt (unless refractory)
dge/dt = -ge*(1./taue) : 1
dgi/dt = -gi*(1./taui) : 1
"""


def plain_network(network: str, n: int, p: float):
    """R. Brette's ``network`` (``'cuba'`` or ``'coba'``) of ``n`` neurons, connection
    probability ``p``, as plain Brian2 (no neuromodels code; Brian2 draws the connectivity
    and initial state): ``(Network, SpikeMonitor, (exc_synapses, inh_synapses))``."""
    ns = dict(taum=20 * ms, taue=5 * ms, taui=10 * ms, n_exc=int(0.8 * n))
    if network == "cuba":
        ns.update(El=-49 * mV, Vt=-50 * mV, Vr=-60 * mV,
                  we=(60 * 0.27 / 10) * mV, wi=(-20 * 4.5 / 10) * mV)
        P = NeuronGroup(n, _CUBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact", namespace=ns)
        P.v = "Vr + rand() * (Vt - Vr)"
    elif network == "coba":
        ns.update(Ee=(0. + 60.) * mV, Ei=(-80. + 60.) * mV, Vt=10 * mV, Vr=0 * mV,
                  we=6. / 10., wi=67. / 10.)  # -50 mV, -60 mV; weights in units of g_l
        P = NeuronGroup(n, _COBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="euler", namespace=ns)
        P.v = "(randn() * 5 - 5) * mV"
        P.ge = "randn() * 1.5 + 4"
        P.gi = "randn() * 12 + 20"
    else:
        raise ValueError(f"network must be 'cuba' or 'coba'; got {network!r}")
    Ce = Synapses(P, P, on_pre="ge += we", namespace=ns)
    Ci = Synapses(P, P, on_pre="gi += wi", namespace=ns)
    Ce.connect("i<n_exc and i != j", p=p)
    Ci.connect("i>=n_exc and i != j", p=p)
    s_mon = SpikeMonitor(P)
    return Network(P, Ce, Ci, s_mon), s_mon, (Ce, Ci)


def _statistics(i, t, n: int, duration) -> tuple[float, float]:
    i, t = np.asarray(i), np.asarray(t)
    cv = isi_cv(i, t, n)
    return (float(firing_rates(i, t, n, duration).mean()),
            float(np.nanmean(cv)) if np.any(np.isfinite(cv)) else np.nan)


def plain_statistics(network: str, n: int, duration, seeds, run=None) -> np.ndarray:
    """``(len(seeds), 2)``: mean rate (Hz) and mean ISI CV of :func:`plain_network` (p =
    0.02, ``dt`` = 0.1 ms) for each Brian2 seed; ``run(net, duration)``: the session's."""
    out = []
    with brian2_settings(dt=0.1 * ms):
        for s in seeds:
            seed(s)
            net, mon, _ = plain_network(network, n, 0.02)
            net.run(duration) if run is None else run(net, duration)
            out.append(_statistics(mon.i[:], mon.t[:], n, duration))
    return np.array(out)


def brette_network(benchmark: str, model) -> brette2007.Benchmark:
    """The shipped benchmark ``benchmark`` with ``model`` as its neuron."""
    return replace(brette2007.BENCHMARKS[benchmark], neuron=model)


def network_statistics(benchmark: str, model, n: int, duration, rng_seed: int,
                       run=None) -> tuple[float, float]:
    """Mean rate (Hz) and mean ISI CV of :func:`neuromodels.networks.brette2007.build`'s
    ``benchmark`` network with ``model`` as its neuron (numpy draw ``rng_seed``)."""
    with brian2_settings(dt=0.1 * ms):
        net = brette2007.build(brette_network(benchmark, model), {"n": n},
                               np.random.default_rng(rng_seed))
        network = Network(*net.objects)
        network.run(duration) if run is None else run(network, duration)
        return _statistics(net.spikes.i[:], net.spikes.t[:], n, duration)


def _applies(benchmark: str, model) -> str | None:
    shipped = brette2007.BENCHMARKS[benchmark].neuron
    what = f"the Brette 2007 {benchmark.upper()} network"
    why = requires(model, what=what, parameters=tuple(shipped.parameters.names),
                   variables=("v", "g_e", "g_i"), threshold=shipped.threshold,
                   extra_reason="other variable")
    if why is None and not same_code(model.reset, shipped.reset):
        why = f"{what} assumes the reset {shipped.reset!r}: the model's is {model.reset!r}"
    if why is None and "I_ext" in model.parameters and not np.all(
            np.asarray(model.namespace()["I_ext"]) == 0):
        why = f"{what} is benchmark 1, without drive: the model's I_ext is " \
              f"{model.namespace()['I_ext']}"
    return why


def brette_statistics(benchmark: str, state: str) -> Check:
    """The ``benchmark`` network's mean rate and mean ISI CV vs R. Brette's plain script."""
    def measure(model, size, run):
        duration = size["duration_s"] * second
        plain = plain_statistics(benchmark, size["n"], duration, size["plain_seeds"], run)
        got = np.array([network_statistics(benchmark, model, size["n"], duration, s, run)
                        for s in size["seeds"]])
        if not np.all(np.isfinite(got)):
            return np.inf
        return float(np.max(np.abs(got.mean(axis=0) / plain.mean(axis=0) - 1)))

    return Check(
        name=f"Brette 2007 {benchmark.upper()}",
        compares=f"mean rate and mean ISI CV of the 4000-neuron {state}, mean over the "
                 "package's draws 1-3 (1-5 at --full; largest relative difference)",
        reference="R. Brette's published script (Brette et al. 2007, appendix B) in plain "
                  "Brian2, its own draws, mean over 3 seeds (5 at --full)",
        tolerance=0.1, full_tolerance=0.15, error_unit="relative",
        why="other draws of the same random network: over 0.5 s one draw of COBA's rate "
            "spreads by ±10 % (s.d. over 6 draws: 1.9 Hz of 18.4 Hz for the package's, 1.3 Hz "
            "of 18.7 Hz for the plain script's), so a single draw can miss by 16 % (the "
            "package's draw 1) while means of 3 draws differ by an s.d. of about 6 %; CUBA "
            "spreads by ±1.5 % (rate) and ±3 % (CV, fewer than 3 spikes per neuron); over 1 s "
            "(--full) the plain seeds 1-5 put COBA's rate from 8 % below to 14 % above their "
            "mean, hence 15 % there; an inhibitory synapse twice as slow is off by 40 % (COBA) "
            "or leaves CUBA without ISIs",
        measure=measure, applies=lambda model: _applies(benchmark, model),
        numpy_target=True, devices=("runtime",),
        quick=dict(n=4000, duration_s=0.5, plain_seeds=(1, 2, 3), seeds=(1, 2, 3)),
        full=dict(n=4000, duration_s=1.0, plain_seeds=(1, 2, 3, 4, 5), seeds=(1, 2, 3, 4, 5)))


VALIDATED = (
    Validated("lif_cuba", lif.CUBA,
              (brette_statistics("cuba", "asynchronous irregular state (~5 Hz)"),),
              "Brette 2007 CUBA"),
    Validated("lif_coba", lif.COBA,
              (brette_statistics("coba", "self-sustained state without drive (~20 Hz)"),),
              "Brette 2007 COBA"),
)
