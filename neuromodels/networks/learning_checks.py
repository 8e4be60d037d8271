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
"""
from __future__ import annotations

import dataclasses

import numpy as np
from brian2 import mV

from ..learning import (NDL, NDL_NEURON_PARAMETERS, InputLayer, Layer, LearningNetwork,
                        OutputError, Projection, Readout, ndl_neuron, train_epoch)
from ..neurons.noise import available_noises, get_noise
from ..neurons.noisy import escape_lif
from ..validation import template
from ..validation.check import Check, Validated, expression_of, requires

__all__ = ["VALIDATED", "expected_counts", "expected_loss", "loss_gradient", "ndl_gradient",
           "ndl_updates", "z_scores", "gradient_errors"]


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


VALIDATED = (Validated("ndl_lif_gaussian", ndl_neuron("gaussian"), (ndl_gradient(),),
                       "NDL neuron (gaussian escape noise)"),)
