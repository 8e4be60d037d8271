"""Escape-noise rate theory (neuromodels/theory/escape.py) against a direct simulation of the
discrete process it describes, and its limits."""
import numpy as np
import pytest
from scipy.special import ndtr

from neuromodels.theory import escape


def _discrete_escape_rate(p, dt, t_ref, n_steps, rng):
    """Independent check: per step, fire with probability p unless in the dead time."""
    dead = int(round(t_ref / dt))
    fire = rng.random(n_steps) < p
    count, k = 0, 0
    idx = np.flatnonzero(fire)
    nxt = 0
    for k in idx:
        if k >= nxt:
            count += 1
            nxt = k + dead + 1
    return count / (n_steps * dt)


@pytest.mark.parametrize("mu", [-0.058, -0.055, -0.052])
def test_low_hazard_rate_is_the_dead_time_poisson_rate(mu):
    dt, t_ref, sigma, v_th = 1e-4, 2e-3, 2e-3, -0.05
    h = escape.hazard(mu, v_th, sigma, dt, ndtr)
    assert h == pytest.approx(ndtr((mu - v_th) / sigma) / dt)
    rng = np.random.default_rng(int(-mu * 1e3))
    n = 2_000_000
    sim = _discrete_escape_rate(h * dt, dt, t_ref, n, rng)
    theory = escape.dead_time_poisson_rate(h, t_ref)
    se = np.sqrt(theory / (n * dt))  # Poisson-like counting error (dead time lowers it)
    assert sim == pytest.approx(theory, abs=4 * se + 1e-9)


def test_validity_limit_and_bad_input():
    mu = np.array([-0.060, -0.050, -0.040])
    r = escape.escape_rate_low_hazard(mu, -0.05, 2e-3, 1e-4, 2e-3, 0.01, ndtr)
    h = escape.hazard(mu, -0.05, 2e-3, 1e-4, ndtr)
    np.testing.assert_array_equal(np.isnan(r), h * 0.01 >= 0.1)
    assert np.isfinite(r[0]) and np.isnan(r[-1])
    assert escape.dead_time_poisson_rate(1e9, 2e-3) == pytest.approx(500.0, rel=1e-5)
    with pytest.raises(ValueError, match="sigma"):
        escape.hazard(-0.06, -0.05, 0.0, 1e-4, ndtr)
    with pytest.raises(ValueError, match="cdf"):
        escape.hazard(-0.06, -0.05, 1e-3, 1e-4, lambda x: 2 + 0 * x)
