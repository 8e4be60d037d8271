"""Re-running a network on Brian2's runtime device without making its code again.

On the runtime device every ``run()`` makes each object's code objects anew (code
generation and the analysis behind it: in a short learning run, about half its time).  A
network re-run with new values only (state variables, ``TimedArray`` values, the random
seed) can keep them:

* :func:`keep_start` stores the network's state before its first run (Brian2's
  ``Network.store``: every variable, the monitors' records, the spike queues, the clocks);
* :func:`keep_code_objects`, after that run, makes each object's code-object creation a
  refresh of what its code objects took from their variables at creation (Brian2's
  ``variables_to_namespace``: array references and sizes, which a resized dynamic array
  changes, and the value of each scalar ``(constant)`` variable; Brian2 2.5-2.9's numpy
  and Cython code read such a variable from its array, so a new learning rate or
  ``rng_seed`` is seen either way);
* :func:`restart` brings the network back to the stored state (``Network.restore``) before
  the re-run, which then assigns its new values.

A re-run is a fresh build's run exactly: the same spikes and state for the same values
and seed (tests/test_runtime_rerun.py).  What a re-run cannot change is what a code object
holds as code: the network's structure, its equations and namespace constants.
"""
from __future__ import annotations

#: The name of the stored start (``Network.store``).
START = "nm_start"


def _code_runners(net):
    """The network's objects that make code objects (Brian2's ``CodeRunner``)."""
    from brian2.groups.group import CodeRunner

    return [obj for obj in net.sorted_objects if isinstance(obj, CodeRunner)]


def keep_start(net) -> None:
    """Store ``net``'s state before its first run, for :func:`restart`."""
    net.store(START)


def keep_code_objects(net) -> None:
    """After ``net``'s first run: its later runs keep the code objects of that run,
    refreshing only the values those read at creation."""
    for obj in _code_runners(net):
        kept = list(obj.code_objects)

        def refresh(run_namespace, obj=obj, kept=kept):
            for codeobj in kept:
                codeobj.variables_to_namespace()
            obj.code_objects[:] = kept

        obj.create_code_objects = refresh


def restart(net) -> None:
    """Bring ``net`` back to the state :func:`keep_start` stored (time 0, empty monitors
    and spike queues) before a re-run."""
    net.restore(START)
