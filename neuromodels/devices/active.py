"""The device now active in Brian2, asked when a model builds its objects, and the one
clock that every object of a network shares."""
from __future__ import annotations

from .catalogue import DeviceError


def active_device() -> str:
    """Name of the Brian2 device now active: ``'runtime'``, ``'cpp_standalone'``, ``'genn'``
    or ``'cuda_standalone'``."""
    import brian2

    names = {cls.__name__ for cls in type(brian2.get_device()).__mro__}
    if "GeNNDevice" in names:
        return "genn"
    if "CUDAStandaloneDevice" in names:
        return "cuda_standalone"
    if "CPPStandaloneDevice" in names:
        return "cpp_standalone"
    return "runtime"


def require_active_device(supported: tuple[str, ...], what: str) -> None:
    """Raise :class:`DeviceError` when the active device is not in ``supported`` (called when
    a model builds its Brian2 objects, before anything runs)."""
    name = active_device()
    if name not in supported:
        raise DeviceError(
            f"{what} does not support device {name!r}; supported devices: {', '.join(supported)}."
        )


def network_clock(dt=None):
    """One clock for all objects of a network: Brian2's default clock when ``dt`` is None or
    equals its ``dt`` (brian2genn accepts no other clock), otherwise a new ``Clock(dt)``."""
    from brian2 import Clock, defaultclock

    if dt is None or abs(float(dt - defaultclock.dt)) < 1e-15:
        return defaultclock
    return Clock(dt, name="network_clock*")
