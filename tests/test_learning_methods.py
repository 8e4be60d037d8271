"""The online learning methods as configurations of the one framework: e-prop, OTTT, DFA and
DECOLLE, each one epoch of Brian2's generated code == a numpy model written from the
docstrings of rules/signals/schedule; a readout's update == minus the learning rate times the
central finite-difference gradient of the loss measured by the Brian2 network itself;
leaky readouts, per-step targets and windows, per-step cross-entropy, errors said at
construction."""
import warnings

import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.devices import brian2_settings, use_device
from neuromodels.learning import (DECOLLE, NDL_NEURON_PARAMETERS, OTTT, EProp, Feedback,
                                  InputLayer, Layer, LearningNetwork, OutputError, Program,
                                  Projection, Readout, ndl_neuron, train, train_epoch)
from neuromodels.neurons.readout import leaky_readout
from neuromodels.neurons.thresholds import adaptive_threshold
from neuromodels.parameters import ParameterError

from .conftest import require_device

T = 12
TAU_OUT = 5 * ms
HIDDEN = dict(NDL_NEURON_PARAMETERS, v_th=0.3 * mV)
ALIF_PARAMS = dict(HIDDEN, tau_theta=4 * ms, delta_theta=0.1 * mV, sigma_surrogate=0.4 * mV)


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _alif():
    """The deterministic ALIF without dead time (e-prop's neuron; Brian2's `(unless
    refractory)` would also drop input in the step of a spike)."""
    model = adaptive_threshold(noise="gaussian", deterministic=True)
    from dataclasses import replace
    return replace(model, equations=model.equations.replace(" (unless refractory)", ""),
                   refractory=None, parameters=model.parameters.without("t_ref"))


def _hidden(name, n, kind="lif"):
    if kind == "alif":
        return Layer(name, n, _alif(), params=ALIF_PARAMS)
    return Layer(name, n, ndl_neuron("gaussian", deterministic=True), params=HIDDEN)


def _readout(name, n):
    return Layer(name, n, leaky_readout(), params={"tau_m": TAU_OUT})


def _net(method, kind="lif", loss="mse", recurrent=False):
    """input 6 -> hidden (5) [-> hidden2 (4)] -> leaky readout (3), trained per step."""
    step = dict(timing="step")
    out_err = OutputError("output", loss=loss, targets="given" if loss == "mse" else "label",
                          window=8 if loss == "ce" else 0, beta=2.0, **step)
    hidden_rate = dict(eta=1.0 * mV ** 2, w_max=20 * mV)
    out_rate = dict(eta=0.2, w_max=50.0)
    layers = [_hidden("hidden", 5, kind), _readout("output", 3)]
    projections = [Projection("input", "hidden", init_scale=3 * mV),
                   Projection("hidden", "output", init_scale=1.0)]
    if recurrent:
        projections.append(Projection("hidden", "hidden", init_scale=1 * mV))
    readout = Readout("output")
    if method == "eprop":
        signals = [out_err,
                   Feedback("output", "hidden", weights="symmetric", send="error", **step)]
        rules = [EProp(layers=("hidden",), tau_kappa=TAU_OUT, **hidden_rate),
                 EProp(layers=("output",), **out_rate)]
    elif method == "ottt":
        signals = [out_err,
                   Feedback("output", "hidden", weights="symmetric", send="error", **step)]
        rules = [OTTT(layers=("hidden",), **hidden_rate), OTTT(layers=("output",), **out_rate)]
    elif method == "dfa":      # two hidden layers, both fed the raw output error directly
        layers.insert(1, _hidden("hidden2", 4, kind))
        projections[1:2] = [Projection("hidden", "hidden2", init_scale=3 * mV),
                            Projection("hidden2", "output", init_scale=1.0)]
        signals = [out_err] + [Feedback("output", h, weights="random", send="error", scale=2.0,
                                        **step) for h in ("hidden", "hidden2")]
        rules = [OTTT(layers=("hidden", "hidden2"), **hidden_rate),
                 OTTT(layers=("output",), **out_rate)]
    else:                      # DECOLLE: each hidden layer trained by its own local readout
        layers = [_hidden("hidden", 5, kind), _hidden("hidden2", 4, kind),
                  _readout("local", 3), _readout("output", 3)]
        projections = [Projection("input", "hidden", init_scale=3 * mV),
                       Projection("hidden", "hidden2", init_scale=3 * mV),
                       Projection("hidden", "local", init_scale=1.0, plastic=False),
                       Projection("hidden2", "output", init_scale=1.0, plastic=False)]
        signals = [out_err, OutputError("local", loss=loss, **{
                       k: out_err.p[k] for k in ("targets", "window", "beta", "timing")}),
                   Feedback("local", "hidden", weights="symmetric", send="error", **step),
                   Feedback("output", "hidden2", weights="symmetric", send="error", **step)]
        rules = [DECOLLE(layers=("hidden", "hidden2"), **hidden_rate)]
    return LearningNetwork(InputLayer(6), layers, projections, signals, rules, readout, T=T)


def _task(n=6, seed=1):
    rng = np.random.default_rng(seed)
    spikes = (rng.random((n, T, 6)) < 0.35).astype(float)
    labels = rng.integers(0, 3, n)
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 3))
    targets = 0.5 * np.sin(2 * np.pi * np.arange(T)[None, :, None] / T + phase)
    return spikes, labels, targets


# --------------------------------------------------------------------------------------------
# numpy model of one epoch, written from the docstrings
# --------------------------------------------------------------------------------------------

def _gauss(x):
    return np.exp(-0.5 * x ** 2) / np.sqrt(2 * np.pi)


def _value(x, unit):
    return float(x / unit) if unit is not None else float(x)


def _reference(net, state, spikes, labels, targets, lr=1.0):
    dt = float(net.dt / ms)
    names = list(net.layers)
    spiking = {n: bool(net.model(n).threshold) for n in names}

    def par(name, key, unit=mV):
        return _value(net.layers[name].parameter(key, net.model(name)), unit)
    decay = {n: np.exp(-dt / par(n, "tau_m", ms)) for n in names}
    alif = {n: spiking[n] and "theta_a" in net.model(n).equations for n in names}
    rho = {n: np.exp(-dt / par(n, "tau_theta", ms)) if alif[n] else 0.0 for n in names}
    jump = {n: par(n, "delta_theta") if alif[n] else 0.0 for n in names}
    unit = {p.name: (mV if spiking[p.post] else None) for p in net.projections}
    W = {p.name: np.asarray(state[p.name, "w"] / (unit[p.name] or 1)).copy()
         for p in net.projections}
    mask = {p.name: p.mask(net) for p in net.projections}
    B = {r.name: np.asarray(state[r.name, "B"]) for r in net.routes}
    rule_of = {n: r for r in net.rules for n in r.governs(net)}
    errs = [s for s in net.signals if isinstance(s, OutputError)]
    fbs = sorted([s for s in net.signals if isinstance(s, Feedback)],
                 key=lambda s: net.levels[s.target])
    # one presynaptic trace per (pre, post): it decays with the post's tau_m
    traces = {(p.pre, p.post): decay[p.post] for p in net.projections}
    tallies, losses = [], []
    for k, (s_k, label) in enumerate(zip(spikes, labels)):
        size = {n: net.size(n) for n in ["input"] + names}
        v = {n: np.zeros(size[n]) for n in names}
        th_a = {n: np.zeros(size[n]) for n in names}
        xb = {key: np.zeros(size[key[0]]) for key in traces}
        ebar = {p: np.zeros_like(w) for p, w in W.items()}
        eps = {p: np.zeros_like(w) for p, w in W.items()}
        grad = {p: np.zeros_like(w) for p, w in W.items()}
        tally = {n: np.zeros(size[n]) for n in names}
        loss = 0.0
        for n in range(T):
            for name in names:                                       # groups
                v[name] *= decay[name]
                th_a[name] *= rho[name]
            for key in xb:
                xb[key] *= traces[key]
            psi, z = {}, {"input": s_k[n]}
            for name in names:                                       # thresholds
                if spiking[name]:
                    sig = par(name, "sigma_surrogate")
                    thr = par(name, "v_th") + th_a[name]
                    psi[name] = _gauss((v[name] - thr) / sig) / sig
                    z[name] = (v[name] > thr).astype(float)
                else:
                    psi[name] = np.ones(size[name])
                    z[name] = np.zeros(size[name])
            for p in net.projections:
                if p.plastic and spiking[p.post] and p.post in rule_of:
                    kap = rule_of[p.post].p["tau_kappa"]
                    kap = np.exp(-dt / float(kap / ms)) if kap > 0 * ms else 0.0
                    e_now = psi[p.post][None, :] * (xb[p.pre, p.post][:, None] - eps[p.name])
                    ebar[p.name] = kap * ebar[p.name] + e_now
                    eps[p.name] = rho[p.post] * (eps[p.name] + jump[p.post] * e_now)
            for p in net.projections:                                # synapses
                v[p.post] += z[p.pre] @ (W[p.name] * mask[p.name])
            for name in names:                                       # resets
                if spiking[name]:
                    v[name][z[name] > 0] = 0.0
                    th_a[name] += jump[name] * z[name]
                    tally[name] += z[name]
            for key in xb:
                xb[key] += z[key[0]]
            for p in net.projections:                                # end: readout traces
                if p.plastic and not spiking[p.post] and p.post in rule_of:
                    ebar[p.name] = np.repeat(xb[p.pre, p.post][:, None], size[p.post], axis=1)
            L = {}
            for err in errs:
                o, win_len = err.layer, err.window(net)
                inw = float(n >= T - win_len)
                y = v[o]
                if err.p["loss"] == "mse":
                    assert err.p["targets"] == "given"
                    d = y - targets[k, n]
                    L[o] = d * inw / win_len
                    loss += 0.5 * np.sum(d ** 2) * inw / win_len if o == "output" else 0.0
                else:
                    beta = err.p["beta"]
                    soft = np.exp(beta * y) / np.exp(beta * y).sum()
                    onehot = (np.arange(size[o]) == label).astype(float)
                    L[o] = beta / win_len * (soft - onehot) * inw
                    if o == "output":
                        loss += (np.log(np.exp(beta * y).sum()) - beta * y[label]) * inw / win_len
            for fb in fbs:
                if fb.p["weights"] == "symmetric":
                    sent = (W[f"{fb.target}_to_{fb.source}"]) @ L[fb.source]
                else:
                    sent = L[fb.source] @ B[fb.route_name]
                L[fb.target] = L.get(fb.target, 0.0) + sent
            for p in net.projections:                                # updates
                if not (p.plastic and p.post in rule_of):
                    continue
                r = rule_of[p.post]
                eta = _value(r.p["eta"], mV ** 2 if spiking[p.post] else None)
                w_max = _value(r.p["w_max"], unit[p.name])
                change = ebar[p.name] * L[p.post][None, :] * mask[p.name]
                if r.timing == "step":
                    W[p.name] = np.clip(W[p.name] - eta * lr * change, -w_max, w_max)
                else:
                    grad[p.name] += change
            for name in names:
                if not spiking[name]:
                    tally[name] += v[name]                # a readout's y, summed
        for p in net.projections:
            r = rule_of.get(p.post)
            if r is not None and p.plastic and r.timing == "sample":
                eta = _value(r.p["eta"], mV ** 2 if spiking[p.post] else None)
                w_max = _value(r.p["w_max"], unit[p.name])
                W[p.name] = np.clip(W[p.name] - eta * lr * grad[p.name], -w_max, w_max)
        tallies.append(tally[net.readout.layer])
        losses.append(loss)
    return W, np.array(tallies), np.array(losses)


CASES = [("eprop", "lif", "mse", False), ("eprop", "alif", "ce", True),
         ("ottt", "lif", "ce", False), ("dfa", "lif", "mse", False),
         ("decolle", "alif", "mse", False)]


@pytest.mark.parametrize("method, kind, loss, recurrent", CASES)
def test_online_method_epoch_equals_numpy_reference(method, kind, loss, recurrent):
    """One epoch of every online method: weights, the readout's summed output and the loss
    per sample equal the numpy model (rtol 1e-9); every plastic weight learned."""
    spikes, labels, targets = _task()
    net = _net(method, kind, loss, recurrent)
    state = net.initial_state(seed=3)
    res = train_epoch(net, state, spikes, targets if loss == "mse" else labels)
    W, tallies, losses = _reference(net, state, spikes, labels, targets)
    hidden_spikes = res["counts"]
    assert hidden_spikes["output"].shape == tallies.shape
    np.testing.assert_allclose(res["counts"]["output"], tallies, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res["loss"], losses, rtol=1e-9, atol=1e-12)
    for p in net.projections:
        unit = mV if net.model(p.post).threshold else 1
        got = np.asarray(res["state"][p.name, "w"] / unit)
        np.testing.assert_allclose(got, W[p.name], rtol=1e-9, atol=1e-12, err_msg=p.name)
        before = np.asarray(state[p.name, "w"] / unit)
        assert np.allclose(got, before) != p.plastic, p.name      # learned iff plastic


@pytest.mark.parametrize("method, loss", [("eprop", "ce"), ("ottt", "mse"), ("decolle", "ce")])
def test_every_object_of_a_program_runs_on_the_networks_steps(method, loss):
    """Every Brian2 object of a training program runs on the network's step clock or a
    multiple of it (sample ends, chunks), whatever Brian2's default clock is: an object left
    on the default clock (0.1 ms here, the network's step 1 ms) would run ten times a step
    (the per-step softmax's summed variables did: 10x the steps of a locality epoch)."""
    spikes, labels, targets = _task(n=2)
    net = _net(method, loss=loss)
    program = Program(net, 2)
    with brian2_settings(dt=0.1 * ms):
        program.run(net.initial_state(seed=0), spikes, targets if loss == "mse" else labels)
    ratios = {o.name: float(o.clock.dt / net.dt) for o in program.brian_network.objects}
    assert min(ratios.values()) == 1.0
    assert all(abs(r - round(r)) < 1e-9 for r in ratios.values()), ratios


def test_online_epoch_on_cpp_standalone_equals_numpy_reference():
    """The per-step path in generated C++ (signals routed and applied in the 'end' slot of
    the same step, summed variables moved there): e-prop with ALIF neurons and a recurrent
    layer, one epoch == the numpy model, and a second epoch re-runs the same binary."""
    require_device("cpp_standalone")
    spikes, labels, _ = _task()
    net = _net("eprop", "alif", "ce", True)
    state = net.initial_state(seed=3)
    program = Program(net, len(labels))
    with use_device("cpp_standalone", seed=0) as session:
        res = program.run(state, spikes, labels, lr_scale=1.0, session=session)
        again = program.run(res["state"], spikes, labels, lr_scale=1.0, session=session)
    W, tallies, losses = _reference(net, state, spikes, labels, None)
    np.testing.assert_allclose(res["counts"]["output"], tallies, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res["loss"], losses, rtol=1e-9, atol=1e-12)
    for p in net.projections:
        unit = mV if net.model(p.post).threshold else 1
        np.testing.assert_allclose(np.asarray(res["state"][p.name, "w"] / unit), W[p.name],
                                   rtol=1e-9, atol=1e-12, err_msg=p.name)
    W2, _, _ = _reference(net, res["state"], spikes, labels, None)
    np.testing.assert_allclose(np.asarray(again["state"]["hidden_to_hidden", "w"] / mV),
                               W2["hidden_to_hidden"], rtol=1e-9, atol=1e-12)


def test_readout_update_is_minus_eta_times_the_finite_difference_gradient():
    """input -> leaky readout, per-step MSE on given targets, e-prop applied at the sample's
    end: the change of every weight equals -eta times the central finite difference of the
    loss that the Brian2 network itself reports (the loss is quadratic in w: exact).  The
    reference is the declared check's (networks/learning_checks.py), one home."""
    from neuromodels.networks.learning_checks import readout_updates

    found = readout_updates(leaky_readout(), dict(seed=4, steps=T, tau_m=TAU_OUT, h=1e-4,
                                                  pairs=6))
    assert len(found["pairs"]) == 6
    for i, j in found["pairs"]:
        assert abs(found["fd"][i, j]) > 1e-3
        np.testing.assert_allclose(found["change"][i, j], -found["eta"] * found["fd"][i, j],
                                   rtol=1e-6)


def test_errors_are_said_when_the_network_is_built_all_at_once():
    """A per-step cross-entropy on a spiking layer, a feedback without a gain on a model
    without tau_m, a window longer than the sample: one message naming each."""
    from neuromodels.model import NeuronModel
    from neuromodels.neurons.noisy import with_surrogate
    from neuromodels.parameters import Parameter, ParameterSet

    no_tau = with_surrogate(NeuronModel(
        name="no_tau", equations="dv/dt = -v/(2*ms) : volt",
        parameters=ParameterSet(Parameter("v_th", 1 * mV), Parameter("v_reset", 0 * mV)),
        threshold="v > v_th", reset="v = v_reset"), sigma_surrogate=0.4 * mV)
    with pytest.raises(ParameterError) as err:
        LearningNetwork(InputLayer(4), [_hidden("hidden", 3), Layer("output", 2, no_tau)],
                        [Projection("input", "hidden"), Projection("hidden", "output")],
                        [OutputError("output", loss="ce", timing="step", window=50),
                         Feedback("output", "hidden", timing="step")],
                        [OTTT(eta=1 * mV ** 2)], Readout("output"), T=10)
    text = str(err.value)
    for part in ("per-step cross-entropy needs a non-spiking readout", "give the parameter "
                 "'gain'", "'window' = 50", "no parameter 'tau_m'"):
        assert part in text, part


def test_a_silent_output_layer_is_warned_about_in_the_first_epoch():
    """An output layer that never fires trains at chance: training says so after epoch 1."""
    net = LearningNetwork(InputLayer(6), [_hidden("output", 3)],
                          [Projection("input", "output", init_scale=0.01 * mV)],
                          [OutputError("output")], [EProp(signal="sample", eta=0 * mV ** 2)],
                          Readout("output"), T=T)
    spikes, labels, _ = _task(n=4)
    x = spikes.mean(axis=1)
    with pytest.warns(RuntimeWarning, match="output layer 'output' fired no spike"):
        train(net, net.initial_state(seed=0), x, labels, epochs=1)


def test_per_step_cross_entropy_learns_to_classify():
    """e-prop with a leaky readout and a per-step cross-entropy in a decision window learns
    a two-class rate task, and its opposite labelling, to >= 90 % in three epochs."""
    rng = np.random.default_rng(0)
    n = 40
    labels = rng.integers(0, 2, n)
    x = np.where((np.arange(6)[None, :] < 3) == (labels[:, None] == 0), 0.6, 0.05)
    net = LearningNetwork(
        InputLayer(6), [_hidden("hidden", 8), _readout("output", 2)],
        [Projection("input", "hidden", init_scale=3 * mV),
         Projection("hidden", "output", init_scale=0.01)],
        [OutputError("output", loss="ce", timing="step", window=6, beta=2.0),
         Feedback("output", "hidden", weights="random", send="error", timing="step")],
        [EProp(layers=("hidden",), eta=2 * mV ** 2, tau_kappa=TAU_OUT),
         EProp(layers=("output",), eta=0.5, w_max=20.0)], Readout("output"), T=T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        state = net.initial_state(seed=1)
        for y in (labels, 1 - labels):   # a fixed network is right on at most one of them
            before = train(net, state, x, y, x, y, epochs=1, lr_schedule=lambda e, n: 0.0)
            res = train(net, state, x, y, x, y, epochs=3, seed=0)
            acc = res["history"]["test_accuracy"]
            assert acc[-1] >= 0.9, (before["history"]["test_accuracy"], acc)
            assert res["history"]["train_loss"][-1] < before["history"]["train_loss"][0]


def test_an_evaluation_program_restores_initial_values_given_with_units():
    """A model whose initial value is a quantity (``initial=(('v', 0.2*mV),)``, as in the
    README) evaluates, and its forward pass equals the training program's at lr 0."""
    from dataclasses import replace
    model = ndl_neuron("gaussian", deterministic=True)
    model = replace(model, initial=(("v", 0.2 * mV),))
    net = LearningNetwork(InputLayer(6), [Layer("output", 3, model, params=HIDDEN)],
                          [Projection("input", "output", init_scale=2 * mV)],
                          [OutputError("output")], [EProp(signal="sample", eta=1 * mV ** 2)],
                          Readout("output"), T=T)
    spikes, labels, _ = _task(n=4)
    state = net.initial_state(seed=0)
    forward = Program(net, 4, plastic=False).run(state, spikes)["counts"]["output"]
    trained = Program(net, 4).run(state, spikes, labels, lr_scale=0.0)["counts"]["output"]
    assert forward.sum() > 0
    np.testing.assert_array_equal(forward, trained)


def test_readme_five_methods_example_runs_and_learns():
    """The README's block: e-prop, OTTT, DFA and DECOLLE each reach >= 80 % test accuracy on
    the two-pattern task in three epochs (what the README prints)."""
    from .conftest import readme_example

    printed = []
    namespace = {"print": lambda *args: printed.append(args)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exec(readme_example("Five learning methods on one network."), namespace)
    assert [row[0] for row in printed] == ["e-prop", "ottt", "dfa", "decolle"]
    for method, accuracy, loss in printed:
        assert accuracy[-1] >= 0.8, (method, accuracy)
        assert loss[-1] < loss[0], (method, loss)


def test_a_program_adopts_a_network_that_differs_only_in_its_learning_rates():
    """SL, TL and STL (NDL with eta or eta_theta 0) share one program: training net B with the
    program built for net A equals training B with its own program; another structure is
    refused naming where it differs."""
    from neuromodels.learning import NDL, LearningError, feedforward

    def net(eta, eta_theta, n_hidden=5):
        return feedforward([6, n_hidden, 3], ndl_neuron("gaussian", deterministic=True), T=T,
                           params=HIDDEN, init_scale=3 * mV,
                           rule=NDL(learn="both", eta=eta, eta_theta=eta_theta))
    spikes, labels, _ = _task()
    a, b = net(1 * mV ** 2, 0 * mV ** 2), net(0 * mV ** 2, 0.05 * mV ** 2)
    state = a.initial_state(seed=2)
    shared = Program(a, len(labels))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        first = train_epoch(a, state, spikes, labels, program=shared)
        shared.adopt(b)
        adopted = train_epoch(b, state, spikes, labels, program=shared)
        own = train_epoch(b, state, spikes, labels)
    for key in state:
        np.testing.assert_array_equal(np.asarray(adopted["state"][key]),
                                      np.asarray(own["state"][key]))
    assert not np.array_equal(np.asarray(first["state"]["hidden", "v_th"]),
                              np.asarray(own["state"]["hidden", "v_th"]))
    with pytest.raises(LearningError, match="more than its run-time values"):
        shared.adopt(net(1 * mV ** 2, 0 * mV ** 2, n_hidden=4).rules[0] and
                     LearningNetwork(InputLayer(6), [_hidden("output", 3)],
                                     [Projection("input", "output")], [OutputError("output")],
                                     [NDL(eta=1 * mV ** 2)], Readout("output"), T=T))


def test_long_samples_get_an_event_driven_chunk():
    """NDL's event-driven eligibility picks its chunk for T = 2000 steps (a**-(K-1) overflowed
    a float for T >~ 1025 before): the largest divisor of T with growth <= 1e4."""
    from neuromodels.learning import NDL, feedforward

    net = feedforward([4, 3, 2], ndl_neuron("gaussian", deterministic=True), T=2000,
                      params=HIDDEN, rule=NDL())
    K = net.rules[0].chunk(net, "output")
    a = 0.5                                       # decay per step of the NDL neuron
    assert 2000 % K == 0 and (K - 1) * np.log(1 / a) <= np.log(1e4)
    assert not any(2000 % k == 0 and (k - 1) * np.log(1 / a) <= np.log(1e4)
                   for k in range(K + 1, 2001))
