r"""Theta (QIF) neuron with exponentially decaying synaptic current, as Brian2 equations.

The neuron of Klos & Memmesheimer (arXiv 2309.14523) that :mod:`neuromodels.exact` solves
exactly, in phase form (Ermentrout & Kopell 1986):

.. math::

    \tau\dot V = V(V-1) + I + I_\mathrm{bias},\quad V = \tfrac12 + \tfrac12\tan\tfrac\theta2
    \;\Longrightarrow\;
    \tau\dot\theta = -\cos\theta + 2(I + I_\mathrm{bias})(1+\cos\theta),
    \qquad \tfrac\tau2\dot I = -I,

a spike at :math:`\theta = \pi` (:math:`V=+\infty`), reset :math:`\theta \mathrel{-}= 2\pi`
(continuous in phase), and each presynaptic spike adds its weight to :math:`I`.
:math:`I_\mathrm{bias}` (default 0) is a constant drive, e.g. to test the free-running period
:math:`\tau\pi/\sqrt{I_\mathrm{bias}-1/4}` (:func:`neuromodels.theory.theta.qif_period`).

Clock-driven, one ``run()``; no custom events, linked variables or network operations. The
neuron and :data:`THETA_SYNAPSE` run on every device; the sub-step-corrected synapses below
write two postsynaptic variables and so do not run on GeNN.

**Spike timing.** Brian2 detects the crossing at the end of a step and records the step's
start time ``t``. Since :math:`\dot\theta = 1/\tau` and :math:`\ddot\theta = 0` at
:math:`\theta=\pi` for any :math:`I`, the crossing time is
:math:`t + dt - \tau(\theta-\pi) + O(dt^3)`: :func:`spike_times` applies this to the
``theta`` a :class:`~brian2.SpikeMonitor` recorded. Synaptic effects are applied after the
state update, i.e. at the end of the step; :func:`network_from_exact` therefore gives every
synapse the lag :math:`\delta` (in units of :math:`\tau`) between the true spike time and
the step's end (:math:`\theta_\mathrm{pre}-\pi` for network spikes, a per-spike constant for
inputs) and uses :data:`THETA_INPUT_SYNAPSE` / :data:`THETA_RECURRENT_SYNAPSE`, which are
exact to :math:`O(\delta^2)`. Brian2 must not be told a different ``when`` for any of it.
"""

from __future__ import annotations

import numpy as np
from brian2 import SpikeGeneratorGroup, SpikeMonitor, ms, second

from ..devices import DeviceError, network_clock, require_active_device
from ..model import NeuronModel, SynapseModel
from ..parameters import Parameter, ParameterSet, positive

__all__ = ["THETA", "THETA_SYNAPSE", "THETA_INPUT_SYNAPSE", "THETA_RECURRENT_SYNAPSE",
           "theta_group", "crossing_times", "spike_times", "network_from_exact"]

REFERENCE = ("Klos & Memmesheimer (2025) Phys Rev Lett, arXiv 2309.14523; "
             "Ermentrout & Kopell (1986) SIAM J Appl Math 46:233")

THETA = NeuronModel(
    name="theta",
    equations="""
    dtheta/dt = (-cos(theta) + 2*(I + I_bias)*(1 + cos(theta)))/tau : 1
    dI/dt = -2*I/tau : 1
    """,
    parameters=ParameterSet(
        positive("tau", 10 * ms, "membrane time constant (synaptic: tau/2); the time unit"),
        Parameter("I_bias", 0.0, "constant drive (periodic firing for I_bias > 1/4)"),
    ),
    threshold="theta > pi",
    reset="theta -= 2*pi",
    method="rk4",
    reference=REFERENCE,
)

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


def theta_group(N, V0=0.0, I0=0.0, *, params=None, name=None, dt=None, clock=None, **more):
    """A NeuronGroup of ``N`` theta neurons starting at voltage ``V0`` and current ``I0``
    (``theta0 = 2 arctan(2 V0 - 1)``); ``params``/``more`` override ``tau``, ``I_bias``;
    ``dt`` or ``clock`` as in :meth:`~neuromodels.model.NeuronModel.group`."""
    G = THETA.group(N, name=name, params=params, dt=dt, clock=clock, **more)
    G.theta = 2 * np.arctan(2 * np.asarray(V0, dtype=float) - 1)
    G.I = I0
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


def network_from_exact(W, w_in, in_times, in_channels, V0, I0, tau=10 * ms, dt=None,
                       substep=True):
    """Brian2 objects for an exact QIF network (:func:`neuromodels.exact.network.simulate`).

    Times are in units of ``tau``. Returns a dict: ``neurons``, ``inputs``
    (SpikeGeneratorGroup), ``input_synapses``, ``synapses`` (recurrent, ``W[i, j]``: j -> i),
    ``monitor`` (SpikeMonitor recording ``theta``) and ``objects`` (all of them, for
    ``Network(*objects)``). Each input spike has its own generator index and a sub-step lag
    (see module docstring). The caller runs ``T * tau`` and reads :func:`spike_times`.
    All objects share one clock, :func:`neuromodels.devices.network_clock` of ``dt``.

    ``substep=False`` uses :data:`THETA_SYNAPSE` instead of the sub-step-corrected synapses
    (which write two postsynaptic variables, which GeNN cannot): spike timing is then exact
    to RK4 order only for inputs on the time grid and first order in ``dt`` otherwise.
    """
    W = np.asarray(W, dtype=float)
    w_in = np.asarray(w_in, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W (recurrent weights) must have shape (N, N), got {W.shape}")
    N = W.shape[0]
    if w_in.ndim != 2 or w_in.shape[0] != N:
        raise ValueError(f"w_in (input weights) must have shape (N={N}, Nin), got {w_in.shape}")
    t_in = np.asarray(in_times, dtype=float)
    c_in = np.asarray(in_channels, dtype=int)
    if t_in.shape != c_in.shape or t_in.ndim != 1:
        raise ValueError("in_times and in_channels must be 1-d arrays of equal length")
    if t_in.size and np.any(t_in < 0):
        raise ValueError("in_times must be >= 0")
    synapse_in, synapse_rec = ((THETA_INPUT_SYNAPSE, THETA_RECURRENT_SYNAPSE) if substep
                               else (THETA_SYNAPSE, THETA_SYNAPSE))
    for model in (synapse_in, synapse_rec):
        try:
            require_active_device(model.devices, f"Synapse model '{model.name}'")
        except DeviceError as err:
            raise DeviceError(f"{err} Pass substep=False to use '{THETA_SYNAPSE.name}'.") from None
    clock = network_clock(dt)  # one clock for every object (GeNN: the default clock)
    dt = clock.dt
    dt_s = float(dt / second)
    tau_s = float(tau / second)
    G = theta_group(N, V0=V0, I0=I0, clock=clock, tau=tau)
    # one generator index per input spike, emitted in the step whose end is the first grid
    # time >= t_k; the synapse carries the lag of the step's end behind t_k
    n_end = np.maximum(np.ceil(t_in * tau_s / dt_s - 1e-9).astype(int), 1)
    lag = (n_end * dt_s - t_in * tau_s) / tau_s
    k = np.arange(t_in.size)
    P = SpikeGeneratorGroup(max(t_in.size, 1), k, (n_end - 1) * dt_s * second, clock=clock)
    pre, post = np.nonzero(w_in[:, c_in].T)
    S_in = synapse_in.connect(P, G, pre, post, clock=clock)
    S_in.w = w_in[:, c_in].T[pre, post]
    if substep:
        S_in.lag = lag[pre]
    objects = [G, P, S_in]
    S = None
    src, tgt = np.nonzero(W.T)
    if src.size:
        S = synapse_rec.connect(G, G, src, tgt, clock=clock)
        S.w = W.T[src, tgt]
        objects.append(S)
    M = SpikeMonitor(G, variables=["theta"])
    objects.append(M)
    return {"neurons": G, "inputs": P, "input_synapses": S_in, "synapses": S, "monitor": M,
            "objects": objects}
