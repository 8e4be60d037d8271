"""The differentiable twin (learning.twin): the same spikes as the Brian2 program, spike for
spike (feed-forward and recurrent), gradients of the smoothed network equal central finite
differences, the readout's losses, one error naming everything that cannot be translated."""
import numpy as np
import pytest
from brian2 import mV, ms
from scipy.stats import norm

from neuromodels.devices import brian2_settings
from neuromodels.exact import float64
from neuromodels.learning import (InputLayer, Layer, LearningNetwork, OutputError, Program,
                                  Projection, Readout, feedforward, ndl_neuron)
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
    expected = _brian2_spikes(net, state, inputs)
    twin = Twin(net)
    spikes = twin.run(twin.parameters(state), inputs)
    for name, want in expected.items():
        assert 0.05 < want.mean() < 0.5, (name, want.mean())     # the layers do fire
        np.testing.assert_array_equal(np.asarray(spikes[name]), want, err_msg=name)


def test_smoothed_firing_is_the_integral_of_the_declared_derivative():
    """P(v) of the smoothed twin of a Gaussian surrogate of width 0.4 mV is the normal CDF."""
    layer = Twin(_recurrent(MY_LIF)).layers["hidden"]
    v = np.linspace(-1, 3, 9) * 1e-3
    with float64():
        p = np.asarray(layer.smooth()({"v": v}))
    np.testing.assert_allclose(p, norm.cdf((v - 1e-3) / 0.4e-3), rtol=1e-12, atol=1e-15)


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
    """Noise (xi), a refractory period, spike-probability input and an on_pre that is not
    '<var>_post += <expr>' are all named, with the layer's model and the projection."""
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
    for part in ("layer 'hidden' (model 'diffusive_lif')", "refractory", "xi", "rates",
                 "projection 'hidden_to_output' (synapse model 'setter')", "v_post = w"):
        assert part in text, part
    assert "'output'" not in text                      # the translatable layer is not named


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

    two = TwinProgram(net, 2, lr=1 * mV ** 2, batch_size=2)    # one SGD step on 2 samples
    spikes = (rng.random((2, 10, 8)) < 0.5).astype(float)
    new = two.run(state, spikes, np.array([1, 0]), lr_scale=0.5)["state"]
    twin = two.twin
    _, grads = twin.loss_and_gradient(twin.parameters(state), spikes, np.array([1, 0]))
    for name in ("input_to_hidden", "hidden_to_output"):
        step = np.asarray(new[name, "w"] / mV) - np.asarray(state[name, "w"] / mV)
        want = -0.5 * 1e-6 * np.asarray(grads[name]) / 1e-3     # lr = 1 mV^2, in mV
        assert np.any(want != 0)
        np.testing.assert_allclose(step, want, rtol=1e-9, atol=1e-12)
