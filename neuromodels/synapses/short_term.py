r"""Short-term plasticity: the Tsodyks-Markram model of depressing and facilitating synapses.

Resources :math:`x` recover with :math:`\tau_{rec}`, utilisation :math:`u`
decays with :math:`\tau_{fac}` (both event-driven: exact at spikes).  A
presynaptic spike first facilitates, :math:`u \leftarrow u + U(1-u)`, releases
:math:`r = u x` and transmits :math:`J w r` to the target variable, then
:math:`x \leftarrow x - r`.  The depressing synapse has no facilitation
(:math:`u = U` at every spike).  This is Tsodyks, Pawelzik & Markram (1998,
Neural Comput 10:821, Eqs. 2.1-2.2 and 3.1) with instantaneous release (the
inactive state of the paper decays with the target's synaptic time constant
instead), as NEST's ``tsodyks2_synapse``.  Steady states for regular trains:
:func:`neuromodels.theory.short_term.steady_state`.

Parameter sets of Brian2's ``examples/frompapers/Tsodyks_Pawelzik_Markram_1998.py``
(Fig. 1): depressing ``U = 0.5`` (the paper's value; the Brian2 example uses 0.6
to match the published trace with its three-state model), ``tau_rec = 800 ms``;
facilitating ``U = 0.03``, ``tau_rec = 130 ms``, ``tau_fac = 530 ms``.  The
paper's absolute strength ``A_SE`` is ``J * w``.  ``r`` holds the release of the
latest spike.

Parameters (default: the facilitating set; accepted range; ``w`` per synapse; ``tau_fac``
only when facilitating):

* ``J`` (1.0): effect of a full release (r = 1) of w = 1 (unit of the target)
* ``U`` (0.03; > 0.0 and <= 1.0): utilisation increment per spike
* ``tau_rec`` (130. ms; > 0. s): recovery time constant of the resources
* ``tau_fac`` (0.53 s; > 0. s): facilitation time constant
* ``w`` (1.0; >= 0): efficacy (dimensionless; A_SE = J w)
"""
from __future__ import annotations

from brian2 import ms

from ..model import SynapseModel
from ..parameters import Parameter, ParameterSet, nonnegative, positive

__all__ = ["tsodyks_markram", "DEPRESSING", "FACILITATING"]

DEPRESSING = dict(U=0.5, tau_rec=800 * ms)
FACILITATING = dict(U=0.03, tau_rec=130 * ms, tau_fac=530 * ms)


def tsodyks_markram(target: str = "g", J=1.0, *, facilitating: bool = False,
                    name: str | None = None, **defaults) -> SynapseModel:
    """A depressing (default) or facilitating Tsodyks-Markram synapse onto ``target``."""
    values = FACILITATING if facilitating else DEPRESSING
    parameters = [
        Parameter("J", J, "effect of a full release (r = 1) of w = 1 (unit of the target)"),
        nonnegative("w", 1.0, "efficacy (dimensionless; A_SE = J w)"),
        Parameter("U", values["U"], "utilisation increment per spike", low=0.0, high=1.0,
                  low_open=True),
        positive("tau_rec", values["tau_rec"], "recovery time constant of the resources"),
    ]
    if facilitating:
        parameters.append(positive("tau_fac", values["tau_fac"], "facilitation time constant"))
        model = """
        du/dt = -u / tau_fac : 1 (event-driven)
        dx/dt = (1 - x) / tau_rec : 1 (event-driven)
        r : 1
        """
        release = "u += U * (1 - u)\nr = u * x"
    else:
        model = """
        dx/dt = (1 - x) / tau_rec : 1 (event-driven)
        r : 1
        """
        release = "r = U * x"
    initial = (("x", 1.0), ("r", 0.0)) + ((("u", 0.0),) if facilitating else ())
    return SynapseModel(
        name=name or ("tm_facilitating" if facilitating else "tm_depressing"),
        parameters=ParameterSet(*parameters).with_defaults(**defaults),
        model=model,
        on_pre=f"""
        {release}
        {target}_post += J * w * r
        x -= r
        """,
        initial=initial,
        reference="Tsodyks, Pawelzik & Markram (1998) Neural Comput 10:821",
    ).per_synapse("w")
