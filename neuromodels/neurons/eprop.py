r"""The e-prop neuron of NEST (``eprop_iaf_bsshslm_2020``; Bellec et al. 2020): a LIF neuron
with reset by subtraction and a piecewise-linear pseudo-derivative, as Brian2 equations.

NEST's discrete update (step k, :math:`\alpha = e^{-dt/\tau_m}`, :math:`\zeta = 1 - \alpha`,
membrane relative to rest, :math:`E_L = 0`; the module docstring of
:mod:`neuromodels.reference.nest_eprop` gives the sources):

.. math::
    v^k = \alpha v^{k-1} + \zeta I^k - v_{th} z^{k-1}, \qquad
    z^k = H(v^k - v_{th}) \;(\ge), \qquad
    \psi^k = \frac{\gamma}{v_{th}} \max\Bigl(0,\, 1 - \frac{|v^k - v_{th}|}{v_{th}}\Bigr),

i.e. the LIF :math:`\tau_m\, dv/dt = -v` between steps, a spike when :math:`v \ge v_{th}`,
:math:`v_{th}` subtracted from the *decayed* membrane of the next step, and Bellec et al.'s
pseudo-derivative (Nat Commun 11:3625, Methods, eq. 24 with the dampening factor
:math:`\gamma`) as the model's :class:`~neuromodels.model.Firing` derivative
(P(spike) = ``int(v >= v_th)``).

In Brian2's schedule a step decays ``v`` ('groups'), tests the threshold ('thresholds'),
adds the weights of the spikes of this step ('synapses') and resets ('resets'), so a reset
is decayed once before the next threshold test.  The reset subtracts
:math:`v_{th}/\alpha` (``v_th*exp(dt/tau_m)``), so that the next step's membrane is
:math:`\alpha v - v_{th}` exactly as in NEST.  For the same reason a NEST weight
:math:`w` (pA with C_m = 1 pF: a jump :math:`\zeta w` into the undecayed membrane) is the
Brian2 weight :math:`\zeta w/\alpha` (mV), entering one step later
(``tests/test_learning_eprop_nest.py`` names every such convention and shows NEST's weight
changes and losses to 1e-11).  Refractoriness as NEST's: for ``t_ref``/dt - 1 steps after a
spike no spike and :math:`\psi = 0`, while the membrane keeps integrating (no ``(unless
refractory)``); all state, ``lastspike`` included, starts afresh with each sample.

Parameters (default; accepted range; NEST's sine-wave example): ``tau_m`` (30 ms; > 0),
``v_th`` (0.03 mV above rest; > 0), ``gamma`` (0.3; > 0), the pseudo-derivative's height
times v_th (its half-width is v_th), and ``t_ref`` (0 ms; >= 0).
"""
from brian2 import mV, ms, second

from ..model import Firing, NeuronModel
from ..parameters import ParameterSet, nonnegative, positive

__all__ = ["EPROP_IAF", "EPROP_IAF_PARAMETERS", "REFERENCE"]

REFERENCE = ("Bellec et al. (2020) Nat Commun 11:3625; NEST 3.10 eprop_iaf_bsshslm_2020 "
             "(models/eprop_iaf_bsshslm_2020.cpp)")

#: Parameters of the e-prop neuron (NEST's sine-wave regression example).
EPROP_IAF_PARAMETERS = ParameterSet(
    positive("tau_m", 30 * ms, "membrane time constant"),
    positive("v_th", 0.03 * mV, "spike threshold above rest (the reset subtracts it)"),
    positive("gamma", 0.3, "pseudo-derivative height gamma/v_th (half-width v_th)"),
    nonnegative("t_ref", 0 * ms, "refractory period (no spike, psi = 0 for t_ref/dt - 1 steps)"),
)

EPROP_IAF = NeuronModel(
    name="eprop_iaf",
    equations="dv/dt = -v/tau_m : volt   # membrane relative to rest",
    parameters=EPROP_IAF_PARAMETERS,
    threshold="v >= v_th",
    reset="v -= v_th*exp(dt/tau_m)",
    refractory="t_ref",
    method="exact",
    initial=(("v", 0 * mV), ("lastspike", -1e4 * second)),
    firing=Firing(probability="int(v >= v_th)*int(not_refractory)",
                  derivative="gamma/v_th*int(abs(v - v_th) < v_th)*(1 - abs(v - v_th)/v_th)"
                             "*int(not_refractory)",
                  membrane="v"),
    reference=REFERENCE)
