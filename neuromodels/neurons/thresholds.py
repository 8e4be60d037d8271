r"""Dynamic spike thresholds on the LIF neuron: fixed, adaptive (ALIF), homeostatic, learnable.

Every model here is the current-driven LIF membrane of :mod:`neuromodels.neurons.noisy`,

.. math:: \tau_m \frac{dv}{dt} = E_L - v + R_m I_{ext},

with reset to :math:`v_{reset}` and dead time :math:`t_{ref}`, plus a state or
subexpression ``theta`` (volt), **the threshold**, that the firing condition reads:

* hard threshold (``noise=None``): a spike when ``v > theta``;
* escape noise (``noise='gaussian'``, ``'logistic'``, ...): one uniform draw per step,
  a spike when ``u_draw < p_fire`` with :math:`p_{fire} = F((v - \theta)/\sigma)`, exactly as
  :func:`neuromodels.neurons.noisy.escape_lif` but with ``theta`` in place of ``v_th``
  (``deterministic=True``: the :math:`\sigma \to 0` limit of the same code).

The threshold models (the baseline threshold is ``v_th``, a parameter):

(a) **fixed** (:func:`fixed_threshold`): :math:`\theta = v_{th}`.

(b) **spike-triggered adaptive**, the ALIF (:func:`adaptive_threshold`, :data:`ALIF`):

    .. math::
        \theta = v_{th} + \theta_a,\qquad \tau_\theta \frac{d\theta_a}{dt} = -\theta_a,
        \qquad \theta_a \to \theta_a + \Delta\theta \text{ at each spike.}

    This is the ALIF of Bellec et al. (2018, LSNN) and of e-prop (Bellec et al. 2020,
    Methods: :math:`A = v_{th} + \beta a`, :math:`a` jumping at each spike and decaying with
    :math:`\rho = e^{-\delta t/\tau_a}`; here :math:`\Delta\theta` is the jump of the threshold
    itself and :math:`\tau_\theta = \tau_a`; Bellec's neurons reset by subtraction, these to
    :math:`v_{reset}`).  It is also one threshold kernel of NEST's ``gif_psc_exp``
    (:math:`V_T = V_T^* + \gamma`, :math:`\gamma` jumping by ``q_sfa`` and decaying with
    ``tau_sfa``; Mensi et al. 2012, Pozzorini et al. 2015) and of ``mat2_psc_exp``
    (:math:`\omega + H_1`, jump ``alpha_1``, decay ``tau_1``; Kobayashi et al. 2009), whose
    membrane is not reset: ``adaptive_threshold(reset_membrane=False)`` is that form.
    Exact periodic state and adaptation transient: :mod:`neuromodels.theory.alif`.

(c) **homeostatic** (:func:`homeostatic_threshold`, :data:`HOMEOSTATIC_LIF`):

    .. math::
        \theta = v_{th} + \theta_h,\qquad
        \frac{d\theta_h}{dt} = \Delta\theta_h \Big(\sum_k \delta(t - t_k) - r_{target}\Big),

    i.e. :math:`\theta_h` rises by :math:`\Delta\theta_h` at each spike and falls at the
    constant speed :math:`\Delta\theta_h r_{target}` in between.  Integrating over a window
    :math:`[t_1, t_2]` with :math:`N` spikes gives
    :math:`\theta_h(t_2) - \theta_h(t_1) = \Delta\theta_h (N - r_{target}(t_2 - t_1))`, so
    the measured rate is :math:`r_{target} + [\theta_h(t_2)-\theta_h(t_1)]/(\Delta\theta_h
    (t_2 - t_1))`: the only state in which the threshold stays bounded fires at exactly
    :math:`r_{target}`, whatever the input (an integral controller).  The time to get there
    is about :math:`1/(\Delta\theta_h\, |dr/d\theta|)`.  This is the continuous-time form of the
    intrinsic-plasticity rule of SORN (Lazar, Pipa & Triesch 2009: :math:`T \to T +
    \eta_{IP}(x - H_{IP})` each step).  Unlike Diehl & Cook (2015; :math:`\theta` += const per
    spike with an exponential decay to 0), whose equilibrium rate depends on the input.
    There is no floor: where the input is weak the threshold falls (below :math:`v_{reset}`
    if needed) until the target is met, possible for any :math:`r_{target} < 1/t_{ref}`.

(d) **per-neuron learnable** (:func:`learnable_threshold`): ``v_th`` becomes a per-neuron
    state variable that is *not* ``(constant)``, so a learning rule (a ``run_regularly``, a
    synapse's ``on_pre``) can write it during a run; combine with (a)–(c), e.g.
    ``learnable_threshold(ALIF)`` learns the baseline under adaptation.

Usage::

    from neuromodels.neurons.thresholds import ALIF, adaptive_threshold, learnable_threshold
    print(ALIF)                                   # equations, threshold, reset, parameters
    g = ALIF.group(3, params={'tau_theta': 200*ms}, dt=0.01*ms)
    g.I_ext = [0.2, 0.3, 0.5]*nA
    noisy = learnable_threshold(adaptive_threshold(noise='logistic', sigma=1*mV))

References
----------
Bellec G, Salaj D, Subramoney A, Legenstein R, Maass W (2018) Long short-term memory and
learning-to-learn in networks of spiking neurons. NeurIPS 31.
Bellec G et al. (2020) A solution to the learning dilemma for recurrent networks of spiking
neurons. Nat Commun 11:3625.
Kobayashi R, Tsubo Y, Shinomoto S (2009) Front Comput Neurosci 3:9 (MAT model).
Mensi S et al. (2012) J Neurophysiol 107:1756; Pozzorini C et al. (2015) PLoS Comput Biol
11:e1004275 (GIF model).
Lazar A, Pipa G, Triesch J (2009) SORN: a self-organizing recurrent neural network.
Front Comput Neurosci 3:23.
Diehl PU, Cook M (2015) Unsupervised learning of digit recognition using spike-timing-
dependent plasticity. Front Comput Neurosci 9:99.

Parameters (default; accepted range): the membrane's of :mod:`neuromodels.neurons.noisy`
(``tau_m``, ``E_L``, ``R_m``, ``v_th``, ``v_reset``, ``t_ref``), plus the threshold's:

* ``tau_theta`` (100. ms; > 0. s): decay time constant of the threshold adaptation
* ``delta_theta`` (2. mV; >= 0. V): jump of the threshold at each spike
* ``r_target`` (20. Hz; > 0. Hz): target firing rate
* ``delta_theta_h`` (0.5 mV; > 0. V): jump of the threshold at each spike (drift speed
  delta_theta_h * r_target between spikes)
"""
from __future__ import annotations

from dataclasses import replace

from brian2 import Hz, mV, ms

from ..model import NeuronModel
from ..parameters import ParameterError, ParameterSet, nonnegative, positive
# the membrane equations, reset and v_reset < v_th constraint of the noisy LIF models: the same
# membrane, one home
from .noisy import _MEMBRANE, _RESET, NOISY_MEMBRANE_PARAMETERS, escape_lif

__all__ = ["fixed_threshold", "adaptive_threshold", "homeostatic_threshold", "learnable_threshold",
           "FIXED_THRESHOLD_LIF", "ALIF", "HOMEOSTATIC_LIF", "ADAPTIVE_THRESHOLD_PARAMETERS",
           "HOMEOSTATIC_THRESHOLD_PARAMETERS"]

_ALIF_REFERENCE = ("Bellec et al. (2018) NeurIPS 31; Bellec et al. (2020) Nat Commun 11:3625; "
                   "threshold kernel of NEST gif_psc_exp / mat2_psc_exp")
_HOMEOSTATIC_REFERENCE = ("Lazar, Pipa & Triesch (2009) Front Comput Neurosci 3:23 "
                          "(SORN intrinsic plasticity)")

#: Parameters of the spike-triggered adaptive threshold (ALIF).
ADAPTIVE_THRESHOLD_PARAMETERS = ParameterSet(
    positive("tau_theta", 100 * ms, "decay time constant of the threshold adaptation"),
    nonnegative("delta_theta", 2 * mV, "jump of the threshold at each spike"),
)

#: Parameters of the homeostatic threshold.
HOMEOSTATIC_THRESHOLD_PARAMETERS = ParameterSet(
    positive("r_target", 20 * Hz, "target firing rate"),
    positive("delta_theta_h", 0.5 * mV, "jump of the threshold at each spike (drift speed "
             "delta_theta_h * r_target between spikes)"),
)


def _threshold_model(name, theta_equations, parameters, on_spike, *, noise, sigma, deterministic,
                     reset_membrane=True, reference=""):
    """The LIF membrane + a threshold ``theta`` (equations, parameters, code run at each spike)."""
    if noise is None:
        if sigma is not None or deterministic:
            raise ParameterError("'sigma' and 'deterministic' set the escape noise: give 'noise' "
                                 "(e.g. noise='gaussian') as well, or neither.")
        base = NeuronModel(name=name, equations=_MEMBRANE, parameters=NOISY_MEMBRANE_PARAMETERS,
                           threshold="v > theta", method="exact",
                           **_RESET)
    else:
        escape = escape_lif(noise, sigma, deterministic)
        base = replace(escape.substituted(v_th="theta"),
                       name=escape.name.replace("escape_lif", f"escape_{name}"))
    model = base.extended(theta_equations, parameters, name=base.name, reset=on_spike,
                          append=True, reference=reference)  # on_spike after the reset
    if not reset_membrane:  # v keeps integrating through spikes and dead time (NEST mat2_psc_exp)
        model = replace(
            model, name=model.name + "_no_reset",
            equations=model.equations.replace(" (unless refractory)", ""),
            reset=on_spike, parameters=model.parameters.without("v_reset"))
    return model


def fixed_threshold(noise=None, sigma=None, deterministic: bool = False) -> NeuronModel:
    """The LIF with a fixed threshold ``theta = v_th`` (hard, or escape noise ``noise``)."""
    return _threshold_model("lif_fixed_threshold", "theta = v_th : volt   # the threshold",
                            None, "", noise=noise, sigma=sigma, deterministic=deterministic,
                            reference="Lapicque (1907); Gerstner & Kistler (2002) ch. 4")


def adaptive_threshold(noise=None, sigma=None, deterministic: bool = False,
                       reset_membrane: bool = True) -> NeuronModel:
    """The ALIF: ``theta = v_th + theta_a``, ``theta_a`` += ``delta_theta`` at each spike and
    decays with ``tau_theta``, starting at ``theta_a = 0``.  ``reset_membrane=False``: v is not
    reset and integrates through the dead time ``t_ref`` (the form of NEST's
    ``mat2_psc_exp``)."""
    model = _threshold_model(
        "alif",
        """
        theta = v_th + theta_a : volt                   # the threshold
        dtheta_a/dt = -theta_a / tau_theta : volt       # its spike-triggered part
        """,
        ADAPTIVE_THRESHOLD_PARAMETERS, "theta_a += delta_theta", noise=noise, sigma=sigma,
        deterministic=deterministic, reset_membrane=reset_membrane, reference=_ALIF_REFERENCE)
    return replace(model, initial=model.initial + (("theta_a", 0 * mV),))


def homeostatic_threshold(noise=None, sigma=None, deterministic: bool = False) -> NeuronModel:
    """The LIF whose threshold ``theta = v_th + theta_h`` drifts until the neuron fires at
    ``r_target``: ``theta_h`` += ``delta_theta_h`` per spike, -= ``delta_theta_h * r_target``
    per second."""
    model = _threshold_model(
        "lif_homeostatic_threshold",
        """
        theta = v_th + theta_h : volt                     # the threshold
        dtheta_h/dt = -delta_theta_h * r_target : volt    # its homeostatic part
        """,
        HOMEOSTATIC_THRESHOLD_PARAMETERS, "theta_h += delta_theta_h", noise=noise, sigma=sigma,
        deterministic=deterministic, reference=_HOMEOSTATIC_REFERENCE)
    # Brian2's 'exact' (linear) solver refuses a derivative that does not depend on its
    # variable; exponential Euler is exact for both equations here (linear v, constant drift).
    return replace(model, method="exponential_euler")


def learnable_threshold(model: NeuronModel, name: str = "v_th") -> NeuronModel:
    """``model`` with parameter ``name`` (default the baseline threshold ``v_th``) as a
    per-neuron state variable that is not ``(constant)``, so that a learning rule can write
    it; it starts at its default, or at the checked values of ``group(params={name: ...})``
    (range and the model's cross-checks still apply)."""
    return replace(model.per_neuron(name, constant=False), name=f"{model.name}_learnable_{name}")


#: The LIF with a fixed hard threshold ``v > theta``, ``theta = v_th`` (default parameters).
FIXED_THRESHOLD_LIF = fixed_threshold()
#: The deterministic ALIF with default parameters (tau_theta = 100 ms, delta_theta = 2 mV).
ALIF = adaptive_threshold()
#: The deterministic homeostatic-threshold LIF (r_target = 20 Hz, delta_theta_h = 0.5 mV).
HOMEOSTATIC_LIF = homeostatic_threshold()
