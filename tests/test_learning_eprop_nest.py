"""e-prop of the learning framework (Brian2 generated code, numpy target) against NEST 3.10's
``eprop_*_bsshslm_2020`` models (:mod:`neuromodels.reference.nest_eprop`, which NEST checks
against the original TensorFlow code), on NEST's own sine-wave regression task: same initial
weights, inputs, targets and parameters -> the first update's weight changes agree (all three
matrices), and so do the loss curves (issue 19).

Conventions that differ, and how each is aligned (NEST's step k; alpha = exp(-dt/tau_m),
zeta = 1 - alpha, kappa = exp(-dt/tau_out), zeta_out = 1 - kappa):

1. Input timing and scale: NEST adds an input spike of step k to v^k *undecayed*
   (v^k = alpha v^{k-1} + zeta I^k); Brian2 delivers a spike after the threshold test of its
   step, so it counts, decayed once, in the next step.  Brian2's input of step n is NEST's of
   step n + 1 (``eprop_inputs``), and a NEST weight w (pA, C_m = 1 pF) is the Brian2 jump
   zeta*w/alpha (mV) (``eprop_state``).  NEST does not deliver inputs at k = 0 and has an
   artefact for inputs at k = 1 (module docstring of nest_eprop): the task is silent there.
2. Recurrent spikes: z^{k-1} enters v^k in NEST, z(n) counts from step n + 1 in Brian2: the
   same timing; the weight is scaled by zeta/alpha as in 1.
3. Reset by subtraction: NEST subtracts v_th from the *decayed* membrane of the next step;
   Brian2 resets before that decay, so the model subtracts v_th/alpha
   (:data:`neuromodels.neurons.eprop.EPROP_IAF`).
4. Threshold: NEST spikes at v >= v_th; the model's threshold is ``v >= v_th``, its
   pseudo-derivative NEST's (gamma/v_th) max(0, 1 - |v - v_th|/v_th), taken after the
   subtraction in both.
5. Presynaptic trace: NEST's x_bar^k = alpha x_bar^{k-1} + zeta s^k includes the spike
   entering v^k; the framework's trace at the threshold of step n sums the spikes of the
   steps before n with alpha^{n-m}: with 1 these are the same spikes, and x_bar_NEST =
   (zeta/alpha) x_bar_Brian2 (absorbed in eta, 8).
6. Eligibility filter: NEST e_bar = kappa e_bar + (1 - kappa) e; the framework's has no
   (1 - kappa) (absorbed in eta, 8).
7. Readout: NEST's y^k = kappa y^{k-1} + zeta_out sum_j W_jm z_j^k sees the spikes of step k
   (the framework's leaky readout too); Brian2's weight is zeta_out*W.  NEST's readout
   trace z_bar = kappa z_bar + zeta_out z is zeta_out times the framework's (8).
8. Normalisation: the framework's per-step MSE is divided by the window |W| = T (L = E/T,
   loss = NEST's / T).  Together with 5-7: eta_hidden = eta T (1 - kappa) (zeta/alpha)^2 mV^2,
   eta_readout = eta T zeta_out^2; weight changes back in NEST's units: dW (alpha/zeta)/mV
   (input, recurrent), dW/zeta_out (readout); loss x T.
9. Feedback: NEST's B_jm (n_rec, n_out) is the framework's route ``B`` (n_out, n_rec),
   transposed.  Refractoriness: NEST blocks spikes and psi for t_ref/dt - 1 steps and keeps
   integrating, as Brian2's ``refractory`` without ``(unless refractory)``; the model resets
   ``lastspike`` at each sample start as NEST resets its counter.  c_reg = 0 (the framework
   has no firing-rate regularisation).

"Relative" is measured per matrix as max |dW_brian - dW_nest| / max |dW_nest|, and per entry
as |dW_brian - dW_nest| / |dW_nest| for every entry above 1e-3 max |dW_nest|.
"""
import numpy as np
import pytest

from neuromodels.devices import brian2_settings
from neuromodels.learning import Program
from neuromodels.networks.learning_checks import (EPROP_TASK, eprop_first_update, eprop_inputs,
                                                  eprop_network, eprop_state, eprop_task,
                                                  nest_eprop_run, nest_units)
from neuromodels.reference import nest_eprop

pytestmark = pytest.mark.skipif(nest_eprop.available() is not None,
                                reason=str(nest_eprop.available()))

# the task, the networks and the unit conversions are the declared check's
# (neuromodels/networks/learning_checks.py: eprop_nest, run by tests/test_validation.py at
# t_ref = 0): one home
T = EPROP_TASK["steps"]
SEED, SPREAD_SEEDS = 3, range(5)
MATRICES = (("input_to_hidden", "w_in"), ("hidden_to_hidden", "w_rec"),
            ("hidden_to_output", "w_out"))


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _assert_changes_agree(got, want, name, rtol=0.01, floor=1e-3):
    """max |got - want| / max |want| and, above floor * max |want|, per entry, within rtol."""
    scale = np.abs(want).max()
    assert scale > 1e-4, name                                  # it learned
    assert np.abs(got - want).max() / scale < rtol, name
    big = np.abs(want) > floor * scale
    assert big.sum() >= 0.5 * want.size, name                  # most entries are compared
    np.testing.assert_allclose(got[big], want[big], rtol=rtol, atol=0, err_msg=name)


def _losses_agree_within_seed_spread(n_iter, t_ref):
    """NEST's loss curves for task seeds 0-4 (their spread: the s.d. over seeds per
    iteration) and the Brian2 and NEST curves of one seed after n_iter updates; returns
    Brian2's result and NEST's run of that seed (with its weights)."""
    runs = {s: nest_eprop_run(eprop_task(s), n_iter, record_weights=s == SEED, t_ref=t_ref)
            for s in SPREAD_SEEDS}
    spread = np.array([run.loss for run in runs.values()]).std(axis=0)
    net = eprop_network(t_ref=t_ref)
    task = eprop_task(SEED)
    x, targets = eprop_inputs(task, n_iter)
    res = Program(net, n_iter).run(eprop_state(net, task), x, targets, lr_scale=1.0)
    ours, theirs = res["loss"] * T, runs[SEED].loss
    assert theirs[-1] < 0.8 * theirs[0]                        # it learned
    assert np.all(np.abs(ours - theirs) <= spread), np.abs(ours - theirs) / spread
    np.testing.assert_allclose(ours, theirs, rtol=0.01)      # and, tighter, within 1 %
    return res, runs[SEED]


@pytest.mark.parametrize("t_ref", [0.0, 3.0])
def test_first_update_weight_changes_equal_nest(t_ref):
    """One sequence: the change of every input, recurrent and readout weight equals NEST's
    within 1 % (per matrix and per entry), and so does the sequence's loss; without and with
    refractoriness (t_ref in ms)."""
    found = eprop_first_update(seed=SEED, t_ref=t_ref)
    np.testing.assert_allclose(*found["loss"], rtol=0.01)
    for name, (change, want) in found["changes"].items():
        _assert_changes_agree(change, want, name)


def test_loss_curve_over_10_iterations_within_nest_seed_spread():
    """Ten sequences (one update each), t_ref = 3 ms (so that refractoriness also starts
    afresh with each sequence): the loss curve within the spread of NEST's curves over task
    seeds 0-4, and the weights after the tenth update equal NEST's (1 %)."""
    res, reference = _losses_agree_within_seed_spread(10, t_ref=3.0)
    start = eprop_state(eprop_network(), eprop_task(SEED))
    for name, key in MATRICES:
        change = nest_units(name, res["state"][name, "w"] - start[name, "w"])
        _assert_changes_agree(change, getattr(reference, key)[-1] - getattr(reference, key)[0],
                              name)


@pytest.mark.long
def test_loss_curve_over_100_iterations_within_nest_seed_spread():
    """The issue's 100 iterations, NEST's example without refractoriness (NEST for
    five seeds, 20 000 Brian2 steps; 30-50 s on 2 loaded cores)."""
    _losses_agree_within_seed_spread(100, t_ref=0.0)
