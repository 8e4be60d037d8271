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
:math:`\bar x_i(n) = \sum_{m<n} a^{n-m} s_i(m)` the presynaptic trace (``xbar_<layer>``, time
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

Per-step learning signals (``signal='step'``: errors in every step, :mod:`.signals`) make
the same rule the family of online local methods (:class:`EProp`, :class:`OTTT`,
:class:`DECOLLE`): the eligibility of step n,

.. math::
    \bar e_{ij}(n) = \kappa\, \bar e_{ij}(n-1)
    + \psi_j(n)\,\bigl(\bar x_i(n) - \epsilon^a_{ij}(n)\bigr),
    \qquad \epsilon^a_{ij}(n+1) = \rho\,\bigl(\epsilon^a_{ij}(n) + \Delta\theta\,
    \psi_j(n) (\bar x_i(n) - \epsilon^a_{ij}(n))\bigr),

is computed with the layer's ψ and the trace before the step's spikes (for a non-spiking
readout, whose output is complete only after them: ψ = 1 and the trace after), times the
signal of the same step, :math:`L_j(n)\,\bar e_{ij}(n)`, and either applied at once
(``timing='step'``: OTTT, DECOLLE) or summed over the sample and applied at its end
(``timing='sample'``: e-prop).  :math:`\kappa = e^{-dt/\tau_\kappa}` filters the
eligibility with the readout's time constant (``tau_kappa``; 0: no filter) and
:math:`\epsilon^a` is the adaptation eligibility of an ALIF layer (threshold ``v_th +
theta_a``, ``theta_a`` jumping by ``delta_theta`` = Δθ and decaying with ``tau_theta``, ρ =
:math:`e^{-dt/\tau_\theta}`; Bellec et al. 2020, Methods, eq. 25-26), 0 for other layers.
As in e-prop, the reset is not differentiated.  Each step makes ONE pass over the synapses,
in the 'end' slot, with :math:`\bar x_i(n)` of a spiking layer read from a per-neuron
snapshot taken before the step's spikes; without filter (κ = 0) and adaptation,
:math:`\bar e_{ij}(n) = \psi_j(n) \bar x_i(n)` is used without being stored
(``eligibility='per_step'`` stores it: the same result).

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

__all__ = ["ThreeFactor", "NDL", "EProp", "OTTT", "DECOLLE", "LEARN"]

LEARN = ("weights", "thresholds", "both")


class ThreeFactor:
    """A three-factor rule: presynaptic trace x postsynaptic psi (the eligibility) x learning
    signal L (module docstring); ``layers``: the layers it trains (default: every layer with
    a learning signal).  :class:`NDL`, :class:`EProp`, :class:`OTTT` and :class:`DECOLLE` are
    its configurations."""

    NAME = "ThreeFactor"
    PARAMETERS = ParameterSet(
        nonnegative("eta", 0.2 * mV ** 2, "weight learning rate (unit: that of w times that of "
                                          "the membrane variable)"),
        nonnegative("eta_theta", 0.0 * mV ** 2, "threshold learning rate"),
        positive("w_max", 4 * mV, "weights are clipped to [-w_max, w_max] (unit of w)"),
        Parameter("learn", "weights", "what is trained: SL, TL or STL", choices=LEARN),
        Parameter("timing", "sample", "when updates apply", choices=TIMINGS),
        Parameter("signal", "same", "when the learning signal is valid ('same': as timing)",
                  choices=("same",) + TIMINGS),
        Parameter("threshold", "v_th", "the neuron parameter learned as the threshold"),
        positive("theta_min", 0.01 * mV, "learned thresholds stay >= v_reset + theta_min"),
        nonnegative("tau_x", 0 * ms, "presynaptic trace time constant (0: the postsynaptic "
                                     "layer's tau_m)"),
        nonnegative("tau_kappa", 0 * ms, "per-step signals: the eligibility's filter time "
                                         "constant (e-prop: the readout's; 0: no filter)"),
        Parameter("adaptation", "auto", "per-step signals: the ALIF eligibility of layers with "
                                        "theta_a, delta_theta, tau_theta ('auto') or none",
                  choices=("auto", "off")),
        Parameter("eligibility", "auto", "how e_ij is computed (equal results; per-step "
                                         "signals: 'per_step' stores it per synapse)",
                  choices=("auto", "per_step", "event")),
    )

    #: largest growth a**-(K-1) of the event-driven eligibility's running sum
    MAX_GROWTH = 1e4

    def __init__(self, layers: tuple | None = None, **params):
        # eta and w_max take the units of the weights they train (checked in problems())
        self.p = self.PARAMETERS.with_units_of(
            {k: v for k, v in params.items() if k in ("eta", "w_max")}).resolve(params)
        self.layers = None if layers is None else tuple(layers)
        self.timing = self.p["timing"]
        self.signal_timing = self.timing if self.p["signal"] == "same" else self.p["signal"]
        if self.timing == "step" and self.signal_timing == "sample":
            raise ParameterError(f"Rule {self.NAME}: updates every step (timing='step') need a "
                                 f"learning signal every step (signal='step'); got "
                                 f"signal='sample'.")

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
        if not self.learns_thresholds or not model.threshold:
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
        raise ParameterError(f"Rule {self.NAME} learns the threshold '{th}' of layer "
                             f"'{layer.name}', a parameter model '{model.name}' does not have "
                             f"(parameter 'threshold').")

    def problems(self, network) -> list[str]:
        """Everything that does not fit, said when the network is built."""
        out = []
        for name in self.governs(network):
            if name not in network.layers:
                continue
            layer, model = network.layers[name], network.model(name)
            if self.learns_thresholds and layer.spiking(model) and \
                    "v_reset" not in model.parameters and "v_reset" not in model.local_parameters:
                out.append(f"Rule {self.NAME} keeps learned thresholds of layer '{name}' above "
                           f"v_reset + theta_min, but model '{model.name}' has no v_reset.")
            for proj in network.projections:
                if self.learns_weights and proj.plastic and proj.post == name:
                    out += self._unit_problems(network, proj, model)
            if self.learns_weights and self.p["tau_x"] == 0 * ms and any(
                    proj.plastic and proj.post == name for proj in network.projections):
                try:
                    layer.parameter("tau_m", model)
                except KeyError:
                    out.append(f"Rule {self.NAME}: layer '{name}' (model '{model.name}') has no "
                               f"parameter 'tau_m' for the presynaptic traces; give tau_x.")
        return out

    def _unit_problems(self, network, proj, model) -> list[str]:
        """eta must have the unit of w times the membrane's, w_max that of w."""
        from brian2 import Equations, Quantity, have_same_dimensions

        w = Quantity(1, dim=proj.weight_unit(network))
        membrane = Quantity(1, dim=Equations(model.equations)[model.firing.membrane].dim)
        out = []
        for name, want in (("eta", w * membrane), ("w_max", w)):
            if not have_same_dimensions(self.p[name], want):
                out.append(f"Rule {self.NAME}: parameter '{name}' must have the unit "
                           f"{want.dim or '1 (a number)'} for the weights of projection "
                           f"'{proj.name}'; got {self.p[name]} (one rule per layer when the "
                           f"units differ, e.g. a readout's).")
        return out

    # -- code ---------------------------------------------------------------------------
    def code(self, network) -> dict[str, Code]:
        codes = {}
        for name in self.governs(network):
            layer, model = network.layers[name], network.model(name)
            codes.setdefault(name, []).append(layer.surrogate_code(model))
            if self.learns_thresholds and layer.spiking(model):
                codes[name].append(self._threshold_code(model))
        if self.learns_weights:
            for proj in network.projections:
                if not (proj.plastic and proj.post in self.governs(network)):
                    continue
                x, tau = self.trace(proj), f"tau_x_{proj.post}"
                codes.setdefault(proj.pre, []).append(Code(
                    equations=[f"d{x}/dt = -{x}/{tau} : 1   # presynaptic trace for "
                               f"'{proj.post}'"],
                    on_spike=[f"{x} += 1"], at_sample_start=[f"{x} = 0"],
                    namespace={tau: self._tau_x(network, proj.post)}))
                if self.signal_timing == "sample":
                    self._per_sample_weight_code(network, proj, codes)
                else:
                    self._per_step_weight_code(network, proj, codes)
        return codes

    def _threshold_code(self, model) -> Code:
        """theta += eta_theta r L psi (per step) or L * sum of psi (at sample ends), kept at or
        above v_reset + theta_min."""
        p, th = self.p, self.p["threshold"]
        ns, rate = {"theta_min": p["theta_min"]}, {"eta_theta": p["eta_theta"]}
        eqs = ["clipped : integer   # times a learned threshold was clipped at its floor"]

        def update(lr, change):
            return (f"theta_new = {th} + eta_theta*{lr}*{change}\n"
                    f"clipped += int(theta_new < v_reset + theta_min)\n"
                    f"{th} = theta_new + int(theta_new < v_reset + theta_min)*"
                    f"(v_reset + theta_min - theta_new)")
        if self.signal_timing == "sample":
            return Code(equations=eqs, namespace=ns, values=rate, at_sample_end=[
                (update("lr_scale(t - dt)", "L*epsi"), sch.ORDER_UPDATE)])
        if self.timing == "step":
            return Code(equations=eqs, namespace=ns, values=rate, every_step=[
                (update("lr_scale(t)", "L*psi"), "end", sch.ORDER_END_UPDATE)])
        unit = inverse_unit(_membrane_unit(model))
        return Code(equations=eqs + [f"g_theta : {unit}   # sum of L*psi over the sample"],
                    namespace=ns, values=rate,
                    every_step=[("g_theta += L*psi", "end", sch.ORDER_END_UPDATE)],
                    at_sample_end=[(update("lr_scale(t - dt)", "g_theta") + f"\ng_theta = "
                                    f"{zero(unit)}", sch.ORDER_UPDATE)])

    def _per_sample_weight_code(self, network, proj, codes):
        """NDL's form: e summed over the sample, times the sample's L at its end."""
        unit = network.layers[proj.post].membrane_unit(network.model(proj.post))
        inv = inverse_unit(unit)
        tau_x = self._tau_x(network, proj.post)
        K = self.chunk(network, proj.post)
        x = self.trace(proj)
        code = Code(
            equations=[f"elig : {inv}   # eligibility: sum of psi_post*{x}_pre"],
            at_sample_end=[("w = clip(w - eta*lr_scale(t - dt)*L_post*elig, "
                            f"-w_max, w_max)\nelig = {zero(inv)}", sch.ORDER_UPDATE)],
            namespace={"w_max": self.p["w_max"]}, values={"eta": self.p["eta"]})
        if K == 1:
            code.every_step.append((f"elig += psi_post*{x}_pre", "thresholds", sch.ORDER_TRACE))
        else:
            code.on_spike.append("elig -= psi_acc_post")
            code.periodic.append((f"elig += psi_acc_post*{x}_pre", K, "start",
                                  sch.ORDER_FLUSH))
            growth = float(np.exp(float(network.dt / tau_x)))
            codes[proj.post].append(Code(
                equations=[f"psi_acc : {inv}   # chunk sum of psi, step k weighted "
                           f"a**(k - now) (event-driven eligibility)"],
                every_step=[("psi_acc = psi_acc*growth_x + psi", "thresholds",
                             sch.ORDER_SURROGATE)],
                periodic=[(f"psi_acc = {zero(inv)}", K, "start", sch.ORDER_FLUSH_CLEAR)],
                namespace={"growth_x": growth}))
        codes.setdefault(proj.name, []).append(code)

    def _per_step_weight_code(self, network, proj, codes):
        """The online form: the filtered eligibility of each step times that step's L, applied
        at once (timing 'step') or summed to the sample's end (timing 'sample'), in ONE pass
        over the synapses per step, in the 'end' slot (where L of the step is known).  A
        spiking layer's eligibility reads the presynaptic trace of the step before its spikes
        (a per-neuron snapshot ``<trace>_step``, taken in the 'thresholds' slot); a readout's
        the trace after them.  Without a filter (kappa = 0) and adaptation the eligibility is
        psi_post*xbar_pre itself and is not stored (``eligibility='per_step'``: stored)."""
        post, model = network.layers[proj.post], network.model(proj.post)
        inv = inverse_unit(post.membrane_unit(model))
        spiking = post.spiking(model)
        kappa = 0.0     # a readout's own trace already has its time constant: no filter
        if self.p["tau_kappa"] > 0 * ms and spiking:
            kappa = float(np.exp(-float(network.dt / self.p["tau_kappa"])))
        k_name, a_name, d_name = (f"kappa_{proj.name}", f"rho_a_{proj.name}",
                                  f"dtheta_{proj.name}")
        ns = {"w_max": self.p["w_max"]}
        x = self.trace(proj)
        trace = f"{x}_pre"
        if spiking:
            trace = f"{x}_step_pre"
            codes.setdefault(proj.pre, []).append(Code(
                equations=[f"{x}_step : 1   # {x} in this step before its spikes"],
                every_step=[(f"{x}_step = {x}", "thresholds", sch.ORDER_TRACE)]))
        adaptation = self._adaptation(network, proj.post) if spiking else None
        eqs, start, stmts = [], [], []
        if self.stores_eligibility(kappa, adaptation):
            eqs.append(f"ebar : {inv}   # eligibility (filtered with kappa)")
            start.append(f"ebar = {zero(inv)}")
            ns[k_name] = kappa
            if adaptation is not None:
                rho, jump = adaptation
                eqs.append("eps_a : 1   # adaptation eligibility (d theta_a/d w over its unit)")
                start.append("eps_a = 0")
                ns.update({a_name: rho, d_name: jump})
                trace = f"({trace} - eps_a)"
            stmts.append(f"ebar = {k_name}*ebar + psi_post*{trace}")
            if adaptation is not None:    # after ebar, which reads the step's old eps_a
                stmts.append(f"eps_a = {a_name}*(eps_a + {d_name}*psi_post*{trace})")
            elig = "ebar"
        else:
            elig = f"(psi_post*{trace})"
        code = Code(equations=eqs, namespace=ns, at_sample_start=start,
                    values={"eta": self.p["eta"]})
        if self.timing == "step":
            stmts.append(f"w = clip(w - eta*lr_scale(t)*L_post*{elig}, -w_max, w_max)")
        else:
            code.equations.append(f"grad : {inv}   # sum of L_post*ebar over the sample")
            stmts.append(f"grad += L_post*{elig}")
            code.at_sample_end.append((f"w = clip(w - eta*lr_scale(t - dt)*grad, -w_max, w_max)"
                                       f"\ngrad = {zero(inv)}", sch.ORDER_UPDATE))
        code.every_step.append(("\n".join(stmts), "end", sch.ORDER_END_UPDATE))
        codes.setdefault(proj.name, []).append(code)

    def stores_eligibility(self, kappa, adaptation) -> bool:
        """Whether the online form keeps a per-synapse eligibility ``ebar`` (a filter or an
        adaptation eligibility need it; ``eligibility='per_step'`` asks for it)."""
        return kappa != 0 or adaptation is not None or self.p["eligibility"] == "per_step"

    def _adaptation(self, network, post):
        """(rho, delta_theta) of an ALIF layer, or None (module docstring)."""
        if self.p["adaptation"] == "off":
            return None
        layer, model = network.layers[post], network.model(post)
        from brian2 import Equations

        if "theta_a" not in Equations(model.equations).names:
            return None
        try:
            tau, jump = (layer.parameter("tau_theta", model),
                         layer.parameter("delta_theta", model))
        except KeyError:
            return None
        return float(np.exp(-float(network.dt / tau))), jump

    def chunk(self, network, post) -> int:
        """Steps per chunk of the event-driven eligibility (1: the per-step form)."""
        if self.p["eligibility"] == "per_step" or self.signal_timing == "step":
            return 1
        # a**-(K-1) <= MAX_GROWTH in logarithms (a**-(K-1) itself overflows for long samples)
        decay = float(network.dt / self._tau_x(network, post))        # -log a
        return max(K for K in range(1, network.T + 1)
                   if network.T % K == 0 and (K - 1) * decay <= np.log(self.MAX_GROWTH))

    @staticmethod
    def trace(proj) -> str:
        """The presynaptic trace of ``proj``'s source, decaying with its target's tau_x:
        ``xbar_<target>`` (one per target time constant)."""
        return f"xbar_{proj.post}"

    def _tau_x(self, network, post):
        if self.p["tau_x"] > 0 * ms:
            return self.p["tau_x"]
        return network.layers[post].parameter("tau_m", network.model(post))

    def __repr__(self):
        return f"{self.NAME}({', '.join(f'{k}={v}' for k, v in self.p.items())})"


def _membrane_unit(model):
    from brian2 import Equations, Quantity

    from ..model import _unit_string

    return _unit_string(Quantity(1, dim=Equations(model.equations)[model.firing.membrane].dim))


class NDL(ThreeFactor):
    """Noise-driven learning (Ma, Yan & Tang 2023; module docstring): per-sample signals and
    updates by default (``timing='step'``: per-step, online)."""

    NAME = "NDL"


class EProp(ThreeFactor):
    """e-prop (Bellec et al. 2020, Nat Commun 11:3625): per-step signals (the raw output error
    broadcast: :class:`~.signals.Feedback` with ``send='error'``), the eligibility filtered
    with the readout's time constant ``tau_kappa`` (and the adaptation eligibility of ALIF
    layers), the gradient summed over the sample and applied at its end."""

    NAME = "EProp"
    PARAMETERS = ThreeFactor.PARAMETERS.with_defaults(signal="step", timing="sample")


class OTTT(ThreeFactor):
    """Online training through time (Xiao et al. 2022, NeurIPS): the presynaptic trace times
    the instantaneous error, applied every step (memory constant in the trial length)."""

    NAME = "OTTT"
    PARAMETERS = ThreeFactor.PARAMETERS.with_defaults(signal="step", timing="step")


class DECOLLE(ThreeFactor):
    """Deep continuous local learning (Kaiser, Mostafa & Neftci 2020): each layer trained every
    step by the error of its own fixed random local readout (a non-spiking layer fed by a
    frozen random projection, its :class:`~.signals.OutputError` sent back through those
    weights: ``Feedback(local, layer, weights='symmetric', send='error')``)."""

    NAME = "DECOLLE"
    PARAMETERS = ThreeFactor.PARAMETERS.with_defaults(signal="step", timing="step")
