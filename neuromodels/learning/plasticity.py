r"""Unsupervised plasticity: trace STDP on a projection, without a learning signal.

:class:`STDP` is a rule (:mod:`.rules`) that trains one projection by the spike-timing
rule of its own synapse model: the projection's ``synapse`` is a
:class:`~neuromodels.model.SynapseModel` of :mod:`neuromodels.synapses.stdp` (one home for
the STDP math), e.g. :func:`~neuromodels.synapses.stdp.pair_stdp` with nearest-spike
traces, the form of Diehl & Cook (2015)'s rule (pre: :math:`w \leftarrow w - \nu_{pre}
x_{post}`, post: :math:`w \leftarrow w + \nu_{post} x_{pre}`, clipped to
:math:`[0, w_{max}]`; ``A_minus = nu_pre/w_max``, ``A_plus = nu_post/w_max``).  For one
presented sample with presynaptic spikes :math:`t_m` and postsynaptic spikes :math:`t_k`,
without clipping (all-to-all traces):

.. math::
    \Delta w = r\,w_{max}\Big(A_+ \sum_k \sum_{t_m \le t_k} e^{-(t_k - t_m)/\tau_+}
    - A_- \sum_m \sum_{t_k < t_m} e^{-(t_m - t_k)/\tau_-}\Big)

(nearest-spike traces: only the latest earlier spike of the other side counts), with
:math:`r` = ``lr_scale``, the program's learning-rate factor of the sample (0 for test
samples: no plasticity while they are shown).  The gate is in the generated code: the rule
substitutes ``A_plus -> A_plus*lr_scale(t)`` and ``A_minus -> A_minus*lr_scale(t)`` in the
synapse model (:meth:`STDP.gated`).  The traces start at 0 in every sample.

An adaptive threshold of the postsynaptic layer (``delta_theta`` of
:func:`~neuromodels.neurons.thresholds.adaptive_threshold`, declared as layer state so that
it persists across samples) is gated the same way (``delta_theta -> delta_theta*
lr_scale(t)``, ``gate_threshold=True``): its increments stop in test samples; its decay
(time constant ``tau_theta``) goes on.

The rule needs no learning signal (``unsupervised``); weight normalisation is a part of its
own (:mod:`.normalisation`).
"""
from __future__ import annotations

from brian2 import Equations

from ..parameters import ParameterError
from .code import Code

__all__ = ["STDP"]

#: the parameters of a STDP synapse model that the learning-rate factor gates
GATED = ("A_plus", "A_minus")


class STDP:
    """Trace STDP on projection ``projection`` (its synapse model's rule), gated by the
    sample's learning-rate factor; ``gate_threshold``: also gate the increments
    ``delta_theta`` of the postsynaptic layer's adaptive threshold (module docstring)."""

    NAME = "STDP"
    unsupervised = True
    learns_weights = True
    learns_thresholds = False
    signal_timing = None

    def __init__(self, projection: str, gate_threshold: bool = True):
        if not isinstance(projection, str):
            raise ParameterError(f"STDP: parameter 'projection' must be the name of a "
                                 f"projection; got {projection!r}.")
        self.projection = projection
        self.gate_threshold = bool(gate_threshold)

    def _projection(self, network):
        for proj in network.projections:
            if proj.name == self.projection:
                return proj
        return None

    def governs(self, network) -> list[str]:
        proj = self._projection(network)
        return [] if proj is None else [proj.post]

    def problems(self, network) -> list[str]:
        proj = self._projection(network)
        if proj is None:
            return [f"STDP: parameter 'projection' = {self.projection!r} is not a projection of "
                    f"the network ({[p.name for p in network.projections]})."]
        out = []
        if not proj.plastic:
            out.append(f"STDP trains projection '{proj.name}', which is frozen "
                       f"(plastic=False).")
        if proj.synapse is None or not all(name in proj.synapse.parameters for name in GATED):
            out.append(f"STDP: projection '{proj.name}' needs a STDP synapse model with "
                       f"parameters {list(GATED)} (synapse=neuromodels.synapses.stdp."
                       f"pair_stdp(...)).")
        return out

    def gated(self, projection, model):
        """The synapse model of ``projection`` with its STDP amplitudes times lr_scale(t)."""
        if projection.name != self.projection or not projection.plastic or \
                not all(name in model.parameters for name in GATED):
            return model
        return model.substituted(**{name: f"{name}*lr_scale(t)" for name in GATED})

    def prepare(self, layer, model):
        """The postsynaptic layer's model with gated threshold increments."""
        if self.gate_threshold and "delta_theta" in model.parameters:
            return model.substituted(delta_theta="delta_theta*lr_scale(t)")
        return model

    def code(self, network) -> dict:
        proj = self._projection(network)
        traces = list(Equations(proj.synapse.model).diff_eq_names)
        return {proj.name: Code(at_sample_start=[f"{x} = 0" for x in sorted(traces)])}

    def __repr__(self):
        return f"STDP({self.projection!r})"
