"""The two spike-time learning tasks of Klos & Memmesheimer (arXiv 2309.14523).

Task 1 uses the fixed inputs of the task definition (shared/reference/spike-time-tasks.md),
so it is compared with the reference's figures: silent start with pseudospikes at 10.692,
11.894; both spikes real from update 1768; both within 1e-3 of the targets at update 2780.
Both implementations compute the same closed-form dynamics in float64 and differ only in
rounding, so the update counts are required within 1 %.

Task 2 uses our own Poisson draw (``recurrent_inputs``, default seed), not the reference's,
so no reference loss values apply; the tests check the draw against the task definition and
the fall of the loss measured on our draw.
"""

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="the exact solver needs JAX: pip install -e '.[exact]'")

from neuromodels.exact.tasks import (RECURRENT_SEED, RecurrentTask, SingleNeuronTask,  # noqa: E402 (after the importorskip)
                                    recurrent_inputs, train_recurrent, train_single_neuron)


@pytest.fixture(scope="module")
def task1():
    return train_single_neuron(3000, chunk=1000)


def test_task1_starts_silent_with_reference_pseudospikes(task1):
    h = task1["history"]
    assert h.step_name == "trial" and len(h) == 3000 and h.summary["K"] >= 23
    t0 = h["t_out"][0]
    assert np.all(t0 > 10.0)
    np.testing.assert_allclose(t0, [10.692, 11.894], atol=5e-4)


def test_task1_both_spikes_reach_targets(task1):
    h = task1["history"]
    t_out, targets = h["t_out"], task1["targets"]
    within = np.all(np.abs(t_out - targets) < 1e-3, axis=1)
    assert within.any()
    first = int(np.argmax(within))
    assert np.all(within[first:])  # stays there
    assert abs(first - 2780) <= 28  # reference: update 2780
    real = np.all(t_out < 10.0, axis=1)
    first_real = int(np.argmax(real))
    assert abs(first_real - 1768) <= 18  # reference: update 1768
    # spike times move continuously: no jump larger than the maximal step allows
    assert np.max(np.abs(np.diff(t_out, axis=0))) < 0.5
    assert h["loss"][-1] < 1e-12 * h["loss"][0]


def test_task1_learned_times_stay_in_trial(task1):
    h = task1["history"]
    assert np.all((h["times"] >= 0) & (h["times"] <= 10.0))
    # the clipped-SGD bound: no parameter moves more than lr * clip = 0.002 per update
    assert np.max(np.abs(np.diff(h["weights"], axis=0))) <= 0.002 + 1e-15


def test_task2_inputs_follow_the_task_definition():
    """Our own draw (numpy, seeded): per neuron one excitatory (+5) and one inhibitory (-5)
    Poisson train at rate 1 in [0, T); reproducible per seed, different across seeds."""
    t, c = recurrent_inputs()
    t2, c2 = recurrent_inputs(RECURRENT_SEED)
    np.testing.assert_array_equal(t, t2)
    np.testing.assert_array_equal(c, c2)
    assert np.all(np.diff(t) >= 0) and np.all((t >= 0) & (t < 10.0))
    assert set(np.unique(c)) <= set(range(20))
    # 20 channels x rate 1 x T 10: Poisson(200) spikes in all; 5 sd = 71
    assert abs(len(t) - 200) < 71
    other = recurrent_inputs(RECURRENT_SEED + 1)[0]
    assert len(other) != len(t) or not np.allclose(other, t)
    # many draws: the mean count per channel is rate * T (sd of the mean over 200 channel
    # draws: sqrt(10/200) = 0.22)
    counts = [np.bincount(recurrent_inputs(s)[1], minlength=20) for s in range(10)]
    assert abs(np.mean(counts) - 10.0) < 5 * np.sqrt(10 / 200)
    task = RecurrentTask()
    w_in = np.asarray(task.w_in)  # (n_in, N): channel i excites, channel 10 + i inhibits i
    assert w_in.shape == (20, 10)
    assert np.all(w_in[np.arange(10), np.arange(10)] == 5.0)
    assert np.all(w_in[10 + np.arange(10), np.arange(10)] == -5.0)
    assert np.count_nonzero(w_in) == 20
    # targets of the task definition, each followed by the sentinel at 1.1 T
    assert [len(x) for x in task.targets] == [6, 5]
    assert float(task.targets[0][-1]) == pytest.approx(11.0)
    with pytest.raises(ValueError):
        RecurrentTask(in_times=t)


def test_task2_loss_falls_in_the_first_300_updates():
    """Default configuration (AdaBelief, decaying learning rate), default draw.

    Measured on this draw: loss[299]/loss[0] = 1.06e-2 (0.919 -> 9.74e-3). Required: below
    3e-2, i.e. a fall of at least 1.5 orders of magnitude; the 3x margin covers rounding
    differences between machines, which move individual spikes across the trial end at
    slightly different updates. Wrong gradients do not give such a fall."""
    res = train_recurrent(300, chunk=300)
    h = res["history"]
    loss = h["loss"]
    assert np.all(np.isfinite(loss))
    assert loss[-1] < 3e-2 * loss[0]
    # the learned network fires its target neurons' spikes inside the trial
    assert np.all(h["t_out_0"][-1][:-1] < 10.0)
    # the learned weights are (n_pre, n_post) with an empty diagonal
    W = res["final_W"]
    assert W.shape == (10, 10) and np.all(np.diag(W) == 0) and np.any(W != 0)


@pytest.mark.long
@pytest.mark.parametrize("line_search", [False, True], ids=["decay", "line_search"])
def test_task2_loss_falls_three_orders_of_magnitude(line_search):
    """The paper's claim on our default draw, for both configurations: 10001 trials of
    AdaBelief with decaying learning rate, and 10000 trials of AdaBelief(b2=0.99) with the
    per-step line search (spike times moving < 0.5). See the module docstring of
    ``neuromodels.exact.tasks`` for the measured values and their draw dependence."""
    h = train_recurrent(10000 if line_search else 10001, chunk=500, line_search=line_search)
    loss = h["history"]["loss"]
    assert np.all(np.isfinite(loss))
    assert loss[-1] < 1e-3 * loss[0]


@pytest.mark.parametrize("make", [lambda: SingleNeuronTask(T=-1.0), lambda: RecurrentTask(T=0),
                                  lambda: RecurrentTask(N=1), lambda: recurrent_inputs(N=0),
                                  lambda: recurrent_inputs(rate=-1.0),
                                  lambda: train_single_neuron(-5),
                                  lambda: train_recurrent(10, line_search=True, dt_max=0)])
def test_task_parameter_validation(make):
    with pytest.raises(ValueError):
        make()
