"""The noise-coding studies (studies/noise_rate.py, noise_timing.py, noise_population.py),
each run once in --quick mode on runtime.

Each test checks one scientific claim against theory or against the deterministic
(sigma -> 0) neuron; every number is simulated here, none is stored.
"""
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, ms, nA

from neuromodels import store
from neuromodels.neurons.noisy import NOISY_MEMBRANE_PARAMETERS
from neuromodels.study import discover, run_study
from neuromodels.theory.lif import lif_rate_deterministic, siegert_rate

STUDIES = discover([Path(__file__).resolve().parent.parent / "studies"])


@pytest.fixture(scope="module")
def data(quick_study):
    return store.read(quick_study("noise-rate"))


@pytest.fixture(scope="module")
def timing(quick_study):
    return store.read(quick_study("noise-timing"))


@pytest.fixture(scope="module")
def population(quick_study):
    return store.read(quick_study("noise-population"))


def test_diffusive_lif_matches_siegert_within_5_percent(data):
    """Simulated rate of the diffusive-noise LIF = Siegert rate (within 5 %) where it is
    >= min_rate."""
    s, p = data["siegert"], data["parameters"]
    mem = {k: NOISY_MEMBRANE_PARAMETERS[k].default for k in ("tau_m", "v_th", "v_reset", "t_ref")}
    # the theory is recomputed here from the stored grid, with the model's own parameters
    theory = np.array([siegert_rate(s["mu"], sv, **mem) for sv in s["sigma_v"]])
    compared = theory >= float(p["siegert.min_rate"] / Hz)
    assert compared.sum() >= 4, "too few grid points above the rate cut to test anything"
    rel = np.asarray(s["rate_sim"] / Hz)[compared] / theory[compared] - 1
    assert np.max(np.abs(rel)) < 0.05, rel
    assert np.isclose(s["max_rel_error"], np.max(np.abs(rel)))


def test_deterministic_limit_is_the_noiseless_lif(data):
    """sigma -> 0: the rate is the LIF formula, and trials repeat exactly (Fano = CV = 0)."""
    r, p = data["rate"], data["parameters"]
    mem = {k: NOISY_MEMBRANE_PARAMETERS[k].default
           for k in ("tau_m", "E_L", "R_m", "v_th", "v_reset", "t_ref")}
    rate = r["rate_mean"][0]
    theory = lif_rate_deterministic(mem["E_L"] + mem["R_m"] * r["I_ext"], mem["tau_m"],
                                    mem["v_th"], mem["v_reset"], mem["t_ref"])
    # a threshold crossing is detected at the next step: each ISI is longer by < dt;
    # counts in the analysis window are whole numbers
    window = float((p["duration"] - p["t_skip"]) / ms) * 1e-3
    tol = theory ** 2 * float(p["dt"] / ms) * 1e-3 + 1 / window
    assert np.all(np.abs(rate - theory) <= tol), (rate, theory)
    firing = theory > 0
    assert firing.sum() >= 2
    assert np.all(r["fano_mean"][0][firing] == 0)
    assert np.all(r["cv_mean"][0][firing] < 1e-9)


def test_escape_noise_fano_and_cv_follow_the_hazard(data):
    """Low hazard (h tau_m << 1): nearly Poisson (Fano, CV near 1, below 1 by the dead time);
    high rates: regular firing, and irregularity grows with sigma."""
    r = data["rate"]
    tau_m = float(NOISY_MEMBRANE_PARAMETERS["tau_m"].default / ms) * 1e-3
    h = np.asarray(r["hazard"] / Hz)  # (sigma, input), noisy sigmas only
    rate, fano, cv = r["rate_mean"][1:], r["fano_mean"][1:], r["cv_mean"][1:]
    poisson_like = (h * tau_m < 0.1) & (rate > 3)  # enough spikes to estimate Fano and CV
    assert poisson_like.sum() >= 1
    assert np.all((fano[poisson_like] > 0.5) & (fano[poisson_like] < 1.2)), fano[poisson_like]
    assert np.all((cv[poisson_like] > 0.5) & (cv[poisson_like] < 1.1)), cv[poisson_like]
    regular = rate > 50
    assert regular.sum() >= 4
    assert np.all(fano[regular] < 0.2) and np.all(cv[regular] < 0.3)
    strong = np.asarray(r["I_ext"] / nA) >= 0.2  # suprathreshold inputs (rheobase 0.15 nA)
    assert np.all(np.diff(cv[:, strong], axis=0) > 0), cv[:, strong]


def test_frozen_fluctuating_input_gives_reliable_timing(timing):
    """Mainen & Sejnowski: noisy neurons are unreliable for constant and reliable for frozen
    fluctuating input; the deterministic neuron repeats itself exactly in both."""
    rel = timing["reliability"]
    const, fluct = rel["constant"]["schreiber"], rel["fluctuating"]["schreiber"]
    assert np.isclose(const[0], 1) and np.isclose(fluct[0], 1)  # deterministic
    # noisy: frozen input more reliable than constant input by more than 3 s.d. of the
    # group estimates (quick run, 4 groups of 8 trials, measured on cpp_standalone / runtime:
    # a gap of 0.43 / 0.46 against 3 s.d. of 0.13 / 0.11 at sigma = 0.5 mV, 0.15 / 0.14
    # against 0.07 / 0.06 at 2 mV; the gap closes as the noise grows)
    m_c, m_f = rel["constant"]["schreiber_group_mean"], rel["fluctuating"]["schreiber_group_mean"]
    sd = np.hypot(rel["constant"]["schreiber_group_sd"], rel["fluctuating"]["schreiber_group_sd"])
    assert np.all(m_f[1:] - m_c[1:] > 3 * sd[1:]), (m_c, m_f, sd)
    assert np.all(np.diff(m_f[1:] - m_c[1:]) < 0), (m_c, m_f)
    # the frozen input locks spikes into PSTH events with sub-ms to ms jitter (where the
    # PSTH has events at all: at high rates it may have none above 3x its mean)
    found = np.isfinite(rel["fluctuating"]["precision"][1:])
    assert found.any()
    assert np.all(rel["fluctuating"]["precision"][1:][found] < 3 * ms)
    assert np.all(rel["fluctuating"]["event_reliability"][1:][found] > 0.5)


def test_stochastic_resonance_has_an_interior_optimum(timing):
    """The SNR of the subthreshold sinusoid peaks at an intermediate noise level."""
    for kind in ("escape", "diffusive"):
        d = timing["sr"][kind]
        snr = np.where(np.isfinite(d["snr_mean"]), d["snr_mean"], 1.0)  # no spikes: no signal
        best = int(np.argmax(snr))
        assert 0 < best < snr.size - 1, (kind, snr)
        assert d["interior_optimum"] and d["best_index"] == best
        margin = 2 * d["snr_sd"][best]
        assert snr[best] - margin > max(snr[0], snr[-1]), (kind, snr, margin)


def test_population_information_grows_with_size(population):
    """Fisher information grows and decoding error falls with population size (every model)."""
    pop = population["population"]
    for m in range(len(pop["sigma"])):
        d = pop[f"model{m}"]
        assert np.all(np.diff(d["fisher"]) > 0), d["fisher"]
        assert d["rms_error_mean"][-1] < d["rms_error_mean"][0]


def test_inconsistent_parameters_are_rejected_before_simulating(tmp_path):
    from neuromodels.parameters import ParameterError

    with pytest.raises(ParameterError, match="pop.sizes"):
        run_study(STUDIES["noise-population"], device="runtime", quick=True, out=tmp_path,
                  verbose=False, params={"pop.sizes": np.array([3, 8])})
    for name in ("noise-rate", "noise-population"):
        with pytest.raises(ParameterError, match="t_skip"):
            run_study(STUDIES[name], device="runtime", quick=True, out=tmp_path, verbose=False,
                      params={"t_skip": 2 * STUDIES[name].quick["duration"]})
    with pytest.raises(ParameterError, match="groups"):
        run_study(STUDIES["noise-timing"], device="runtime", quick=True, out=tmp_path,
                  verbose=False, params={"rel.trials": 4, "groups": 3})
    assert not list(tmp_path.iterdir())
