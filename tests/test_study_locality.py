"""The locality study (Lin et al. 2025): its quick run holds what plot() and results() need,
BPTT's reference gradient and a method's update are compared at the same weights (an SGD
step of the twin gives cosine 1), the twin that every attack queries predicts what the Brian2
network predicts, and NES recovers the smoothed twin's input gradient at the study's budget."""
from pathlib import Path

import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels import store
from neuromodels.analysis.attacks import nes_gradient
from neuromodels.analysis.similarity import update_cosine
from neuromodels.devices import brian2_settings
from neuromodels.learning import Twin, evaluate
from neuromodels.networks import locality as loc
from neuromodels.parameters import ParameterError
from neuromodels.study import discover

STUDY = discover([Path(__file__).resolve().parent.parent / "studies"])["locality"]
ATTACKS = ("gaussian", "deletion", "fgsm", "pgd", "nes")


def test_locality_quick_run_holds_every_panel_and_claim(quick_study):
    data = store.read(quick_study("locality"))
    d, n_seeds = data["digits"], len(data["seeds"])
    epochs, levels = STUDY.quick["epochs"], STUDY.quick["n_levels"]
    for arch in loc.ARCHITECTURES:
        for m in loc.METHODS:
            r = d[arch][m]
            assert r["test"].shape == r["seconds"].shape == r["cka"].shape == (n_seeds, epochs)
            assert r["cosine"].shape == (n_seeds, epochs)      # the change of every epoch
            assert np.all((r["cka"] >= 0) & (r["cka"] <= 1 + 1e-12))
            assert np.all(np.abs(r["cosine"]) <= 1)
            clean = [r[k][:, 0] for k in ATTACKS]
            assert all(c.shape == (n_seeds,) for c in clean)
            # strength 0 of every curve is the same clean prediction of the same twin
            for c in clean[1:]:
                np.testing.assert_array_equal(c, clean[0])
            assert all(r[k].shape == (n_seeds, levels) for k in ATTACKS)
            # peak memory of each training, measured (VmHWM): the Brian2 or XLA run's buffers
            assert r["memory"].shape == (n_seeds,) and np.all(r["memory"] > 0), r["memory"]
        # BPTT compared with itself: CKA 1 (same network, same spikes)
        np.testing.assert_allclose(d[arch]["bptt"]["cka"], 1, atol=1e-9)
        assert d[arch]["bptt"]["test"][:, -1].mean() > 0.2     # 10 classes: chance 0.1
    text = STUDY.results(data)
    for claim in ("1. digits", "2. digits", "3. digits"):
        assert claim in text


def _tiny(method="bptt", arch="feedforward"):
    return loc.network(method, arch, 8, 6, 2, T=8, w_in=2 * mV, w_rec=2 * mV, w_out=1.0)


def _spikes(n, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 8, 8)) < 0.4).astype(float), rng.integers(0, 2, n)


@pytest.mark.parametrize("arch", loc.ARCHITECTURES)
def test_one_sgd_step_of_the_twin_has_cosine_one_with_the_reference_gradient(arch):
    """TwinProgram with one batch of all samples at learning-rate factor 1: its weight change
    is -eta * BPTT's gradient at the start, so weight_change and bptt_gradient give cosine 1
    (a sign or key slip gives -1 or an error)."""
    net = _tiny(arch=arch)
    spikes, y = _spikes(6)
    state = net.initial_state(seed=3)
    program = loc.program("bptt", net, 6, eta=1 * mV ** 2, eta_out=0.5, batch_size=6,
                          precision="float64")          # the reference's precision
    after = program.run(state, spikes, y, lr_scale=1.0)["state"]
    keys = loc.hidden_keys(net)
    grad = loc.bptt_gradient(Twin(net), state, spikes, y, keys)
    change = loc.weight_change(state, after, keys)
    for name in change:
        np.testing.assert_allclose(change[name], -1e-6 * grad[name], rtol=1e-9, atol=1e-18)
    assert update_cosine(change, {k: -g for k, g in grad.items()}) == pytest.approx(1, abs=1e-9)


def test_the_probe_predicts_what_the_brian2_network_predicts():
    """Every robustness curve queries the twin (Probe): on the same input spikes its classes
    are those of the Brian2 network of the method (numpy target)."""
    net = _tiny("e-prop", "recurrent")
    state = net.initial_state(seed=1)
    spikes, y = _spikes(20, seed=2)
    with brian2_settings(target="numpy"):
        brian2 = evaluate(net, state, spikes, y)
    probe = loc.Probe(Twin(_tiny("bptt", "recurrent")), state)
    assert len(set(brian2["predictions"])) > 1          # not a constant answer
    np.testing.assert_array_equal(probe.predict_spikes(spikes), brian2["predictions"])


def test_the_probe_reads_the_answer_in_the_last_window_steps_only():
    """Probe(window=k) reads the readout in the last k steps (a temporal task's recall).  With
    a readout time constant far below dt nothing outlasts a step there (exp(-dt/tau)
    underflows to 0), and without input the hidden membranes only decay, below threshold:
    input spikes only in the first 4 of 8 steps leave the readout exactly 0 in the last 3, so
    every window answer is the tie's class 0, while the whole sample's answers differ;
    window = T is the whole sample."""
    fast = dict(T=8, tau_out=1e-6 * ms, w_in=2 * mV, w_out=1.0)
    net = loc.network("bptt", "feedforward", 8, 6, 3, **fast)
    twin, state = Twin(net), net.initial_state(seed=0)
    spikes, _ = _spikes(30)
    spikes[:, 4:] = 0                                   # nothing in the last 4 steps
    whole = loc.Probe(twin, state).predict_spikes(spikes)
    assert len(set(whole)) > 1
    np.testing.assert_array_equal(loc.Probe(twin, state, window=3).predict_spikes(spikes), 0)
    np.testing.assert_array_equal(loc.Probe(twin, state, window=8).predict_spikes(spikes), whole)
    for bad in (0, 9):
        with pytest.raises(ParameterError, match="window must be"):
            loc.Probe(twin, state, window=bad)


def test_nes_recovers_the_smoothed_twins_input_gradient_at_the_study_budget():
    """The issue's check: NES with the study's queries per step (64 inputs, as the digits)
    against the exact input gradient of the smoothed twin's loss, cosine > 0.9 per sample."""
    net = loc.network("bptt", "feedforward", 64, 16, 3, T=8)
    twin = Twin(net)
    params = twin.parameters(net.initial_state(seed=0))
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0.1, 0.9, (3, 64)), np.array([0, 1, 2])

    def loss(z):                         # the expected input, the same in every step
        full = np.broadcast_to(z[:, None, :], (len(z), 8, 64))
        return np.asarray(twin.losses(params, full, y, smooth=True))

    full = np.broadcast_to(x[:, None, :], (3, 8, 64))
    exact = np.asarray(twin.input_gradient(params, full, y, smooth=True)[1]).sum(axis=1)
    est = nes_gradient(loss, x, sigma=1e-3, n_queries=STUDY.parameters["nes_queries"].default,
                       seed=5)
    cos = np.sum(est * exact, axis=1) / np.linalg.norm(est, axis=1) / np.linalg.norm(exact,
                                                                                     axis=1)
    assert np.all(cos > 0.9), cos


def test_bad_method_or_architecture_is_refused_naming_it():
    with pytest.raises(ParameterError, match="method must be one of"):
        loc.network("sgd", "feedforward", 4, 4, 2)
    with pytest.raises(ParameterError, match="architecture must be one of"):
        loc.network("bptt", "lstm", 4, 4, 2)


def test_an_attack_radius_beyond_the_input_range_is_refused():
    """The attacks perturb spike probabilities in [0, 1]: an L-inf radius above 1 (a typo for
    0.2, say) reaches every input from every other; it ran the whole study before."""
    with pytest.raises(ParameterError, match="'eps_max' must be > 0 and <= 1; got 2"):
        STUDY.parameters.resolve(eps_max=2.0)
    assert STUDY.parameters.resolve(eps_max=1.0)["eps_max"] == 1.0

def test_fewer_steps_than_the_readout_window_is_refused_naming_T():
    """T below the readout's window would fail inside the first network build, naming a
    parameter ('window') the study does not have: refused when the parameters are read."""
    with pytest.raises(ParameterError, match=f"'T' must be >= {loc.WINDOW}; got {loc.WINDOW - 1}"):
        STUDY.parameters.resolve(T=loc.WINDOW - 1)
    with pytest.raises(ParameterError, match="'window' = 6 steps exceeds the sample's T = 5"):
        loc.network("e-prop", "feedforward", 4, 4, 2, T=loc.WINDOW - 1)
    assert STUDY.parameters.resolve(T=loc.WINDOW)["T"] == loc.WINDOW
    loc.network("e-prop", "recurrent", 4, 4, 2, T=loc.WINDOW)          # the bound itself fits
