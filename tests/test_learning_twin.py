"""The differentiable twin (learning.twin): the same spikes as the Brian2 program, spike for
spike (feed-forward and recurrent), gradients of the smoothed network equal central finite
differences, the readout's losses (per sample and per step, leaky readouts: equal to the
Brian2 program's), e-prop == BPTT with a detached reset without recurrence, input gradients,
one error naming everything that cannot be translated."""
import numpy as np
import pytest
from brian2 import mV, ms
from scipy.stats import norm

from neuromodels.devices import brian2_settings
from neuromodels.exact import float64
from neuromodels.learning import (EProp, InputLayer, Layer, LearningNetwork, OutputError,
                                  Program, Projection, Readout, feedforward, ndl_neuron)
from neuromodels.learning.twin import Twin, TwinError
from neuromodels.model import NeuronModel, SynapseModel
from neuromodels.neurons.noisy import diffusive_lif, with_surrogate
from neuromodels.parameters import Parameter, ParameterSet, positive

#: The README's hard-threshold LIF written from scratch, with a Gaussian surrogate.
MY_LIF = with_surrogate(NeuronModel(
    name="my_lif", equations="dv/dt = -v/tau_m : volt",
    parameters=ParameterSet(positive("tau_m", 2 * ms), Parameter("v_th", 1 * mV),
                            Parameter("v_reset", 0 * mV)),
    threshold="v > v_th", reset="v = v_reset", initial=(("v", "v_reset"),)),
    sigma_surrogate=0.4 * mV)


def _recurrent(model, n_in=8, n_hidden=10, n_out=3, T=10):
    return LearningNetwork(
        InputLayer(n_in), [Layer("hidden", n_hidden, model), Layer("output", n_out, model)],
        [Projection("input", "hidden"), Projection("hidden", "hidden"),
         Projection("hidden", "output")],
        [OutputError("output")], [], Readout("output"), T=T)


def _state(net, scale, seed=1):
    state = net.initial_state(seed=seed)
    for name, factor in scale.items():
        state[name, "w"] = state[name, "w"] * factor
    return state


def assert_twin_fires_as_brian2(net, state, inputs):
    """Every layer's spikes in the twin are the Brian2 program's, and every layer fires."""
    expected = _brian2_spikes(net, state, inputs)
    twin = Twin(net)
    spikes = twin.run(twin.parameters(state), inputs)
    for name, want in expected.items():
        assert 0.05 < want.mean() < 0.5, (name, want.mean())     # the layers do fire
        np.testing.assert_array_equal(np.asarray(spikes[name]), want, err_msg=name)


def _brian2_spikes(net, state, inputs):
    """0/1 spikes {layer: (n_samples, T, n)} of the Brian2 evaluation program (numpy)."""
    n = len(inputs)
    with brian2_settings(target="numpy"):
        program = Program(net, n, plastic=False, record=tuple(net.layers))
        program.run(state, inputs)
    out = {}
    for name, monitor in program.monitors.items():
        steps = np.rint(np.asarray(monitor.t_) / float(net.dt)).astype(int)
        spikes = np.zeros((n, net.T, net.layers[name].n))
        inside = steps < n * net.T            # the extra last step belongs to no sample
        spikes[steps[inside] // net.T, steps[inside] % net.T,
               np.asarray(monitor.i[:])[inside]] = 1
        out[name] = spikes
    return out


@pytest.mark.parametrize("kind", ["feedforward", "recurrent"])
def test_twin_fires_the_spikes_of_the_brian2_network(kind):
    """Same weights and input spikes: every layer's spikes, per sample, step and neuron, are
    those of the Brian2 program (a feed-forward 8-12-3 net of the deterministic NDL neuron,
    and a net of the README's hard-threshold LIF with a recurrent hidden layer)."""
    if kind == "feedforward":
        net = feedforward([8, 12, 3], ndl_neuron(deterministic=True), T=10)
        state = _state(net, {"input_to_hidden": 3, "hidden_to_output": 8})
    else:
        net = _recurrent(MY_LIF)
        state = _state(net, {"input_to_hidden": 3, "hidden_to_hidden": 3,
                             "hidden_to_output": 6})
    inputs = (np.random.default_rng(0).random((6, net.T, 8)) < 0.3).astype(float)
    assert_twin_fires_as_brian2(net, state, inputs)


def test_smoothed_firing_is_the_integral_of_the_declared_derivative():
    """P(v) of the smoothed twin of a Gaussian surrogate of width 0.4 mV is the normal CDF."""
    layer = Twin(_recurrent(MY_LIF)).layers["hidden"]
    v = np.linspace(-1, 3, 9) * 1e-3
    with float64():
        p = np.asarray(layer.smooth()({"v": v}))
    np.testing.assert_allclose(p, norm.cdf((v - 1e-3) / 0.4e-3), rtol=1e-12, atol=1e-15)


def test_the_antiderivative_is_kept_across_processes(tmp_path, monkeypatch):
    """The integral of dP/dv (sympy, 1.4 s) is kept in the cache folder: read back, with
    sympy not asked again, the twin's P(v) is still the normal CDF (to 1e-12)."""
    from neuromodels.learning import jax_code

    monkeypatch.setenv("NEUROMODELS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("NEUROMODELS_CACHE", raising=False)
    try:
        jax_code._integrate.cache_clear()
        test_smoothed_firing_is_the_integral_of_the_declared_derivative()      # derived
        assert len(list((tmp_path / "antiderivatives").iterdir())) == 1
        jax_code._integrate.cache_clear()
        monkeypatch.setattr(jax_code, "_integrate_sympy", lambda *a: pytest.fail("derived"))
        test_smoothed_firing_is_the_integral_of_the_declared_derivative()      # read back
    finally:
        jax_code._integrate.cache_clear()


def test_smoothed_gradient_equals_central_finite_differences():
    """BPTT through the smoothed network (soft spikes P(v), soft resets, a recurrent layer,
    per-neuron learned thresholds) equals central finite differences within 1e-4 relative,
    for weights of all three projections and the thresholds."""
    model = MY_LIF.per_neuron("v_th")
    net = LearningNetwork(
        InputLayer(4), [Layer("hidden", 5, model), Layer("output", 4, model)],
        [Projection("input", "hidden"), Projection("hidden", "hidden"),
         Projection("hidden", "output")],
        [OutputError("output")], [], Readout("output", per_class=2), T=6)
    state = _state(net, {"input_to_hidden": 3, "hidden_to_hidden": 2, "hidden_to_output": 4})
    inputs = (np.random.default_rng(2).random((3, 6, 4)) < 0.4).astype(float)
    labels = np.array([0, 1, 1])
    twin = Twin(net)
    params = twin.parameters(state)
    _, grads = twin.loss_and_gradient(params, inputs, labels, smooth=True)
    h = 1e-7                                   # volt; weights and thresholds are ~1 mV
    rng = np.random.default_rng(0)
    checked = 0
    for name, value in params.items():
        value = np.asarray(value)
        flat = [np.unravel_index(k, value.shape) for k in rng.choice(value.size, 3, False)]
        for index in flat:
            if name == "hidden_to_hidden" and index[0] == index[1]:
                continue                               # no self-connection
            up, down = value.copy(), value.copy()
            up[index] += h
            down[index] -= h
            fd = (float(twin.loss({**params, name: up}, inputs, labels, smooth=True))
                  - float(twin.loss({**params, name: down}, inputs, labels, smooth=True))) / (2 * h)
            g = float(np.asarray(grads[name])[index])
            assert abs(g - fd) <= 1e-4 * abs(fd) + 1e-9, (name, index, g, fd)
            checked += abs(fd) > 1.0
    assert checked >= 6                                # most checked entries matter


def test_losses_are_the_readouts():
    """The twin's losses of given counts: cross-entropy of softmax(beta*count/(P T)) over
    classes of P = 2 neurons, and 1/2 sum (count/T - y)^2 (y_on for the label's neurons)."""
    counts = np.array([[3.0, 1.0, 0.0, 5.0], [0.0, 2.0, 4.0, 4.0]])
    labels = np.array([1, 0])
    for loss in ("ce", "mse"):
        net = LearningNetwork(InputLayer(2), [Layer("output", 4, MY_LIF)],
                              [Projection("input", "output")],
                              [OutputError("output", loss=loss, beta=3.0)], [],
                              Readout("output", per_class=2), T=5)
        got = float(Twin(net).loss_of_counts(counts, labels))
        if loss == "ce":
            z = 3.0 * net.readout.scores(counts) / (2 * 5)
            want = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(2), labels])
        else:
            y = np.where(np.arange(4)[None, :] // 2 == labels[:, None], 0.8, 0.05)
            want = np.mean(0.5 * np.sum((counts / 5 - y) ** 2, axis=1))
        assert got == pytest.approx(want, rel=1e-12)


def test_untranslatable_network_is_refused_in_one_message():
    """Noise (xi), a refractory period and an on_pre that is not '<var>_post += <expr>' are
    all named, with the layer's model and the projection (a spike-probability input is
    translated: tests/test_learning_twin_inputs.py)."""
    noisy = with_surrogate(diffusive_lif())
    setter = SynapseModel(name="setter", parameters=ParameterSet(), model="w : volt",
                          on_pre="v_post = w")
    net = LearningNetwork(InputLayer(4, mode="rates"),
                          [Layer("hidden", 3, noisy), Layer("output", 2, MY_LIF)],
                          [Projection("input", "hidden"),
                           Projection("hidden", "output", synapse=setter)],
                          [OutputError("output")], [], Readout("output"), T=5)
    with pytest.raises(TwinError) as err:
        Twin(net)
    text = str(err.value)
    for part in ("layer 'hidden' (model 'diffusive_lif')", "refractory", "xi",
                 "projection 'hidden_to_output' (synapse model 'setter')", "v_post = w"):
        assert part in text, part
    assert "'output'" not in text and "'input'" not in text     # translatable: not named


def test_twin_program_refuses_a_learning_rate_of_the_wrong_unit():
    from neuromodels.learning.twin_program import TwinProgram
    from neuromodels.parameters import ParameterError

    net = _recurrent(MY_LIF)
    with pytest.raises(ParameterError, match="'lr' must have unit volt2"):
        TwinProgram(net, 4, lr=1 * mV)
    with pytest.raises(ParameterError, match="'lr'"):
        TwinProgram(net, 4, lr=-1 * mV ** 2)


def test_bptt_trains_the_two_pattern_task_through_train():
    """TwinProgram in the ONE training loop: the README's two-pattern task (8 inputs, 12
    hidden and 2 output neurons of the README's LIF, rate-coded) goes from chance (no
    learning: 0.45) to a test accuracy >= 0.9 in two epochs; an update is -lr times the
    twin's surrogate gradient (mean over a batch of 2)."""
    from neuromodels.learning import train
    from neuromodels.learning.twin_program import TwinProgram

    net = LearningNetwork(InputLayer(8), [Layer("hidden", 12, MY_LIF), Layer("output", 2, MY_LIF)],
                          [Projection("input", "hidden"), Projection("hidden", "output")],
                          [OutputError("output", loss="ce")], [], Readout("output"), T=10)
    rng = np.random.default_rng(0)

    def two_patterns(n):
        y = rng.integers(0, 2, n)
        return np.where((np.arange(8) < 4) == (y[:, None] == 0), 0.6, 0.05), y

    (x_train, y_train), (x_test, y_test) = two_patterns(60), two_patterns(40)
    program = TwinProgram(net, 100, lr=1 * mV ** 2)
    state = net.initial_state(seed=2)
    frozen = train(net, state, x_train, y_train, x_test, y_test, epochs=1, program=program,
                   lr_schedule=lambda epoch, epochs: 0.0)
    trained = train(net, state, x_train, y_train, x_test, y_test, epochs=2, program=program)
    assert frozen["history"]["test_accuracy"][-1] <= 0.6
    assert trained["history"]["test_accuracy"][-1] >= 0.9
    assert program.builds == 1 and program.reruns == 2

    two = TwinProgram(net, 2, lr=1 * mV ** 2, batch_size=2,    # one SGD step on 2 samples
                      precision="float64")                        # as exact as the twin
    spikes = (rng.random((2, 10, 8)) < 0.5).astype(float)
    new = two.run(state, spikes, np.array([1, 0]), lr_scale=0.5)["state"]
    twin = two.twin
    _, grads = twin.loss_and_gradient(twin.parameters(state), spikes, np.array([1, 0]))
    for name in ("input_to_hidden", "hidden_to_output"):
        step = np.asarray(new[name, "w"] / mV) - np.asarray(state[name, "w"] / mV)
        want = -0.5 * 1e-6 * np.asarray(grads[name]) / 1e-3     # lr = 1 mV^2, in mV
        assert np.any(want != 0)
        np.testing.assert_allclose(step, want, rtol=1e-9, atol=1e-12)


# --------------------------------------------------------------------------------------------
# non-spiking readouts and per-step losses; e-prop == BPTT with a detached reset; input
# gradients (the networks of tests/test_learning_methods.py)
# --------------------------------------------------------------------------------------------

def _program_run(net, state, spikes, y, lr_scale):
    with brian2_settings(target="numpy"):
        return Program(net, len(spikes)).run(state, spikes, y, lr_scale=lr_scale)


@pytest.mark.parametrize("case", ["readout", "spiking"])
def test_twin_loss_and_tallies_equal_the_brian2_programs(case):
    """The twin's loss per sample equals the Brian2 program's res['loss'] (lr 0) to 1e-9 and
    its tallies equal res['counts']: a leaky non-spiking readout (its summed y) after a
    recurrent ALIF hidden layer, with the per-step cross-entropy in a decision window of 8
    steps; and a spiking output layer whose per-step MSE on label targets (window 5) reads the
    firing probability.  (Per-step MSE of a readout on given targets:
    test_bptt_through_train_makes_eprops_updates_without_recurrence.)"""
    from .test_learning_methods import _hidden, _net, _task

    spikes, labels, _ = _task()
    if case == "readout":
        net = _net("eprop", "alif", "ce", recurrent=True)
    else:
        net = LearningNetwork(
            InputLayer(6), [_hidden("hidden", 5), _hidden("output", 3)],
            [Projection("input", "hidden", init_scale=3 * mV),
             Projection("hidden", "output", init_scale=3 * mV)],
            [OutputError("output", loss="mse", timing="step", window=5)],
            [EProp(layers=("output",), eta=1 * mV ** 2)], Readout("output"), T=12)
    state = net.initial_state(seed=3)
    res = _program_run(net, state, spikes, labels, 0.0)
    twin = Twin(net)
    params = twin.parameters(state)
    np.testing.assert_allclose(np.asarray(twin.losses(params, spikes, labels)), res["loss"],
                               rtol=1e-9, atol=1e-12)
    counts = twin.counts(params, spikes)
    np.testing.assert_allclose(np.asarray(counts["output"]), res["counts"]["output"],
                               rtol=1e-9, atol=1e-12)
    assert 0.05 < float(np.asarray(counts["hidden"]).mean()) / net.T < 0.5   # it fires
    assert np.all(res["loss"] > 0.05)


def _eprop_changes(net, state, spikes, targets, detach=True):
    """Weight changes of one e-prop sample in Brian2 and -eta x the twin's BPTT gradient,
    per projection, in SI units; the program's result; the twin."""
    res = _program_run(net, state, spikes, targets, 1.0)
    twin = Twin(net, detach_reset=detach)
    params = twin.parameters(state)
    loss, grads = twin.loss_and_gradient(params, spikes, targets)
    eta = {name: float(rule.p["eta"]) for rule in net.rules for name in rule.governs(net)}
    changes, want = {}, {}
    for p in net.projections:
        changes[p.name] = np.asarray(res["state"][p.name, "w"] - state[p.name, "w"])
        want[p.name] = -eta[p.post] * np.asarray(grads[p.name])
    return changes, want, res, twin


def test_eprop_is_bptt_with_a_detached_reset_without_recurrence():
    """input 6 -> LIF hidden 5 -> leaky readout 3, per-step MSE on given targets, e-prop with
    symmetric feedback of the raw error and kappa = the readout's tau: the weight changes of
    one sample (Brian2, numpy) equal -eta x the twin's BPTT gradient with detach_reset=True
    (hard forward, surrogate backward) to 1e-6 relative, both matrices (Bellec et al. 2020,
    Methods: e-prop is exact for a network without recurrence).  Differentiating the reset
    breaks the equality.  With a recurrent
    hidden layer e-prop truncates: the cosine of its update with BPTT's is < 1 (printed)."""
    from .test_learning_methods import _net, _task

    spikes, _, targets = _task(n=1, seed=5)
    net = _net("eprop", "lif", "mse")
    state = net.initial_state(seed=3)
    changes, want, res, twin = _eprop_changes(net, state, spikes, targets)
    params = twin.parameters(state)
    for name, change in changes.items():     # hidden_to_output's: the hidden layer fired
        assert np.count_nonzero(change) > change.size // 2, name
        np.testing.assert_allclose(change, want[name], rtol=1e-6,
                                   atol=1e-6 * np.abs(want[name]).max(), err_msg=name)

    _, grads = Twin(net).loss_and_gradient(params, spikes, targets)   # reset differentiated
    eta = float(net.rules[0].p["eta"])
    attached = -eta * np.asarray(grads["input_to_hidden"])
    assert np.abs(attached - want["input_to_hidden"]).max() > \
        1e-2 * np.abs(want["input_to_hidden"]).max()

    net = _net("eprop", "lif", "mse", recurrent=True)
    state = net.initial_state(seed=3)
    changes, want, res, _ = _eprop_changes(net, state, spikes, targets)
    for name in ("input_to_hidden", "hidden_to_hidden"):
        a, b = changes[name].ravel(), want[name].ravel()
        cosine = float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
        print(f"recurrent e-prop vs BPTT, {name}: cosine {cosine:.4f}")
        assert -1 < cosine <= 1


def test_input_gradient_equals_central_finite_differences():
    """d loss_k / d inputs_k (the attacks' gradient) of a smoothed recurrent LIF network with a
    leaky readout and per-step MSE on given targets equals central finite differences of the
    twin's loss in the input array within 1e-4 relative; the straight-through gradient of
    Bernoulli rates is, for rates 0 or 1 (spikes known), the spike array's summed over steps."""
    from neuromodels.neurons.readout import leaky_readout

    net = LearningNetwork(
        InputLayer(4), [Layer("hidden", 5, MY_LIF), Layer("output", 2, leaky_readout(),
                                                          params={"tau_m": 5 * ms})],
        [Projection("input", "hidden"), Projection("hidden", "hidden"),
         Projection("hidden", "output", init_scale=1.0)],
        [OutputError("output", loss="mse", timing="step", targets="given", window=4)], [],
        Readout("output"), T=6)
    state = _state(net, {"input_to_hidden": 3, "hidden_to_hidden": 2})
    rng = np.random.default_rng(3)
    inputs = (rng.random((2, 6, 4)) < 0.4).astype(float)
    targets = rng.uniform(-0.5, 0.5, (2, 6, 2))
    twin = Twin(net)
    params = twin.parameters(state)
    losses, grad = twin.input_gradient(params, inputs, targets, smooth=True)
    grad = np.asarray(grad)
    assert grad.shape == inputs.shape
    h, checked = 1e-6, 0
    for flat in rng.choice(inputs.size, 12, replace=False):
        index = np.unravel_index(flat, inputs.shape)
        up, down = inputs.copy(), inputs.copy()
        up[index] += h
        down[index] -= h
        k = index[0]
        fd = (float(twin.input_gradient(params, up, targets, smooth=True)[0][k])
              - float(twin.input_gradient(params, down, targets, smooth=True)[0][k])) / (2 * h)
        assert abs(grad[index] - fd) <= 1e-4 * abs(fd) + 1e-9, (index, grad[index], fd)
        checked += abs(fd) > 1e-3
    assert checked >= 6

    rates = (rng.random((2, 4)) < 0.5).astype(float)
    spikes = np.repeat(rates[:, None, :], 6, axis=1)
    _, spike_grad = twin.input_gradient(params, spikes, targets, smooth=True)
    _, rate_grad = twin.rate_gradient(params, rates, targets, smooth=True)
    np.testing.assert_allclose(np.asarray(rate_grad), np.asarray(spike_grad).sum(axis=1),
                               rtol=1e-12, atol=1e-15)
    assert np.abs(np.asarray(rate_grad)).max() > 1e-3


def test_bptt_through_train_makes_eprops_updates_without_recurrence():
    """TwinProgram on the e-prop configuration (LIF hidden layer, leaky readout, per-step MSE
    on given targets) with detach_reset=True and e-prop's learning rates per projection: one
    epoch of three samples through train_epoch ends at the weights of e-prop's Brian2 epoch
    (1e-6 relative; SGD per sample == e-prop's updates at sample ends), with its losses."""
    from neuromodels.learning import train_epoch
    from neuromodels.learning.twin_program import TwinProgram

    from .test_learning_methods import _net, _task

    spikes, _, targets = _task(n=3, seed=6)
    net = _net("eprop", "lif", "mse")
    state = net.initial_state(seed=4)
    with brian2_settings(target="numpy"):
        eprop = train_epoch(net, state, spikes, targets)
    lr = {"input_to_hidden": net.rules[0].p["eta"], "hidden_to_output": net.rules[1].p["eta"]}
    program = TwinProgram(net, 3, lr=lr, detach_reset=True, precision="float64")
    bptt = train_epoch(net, state, spikes, targets, program=program)
    np.testing.assert_allclose(bptt["loss"], eprop["loss"], rtol=1e-9)
    np.testing.assert_allclose(bptt["counts"]["output"], eprop["counts"]["output"], rtol=1e-9)
    for name in lr:
        change = np.asarray(eprop["state"][name, "w"] - state[name, "w"])
        got = np.asarray(bptt["state"][name, "w"] - state[name, "w"])
        assert np.count_nonzero(change) > change.size // 2, name
        np.testing.assert_allclose(got, change, rtol=1e-6, atol=1e-6 * np.abs(change).max(),
                                   err_msg=name)
