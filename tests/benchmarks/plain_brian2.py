"""The CUBA and COBA networks written the way Brian2's own examples write them.

The reference for ``bench_cuba.py``: no neuromodels code, globals as the
namespace, connectivity drawn by Brian2 (``connect(p=...)``), as in Brian2's
``examples/CUBA.py`` (and the same equations for COBA, with conductances in
units of the leak conductance).  ``build(network, n, p)`` returns the network.
"""
from brian2 import Network, NeuronGroup, SpikeMonitor, Synapses, mV, ms

taum = 20 * ms
taue = 5 * ms
taui = 10 * ms
Vt = -50 * mV
Vr = -60 * mV

CUBA_EQS = """
dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
dge/dt = -ge/taue : volt
dgi/dt = -gi/taui : volt
"""

COBA_EQS = """
dv/dt  = (ge*(Erev_exc-v)+gi*(Erev_inh-v)-(v-El) + I)*(1./taum) : volt (unless refractory)
dge/dt = -ge/taue : 1
dgi/dt = -gi/taui : 1
"""


def build(network, n, p):
    global El, we, wi, Erev_exc, Erev_inh, I
    n_exc = int(0.8 * n)
    if network == "cuba":
        El = -49 * mV
        we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
        wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
        P = NeuronGroup(n, CUBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="exact")
    else:
        El = -60 * mV
        Erev_exc = 0 * mV
        Erev_inh = -80 * mV
        I = 20 * mV
        we = 6 / 10.0  # excitatory conductance, in units of the leak conductance
        wi = 67 / 10.0  # inhibitory conductance
        P = NeuronGroup(n, COBA_EQS, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                        method="euler")
    P.v = "Vr + rand() * (Vt - Vr)"
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect("i<n_exc and i != j", p=p)
    Ci.connect("i>=n_exc and i != j", p=p)
    s_mon = SpikeMonitor(P)
    return Network(P, Ce, Ci, s_mon), s_mon, (Ce, Ci)


def run(net, duration):
    """Run here, so that the module's globals are the namespace (as in a script)."""
    net.run(duration)
