"""The NEST e-prop harness (:mod:`neuromodels.reference.nest_eprop`) against NEST's own published
losses (which NEST checks against the original TensorFlow code), and its documented per-step
equations against NEST, transcribed into numpy from the module docstring."""
import numpy as np
import pytest

from neuromodels.errors import UserError
from neuromodels.reference import nest_eprop

pytestmark = pytest.mark.skipif(nest_eprop.available() is not None,
                                reason=str(nest_eprop.available()))

# NEST v3.10, testsuite/pytests/synapses/test_eprop_bsshslm_2020_plasticity.py:
# test_eprop_regression
LOSS_NEST = [101.964356999041, 103.466731126205, 103.340607074771, 103.680244037686,
             104.412775748752]
LOSS_TENSORFLOW = [101.964363098144, 103.466735839843, 103.340606689453, 103.680244445800,
                   104.412780761718]


def test_reproduces_nest_published_sine_wave_losses():
    """NEST's regression test: 100 inputs, 100 LIF, 1 readout, T = 1000 steps of 1 ms, 5
    sequences, eta = 1e-4, c_reg = 300, f_target = 10 Hz; its rtols."""
    task = nest_eprop.sine_wave_task(seed=1)
    result = nest_eprop.run(task["w_in"], task["w_rec"], task["w_out"], task["b"],
                            task["inputs"], task["target"], n_iter=5, c_reg=300.0,
                            record_weights=False)
    assert np.allclose(result.loss, LOSS_NEST, rtol=1e-8, atol=0)
    assert np.allclose(result.loss, LOSS_TENSORFLOW, rtol=1e-7, atol=0)


def _transcribed(w_in, w_rec, w_out, b, inputs, target, *, dt, tau_m, tau_out, v_th, gamma,
                 t_ref, eta, c_reg, f_target):
    """The module docstring's equations, weights (n_pre, n_post), including its artefact."""
    alpha, kappa = np.exp(-dt / tau_m), np.exp(-dt / tau_out)
    zeta, zeta_out, refractory = 1 - alpha, 1 - kappa, int(round(t_ref / dt))
    weights = [np.array(w, float) for w in (w_in, w_rec, w_out)]
    history, losses = [[w.copy()] for w in weights], []
    n_in, n_rec = w_in.shape
    for n, (x, y_star) in enumerate(zip(inputs.astype(float), target)):
        w_in, w_rec, w_out = weights
        v, z, r, y = np.zeros(n_rec), np.zeros(n_rec), np.zeros(n_rec, int), 0.0
        x_bar, z_bar_rec, z_bar_out = np.zeros(n_in), np.zeros(n_rec), np.zeros(n_rec)
        e_bar = [np.zeros_like(w_in), np.zeros_like(w_rec)]
        grads = [np.zeros_like(w) for w in weights]
        sum_e = [np.zeros_like(w_in), np.zeros_like(w_rec)]
        spikes, loss = np.zeros(n_rec), 0.0
        for k in range(len(x)):
            r = np.maximum(r - 1, 0)
            v = alpha * v + zeta * (x[k] @ w_in + z @ w_rec) - v_th * z
            psi = np.where(r > 0, 0.0, gamma / v_th * np.maximum(0, 1 - abs(v - v_th) / v_th))
            x_bar = alpha * x_bar + zeta * x[k]
            z_bar_rec = alpha * z_bar_rec + zeta * z  # the recurrent spikes entering v^k
            z = ((v >= v_th) & (r == 0)).astype(float)
            r[z > 0] = refractory
            spikes += z
            y = kappa * y + zeta_out * (z @ w_out)
            error = y - y_star[k]
            loss += 0.5 * np.sum(error ** 2)
            learning = b @ error
            for m, trace in enumerate((x_bar, z_bar_rec)):
                e = np.outer(trace, psi)
                e_bar[m] = kappa * e_bar[m] + (1 - kappa) * e
                grads[m] += e_bar[m] * learning
                sum_e[m] += e
            last_in = e_bar[0] * learning
            z_bar_out = kappa * z_bar_out + zeta_out * z
            grads[2] += np.outer(z_bar_out, error)
        if n + 1 < len(inputs):  # an input spike at k = 1 of the next sequence drops k = T-1
            grads[0][inputs[n + 1, 1]] -= last_in[inputs[n + 1, 1]]
        reg = c_reg * (spikes / len(x) - f_target * 1e-3 * dt) / len(x)
        grads[0] += sum_e[0] * reg
        grads[1] += sum_e[1] * reg
        np.fill_diagonal(grads[1], 0.0)
        weights = [w - eta * g for w, g in zip(weights, grads)]
        for h, w in zip(history, weights):
            h.append(w)
        losses.append(loss)
    return [np.array(h) for h in history], np.array(losses)


def test_documented_equations_equal_nest_weight_for_weight():
    """Three sequences, new inputs and targets each, refractoriness and regularisation on,
    inputs at k = 1 present: every weight after every update as the docstring says."""
    n_in, n_rec, n_out, steps, n_iter = 20, 15, 2, 200, 3
    task = nest_eprop.sine_wave_task(seed=3, n_in=n_in, n_rec=n_rec, n_out=n_out, steps=steps,
                                     periods=(200, 100, 50))
    rng = np.random.RandomState(0)
    inputs = rng.rand(n_iter, steps, n_in) < 0.05
    inputs[:, 0] = False
    assert inputs[1:, 1].any()  # the artefact is exercised
    target = np.stack([task["target"] * (n + 1) for n in range(n_iter)])
    params = dict(dt=1.0, tau_m=20.0, tau_out=30.0, v_th=0.03, gamma=0.3, t_ref=3.0,
                  eta=1e-3, c_reg=300.0, f_target=10.0)
    weights = dict(w_in=5 * task["w_in"], w_rec=task["w_rec"], w_out=task["w_out"],
                   b=task["b"])
    result = nest_eprop.run(**weights, inputs=inputs, target=target, n_iter=n_iter, **params)
    ours, loss = _transcribed(**weights, inputs=inputs, target=target, **params)
    np.testing.assert_allclose(result.loss, loss, rtol=1e-12)
    for name, theirs, mine in zip(("w_in", "w_rec", "w_out"),
                                  (result.w_in, result.w_rec, result.w_out), ours):
        change = np.diff(theirs, axis=0)
        assert np.all(np.abs(change).max(axis=(1, 2)) > 1e-3), name  # it learned
        np.testing.assert_allclose(change, np.diff(mine, axis=0), rtol=0, atol=1e-12,
                                   err_msg=name)


def test_bad_inputs_are_refused_before_simulating():
    task = nest_eprop.sine_wave_task(n_in=4, n_rec=3, steps=10)
    args = [task[k] for k in ("w_in", "w_rec", "w_out", "b", "inputs", "target")]
    with pytest.raises(UserError, match="w_out must have shape"):
        nest_eprop.run(*args[:2], args[2].T, *args[3:], n_iter=1)
    spiking = args[4].copy()
    spiking[0, 0] = True
    with pytest.raises(UserError, match="silent at step 0"):
        nest_eprop.run(*args[:4], spiking, args[5], n_iter=1)
    with pytest.raises(UserError, match="inputs must have shape"):
        nest_eprop.run(*args[:4], args[4][None], args[5], n_iter=2)
