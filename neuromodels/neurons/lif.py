r"""Leaky integrate-and-fire neurons with current- and conductance-based synapses.

Current-based (CUBA), exponentially decaying synaptic currents (in volts):

.. math::
    \tau_m \frac{dv}{dt} = v_{rest} - v + g_e - g_i,\qquad
    \tau_e \frac{dg_e}{dt} = -g_e,\qquad \tau_i \frac{dg_i}{dt} = -g_i

Conductance-based (COBA), exponentially decaying conductances:

.. math::
    C_m \frac{dv}{dt} = g_l (E_l - v) + g_e (E_e - v) + g_i (E_i - v) + I_{ext},\qquad
    \tau_e \frac{dg_e}{dt} = -g_e,\qquad \tau_i \frac{dg_i}{dt} = -g_i

Both spike when :math:`v > v_{th}`, reset to :math:`v_{reset}` and stay
refractory for :math:`t_{ref}`.  Defaults are those of the benchmark networks of
Brette et al. (2007), J Comput Neurosci 23:349 (benchmarks 1 and 2, after Vogels &
Abbott 2005).  In CUBA the drive is ``v_rest``, 1 mV above threshold.  COBA's
:math:`I_{ext}` is 0, as in benchmark 1: its network is self-sustained, started from
R. Brette's published initial state (:mod:`neuromodels.networks.brette2007`).
:data:`COBA_DRIVEN` is the variant with a constant drive :math:`I_{ext}` = 200 pA
(= g_l x 20 mV, the ``I = 20*mV`` of later COBA benchmark scripts, e.g. BrainPy's and
brian2cuda's), which keeps the network active from a resting start.  ``LIF`` is the
plain neuron driven by a constant input ``v_rest`` (for which
:func:`neuromodels.theory.lif` gives the rate).

Parameters (default; accepted range), ``print(model)`` lists each model's own:

* ``C_m`` (200. pF; > 0. F): membrane capacitance (1 uF/cm^2 x 20000 um^2)
* ``g_l`` (10. nS; > 0. S): leak conductance (tau_m = C_m/g_l = 20 ms)
* ``tau_e`` (5. ms; > 0. s): excitatory synaptic time constant
* ``tau_i`` (10. ms; > 0. s): inhibitory synaptic time constant
* ``E_l`` (-60. mV): leak reversal potential
* ``E_e`` (0. V): excitatory reversal potential
* ``E_i`` (-80. mV): inhibitory reversal potential
* ``I_ext`` (0. A): constant external drive (none in benchmark 1)
* ``v_th`` (-50. mV): spike threshold
* ``v_reset`` (-60. mV): reset potential
* ``t_ref`` (5. ms; >= 0. s): absolute refractory period
* ``tau_m`` (20. ms; > 0. s): membrane time constant
* ``v_rest`` (-49. mV): resting potential

Together: 'v_reset' must be below 'v_th' (else the neuron fires again at once).
"""
from dataclasses import replace

from brian2 import mV, ms, nS, pA, pF

from ..devices import KNOWN_DEVICES
from ..model import NeuronModel
from ..parameters import Parameter, ParameterSet, below, positive

__all__ = ["LIF", "CUBA", "COBA", "COBA_DRIVEN", "MEMBRANE_PARAMETERS",
           "SYNAPTIC_TIME_CONSTANTS"]

REFERENCE = "Brette et al. (2007) J Comput Neurosci 23:349, benchmarks 1-2"

#: Threshold, reset and refractoriness shared by every LIF variant.
MEMBRANE_PARAMETERS = ParameterSet(
    Parameter("v_th", -50 * mV, "spike threshold"),
    Parameter("v_reset", -60 * mV, "reset potential"),
    Parameter("t_ref", 5 * ms, "absolute refractory period", low=0 * ms),
    below("v_reset", "v_th", "else the neuron fires again at once"),
)

#: Decay time constants of the excitatory and inhibitory synaptic variables (CUBA and COBA).
SYNAPTIC_TIME_CONSTANTS = ParameterSet(
    positive("tau_e", 5 * ms, "excitatory synaptic time constant"),
    positive("tau_i", 10 * ms, "inhibitory synaptic time constant"),
)

_SPIKING = dict(threshold="v > v_th", reset="v = v_reset", refractory="t_ref")

LIF = NeuronModel(
    name="lif",
    equations="""
    dv/dt = (v_rest - v) / tau_m : volt (unless refractory)
    """,
    parameters=ParameterSet(
        positive("tau_m", 20 * ms, "membrane time constant"),
        Parameter("v_rest", -49 * mV, "resting potential (constant drive: mean input)"),
        MEMBRANE_PARAMETERS,
    ),
    method="exact",
    reference="Lapicque (1907); Burkitt (2006) Biol Cybern 95:1",
    **_SPIKING,
)

CUBA = NeuronModel(
    name="lif_cuba",
    equations="""
    dv/dt = (v_rest - v + g_e - g_i) / tau_m : volt (unless refractory)
    dg_e/dt = -g_e / tau_e : volt
    dg_i/dt = -g_i / tau_i : volt
    """,
    parameters=ParameterSet(
        positive("tau_m", 20 * ms, "membrane time constant"),
        SYNAPTIC_TIME_CONSTANTS,
        Parameter("v_rest", -49 * mV, "resting potential"),
        MEMBRANE_PARAMETERS,
    ),
    method="exact",
    devices=KNOWN_DEVICES,  # Brian2CUDA too (the GPU benchmark, tests/benchmarks/gpu_route.py)
    reference=REFERENCE,
    **_SPIKING,
)

COBA = NeuronModel(
    name="lif_coba",
    equations="""
    dv/dt = (g_l*(E_l - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ext) / C_m : volt (unless refractory)
    dg_e/dt = -g_e / tau_e : siemens
    dg_i/dt = -g_i / tau_i : siemens
    """,
    parameters=ParameterSet(
        positive("C_m", 200 * pF, "membrane capacitance (1 uF/cm^2 x 20000 um^2)"),
        positive("g_l", 10 * nS, "leak conductance (tau_m = C_m/g_l = 20 ms)"),
        SYNAPTIC_TIME_CONSTANTS,
        Parameter("E_l", -60 * mV, "leak reversal potential"),
        Parameter("E_e", 0 * mV, "excitatory reversal potential"),
        Parameter("E_i", -80 * mV, "inhibitory reversal potential"),
        Parameter("I_ext", 0 * pA, "constant external drive (none in benchmark 1)"),
        MEMBRANE_PARAMETERS,
    ),
    method="euler",
    devices=KNOWN_DEVICES,
    reference=REFERENCE,
    **_SPIKING,
)

#: COBA with a constant drive of 200 pA (g_l x 20 mV): the driven benchmark variant.
COBA_DRIVEN = replace(COBA, name="lif_coba_driven",
                      parameters=COBA.parameters.with_defaults(I_ext=200 * pA))
