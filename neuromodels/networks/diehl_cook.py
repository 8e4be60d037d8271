"""Diehl & Cook (2015, Front Comput Neurosci 9:99): unsupervised digit learning by STDP, as a
configuration of the learning framework (:mod:`neuromodels.learning`).

:func:`diehl_cook` returns a :class:`~neuromodels.learning.LearningNetwork`:

* input: ``n_input`` Poisson neurons ('rates' input: one spike probability per step and
  sample; :func:`encoder` turns intensities in [0, 1] into ``x * max_rate * dt``), silent
  during the rest at the end of every sample (``InputLayer(rest=...)``); each input draws
  the number of steps to its next spike (``input_draw='intervals'``, the default:
  geometric, the same Bernoulli process per step as the example's one ``rand()`` per input
  and step, with one draw per spike; other random numbers), or with
  ``input_draw='steps'`` one ``rand()`` per input and step, as the example
  (:class:`~neuromodels.learning.InputLayer`);
* 'exc': ``n_exc`` LIF neurons with the adaptive threshold ``theta = v_th + theta_a``,
  ``theta_a += delta_theta`` per spike, decaying with ``tau_theta``
  (:func:`~neuromodels.neurons.thresholds.adaptive_threshold`), ``theta_a`` layer state that
  persists from sample to sample and from epoch to epoch;
* 'inh': ``n_exc`` LIF neurons; exc -> inh one-to-one, inh -> exc all-but-self (frozen,
  fixed weights: lateral inhibition);
* input -> exc: the example's STDP, the nearest-spike triplet rule
  (:func:`~neuromodels.synapses.triplet.triplet_stdp`) with ``A2_minus = nu_pre/w_max``,
  ``A3_plus = nu_post/w_max`` and no pair potentiation nor triplet depression (its slow pre
  trace left out, ``triplet_depression=False``: the example's three traces): a pre spike
  depresses by ``nu_pre * x_post``, a post spike potentiates by ``nu_post * x_pre *
  x_post2`` (``x_post2``, 40 ms, read before its own update;
  :class:`~neuromodels.learning.plasticity.STDP`), weights normalised to a column sum
  ``total`` before every training sample
  (:class:`~neuromodels.learning.normalisation.Normalisation`); both are off while test
  samples are shown (learning-rate factor 0), and the threshold is frozen (no increments,
  no decay);
* readout: class voting on the training responses
  (:class:`~neuromodels.learning.readout.VotingReadout`);
* ``rule='apb'``: APB (Shen et al. 2022; :func:`~neuromodels.synapses.apb.apb_stdp`) on
  input -> exc instead: nearest-spike pair STDP (the same ``nu_pre``, ``nu_post``, traces;
  no second post trace: APB is defined on the pair rule) whose potentiation is scaled by
  ``1 + beta * (co-activity of the neuron's other inputs)`` (``tau_apb``), the exc neurons
  extended with the co-activity trace (:func:`~neuromodels.synapses.apb.with_coactivity`);
  ``beta = 0`` is the plain pair rule, the baseline to compare APB with;
* Dong et al. (2023; BrainCog's ``UnsupervisedSTDP``; :mod:`~neuromodels.networks.dong`),
  each off by default and switched on alone: ``adaptive_inhibition=True`` (an inhibitory
  spike lowers v by ``k_inh * (v_th - v_reset + theta_a)`` of the target instead of a fixed
  jump), ``threshold_balance=True`` (threshold increments ``theta_gain`` times the input per
  step instead of ``delta_theta``; the largest ``theta_a`` held at ``theta_max`` by shifting
  all down after every training sample), ``batch=B`` (STB-STDP: the input -> exc changes of
  B samples summed and applied at the batch end; :class:`~neuromodels.learning.plasticity.
  STDP`), ``synaptic_filter=True`` (every input spike into j scaled by ``f(I_j)/I_j``, f
  BrainCog's sigmoid scaled by the layer's largest expected input per step ``max_k I_k``;
  training programs only, which :func:`~neuromodels.learning.train` uses for the test
  samples as well).

Train it with :func:`~neuromodels.learning.train` and ``encode=encoder(network)``, and
``lr_schedule=lambda epoch, epochs: 1.0`` for the paper's constant learning rates (the
default cosine schedule scales the STDP amplitudes and threshold increments per epoch).

Point by point against Brian2's ``examples/frompapers/Diehl_Cook_2015.py`` (400 neurons):

* time step: 0.5 ms here (default ``dt``; the paper's), Brian2's example uses its default
  0.1 ms;
* presentation/rest: 350 ms + 150 ms, as the example (``t_present``, ``t_rest``); the whole
  data set runs in one Brian2 run (the example: two ``run()`` calls per sample);
* synapses: current-based (a presynaptic spike adds ``J w`` to v) where the example has
  conductances (``ge`` with a 1 ms, ``gi`` with a 2 ms time constant, reversal 0 and
  -100 mV); the jumps are the example's conductance jumps converted at rest: input
  ``J = w * 1 ms * 65 mV / 100 ms`` = 0.65 mV per unit weight, exc -> inh
  ``10.4 * 1 ms * 60 mV / 10 ms`` = 62 mV, inh -> exc ``-17 * 2 ms * 35 mV / 100 ms`` =
  -11.9 mV; no synaptic delays (the example draws input delays in [0, 10] ms);
* STDP: the example's pre trace (20 ms), post trace (20 ms) and second post trace (40 ms,
  ``tau_post2``; it multiplies the potentiation) with ``nu_pre = 1e-4``, ``nu_post = 1e-2``,
  ``w_max = 1``, nearest spike, as there; traces start at 0 in every sample (the example's
  decay through the 150 ms rest: to 5e-4 and 0.02 of their values);
* threshold: ``theta_plus = 0.05 mV``, ``tau_theta = 1e7 ms``, starting at 0 above
  ``v_th = -52 mV`` (the example: theta = 20 mV with threshold ``theta - 72 mV``); frozen
  (no increments, no decay) on test samples, as the example's test mode;
* normalisation to 78 per neuron (for 784 inputs; ``total`` scales with ``n_input``:
  ``0.1 * n_input`` by default) before every training sample, in the generated code (the
  example: in Python);
* initial input weights U(0, 0.3) (the example: (U(0, 1) + 0.01) * 0.3);
* assignment: class voting on the training responses of each epoch (the example: on a
  separate observation run with plasticity off);
* the example shows a sample again after its rest when it gave fewer than 5 excitatory
  spikes in the presentation, brighter: rates ``pixel/8 * intensity`` Hz with intensity 2,
  then 3, 4, ... (each repetition adds half the first rate: +31.875 Hz for a white pixel),
  without a cap, in training, observation and test alike.  Here ``repeat_below=5`` does
  the same in training and test (:class:`~neuromodels.learning.schedule.Repeat`, decided
  inside the generated code), with a cap ``max_repeats`` (default 5) and the spikes of the
  whole slot (presentation and rest) counted; the run has ``spare`` (1) extra slots per
  sample, too few is an error.  Off by default (``repeat_below=0``: every sample shown
  once).
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, ms

from ..learning import InputLayer, Layer, LearningNetwork, Projection
from ..learning.layers import DRAWS
from ..learning.normalisation import Normalisation
from ..learning.plasticity import STDP
from ..learning.readout import VotingReadout
from ..learning.schedule import Repeat
from ..neurons.noisy import with_surrogate
from ..neurons.thresholds import adaptive_threshold, fixed_threshold
from ..parameters import Parameter, ParameterError, ParameterSet, nonnegative, positive
from ..synapses.apb import apb_stdp, with_coactivity
from ..synapses.triplet import triplet_stdp
from .dong import (BALANCE_PARAMETERS, FILTER_PARAMETERS, SynapticFilter, ThresholdBalance,
                   adaptive_inhibition)

__all__ = ["diehl_cook", "encoder", "PARAMETERS", "EXC_PARAMETERS", "INH_PARAMETERS"]

#: The network's parameters (defaults: Brian2's Diehl_Cook_2015.py, module docstring).
PARAMETERS = ParameterSet(
    positive("dt", 0.5 * ms, "time step"),
    positive("t_present", 350 * ms, "presentation of a sample"),
    nonnegative("t_rest", 150 * ms, "rest after each sample (input silent)"),
    positive("J_input", 0.65 * mV, "jump of v per unit input weight"),
    positive("w_exc_inh", 62 * mV, "exc -> inh jump of v (one-to-one)"),
    positive("w_inh_exc", 11.9 * mV, "inh -> exc drop of v (all but self)"),
    positive("w_max", 1.0, "upper bound of the input weights"),
    positive("w_init", 0.3, "initial input weights ~ U(0, w_init)"),
    nonnegative("nu_pre", 1e-4, "depression per pre spike at zero lag"),
    nonnegative("nu_post", 1e-2, "potentiation per post spike at zero lag"),
    positive("tau_pre", 20 * ms, "presynaptic trace time constant"),
    positive("tau_post", 20 * ms, "postsynaptic trace time constant (depression)"),
    positive("tau_post2", 40 * ms, "second postsynaptic trace (multiplies the potentiation)"),
    Parameter("total", 0.0, "column sum of the input weights (0: 0.1 * n_input; D&C 78 for "
                            "784)", low=0.0),
    Parameter("n_classes", 10, "classes of the voting readout", low=2, integer=True),
    Parameter("rule", "triplet", "input -> exc STDP: the example's rule ('triplet') or APB "
                                 "('apb': nearest pair STDP with associative potentiation)",
              choices=("triplet", "apb")),
    nonnegative("beta", 0.0, "APB: associative boost per unit of the other inputs' trace "
                             "(rule='apb'; 0: pair STDP)"),
    positive("tau_apb", 20 * ms, "APB: co-activity trace time constant (rule='apb')"),
    Parameter("repeat_below", 0, "show a sample again, brighter, when it gave fewer exc "
                                 "spikes (0: never; the example: 5)", low=0, integer=True),
    Parameter("max_repeats", 5, "cap on the showings again of one sample (repeat_below > 0)",
              low=1, integer=True),
    Parameter("spare", 1.0, "extra slots per sample for showings again (repeat_below > 0)",
              low=0.0),
    Parameter("input_draw", "intervals", "Poisson input: the steps to each next spike "
                                         "('intervals': geometric, one draw per spike), or "
                                         "one rand() per input and step ('steps', the "
                                         "example's): the same statistics, other random "
                                         "numbers (learning.layers.InputLayer)",
              choices=DRAWS),
    Parameter("adaptive_inhibition", False, "Dong et al.: inh -> exc jumps a fraction k_inh of "
                                            "the target's threshold distance (networks.dong)"),
    nonnegative("k_inh", 0.0, "adaptive inhibition: the fraction (0: w_inh_exc/(v_th - "
                              "v_reset), Diehl & Cook's jump at theta_a = 0)"),
    Parameter("threshold_balance", False, "Dong et al.: threshold increments theta_gain * input "
                                          "per step, largest theta_a held at theta_max"),
    *BALANCE_PARAMETERS,
    Parameter("batch", 1, "Dong et al.'s STB-STDP: input -> exc changes summed over this many "
                          "samples, applied at batch ends (1: every event)", low=1, integer=True),
    Parameter("synaptic_filter", False, "Dong et al.: input events scaled so that the expected "
                                        "input per step is the adaptive filter's (networks.dong)"),
    *FILTER_PARAMETERS,
)

#: The excitatory neurons (adaptive threshold; Diehl & Cook 2015).
EXC_PARAMETERS = {"E_L": -65 * mV, "v_reset": -65 * mV, "v_th": -52 * mV, "tau_m": 100 * ms,
                  "t_ref": 5 * ms, "tau_theta": 1e7 * ms, "delta_theta": 0.05 * mV}
#: The inhibitory neurons.
INH_PARAMETERS = {"E_L": -60 * mV, "v_reset": -45 * mV, "v_th": -40 * mV, "tau_m": 10 * ms,
                  "t_ref": 2 * ms}


def _steps(duration, dt, name) -> int:
    steps = float(duration / dt)
    if abs(steps - round(steps)) > 1e-9:
        raise ParameterError(f"Parameter '{name}' = {duration} must be a whole number of time "
                             f"steps dt = {dt}.")
    return int(round(steps))


def diehl_cook(n_input: int, n_exc: int, *, exc_params: dict | None = None,
               inh_params: dict | None = None, **params) -> LearningNetwork:
    """The Diehl & Cook (2015) network (module docstring) for ``n_input`` inputs and ``n_exc``
    excitatory (and as many inhibitory) neurons; ``params``: :data:`PARAMETERS`;
    ``exc_params``, ``inh_params``: overrides of :data:`EXC_PARAMETERS`,
    :data:`INH_PARAMETERS` (checked by the neuron model)."""
    p = PARAMETERS.resolve(params)
    for name, value in (("n_input", n_input), ("n_exc", n_exc)):
        if int(value) != value or value < 1:
            raise ParameterError(f"Parameter '{name}' must be a whole number >= 1; got "
                                 f"{value!r}.")
    dt = p["dt"]
    present, rest = _steps(p["t_present"], dt, "t_present"), _steps(p["t_rest"], dt, "t_rest")
    exc_model = with_surrogate(adaptive_threshold())
    if p["rule"] != "apb" and float(p["beta"]) != 0:
        raise ParameterError(f"Parameter 'beta' = {p['beta']!r} is the APB boost; it needs "
                             f"rule='apb' (rule is {p['rule']!r}).")
    for option, names in (("adaptive_inhibition", ("k_inh",)),
                          ("threshold_balance", ("theta_gain", "theta_max")),
                          ("synaptic_filter", ("filter_offset", "filter_slope"))):
        given = [name for name in names if name in params]
        if given and not p[option]:
            raise ParameterError(f"Parameter(s) {given} apply to {option}=True only; "
                                 f"{option} is False.")
    w_max = float(p["w_max"])
    weights = dict(w_max=w_max, w=min(0.5 * w_max, float(p["w_init"])), tau_plus=p["tau_pre"],
                   tau_minus=p["tau_post"])
    if p["rule"] == "apb":
        exc_model = with_coactivity(exc_model, p["tau_apb"])
        stdp = apb_stdp("v", p["J_input"], beta=float(p["beta"]), interaction="nearest",
                        name="diehl_cook_apb", A_plus=float(p["nu_post"]) / w_max,
                        A_minus=float(p["nu_pre"]) / w_max, **weights)
    else:
        stdp = triplet_stdp("v", p["J_input"], interaction="nearest", name="diehl_cook_stdp",
                            triplet_depression=False, A2_plus=0.0,
                            A3_plus=float(p["nu_post"]) / w_max,
                            A2_minus=float(p["nu_pre"]) / w_max, tau_y=p["tau_post2"], **weights)
    inh_model = with_surrogate(fixed_threshold())
    exc_values = {**EXC_PARAMETERS, **(exc_params or {})}
    if p["threshold_balance"] and "delta_theta" not in (exc_params or {}):
        exc_values["delta_theta"] = 0 * mV   # Dong et al.: only the input-scaled increments
    exc = Layer("exc", n_exc, exc_model, params=exc_values, state=("theta_a",))
    inh = Layer("inh", n_exc, inh_model, params={**INH_PARAMETERS, **(inh_params or {})})
    projections = [
        Projection("input", "exc", synapse=stdp, init="uniform", init_scale=float(p["w_init"])),
        Projection("exc", "inh", connect="one_to_one", init="constant",
                   init_scale=p["w_exc_inh"], plastic=False),
        _lateral_inhibition(p, exc_values),
    ]
    total = float(p["total"]) or 0.1 * n_input
    below = int(p["repeat_below"])
    repeat = Repeat("exc", below=below, cap=int(p["max_repeats"]),
                    spare=float(p["spare"])) if below else None
    rules = [STDP("input_to_exc", repeat=repeat is not None, batch=int(p["batch"])),
             Normalisation("input_to_exc", total=total)]
    if p["threshold_balance"]:
        rules.append(ThresholdBalance("input_to_exc", theta_gain=p["theta_gain"],
                                      theta_max=p["theta_max"]))
    if p["synaptic_filter"]:
        rules.append(SynapticFilter("input_to_exc", filter_offset=p["filter_offset"],
                                    filter_slope=p["filter_slope"]))
    return LearningNetwork(InputLayer(n_input, mode="rates", rest=rest, repeat=repeat,
                                      draw=p["input_draw"]), [exc, inh],
                           projections, rules=rules,
                           readout=VotingReadout("exc", n_classes=int(p["n_classes"])),
                           T=present + rest, dt=dt)


def _lateral_inhibition(p, exc_values) -> Projection:
    """inh -> exc, all but self: Diehl & Cook's fixed jump, or Dong et al.'s adaptive one."""
    if not p["adaptive_inhibition"]:
        return Projection("inh", "exc", connect="all_but_self", init="constant",
                          init_scale=-p["w_inh_exc"], plastic=False)
    span = exc_values["v_th"] - exc_values["v_reset"]
    k = float(p["k_inh"]) or float(p["w_inh_exc"] / span)
    return Projection("inh", "exc", synapse=adaptive_inhibition(span),
                      connect="all_but_self", init="constant", init_scale=k, plastic=False)


def encoder(network: LearningNetwork, max_rate=63.75 * Hz):
    """``encode(x, T, rng)`` for :func:`~neuromodels.learning.train`: intensities x in [0, 1]
    -> spike probabilities per step ``x * max_rate * dt`` (Diehl & Cook: pixel/8 * 2 Hz,
    63.75 Hz for a white pixel)."""
    p = float(max_rate * network.dt)
    if not 0 < p <= 1:
        raise ParameterError(f"Parameter 'max_rate' = {max_rate} gives a spike probability "
                             f"{p:g} per step of {network.dt}; it must be in (0, 1].")

    def encode(x, T, rng):
        return np.clip(np.asarray(x, dtype=float), 0.0, 1.0) * p
    return encode
