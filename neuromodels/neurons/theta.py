r"""Theta (QIF) neurons as Brian2 equations: the neuron of Klos & Memmesheimer (arXiv
2309.14523) that :mod:`neuromodels.exact` solves exactly.

:data:`THETA`: exponentially decaying synaptic current, in phase form (Ermentrout & Kopell
1986),

.. math::

    \tau\dot V = V(V-1) + I + I_0,\quad V = \tfrac12 + \tfrac12\tan\tfrac\theta2
    \;\Longrightarrow\;
    \tau\dot\theta = -\cos\theta + 2(I + I_0)(1+\cos\theta),
    \qquad \tfrac\tau2\dot I = -I,

a spike at :math:`\theta = \pi` (:math:`V=+\infty`), reset :math:`\theta \mathrel{-}= 2\pi`
(continuous in phase), and each presynaptic spike adds its weight to :math:`I`.
:math:`I_0` (``I0``, default 0) is the constant drive, the paper's :math:`I_0` (periodic
firing with period :math:`\tau\pi/\sqrt{I_0-1/4}` for :math:`I_0 > 1/4`,
:func:`neuromodels.theory.theta.qif_period`); the initial synaptic current is ``I_init``
(:func:`theta_group`). :data:`QIF_EXACT_EQUATIONS` is the same neuron as the exact solver
writes it.

:data:`THETA_OSC`: the pulse-coupled theta oscillator of the paper's deep networks, with
time-to-first-spike coding (below).

Clock-driven, one ``run()``; no custom events, linked variables or network operations. The
neuron and :data:`THETA_SYNAPSE` run on every device; the sub-step-corrected synapses below
write two postsynaptic variables and so do not run on GeNN.

**Spike timing.** Brian2 detects the crossing at the end of a step and records the step's
start time ``t``. Since :math:`\dot\theta = 1/\tau` and :math:`\ddot\theta = 0` at
:math:`\theta=\pi` for any :math:`I`, the crossing time is
:math:`t + dt - \tau(\theta-\pi) + O(dt^3)`: :func:`spike_times` applies this to the
``theta`` a :class:`~brian2.SpikeMonitor` recorded. Synaptic effects are applied after the
state update, i.e. at the end of the step;
:func:`neuromodels.networks.theta.network_from_exact` gives every synapse the lag
:math:`\delta` (in units of :math:`\tau`) between the true spike time and the step's end
(:math:`\theta_\mathrm{pre}-\pi` for network spikes, a per-spike constant for inputs) and
uses :data:`THETA_INPUT_SYNAPSE` / :data:`THETA_RECURRENT_SYNAPSE`, which are exact to
:math:`O(\delta^2)`. Brian2 must not be told a different ``when`` for any of it.

**The oscillator** :data:`THETA_OSC` (constant drive :math:`I_0 > 1/4`, delta-pulse synapses,
the Brian2 twin of :mod:`neuromodels.exact.feedforward`):

.. math::

    \tau\dot\theta = -\cos\theta + 2 I_0 (1 + \cos\theta),\qquad
    \text{pre spike: } V \mathrel{+}= w \iff \theta \leftarrow 2\arctan(\tan\tfrac\theta2 + 2w),

spike at :math:`\theta = \pi`. The synapses add their weights to ``dVsum`` (linear, so
simultaneous pulses sum as in the exact model); a ``run_regularly`` at the start of the next
step, before the state update, applies the jump once (brian2genn allows run_regularly only in
that slot). Time-to-first-spike coding: after its first spike a neuron is refractory for the
rest of the trial (``t_once`` longer than the trial, ``theta`` frozen), the exact solver's
"each neuron fires at most once". RK4; spike times are interpolated by :func:`crossing_times`
(:math:`\dot\theta = 1/\tau` at :math:`\theta=\pi`). Runs on runtime, C++ standalone and
GeNN (one clock, one postsynaptic variable per synapse, the jump as a named
``run_regularly``). Defaults: the paper's oscillator,
:data:`neuromodels.theory.theta.OSCILLATOR_I0` and ``OSCILLATOR_TAU`` time units of
:data:`TIME_UNIT`. :func:`neuromodels.networks.theta.run_feedforward` builds the layered
network from trained exact weights.

Parameters (default; accepted range) of ``THETA``:

* ``tau`` (10. ms; > 0. s): membrane time constant (synaptic: tau/2); the time unit
* ``I0`` (0.0): constant drive I_0 (periodic firing for I0 > 1/4)

and of ``THETA_OSC``:

* ``tau`` (19.09859317 ms; > 0. s): time constant (free-running period 60 ms at I0 = 5/4)
* ``I0`` (5/4; >= 1/4): constant drive I_0 (an oscillator needs I0 > 1/4)
* ``t_once`` (1. s; > 0. s): refractory period after the first spike (> trial)
"""

from __future__ import annotations

import numpy as np
from brian2 import SpikeMonitor, ms, second

from ..devices.notes import keep_off_console
from ..model import NeuronModel, SynapseModel
from ..parameters import Parameter, ParameterSet, positive
from ..theory.theta import OSCILLATOR_I0, OSCILLATOR_TAU

__all__ = ["THETA", "QIF_EXACT_EQUATIONS", "THETA_SYNAPSE", "THETA_INPUT_SYNAPSE",
           "THETA_RECURRENT_SYNAPSE", "theta_group", "crossing_times", "spike_times",
           "THETA_OSC", "THETA_OSC_SYNAPSE", "THETA_OSC_EQUATIONS", "THETA_OSC_ON_PRE",
           "THETA_OSC_APPLY", "TIME_UNIT"]

REFERENCE = ("Klos & Memmesheimer (2025) Phys Rev Lett, arXiv 2309.14523; "
             "Ermentrout & Kopell (1986) SIAM J Appl Math 46:233")

THETA = NeuronModel(
    name="theta",
    equations="""
    dtheta/dt = (-cos(theta) + 2*(I + I0)*(1 + cos(theta)))/tau : 1
    dI/dt = -2*I/tau : 1
    """,
    parameters=ParameterSet(
        positive("tau", 10 * ms, "membrane time constant (synaptic: tau/2); the time unit"),
        Parameter("I0", 0.0, "constant drive I_0 (periodic firing for I0 > 1/4)"),
    ),
    threshold="theta > pi",
    reset="theta -= 2*pi",
    method="rk4",
    reference=REFERENCE,
)

#: The same neuron as the exact solver (:mod:`neuromodels.exact`) writes it, in units of
#: tau, with the pseudodynamics that continue it after the trial end T.
QIF_EXACT_EQUATIONS = (
    "tau dV/dt = V (V - 1) + I;  (tau/2) dI/dt = -I + (tau/2) sum_k w_k delta(t - t_k); "
    "spike at V = +inf, reset to -inf; pseudodynamics after T: "
    "tau dV/dt = (V - 1/2)^2 + softplus_alpha(I(T) + u), u = sum_j W[j, i] r_j the "
    "pseudo-input of neuron i (0 for a single neuron)")

#: Plain current synapse: each presynaptic spike adds ``w`` to ``I``.
THETA_SYNAPSE = SynapseModel(name="theta_current", parameters=ParameterSet(),
                             model="w : 1", on_pre="I_post += w", reference=REFERENCE)

# Sub-step-corrected synapses: the spike happened ``lag`` (units of tau) before the end of
# the step in which Brian2 applies it; the current has decayed by exp(-2 lag) and, to
# first order, has already moved theta by 2 w (1 + cos theta) lag.
_LAGGED = """
theta_post += 2*w*(1 + cos(theta_post))*LAG
I_post += w*exp(-2*LAG)
"""
# they write two postsynaptic variables, which brian2genn does not allow
_TWO_TARGETS = ("runtime", "cpp_standalone")
# Brian2 notes that the order of the synapses onto one neuron may matter and that numpy
# loops over them: it applies each spike in turn, as the sub-step correction means to
keep_off_console("brian2.codegen", "theta_post")
#: Input synapse with a per-synapse lag (one generator index per input spike).
THETA_INPUT_SYNAPSE = SynapseModel(name="theta_input", parameters=ParameterSet(),
                                   model="w : 1\nlag : 1", on_pre=_LAGGED.replace("LAG", "lag"),
                                   devices=_TWO_TARGETS, reference=REFERENCE)
#: Recurrent synapse: the lag of a network spike is theta_pre - pi (theta' = 1/tau there).
THETA_RECURRENT_SYNAPSE = SynapseModel(name="theta_recurrent", parameters=ParameterSet(),
                                       model="w : 1",
                                       on_pre=_LAGGED.replace("LAG", "(theta_pre - pi)"),
                                       devices=_TWO_TARGETS,
                                       reference=REFERENCE)


def theta_group(N, V_init=0.0, I_init=0.0, *, params=None, name=None, dt=None, clock=None,
                model=THETA, **more):
    """A NeuronGroup of ``N`` theta neurons starting at voltage ``V_init`` and synaptic
    current ``I_init`` (``theta = 2 arctan(2 V_init - 1)``); ``params``/``more`` override
    ``tau`` and the constant drive ``I0``; ``dt`` or ``clock`` as in
    :meth:`~neuromodels.model.NeuronModel.group`.  ``model``: the neuron (default
    :data:`THETA`; a user's variant of it, with the variables ``theta`` and ``I``)."""
    G = model.group(N, name=name, params=params, dt=dt, clock=clock, **more)
    G.theta = 2 * np.arctan(2 * np.asarray(V_init, dtype=float) - 1)
    G.I = I_init
    return G


def crossing_times(t, theta, dt, tau):
    """Times at which ``theta`` crossed pi, from the step start times ``t`` of the spikes and
    the ``theta`` recorded with them (plain floats, one time unit): ``t + dt - tau*(theta -
    pi)``, exact to O(dt^3) (module docstring). The overshoot is taken modulo 2 pi: brian2genn
    records ``theta`` after the reset (``theta - 2 pi``), the other devices before it."""
    over = np.mod(np.asarray(theta, float), 2 * np.pi) - np.pi
    return np.asarray(t, float) + dt - tau * over


def spike_times(monitor: SpikeMonitor, dt, tau):
    """Interpolated spike times (in units of ``tau``) per neuron from a SpikeMonitor that
    records ``theta``; returns a list of arrays."""
    corr = crossing_times(monitor.t / second, monitor.theta, float(dt / second),
                          float(tau / second))
    idx = np.asarray(monitor.i)
    n = monitor.source.N
    return [np.sort(corr[idx == i]) / float(tau / second) for i in range(n)]


# ------------------------------------------------------------ the pulse-coupled oscillator
#: The time unit of the exact feed-forward networks in Brian2 (their tau = 6/pi units).
TIME_UNIT = 10 * ms

THETA_OSC_EQUATIONS = """
dtheta/dt = (-cos(theta) + 2*I0*(1 + cos(theta)))/tau : 1 (unless refractory)
dVsum : 1  # summed pulses of this time step
"""
#: synapses accumulate the voltage jumps of a step (linear, so simultaneous spikes add)...
THETA_OSC_ON_PRE = "dVsum_post += w"
#: ...which the neuron applies once, at the start of the next step: V += dV
THETA_OSC_APPLY = ("theta = theta + int(not_refractory)*(2*arctan(tan(theta/2) + 2*dVsum) - theta)"
                   "\ndVsum = 0")

#: The oscillator as a model (``t_once`` longer than the trial: at most one spike per trial).
THETA_OSC = NeuronModel(
    name="theta_osc",
    equations=THETA_OSC_EQUATIONS,
    parameters=ParameterSet(
        positive("tau", OSCILLATOR_TAU * TIME_UNIT,
                 "time constant (free-running period 60 ms at I0 = 5/4)"),
        Parameter("I0", OSCILLATOR_I0, "constant drive I_0 (an oscillator needs I0 > 1/4)",
                  low=0.25),
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
