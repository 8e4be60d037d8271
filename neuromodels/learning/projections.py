"""Projections: the weights of a learning network.

A :class:`Projection` connects population ``pre`` to layer ``post`` through a
:class:`~neuromodels.model.SynapseModel` with a weight ``w`` (default: a presynaptic spike
adds ``w`` to the postsynaptic membrane variable, ``v_post += w``), wired by ``connect``:

* ``'all'`` (default): every pair, without self-connections when ``pre == post`` (a
  recurrent projection within one layer);
* ``'one_to_one'``: neuron i to neuron i (pre and post of equal size);
* ``'all_but_self'``: every pair but (i, i) (pre and post of equal size; e.g. the lateral
  inhibition inh -> exc of Diehl & Cook 2015).

Its weights are part of the network state as one ``(n_pre, n_post)`` matrix
(``W[i_pre, j_post]``; entries without a synapse stay 0), initially (``init``)
``'signed_uniform'``: ``U(-1, 1) * init_scale / sqrt(n_pre)`` (default), ``'uniform'``:
``U(0, init_scale)``, or ``'constant'``: ``init_scale`` (of either sign) everywhere.
``init_scale`` has the unit of the weights (a number for dimensionless weights, e.g. those
of :func:`~neuromodels.synapses.stdp.pair_stdp`).  Whether and how the weights learn is the
business of a rule (:mod:`.rules`, :mod:`.plasticity`), which may also gate the projection's
synapse model (:meth:`Projection.synapse_model`); ``plastic=False`` freezes them (a fixed
weight: ``plastic=False, init='constant'``).

Feedback weights of learning signals (:class:`.signals.Feedback`) are projections too
(:class:`Route`: the same state and divergence checks, no spikes, own synapse model).
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity, get_dimensions, have_same_dimensions, mV

from ..model import SynapseModel
from ..parameters import Parameter, ParameterError, ParameterSet, format_value
from .code import Code

__all__ = ["Projection", "Route", "CONNECT", "INIT"]

CONNECT = ("all", "one_to_one", "all_but_self")
INIT = ("signed_uniform", "uniform", "constant")

PARAMETERS = ParameterSet(
    Parameter("init_scale", 2 * mV, "scale of the initial weights (the unit of w: volt by "
                                    "default, a number for dimensionless weights); > 0 unless "
                                    "init='constant'"),
    Parameter("connect", "all", "wiring", choices=CONNECT),
    Parameter("init", "signed_uniform", "initial weights: U(-1, 1) init_scale/sqrt(n_pre), "
                                        "U(0, init_scale) or init_scale", choices=INIT),
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
        if self.p["init"] != "constant" and not float(np.asarray(self.p["init_scale"])) > 0:
            raise ParameterError(f"Parameter 'init_scale' of projection '{self.name}' must be "
                                 f"> 0 for init={self.p['init']!r}; got "
                                 f"{format_value(self.p['init_scale'])}.")

    @property
    def recurrent(self):
        return self.pre == self.post

    def synapse_model(self, network) -> SynapseModel:
        """The given synapse model (default: ``v_post += w``), as every rule that acts on it
        changes it (``rule.gated(projection, model)``: a learning-rate factor)."""
        model = self.synapse
        if model is None:
            layer = network.layers[self.post]
            unit = layer.membrane_unit(network.model(self.post))
            model = SynapseModel(name="weight", parameters=ParameterSet(),
                                 model=f"w : {unit}   # weight",
                                 on_pre=f"{layer.membrane}_post += w",
                                 reference="a presynaptic spike adds w to the membrane variable")
        for rule in network.rules:
            if hasattr(rule, "gated"):
                model = rule.gated(self, model)
        return model

    def problems(self, network) -> list[str]:
        """What does not fit (said when the network is built)."""
        n_pre, n_post = network.size(self.pre), network.size(self.post)
        if self.p["connect"] != "all" and n_pre != n_post:
            return [f"Projection '{self.name}': connect={self.p['connect']!r} needs pre and post "
                    f"of equal size; '{self.pre}' has {n_pre} neurons, '{self.post}' {n_post}."]
        return []

    def mask(self, network) -> np.ndarray:
        """Which (pre, post) pairs have a synapse (``connect``; 'all' has no self-connections
        if recurrent)."""
        n_pre, n_post = network.size(self.pre), network.size(self.post)
        if self.p["connect"] == "one_to_one":
            return np.eye(n_pre, n_post, dtype=bool)
        mask = np.ones((n_pre, n_post), dtype=bool)
        if self.recurrent or self.p["connect"] == "all_but_self":
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
        if self.p["init"] == "signed_uniform":
            w = rng.uniform(-1, 1, size=mask.shape) * float(scale) / np.sqrt(n_pre) * mask
        elif self.p["init"] == "uniform":
            w = rng.uniform(0, 1, size=mask.shape) * float(scale) * mask
        else:
            w = np.full(mask.shape, float(scale)) * mask
        return {"w": Quantity(w, dim=get_dimensions(scale))}

    def code(self, network) -> dict[str, Code]:
        return {self.name: Code(state=["w"], checked=["w"])}

    def __repr__(self):
        extra = "" if self.p["connect"] == "all" else f", {self.p['connect']}"
        return (f"Projection({self.pre!r} -> {self.post!r}{extra}"
                f"{', frozen' if not self.plastic else ''})")


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
