"""The code of every part of a learning network, merged into one :class:`~.code.Code` per
owner (population or projection).

A training program takes every part (:meth:`~.network.LearningNetwork.parts`: input,
layers, projections, feedback routes, signals, rules, readout); an evaluation program only
the forward pass (input, layers, projections).  Each layer that receives learning signals
gets ``L = sum of its sources`` (one variable per source, :mod:`.signals`).
"""
from __future__ import annotations

from collections import defaultdict

from brian2 import get_dimensions

from .code import merge
from .layers import Layer

__all__ = ["owner_codes"]


def _unit_of(value) -> str:
    """The unit of ``value`` in base units, as Brian2 equations accept it (``volt**2`` has no
    name of its own)."""
    dim = get_dimensions(value)
    return "1" if dim.is_dimensionless else dim._str_representation(python_code=True)


def owner_codes(network, *, plastic: bool, on_genn: bool) -> dict:
    """{owner name: merged Code} of the parts of ``network`` in a training (``plastic``) or
    an evaluation program; ``on_genn``: the input reads its stimulus at sample starts."""
    net = network
    shares = defaultdict(list)
    parts = net.parts() if plastic else [net.input, *net.layers.values(), *net.projections]
    for part in parts:
        if isinstance(part, Layer):
            code = part.code(net, learning=plastic)
        elif part is net.input:
            code = part.code(net, read_at_start=on_genn, sample_clock=plastic)
        else:
            code = part.code(net)
        for owner, share in code.items():
            shares[owner] += share if isinstance(share, list) else [share]
    codes = {owner: merge(owner, share) for owner, share in shares.items()}
    for code in codes.values():      # run-time values: shared variables, set before each run
        code.equations += [f"{name} : {_unit_of(value)} (shared, constant)   # run-time value"
                           for name, value in code.values.items()]
    if plastic:
        for name in net.layers:
            sources = [sig.variable for sig in net.signals_into(name)]
            if sources:
                codes[name].equations.append(f"L = {' + '.join(sources)} : 1   # learning "
                                             f"signal (sum of its sources)")
    return codes
