"""Tests of neuromodels.theory.lif against independent computations."""

import numpy as np
import pytest

from neuromodels.theory import lif

TAU, THETA, VR = 0.01, 20.0, 10.0  # s, mV, mV
SQRT2 = np.sqrt(2)  # Brunel's amplitude sigma = sqrt(2) sigma_v (the s.d. of the free V)


def first_passage_mc(mu, sigma, tau, theta, vr, n, dt, rng):
    """First-passage times of tau dV/dt = mu - V + sigma sqrt(tau) xi from V = vr.

    Plain Euler-Maruyama; crossings between grid points are caught with the
    Brownian-bridge probability exp(-2 (theta-V0)(theta-V1) / (D dt)),
    D = sigma^2 / tau, which removes the O(sqrt(dt)) bias of the discrete
    threshold test.
    """
    v = np.full(n, vr, dtype=float)
    fpt = np.full(n, np.nan)
    alive = np.arange(n)
    D = sigma**2 / tau
    k = 0
    while alive.size and k < 200000:
        k += 1
        v0 = v[alive]
        v1 = v0 + (mu - v0) / tau * dt + np.sqrt(D * dt) * rng.standard_normal(alive.size)
        below = (v1 < theta)
        p_bridge = np.exp(-2 * (theta - v0) * np.clip(theta - v1, 0, None) / (D * dt))
        crossed = ~below | (rng.random(alive.size) < p_bridge)
        fpt[alive[crossed]] = k * dt
        v[alive] = v1
        alive = alive[~crossed]
    return fpt


@pytest.mark.parametrize("mu, sigma", [(15.0, 5.0), (22.0, 3.0)])
def test_siegert_matches_monte_carlo_first_passage(mu, sigma):
    """Monte Carlo in Brunel's convention (amplitude sigma); the theory takes sigma_v."""
    rng = np.random.default_rng(10)
    n, t_ref = 3000, 0.002
    fpt = first_passage_mc(mu, sigma, TAU, THETA, VR, n, TAU / 400, rng)
    assert np.all(np.isfinite(fpt))
    isi = fpt + t_ref
    rate_mc = 1 / isi.mean()
    se_rel = isi.std() / isi.mean() / np.sqrt(n)
    rate = lif.siegert_rate(mu, sigma / SQRT2, TAU, THETA, VR, t_ref)
    assert rate == pytest.approx(rate_mc, rel=4 * se_rel + 0.01)
    # ISI CV (Brunel 2000 appendix A) against the same samples
    cv_mc = isi.std() / isi.mean()
    cv = lif.siegert_cv(mu, sigma / SQRT2, TAU, THETA, VR, t_ref)
    assert cv == pytest.approx(cv_mc, rel=4 / np.sqrt(n) * 1.5 + 0.01)


def test_siegert_deterministic_limit():
    mu = np.array([20.5, 25.0, 40.0])
    det = lif.lif_rate_deterministic(mu, TAU, THETA, VR, 0.002)
    for sigma, tol in [(0.05, 0.02), (0.01, 0.004)]:
        s = lif.siegert_rate(mu, sigma / SQRT2, TAU, THETA, VR, 0.002)
        np.testing.assert_allclose(s, det, rtol=tol)
    # subthreshold: both vanish as sigma -> 0
    assert lif.lif_rate_deterministic(19.0, TAU, THETA, VR) == 0.0
    # far subthreshold: Kramers/Arrhenius asymptote r ~ y exp(-y^2) / (tau sqrt(pi)),
    # y = (theta - mu)/sigma, with relative correction O(1/(2 y^2))
    y = (THETA - 19.0) / 0.1
    kramers = y * np.exp(-y * y) / (TAU * np.sqrt(np.pi))
    assert lif.siegert_rate(19.0, 0.1 / SQRT2, TAU, THETA, VR) == pytest.approx(kramers, rel=0.02)


def test_deterministic_rate_by_direct_integration():
    # integrate tau dV/dt = mu - V from VR to THETA with a fine Euler grid
    mu, dt = 26.0, 1e-7
    v, t = VR, 0.0
    steps = 0
    # closed-form per-step update (exact exponential Euler)
    decay = np.exp(-dt / TAU)
    while v < THETA:
        v = mu + (v - mu) * decay
        steps += 1
    t = steps * dt
    assert lif.lif_rate_deterministic(mu, TAU, THETA, VR, 0.003) == pytest.approx(
        1 / (t + 0.003), rel=1e-4
    )


def test_strong_drive_and_no_overflow():
    # very strong drive: lower limit -> -large; rate -> 1/t_ref-limited value
    r = lif.siegert_rate(1e4, 1.0, TAU, THETA, VR, 0.002)
    det = lif.lif_rate_deterministic(1e4, TAU, THETA, VR, 0.002)
    assert np.isfinite(r) and r == pytest.approx(det, rel=1e-3)
    # far below threshold: finite tiny or zero, never nan/inf
    r = lif.siegert_rate(-100.0, 1.0, TAU, THETA, VR)
    assert r == 0.0 or (np.isfinite(r) and r >= 0)


def test_rate_increases_with_noise_below_threshold():
    s = lif.siegert_rate(18.0, np.array([1.0, 2.0, 4.0, 8.0]), TAU, THETA, VR)
    assert np.all(np.diff(s) > 0)


def test_brian2_units():
    b2 = pytest.importorskip("brian2")
    r_units = lif.siegert_rate(15 * b2.mV, 5 * b2.mV, 10 * b2.ms, 20 * b2.mV, 10 * b2.mV, 2 * b2.ms)
    r_plain = lif.siegert_rate(0.015, 0.005, 0.01, 0.02, 0.01, 0.002)
    assert r_units == pytest.approx(r_plain, rel=1e-9)
    with pytest.raises(ValueError, match="tau_m"):
        lif.siegert_rate(15 * b2.mV, 5 * b2.mV, 10 * b2.mV, 20 * b2.mV, 10 * b2.mV)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sigma_v=0.0), "sigma_v"),
        (dict(sigma_v=-1.0), "sigma_v"),
        (dict(tau_m=0.0), "tau_m"),
        (dict(t_ref=-0.001), "t_ref"),
        (dict(v_reset=25.0), "v_reset"),
    ],
)
def test_bad_input(kwargs, match):
    args = dict(mu=15.0, sigma_v=5.0, tau_m=TAU, v_th=THETA, v_reset=VR, t_ref=0.0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        lif.siegert_rate(**args)


# The diffusive-noise LIF's own parameters, passed to siegert_rate by name, against the rate
# Brian2 simulates: the declared check siegert() of neuromodels/networks/neuron_checks.py, run by
# tests/test_validation.py (and `neuromodels validate diffusive_lif`).
