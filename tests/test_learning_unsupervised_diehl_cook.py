"""The Diehl & Cook (2015) configuration against Brian2's examples/frompapers/Diehl_Cook_2015.py:
one sample's weight changes == the example's rule (pre: w -= nu_pre*post1; post: w += nu_post*
pre*post2 before its update) written out for the recorded spike trains; the APB option ==
pair STDP with the associative boost written out; small networks on the numpy target."""
import numpy as np
import pytest
from brian2 import mV, ms

from neuromodels.devices import brian2_settings
from neuromodels.networks.diehl_cook import diehl_cook

from .test_learning_unsupervised import RecordingProgram

N_IN, N_EXC = 8, 3
SMALL = dict(dt=1 * ms, t_present=60 * ms, t_rest=10 * ms, J_input=6 * mV, w_init=0.6)


@pytest.fixture(autouse=True)
def _numpy_target():
    with brian2_settings(target="numpy"):
        yield


def _one_sample(net, seed=1):
    """Run one training sample (rates 0.3 per step); (w after normalisation, w after the
    sample, {population: (times in ms, indices)})."""
    state = net.initial_state(seed=seed)
    program = RecordingProgram(net, 1)
    res = program.run(state, np.full((1, N_IN), 0.3), np.zeros(1), lr_scale=1.0, seed=3)
    w0 = np.asarray(state["input_to_exc", "w"])
    total = 0.1 * N_IN                                    # the builder's default total
    spikes = {name: (np.asarray(m.t / ms), np.asarray(m.i[:]))
              for name, m in program.spikes.items()}
    return w0 * total / w0.sum(axis=0), np.asarray(res["state"]["input_to_exc", "w"]), spikes


def _latest(times, before, strict):
    """Lag to the latest of ``times`` before ``before`` (<= or <), or None."""
    earlier = times[times < before] if strict else times[times <= before]
    return before - earlier[-1] if len(earlier) else None


def _trace(lag, tau):
    return 0.0 if lag is None else np.exp(-lag / tau)


def _examples_rule(pre, post, nu_pre=1e-4, nu_post=1e-2, tau_pre=20.0, tau_post=20.0,
                   tau_post2=40.0):
    """Delta w of one synapse under the example's rule, nearest-spike traces set to 1,
    starting at 0: at a post spike q, + nu_post * pre(q) * post2(q-), where pre counts a
    pre spike in the same step (pre before post); at a pre spike m, - nu_pre * post1(m-)."""
    dw = 0.0
    for q in post:
        dw += nu_post * _trace(_latest(pre, q, False), tau_pre) * \
            _trace(_latest(post, q, True), tau_post2)
    for m in pre:
        dw -= nu_pre * _trace(_latest(post, m, True), tau_post)
    return dw


def test_one_sample_follows_the_examples_rule_with_the_second_post_trace():
    """Delta w == the example's rule for the recorded spikes (to 1e-12), with several post
    spikes per neuron so that the second post trace matters: the pair rule without it (the
    first slice) differs by more than 1e-3."""
    w_start, w_end, spikes = _one_sample(diehl_cook(N_IN, N_EXC, **SMALL))
    (t_in, i_in), (t_out, i_out) = spikes["input"], spikes["exc"]
    sample = SMALL["t_present"] / ms + SMALL["t_rest"] / ms
    assert np.sum(np.bincount(i_out[t_out < sample], minlength=N_EXC) >= 2) >= 2
    want, pair = np.zeros((N_IN, N_EXC)), np.zeros((N_IN, N_EXC))
    for i in range(N_IN):
        for j in range(N_EXC):
            pre, post = t_in[(i_in == i) & (t_in < sample)], t_out[(i_out == j) & (t_out < sample)]
            want[i, j] = _examples_rule(pre, post)
            pair[i, j] = _examples_rule(pre, post, tau_post2=np.inf)   # post2 == 1 always
    assert np.all((w_end > 0) & (w_end < 1))                        # no clipping
    assert np.max(np.abs(want)) > 1e-3 and np.max(np.abs(want - pair)) > 1e-3
    np.testing.assert_allclose(w_end - w_start, want, rtol=0, atol=1e-12)


def _apb_rule(pre, post, others, beta, nu_pre=1e-4, nu_post=1e-2, tau=20.0, tau_apb=20.0):
    """Delta w of one synapse under nearest pair STDP with the APB boost (synapses/apb.py,
    Shen et al. 2022): at a post spike q, + nu_post * pre(q) * [1 + beta * sum over the other
    inputs' spikes m <= q of exp(-(q - m)/tau_apb)]; at a pre spike m, - nu_pre * post(m-)."""
    dw = 0.0
    for q in post:
        coactive = np.exp(-(q - others[others <= q]) / tau_apb).sum()
        dw += nu_post * _trace(_latest(pre, q, False), tau) * (1 + beta * coactive)
    for m in pre:
        dw -= nu_pre * _trace(_latest(post, m, True), tau)
    return dw


def test_apb_option_follows_pair_stdp_with_the_associative_boost():
    """rule='apb', beta 0.02: Delta w == nearest pair STDP with the associative potentiation
    written out for the recorded spikes (to 1e-12); the boost changes Delta w by > 1e-3;
    beta without rule='apb' is refused."""
    from neuromodels.parameters import ParameterError

    beta = 0.02
    w_start, w_end, spikes = _one_sample(diehl_cook(N_IN, N_EXC, rule="apb", beta=beta,
                                                    **SMALL))
    (t_in, i_in), (t_out, i_out) = spikes["input"], spikes["exc"]
    sample = SMALL["t_present"] / ms + SMALL["t_rest"] / ms
    assert len(t_out[t_out < sample]) >= 3
    want, plain = np.zeros((N_IN, N_EXC)), np.zeros((N_IN, N_EXC))
    for i in range(N_IN):
        pre, others = t_in[(i_in == i) & (t_in < sample)], t_in[(i_in != i) & (t_in < sample)]
        for j in range(N_EXC):
            post = t_out[(i_out == j) & (t_out < sample)]
            want[i, j] = _apb_rule(pre, post, others, beta)
            plain[i, j] = _apb_rule(pre, post, others, 0.0)
    assert np.all((w_end > 0) & (w_end < 1))
    assert np.max(np.abs(want - plain)) > 1e-3
    np.testing.assert_allclose(w_end - w_start, want, rtol=0, atol=1e-12)
    with pytest.raises(ParameterError, match="'beta'"):
        diehl_cook(N_IN, N_EXC, beta=0.5)
