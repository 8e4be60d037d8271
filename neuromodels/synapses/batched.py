r"""A plastic synapse model whose weight changes are summed, not applied: the synapse half of
sample temporal batch STDP (STB-STDP; Dong et al. 2023, Neural Networks 165:799).

:func:`batched` derives it from any model of :mod:`neuromodels.synapses` that writes its
weight as ``w = clip(w + Δ, 0, w_max)`` (pair, triplet, APB): every such statement becomes
``dw_batch += Δ``, so the weight stays constant while the changes of many samples and time
steps add up,

.. math:: \Delta w_{batch} = \sum_{b \in batch} \sum_t \Delta w_b(t),

and whoever schedules the batch ends applies them once, ``w = clip(w + dw_batch, 0,
w_max)``, then clears ``dw_batch`` (:data:`APPLY`; :class:`~neuromodels.learning.plasticity.
STDP` with ``batch=``).  BrainCog (``examples/Perception_and_Learning/UnsupervisedSTDP/
codef.py:466-474``) sums ``spikes.sum().backward()`` over a batch of 1024 samples and all T
steps, one SGD step, then clamps to [0, 1] (``codef.py:224``): the same order of sum, update,
clip.
"""
from __future__ import annotations

import re

from brian2 import Equations, Quantity

from ..model import SynapseModel, _unit_string
from ..parameters import ParameterError

__all__ = ["batched", "APPLY"]

#: ``w = clip(w + Δ, 0, w_max)`` or ``w = clip(w - Δ, 0, w_max)`` on one line.
_UPDATE = re.compile(r"^(\s*)w = clip\(w ([+-]) (.+), 0, w_max\)\s*$")
#: What the batch end does (Brian2 code on the synapses).
APPLY = "w = clip(w + dw_batch, 0, w_max)\ndw_batch = 0"


def _summed(code: str | None, found: list) -> str | None:
    if code is None:
        return None
    lines = []
    for line in code.split("\n"):
        match = _UPDATE.match(line)
        if match:
            indent, sign, change = match.groups()
            line = f"{indent}dw_batch += {'' if sign == '+' else '-'}({change})"
            found.append(line)
        lines.append(line)
    return "\n".join(lines)


def batched(model: SynapseModel) -> SynapseModel:
    """``model`` with its weight changes summed into ``dw_batch`` (module docstring)."""
    found: list = []
    on_pre, on_post = _summed(model.on_pre, found), _summed(model.on_post, found)
    if not found:
        raise ParameterError(f"batched(): synapse model '{model.name}' has no weight update "
                             f"'w = clip(w + ..., 0, w_max)' to sum over a batch.")
    unit = _unit_string(Quantity(1, dim=Equations(model.model)["w"].dim))
    return model.extended(f"dw_batch : {unit}   # weight change summed over the batch",
                          name=f"{model.name}_batched", on_pre=on_pre, on_post=on_post,
                          reference=f"{model.reference}; changes summed over a batch "
                                    f"(STB-STDP, Dong et al. 2023)")
