"""Learning signals: what each trainable neuron's ``L`` is, and how it is routed.

Every trainable layer has a variable ``L``: the learning signal, an estimate
of dLoss/d(spike of this neuron) for the current sample.  The weight rule
(:mod:`.rules`) only reads ``L_post``; changing how ``L`` is produced is how
other learning schemes plug in.

Output layer
    ``L`` is computed from the sample's spike counts and the label at the
    sample boundary (:data:`OUTPUT_ERRORS`):

    * ``'mse'``: loss 1/2 sum_o (c_o/T - y_o)^2, y_o = y_on for the label, y_off
      otherwise; L_o = (c_o/T - y_o)/T.
    * ``'ce'``: loss -log softmax(beta c/T)_label; L_o = beta/T (p_o - y_o).
      Needs the softmax normaliser ``Z`` = sum_o exp(beta c_o/T), a summed
      variable of an output->output Synapses (:data:`SOFTMAX_NORMALISER`).

Hidden layers
    A layer passes ``delta`` upstream (:data:`UPSTREAM`):

    * ``'gain'``: delta = L * mean(psi) * a/(1-a): the expected effect of one
      extra presynaptic spike on this neuron's spike count (a = exp(-dt/tau_m));
      this makes L of the layer below an estimate of dLoss/d(spike).
    * ``'raw'``: delta = L (e-prop-style broadcast of the error).

    and the layer below sums it through fixed feedback weights
    (:data:`FEEDBACK`): ``'symmetric'`` (the current forward weights, i.e.
    their transpose) or ``'random'`` (fixed random B).  This is one summed
    variable of the forward Synapses (``L_pre = ... (summed)``).

Seams for later schemes: direct feedback alignment = a separate Synapses
output -> hidden_k with ``L_post = B*delta_pre (summed)``; DECOLLE = a local
readout group per layer whose ``L`` (computed like the output error) is sent to
that layer; symmetric/random e-prop = ``UPSTREAM='raw'`` with per-step
(online) updates; OTTT = the same traces with the update applied every step.
"""

OUTPUT_ERRORS = {
    "mse": ("L = (count/T_steps - (y_off + (y_on - y_off)*int(abs(label(t - dt) - i) < 0.5)))"
            "/T_steps"),
    "ce": ("L = beta/T_steps*(exp(beta*count/T_steps)/Z"
           " - int(abs(label(t - dt) - i) < 0.5))"),
}

#: Extra output-layer lines needed by an output error.
OUTPUT_ERROR_EQUATIONS = {
    "mse": "",
    "ce": "Z : 1   # softmax normaliser sum_o exp(beta*count_o/T)",
}

#: output -> output Synapses model (all-to-all) providing Z for 'ce'.
SOFTMAX_NORMALISER = "Z_post = exp(beta*count_pre/T_steps) : 1 (summed)"

UPSTREAM = {
    "gain": "delta = L*epsi/T_steps*k_up : 1  # signal sent to the layer below",
    "raw": "delta = L : 1  # signal sent to the layer below",
}

#: Summed variable of a forward Synapses (pre = lower layer, post = upper).
FEEDBACK = {
    "symmetric": "L_pre = w*delta_post : 1 (summed)",
    "random": "L_pre = B*delta_post : 1 (summed)",
}
FEEDBACK_EQUATIONS = {"symmetric": "", "random": "B : 1 (constant)  # fixed feedback weight"}

#: Lines every trainable layer has.
SIGNAL_EQUATIONS = "L : 1   # learning signal dLoss/d(spike), valid at sample boundaries"


def check_choice(value, choices, name):
    if value not in choices:
        raise ValueError(f"parameter '{name}' must be one of {sorted(choices)}, got {value!r}")
    return value
