"""The twin's input layers (learning.twin): an input's rest steps and a 'rates' input, whose
spikes the twin draws itself (its own numbers, Brian2's distribution)."""
import numpy as np
import pytest

from neuromodels.exact import float64
from neuromodels.learning import InputLayer, Layer, LearningNetwork, OutputError, Projection, \
    Readout
from neuromodels.learning.twin import Twin, TwinError
from neuromodels.learning.twin_program import TwinProgram

from .test_learning_twin import MY_LIF, _state, assert_twin_fires_as_brian2


def _net(mode, rest=0, T=10):
    return LearningNetwork(
        InputLayer(8, mode=mode, rest=rest),
        [Layer("hidden", 12, MY_LIF), Layer("output", 3, MY_LIF)],
        [Projection("input", "hidden"), Projection("hidden", "hidden"),
         Projection("hidden", "output")],
        [OutputError("output")], [], Readout("output"), T=T)


@pytest.mark.parametrize("mode", ["spikes", "rates"])
def test_rest_and_rates_inputs_fire_the_spikes_of_the_brian2_network(mode):
    """An input with 3 silent rest steps per sample, 0/1 spikes or 0/1 rates (a probability 0
    or 1 fires alike for every draw): every layer's spikes are the Brian2 program's."""
    net = _net(mode, rest=3)
    state = _state(net, {"input_to_hidden": 3, "hidden_to_hidden": 3, "hidden_to_output": 6})
    rng = np.random.default_rng(0)
    inputs = (rng.random((6, net.T, 8)) < 0.3).astype(float) if mode == "spikes" else \
        (rng.random((6, 8)) < 0.4).astype(float)
    assert_twin_fires_as_brian2(net, state, inputs)


def test_rates_input_draws_independent_bernoulli_spikes():
    """The twin's draw of a 'rates' input: per step and channel a spike with probability r
    (8000 samples x 10 steps: the mean within 4 binomial standard deviations of r, the
    product of two steps' spikes that of r^2: independent steps), none in the rest."""
    net = _net("rates", rest=2)
    twin = Twin(net)
    r = np.linspace(0.05, 0.95, 8)
    n = 8000
    with float64():
        import jax

        u = np.asarray(twin._draws(jax.random.PRNGKey(3), n)["input"]["u"])
        s = np.asarray(jax.vmap(twin._input_spikes, (None, 0))(r, u))
    assert set(np.unique(s)) == {0.0, 1.0}
    assert not s[:, -2:].any()
    live = s[:, :-2]                                                 # (n, 8 steps, 8)
    sd = np.sqrt(r * (1 - r) / (n * 8))
    np.testing.assert_array_less(np.abs(live.mean(axis=(0, 1)) - r), 4 * sd)
    pairs = (live[:, 0::2] * live[:, 1::2]).mean(axis=(0, 1))     # 4 disjoint pairs of steps
    sd = np.sqrt(r ** 2 * (1 - r ** 2) / (n * 4))
    np.testing.assert_array_less(np.abs(pairs - r ** 2), 4 * sd)


def test_rates_gradient_is_the_spike_gradient_at_the_drawn_spikes():
    """input_gradient of a 'rates' net (straight through its draw) equals the 0/1 spike
    array's gradient of the same net with a 'spikes' input at the spikes drawn, summed over
    the steps; a TwinProgram's run of a 'rates' net has the losses and output counts of the
    'spikes' net at the spikes it drew."""
    rates_net, spikes_net = _net("rates"), _net("spikes")
    state = _state(rates_net, {"input_to_hidden": 3, "hidden_to_hidden": 3,
                               "hidden_to_output": 6})
    rng = np.random.default_rng(1)
    rates, y = rng.uniform(0.1, 0.6, (5, 8)), rng.integers(0, 3, 5)
    twin, spike_twin = Twin(rates_net), Twin(spikes_net)
    params = twin.parameters(state)
    with float64():
        import jax

        key = jax.random.PRNGKey(0)
        u = np.asarray(twin._draws(key, 5)["input"]["u"])
        drawn = (u < rates[:, None, :]).astype(float)
        loss, grad = twin.input_gradient(params, rates, y, key=key)
        spike_loss, spike_grad = spike_twin.input_gradient(params, drawn, y)
    np.testing.assert_allclose(np.asarray(loss), np.asarray(spike_loss), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grad), np.asarray(spike_grad).sum(axis=1),
                               rtol=1e-12, atol=1e-15)
    assert np.abs(np.asarray(grad)).max() > 1e-3
    with pytest.raises(TwinError, match="rates itself"):
        twin.rate_gradient(params, rates, y)
    with pytest.raises(TwinError, match=r"probabilities in \[0, 1\]"):
        twin.run(params, rates * 2)

    program = TwinProgram(rates_net, 5, precision="float64")    # its draws: PCG64(seed)
    res = program.run(state, rates, y, lr_scale=0.0, seed=7)
    u = twin._draws(np.random.default_rng(7), 5)["input"]["u"]
    drawn = (u < rates[:, None, :]).astype(float)
    np.testing.assert_allclose(res["loss"], np.asarray(spike_twin.losses(params, drawn, y)),
                               rtol=1e-12)
    np.testing.assert_array_equal(res["counts"]["output"],
                                  np.asarray(spike_twin.counts(params, drawn)["output"]))
