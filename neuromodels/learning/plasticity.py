r"""Unsupervised plasticity: trace STDP on a projection, without a learning signal.

:class:`STDP` is a rule (:mod:`.rules`) that trains one projection by the spike-timing
rule of its own synapse model: the projection's ``synapse`` is a
:class:`~neuromodels.model.SynapseModel` of :mod:`neuromodels.synapses` (one home for
the STDP math): pair STDP (:func:`~neuromodels.synapses.stdp.pair_stdp`), triplet STDP
(:func:`~neuromodels.synapses.triplet.triplet_stdp`) or APB
(:func:`~neuromodels.synapses.apb.apb_stdp`).  Diehl & Cook (2015)'s rule is the nearest-spike
triplet rule without pair potentiation and triplet depression (pre: :math:`w \leftarrow w -
\nu_{pre} x_{post}`, post: :math:`w \leftarrow w + \nu_{post} x_{pre} x_{post2}`, with
:math:`x_{post2}` read before its own update; clipped to :math:`[0, w_{max}]`).  For one
presented sample with presynaptic spikes :math:`t_m` and postsynaptic spikes :math:`t_k`,
without clipping, pair STDP with all-to-all traces gives

.. math::
    \Delta w = r\,w_{max}\Big(A_+ \sum_k \sum_{t_m \le t_k} e^{-(t_k - t_m)/\tau_+}
    - A_- \sum_m \sum_{t_k < t_m} e^{-(t_m - t_k)/\tau_-}\Big)

(nearest-spike traces: only the latest earlier spike of the other side counts; the triplet
rule multiplies each potentiation by :math:`A_3^+ o_2`, the slow post trace of the earlier
post spikes), with :math:`r` = ``lr_scale``, the program's learning-rate factor of the sample
(0 for test samples: no plasticity while they are shown).  The gate is in the generated
code: the rule substitutes every amplitude ``A -> A*lr_scale(t)`` (:data:`AMPLITUDES` that
the synapse model has) in the synapse model (:meth:`STDP.gated`).  The traces start at 0
in every sample.

An adaptive threshold of the postsynaptic layer (``delta_theta``, ``tau_theta`` of
:func:`~neuromodels.neurons.thresholds.adaptive_threshold`, declared as layer state so that
it persists across samples) is frozen the same way (``gate_threshold=True``): its increments
are gated (``delta_theta -> delta_theta*lr_scale(t)``) and its decay stops in samples with
``lr_scale`` 0 (``tau_theta -> tau_theta/theta_adapting``, ``theta_adapting =
int(lr_scale(t) > 0)``, constant over a step), as Diehl & Cook's test mode, where theta is
a constant.  ``repeat=True`` (a network that shows samples again, :class:`~.schedule.Repeat`):
the factor is read at the shown sample's time ``t_shown`` instead of ``t``.

``batch=B`` (sample temporal batch STDP, STB-STDP; Dong et al. 2023): the synapse model's
weight changes are summed over B samples (slots) and all their steps instead of applied
(:func:`~neuromodels.synapses.batched.batched`; weights constant within a batch) and applied
once at every batch end, ``w = clip(w + dw_batch, 0, w_max)``, every B*T steps (slot
'start', before a :class:`~.normalisation.Normalisation` sums the weights in the same step:
BrainCog's update, then ``normweight``); the samples of a run after its last whole batch
change nothing (give runs a multiple of B samples).

The rule needs no learning signal (``unsupervised``); weight normalisation is a part of its
own (:mod:`.normalisation`).
"""
from __future__ import annotations

from brian2 import Equations

from ..parameters import ParameterError
from ..synapses.batched import APPLY, batched
from .code import Code
from .projections import OnProjection
from .schedule import ORDER_CLEAR_DYNAMICS

__all__ = ["STDP"]

#: the amplitudes of a STDP synapse model that the learning-rate factor gates (pair, triplet)
AMPLITUDES = ("A_plus", "A_minus", "A2_plus", "A3_plus", "A2_minus", "A3_minus")
#: whether the adaptive threshold adapts in this step: 0 in samples without learning; one
#: value for the layer (shared: the decay factor exp(-dt*theta_adapting/tau_theta) is then
#: computed once per step, not once per neuron), per neuron where the time read is
#: (``t_shown`` of a network that shows samples again)
ADAPTING = ("theta_adapting = int(lr_scale({at}) > 0) : 1 (constant over dt{shared})   # 0: the "
            "adaptive threshold is frozen")


def amplitudes(model) -> list[str]:
    """The STDP amplitudes of synapse model ``model`` (:data:`AMPLITUDES` it has)."""
    return [name for name in AMPLITUDES if name in model.parameters]


class STDP(OnProjection):
    """Trace STDP on projection ``projection`` (its synapse model's rule), gated by the
    sample's learning-rate factor; ``gate_threshold``: also gate the increments
    ``delta_theta`` of the postsynaptic layer's adaptive threshold and freeze its decay in
    samples without learning (module docstring)."""

    NAME = "STDP"
    unsupervised = True
    learns_weights = True
    learns_thresholds = False
    signal_timing = None

    def __init__(self, projection: str, gate_threshold: bool = True, repeat: bool = False,
                 batch: int = 1):
        self._set_projection(projection)
        if isinstance(batch, bool) or int(batch) != batch or batch < 1:
            raise ParameterError(f"STDP: parameter 'batch' (samples per weight update) must be "
                                 f"a whole number >= 1; got {batch!r}.")
        self.batch = int(batch)
        self.gate_threshold = bool(gate_threshold)
        self.repeat = bool(repeat)
        #: where lr_scale is read: the shown sample's time in a network that shows samples
        #: again (schedule.Repeat; synapses read their postsynaptic layer's t_shown)
        self._at, self._at_syn = ("t_shown", "t_shown_post") if self.repeat else ("t", "t")

    def problems(self, network) -> list[str]:
        proj = self._projection(network)
        if proj is None:
            return self._missing_projection(network)
        out = []
        if self.repeat != (getattr(network.input, "repeat", None) is not None):
            out.append(f"STDP('{self.projection}'): parameter 'repeat' must be True exactly "
                       f"when the input shows samples again (InputLayer(repeat=...)).")
        if not proj.plastic:
            out.append(f"STDP trains projection '{proj.name}', which is frozen "
                       f"(plastic=False).")
        if proj.synapse is None or not amplitudes(proj.synapse):
            out.append(f"STDP: projection '{proj.name}' needs a STDP synapse model with "
                       f"amplitudes among {list(AMPLITUDES)} (synapse=neuromodels.synapses."
                       f"stdp.pair_stdp(...) or triplet.triplet_stdp(...)).")
        return out

    def gated(self, projection, model):
        """The synapse model of ``projection`` with its STDP amplitudes times lr_scale(t)."""
        names = amplitudes(model)
        if projection.name != self.projection or not projection.plastic or not names:
            return model
        gated = model.substituted(**{name: f"{name}*lr_scale({self._at_syn})" for name in names})
        return batched(gated) if self.batch > 1 else gated

    def prepare(self, layer, model):
        """The postsynaptic layer's model with gated threshold increments and a decay that
        stops in samples without learning."""
        if not self.gate_threshold or "delta_theta" not in model.parameters:
            return model
        gated = f"delta_theta*lr_scale({self._at})"
        if "tau_theta" not in model.parameters:
            return model.substituted(delta_theta=gated)
        return model.substituted(delta_theta=gated, tau_theta="tau_theta/theta_adapting").extended(
            ADAPTING.format(at=self._at, shared="" if self.repeat else ", shared"),
            name=model.name, reference=model.reference)

    def code(self, network) -> dict:
        proj = self._projection(network)
        traces = list(Equations(proj.synapse.model).diff_eq_names)
        code = Code(at_sample_start=[f"{x} = 0" for x in sorted(traces)])
        if self.batch > 1:    # STB-STDP: the summed changes applied at every batch end
            code.periodic.append((APPLY, self.batch * network.T, "start", ORDER_CLEAR_DYNAMICS))
        return {proj.name: code}

    def __repr__(self):
        return f"STDP({self.projection!r}{f', batch={self.batch}' if self.batch > 1 else ''})"
