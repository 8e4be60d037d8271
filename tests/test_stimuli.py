"""Input protocols (neuromodels/stimuli.py) against their analytic properties, and as Brian2
sees them when a group reads them in run_regularly code."""
import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, StateMonitor, mV, ms, nA, second

from neuromodels import stimuli
from neuromodels.devices import brian2_settings


def test_ou_variance_and_correlation_time():
    """Stationary s.d. and exp(-lag/tau) autocorrelation, from the first sample on (started
    in the stationary distribution). 200 paths of 2000 steps: the s.e. of the variance is
    ~ sqrt(2/200) = 10 % per step, so pooled over steps it is well below 1 %."""
    rng = np.random.default_rng(0)
    dt, tau, std = 0.1 * ms, 5 * ms, 0.05 * nA
    x = np.array([np.asarray(stimuli.ou_process(rng, 2000, dt, tau, std, mean=0.16 * nA) / nA)
                  for _ in range(200)])
    assert x.mean() == pytest.approx(0.16, abs=0.005)
    assert x[:, 0].std() == pytest.approx(0.05, rel=0.15)  # stationary from step 0
    assert x.std() == pytest.approx(0.05, rel=0.02)
    d = x - x.mean()
    for lag in (10, 50, 100):  # 1, 5, 10 ms
        corr = np.mean(d[:, :-lag] * d[:, lag:]) / d.var()
        assert corr == pytest.approx(np.exp(-lag * 0.1 / 5), abs=0.02)


def test_ou_draws_n_normals_and_checks_units():
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    x = stimuli.ou_process(a, 7, 0.1 * ms, 5 * ms, 2 * mV)
    assert x.shape == (7,) and x.dim == mV.dim
    b.standard_normal(7)
    np.testing.assert_array_equal(a.random(3), b.random(3))  # exactly 7 normals were drawn
    with pytest.raises(ValueError, match="mean"):
        stimuli.ou_process(a, 7, 0.1 * ms, 5 * ms, 2 * mV, mean=1 * nA)
    with pytest.raises(ValueError, match="tau"):
        stimuli.ou_process(a, 7, 0.1 * ms, 0 * ms, 2 * mV)
    with pytest.raises(ValueError, match="dt"):
        stimuli.ou_process(a, 7, 5 * mV, 5 * ms, 2 * mV)


def test_frozen_noise_is_the_same_path_every_time():
    f = stimuli.frozen_noise(np.random.default_rng(1), 20 * ms, 0.1 * ms, 5 * ms, 1 * nA)
    again = stimuli.ou_process(np.random.default_rng(1), 200, 0.1 * ms, 5 * ms, 1 * nA)
    np.testing.assert_array_equal(np.asarray(f.values), np.asarray(again))


def _played(stim, duration, dt):
    """What a group reads from ``stim`` at the start of every step."""
    with brian2_settings(target="numpy", dt=dt):
        g = NeuronGroup(1, "x : 1", namespace={"stim": stim})
        g.run_regularly("x = stim(t) / nA", when="start")
        mon = StateMonitor(g, "x", record=0, when="end")
        Network(g, mon).run(duration)
    return np.asarray(mon.t / ms), mon.x[0]


def test_step_switches_in_the_step_that_contains_its_times():
    stim = stimuli.step(0.2 * nA, 2 * ms, 5 * ms, 10 * ms, 0.1 * ms, baseline=0.05 * nA)
    t, x = _played(stim, 10 * ms, 0.1 * ms)
    on = (t >= 2 - 1e-9) & (t < 5 - 1e-9)
    assert on.sum() == 30  # 3 ms of 0.1 ms steps
    np.testing.assert_allclose(x[on], 0.25)
    np.testing.assert_allclose(x[~on], 0.05)
    with pytest.raises(ValueError, match="stop"):
        stimuli.step(1 * nA, 5 * ms, 2 * ms, 10 * ms, 0.1 * ms)
    with pytest.raises(ValueError, match="baseline"):
        stimuli.step(1 * nA, 1 * ms, 2 * ms, 10 * ms, 0.1 * ms, baseline=1 * mV)


def test_ramp_slope_and_plateaus():
    stim = stimuli.ramp(0 * nA, 1 * nA, 2 * ms, 7 * ms, 10 * ms, 0.5 * ms)
    t, x = _played(stim, 10 * ms, 0.5 * ms)
    np.testing.assert_allclose(x, np.clip((t - 2) / 5, 0, 1), atol=1e-12)


def test_sinusoid_amplitude_frequency_and_nyquist():
    stim = stimuli.sinusoid(0.03 * nA, 10 * Hz, 1 * second, 0.1 * ms, mean=0.1 * nA)
    v = np.asarray(stim.values / nA)
    assert v.max() == pytest.approx(0.13, abs=1e-9) and v.min() == pytest.approx(0.07, abs=1e-9)
    spectrum = np.abs(np.fft.rfft(v - v.mean()))
    assert np.argmax(spectrum) == 10  # 10 cycles in 1 s
    _, x = _played(stim, 50 * ms, 0.1 * ms)
    np.testing.assert_allclose(x, 0.1 + 0.03 * np.sin(2 * np.pi * 10 * np.arange(500) * 1e-4))
    with pytest.raises(ValueError, match="Nyquist"):
        stimuli.sinusoid(1 * nA, 6000 * Hz, 1 * second, 0.1 * ms)
    with pytest.raises(ValueError, match="frequency"):
        stimuli.sinusoid(1 * nA, 10 * ms, 1 * second, 0.1 * ms)
