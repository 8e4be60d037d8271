"""Re-running a compiled program with new values instead of building it again.

A network whose runs differ only in values it starts from is built once; each later run
re-runs the compiled C++ standalone program with the new values (Brian2's ``run_args``,
brian2 >= 2.6), about 30x cheaper than a rebuild.  What ``run_args`` can change: every
state variable that is not read-only (neuron and synapse variables, ``(constant)`` ones
included) and the values of a ``TimedArray``.  What it cannot: the network's structure
(sizes, connections, delays), namespace constants (they are literals in the generated
code), ``dt``, the run's duration and Brian2's random seed (a program built with a
``seed_variable`` takes a new seed as a value, see :meth:`DeviceSession.run`).

:class:`CompiledProgram` is the one rule for when a run is a re-run, used by a study's kept
program (:class:`neuromodels.study.ProgramCache`) and by a learning program
(:meth:`neuromodels.learning.program.Program.run`) alike; the re-run itself is
:meth:`DeviceSession.rerun`.  On the runtime device a program that keeps its Brian2 objects
(``CompiledProgram(runtime=True)``, a learning program) re-runs them with their code objects
kept (:mod:`.runtime_rerun`): no code is made again.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from . import requirements, runtime_rerun
from .active import active_device


def can_rerun(name: str) -> bool:
    """Whether a compiled program of device ``name`` can be re-run with new values here:
    cpp_standalone on brian2 >= 2.6 (``run_args``); elsewhere a run builds again."""
    return name == "cpp_standalone" and requirements._brian2_version() >= (2, 6)


def _device_program() -> tuple:
    """Which program the active device holds: the device and its project directory."""
    import brian2

    device = brian2.get_device()
    return id(device), getattr(device, "project_dir", None)


def assign(target, value) -> None:
    """Set a state variable (``group.v``) or a ``TimedArray``'s values to ``value`` (before
    a build: on a standalone device the program then starts from it)."""
    from brian2 import TimedArray

    if isinstance(target, TimedArray):
        target.values[:] = value
    else:
        target[:] = value


class CompiledProgram:
    """One network's Brian2 objects (``objects``, kept by the caller) and the program built
    from them: :meth:`run` builds it the first time and re-runs it afterwards, as long as the
    session's device still holds it (:meth:`holds`); elsewhere every run builds again.

    ``runtime``: the caller runs the same ``Network`` object every time, so that on the
    runtime device a re-run restarts it with its code objects kept (:mod:`.runtime_rerun`;
    no session needed); otherwise every runtime run is a build.
    ``builds`` and ``reruns`` count the runs of each kind.
    """

    def __init__(self, runtime: bool = False):
        self.objects: Any = None
        self.builds = 0
        self.reruns = 0
        self.runtime = bool(runtime)
        self._built_on: tuple | None = None
        self._runtime_net = None

    def _holds_runtime(self) -> bool:
        return self._runtime_net is not None and active_device() == "runtime"

    def holds(self, session) -> bool:
        """Whether the next :meth:`run` on ``session`` re-runs the program: it was built and
        run by this object, and ``session``'s device (cpp_standalone, brian2 >= 2.6) has not
        been reset or moved to another build since; or (``runtime``) the runtime device is
        still active."""
        if self._runtime_net is not None:
            return self._holds_runtime()
        if session is None or self._built_on is None or not session.can_rerun:
            return False
        import brian2

        device = brian2.get_device()  # (after the session: the runtime device, never run)
        return bool(getattr(device, "has_been_run", False)) and _device_program() == self._built_on

    def run(self, session, net, duration, values: Mapping | Iterable[tuple] = (), *,
            seed=None, seed_variable=None, **run_kwargs) -> bool:
        """Run ``net`` for ``duration`` on ``session`` starting from ``values`` (state
        variables or ``TimedArray`` s with their values, as a mapping or as pairs); return
        whether it was a re-run.  A build assigns the values first (:func:`assign`) and runs
        through :meth:`DeviceSession.run` (``seed``, ``seed_variable`` and ``run_kwargs``
        passed on); a re-run hands them to :meth:`DeviceSession.rerun` (with ``seed``)."""
        import brian2

        pairs = list(values.items() if isinstance(values, Mapping) else values)
        if self._holds_runtime() and net is self._runtime_net:
            runtime_rerun.restart(net)
            for target, value in pairs:
                assign(target, value)
            _run(session, net, duration, seed, seed_variable, run_kwargs, rerun=True)
            self.reruns += 1
            return True
        if self._runtime_net is None and self.holds(session):   # (another network: a build)
            # the binary takes only the TimedArrays its code reads (one the build never
            # generated, e.g. labels a plastic program without a supervised error leaves
            # unread, is refused: 'Cannot set unknown variable')
            built = getattr(brian2.get_device(), "timed_arrays", {})
            pairs = [(target, value) for target, value in pairs
                     if not isinstance(target, brian2.TimedArray) or target in built]
            # (a VariableView is a dict key only on brian2 >= 2.6, which a re-run needs)
            session.rerun(dict(pairs), seed=seed)
            self.reruns += 1
            return True
        for target, value in pairs:
            assign(target, value)
        keep = self.runtime and active_device() == "runtime"
        if keep:
            runtime_rerun.keep_start(net)
        _run(session, net, duration, seed, seed_variable, run_kwargs)
        if keep:
            runtime_rerun.keep_code_objects(net)
        self._runtime_net = net if keep else None
        self._built_on = _device_program() if session is not None and session.can_rerun else None
        self.builds += 1
        return False


def _run(session, net, duration, seed, seed_variable, run_kwargs, rerun=False) -> None:
    """One run of ``net``: through ``session`` (timed and seeded there; ``rerun``: a kept
    runtime network's, counted as a re-run) or, without one (runtime only), Brian2's own
    run after seeding."""
    if session is not None:
        session.run(net, duration, seed=seed, seed_variable=seed_variable, rerun=rerun,
                    **run_kwargs)
        return
    import brian2

    if seed is not None:
        brian2.seed(int(seed))
    net.run(duration, **run_kwargs)
