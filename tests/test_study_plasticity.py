"""The plasticity studies, each run once in --quick mode on runtime (Brian2's numpy target), and
their committed full runs: ``plasticity-rules`` (studies/plasticity_rules.py: the rules on
imposed trains, against theory and NEST), ``song2000`` and ``distal-reward``.

Each test checks one claim of a study against the rule's analytic expectation, a published
shape, or NEST; the references are recomputed here (theory modules) where they are cheap.
"""
from pathlib import Path

import numpy as np
import pytest

from neuromodels import store
from neuromodels.networks.song2000 import bimodality
from neuromodels.study import discover
from neuromodels.theory.stdp import pair_window

ROOT = Path(__file__).resolve().parent.parent
STUDIES = discover([ROOT / "studies"])

# The quick runs are on Brian2's numpy target (nothing to compile); the old single study's
# quick run took 169 s cold on the 2-core machine beside a full run; with Cython it compiled
# for over 15 min cold.

NEST_TOLERANCE = {  # largest |ours - NEST| allowed, relative to the range of NEST's values
    "stdp_all_additive": 1e-12, "stdp_all_multiplicative": 1e-12, "stdp_nearest_additive": 1e-9,
    "stdp_nearest_multiplicative": 1e-9, "triplet_visual_cortex_all_full": 1e-12,
    # NEST's release is read from the jumps of an iaf_psc_delta with tau_m = 1e12 ms: each jump
    # carries the leak of one step, V_m dt / tau_m (V_m up to ~25, dt 0.5 ms: ~1e-11; measured on
    # the quick run 3.7e-12 and 2.2e-11 of the range)
    "tm_depressing": 1e-10, "tm_facilitating": 1e-10}


@pytest.fixture(scope="module")
def data(quick_study):
    return store.read(quick_study("plasticity-rules"))


@pytest.fixture(scope="module")
def song(quick_study):
    return store.read(quick_study("song2000"))


@pytest.fixture(scope="module")
def reward(quick_study):
    return store.read(quick_study("distal-reward"))


def test_pair_window_equals_the_analytic_window(data):
    w = data["window"]
    for key in ("all_additive", "nearest_additive", "all_multiplicative",
                "nearest_multiplicative"):
        bounds = key.split("_")[1]
        expected = pair_window(w["lag"], 0.01, 0.0105, 0.02, 0.02, w0=0.5, bounds=bounds)
        assert np.max(np.abs(w[key] - expected)) < 1e-12, key
    lag = np.asarray(w["lag"])
    assert np.all(w["all_additive"][lag > 0] > 0) and np.all(w["all_additive"][lag < 0] < 0)


def test_triplet_rule_follows_its_expectation_and_the_data_shape(data):
    t = data["triplet"]
    for key in ("visual_cortex_all", "visual_cortex_nearest", "hippocampal_all",
                "hippocampal_nearest"):
        assert np.max(np.abs(t[key] - t["expected"][key])) < 1e-12, key
        # Sjostrom et al. (2001): post-before-pre (-10 ms) depresses at the lowest frequency;
        # both orders potentiate at the highest (50 Hz)
        assert t[key][0, 1] < 0 and np.all(t[key][-1] > 0), key
        # pre-before-post potentiates more at high frequency than at low
        assert t[key][-1, 0] > t[key][0, 0], key


def test_tsodyks_markram_release_equals_the_analytic_steady_state(data):
    tm = data["tm"]
    for kind in ("depressing", "facilitating"):
        assert tm[kind]["recursion_error"] < 1e-12, kind              # every spike, exact recursion
        assert np.max(np.abs(tm[kind]["last"] / tm[kind]["steady"] - 1)) < 0.01, kind
    assert np.all(np.diff(tm["depressing"]["steady"]) < 0)            # depression: less per spike
    peak = np.argmax(tm["facilitating"]["steady"])
    assert peak not in (0, tm["rate"].size - 1)                       # facilitation peaks inside


def test_distal_reward_single_synapses(data):
    r = data["reward_single"]
    change = r["w"][:, -1] - 0.5
    rewarded, unrewarded, reversed_ = change
    assert unrewarded == 0.0                       # eligibility without dopamine changes nothing
    assert rewarded > 0 > reversed_
    # Euler on the grid: relative error about dt / (2 tau_n) per reward (0.13 % at dt = 0.5 ms)
    assert change[[0, 2]] == pytest.approx(r["expected"][[0, 2]], rel=5e-3)


def test_apb_boost_follows_its_equation_and_zero_is_pair_stdp(data):
    a = data["apb"]
    # beta = 0 adds exactly zero; bit for bit on Brian2's numpy target (test_synapses_plasticity),
    # but the compiled targets build with -ffast-math -march=native, where the compiler may fuse
    # the plain update into an FMA in one rule and not the other: at most one rounding step
    # (1.1e-16 at w ~ 0.5)
    assert float(a["difference_at_zero"]) <= 2.3e-16
    for beta in ("0", f"{float(a['beta']):g}"):
        assert np.max(np.abs(a[f"beta_{beta}"] - a[f"expected_{beta}"])) < 1e-12
    assert np.allclose(a["beta_0"], a["beta_0"][0], rtol=0, atol=1e-15)    # no boost without APB
    assert np.all(np.diff(a[f"beta_{float(a['beta']):g}"]) > 0)          # more partners, more LTP


def _agree_with_nest(data):
    nest = data["nest"]
    if "skipped" in nest["stdp_all_additive"]:
        pytest.skip(nest["stdp_all_additive"]["skipped"])
    dt = float(data["parameters"]["dt"])
    tolerance = dict(NEST_TOLERANCE, reward_stdp=2 * dt / 0.2)  # Euler: ~dt/(2 tau_n) per reward
    for name, tol in tolerance.items():
        assert nest[name]["scale"] > 0.01, name                 # the trains did change the values
        assert nest[name]["max_difference"] / nest[name]["scale"] < tol, name


def test_agreement_with_nest(data):
    _agree_with_nest(data)


def test_rules_of_the_same_code_share_one_synapses_object():
    """Issue 24 (a cold quick run under a minute): every Synapses object is 4-8 more files for
    a C++ build to compile (123 files, 62 s, with one object per rule); rules whose code is
    the same (the triplet fits of one interaction, APB at two strengths: 14 rules, 10 codes)
    are one object, with their differing parameters per synapse, each rule's its own."""
    from brian2 import Synapses

    from neuromodels.devices import brian2_settings
    from neuromodels.networks import rule_checks
    from neuromodels.synapses.triplet import FITS

    study = STUDIES["plasticity-rules"]
    p = study.parameters.checked(study.quick)
    with brian2_settings(dt=p["dt"], target="numpy"):
        checks = rule_checks.RuleChecks(p, np.random.default_rng(0))
    codes = {name: (r.model, r.on_pre, r.on_post) for name, r in checks.rules.items()}
    synapses = [o for o in checks.objects if isinstance(o, Synapses)
                and o in checks.syn.values()]
    assert len(synapses) == len(set(codes.values())) == 10 < len(codes) == 14
    for a in codes:
        for b in codes:
            assert (checks.syn[a] is checks.syn[b]) == (codes[a] == codes[b]), (a, b)
    fits = {"triplet_visual_cortex_all": (("visual_cortex", "all", "minimal"), "pairing"),
            "triplet_hippocampal_nearest": (("hippocampal", "nearest", "minimal"), "pairing"),
            "triplet_visual_cortex_all_full": (("visual_cortex", "all", "full"), "trains")}
    for name, (fit, experiment) in fits.items():
        own = checks._range(name, experiment)
        syn = checks.syn[name]
        for key in ("A2_plus", "A3_plus", "A2_minus", "A3_minus", "tau_x", "tau_y"):
            values = (np.asarray(getattr(syn, key)[:])[own] if key in syn.variables  # per synapse
                      else float(syn.namespace[key]))                           # or shared
            assert own.stop > own.start and np.all(values == float(FITS[fit][key])), (name, key)
    beta = np.asarray(checks.syn["apb_beta"].beta[:])
    assert np.all(beta[checks._range("apb_0", "coactive")] == 0)
    assert np.all(beta[checks._range("apb_beta", "coactive")] == float(p["apb_beta"]))


def test_song_weights_stay_bounded_and_spread(song):
    s = song["song"]
    w = np.asarray(s["w"])
    assert np.all((w >= 0) & (w <= 1))
    initial = np.asarray(s["w_t"])[:, 0]
    # additive STDP with depression slightly stronger: the weights spread towards the bounds
    assert np.mean((w < 0.1) | (w > 0.9)) > np.mean((initial < 0.1) | (initial > 0.9))


def test_distal_reward_network_earns_rewards(reward):
    n = reward["network"]
    # the quick run's reward window (100 ms) earns rewards by chance pairings within 20 s (none
    # came with the 10 ms window in 5 s); the rewarded synapse's weight moves with them
    assert np.all(n["rewards"] > 0)
    assert np.all(n["chosen"][:, -1] != n["chosen"][:, 0])


def test_results_tables_quote_every_validation(data, song, reward):
    text = STUDIES["plasticity-rules"].results(data)
    for row in ("pair STDP window", "triplet STDP", "distal reward, single synapses",
                "Tsodyks-Markram, facilitating", "APB"):
        assert f"| {row}" in text, row
    assert "β = 0 vs plain" in text
    assert "| Song et al. 2000" in STUDIES["song2000"].results(song)
    text = STUDIES["distal-reward"].results(reward)
    assert "| rewarded synapse, final weight" in text and "over 2 networks" in text


# --- the figures: readable at a glance ---------------------------------------------------


def _text_problems():
    from neuromodels import plotting

    if not hasattr(plotting, "text_problems"):
        pytest.skip("neuromodels.plotting.text_problems not there yet (issue 24, Figures)")
    return plotting.text_problems


def _texts(fig):
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text"))]


@pytest.mark.parametrize("name, fixture", [("plasticity-rules", "data"), ("song2000", "song"),
                                           ("distal-reward", "reward")])
def test_figure_text_neither_overlaps_nor_leaves_the_figure(name, fixture, request):
    """The old figure's triplet panels had overlapping tick labels (2x10^1, 3x10^1, 4x10^1)
    and a title that left the figure."""
    import matplotlib.pyplot as plt

    text_problems = _text_problems()
    fig = STUDIES[name].plot(request.getfixturevalue(fixture))
    try:
        problems = text_problems(fig)
        assert not problems, str(problems)
        assert not any("+-" in t for t in _texts(fig))          # ±, not "+-"
        for ax in fig.axes:                                     # bars start at zero: linear axes
            if ax.containers:
                assert "log" not in (ax.get_xscale(), ax.get_yscale()), ax.get_title()
    finally:
        plt.close(fig)


def test_distal_reward_figure_says_one_network_in_the_singular(reward):
    import matplotlib.pyplot as plt

    one = dict(reward, network={k: np.asarray(v)[:1] if k != "t" else v
                                for k, v in reward["network"].items()})
    fig = STUDIES["distal-reward"].plot(one)
    try:
        texts = " ".join(_texts(fig))
        assert "(1 network)" in texts and "1 networks" not in texts
    finally:
        plt.close(fig)


# --- the committed full runs ------------------------------------------------------------


def _full_run(name):
    path = ROOT / "data" / f"{name}.h5"
    if not path.exists():
        pytest.skip(f"no committed full run (data/{name}.h5)")
    data = store.read(path)
    assert not data["attrs"]["quick"]
    return data


def test_full_run_rules_agree_with_theory_and_nest():
    data = _full_run("plasticity-rules")
    assert np.asarray(data["triplet"]["frequency"]).size == 8          # 0.1-50 Hz
    test_pair_window_equals_the_analytic_window(data)
    test_triplet_rule_follows_its_expectation_and_the_data_shape(data)
    test_tsodyks_markram_release_equals_the_analytic_steady_state(data)
    _agree_with_nest(data)


def test_full_run_song_weights_are_bimodal():
    data = _full_run("song2000")
    assert float(data["parameters"]["duration"]) >= 100          # Song et al.'s and Brian2's length
    w = np.reshape(data["song"]["w"], (-1, 1000))
    low, high = bimodality(w)
    middle = ((w >= 0.45) & (w < 0.55)).mean(axis=1)
    # from uniform initial weights (10 % in each tenth of the range): both ends fill up, the
    # middle empties
    assert low.size >= 3 and np.all(low > 0.15) and np.all(high > 0.15) and np.all(middle < 0.1)
    # Brian2's examples/synapses/STDP.py (one neuron, 100 s): 28 % < 0.1, 17.6 % > 0.9 w_max; one
    # neuron is one draw, so it must lie within 3 s.d. of our neurons' spread
    assert abs(low.mean() - 0.28) < 3 * low.std(ddof=1)
    assert abs(high.mean() - 0.176) < 3 * high.std(ddof=1)


def test_full_run_rewarded_synapse_outgrows_the_others():
    data = _full_run("distal-reward")
    n = data["network"]
    w = np.asarray(n["w"])
    chosen, others = w[:, 0], w[:, 1:]
    w_max = float(data["parameters"]["reward.w_max"])
    assert w.shape[0] >= 2 and np.all(n["rewards"] > 20)               # seeds; the rewards did come
    assert np.all(np.asarray(n["chosen"])[:, 0] == float(data["parameters"]["reward.w_init"]))
    # Izhikevich (2007) Fig. 2: the rewarded synapse grows towards w_max, the others on average
    # do not
    assert np.all(chosen > 0.75 * w_max) and np.all(chosen - others.mean(axis=1) > 0.25 * w_max)
    # Not all alone at the top, as the paper's figure shows it: each delayed reward also credits
    # chance pairings. The fraction of the others that end at or above the rewarded synapse is
    # a measured result (the README's table, from this file), not a claim: it depends on the
    # random draw (8-14 % in the three networks of the first committed run, 10-29 % now).
    above = (others >= chosen[:, None]).mean(axis=1)
    assert np.all(above < 0.5)  # it ends in the top half of the synapses of every network


@pytest.mark.parametrize("name", ["plasticity-rules", "song2000", "distal-reward"])
def test_full_run_figure_text_neither_overlaps_nor_leaves_the_figure(name):
    import matplotlib.pyplot as plt

    text_problems = _text_problems()
    fig = STUDIES[name].plot(_full_run(name))
    try:
        assert not text_problems(fig), str(text_problems(fig))
    finally:
        plt.close(fig)


def test_song_weight_histogram_and_bimodality_against_numpy():
    from neuromodels.networks.song2000 import histogram

    w = np.random.default_rng(1).uniform(0, 1, 3000)
    w[[0, 1, 1500, 2999]] = [0.0, 1.0, 1.0, 0.5]                        # the bounds themselves
    expected = np.array([np.histogram(x, np.linspace(0, 1, 21))[0] for x in w.reshape(3, 1000)])
    assert np.array_equal(histogram(w), expected)
    low, high = bimodality(w)
    assert np.array_equal(low, (w.reshape(3, 1000) < 0.1).mean(axis=1))
    assert np.array_equal(high, (w.reshape(3, 1000) > 0.9).mean(axis=1))
