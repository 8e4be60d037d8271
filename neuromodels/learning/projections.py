"""Projections: the weights of a learning network.

A :class:`Projection` connects population ``pre`` to layer ``post`` through a
:class:`~neuromodels.model.SynapseModel` with a weight ``w`` (default: a presynaptic spike
adds ``w`` to the postsynaptic membrane variable, ``v_post += w``), wired by ``connect``:

* ``'all'`` (default): every pair, without self-connections when ``pre == post`` (a
  recurrent projection within one layer);
* ``'one_to_one'``: neuron i to neuron i (pre and post of equal size);
* ``'all_but_self'``: every pair but (i, i) (pre and post of equal size; e.g. the lateral
  inhibition inh -> exc of Diehl & Cook 2015);
* ``'local'``: locally connected (BioLCNet, Ghaemi et al.; BindsNET's ``LocalConnection``):
  the pre population is an image of ``grid`` = (H, W) pixels, pixel (y, x) is neuron
  ``y*W + x`` (row-major, as flattened images); a ``kernel`` = (kh, kw) window moves over it
  in steps of ``stride`` = (sh, sw), giving (H - kh)//sh + 1 by (W - kw)//sw + 1 positions;
  the post layer holds C channels of one neuron per position (C = n_post / positions),
  post neuron ``c*P + oy*OW + ox`` (P positions, OW per row) sees the pixels
  (oy*sh + dy, ox*sw + dx), 0 <= dy < kh, 0 <= dx < kw, with weights of its own (no
  sharing).  One number for ``kernel``, ``stride`` or ``grid`` means a square.

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

__all__ = ["Projection", "Route", "OnProjection", "CONNECT", "INIT", "local_mask"]

CONNECT = ("all", "one_to_one", "all_but_self", "local")
#: the parameters of connect='local' (one number: a square; two: (rows, columns))
LOCAL = ("kernel", "stride", "grid")
INIT = ("signed_uniform", "uniform", "constant")

PARAMETERS = ParameterSet(
    Parameter("init_scale", 2 * mV, "scale of the initial weights (the unit of w: volt by "
                                    "default, a number for dimensionless weights); > 0 unless "
                                    "init='constant'"),
    Parameter("connect", "all", "wiring", choices=CONNECT),
    Parameter("init", "signed_uniform", "initial weights: U(-1, 1) init_scale/sqrt(n_pre), "
                                        "U(0, init_scale) or init_scale", choices=INIT),
    Parameter("kernel", 0, "connect='local': receptive field in pixels (k or (kh, kw))", low=0,
              integer=True),
    Parameter("stride", 1, "connect='local': step between receptive fields (s or (sh, sw))",
              low=1, integer=True),
    Parameter("grid", 0, "connect='local': the pre population as an image (n or (H, W); 0: "
                         "a square of n_pre pixels)", low=0, integer=True),
)


def _pair(value) -> tuple[int, int]:
    """(rows, columns) of one number (a square) or two."""
    values = np.ravel(np.asarray(value, dtype=int))
    if values.size == 1:
        return int(values[0]), int(values[0])
    return int(values[0]), int(values[1])


def local_mask(grid, kernel, stride, n_post) -> np.ndarray:
    """The (n_pre, n_post) connections of ``connect='local'`` (module docstring) for an image
    ``grid`` = (H, W), ``kernel`` (kh, kw), ``stride`` (sh, sw) and ``n_post`` = C x positions
    neurons."""
    (H, W), (kh, kw), (sh, sw) = grid, kernel, stride
    rows, cols = (H - kh) // sh + 1, (W - kw) // sw + 1
    oy, ox, dy, dx = np.meshgrid(np.arange(rows), np.arange(cols), np.arange(kh), np.arange(kw),
                                 indexing="ij")
    pixels = ((oy * sh + dy) * W + ox * sw + dx).reshape(rows * cols, kh * kw)
    channels = n_post // (rows * cols)
    pre = np.tile(pixels, (channels, 1))                      # (C*P, kh*kw)
    post = np.repeat(np.arange(channels * rows * cols), kh * kw).reshape(pre.shape)
    mask = np.zeros((H * W, n_post), dtype=bool)
    mask[pre.ravel(), post.ravel()] = True
    return mask


class OnProjection:
    """A rule that acts on one projection of the network, named ``self.projection``: the
    name's check at construction, the projection, the layer it feeds (which the rule
    governs) and the problem of a name the network lacks; the rule's ``NAME`` starts each
    message."""

    def _set_projection(self, projection):
        if not isinstance(projection, str):
            raise ParameterError(f"{self.NAME}: parameter 'projection' must be the name of a "
                                 f"projection; got {projection!r}.")
        self.projection = projection

    def _projection(self, network):
        return network.projection(self.projection)

    def governs(self, network) -> list[str]:
        proj = self._projection(network)
        return [] if proj is None else [proj.post]

    def _missing_projection(self, network) -> list[str]:
        """The problem of a name that is not a projection of ``network`` ([] if it is)."""
        if self._projection(network) is not None:
            return []
        return [f"{self.NAME}: parameter 'projection' = {self.projection!r} is not a "
                f"projection of the network ({[p.name for p in network.projections]})."]


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
        params = {k: np.asarray(v) if k in LOCAL and isinstance(v, (tuple, list)) else v
                  for k, v in params.items()}
        # the unit of init_scale is that of the weights (checked in initial_state)
        self.p = PARAMETERS.with_units_of(params).resolve(params)
        for name in LOCAL:
            if np.size(self.p[name]) not in (1, 2):
                raise ParameterError(f"Parameter '{name}' of projection '{self.name}' must be "
                                     f"one number or two (rows, columns); got {params[name]!r}.")
        given = [name for name in LOCAL if name in params]
        if given and self.p["connect"] != "local":
            raise ParameterError(f"Projection '{self.name}': parameters {given} apply to "
                                 f"connect='local' only; connect is {self.p['connect']!r}.")
        if self.p["connect"] == "local" and not np.all(np.asarray(self.p["kernel"]) >= 1):
            raise ParameterError(f"Parameter 'kernel' of projection '{self.name}' must be >= 1 "
                                 f"pixel for connect='local'; got {self.p['kernel']!r}.")
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

    def local_shape(self, network):
        """(grid, kernel, stride) of ``connect='local'``, each (rows, columns)."""
        grid = self.p["grid"]
        if np.size(grid) == 1 and int(np.ravel(grid)[0]) == 0:
            side = int(round(np.sqrt(network.size(self.pre))))
            grid = (side, side)
        return _pair(grid), _pair(self.p["kernel"]), _pair(self.p["stride"])

    def _local_problems(self, network) -> list[str]:
        n_pre, n_post = network.size(self.pre), network.size(self.post)
        (H, W), (kh, kw), (sh, sw) = self.local_shape(network)
        where = f"Projection '{self.name}' (connect='local')"
        if H * W != n_pre:
            return [f"{where}: parameter 'grid' = {(H, W)} must hold the {n_pre} neurons of "
                    f"'{self.pre}' (H*W = {n_pre})."]
        if H <= 0 or W <= 0 or kh > H or kw > W:
            return [f"{where}: parameter 'kernel' = {(kh, kw)} must fit in the grid {(H, W)}."]
        positions = ((H - kh) // sh + 1) * ((W - kw) // sw + 1)
        if n_post % positions:
            return [f"{where}: layer '{self.post}' has {n_post} neurons, not a multiple of the "
                    f"{positions} kernel positions (channels x positions)."]
        return []

    def problems(self, network) -> list[str]:
        """What does not fit (said when the network is built)."""
        n_pre, n_post = network.size(self.pre), network.size(self.post)
        if self.p["connect"] == "local":
            return self._local_problems(network)
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
        if self.p["connect"] == "local":
            return local_mask(*self.local_shape(network), n_post)
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
