"""Projections: the weights of a learning network.

A :class:`Projection` connects population ``pre`` to layer ``post`` all-to-all (without
self-connections when ``pre == post``: a recurrent projection within one layer) through a
:class:`~neuromodels.model.SynapseModel` with a weight ``w`` (default: a presynaptic spike
adds ``w`` to the postsynaptic membrane variable, ``v_post += w``).  Its weights are part
of the network state as one ``(n_pre, n_post)`` matrix (``W[i_pre, j_post]``; entries
without a synapse stay 0), initially ``U(-1, 1) * init_scale / sqrt(n_pre)``.  Whether and
how the weights learn is the business of a rule (:mod:`.rules`); ``plastic=False``
freezes them.

Feedback weights of learning signals (:class:`.signals.Feedback`) are projections too
(:class:`Route`: the same state and divergence checks, no spikes, own synapse model).
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity, get_dimensions, have_same_dimensions, mV

from ..model import SynapseModel
from ..parameters import ParameterError, ParameterSet, format_value, positive
from .code import Code

__all__ = ["Projection", "Route"]

PARAMETERS = ParameterSet(
    positive("init_scale", 2 * mV, "initial weights ~ U(-1, 1) init_scale/sqrt(n_pre) (the "
                                   "unit of w: volt by default, a number for a readout's)"),
)


class Projection:
    """Weights from population ``pre`` to layer ``post`` (module docstring).

    ``synapse``: a SynapseModel defining ``w`` (default: ``w : <membrane unit>``,
    ``on_pre = '<membrane>_post += w'``); ``init_scale`` has the unit of ``w``.
    """

    def __init__(self, pre: str, post: str, *, synapse: SynapseModel | None = None,
                 plastic: bool = True, name: str | None = None, **params):
        self.pre, self.post = pre, post
        self.name = name or f"{pre}_to_{post}"
        if not self.name.isidentifier():
            raise ParameterError(f"Projection name must be an identifier; got {self.name!r}.")
        self.synapse = synapse
        self.plastic = bool(plastic)
        # the unit of init_scale is that of the weights (checked in initial_state)
        self.p = PARAMETERS.with_units_of(params).resolve(params)

    @property
    def recurrent(self):
        return self.pre == self.post

    def synapse_model(self, network) -> SynapseModel:
        if self.synapse is not None:
            return self.synapse
        layer = network.layers[self.post]
        unit = layer.membrane_unit(network.model(self.post))
        return SynapseModel(name="weight", parameters=ParameterSet(),
                            model=f"w : {unit}   # weight", on_pre=f"{layer.membrane}_post += w",
                            reference="a presynaptic spike adds w to the membrane variable")

    def mask(self, network) -> np.ndarray:
        """Which (pre, post) pairs have a synapse: all, but no self-connections if recurrent."""
        n_pre, n_post = network.size(self.pre), network.size(self.post)
        mask = np.ones((n_pre, n_post), dtype=bool)
        if self.recurrent:
            np.fill_diagonal(mask, False)
        return mask

    def weight_unit(self, network):
        from brian2 import Equations

        return Equations(self.synapse_model(network).model)["w"].dim

    def initial_state(self, network, rng) -> dict:
        n_pre = network.size(self.pre)
        scale = self.p["init_scale"]
        dim = self.weight_unit(network)
        if not have_same_dimensions(scale, Quantity(1, dim=dim)):
            raise ParameterError(f"Parameter 'init_scale' of projection '{self.name}' must have "
                                 f"the unit of its weights ({Quantity(1, dim=dim).dim}); got "
                                 f"{format_value(scale)}.")
        mask = self.mask(network)
        w = rng.uniform(-1, 1, size=mask.shape) * float(scale) / np.sqrt(n_pre) * mask
        return {"w": Quantity(w, dim=get_dimensions(scale))}

    def code(self, network) -> dict[str, Code]:
        return {self.name: Code(state=["w"], checked=["w"])}

    def __repr__(self):
        return f"Projection({self.pre!r} -> {self.post!r}{', frozen' if not self.plastic else ''})"


class Route:
    """Synapses that carry a learning signal from layer ``pre`` to layer ``post`` (built by a
    signal, e.g. random feedback weights ``B``); no spikes travel on them."""

    plastic = False
    recurrent = False

    def __init__(self, name, pre, post, synapse: SynapseModel, initial, state=("B",)):
        self.name, self.pre, self.post, self.synapse = name, pre, post, synapse
        self._initial = initial
        self.state = list(state)

    def synapse_model(self, network):
        return self.synapse

    def mask(self, network):
        return np.ones((network.size(self.pre), network.size(self.post)), dtype=bool)

    def initial_state(self, network, rng) -> dict:
        return self._initial(network, rng)

    def code(self, network) -> dict[str, Code]:
        return {self.name: Code(state=self.state, checked=self.state)}
