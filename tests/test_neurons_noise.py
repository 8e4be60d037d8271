"""Noise distributions: CDF/PDF strings, validation, numpy == Brian2."""
import numpy as np
import pytest
from brian2 import NeuronGroup, mV, ms

from neuromodels.devices import brian2_settings
from neuromodels.neurons import noise as nz

SHIPPED = ("gaussian", "logistic", "uniform", "triangular", "arctan")
KINKS = {"uniform": (-1.0, 1.0), "triangular": (-1.0, 0.0, 1.0)}


def test_shipped_are_registered():
    assert set(SHIPPED) <= set(nz.available_noises())


@pytest.mark.parametrize("name", SHIPPED)
def test_pdf_is_numerical_derivative_of_cdf(name):
    d = nz.get_noise(name)
    x = np.linspace(-6, 6, 2401) + 0.00123
    for k in KINKS.get(name, ()):
        x = x[np.abs(x - k) > 1e-3]
    h = 1e-5
    num = (d.cdf_numpy(x + h) - d.cdf_numpy(x - h)) / (2 * h)
    np.testing.assert_allclose(num, d.pdf_numpy(x), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", SHIPPED)
def test_cdf_monotone_between_0_and_1(name):
    d = nz.get_noise(name)
    c = d.cdf_numpy(np.linspace(-50, 50, 20001))
    assert np.all(np.diff(c) >= -1e-15)
    assert c.min() >= 0 and c.max() <= 1
    assert d.cdf_numpy(-1e7) < 1e-6 and d.cdf_numpy(1e7) > 1 - 1e-6
    assert d.cdf_numpy(0.0) == pytest.approx(0.5)


def test_pdf_not_matching_cdf_is_rejected():
    with pytest.raises(ValueError, match="not the derivative"):
        nz.NoiseDistribution("bad1", cdf="0.5*(1 + erf(x/sqrt(2)))", pdf="exp(-0.5*x**2)/2.4")
    with pytest.raises(ValueError, match="not the derivative"):  # logistic CDF, Gaussian PDF
        nz.NoiseDistribution("bad2", cdf="0.5*(1 + tanh(0.5*x))",
                             pdf="exp(-0.5*x**2)/sqrt(2*pi)")


def test_non_monotone_or_unbounded_cdf_is_rejected():
    with pytest.raises(ValueError, match="negative|monotone"):
        nz.NoiseDistribution("bad3", cdf="0.5*(1 + tanh(x)) + 0.3*x*exp(-x**2)",
                             pdf="0.5*(1 - tanh(x)**2) + 0.3*(1 - 2*x**2)*exp(-x**2)")
    with pytest.raises(ValueError, match="from 0"):
        nz.NoiseDistribution("bad4", cdf="0.5 + 0.25*tanh(x)", pdf="0.25*(1 - tanh(x)**2)")


def test_unknown_function_and_name_rejected():
    with pytest.raises(ValueError, match="unknown names"):
        nz.NoiseDistribution("bad5", cdf="norm_cdf(x)", pdf="norm_pdf(x)")
    with pytest.raises(ValueError, match="gaussian"):
        nz.get_noise("gauss")
    with pytest.raises(ValueError, match="default_scale"):
        nz.NoiseDistribution("bad6", cdf=nz.LOGISTIC.cdf, pdf=nz.LOGISTIC.pdf, default_scale=0)


@pytest.mark.parametrize("sigma, unit", [(0 * mV, mV), (-1 * mV, mV), (2 * ms, mV),
                                         (2.0, mV), (2 * mV, None), (0.0, None),
                                         (float("nan"), None)])
def test_bad_sigma_rejected(sigma, unit):
    with pytest.raises(ValueError, match="sigma"):
        nz.check_sigma(sigma, unit)


def test_good_sigma_accepted():
    assert nz.check_sigma(2 * mV, mV) == 2 * mV
    assert nz.check_sigma(0.4, None) == 0.4


def test_user_distribution_can_be_added():
    lap = nz.NoiseDistribution("laplace_test", cdf="0.5 + 0.5*sign(x)*(1 - exp(-abs(x)))",
                               pdf="0.5*exp(-abs(x))", default_scale=0.3)
    nz.register_noise(lap)
    assert nz.get_noise("laplace_test") is lap
    with pytest.raises(ValueError, match="already registered"):
        nz.register_noise(lap)


@pytest.mark.parametrize("target", ["numpy", "cython"])
def test_brian_and_numpy_evaluate_the_same_strings(target):
    x = np.linspace(-4, 4, 41) + 0.013
    groups = {}
    for name in SHIPPED:
        d = nz.get_noise(name)
        g = NeuronGroup(len(x), f"x : 1\nF = {d.cdf} : 1\nf = {d.pdf} : 1",
                        namespace=d.namespace)
        g.x = x
        groups[name] = g
    with brian2_settings(target=target):
        for name, g in groups.items():
            d = nz.get_noise(name)
            # subexpressions are evaluated by generated code of the target
            np.testing.assert_allclose(g.F[:], d.cdf_numpy(x), rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(g.f[:], d.pdf_numpy(x), rtol=1e-12, atol=1e-14)
