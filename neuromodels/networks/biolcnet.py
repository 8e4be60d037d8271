"""BioLCNet (Ghaemi, Mirzaei, Nouri & Kheradpisheh 2022, arXiv 2109.05539): a locally
connected STDP layer and a reward-modulated (R-STDP) classification layer, as a configuration
of the learning framework (:mod:`neuromodels.learning`).

:func:`biolcnet` returns a :class:`~neuromodels.learning.LearningNetwork`:

* input: an image of ``grid`` pixels (``n_input`` = H*W) as Poisson neurons ('rates' input;
  :func:`encoder`: intensity x in [0, 1] -> ``x * max_rate * dt`` per step, BioLCNet's
  ``intensity`` 128 Hz), shown during the whole sample;
* 'lc': ``channels`` x positions neurons with the adaptive threshold of BindsNET's
  ``AdaptiveLIFNodes`` (``theta_a += delta_theta`` per spike, decay ``tau_theta``; layer
  state), fed by input -> lc with ``connect='local'`` (``kernel``, ``stride``; weights of
  their own, no sharing) and nearest-spike pair STDP (BindsNET's ``PostPre`` with traces
  set to 1 at a spike, BioLCNet learning.py:60-83: pre ``w -= nu_lc_pre * x_post``, post
  ``w += nu_lc_post * x_pre``; :func:`~neuromodels.synapses.stdp.pair_stdp`,
  :class:`~neuromodels.learning.plasticity.STDP`), each neuron's weights normalised to
  ``norm * kernel area`` before every training sample
  (:class:`~neuromodels.learning.normalisation.Normalisation`); lateral inhibition
  ``inh_lc`` between the channels at the same position (``inh_type_LC = 'recurrent'``,
  biolcnet.py:229-246; a frozen :class:`WiredProjection`);
* 'output': ``n_classes`` x ``per_class`` LIF neurons, all-to-all from 'lc' with R-STDP
  (:func:`~neuromodels.synapses.reward.reward_stdp`, amplitudes ``nu_out``, traces 20 ms,
  eligibility time constant one step: BindsNET's ``MSTDP``, learning.py:1504-1574;
  :class:`~neuromodels.learning.reward.RewardSTDP`), inhibition ``inh_out`` between the
  classes (``inh_type_FC = 'between_layers'``, biolcnet.py:299-312);
* the reward (:class:`~neuromodels.learning.reward.Reward`): each sample is
  ``t_observe`` + ``t_decide`` + ``t_learn``; the class with the most output spikes in the
  decision period is the decision, R = +1 when it is the label, -1 otherwise (reward.py:
  51-56), delivered as dopamine during the learning period, inside the generated code;
* readout: the class with the most output spikes in the sample
  (:class:`~neuromodels.learning.Readout`, ``per_class``).

Train it with :func:`~neuromodels.learning.train`, ``encode=encoder(network)`` and
``lr_schedule=lambda epoch, epochs: 1.0`` (BindsNET's constant rates).

Defaults: the classification run of BioLCNet's ``main.ipynb`` (cell 12; MNIST 22x22 crops,
classes 0, 1, 2): kernel 15, stride 4, 100 channels, dt 1 ms, 256 + 256 + 256 ms,
``theta_plus`` 0.05 mV, ``tc_theta_decay`` 1e6 ms, traces 20 ms, ``nu_LC`` (1e-4, 1e-2),
``nu_Output`` 0.1, weights in [0, 1] drawn U(0, 1), ``inh_factor`` 100 (LC and FC),
``norm_factor_LC`` 0.25 (BindsNET's ``LocalConnection`` multiplies it by the kernel area,
topology.py:1437), reward and punishment 1, 100 output neurons per class; BindsNET's LIF
defaults (rest and reset -65 mV, threshold -52 mV, 100 ms, refractory 5 ms), a spike adding
``w`` mV (``J_lc``, ``J_out`` 1 mV; the small networks of the tests need 12-25 mV).

Departures from the reference code (``biolcnet.py``, ``reward.py``, ``learning.py`` of
Singular-Brain/BioLCNet; BindsNET ``learning.py``, ``MSTDP``):

* the whole data set runs in one Brian2 run, the reward computed in the generated code
  (the reference: one ``run()`` per sample, the reward in Python at step
  ``observation_period + decision_period``, biolcnet.py:400-426);
* the prediction counted by :func:`~neuromodels.learning.train` is the class with the most
  spikes in the whole sample (the reference: in the decision period, biolcnet.py:405-413,
  618); the reward uses the decision period as the reference does;
* the R-STDP traces and eligibility start at 0 in every sample and run through the whole
  sample (BindsNET's ``MSTDP`` updates them only while the connection learns,
  biolcnet.py:476-484, and never resets them: the last step's eligibility is credited at
  the next sample's first learning step); a pre and a post spike in the same step count as
  pre before post (BindsNET: +1 - 1 = 0); weights are clipped at spikes (BindsNET: every
  step);
* the LC and output pathways deliver a spike in the step after it was emitted (BindsNET's
  ``one_step`` mode: in the same step); input during the dead time moves v (BindsNET:
  ignored during the refractory count);
* the reward: ``variant`` 'scalar' (default) or 'per_spike', ``sub_variant`` 'static'
  (default) or 'RPE' (reward and punishment adapted by a running prediction of the summed
  reward, reward.py:67-80; the notebook's classification cell), as options of
  :class:`~neuromodels.learning.reward.Reward` (``reward_variant``, ``reward_sub_variant``,
  ``td_nu``, ``ema_window``, ``dps_factor``); not built: 'per_spike_target', the online
  variants ('pure_per_spike', 'true_pred', ``tc_reward``) and 'pred_decay'; the RPE state
  starts anew in every run (every epoch), the reference keeps it; ``reward_baseline`` (R
  minus its running mean, Fremaux & Gerstner 2016) is not in the reference;
  no spike clamping (``clamp_intensity`` None in the notebook);
* LC and readout learn in the same run (the reference's end-to-end mode; its notebook
  pre-trains the LC layer with ``nu_Output = 0`` and then loads it frozen,
  biolcnet.py:213-218: here ``nu_lc_pre = nu_lc_post = 0`` and the weights in the state);
  the adaptive thresholds are frozen on test samples, as BindsNET's ``learning=False``;
* the notebook passes ``inh_LC: True`` where the constructor reads ``inh_type_LC``
  (biolcnet.py:53, main.ipynb cell 12); 'recurrent' is built.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
from brian2 import Hz, mV, ms

from ..learning import InputLayer, Layer, LearningNetwork, Projection, Readout
from ..learning.normalisation import Normalisation
from ..learning.plasticity import STDP
from ..learning.reward import Reward, RewardSTDP
from ..neurons.noisy import with_surrogate
from ..neurons.thresholds import adaptive_threshold, fixed_threshold
from ..parameters import Parameter, ParameterError, ParameterSet, nonnegative, positive
from ..synapses.reward import reward_stdp
from ..synapses.stdp import pair_stdp
from . import diehl_cook

__all__ = ["biolcnet", "encoder", "scaled", "PARAMETERS", "LC_PARAMETERS", "OUTPUT_PARAMETERS",
           "SCALED", "WiredProjection", "lc_fields", "digits"]

#: The network's parameters (defaults: BioLCNet's main.ipynb, module docstring).
#: Reward's parameters (name there -> name here) that :func:`biolcnet` passes on.
REWARD_OPTIONS = {"r_plus": "r_plus", "r_minus": "r_minus", "variant": "reward_variant",
                  "sub_variant": "reward_sub_variant", "td_nu": "td_nu",
                  "ema_window": "ema_window", "dps_factor": "dps_factor",
                  "baseline": "reward_baseline"}
PARAMETERS = ParameterSet(
    positive("dt", 1 * ms, "time step"),
    nonnegative("t_observe", 256 * ms, "observation period of a sample (spikes not counted)"),
    positive("t_decide", 256 * ms, "decision period (output spikes summed per class)"),
    positive("t_learn", 256 * ms, "learning period (R-STDP with the reward)"),
    Parameter("kernel", 15, "receptive field of an LC neuron (k or (kh, kw) pixels)", low=1,
              integer=True),
    Parameter("stride", 4, "step between receptive fields (s or (sh, sw))", low=1,
              integer=True),
    Parameter("channels", 100, "LC neurons per position", low=1, integer=True),
    Parameter("grid", 0, "the input as an image (n or (H, W); 0: a square)", low=0,
              integer=True),
    Parameter("n_classes", 3, "classes (BioLCNet's notebook: 0, 1, 2)", low=2, integer=True),
    Parameter("per_class", 100, "output neurons per class", low=1, integer=True),
    positive("J_lc", 1 * mV, "input -> lc: jump of v per unit weight (BindsNET: w in mV)"),
    positive("J_out", 1 * mV, "lc -> output: jump of v per unit weight"),
    positive("w_max", 1.0, "upper weight bound (the lower bound is 0)"),
    nonnegative("nu_lc_pre", 1e-4, "LC STDP: depression per pre spike at zero lag"),
    nonnegative("nu_lc_post", 1e-2, "LC STDP: potentiation per post spike at zero lag"),
    positive("tau_trace", 20 * ms, "trace time constant (LC STDP and R-STDP)"),
    positive("norm", 0.25, "LC weights into a neuron sum to norm * kernel area"),
    nonnegative("nu_out", 0.1, "R-STDP: weight change per unit eligibility and reward"),
    nonnegative("inh_lc", 100 * mV, "inhibition between LC channels at one position"),
    nonnegative("inh_out", 100 * mV, "inhibition between output classes"),
    # the reward's parameters, as Reward declares them (reward_* where the name is generic)
    *(replace(Reward.PARAMETERS[name], name=mine) for name, mine in REWARD_OPTIONS.items()),
)

#: The LC neurons (BindsNET's AdaptiveLIFNodes; theta_plus, tc_theta_decay of the notebook).
LC_PARAMETERS = {"E_L": -65 * mV, "v_reset": -65 * mV, "v_th": -52 * mV, "tau_m": 100 * ms,
                 "t_ref": 5 * ms, "tau_theta": 1e6 * ms, "delta_theta": 0.05 * mV}
#: The output neurons (BindsNET's LIFNodes defaults).
OUTPUT_PARAMETERS = {"E_L": -65 * mV, "v_reset": -65 * mV, "v_th": -52 * mV,
                     "tau_m": 100 * ms, "t_ref": 5 * ms}


class WiredProjection(Projection):
    """A frozen projection with a given ``(n_pre, n_post)`` connection ``mask`` and constant
    weight ``init_scale`` (the lateral inhibitions)."""

    def __init__(self, pre: str, post: str, mask, **params):
        super().__init__(pre, post, plastic=False, init="constant", **params)
        self._mask = np.asarray(mask, dtype=bool)

    def mask(self, network) -> np.ndarray:
        return self._mask

    def problems(self, network) -> list[str]:
        want = (network.size(self.pre), network.size(self.post))
        if self._mask.shape != want:
            return [f"Projection '{self.name}': its mask has shape {self._mask.shape}, not "
                    f"(n_pre, n_post) = {want}."]
        return []


def _steps(duration, dt, name, least=1) -> int:
    steps = float(duration / dt)
    if abs(steps - round(steps)) > 1e-9 or round(steps) < least:
        raise ParameterError(f"Parameter '{name}' = {duration} must be a whole number >= {least} "
                             f"of time steps dt = {dt}.")
    return int(round(steps))


def biolcnet(n_input: int, *, lc_params: dict | None = None, output_params: dict | None = None,
             **params) -> LearningNetwork:
    """The BioLCNet network (module docstring) for ``n_input`` input pixels; ``params``:
    :data:`PARAMETERS`; ``lc_params``, ``output_params``: overrides of
    :data:`LC_PARAMETERS`, :data:`OUTPUT_PARAMETERS` (checked by the neuron model)."""
    p = PARAMETERS.resolve({k: np.asarray(v) if isinstance(v, (tuple, list)) else v
                            for k, v in params.items()})
    if int(n_input) != n_input or n_input < 1:
        raise ParameterError(f"Parameter 'n_input' must be a whole number >= 1; got "
                             f"{n_input!r}.")
    dt = p["dt"]
    observe = _steps(p["t_observe"], dt, "t_observe", least=0)
    decide = _steps(p["t_decide"], dt, "t_decide")
    # the reward is credited from the learning period's first step to its last but one
    learn = _steps(p["t_learn"], dt, "t_learn", least=2)
    lc_stdp = pair_stdp("v", p["J_lc"], interaction="nearest", name="biolcnet_lc_stdp",
                        w_max=p["w_max"], w=0.5 * p["w_max"], A_plus=p["nu_lc_post"] / p["w_max"],
                        A_minus=p["nu_lc_pre"] / p["w_max"], tau_plus=p["tau_trace"],
                        tau_minus=p["tau_trace"])
    grid = p["grid"]
    if np.size(grid) == 1 and int(np.ravel(grid)[0]) == 0:       # a square image
        grid = (int(round(np.sqrt(n_input))),) * 2
    wiring = Projection("input", "lc", synapse=lc_stdp, connect="local", init="uniform",
                        init_scale=p["w_max"], kernel=p["kernel"], stride=p["stride"], grid=grid)
    (H, W), kernel, stride = wiring.local_shape(None)
    if H * W != n_input or kernel[0] > H or kernel[1] > W:
        raise ParameterError(f"Parameters 'grid' = {(H, W)} and 'kernel' = {kernel} must fit "
                             f"the {n_input} input pixels (H*W = n_input, the kernel within the "
                             f"grid).")
    positions = ((H - kernel[0]) // stride[0] + 1) * ((W - kernel[1]) // stride[1] + 1)
    n_lc = int(p["channels"]) * positions
    n_out = int(p["n_classes"]) * int(p["per_class"])
    same_position = np.arange(n_lc)[:, None] % positions == np.arange(n_lc)[None, :] % positions
    classes = np.arange(n_out) // int(p["per_class"])
    readout_stdp = reward_stdp("v", p["J_out"], name="biolcnet_rstdp", w_max=p["w_max"],
                               w_init=0.5 * p["w_max"], A_plus=p["nu_out"] / p["w_max"],
                               A_minus=p["nu_out"] / p["w_max"], tau_plus=p["tau_trace"],
                               tau_minus=p["tau_trace"], tau_c=dt)
    lc = Layer("lc", n_lc, with_surrogate(adaptive_threshold()),
               params={**LC_PARAMETERS, **(lc_params or {})}, state=("theta_a",))
    output = Layer("output", n_out, with_surrogate(fixed_threshold()),
                   params={**OUTPUT_PARAMETERS, **(output_params or {})})
    lateral = same_position & ~np.eye(n_lc, dtype=bool)        # none with one channel
    projections = [wiring] + ([WiredProjection("lc", "lc", lateral, init_scale=-p["inh_lc"])]
                              if lateral.any() else []) + [
        Projection("lc", "output", synapse=readout_stdp, init="uniform", init_scale=p["w_max"]),
        WiredProjection("output", "output", classes[:, None] != classes[None, :],
                        init_scale=-p["inh_out"]),
    ]
    area = kernel[0] * kernel[1]
    rules = [STDP("input_to_lc"), Normalisation("input_to_lc", total=p["norm"] * area),
             RewardSTDP("lc_to_output")]
    signals = [Reward("output", observe=observe, decide=decide,
                      **{name: p[mine] for name, mine in REWARD_OPTIONS.items()})]
    return LearningNetwork(InputLayer(n_input, mode="rates"), [lc, output], projections,
                           signals=signals, rules=rules,
                           readout=Readout("output", per_class=int(p["per_class"])),
                           T=observe + decide + learn, dt=dt)


def encoder(network: LearningNetwork, max_rate=128 * Hz):
    """``encode(x, T, rng)`` for :func:`~neuromodels.learning.train`: intensities x in [0, 1]
    -> spike probabilities per step ``x * max_rate * dt`` (BioLCNet's ``intensity`` 128:
    128 Hz for a white pixel); :func:`neuromodels.networks.diehl_cook.encoder`."""
    return diehl_cook.encoder(network, max_rate)


#: BioLCNet scaled to 8x8 digits (found in the study ``biolcnet``'s pilot): kernel 4, stride 2
#: (3 x 3 positions; the notebook: 15 and 4 on 22 x 22), samples of 10 + 20 + 20 ms at dt 1 ms
#: (the notebook: 3 x 256 ms), 10 output neurons per class, jumps large enough for the small
#: layers to fire (12 and 3 mV per unit weight), inhibition 20 mV between channels and the
#: notebook's 100 mV between classes, R-STDP rate 0.05.
SCALED = dict(kernel=4, stride=2, per_class=10, J_lc=12 * mV, J_out=3 * mV, nu_out=0.05,
              inh_lc=20 * mV, inh_out=100 * mV, t_observe=10 * ms, t_decide=20 * ms,
              t_learn=20 * ms)


def scaled(n_input: int, channels: int, n_classes: int, **params) -> LearningNetwork:
    """:func:`biolcnet` with :data:`SCALED` (``params`` override it), ``channels`` LC
    neurons per position and ``n_classes`` classes."""
    return biolcnet(n_input, **{**SCALED, "channels": channels, "n_classes": n_classes,
                                **params})


def lc_fields(network: LearningNetwork, w, position: int | None = None) -> np.ndarray:
    """The input -> lc weights ``w`` (n_input, n_lc) of the channels at LC position
    ``position`` (default: the middle one) as (channels, n_input): neuron i sits at position
    ``i % positions`` and is channel ``i // positions``; pixels outside the kernel are 0."""
    (H, W), kernel, stride = network.projections[0].local_shape(None)
    positions = ((H - kernel[0]) // stride[0] + 1) * ((W - kernel[1]) // stride[1] + 1)
    position = positions // 2 if position is None else int(position)
    if not 0 <= position < positions:
        raise ParameterError(f"Parameter 'position' must be in [0, {positions}); got "
                             f"{position}.")
    return np.asarray(w, dtype=float)[:, position::positions].T


def digits(classes: int, n_train: int, n_test: int):
    """(x_train, y_train, x_test, y_test): the digits 0 .. ``classes`` - 1 of
    :func:`~neuromodels.networks.stdp_learning.dataset`'s split of scikit-learn's 8x8 digits,
    the first ``n_train`` / ``n_test`` of them (0: all)."""
    from .stdp_learning import dataset

    x_tr, y_tr, x_te, y_te, _ = dataset("digits", 0, 0)
    tr, te = y_tr < classes, y_te < classes
    n_tr, n_te = int(n_train) or int(tr.sum()), int(n_test) or int(te.sum())
    return x_tr[tr][:n_tr], y_tr[tr][:n_tr], x_te[te][:n_te], y_te[te][:n_te]
