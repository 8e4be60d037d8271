r"""Learning rules: the traces they need, their code, and when they apply.

A rule trains the layers it governs (``layers=``; default: every layer with a learning
signal) and the plastic projections into them.  It declares its share of the Brian2
program as :class:`~.code.Code` (traces in the presynaptic population, the projection and
the layer; updates every step or at sample ends); :mod:`.program` runs it.

Noise-driven learning (:class:`NDL`; Ma, Yan & Tang 2023, Patterns) as a three-factor rule:

.. math::
    \Delta w_{ij} = -\eta\, r\, L_j\, e_{ij}, \qquad
    e_{ij} = \sum_n \psi_j(n)\, \bar x_i(n), \qquad
    \Delta\theta_j = +\eta_\theta\, r\, L_j \sum_n \psi_j(n),

with :math:`\psi_j(n)` = dP/dv of neuron j in step n (the model's ``firing.derivative``:
the noise density for escape noise, a surrogate for a hard threshold; dP/dθ = -ψ),
:math:`\bar x_i(n) = \sum_{m<n} a^{n-m} s_i(m)` the presynaptic trace (``xbar``, time
constant ``tau_x`` = the postsynaptic ``tau_m``, so that it equals dv_j(n)/dw_ij of a LIF
neuron without reset), :math:`L_j` the layer's learning signal (:mod:`.signals`) and
:math:`r` = ``lr_scale``, the learning-rate factor of the sample (a schedule over epochs; 0
for samples that are only evaluated).

``timing='sample'``: e and Σψ are summed over the sample and the update is applied at its
end (the form of the paper).  The eligibility is computed in one of two exactly equal ways
(``eligibility``):

* ``'per_step'``: ``elig += psi_post*xbar_pre`` in every step, for every synapse;
* ``'event'``: with :math:`a = e^{-dt/\tau_x}` and chunks of K steps (K divides T),
  :math:`e_{ij} = \sum_{chunks} [\, P_j(K{-}1)\, \hat x_i - \sum_{m:\,s_i(m)=1} P_j(m) \,]`
  with :math:`P_j(r) = \sum_{k \le r} a^{k-r} \psi_j(k)` (``psi_acc``, per neuron, summed
  from the chunk start) and :math:`\hat x_i` the trace at the chunk's end (before its decay):
  a presynaptic spike subtracts ``psi_acc_post`` (in the spike's own synaptic loop) and
  every K steps one pass adds ``psi_acc_post*xbar_pre``.  The work per step falls from
  every synapse to the synapses of the neurons that spiked.  :math:`P` grows like
  :math:`a^{-K}`, so K is the largest divisor of T with :math:`a^{-(K-1)} \le 10^4`
  (rounding error below ~1e-12 relative); ``'auto'`` (default) uses it when K > 1.
  ``timing='step'``: the update of step n,
:math:`-\eta r L_j(n) \psi_j(n) \bar x_i(n)`, is applied in that step (online; OTTT-like),
after the threshold and before the spikes of the step are delivered; it needs per-step
signals.

``learn``: 'weights' (SL), 'thresholds' (TL) or 'both' (STL, synapse-threshold synergistic
learning).  Learned thresholds (the neuron parameter ``threshold``, default ``v_th``,
made a per-neuron variable) are kept at or above ``v_reset + theta_min``: a threshold
that would go below is clipped there, and training warns once (a threshold at or below the
reset would make the neuron fire in every step).  Weights are clipped to
``[-w_max, w_max]``.  Learning rates have the unit of the membrane variable squared
(Δw = η L e with e in 1/volt).
"""
from __future__ import annotations

import numpy as np
from brian2 import mV, ms

from ..parameters import Parameter, ParameterError, ParameterSet, nonnegative, positive
from . import schedule as sch
from .code import Code
from .layers import inverse_unit, zero
from .signals import TIMINGS

__all__ = ["NDL", "LEARN"]

LEARN = ("weights", "thresholds", "both")


class NDL:
    """Noise-driven learning (module docstring); ``layers``: the layers it trains."""

    PARAMETERS = ParameterSet(
        nonnegative("eta", 0.2 * mV ** 2, "weight learning rate"),
        nonnegative("eta_theta", 0.0 * mV ** 2, "threshold learning rate"),
        positive("w_max", 4 * mV, "weights are clipped to [-w_max, w_max]"),
        Parameter("learn", "weights", "what is trained: SL, TL or STL", choices=LEARN),
        Parameter("timing", "sample", "when updates apply", choices=TIMINGS),
        Parameter("threshold", "v_th", "the neuron parameter learned as the threshold"),
        positive("theta_min", 0.01 * mV, "learned thresholds stay >= v_reset + theta_min"),
        nonnegative("tau_x", 0 * ms, "presynaptic trace time constant (0: the postsynaptic "
                                     "layer's tau_m)"),
        Parameter("eligibility", "auto", "how e_ij is computed (equal results)",
                  choices=("auto", "per_step", "event")),
    )

    #: largest growth a**-(K-1) of the event-driven eligibility's running sum
    MAX_GROWTH = 1e4

    def __init__(self, layers: tuple | None = None, **params):
        self.p = self.PARAMETERS.resolve(params)
        self.layers = None if layers is None else tuple(layers)
        self.timing = self.p["timing"]

    @property
    def learns_weights(self):
        return self.p["learn"] in ("weights", "both")

    @property
    def learns_thresholds(self):
        return self.p["learn"] in ("thresholds", "both")

    def governs(self, network) -> list[str]:
        if self.layers is not None:
            return list(self.layers)
        return [name for name in network.layers if network.signals_into(name)]

    def prepare(self, layer, model):
        """The layer's model with the learned threshold as a per-neuron variable."""
        if not self.learns_thresholds:
            return model
        th = self.p["threshold"]
        if th in model.parameters:
            return model.per_neuron(th, constant=False)
        if th in model.local_parameters:
            from brian2 import Equations

            if "constant" in Equations(model.equations)[th].flags:
                raise ParameterError(f"Layer '{layer.name}': the threshold '{th}' is a constant "
                                     f"per-neuron parameter; use per_neuron('{th}', "
                                     f"constant=False).")
            return model
        raise ParameterError(f"Rule NDL learns the threshold '{th}' of layer '{layer.name}', "
                             f"a parameter model '{model.name}' does not have "
                             f"(parameter 'threshold').")

    def code(self, network) -> dict[str, Code]:
        p, codes = self.p, {}
        governed = self.governs(network)
        step = self.timing == "step"
        lr = "lr_scale(t)" if step else "lr_scale(t - dt)"
        for name in governed:
            layer, model = network.layers[name], network.model(name)
            codes.setdefault(name, []).append(layer.surrogate_code(model))
            if not self.learns_thresholds:
                continue
            if "v_reset" not in model.parameters and "v_reset" not in model.local_parameters:
                raise ParameterError(f"Rule NDL keeps learned thresholds of layer '{name}' above "
                                     f"v_reset + theta_min, but model '{model.name}' has no "
                                     f"v_reset.")
            th, psi = p["threshold"], "psi" if step else "epsi"
            update = (f"theta_new = {th} + eta_theta*{lr}*L*{psi}\n"
                      f"clipped += int(theta_new < v_reset + theta_min)\n"
                      f"{th} = theta_new + int(theta_new < v_reset + theta_min)*"
                      f"(v_reset + theta_min - theta_new)")
            ns = {"eta_theta": p["eta_theta"], "theta_min": p["theta_min"]}
            eqs = ["clipped : integer   # times a learned threshold was clipped at its floor"]
            if step:
                codes[name].append(Code(equations=eqs, namespace=ns,
                                        every_step=[(update, "thresholds", sch.ORDER_TRACE)]))
            else:
                codes[name].append(Code(equations=eqs, namespace=ns,
                                        at_sample_end=[(update, sch.ORDER_UPDATE)]))
        if self.learns_weights:
            for proj in network.projections:
                if not (proj.plastic and proj.post in governed):
                    continue
                unit = network.layers[proj.post].membrane_unit(network.model(proj.post))
                tau_x = self._tau_x(network, proj.post)
                codes.setdefault(proj.pre, []).append(Code(
                    equations=["dxbar/dt = -xbar/tau_x : 1   # presynaptic trace"],
                    on_spike=["xbar += 1"], at_sample_start=["xbar = 0"],
                    namespace={"tau_x": tau_x}))
                ns = {"eta": p["eta"], "w_max": p["w_max"]}
                K = self.chunk(network, proj.post)
                if step:
                    code = Code(namespace=ns, every_step=[(
                        "w = clip(w - eta*lr_scale(t)*L_post*psi_post*xbar_pre, -w_max, w_max)",
                        "thresholds", sch.ORDER_TRACE)])
                else:
                    inv = inverse_unit(unit)
                    code = Code(
                        equations=[f"elig : {inv}   # eligibility: sum of psi_post*xbar_pre"],
                        at_sample_end=[("w = clip(w - eta*lr_scale(t - dt)*L_post*elig, "
                                        f"-w_max, w_max)\nelig = {zero(inv)}",
                                        sch.ORDER_UPDATE)],
                        namespace=ns)
                    if K == 1:
                        code.every_step.append(("elig += psi_post*xbar_pre", "thresholds",
                                                sch.ORDER_TRACE))
                    else:
                        code.on_spike.append("elig -= psi_acc_post")
                        code.periodic.append(("elig += psi_acc_post*xbar_pre", K, "start",
                                              sch.ORDER_FLUSH))
                        growth = float(np.exp(float(network.dt / tau_x)))
                        codes[proj.post].append(Code(
                            equations=[f"psi_acc : {inv}   # chunk sum of psi, step k weighted "
                                       f"a**(k - now) (event-driven eligibility)"],
                            every_step=[("psi_acc = psi_acc*growth_x + psi", "thresholds",
                                         sch.ORDER_SURROGATE)],
                            periodic=[(f"psi_acc = {zero(inv)}", K, "start",
                                       sch.ORDER_FLUSH_CLEAR)],
                            namespace={"growth_x": growth}))
                codes.setdefault(proj.name, []).append(code)
        return codes

    def chunk(self, network, post) -> int:
        """Steps per chunk of the event-driven eligibility (1: the per-step form)."""
        if self.p["eligibility"] == "per_step" or self.timing == "step":
            return 1
        a = float(np.exp(-float(network.dt / self._tau_x(network, post))))
        return max(K for K in range(1, network.T + 1)
                   if network.T % K == 0 and a ** -(K - 1) <= self.MAX_GROWTH)

    def _tau_x(self, network, post):
        if self.p["tau_x"] > 0 * ms:
            return self.p["tau_x"]
        try:
            return network.layers[post].parameter("tau_m", network.model(post))
        except KeyError:
            raise ParameterError(f"Rule NDL: layer '{post}' has no parameter 'tau_m' for the "
                                 f"presynaptic traces; give tau_x.") from None

    def __repr__(self):
        return f"NDL({', '.join(f'{k}={v}' for k, v in self.p.items())})"
