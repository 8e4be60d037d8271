"""Models as data: printing, extending, substituting; the README's example runs."""
import re
from pathlib import Path

import numpy as np
import pytest
from brian2 import Network, SpikeMonitor, mV, ms, second

from neuromodels.neurons.lif import LIF
from neuromodels.parameters import ParameterError

pytestmark = pytest.mark.compat


def readme_extending_example():
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split("**A new neuron hypothesis**", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_example_runs_and_adaptation_lowers_the_rate():
    namespace = {}
    exec(readme_extending_example(), namespace)
    adaptive, plain = namespace["adaptive"], LIF
    assert "w" in str(adaptive) and "tau_w" in str(adaptive)
    rates = []
    for model in (plain, adaptive):
        group = model.group(1, params={"v_rest": -40 * mV})
        group.v = -60 * mV
        mon = SpikeMonitor(group)
        Network(group, mon).run(1 * second)
        rates.append(mon.num_spikes)
    # spike-triggered adaptation can only lower the rate of a constantly driven neuron
    assert 0 < rates[1] < rates[0]
    hetero = namespace["hetero"]
    assert np.allclose(hetero.v_rest[:] / mV, -49)


def test_extended_model_rejects_parameters_of_the_new_part():
    adaptive = LIF.extended("dw/dt = -w / tau_w : volt",
                            LIF.parameters.__class__(), reset="v = v_reset")
    assert "dw/dt" in adaptive.equations
    with pytest.raises(ParameterError, match="Unknown parameter"):
        adaptive.group(1, params={"tau_w": 5 * ms})


def test_model_refuses_a_device_it_does_not_declare(tmp_path):
    """A model that declares its devices refuses, when its Brian2 objects are built, an
    active device it does not support, naming the model and the supported devices."""
    import dataclasses

    from neuromodels.devices import DeviceError, use_device
    from neuromodels.synapses.static import jump

    only_runtime = dataclasses.replace(LIF, name="runtime_only", devices=("runtime",))
    only_runtime.group(2)  # runtime is active outside use_device
    with use_device("cpp_standalone", build_root=tmp_path):
        with pytest.raises(DeviceError, match="'runtime_only' does not support device "
                                              "'cpp_standalone'; supported devices: runtime"):
            only_runtime.group(2)
        g = LIF.group(2)
        syn = dataclasses.replace(jump("v", 1 * mV), name="syn_runtime_only",
                                  devices=("runtime",))
        with pytest.raises(DeviceError, match="'syn_runtime_only' does not support"):
            syn.synapses(g, g)
