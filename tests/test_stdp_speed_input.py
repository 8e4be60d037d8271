"""The Poisson input of a training program, drawn per step (default: one rand() per input and
step, compared with the sample's probability read once per sample) or by intervals
(``InputLayer(draw='intervals')``: the steps to each next spike, geometric), against the
analytic Bernoulli process: spike counts ~ Binomial(presentation steps, p), inter-spike
intervals (steps) ~ Geometric(p), P(k) = p (1 - p)^(k - 1), nothing in the rest; and the
speed-ups that must not change a number: the adaptive threshold's gate is one value per
step (its decay factor computed once per step, not per neuron)."""
from functools import lru_cache

import numpy as np
import pytest
from brian2 import mV, ms
from scipy import stats

from neuromodels.devices import brian2_settings
from neuromodels.networks.diehl_cook import diehl_cook
from neuromodels.parameters import ParameterError

from .test_learning_unsupervised import RecordingProgram

PRESENT, REST, SAMPLES = 300, 100, 8
#: per input: p = 0 (never), 1 (every presentation step), and 0.02 ... 0.3
P = np.concatenate([[0.0, 1.0], np.repeat([0.02, 0.1, 0.3], 40)])


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


@lru_cache(maxsize=None)
def _input_spikes(draw):
    """(step of each input spike, input index) of a training run of SAMPLES samples."""
    net = diehl_cook(len(P), 2, dt=1 * ms, t_present=PRESENT * ms, t_rest=REST * ms,
                     J_input=0.1 * mV, input_draw=draw)
    program = RecordingProgram(net, SAMPLES)
    program.run(net.initial_state(seed=1), np.tile(P, (SAMPLES, 1)), np.zeros(SAMPLES),
                lr_scale=1.0, seed=4)
    mon = program.spikes["input"]
    assert program.groups["exc"].variables["theta_adapting"].scalar
    return np.rint(np.asarray(mon.t / ms)).astype(int), np.asarray(mon.i[:])


@pytest.mark.parametrize("draw", ["steps", "intervals"])
def test_input_spikes_are_the_bernoulli_process_of_the_sample_probabilities(draw):
    steps, i = _input_spikes(draw)
    T = PRESENT + REST
    assert np.all(steps % T < PRESENT), "an input spike in the rest"
    assert not np.any(i == 0), "p = 0 spiked"
    np.testing.assert_array_equal(np.sort(steps[i == 1]),
                                  [k * T + s for k in range(SAMPLES) for s in range(PRESENT)])
    n_steps = SAMPLES * PRESENT
    for p in (0.02, 0.1, 0.3):
        counts = np.bincount(i, minlength=len(P))[P == p]
        mean, sd = n_steps * p, np.sqrt(n_steps * p * (1 - p))
        z = (counts.sum() - counts.size * mean) / (sd * np.sqrt(counts.size))
        assert abs(z) < 4, (p, counts.mean(), mean)
        # the spread of the counts across inputs: Binomial(n_steps, p)
        edges = np.floor([mean - sd, mean, mean + sd]).astype(int)
        assert _fits(counts, edges, stats.binom(n_steps, p)) > 1e-3, (p, draw)
        # intervals ~ Geometric(p): those from spikes at least L steps before the end of the
        # presentation (a choice by the start, not the length), longer ones as L + 1
        geom = stats.geom(p)
        L = int(geom.ppf(0.95))
        isi = []
        for j in np.flatnonzero(P == p):
            for k in range(SAMPLES):
                s = np.sort(steps[(i == j) & (steps // T == k)]) - k * T
                gaps = np.append(np.diff(s), L + 1)
                isi += list(np.minimum(gaps, L + 1)[s <= PRESENT - 1 - L])
        edges = np.unique(np.append(geom.ppf(np.linspace(0, 0.9, 10)[1:]).astype(int), L))
        assert _fits(np.asarray(isi), edges, geom) > 1e-3, (p, draw, len(isi))


def _fits(values, edges, dist) -> float:
    """Chi-square p-value of integer ``values`` in the bins (-inf, e0], (e0, e1], ...,
    (e_last, inf) against the discrete distribution ``dist``."""
    observed = np.bincount(np.searchsorted(edges, values, side="left"),
                           minlength=len(edges) + 1)
    expected = np.diff(np.concatenate([[0.0], dist.cdf(edges), [1.0]])) * len(values)
    return stats.chisquare(observed, expected).pvalue

def test_interval_draws_differ_from_the_default_and_are_an_option():
    """Not the same random numbers (the option is not the default path), and the option
    applies to rate-coded input only."""
    a, b = _input_spikes("steps"), _input_spikes("intervals")
    assert a[0].size != b[0].size or not np.array_equal(a[0], b[0])
    from neuromodels.learning import InputLayer

    with pytest.raises(ParameterError, match="draw"):
        InputLayer(4, mode="spikes", draw="intervals")
