"""The online rules' per-step code in one pass over the synapses (issue 19, performance):
without a filter and adaptation the eligibility psi_post*xbar_pre is not stored, and the
result equals the stored form's (``eligibility='per_step'``) to 1e-12; every plastic
projection runs one per-step operation.  Exactness against the numpy model of every method:
tests/test_learning_methods.py."""
import numpy as np
import pytest

from neuromodels.devices import brian2_settings
from neuromodels.learning import Program

from .test_learning_methods import _net, _task


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _with_eligibility(net, eligibility):
    """The network's rules with ``eligibility`` (same layers and parameters otherwise)."""
    for k, rule in enumerate(net.rules):
        params = {**rule.p, "eligibility": eligibility}
        net.rules[k] = type(rule)(layers=rule.layers, **params)
    return net


def _per_step_operations(program, owner):
    return [obj for obj in program.brian_network.objects
            if obj.name.startswith(f"nm_{owner}_run_regularly")
            and obj.clock is program.step_clock]


@pytest.mark.parametrize("method, loss", [("ottt", "ce"), ("eprop", "mse")])
def test_one_pass_form_equals_the_stored_eligibility(method, loss):
    """OTTT (updates every step) and e-prop (its readout's gradient summed over the sample;
    the hidden layer filters with kappa and keeps ebar): the unstored form gives the weights,
    outputs and losses of the stored form to 1e-12, with no per-synapse ``ebar`` where the
    rule has neither filter nor adaptation, and one per-step operation per projection."""
    spikes, labels, targets = _task()
    y = targets if loss == "mse" else labels
    results = {}
    for eligibility in ("auto", "per_step"):
        net = _with_eligibility(_net(method, "lif", loss), eligibility)
        state = net.initial_state(seed=3)
        program = Program(net, len(labels))
        results[eligibility] = program.run(state, spikes, y, lr_scale=1.0)
        for proj in net.projections:
            syn = program.synapses[proj.name]
            filtered = method == "eprop" and proj.post == "hidden"
            assert ("ebar" in syn.variables) == (filtered or eligibility == "per_step"), \
                (proj.name, eligibility)
            assert len(_per_step_operations(program, proj.name)) == 1, proj.name
    one, stored = results["auto"], results["per_step"]
    np.testing.assert_allclose(one["loss"], stored["loss"], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(one["counts"]["output"], stored["counts"]["output"],
                               rtol=1e-12, atol=1e-15)
    for proj in net.projections:
        key = (proj.name, "w")
        a, b = np.asarray(one["state"][key]), np.asarray(stored["state"][key])
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15 * np.abs(b).max(),
                                   err_msg=proj.name)
        assert not np.array_equal(b, np.asarray(state[key])), proj.name    # it learned
