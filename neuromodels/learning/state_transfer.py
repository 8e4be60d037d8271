"""A network :class:`~.network.State` into a program's Brian2 variables and back.

A state holds per-neuron values as arrays of the population's size and projection values
as full (n_pre, n_post) matrices; Brian2 holds a projection's values per synapse, in the
order of ``Synapses.connect(i, j)`` with ``(i, j) = nonzero(mask)``, so a matrix ``W``
becomes ``W[mask]`` and back.  Owners that the program does not build (an evaluation
program has no feedback routes) are skipped and keep their values.
"""
from __future__ import annotations

import numpy as np
from brian2 import Quantity

__all__ = ["state_items", "write_state", "read_state"]


def _owner(groups, synapses, name):
    return groups[name] if name in groups else synapses.get(name)


def _projection(network, name):
    return next(p for p in network.projections + network.routes if p.name == name)


def state_items(network, groups, synapses, state) -> list:
    """(VariableView, values) of every state variable of ``groups`` and ``synapses``
    ({owner name: Brian2 object}), the values in Brian2's layout."""
    items = []
    for (owner, var), value in state.items():
        obj = _owner(groups, synapses, owner)
        if obj is None:
            continue
        if owner in synapses:
            value = value[_projection(network, owner).mask(network)]
        items.append((getattr(obj, var), value))
    return items


def write_state(network, groups, synapses, state) -> None:
    """Set the Brian2 variables from ``state``."""
    for view, value in state_items(network, groups, synapses, state):
        view[:] = value


def read_state(network, groups, synapses, state):
    """A copy of ``state`` with the current values of the Brian2 variables."""
    new = state.copy()
    for owner, var in state:
        obj = _owner(groups, synapses, owner)
        if obj is None:
            continue
        values = getattr(obj, var)[:]
        if owner in synapses:
            mask = _projection(network, owner).mask(network)
            full = np.zeros(mask.shape)
            full[mask] = np.asarray(values)
            values = Quantity(full, dim=state[owner, var].dim) \
                if isinstance(state[owner, var], Quantity) else full
        new[owner, var] = values.copy() if hasattr(values, "copy") else values
    return new
