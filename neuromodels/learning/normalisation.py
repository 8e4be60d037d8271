r"""Weight normalisation: each postsynaptic neuron's incoming weights scaled to a fixed sum.

:class:`Normalisation` of a projection: at every sample start, before anything of the
sample happens, the weights into each postsynaptic neuron j are scaled so that they sum to
``total``,

.. math:: w_{ij} \leftarrow w_{ij}\, \frac{\mathrm{total}}{\sum_{i'} w_{i'j}},

(Diehl & Cook 2015: total = 78 for 784 inputs, i.e. 0.1 per input), in the generated code:
the column sums are a summed variable of the projection (``wsum_<projection>`` of the
postsynaptic layer), computed on the sample clock only, then one synapse operation scales
``w`` (:mod:`.schedule`: sample clock, 'groups' slot, after the summed variable).  It is
gated like the rules: only before samples with a learning-rate factor > 0 (training
samples; not before test samples), and not for a column whose sum is not positive.

It trains no layer (:meth:`Normalisation.governs` is empty) and needs no learning signal;
give it in the network's ``rules``.
"""
from __future__ import annotations

from brian2 import Equations, Quantity, have_same_dimensions

from ..model import _unit_string
from ..parameters import ParameterSet, format_value, positive
from . import schedule as sch
from .code import Code
from .projections import OnProjection

__all__ = ["Normalisation"]


class Normalisation(OnProjection):
    """Scale the incoming weights of each postsynaptic neuron of ``projection`` to sum to
    ``total`` (the unit of the weights) at every training sample's start."""

    NAME = "Normalisation"
    unsupervised = True
    learns_weights = False
    learns_thresholds = False
    signal_timing = None
    PARAMETERS = ParameterSet(
        positive("total", 78.0, "sum of the incoming weights of each postsynaptic neuron "
                                "(unit of w; Diehl & Cook: 78 for 784 inputs)"),
    )

    def __init__(self, projection: str, **params):
        self.projection = projection
        self.p = self.PARAMETERS.with_units_of(params).resolve(params)

    def governs(self, network) -> list[str]:
        return []                       # it scales weights; no layer's model changes

    def prepare(self, layer, model):
        return model

    def variable(self) -> str:
        return f"wsum_{self.projection}"

    def problems(self, network) -> list[str]:
        proj = self._projection(network)
        if proj is None:
            return self._missing_projection(network)
        dim = proj.weight_unit(network)
        if not have_same_dimensions(self.p["total"], Quantity(1, dim=dim)):
            return [f"Normalisation of '{proj.name}': parameter 'total' must have the unit of "
                    f"its weights ({'1, a number' if dim.is_dimensionless else dim}); got "
                    f"{format_value(self.p['total'])}."]
        return []

    def total_name(self) -> str:
        """The name of ``total`` in the generated code."""
        return f"total_{self.projection}"

    def factor(self, network, side: str = "_post") -> str:
        """The factor by which this sample start scales the weights into a neuron, as Brian2
        code read from the synapses (``side='_post'``) or from the neuron (``''``): 1 before
        test samples and for a column whose sum is not positive."""
        proj = self._projection(network)
        unit = _unit_string(Quantity(1, dim=Equations(proj.synapse_model(network).model)["w"]
                                     .dim))
        s, total = self.variable() + side, self.total_name()
        gate = f"int(lr_scale({sch.sample_time(network, side)}) > 0)*int({s} > 0*{total})"
        factor = f"(1 + {gate}*({total}/(abs({s}) + (1 - {gate})*{total}) - 1))"
        return factor.replace(f"0*{total}", "0") if unit == "1" else factor

    def code(self, network) -> dict:
        proj = self._projection(network)
        unit = _unit_string(Quantity(1, dim=Equations(proj.synapse_model(network).model)["w"]
                                     .dim))
        s, total = self.variable(), self.total_name()
        scale = f"w = w*{self.factor(network)}"
        return {
            proj.post: Code(equations=[f"{s} : {unit}   # sum of the weights of "
                                       f"'{proj.name}' into this neuron"]),
            proj.name: Code(equations=[f"{s}_post = w : {unit} (summed)"],
                            summed_at_sample_ends=[f"{s}_post"],
                            at_sample_end=[(scale, sch.ORDER_UPDATE)],
                            namespace={total: self.p["total"]}),
        }

    def __repr__(self):
        return f"Normalisation({self.projection!r}, total={format_value(self.p['total'])})"
