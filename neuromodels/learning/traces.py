"""Eligibility traces of the learning framework (Brian2 equation strings).

Notation (discrete time, one Brian2 time step = one step n):

* presynaptic trace  x̄_j(n) = sum_{m<n} a^(n-m) s_j(m),  a = exp(-dt/tau_x);
  with tau_x = tau_m this is exactly d v_i(n) / d w_ij of a LIF neuron without
  reset (the synaptic input of step m reaches the threshold of step m+1).
  It lives in the presynaptic NeuronGroup (one value per neuron, not per
  synapse): it decays in the state update and is incremented by the reset.
* per-step surrogate   psi_i(n) = f((v_i(n) - theta_i)/sigma_grad)/sigma_grad,
  the derivative of the firing probability with respect to v (the noise
  density); stored by the neuron's per-step operation together with its one
  uniform draw.
* synaptic eligibility  elig_ij = e_ij = sum_n psi_i(n) x̄_j(n)  (per synapse)
* threshold eligibility epsi_i = sum_n psi_i(n)         (per neuron;
  d P / d theta = -psi)

Both eligibilities are summed over one sample and cleared at the sample
boundary after the update (see :mod:`.rules`, :mod:`.schedule`).
"""

#: Lines a NeuronGroup needs to act as a *presynaptic* layer.
PRESYNAPTIC_TRACE_EQUATIONS = """
dxbar/dt = -xbar/tau_x : 1   # filtered own spike train (presynaptic trace)
"""
#: Added to the reset of a presynaptic layer.
PRESYNAPTIC_TRACE_ON_SPIKE = "xbar += 1"

#: Lines a NeuronGroup needs to act as a *postsynaptic* (trainable) layer.
POSTSYNAPTIC_TRACE_EQUATIONS = """
psi : 1    # dP(spike)/dv in this step: noise density f(x_grad)/sigma_grad
epsi : 1   # sum of psi over the current sample (threshold eligibility)
"""


def psi_statement(pdf_of_x_grad: str) -> str:
    """Per-step neuron code computing psi and accumulating epsi."""
    return f"psi = ({pdf_of_x_grad})/sigma_grad\nepsi += psi"


#: Per-synapse eligibility trace.
SYNAPTIC_TRACE_EQUATIONS = """
elig : 1   # eligibility: sum over the sample of psi_post * xbar_pre
"""
#: Per-step synapse code (runs after the postsynaptic psi of the same step).
SYNAPTIC_TRACE_STEP = "elig += psi_post*xbar_pre"
#: Sample-boundary clearing.
SYNAPTIC_TRACE_CLEAR = "elig = 0"
PRESYNAPTIC_TRACE_CLEAR = "xbar = 0"
POSTSYNAPTIC_TRACE_CLEAR = "epsi = 0"
