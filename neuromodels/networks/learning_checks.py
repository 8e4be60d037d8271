r"""The independent check of the NDL learning rule (``neuromodels validate`` and the tests).

NDL's update is the gradient of the expected loss of a layer of escape-noise neurons
(:mod:`neuromodels.learning`).  For one layer without reset the expectation has a closed
form in numpy that shares no code with the rule: the input trace at step :math:`n`,
:math:`\bar x_n = \sum_{m<n} a^{n-1-m} s_m` (:math:`a = e^{-dt/\tau_m}`), the potential
:math:`v_n = \bar x_n W`, the firing probability :math:`p_n = F((v_n - \theta)/\sigma)` and
the loss :math:`L = \tfrac12 \sum_i (\sum_n p_{n,i}/T - y)^2`.  One training epoch of
``K`` samples changes :math:`W` and :math:`\theta` by :math:`-\eta K` times the sampled
gradient; :math:`R` copies of each output row average the sampling noise, and the mean
update is compared with the central finite difference of :math:`L` (step ``h``) in units
of its standard error.

The leaky readout (:func:`neuromodels.neurons.readout.leaky_readout`): trained by e-prop on
a per-step MSE, its weight change over a sample is :math:`-\eta\,\partial L/\partial w`;
the loss is quadratic in :math:`w`, so the central finite difference of the loss the Brian2
network itself reports is exact up to rounding (:func:`readout_updates`).

The e-prop neuron (:data:`neuromodels.neurons.eprop.EPROP_IAF`) against NEST 3.10's
``eprop_iaf_bsshslm_2020`` (:mod:`neuromodels.reference.nest_eprop`) on NEST's sine-wave
task: the first update's change of every weight matrix (:func:`eprop_first_update`; the
conventions that differ and how each is aligned: tests/test_learning_eprop_nest.py).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from brian2 import mV

from brian2 import ms

from ..learning import (NDL, NDL_NEURON_PARAMETERS, EProp, Feedback, InputLayer, Layer,
                        LearningNetwork, OutputError, Program, Projection, Readout, ndl_neuron,
                        train_epoch)
from ..neurons.eprop import EPROP_IAF
from ..neurons.readout import leaky_readout
from ..neurons.noise import available_noises, get_noise
from ..neurons.noisy import escape_lif
from ..validation import template
from ..validation.check import Check, Validated, expression_of, requires
from ..validation.errors import Unavailable

__all__ = ["VALIDATED", "expected_counts", "expected_loss", "loss_gradient", "ndl_gradient",
           "ndl_updates", "z_scores", "gradient_errors", "readout_updates", "readout_gradient",
           "EPROP_TASK", "eprop_task", "eprop_network", "eprop_state", "eprop_inputs",
           "nest_units", "nest_eprop_run", "eprop_first_update", "eprop_nest"]


def expected_counts(W, spikes, a, shift: bool = False):
    """``(x̄, v)``: the input traces (T, n_in) at each step's threshold and the potentials
    ``x̄ W`` (T, n_out) of a layer without reset; ``shift`` counts each step's own input
    spike in its trace (the wrong timing, for a negative control)."""
    T, n_in = spikes.shape
    xbar, acc = np.zeros((T, n_in)), np.zeros(n_in)
    for n in range(T):
        acc = a * acc               # decay in the state update of step n
        xbar[n] = acc               # value at the threshold of step n
        acc = acc + spikes[n]       # spike of step n (reset slot)
    if shift:
        xbar = xbar + spikes
    return xbar, xbar @ W


def expected_loss(noise, W, theta, sigma, spikes, a, y) -> float:
    """½ Σ_i (E[count_i]/T − y)² of the layer (:func:`expected_counts`)."""
    _, v = expected_counts(W, spikes, a)
    counts = noise.firing_probability(v - theta, sigma).sum(axis=0)
    return 0.5 * float(np.sum((counts / spikes.shape[0] - y) ** 2))


def loss_gradient(noise, W, theta, sigma, spikes, a, y, h: float = 1e-5):
    """``(dL/dW, dL/dθ)`` by central finite differences of :func:`expected_loss`."""
    def loss(W_, theta_):
        return expected_loss(noise, W_, theta_, sigma, spikes, a, y)

    G = np.zeros_like(W)
    for index in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[index] = h
        G[index] = (loss(W + step, theta) - loss(W - step, theta)) / (2 * h)
    Gth = np.array([(loss(W, theta + h * e) - loss(W, theta - h * e)) / (2 * h)
                    for e in np.eye(theta.size)])
    return G, Gth


def _noise_of(model) -> str | None:
    """The escape noise whose CDF the model's ``p_fire`` is (any σ, v_th)."""
    parts = {"p_fire": (expression_of(model, "p_fire"), None)}
    for name in available_noises():
        reference = escape_lif(name)
        parts["p_fire"] = (parts["p_fire"][0], expression_of(reference, "p_fire"))
        if not template.distance(model, reference, parts):
            return name
    return None


def ndl_updates(model, size) -> dict:
    """One NDL epoch (no reset, runtime) on a random single-layer task: the mean update per
    sample of W and θ over the ``copies`` of each row, and what the reference needs."""
    rng = np.random.default_rng(size["seed"])
    T, K, n_in, rows, R = size["steps"], size["samples"], size["inputs"], 3, size["copies"]
    eta, y = 1e-4, 0.3
    neuron = dataclasses.replace(model, reset=None)
    out = Layer("output", rows * R, neuron, params=NDL_NEURON_PARAMETERS)
    net = LearningNetwork(InputLayer(n_in), [out], [Projection("input", "output")],
                          [OutputError("output", loss="mse", y_off=y, y_on=y)],
                          [NDL(eta=eta * mV ** 2, eta_theta=eta * mV ** 2, learn="both",
                               w_max=10 * mV)], Readout("output"), T=T)
    state = net.initial_state()
    W = rng.uniform(0, 0.7, size=(n_in, rows)) * np.array([0.5, 1.0, 1.6])
    state["input_to_output", "w"] = np.tile(W, (1, R)) * mV    # R copies of each row
    spikes = (rng.random((T, n_in)) < 0.5).astype(float)
    new = train_epoch(net, state, np.broadcast_to(spikes, (K, T, n_in)), -np.ones(K),
                      seed=size["seed"] + 2)["state"]  # label -1: every target is y_off
    dW = np.asarray((new["input_to_output", "w"] - state["input_to_output", "w"]) / mV)
    dth = np.asarray((new["output", "v_th"] - state["output", "v_th"]) / mV)
    p = {**model.namespace(), **NDL_NEURON_PARAMETERS}
    return dict(W=W, spikes=spikes, y=y, copies=R, samples=K,
                est_w=-dW.reshape(n_in, R, rows).mean(axis=1) / (eta * K),
                est_theta=-dth.reshape(R, rows).mean(axis=0) / (eta * K),
                theta=np.full(rows, float(p["v_th"] / mV)), sigma=float(p["sigma"] / mV),
                a=float(np.exp(-net.dt / p["tau_m"])))


def z_scores(noise, run: dict, G, Gth):
    """The updates of ``run`` (:func:`ndl_updates`) minus the gradient ``(G, Gth)``, in
    units of their sampling error (``(z_w, z_theta, se_w)``): the loss of row i,
    (c_i/T − y)/T, has the variance of a sum of Bernoulli counts, Σ_n p(1 − p)/T⁴."""
    xbar, v = expected_counts(run["W"], run["spikes"], run["a"])
    p = noise.firing_probability(v - run["theta"], run["sigma"])
    psi = noise.density(v - run["theta"], run["sigma"])
    T = run["spikes"].shape[0]
    sd = np.sqrt((p * (1 - p)).sum(axis=0)) / T ** 2 / np.sqrt(run["copies"] * run["samples"])
    se_w, se_th = np.abs(xbar.T @ psi) * sd + 1e-9, psi.sum(axis=0) * sd + 1e-9
    return (run["est_w"] - G) / se_w, (run["est_theta"] - Gth) / se_th, se_w


def gradient_errors(model, size) -> dict:
    """One epoch of :func:`ndl_updates` and its comparison with the finite-difference
    gradient: the run, the gradient ``G``, the z-scores ``z_w``, ``z_theta`` and ``se_w``."""
    noise = get_noise(_noise_of(model))
    out = ndl_updates(model, size)
    G, Gth = loss_gradient(noise, out["W"], out["theta"], out["sigma"], out["spikes"],
                           out["a"], out["y"])
    z_w, z_th, se_w = z_scores(noise, out, G, Gth)
    return dict(run=out, noise=noise, G=G, z_w=z_w, z_theta=z_th, se_w=se_w)


def ndl_gradient() -> Check:
    what = "the NDL gradient"

    def measure(model, size, run):
        found = gradient_errors(model, size)
        return float(max(np.max(np.abs(found["z_w"])), np.max(np.abs(found["z_theta"]))))

    def applies(model):
        why = requires(model, what=what, parameters=("sigma", "v_th", "tau_m"),
                       variables=("v", "u_draw", "p_fire"), allowed=("I_ext",),
                       threshold="u_draw < p_fire", extra_reason="other state")
        if why is None and model.refractory is not None:
            why = f"{what} assumes no dead time: the model's refractory is {model.refractory!r}"
        if why is None and _noise_of(model) is None:
            why = f"{what} is for an escape noise's CDF of (v − v_th)/σ: the model's p_fire " \
                  f"is {expression_of(model, 'p_fire')}"
        return why

    return Check(
        name="NDL update = gradient", compares="mean NDL update of W and θ over one epoch "
        "(one layer, reset removed) and its sampling error",
        reference="central finite differences of the expected loss in closed form (numpy)",
        tolerance=4.5, error_unit="max abs z",
        why="the update is a sum of sampled gradients: the largest of 21 |z| exceeds 4.5 "
            "with probability 1e-4 when the rule is the gradient",
        measure=measure, applies=applies, devices=("runtime",),
        quick=dict(seed=3, steps=10, samples=40, inputs=6, copies=100),
        full=dict(seed=3, steps=10, samples=100, inputs=6, copies=200))


# ------------------------------------------------------------------------ leaky readout
def readout_updates(model, size) -> dict:
    """input (6) -> readout layer of ``model`` (3), per-step MSE on sine targets, e-prop
    applied at the end of one sample (runtime): ``change`` of the weights, ``fd`` the central
    finite difference (step ``h``) of the loss the network reports, at the ``pairs`` (i, j)
    of inputs that spiked, and ``eta``."""
    rng = np.random.default_rng(size["seed"])
    T, n_in, n_out, eta, h = size["steps"], 6, 3, 0.05, size["h"]
    spikes = (rng.random((1, T, n_in)) < 0.35).astype(float)
    rng.integers(0, n_out, 1)  # the draws of the tests' task, kept so the sample is theirs
    phase = rng.uniform(0, 2 * np.pi, (1, 1, n_out))
    targets = 0.5 * np.sin(2 * np.pi * np.arange(T)[None, :, None] / T + phase)
    net = LearningNetwork(InputLayer(n_in),
                          [Layer("output", n_out, model, params={"tau_m": size["tau_m"]})],
                          [Projection("input", "output", init_scale=1.0)],
                          [OutputError("output", loss="mse", targets="given", timing="step")],
                          [EProp(eta=eta, w_max=1e3)], Readout("output"), T=T)
    state = net.initial_state(seed=0)
    program = Program(net, 1)
    new = program.run(state, spikes, targets, lr_scale=1.0)["state"]
    change = np.asarray(new["input_to_output", "w"] - state["input_to_output", "w"])
    pairs = [(i, j) for i in np.flatnonzero(spikes[0].sum(axis=0)) for j in range(n_out)]
    fd = np.zeros_like(change)
    for i, j in pairs[:size["pairs"]]:
        losses = []
        for sign in (1, -1):
            s = state.copy()
            s["input_to_output", "w"][i, j] += sign * h
            losses.append(program.run(s, spikes, targets, lr_scale=0.0)["loss"][0])
        fd[i, j] = (losses[0] - losses[1]) / (2 * h)
    return dict(change=change, fd=fd, eta=eta, pairs=pairs[:size["pairs"]])


def readout_gradient() -> Check:
    what = "the readout's e-prop update"

    def measure(model, size, run):
        found = readout_updates(model, size)
        i, j = np.array(found["pairs"]).T
        fd, change = found["fd"][i, j], found["change"][i, j]
        if len(fd) < 3 or np.min(np.abs(fd)) < 1e-3:
            return np.inf  # too few weights that the loss depends on: nothing is checked
        return float(np.max(np.abs(change + found["eta"] * fd) / np.abs(found["eta"] * fd)))

    def applies(model):
        why = requires(model, what=what, parameters=("tau_m",), variables=("y",),
                       extra_reason="other state")
        if why is None and (model.threshold or model.firing is None
                            or model.firing.membrane != "y"):
            why = f"{what} is for a non-spiking readout whose output is y: the model " \
                  f"{'spikes' if model.threshold else 'declares no firing on y'}"
        return why

    return Check(
        name="readout update = gradient", compares="e-prop's change of the input-to-readout "
        "weights after one sample (per-step MSE) and -η times the loss's gradient",
        reference="central finite differences of the loss the Brian2 network reports (exact: "
                  "the loss is quadratic in w); Bellec et al. (2020) Nat Commun 11:3625",
        tolerance=1e-6, error_unit="relative",
        why="a quadratic loss makes the central difference exact; what is left is rounding "
            "(~1e-12 / h) of losses of order 1",
        measure=measure, applies=applies, devices=("runtime",),
        quick=dict(seed=4, steps=12, tau_m=5 * ms, h=1e-4, pairs=6),
        full=dict(seed=4, steps=12, tau_m=5 * ms, h=1e-4, pairs=18))


# ------------------------------------------------------------------- e-prop vs NEST 3.10
#: NEST's smallest comparison (sizes; dt, tau_m, tau_out ms; v_th mV; gamma, eta)
EPROP_TASK = dict(n_in=20, n_rec=15, n_out=2, steps=200, dt=1.0, tau_m=20.0, tau_out=30.0,
                  v_th=0.03, gamma=0.3, eta=1e-3)
_MATRICES = (("input_to_hidden", "w_in"), ("hidden_to_hidden", "w_rec"),
             ("hidden_to_output", "w_out"))


def _factors(p=EPROP_TASK):
    alpha, kappa = np.exp(-p["dt"] / p["tau_m"]), np.exp(-p["dt"] / p["tau_out"])
    return alpha, kappa, 1 - alpha, 1 - kappa


def eprop_task(seed: int) -> dict:
    """NEST's sine-wave task, input weights x5 so that the network fires, inputs silent at
    NEST's steps 0 and 1 (where NEST delivers none or has an artefact)."""
    from ..reference import nest_eprop

    p = EPROP_TASK
    task = nest_eprop.sine_wave_task(seed=seed, n_in=p["n_in"], n_rec=p["n_rec"],
                                     n_out=p["n_out"], steps=p["steps"], periods=(200, 100, 50))
    task["w_in"] = 5 * task["w_in"]
    task["inputs"][:2] = False
    return task


def nest_eprop_run(task, n_iter: int, t_ref: float = 0.0, record_weights: bool = True):
    """NEST 3.10's e-prop on ``task`` (:func:`neuromodels.reference.nest_eprop.run`)."""
    from ..reference import nest_eprop

    p = EPROP_TASK
    return nest_eprop.run(task["w_in"], task["w_rec"], task["w_out"], task["b"],
                          task["inputs"], task["target"], n_iter=n_iter, dt=p["dt"],
                          tau_m=p["tau_m"], tau_out=p["tau_out"], v_th=p["v_th"],
                          gamma=p["gamma"], t_ref=t_ref, eta=p["eta"], c_reg=0.0,
                          record_weights=record_weights)


def eprop_network(model=EPROP_IAF, t_ref: float = 0.0) -> LearningNetwork:
    """input -> recurrent layer of ``model`` -> leaky readout, per-step MSE on given targets,
    the error broadcast through fixed feedback; eta in Brian2's units:
    eta_hidden = eta T (1 − κ) (ζ/α)² mV², eta_readout = eta T ζ_out²."""
    p, (alpha, kappa, zeta, zeta_out) = EPROP_TASK, _factors()
    T = p["steps"]
    return LearningNetwork(
        InputLayer(p["n_in"]),
        [Layer("hidden", p["n_rec"], model,
               params={"tau_m": p["tau_m"] * ms, "v_th": p["v_th"] * mV, "gamma": p["gamma"],
                       "t_ref": t_ref * ms}),
         Layer("output", p["n_out"], leaky_readout(), params={"tau_m": p["tau_out"] * ms})],
        [Projection("input", "hidden"), Projection("hidden", "hidden"),
         Projection("hidden", "output", init_scale=1.0)],
        [OutputError("output", loss="mse", targets="given", timing="step"),
         Feedback("output", "hidden", weights="random", send="error", timing="step")],
        [EProp(layers=("hidden",), tau_kappa=p["tau_out"] * ms, w_max=100 * mV,
               eta=p["eta"] * T * (1 - kappa) * (zeta / alpha) ** 2 * mV ** 2),
         EProp(layers=("output",), eta=p["eta"] * T * zeta_out ** 2, w_max=1e3)],
        Readout("output"), T=T, dt=p["dt"] * ms)


def eprop_state(net, task):
    """NEST's weights (pA, C_m = 1 pF) in Brian2's units: ζ/α w mV, ζ_out w, B transposed."""
    alpha, _, zeta, zeta_out = _factors()
    state = net.initial_state(seed=0)
    state["input_to_hidden", "w"] = zeta / alpha * task["w_in"] * mV
    state["hidden_to_hidden", "w"] = zeta / alpha * task["w_rec"] * mV
    state["hidden_to_output", "w"] = zeta_out * task["w_out"]
    state["feedback_output_to_hidden", "B"] = task["b"].T.copy()
    return state


def eprop_inputs(task, n_iter: int):
    """(n_iter, T, n_in) inputs and targets: Brian2's step n is NEST's step n + 1."""
    p = EPROP_TASK
    x = np.zeros((n_iter, p["steps"], p["n_in"]))
    x[:, :-1] = task["inputs"][1:]
    return x, np.repeat(task["target"][None], n_iter, axis=0)


def nest_units(name: str, w):
    """Brian2's weights (or changes) of matrix ``name`` in NEST's pA."""
    alpha, _, zeta, zeta_out = _factors()
    if name == "hidden_to_output":
        return np.asarray(w) / zeta_out
    return np.asarray(w / mV) * alpha / zeta


def eprop_first_update(model=EPROP_IAF, seed: int = 3, t_ref: float = 0.0) -> dict:
    """One sequence of NEST's task with ``model`` as the recurrent neuron: ``changes`` {matrix:
    (Brian2's change in NEST's units, NEST's change)} and ``loss`` (Brian2's x T, NEST's)."""
    task = eprop_task(seed)
    reference = nest_eprop_run(task, 1, t_ref=t_ref)
    net = eprop_network(model, t_ref)
    state = eprop_state(net, task)
    x, targets = eprop_inputs(task, 1)
    res = train_epoch(net, state, x, targets)
    changes = {name: (nest_units(name, res["state"][name, "w"] - state[name, "w"]),
                      np.diff(getattr(reference, key), axis=0)[0]) for name, key in _MATRICES}
    return dict(changes=changes, loss=(float(res["loss"][0]) * EPROP_TASK["steps"],
                                       float(reference.loss[0])))


def eprop_nest() -> Check:
    what = "the comparison with NEST eprop_iaf_bsshslm_2020"

    def measure(model, size, run):
        from ..reference import nest_eprop

        if nest_eprop.available() is not None:
            raise Unavailable(str(nest_eprop.available()))
        worst = 0.0
        for t_ref in size["t_ref_ms"]:
            found = eprop_first_update(model, size["seed"], t_ref)
            for got, want in found["changes"].values():
                scale = np.abs(want).max()
                if scale < 1e-4:
                    return np.inf  # nothing learned: nothing compared
                worst = max(worst, float(np.abs(got - want).max() / scale))
            ours, theirs = found["loss"]
            worst = max(worst, abs(ours / theirs - 1))
        return worst

    def applies(model):
        why = requires(model, what=what, parameters=("tau_m", "v_th", "gamma", "t_ref"),
                       variables=("v",), threshold="v >= v_th")
        if why is None and (model.firing is None or model.firing.membrane != "v"):
            why = f"{what} needs a surrogate derivative on v: the model declares none"
        return why

    return Check(
        name="NEST eprop_iaf_bsshslm_2020",
        compares="first update of the input, recurrent and readout weights and the loss, "
                 "NEST's sine-wave task (20-15-2, 200 steps)",
        reference="NEST 3.10 eprop_iaf_bsshslm_2020 + eprop_readout_bsshslm_2020, same "
                  "weights, inputs and parameters; Bellec et al. (2020) Nat Commun 11:3625",
        tolerance=1e-9, error_unit="relative",
        why="the same arithmetic in another order once the conventions are aligned: rounding "
            "(1.2e-13 measured); a convention off by one step changes the changes by O(1)",
        measure=measure, applies=applies, devices=("runtime",),
        quick=dict(seed=3, t_ref_ms=(0.0,)), full=dict(seed=3, t_ref_ms=(0.0, 3.0)))


VALIDATED = (Validated("ndl_lif_gaussian", ndl_neuron("gaussian"), (ndl_gradient(),),
                       "NDL neuron (gaussian escape noise)"),
             Validated("leaky_readout", leaky_readout(), (readout_gradient(),),
                       "leaky non-spiking readout (e-prop)"),
             Validated("eprop_iaf", EPROP_IAF, (eprop_nest(),),
                       "e-prop LIF (NEST's eprop_iaf_bsshslm_2020)"))
