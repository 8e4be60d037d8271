r"""Noisy leaky integrate-and-fire neurons: escape noise and diffusive noise.

Membrane (both models), with an external current :math:`I_{ext}`:

.. math::
    \tau_m \frac{dv}{dt} = E_L - v + R_m I_{ext}

(a) **Escape noise** (stochastic threshold; Gerstner & Kistler 2002, ch. 5;
    Ma, Yan & Tang 2023).  In every time step the neuron draws ONE uniform
    number ``u_draw`` (at the start of the step) and fires iff

    .. math:: u_{draw} < p_{fire} = F_\varepsilon\!\left(\frac{v - v_{th}}{\sigma}\right),

    with :math:`F_\varepsilon` the CDF of the chosen noise distribution
    (:mod:`neuromodels.neurons.noise`).  Hence P(spike in a step | v) =
    F((v - v_th)/sigma) exactly: the noise enters once, through this one
    draw.  The reset is Brian2's reset, run for exactly the neurons that
    passed the threshold in that step, so every spike is followed by a reset
    and no reset happens without a spike.  ``u_draw`` is a state variable so
    that this can be checked (``tests/test_neurons_noisy.py`` does).

    The deterministic LIF is the sigma -> 0 limit of the *same* equations,
    threshold and reset: ``deterministic=True`` only sets sigma to
    :data:`DETERMINISTIC_SIGMA_FRACTION` of the threshold-reset distance, so
    small that F is exactly 0 or 1 in double precision (a Heaviside step).

    For learning rules the model declares its firing (``model.firing``, a
    :class:`~neuromodels.model.Firing`): P(spike) = ``p_fire`` and
    dP/dv = f((v - v_th)/sigma)/sigma with f the noise density -- exact.  The
    deterministic model declares the same-shaped *surrogate*
    f((v - v_th)/sigma_surrogate)/sigma_surrogate, with its own width
    ``sigma_surrogate`` (default: the noise's default sigma).
    :func:`with_surrogate` gives any hard-threshold model such a declaration.

(b) **Diffusive noise**: a white-noise term ``sigma_v*sqrt(2/tau_m)*xi`` in the
    membrane equation; ``sigma_v`` is the standard deviation of the free (no
    threshold) membrane potential.  With threshold ``v > v_th`` and reset this
    is the model of the Siegert (first-passage-time) rate formula
    (Brunel & Hakim 1999; :mod:`neuromodels.theory.lif`).

Both are :class:`~neuromodels.model.NeuronModel` s: ``model.group(n,
params=..., dt=...)`` builds a group, ``model.per_neuron('v_th', ...)`` makes
parameters per-neuron, ``print(model)`` shows everything.

Usage::

    from neuromodels.neurons.noisy import escape_lif, DIFFUSIVE_LIF
    model = escape_lif('logistic', sigma=2*mV).per_neuron('v_th')
    group = model.group(100, params={'tau_m': 20*ms})
    group.v_th = np.linspace(-55, -50, 100)*mV

Parameters (default; accepted range); ``sigma``/``sigma_surrogate`` of the escape model,
``sigma_v`` of the diffusive one:

* ``tau_m`` (10. ms; > 0. s): membrane time constant
* ``E_L`` (-65. mV): resting potential
* ``R_m`` (100. Mohm; > 0. ohm): membrane resistance (input I_ext in amp)
* ``v_th`` (-50. mV): spike threshold
* ``v_reset`` (-65. mV): reset potential
* ``t_ref`` (2. ms; >= 0. s): absolute refractory period
* ``sigma`` (6. mV; > 0. V): noise scale (Normal(0, sigma^2); sigma = standard deviation)
* ``sigma_surrogate`` (6. mV; > 0. V): width of the surrogate derivative (gaussian density)
* ``sigma_v`` (2. mV; > 0. V): standard deviation of the free membrane potential

Together: 'v_reset' must be below 'v_th' (else the neuron fires again at once).
"""
from __future__ import annotations

from dataclasses import replace

from brian2 import Mohm, mV, ms

from ..model import Firing, NeuronModel
from ..parameters import Parameter, ParameterError, ParameterSet, positive
from .lif import MEMBRANE_PARAMETERS
from .noise import get_noise

__all__ = [
    "escape_lif",
    "with_surrogate",
    "diffusive_lif",
    "DIFFUSIVE_LIF",
    "DETERMINISTIC_SIGMA_FRACTION",
    "NOISY_MEMBRANE_PARAMETERS",
]

REFERENCE = ("Ma, Yan & Tang (2023) Patterns (escape noise); "
             "Gerstner & Kistler (2002) Spiking Neuron Models, ch. 5")

#: sigma used for ``deterministic=True``, as a fraction of v_th - v_reset.  Small
#: enough that F((v - v_th)/sigma) is exactly 0 or 1 in double precision for every
#: shipped noise (also the heavy-tailed arctan/Cauchy one) unless |v - v_th| < ~1e-13 V.
DETERMINISTIC_SIGMA_FRACTION = 1e-28

#: Membrane parameters of both noisy LIF models; threshold, reset and refractoriness are
#: :data:`neuromodels.neurons.lif.MEMBRANE_PARAMETERS` with reset to rest and a 2 ms dead time.
NOISY_MEMBRANE_PARAMETERS = ParameterSet(
    positive("tau_m", 10 * ms, "membrane time constant"),
    Parameter("E_L", -65 * mV, "resting potential"),
    positive("R_m", 100 * Mohm, "membrane resistance (input I_ext in amp)"),
    MEMBRANE_PARAMETERS.with_defaults(v_reset=-65 * mV, t_ref=2 * ms),
)

_MEMBRANE = """
dv/dt = (E_L - v + R_m*I_ext)/tau_m : volt (unless refractory)
I_ext : amp   # external input current
"""
_RESET = dict(reset="v = v_reset", refractory="t_ref", initial=(("v", "E_L"),))


def escape_lif(noise="gaussian", sigma=None, deterministic: bool = False,
               surrogate_sigma=None) -> NeuronModel:
    """The escape-noise LIF with noise ``noise`` (a registered name or a NoiseDistribution).

    ``sigma`` (volt, > 0) is the noise scale; it defaults to
    ``noise.default_scale * (v_th - v_reset)`` of the default parameters
    (``params={'sigma': ...}`` or ``per_neuron('sigma')`` change it later).
    ``deterministic=True`` gives the sigma -> 0 (Heaviside) limit of the same code.
    Firing probability is per time step of the group's clock.

    ``model.firing`` declares dP/dv for learning rules: the noise density at ``sigma``
    (exact); with ``surrogate_sigma`` (volt, > 0; default for ``deterministic=True``:
    the noise's default sigma) the same-shaped density at the parameter
    ``sigma_surrogate`` instead (a surrogate derivative).
    """
    dist = get_noise(noise)
    span = NOISY_MEMBRANE_PARAMETERS["v_th"].default - NOISY_MEMBRANE_PARAMETERS["v_reset"].default
    if deterministic:
        if sigma is not None:
            raise ParameterError("Give either 'sigma' or 'deterministic=True', not both.")
        sigma = DETERMINISTIC_SIGMA_FRACTION * span
    sigma_parameter = positive("sigma", dist.default_scale * span,
                               f"noise scale ({dist.description or dist.name})")
    if sigma is not None:
        sigma_parameter = replace(sigma_parameter, default=sigma_parameter.check(sigma))
    parameters = ParameterSet(NOISY_MEMBRANE_PARAMETERS, sigma_parameter)
    width = "sigma"
    if deterministic or surrogate_sigma is not None:
        parameters = ParameterSet(parameters, _surrogate_parameter(dist, surrogate_sigma, span))
        width = "sigma_surrogate"
    equations = _MEMBRANE + f"""
    u_draw : 1   # the one uniform draw of this time step
    p_fire = {dist.cdf_expr('(v - v_th)/sigma')} : 1   # P(spike in this step | v)
    """
    return NeuronModel(
        name=f"escape_lif_{dist.name}" + ("_deterministic" if deterministic else ""),
        equations=equations,
        parameters=parameters,
        threshold="u_draw < p_fire",
        run_regularly=(("u_draw = rand()", "start"),),
        method="exact",
        functions=tuple(dist.namespace.items()),
        reference=REFERENCE,
        firing=Firing("p_fire", f"({dist.pdf_expr(f'(v - v_th)/{width}')})/{width}"),
        **_RESET,
    )


def _surrogate_parameter(dist, value, span):
    p = positive("sigma_surrogate", dist.default_scale * span,
                 f"width of the surrogate derivative ({dist.name} density)")
    return p if value is None else replace(p, default=p.check(value))


def with_surrogate(model: NeuronModel, noise="gaussian", sigma_surrogate=None,
                   threshold: str | None = None, membrane: str = "v") -> NeuronModel:
    """``model`` (a hard threshold ``v > theta``) with a surrogate derivative for learning:
    P(spike) = ``int(<its threshold condition>)``, dP/dv = f((v - theta)/sigma_surrogate)
    /sigma_surrogate with f the density of ``noise`` (the same-shaped surrogate as
    :func:`escape_lif`'s).  ``theta`` is read from a threshold ``'v > theta'`` (or ``>=``)
    or given as ``threshold``; ``sigma_surrogate`` (unit of v, > 0) becomes a parameter
    (default: the noise's default scale times 15 mV)."""
    dist = get_noise(noise)
    if threshold is None:
        lhs, op, rhs = (model.threshold or "").partition(">")
        if lhs.strip() != membrane or not rhs.strip():
            raise ParameterError(
                f"with_surrogate(): cannot read the threshold of model '{model.name}' from its "
                f"condition {model.threshold!r}; give threshold='expression of the threshold'.")
        threshold = rhs.lstrip("=").strip()
    span = NOISY_MEMBRANE_PARAMETERS["v_th"].default - NOISY_MEMBRANE_PARAMETERS["v_reset"].default
    firing = Firing(f"int({model.threshold})",
                    f"({dist.pdf_expr(f'({membrane} - ({threshold}))/sigma_surrogate')})"
                    f"/sigma_surrogate", membrane)
    surrogate = _surrogate_parameter(dist, sigma_surrogate, span)
    return replace(model, parameters=ParameterSet(model.parameters, surrogate),
                   functions=tuple({**dict(model.functions), **dist.namespace}.items()),
                   firing=firing)


def diffusive_lif(sigma_v=None, method: str = "euler") -> NeuronModel:
    """The LIF with diffusive noise; ``sigma_v`` (volt, > 0; default 2 mV) is the
    standard deviation of the free membrane potential.  Threshold ``v > v_th``."""
    sigma_parameter = positive("sigma_v", 2 * mV,
                               "standard deviation of the free membrane potential")
    if sigma_v is not None:
        sigma_parameter = replace(sigma_parameter, default=sigma_parameter.check(sigma_v))
    return NeuronModel(
        name="diffusive_lif",
        equations="""
        dv/dt = (E_L - v + R_m*I_ext)/tau_m + sigma_v*sqrt(2/tau_m)*xi : volt (unless refractory)
        I_ext : amp   # external input current
        """,
        parameters=ParameterSet(NOISY_MEMBRANE_PARAMETERS, sigma_parameter),
        threshold="v > v_th",
        method=method,
        reference="Brunel & Hakim (1999) Neural Comput 11:1621; Siegert (1951)",
        **_RESET,
    )


#: The diffusive-noise LIF with default parameters (sigma_v = 2 mV).
DIFFUSIVE_LIF = diffusive_lif()
