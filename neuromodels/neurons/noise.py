"""Noise distributions for escape-noise (stochastic-threshold) neurons.

A distribution is plain data: a name, its cumulative distribution function
(CDF) and its probability density (PDF) as Brian2 expression strings in one
standardized, dimensionless variable ``x`` and a default scale::

    x = (v - theta) / sigma

An escape-noise neuron fires in a time step with probability ``CDF(x)``; the
noise-driven learning rule uses ``PDF(x) / sigma`` (the derivative of the
firing probability with respect to ``v``).  Brian2's generated code and the
numpy evaluation used by analysis and tests are produced from the *same*
strings (:meth:`NoiseDistribution.cdf_numpy` evaluates the string with a numpy
namespace), so the two can never disagree.

Adding a distribution::

    from neuromodels.neurons.noise import NoiseDistribution, register_noise
    laplace = NoiseDistribution(
        'laplace',
        cdf='0.5 + 0.5*sign(x)*(1 - exp(-abs(x)))',
        pdf='0.5*exp(-abs(x))',
        default_scale=0.3)
    register_noise(laplace)

Construction checks that the PDF is the derivative of the CDF (the mass of the
CDF on small intervals equals the integral of the PDF) and that the CDF is a
monotone function from 0 to 1; a mismatch raises ``ValueError``.

``default_scale`` is dimensionless: the neuron models interpret it as a
fraction of the distance between threshold and reset (for the discrete-time
learning neurons, threshold 1 and reset 0, it is sigma itself).  The meaning
of sigma for the shipped distributions follows Ma, Yan & Tang (Patterns 2023):
standard deviation (Gaussian), scale (logistic), half-width (uniform,
triangular) and scale (arctan, i.e. Cauchy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erf as _scipy_erf

from brian2 import Function, Quantity
from brian2.units.fundamentalunits import DIMENSIONLESS, get_dimensions
from brian2.utils.stringtools import get_identifiers, word_substitute

__all__ = [
    "NoiseDistribution",
    "erf",
    "get_noise",
    "register_noise",
    "available_noises",
    "check_sigma",
    "NUMPY_NAMESPACE",
    "GAUSSIAN",
    "LOGISTIC",
    "UNIFORM",
    "TRIANGULAR",
    "ARCTAN",
]


def _make_erf():
    """Brian2 ``Function`` for the error function on every code target.

    numpy: scipy.special.erf; cython: ``erf`` from libc.math; C++ (runtime
    C++ targets, cpp_standalone): ``erf`` from <cmath>; GeNN (brian2genn's
    ``'genn'`` target, CPU or CUDA): the C/CUDA math library's ``erf`` under its
    own name.  Exact, no approximation.
    """
    f = Function(
        lambda x: _scipy_erf(x),
        arg_units=[1],
        return_unit=1,
        auto_vectorise=False,
        stateless=True,
    )
    f.implementations.add_implementation(
        "cpp",
        {"support_code": "static inline double _nm_erf(double x) { return erf(x); }"},
        name="_nm_erf",
    )
    f.implementations.add_implementation(
        "cython",
        "from libc.math cimport erf as _c_erf\n"
        "cdef double _nm_erf(double x):\n"
        "    return _c_erf(x)\n",
        name="_nm_erf",
    )
    # brian2genn looks implementations up by its generator's class_name 'genn'
    f.implementations.add_implementation("genn", code=None, name="erf")
    return f


#: The error function as a Brian2 Function (numpy, cython and C++ code).
erf = _make_erf()


def _np_int(a):
    return np.asarray(a).astype(np.int64)


#: Functions and constants usable in CDF/PDF strings, with the numpy
#: implementation used for evaluation in Python.  Every name except ``erf`` is
#: a Brian2 built-in; ``erf`` is provided to Brian2 through :data:`erf`.
NUMPY_NAMESPACE = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sign": np.sign,
    "clip": np.clip,
    "tanh": np.tanh,
    "arctan": np.arctan,
    "int": _np_int,
    "erf": _scipy_erf,
    "pi": np.pi,
}

_BRIAN_NAMESPACE = {"erf": erf}


@dataclass(frozen=True)
class NoiseDistribution:
    """A noise distribution given by its CDF and PDF strings in ``x``.

    Parameters
    ----------
    name : str
        Identifier used to look the distribution up (``get_noise(name)``).
    cdf, pdf : str
        Brian2 expressions in the dimensionless variable ``variable``; may use
        the functions/constants in :data:`NUMPY_NAMESPACE`.
    default_scale : float
        Default sigma as a fraction of the threshold-reset distance (> 0).
    variable : str
        Name of the standardized variable in the strings (default ``'x'``).
    description : str
        Human-readable description (meaning of sigma, support).
    """

    name: str
    cdf: str
    pdf: str
    default_scale: float = 0.4
    variable: str = "x"
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"noise name must be an identifier string, got {self.name!r}")
        if not (np.isfinite(self.default_scale) and self.default_scale > 0):
            raise ValueError(
                f"default_scale of noise '{self.name}' must be a finite number > 0, "
                f"got {self.default_scale!r}")
        for which in ("cdf", "pdf"):
            expr = getattr(self, which)
            unknown = get_identifiers(expr) - set(NUMPY_NAMESPACE) - {self.variable}
            if unknown:
                raise ValueError(
                    f"{which.upper()} of noise '{self.name}' uses unknown names "
                    f"{sorted(unknown)}; allowed: the variable '{self.variable}' and "
                    f"{sorted(NUMPY_NAMESPACE)}")
        self._validate()

    # -- evaluation -------------------------------------------------------
    def _eval(self, expr, x):
        ns = dict(NUMPY_NAMESPACE)
        ns[self.variable] = np.asarray(x, dtype=float)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            out = eval(expr, {"__builtins__": {}}, ns)  # noqa: S307 (checked names)
        return np.broadcast_to(np.asarray(out, dtype=float), np.shape(x)).copy()

    def cdf_numpy(self, x):
        """Evaluate the CDF string with numpy at standardized ``x``."""
        return self._eval(self.cdf, x)

    def pdf_numpy(self, x):
        """Evaluate the PDF string with numpy at standardized ``x``."""
        return self._eval(self.pdf, x)

    def firing_probability(self, v_minus_theta, sigma):
        """P(spike in a step) = CDF((v - theta)/sigma), numpy, same string."""
        return self.cdf_numpy(np.asarray(v_minus_theta, dtype=float) / float(sigma))

    def density(self, v_minus_theta, sigma):
        """d P(spike)/dv = PDF((v - theta)/sigma)/sigma, numpy, same string."""
        s = float(sigma)
        return self.pdf_numpy(np.asarray(v_minus_theta, dtype=float) / s) / s

    # -- Brian2 strings ----------------------------------------------------
    def cdf_expr(self, argument):
        """CDF string with the standardized variable replaced by ``argument``."""
        return word_substitute(self.cdf, {self.variable: f"({argument})"})

    def pdf_expr(self, argument):
        """PDF string with the standardized variable replaced by ``argument``."""
        return word_substitute(self.pdf, {self.variable: f"({argument})"})

    @property
    def namespace(self):
        """Brian2 namespace entries the strings need (e.g. ``erf``)."""
        names = get_identifiers(self.cdf) | get_identifiers(self.pdf)
        return {k: v for k, v in _BRIAN_NAMESPACE.items() if k in names}

    # -- validation --------------------------------------------------------
    def _validate(self):
        name = self.name
        # interval masses: CDF(b) - CDF(a) == integral of PDF over [a, b]
        edges = np.linspace(-20.0, 20.0, 81)
        n_sub = 1000
        width = edges[1] - edges[0]
        mids = edges[:-1, None] + (np.arange(n_sub)[None, :] + 0.5) * width / n_sub
        pdf_vals = self.pdf_numpy(mids)
        cdf_vals = self.cdf_numpy(edges)
        if not (np.all(np.isfinite(pdf_vals)) and np.all(np.isfinite(cdf_vals))):
            raise ValueError(f"noise '{name}': CDF or PDF is not finite on [-20, 20]")
        if np.any(pdf_vals < 0):
            raise ValueError(f"noise '{name}': PDF is negative somewhere in [-20, 20]")
        mass_pdf = pdf_vals.mean(axis=1) * width
        mass_cdf = np.diff(cdf_vals)
        err = np.max(np.abs(mass_pdf - mass_cdf))
        if err > 1e-3:
            k = int(np.argmax(np.abs(mass_pdf - mass_cdf)))
            raise ValueError(
                f"noise '{name}': the PDF is not the derivative of the CDF "
                f"(on [{edges[k]:g}, {edges[k + 1]:g}] the CDF increases by "
                f"{mass_cdf[k]:.6g} but the PDF integrates to {mass_pdf[k]:.6g}; "
                "tolerance 1e-3)")
        # monotone, within [0, 1], limits 0 and 1
        grid = np.concatenate([[-1e6, -1e3], np.linspace(-20, 20, 4001), [1e3, 1e6]])
        c = self.cdf_numpy(grid)
        if np.any(c < -1e-12) or np.any(c > 1 + 1e-12):
            raise ValueError(f"noise '{name}': CDF takes values outside [0, 1]")
        if np.any(np.diff(c) < -1e-12):
            raise ValueError(f"noise '{name}': CDF is not monotonically non-decreasing")
        if c[0] > 1e-3 or c[-1] < 1 - 1e-3:
            raise ValueError(
                f"noise '{name}': CDF must go from 0 (x -> -inf) to 1 (x -> +inf); "
                f"got CDF(-1e6)={c[0]:.3g}, CDF(1e6)={c[-1]:.3g}")


GAUSSIAN = NoiseDistribution(
    "gaussian",
    cdf="0.5*(1 + erf(x/sqrt(2)))",
    pdf="exp(-0.5*x**2)/sqrt(2*pi)",
    default_scale=0.4,
    description="Normal(0, sigma^2); sigma = standard deviation",
)

LOGISTIC = NoiseDistribution(
    "logistic",
    cdf="0.5*(1 + tanh(0.5*x))",
    pdf="0.25*(1 - tanh(0.5*x)**2)",
    default_scale=0.4,
    description="Logistic(0, sigma); CDF = sigmoid(x); sigma = scale",
)

UNIFORM = NoiseDistribution(
    "uniform",
    cdf="clip(0.5*(x + 1), 0, 1)",
    pdf="0.5*int(abs(x) <= 1)",
    default_scale=0.4,
    description="Uniform(-sigma, sigma); sigma = half-width",
)

TRIANGULAR = NoiseDistribution(
    "triangular",
    cdf="0.5 + sign(x)*(0.5 - 0.5*clip(1 - abs(x), 0, 1)**2)",
    pdf="clip(1 - abs(x), 0, 1)",
    default_scale=0.6,
    description="Triangular on (-sigma, sigma), mode 0; sigma = half-width",
)

ARCTAN = NoiseDistribution(
    "arctan",
    cdf="0.5 + arctan(x)/pi",
    pdf="1/(pi*(1 + x**2))",
    default_scale=0.2,
    description="Cauchy(0, sigma) (arctan surrogate); sigma = scale",
)

_REGISTRY: dict[str, NoiseDistribution] = {}


def register_noise(dist: NoiseDistribution, overwrite: bool = False) -> NoiseDistribution:
    """Add a distribution to the registry used by :func:`get_noise`."""
    if not isinstance(dist, NoiseDistribution):
        raise ValueError(f"register_noise expects a NoiseDistribution, got {type(dist).__name__}")
    if dist.name in _REGISTRY and not overwrite:
        raise ValueError(f"a noise named '{dist.name}' is already registered "
                         "(pass overwrite=True to replace it)")
    _REGISTRY[dist.name] = dist
    return dist


for _d in (GAUSSIAN, LOGISTIC, UNIFORM, TRIANGULAR, ARCTAN):
    register_noise(_d)


def available_noises() -> tuple:
    """Names of the registered distributions."""
    return tuple(_REGISTRY)


def get_noise(noise) -> NoiseDistribution:
    """Return the distribution for a name (or pass a NoiseDistribution through)."""
    if isinstance(noise, NoiseDistribution):
        return noise
    if isinstance(noise, str) and noise in _REGISTRY:
        return _REGISTRY[noise]
    raise ValueError(f"unknown noise distribution {noise!r}; parameter 'noise' must be a "
                     f"NoiseDistribution or one of {sorted(_REGISTRY)}")


def check_sigma(sigma, unit=None, name="sigma"):
    """Validate a noise scale: finite, > 0, and with the dimensions of ``unit``.

    ``unit`` is a Brian2 unit (e.g. ``mV``) or None/1 for dimensionless.
    Returns sigma unchanged; raises ``ValueError`` naming the parameter, the
    accepted range and unit otherwise.
    """
    if unit is None or (not isinstance(unit, Quantity) and unit == 1):
        want = DIMENSIONLESS
    else:
        want = get_dimensions(unit)
    unit_txt = "no units (dimensionless)" if want is DIMENSIONLESS else f"units of {unit!r}"
    try:
        have = get_dimensions(sigma)
    except TypeError:
        raise ValueError(f"parameter '{name}' must be a number with {unit_txt}, got {sigma!r}")
    if have is not want:
        raise ValueError(f"parameter '{name}' must have {unit_txt} (same as the membrane "
                         f"potential), got {sigma!r}")
    val = np.asarray(sigma if not isinstance(sigma, Quantity) else np.asarray(sigma), dtype=float)
    if val.size == 0 or not np.all(np.isfinite(val)) or np.any(val <= 0):
        raise ValueError(f"parameter '{name}' must be > 0 and finite ({unit_txt}), got {sigma!r}")
    return sigma
