"""One simulation on one device: its build directory, its runs and re-runs, and their
timings (build and simulation apart)."""
from __future__ import annotations

import contextlib
import gc
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import buildcache
from .catalogue import DeviceError, backend_name
from . import requirements
from .rerun import can_rerun


@dataclass
class DeviceSession:
    """One simulation on one device: its build directory and its timings (seconds).

    ``timings`` holds the last run's ``wall``, ``simulation`` and ``build`` (wall minus
    simulation: code generation, compilation, loading); ``history`` every run and re-run
    of the session, and :meth:`totals` their sums, so that several builds and runs of one
    study add up.
    """

    name: str
    directory: Path | None = None
    threads: int | None = None
    seed: int | None = None
    seeded_device_rng: bool = False
    use_gpu: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    extra_directories: list = field(default_factory=list)
    what: str = "this model"
    verbose: bool = True
    history: list = field(default_factory=list)
    #: runtime: the code-generation targets (``"numpy"``, ``"cython"``) of the code objects
    #: created in the session (:func:`~neuromodels.devices.use_device` records them); ``None``:
    #: not recorded
    runtime_targets: set | None = None
    _compile_seconds: float = field(default=0.0, repr=False)

    def _record(self, kind: str, wall: float, sim: float, build: float | None = None) -> None:
        """``kind`` 'run' (a build and its run) or 'rerun'; ``build`` defaults to the wall
        time outside the simulation for a build, 0 for a re-run."""
        if build is None:
            build = max(wall - sim, 0.0) if kind == "run" else 0.0
        self.timings = {"wall": wall, "simulation": sim, "build": build}
        entry = dict(self.timings, kind=kind)
        if self._compile_seconds:
            entry["compile"] = self._compile_seconds
            self._compile_seconds = 0.0
        self.history.append(entry)

    def _compiled(self, seconds: float) -> None:
        self._compile_seconds += seconds

    def totals(self, since: int = 0) -> dict[str, float]:
        """Sums over the runs of the session (from run number ``since`` on): ``build``,
        ``simulation``, ``compile`` (time in the compiler: ``make``, or Cython, also while
        the network was being built), ``runs`` and ``builds`` (counts)."""
        history = self.history[since:]
        return {
            "build": sum(e["build"] for e in history),
            "simulation": sum(e["simulation"] for e in history),
            "compile": sum(e.get("compile", 0.0) for e in history),
            "runs": len(history),
            "builds": sum(e["kind"] == "run" for e in history),
        }

    def run(self, net, duration, report=None, report_period=None, namespace=None, *,
            seed=None, seed_variable=None, rerun=False) -> None:
        """Run ``net`` for ``duration``; record build and simulation time.  ``rerun``: a
        runtime network run again with its code objects kept
        (:mod:`~neuromodels.devices.runtime_rerun`): counted as a re-run, its time outside
        the simulation (what the code objects read, refreshed) as build time.

        ``report='text'`` prints progress (all devices).  On standalone devices
        this call generates, compiles and runs the program.

        ``seed`` (an int) seeds Brian2's random numbers for this run.  On
        cpp_standalone give also ``seed_variable``, a shared integer state variable
        of a group in ``net`` (``group.rng_seed``, holding ``seed``): the program then
        seeds its generators from that variable after reading its run arguments, so
        that every :meth:`rerun` draws fresh random numbers from the seed it is given
        (``rerun(values, seed=...)``) instead of replaying the build's.  GeNN cannot be
        seeded (``seeded_device_rng`` is False there).
        """
        import brian2

        kwargs = {"report": report}
        if report_period is not None:
            kwargs["report_period"] = report_period
        if namespace is not None:
            kwargs["namespace"] = namespace
        self._seed_variable = None
        if seed is not None:
            self._seed_for_run(int(seed), seed_variable)
        start = time.perf_counter()
        net.run(duration, **kwargs)
        wall = time.perf_counter() - start
        simulated = getattr(brian2.get_device(), "_last_run_time", None)
        sim = float(simulated) if simulated is not None else wall
        self._record("rerun" if rerun else "run", wall, sim, build=max(wall - sim, 0.0))

    def _seed_for_run(self, seed: int, seed_variable) -> None:
        import brian2
        import numpy as np

        if self.name == "genn":
            self.seeded_device_rng = False
            return
        if self.name == "cpp_standalone" and self.can_rerun and seed_variable is not None:
            device = brian2.get_device()
            variable = seed_variable.variable
            if not (variable.scalar and np.dtype(variable.dtype).kind in "iu"):
                raise DeviceError("seed_variable must be a shared integer variable of a group "
                                  "('rng_seed : integer (shared, constant)').")
            seed_variable[:] = seed
            threads = max(self.threads or 0, 1)
            # read the run arguments first, then seed every generator from the variable
            device.apply_run_args()
            device.insert_code(
                "main", f"for (int _i=0; _i<{threads}; _i++) brian::_random_generators[_i]"
                        f".seed((unsigned long) brian::{device.get_array_name(variable)}[0] + _i);")
            self._seed_variable = seed_variable
        else:
            brian2.seed(seed)
        self.seeded_device_rng = True

    @property
    def can_rerun(self) -> bool:
        """Whether :meth:`rerun` works here: cpp_standalone on brian2 >= 2.6 (``run_args``)."""
        return can_rerun(self.name)

    def rerun(self, values=None, *, seed=None) -> None:
        """Run the already compiled standalone program again, with new initial values.

        ``values`` maps state variables (``group.v``) and ``TimedArray`` s to values or
        arrays.  ``seed``: fresh random numbers from this seed (needs the build's
        :meth:`run` to have been given a ``seed_variable``).  About 30x cheaper than a
        rebuild; needs brian2 >= 2.6 (:attr:`can_rerun`).  Where it is not available,
        build and run the network again instead.
        """
        import brian2

        if not self.can_rerun:
            raise DeviceError(
                f"Re-running a compiled program needs device 'cpp_standalone' with brian2 >= 2.6 "
                f"(here: device {self.name!r}, "
                f"brian2 {'.'.join(map(str, requirements._brian2_version()))}); "
                f"build and run the network again instead.")
        device = brian2.get_device()
        values = dict(values or {})
        if seed is not None:
            if getattr(self, "_seed_variable", None) is None:
                raise DeviceError("rerun(seed=...) needs a program built with "
                                  "run(..., seed=, seed_variable=).")
            values[self._seed_variable] = int(seed)
        start = time.perf_counter()
        device.run(directory=device.project_dir, with_output=False, run_args=values)
        for name in device.run_args_arrays:  # this run's value files are not needed again
            with contextlib.suppress(OSError):
                os.remove(os.path.join(device.project_dir, "static_arrays", name))
        wall = time.perf_counter() - start
        self._record("rerun", wall, float(device._last_run_time))

    def new_build(self) -> None:
        """Let a standalone device build (and run) another program in this session.

        The k-th extra build goes to its own directory next to the first and
        seeds Brian2's random numbers with ``seed + k``.  Call it after dropping the last
        program's objects (and before creating the next one's) and the next build of a
        network with the same structure reuses the compiled files that did not change.  On
        runtime nothing is needed; GeNN allows one program per session.
        """
        import brian2
        from brian2 import set_device

        if self.name == "runtime":
            return
        if self.name != "cpp_standalone":
            raise DeviceError(f"device {self.name!r} runs one program per session; "
                              f"start another use_device() block instead.")
        self._extra_builds = getattr(self, "_extra_builds", 0) + 1
        directory = Path(f"{self.directory}-build{self._extra_builds}")
        brian2.get_device().reinit()
        # the objects of the last build, now unreferenced by the device, go now: Brian2 numbers
        # a name ending in '*' (clocks, code objects) while one is alive, and a renamed clock
        # changes every C++ file of the next build of the same network (no ccache hits)
        gc.collect()
        set_device("cpp_standalone", directory=str(directory), build_on_run=True)
        _instrument(self)
        self.extra_directories.append(directory)
        self._seed_variable = None
        if self.seed is not None:
            brian2.seed(self.seed + self._extra_builds)

    @property
    def provenance(self) -> dict:
        return {"device": self.name,
                "backend": backend_name(self.name, self.use_gpu, self.runtime_targets),
                "threads": self.threads or 0, "seed": self.seed,
                "seeded_device_rng": self.seeded_device_rng,
                **({"gpu": requirements.gpu_name() or "unknown"} if self.use_gpu else {})}


@contextlib.contextmanager
def record_runtime_targets(session: DeviceSession):
    """For the ``with`` block: the runtime device's code objects add their code-generation
    target (their class's ``class_name``: ``numpy``, ``cython``) to ``session.runtime_targets``,
    so that the provenance names what ran, not what was asked for (values set from strings run
    on Brian2's ``codegen.string_expression_target``, numpy by default, whatever the target)."""
    import brian2

    device = brian2.get_device()
    original = device.code_object
    session.runtime_targets = set()

    def code_object(*args, **kwargs):
        codeobj = original(*args, **kwargs)
        session.runtime_targets.add(getattr(type(codeobj), "class_name", type(codeobj).__name__))
        return codeobj

    device.code_object = code_object
    try:
        yield
    finally:
        vars(device).pop("code_object", None)


def _instrument(session: DeviceSession) -> None:
    """Let the active standalone device's builds say how long they will take, and time them."""
    import brian2

    buildcache.instrument_compile(brian2.get_device(), session.name, session.what,
                                  verbose=session.verbose, on_compile=session._compiled)
