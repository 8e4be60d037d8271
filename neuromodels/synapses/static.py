"""Static (non-plastic) synapses.

A presynaptic spike makes a postsynaptic variable jump by the weight ``w``
(after the synaptic delay): :math:`x_{post} \\leftarrow x_{post} + w`.  With
``x = g_e`` of a current-based neuron this is a voltage jump of the synaptic
current; with a conductance it is a conductance jump.  The weight's unit is
that of the target variable.
"""
from __future__ import annotations

from ..devices import KNOWN_DEVICES
from ..model import SynapseModel
from ..parameters import ParameterSet, nonnegative

__all__ = ["jump"]


def jump(variable: str, w, name: str | None = None, description: str = "") -> SynapseModel:
    """A synapse that adds ``w`` (>= 0, unit of ``variable``) to ``variable`` of its target."""
    return SynapseModel(
        name=name or f"jump_{variable}",
        on_pre=f"{variable}_post += w",
        parameters=ParameterSet(nonnegative("w", w,
                                            description or f"jump of {variable} per spike")),
        devices=KNOWN_DEVICES,  # Brian2CUDA too (the GPU benchmark's networks)
    )
