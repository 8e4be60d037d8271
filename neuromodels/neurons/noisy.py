"""Noisy leaky integrate-and-fire neurons.

Two ways of putting noise into a LIF neuron:

(a) **Escape noise** (stochastic threshold, Ma, Yan & Tang 2023).  In every
    time step the neuron draws ONE uniform number ``u_draw`` and fires iff
    ``u_draw < F((v - v_th)/sigma)``, where F is the CDF of the chosen noise
    distribution (:mod:`neuromodels.neurons.noise`).  Hence
    P(spike in a step | v) = F((v - v_th)/sigma) exactly: the noise enters
    once, through this one draw.  The reset is Brian2's reset, which is run
    for exactly the neurons that passed the threshold in that step, so every
    spike is followed by a reset and there is no reset without a spike.  The
    draw is stored in the state variable ``u_draw`` so that this can be
    checked (``tests/test_neurons_noisy.py`` does).

    The deterministic LIF is the sigma -> 0 limit of the *same* equations,
    threshold and reset: ``deterministic=True`` only sets sigma to a value so
    small (:data:`DETERMINISTIC_SIGMA_FRACTION` of the threshold-reset
    distance) that F evaluates to exactly 0 or 1 in double precision, i.e. to a
    Heaviside step.

(b) **Diffusive noise**: a white-noise current, ``sigma_v*sqrt(2/tau_m)*xi``
    in the membrane equation; ``sigma_v`` is the standard deviation of the
    free (no threshold) membrane potential.  With threshold and reset this is
    the model of the Siegert (first-passage-time) rate formula.

Equations are module-level strings; parameters are records with units.
Parameters listed in ``per_neuron`` become per-neuron ``(constant)``
parameters of the group (e.g. a tuned population with different thresholds);
all others are shared constants in the group's namespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np
from brian2 import Equations, NeuronGroup, Quantity, amp, mV, ms, Mohm, volt
from brian2.units.fundamentalunits import get_dimensions, get_unit

from .noise import NoiseDistribution, check_sigma, get_noise

__all__ = [
    "ESCAPE_LIF_EQUATIONS",
    "DIFFUSIVE_LIF_EQUATIONS",
    "NoisyLIFParams",
    "DETERMINISTIC_SIGMA_FRACTION",
    "escape_lif_model",
    "make_escape_lif",
    "make_diffusive_lif",
    "SUPPORTED_DEVICES",
]

#: Devices the neuron models are written for.  Only constructs brian2genn
#: documents as supported are used (rand() in a run_regularly on the default
#: clock, no linked variables, no summed variables, no extra clocks); 'genn'
#: was NOT run here (brian2genn is not installed in the test environments).
SUPPORTED_DEVICES = ("runtime", "cpp_standalone", "genn")

#: Membrane equation of the escape-noise LIF.  The firing probability
#: ``p_fire`` is appended by :func:`escape_lif_model` from the noise CDF.
ESCAPE_LIF_EQUATIONS = """
dv/dt = (E_L - v + R_m*I_ext)/tau_m : volt (unless refractory)
I_ext : amp                  # external input current
u_draw : 1                   # the one uniform draw of this time step
x_fire = (v - v_th)/sigma : 1  # standardized distance to threshold
"""

#: Membrane equation of the LIF with diffusive (white) noise.  sigma_v is the
#: standard deviation of the free membrane potential.
DIFFUSIVE_LIF_EQUATIONS = """
dv/dt = (E_L - v + R_m*I_ext)/tau_m + sigma_v*sqrt(2/tau_m)*xi : volt (unless refractory)
I_ext : amp                  # external input current
"""

#: Threshold condition of the escape-noise LIF (p_fire = noise CDF of x_fire).
ESCAPE_THRESHOLD = "u_draw < p_fire"
#: The single random draw per neuron and time step (run at the start of the step).
ESCAPE_DRAW = "u_draw = rand()"
LIF_RESET = "v = v_reset"
DIFFUSIVE_THRESHOLD = "v > v_th"

#: sigma used for ``deterministic=True``, as a fraction of v_th - v_reset.
#: Small enough that F((v - v_th)/sigma) is exactly 0 or 1 in double precision
#: for every shipped noise (also the heavy-tailed arctan/Cauchy one) unless
#: |v - v_th| < ~1e-13 V.
DETERMINISTIC_SIGMA_FRACTION = 1e-28

_UNITS = {"tau_m": ms, "E_L": mV, "v_th": mV, "v_reset": mV, "R_m": Mohm, "t_ref": ms}


@dataclass(frozen=True)
class NoisyLIFParams:
    """Parameters of the noisy LIF models (all with units).

    tau_m : membrane time constant; E_L : resting potential; v_th : threshold
    (escape noise: the noise is centred here); v_reset : reset potential;
    R_m : membrane resistance (input I_ext in amp); t_ref : refractory period.
    """

    tau_m: Quantity = field(default_factory=lambda: 10 * ms)
    E_L: Quantity = field(default_factory=lambda: -65 * mV)
    v_th: Quantity = field(default_factory=lambda: -50 * mV)
    v_reset: Quantity = field(default_factory=lambda: -65 * mV)
    R_m: Quantity = field(default_factory=lambda: 100 * Mohm)
    t_ref: Quantity = field(default_factory=lambda: 2 * ms)

    def __post_init__(self):
        for f in fields(self):
            val = getattr(self, f.name)
            unit = _UNITS[f.name]
            if get_dimensions(val) is not get_dimensions(unit):
                raise ValueError(f"parameter '{f.name}' must have units of {unit!r}, got {val!r}")
        if float(self.tau_m) <= 0:
            raise ValueError(f"parameter 'tau_m' must be > 0 ms, got {self.tau_m!r}")
        if float(self.t_ref) < 0:
            raise ValueError(f"parameter 't_ref' must be >= 0 ms, got {self.t_ref!r}")
        if float(self.v_th) <= float(self.v_reset):
            raise ValueError(f"parameter 'v_th' ({self.v_th!r}) must be above "
                             f"'v_reset' ({self.v_reset!r})")

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def replace(self, **changes):
        return replace(self, **changes)


def _split_parameters(values: dict, per_neuron):
    """Per-neuron parameters as equation lines; the rest as namespace."""
    per_neuron = tuple(per_neuron or ())
    unknown = set(per_neuron) - set(values)
    if unknown:
        raise ValueError(f"parameter 'per_neuron' names unknown parameters {sorted(unknown)}; "
                         f"allowed: {sorted(values)}")
    lines = []
    namespace = {}
    for name, val in values.items():
        if name in per_neuron:
            dim = get_dimensions(val)
            unit = "1" if dim.is_dimensionless else repr(get_unit(dim))
            lines.append(f"{name} : {unit} (constant)")
        else:
            namespace[name] = val
    return (Equations("\n".join(lines)) if lines else Equations("")), namespace


def _resolve_sigma(noise: NoiseDistribution, params: NoisyLIFParams, sigma, deterministic):
    span = params.v_th - params.v_reset
    if deterministic:
        if sigma is not None:
            raise ValueError("give either 'sigma' or 'deterministic=True', not both")
        return DETERMINISTIC_SIGMA_FRACTION * span
    if sigma is None:
        return noise.default_scale * span
    return check_sigma(sigma, volt, "sigma")


def escape_lif_model(noise="gaussian", params: NoisyLIFParams | None = None, sigma=None,
                     deterministic=False, per_neuron=()):
    """Equations, threshold, reset and namespace of the escape-noise LIF.

    Returns a dict with keys ``model`` (Equations), ``threshold``, ``reset``,
    ``draw`` (the run_regularly code holding the one draw), ``namespace``,
    ``refractory``, ``method``, ``sigma`` and ``noise``.
    """
    noise = get_noise(noise)
    params = params or NoisyLIFParams()
    sigma = _resolve_sigma(noise, params, sigma, deterministic)
    values = dict(params.as_dict())
    t_ref = values.pop("t_ref")
    values["sigma"] = sigma
    extra, namespace = _split_parameters(values, per_neuron)
    model = (Equations(ESCAPE_LIF_EQUATIONS)
             + Equations(f"p_fire = {noise.cdf_expr('x_fire')} : 1  # P(spike in this step)")
             + extra)
    namespace.update(noise.namespace)
    return {
        "model": model,
        "threshold": ESCAPE_THRESHOLD,
        "reset": LIF_RESET,
        "draw": ESCAPE_DRAW,
        "namespace": namespace,
        "refractory": t_ref,
        "method": "exact",
        "sigma": sigma,
        "noise": noise,
    }


def make_escape_lif(N, noise="gaussian", params: NoisyLIFParams | None = None, sigma=None,
                    deterministic=False, per_neuron=(), dt=None, name="escape_lif*"):
    """NeuronGroup of N escape-noise LIF neurons.

    ``noise`` is a registered name or a NoiseDistribution; ``sigma`` (volt,
    > 0) defaults to ``noise.default_scale*(v_th - v_reset)``;
    ``deterministic=True`` gives the sigma -> 0 (Heaviside) limit of the same
    code.  Firing probability is per time step of the group's clock.
    The group carries ``.noise``, ``.sigma`` and ``.supported_devices``.
    """
    m = escape_lif_model(noise, params, sigma, deterministic, per_neuron)
    params = params or NoisyLIFParams()
    group = NeuronGroup(N, m["model"], threshold=m["threshold"], reset=m["reset"],
                        refractory=m["refractory"], method=m["method"],
                        namespace=m["namespace"], dt=dt, name=name)
    # The one draw per step: before the state update of the same step, so the
    # threshold of every step uses a fresh, single draw.
    group.run_regularly(m["draw"], when="start", name=group.name + "_draw")
    _set_per_neuron(group, m["sigma"], params, per_neuron, "sigma")
    group.v = "E_L"
    _annotate(group, {"model": "escape_lif", "noise": m["noise"], "sigma": m["sigma"],
                      "params": params})
    return group


def make_diffusive_lif(N, params: NoisyLIFParams | None = None, sigma_v=2 * mV,
                       per_neuron=(), method="euler", dt=None, name="diffusive_lif*"):
    """NeuronGroup of N LIF neurons with diffusive noise (``xi`` term).

    ``sigma_v`` (volt, > 0) is the standard deviation of the free membrane
    potential.  Deterministic threshold ``v > v_th``, reset to ``v_reset``.
    """
    params = params or NoisyLIFParams()
    sigma_v = check_sigma(sigma_v, volt, "sigma_v")
    values = dict(params.as_dict())
    t_ref = values.pop("t_ref")
    values["sigma_v"] = sigma_v
    extra, namespace = _split_parameters(values, per_neuron)
    group = NeuronGroup(N, Equations(DIFFUSIVE_LIF_EQUATIONS) + extra,
                        threshold=DIFFUSIVE_THRESHOLD, reset=LIF_RESET, refractory=t_ref,
                        method=method, namespace=namespace, dt=dt, name=name)
    _set_per_neuron(group, sigma_v, params, per_neuron, "sigma_v")
    group.v = "E_L"
    _annotate(group, {"model": "diffusive_lif", "sigma_v": sigma_v, "params": params})
    return group


def _set_per_neuron(group, sigma, params, per_neuron, sigma_name):
    """Initialise per-neuron parameters to their record/default values."""
    for name in per_neuron:
        setattr(group, name, sigma if name == sigma_name else getattr(params, name))


def _annotate(group, info):
    group.add_attribute("model_info")
    group.model_info = info
    group.add_attribute("supported_devices")
    group.supported_devices = SUPPORTED_DEVICES
