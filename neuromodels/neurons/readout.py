r"""The leaky non-spiking readout: a unit that low-pass filters the spikes it receives.

.. math::
    \tau_{out}\,\frac{dy}{dt} = -y, \qquad y \mathrel{+}= w \text{ at each presynaptic spike},

so that on a grid of steps :math:`y(t) = \kappa\, y(t - dt) + \sum_j w_{kj} z_j(t)` with
:math:`\kappa = e^{-dt/\tau_{out}}`: the readout of e-prop (Bellec et al. 2020, Nat Commun
11:3625, Methods "Readout"), and of DECOLLE's local readouts when ``tau_out`` is short
(Kaiser, Mostafa & Neftci 2020, Front Neurosci 14:424).  ``y`` is dimensionless; the bias
of Bellec et al. is left out (a user adds ``+ b`` to the equation where wanted).

The readout never spikes.  For a learning rule it declares ``firing`` with P(spike) = 0 and
dP/dy = 1: the derivative of its output with respect to itself, so that the three-factor
rules of :mod:`neuromodels.learning.rules` train its weights with the presynaptic trace
alone, :math:`\Delta w_{kj} = -\eta \sum_t L_k(t)\, \bar z_j(t)` (the readout update of
e-prop).
"""
from brian2 import ms

from ..model import Firing, NeuronModel
from ..parameters import ParameterSet, positive

__all__ = ["leaky_readout", "LEAKY_READOUT_PARAMETERS"]

#: Parameters of the leaky readout.
LEAKY_READOUT_PARAMETERS = ParameterSet(
    positive("tau_m", 20 * ms, "time constant of the readout's low-pass filter (tau_out)"),
)


def leaky_readout() -> NeuronModel:
    """A leaky, non-spiking readout unit ``y`` (module docstring); its time constant is the
    parameter ``tau_m`` (tau_out of e-prop), named like a membrane's so that presynaptic traces
    and feedback gains find it as they do for a LIF layer."""
    return NeuronModel(
        name="leaky_readout",
        equations="dy/dt = -y/tau_m : 1   # readout (low-pass filtered weighted spikes)",
        parameters=LEAKY_READOUT_PARAMETERS, method="exact",
        initial=(("y", 0.0),),
        firing=Firing(probability="0", derivative="1", membrane="y"),
        reference="Bellec et al. (2020) Nat Commun 11:3625 (readout, Methods)")
