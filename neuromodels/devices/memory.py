"""How much memory a run needs (estimated from its declared sizes) and whether it fits
here: a run that cannot fit is refused before anything is built."""
from __future__ import annotations

import contextlib
import os

from .catalogue import DeviceError


#: Bytes per neuron, per synapse and per recorded value, and the fixed cost of a run (Python,
#: Brian2, the compiled program): measured peaks of the Brette CUBA network through
#: neuromodels (4k-64k neurons, 80 synapses each, 1 s), rounded up.
MEMORY_PER_NEURON = 512
MEMORY_PER_SYNAPSE = 32
MEMORY_PER_RECORDED = 16
MEMORY_BASE = 200 * 2 ** 20


def estimate_memory(neurons: float = 0, synapses: float = 0, recorded: float = 0) -> float:
    """Peak memory (bytes) of a run with this many neurons, synapses and recorded values
    (spikes, monitor samples, stimulus values), any device.

    At 64,000 neurons, 5.1 million synapses and 0.37 million spikes the measured peak was
    159 MB (cpp_standalone) and 274 MB (runtime); this gives 393 MB (MiB, as ru_maxrss).
    """
    return (MEMORY_BASE + MEMORY_PER_NEURON * float(neurons) + MEMORY_PER_SYNAPSE * float(synapses)
            + MEMORY_PER_RECORDED * float(recorded))


def available_memory() -> float | None:
    """Bytes of memory available to a new process here (MemAvailable), or None if unknown."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    return None


def _gib(nbytes: float) -> str:
    gib = nbytes / 2 ** 30
    return f"{gib:.2e} GiB" if gib >= 1e5 else f"{gib:.0f} GiB" if gib >= 100 else f"{gib:.3g} GiB"


def require_memory(sizes: dict, what: str = "this network") -> float:
    """Raise :class:`DeviceError` if a run of ``sizes`` (the keyword arguments of
    :func:`estimate_memory`) cannot fit in the memory available here; return the estimate."""
    needed = estimate_memory(**sizes)
    available = available_memory()
    if available is not None and needed > available:
        declared = ", ".join(f"{float(v):.3g} {'recorded values' if k == 'recorded' else k}"
                             for k, v in sizes.items() if v)
        raise DeviceError(
            f"{what} needs about {_gib(needed)} of memory ({declared}), but this machine has "
            f"{_gib(available)} available; choose smaller sizes.")
    return needed
