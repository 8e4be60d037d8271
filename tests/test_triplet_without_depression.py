"""``triplet_stdp(triplet_depression=False)`` (the model without the slow presynaptic trace
r2, as Diehl & Cook's rule uses it) gives the weights of the full model with A3_minus = 0,
bit for bit, on the same spike trains (all-to-all and nearest spike), and refuses the
parameters it no longer has."""
import numpy as np
import pytest
from brian2 import Network, second

from neuromodels.devices import brian2_settings
from neuromodels.networks import imposed
from neuromodels.parameters import ParameterError
from neuromodels.synapses import triplet

pytestmark = pytest.mark.compat


@pytest.mark.parametrize("interaction", ["all", "nearest"])
def test_without_triplet_depression_equals_a3_minus_zero(interaction):
    rng = np.random.default_rng(4)
    pre = imposed.poisson_trains(rng, 4, 30, 1.0, start=0.05, dt=1e-3)
    post = imposed.poisson_trains(rng, 4, 30, 1.0, start=0.05, dt=1e-3, avoid=pre)
    common = dict(data="hippocampal", interaction=interaction, A2_plus=0.01, A3_plus=0.02,
                  A2_minus=0.015)
    rules = {"full": triplet.triplet_stdp(A3_minus=0.0, **common),
             "short": triplet.triplet_stdp(triplet_depression=False, **common)}
    assert "r2" not in rules["short"].model and "A3_minus" not in rules["short"].parameters
    with brian2_settings(target="numpy"):
        stage = imposed.Stage(imposed.post_neuron())
        index = {name: stage.add(pre, post) for name in rules}
        objects = stage.build()
        syn = {name: stage.connect(rule, *index[name], name=name) for name, rule in rules.items()}
        Network(*objects, *syn.values()).run(1.1 * second)
    w = {name: np.array(s.w[:]) for name, s in syn.items()}
    assert np.ptp(w["full"]) > 0.01              # the trains changed the weights
    np.testing.assert_array_equal(w["short"], w["full"])


def test_without_triplet_depression_refuses_its_parameters():
    for name in ("A3_minus", "tau_x"):
        with pytest.raises(ParameterError, match=name):
            triplet.triplet_stdp(triplet_depression=False, **{name: 0.1 if name == "A3_minus"
                                                               else 0.1 * second})
