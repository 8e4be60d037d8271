r"""The independent checks of the theta (QIF) neuron (``neuromodels validate`` and the tests).

* free-running period :math:`\tau\pi/\sqrt{I_0 - 1/4}` (Ermentrout & Kopell 1986;
  :func:`neuromodels.theory.theta.qif_period`);
* the exact event-driven solver (:mod:`neuromodels.exact`, JAX, no Brian2; Klos &
  Memmesheimer 2025): a network converted by
  :func:`neuromodels.networks.theta.network_from_exact` with the model under test fires at
  the solver's spike times.  :func:`exact_solver_errors` is the one home of that
  comparison; the tests fit its convergence order in ``dt`` from it.

Both run on a model *object*: a user's variant of :data:`~neuromodels.neurons.theta.THETA`
(another equation for ``I``, another reset) is simulated as it is and fails where it no
longer is the QIF neuron.
"""
from __future__ import annotations

import importlib.util

import numpy as np
from brian2 import Network, SpikeMonitor

from ..devices import brian2_settings
from ..neurons.theta import THETA, spike_times
from ..theory.theta import qif_period, theta_from_voltage
from ..validation.check import Check, Validated, requires, same_code
from ..validation.errors import Unavailable
from .theta import network_from_exact

__all__ = ["VALIDATED", "theta_period", "exact_solver", "exact_case", "exact_solver_errors"]


def _applies(model, what: str) -> str | None:
    why = requires(model, what=what, parameters=("tau", "I0"), variables=("theta", "I"),
                   threshold="theta > pi")
    if why is None and not same_code(model.reset, "theta -= 2*pi"):
        why = f"{what} assumes the reset 'theta -= 2*pi': the model's is {model.reset!r}"
    return why


# ------------------------------------------------------------------------- the period
def theta_period() -> Check:
    def measure(model, size, run):
        tau = model.namespace()["tau"]
        dt = tau * 2.0 ** -size["steps_per_tau_log2"]
        with brian2_settings(dt=dt):
            g = model.group(1, params={"I0": size["I0"]})
            g.theta = theta_from_voltage(0.0)
            g.I = 0
            m = SpikeMonitor(g, variables=["theta"])
            run(Network(g, m), size["periods_tau"] * tau)
            t = spike_times(m, dt, tau)[0]
        if len(t) < 3:
            return np.inf
        return float(np.max(np.abs(np.diff(t) / qif_period(size["I0"]) - 1)))

    return Check(
        name="free-running period", compares="ISIs at I0 = 1.3 (units of tau)",
        reference="τπ/√(I0 − 1/4), Ermentrout & Kopell (1986)",
        tolerance=1e-7, error_unit="relative",
        why="RK4 at dt = τ/128 and the O(dt³) interpolation of the crossing leave 3e-8",
        measure=measure, applies=lambda model: _applies(model, "the QIF period"),
        numpy_target=True,
        quick=dict(I0=1.3, steps_per_tau_log2=7, periods_tau=20),
        full=dict(I0=1.3, steps_per_tau_log2=7, periods_tau=60))


# ----------------------------------------------------------------- the exact solver
def exact_case(name: str) -> dict:
    """The networks of the comparison, as :func:`network_from_exact` takes them:
    ``'grid'``, one neuron driven by 10 inputs on the time grid of every ``dt = τ/2^k``
    (plain current synapses suffice); ``'recurrent'``, 3 recurrently coupled neurons with 12
    inputs at random times (seed 1) and an initial current (sub-step-corrected synapses)."""
    if name == "grid":
        return dict(W=np.zeros((1, 1)),
                    w_in=np.array([[4.0, -1.0, 3.0, 2.0, -2.0, 5.0, 1.0, 3.0, -1.5, 4.0]]).T,
                    in_times=np.array([2, 5, 8, 14, 16, 21, 24, 30, 32, 36]) / 4,  # tau/4 grid
                    in_channels=np.arange(10), V_init=np.array([0.2]), I_init=np.zeros(1))
    if name != "recurrent":
        raise ValueError(f"case must be 'grid' or 'recurrent'; got {name!r}")
    rng = np.random.default_rng(1)
    N, n_in = 3, 12
    W = rng.normal(0, 1.0, (N, N)) * (1 - np.eye(N))  # (n_pre, n_post)
    w_in = np.zeros((n_in, N))  # each input channel onto one neuron
    w_in[np.arange(n_in), rng.integers(0, N, n_in)] = rng.normal(2.5, 1.5, n_in)
    return dict(W=W, w_in=w_in, in_times=np.sort(rng.uniform(0, 10.0, n_in)),
                in_channels=np.arange(n_in), V_init=np.zeros(N),
                I_init=np.array([3.0, 0.0, 1.0]))


def exact_solver_errors(model, case: dict, T: float, steps_per_tau_log2, run=None,
                        substep: bool = True) -> np.ndarray:
    """For each ``k`` of ``steps_per_tau_log2``: the largest |t_Brian2 − t_exact| (units of
    τ) over every spike of ``case`` (:func:`exact_case`) in a trial of ``T`` τ, with Brian2
    at ``dt = τ/2^k`` running ``model`` (``inf`` where a neuron's spike count differs).
    ``run(net, duration)``: the device session's (default ``net.run``)."""
    if importlib.util.find_spec("jax") is None:
        raise Unavailable("the exact solver needs JAX (pip install -e '.[exact]')")
    from ..exact.network import run as run_exact

    exact = run_exact(*case.values(), T)["spikes"]
    tau = model.namespace()["tau"]
    errors = []
    for k in steps_per_tau_log2:
        dt = tau * 2.0 ** -k
        objs = network_from_exact(*case.values(), tau=tau, dt=dt, substep=substep, model=model)
        net = Network(*objs["objects"])
        net.run(T * tau) if run is None else run(net, T * tau)
        got = spike_times(objs["monitor"], dt, tau)
        if [len(g) for g in got] != [len(e) for e in exact]:
            errors.append(np.inf)
        else:
            errors.append(max(np.max(np.abs(g - e)) for g, e in zip(got, exact) if len(e)))
    return np.array(errors)


def exact_solver() -> Check:
    what = "the exact QIF solver"

    def measure(model, size, run):
        return float(exact_solver_errors(model, exact_case("recurrent"), size["trial_tau"],
                                         [size["steps_per_tau_log2"]], run)[0])

    def applies(model):
        why = _applies(model, what)
        if why is None and float(model.namespace()["I0"]) != 0:
            why = f"{what} has no constant drive: the model's I0 is {model.namespace()['I0']}"
        return why

    return Check(
        name="exact solver", compares="every spike time of a recurrent 3-neuron network with "
        "12 inputs off the time grid (units of τ)",
        reference="the event-driven exact solver, neuromodels/exact (closed-form flow, JAX); "
                  "Klos & Memmesheimer (2025) arXiv 2309.14523",
        tolerance=1e-4, error_unit="τ",
        why="inputs and recurrent spikes fall between steps; the synapses' sub-step "
            "correction is exact to O(δ²) (δ < dt): 2.6e-5 τ at dt = τ/512, 4.8e-6 τ at "
            "τ/1024 (order ≈ 2.5 in dt, tests/test_theta_brian2.py); a model that is not the "
            "QIF neuron is off by O(1) τ or changes the spike count",
        measure=measure, applies=applies, devices=("runtime", "cpp_standalone"),
        quick=dict(steps_per_tau_log2=9, trial_tau=10.0),
        full=dict(steps_per_tau_log2=10, trial_tau=10.0),
        full_tolerance=1e-5)


VALIDATED = (Validated("theta", THETA, (theta_period(), exact_solver()), "theta neuron"),)
