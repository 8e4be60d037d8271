"""Models as data: printing, extending, substituting; the README's example runs."""

import numpy as np
import pytest
from brian2 import Network, SpikeMonitor, mV, ms, second

from neuromodels.neurons.lif import LIF
from neuromodels.parameters import ParameterError, positive

from .conftest import readme_example

pytestmark = pytest.mark.compat


def test_readme_example_runs_and_adaptation_lowers_the_rate():
    namespace = {}
    exec(readme_example("A new neuron hypothesis"), namespace)
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


# --- substitution reaches every place a name is read (issue 13) ---------------------------

def _rate(model, n_params=None, duration=1 * second):
    group = model.group(1, params=n_params)
    group.v = -60 * mV
    mon = SpikeMonitor(group)
    Network(group, mon).run(duration)
    return mon.num_spikes / float(duration)


def test_substitution_moves_the_threshold_condition_too():
    """LIF.substituted(v_th="v_th + a") raises the threshold, so the rate is the LIF rate
    formula with threshold v_th + a (analytic), not the plain one."""
    from neuromodels.model import ModelError
    from neuromodels.parameters import Parameter, ParameterSet
    from neuromodels.theory.lif import lif_rate_deterministic as lif_rate

    raised = LIF.extended(parameters=ParameterSet(Parameter("a", 3 * mV, "threshold shift")),
                          name="lif_raised").substituted(v_th="v_th + a")
    assert raised.threshold == "v > (v_th + a)"
    assert raised.reset == LIF.reset  # v_th is not read by the reset
    drive = {"v_rest": -40 * mV}
    p = LIF.namespace(drive)
    expected = lif_rate(p["v_rest"], p["tau_m"], p["v_th"] + 3 * mV, p["v_reset"], p["t_ref"])
    plain = lif_rate(p["v_rest"], p["tau_m"], p["v_th"], p["v_reset"], p["t_ref"])
    measured = _rate(raised, drive)
    assert abs(measured - float(expected)) <= 1.5  # one spike per second of counting error
    assert abs(measured - float(plain)) > 3
    with pytest.raises(ModelError, match="'v_thr' is read nowhere"):
        LIF.substituted(v_thr="v_thr + 1*mV")


def test_substitution_changes_reset_code_and_initial_values_but_not_written_names():
    from neuromodels.neurons.noisy import escape_lif

    model = escape_lif("gaussian").substituted(v_reset="v_reset - 2*mV", E_L="E_L + 1*mV")
    assert model.reset == "v = (v_reset - 2*mV)"
    assert dict(model.initial)["v"] == "(E_L + 1*mV)"
    assert "(E_L + 1*mV) - v" in model.equations
    g = model.group(2)
    assert np.allclose(g.v[:] / mV, -64)


def test_extended_model_has_its_own_name_and_says_what_it_extends():
    adaptive = LIF.extended("dw/dt = -w / tau_w : volt",
                            LIF.parameters.__class__(positive("tau_w", 100 * ms)))
    assert adaptive.name == "lif_extended" and adaptive.name != LIF.name
    assert "extension of 'lif'" in adaptive.reference and LIF.reference in adaptive.reference
    named = LIF.extended(name="adaptive_lif", reference="Treves (1993)")
    assert (named.name, named.reference) == ("adaptive_lif", "Treves (1993)")


def test_a_new_variable_may_not_shadow_a_parameter():
    from neuromodels.model import ModelError

    with pytest.raises(ModelError,
                       match="'v_th' is both a variable of the equations and a parameter"):
        LIF.extended("dv_th/dt = (-50*mV - v_th) / (100*ms) : volt")
    # the route the message names works: a per-neuron, changeable threshold
    moving = LIF.per_neuron("v_th", constant=False).extended(name="lif_moving_threshold")
    g = moving.group(3)
    g.run_regularly("v_th += 0.1*mV")  # allowed: not (constant)
    Network(g).run(1 * ms)
    assert np.allclose(g.v_th[:] / mV, -50 + 0.1 * 10)


def test_per_neuron_parameters_keep_their_range_and_cross_checks():
    from neuromodels.neurons.noisy import escape_lif

    with pytest.raises(ParameterError, match="'tau_m' must be > 0"):
        LIF.per_neuron("tau_m").group(3, params={"tau_m": [10, -1, 5] * ms})
    with pytest.raises(ParameterError, match="'tau_m' must have unit second"):
        LIF.per_neuron("tau_m").group(3, params={"tau_m": 5 * mV})
    with pytest.raises(ParameterError, match="per neuron: give one value or 3 values"):
        LIF.per_neuron("tau_m").group(3, params={"tau_m": [10, 5] * ms})
    # the model's cross-parameter check sees the per-neuron values
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'"):
        escape_lif().per_neuron("v_th").group(3, params={"v_th": [-50, -70, -50] * mV})
    g = LIF.per_neuron("tau_m").group(3, params={"tau_m": [10, 20, 30] * ms})
    assert np.allclose(g.tau_m[:] / ms, [10, 20, 30])
    assert "per-neuron parameters" in str(LIF.per_neuron("tau_m"))


def test_units_and_names_are_checked_when_the_group_is_built():
    from dataclasses import replace

    from neuromodels.model import ModelError, NeuronModel
    from neuromodels.parameters import ParameterSet

    current = NeuronModel("bad_units", "dv/dt = (v_rest - v)/tau_m + I : volt\nI : amp",
                          ParameterSet(LIF.parameters), threshold="v > v_th", reset="v = v_reset")
    with pytest.raises(ModelError, match="'bad_units': inconsistent units in the equations"):
        current.group(1)
    with pytest.raises(ModelError, match="inconsistent units in the threshold 'v > tau_m'"):
        replace(LIF, threshold="v > tau_m").group(1)
    with pytest.raises(ModelError, match="inconsistent units in the reset code 'v = t_ref'"):
        replace(LIF, reset="v = t_ref").group(1)
    with pytest.raises(ModelError, match="undefined name 'v_leak'"):
        replace(LIF, equations="dv/dt = (v_leak - v) / tau_m : volt").group(1)


# --- synapse models: the same operations (issue 9) -----------------------------------------

def _two_neurons():
    from neuromodels.parameters import ParameterSet

    model = LIF.extended("", ParameterSet(), name="lif_probe")
    return model.group(2, params={"v_rest": -70 * mV})


def test_synapse_model_per_synapse_parameters_initial_values_and_checks():
    from neuromodels.model import SynapseModel
    from neuromodels.parameters import ParameterSet, nonnegative

    def bounded(values):
        if np.any(values["w"] > values["w_max"]):
            raise ParameterError("Parameter 'w' must be <= 'w_max'.")

    syn_model = SynapseModel(
        "probe", ParameterSet(nonnegative("w", 1 * mV, "weight"),
                              positive("w_max", 4 * mV, "weight bound")),
        model="count : 1", on_pre="v_post += w\ncount += 1",
        initial=(("count", "0"),), check=bounded).per_synapse("w")
    g = _two_neurons()
    syn = syn_model.connect(g, g, [0, 1], [1, 0], params={"w": [1, 2] * mV})
    assert np.allclose(syn.w[:] / mV, [1, 2])
    with pytest.raises(ParameterError, match="'w' must be >= 0"):
        syn_model.connect(g, g, [0], [1], params={"w": -1 * mV})
    with pytest.raises(ParameterError, match="'w' must be <= 'w_max'"):
        syn_model.connect(g, g, [0], [1], params={"w": 5 * mV})
    with pytest.raises(ParameterError, match="per synapse: give one value or 2 values"):
        syn_model.connect(g, g, [0, 1], [1, 0], params={"w": [1, 2, 3] * mV})


def test_synapse_model_extended_and_substituted():
    from neuromodels.model import ModelError
    from neuromodels.parameters import Parameter, ParameterSet
    from neuromodels.synapses.static import jump

    base = jump("v", 2 * mV)
    counted = base.extended("n_pre : 1", on_pre="n_pre += 1", name="jump_counted", append=True)
    assert counted.on_pre == "v_post += w\nn_pre += 1" and counted.name == "jump_counted"
    scaled = base.extended(parameters=ParameterSet(Parameter("gain", 0.5))).substituted(w="gain*w")
    assert scaled.on_pre == "v_post += (gain*w)"
    g = _two_neurons()
    syn = scaled.connect(g, g, [0], [1])
    g.v = [-40, -70] * mV   # neuron 0 fires at once
    Network(g, syn).run(0.5 * ms)
    assert g.v[1] / mV == pytest.approx(-70 + 1.0, abs=0.05)   # gain*w = 1 mV (decay < 2.5 %)
    with pytest.raises(ModelError, match="'x' is read nowhere"):
        base.substituted(x="2*x")
    with pytest.raises(ModelError, match="'w' is both a variable"):
        base.extended("w : volt")


def test_synapse_units_and_names_are_checked_when_built():
    from dataclasses import replace

    from neuromodels.model import ModelError
    from neuromodels.synapses.static import jump

    g = _two_neurons()
    with pytest.raises(ModelError, match="inconsistent units in the on_pre code 'v_post \\+= w'"):
        jump("v", 2 * ms).synapses(g, g)   # a time added to a voltage
    with pytest.raises(ModelError, match="undefined name 'g_ampa_post'"):
        replace(jump("v", 2 * mV), on_pre="g_ampa_post += w").synapses(g, g)


def test_firing_declaration_is_substituted_and_unit_checked():
    """A model's ``firing`` (P(spike), dP/dv for learning rules) follows substitutions like
    the threshold, and its units are checked when a group is built."""
    from dataclasses import replace

    from neuromodels.model import Firing, ModelError
    from neuromodels.neurons.noisy import with_surrogate

    model = with_surrogate(LIF)
    assert model.firing.probability == "int(v > v_th)" and "sigma_surrogate" in str(model)
    moved = model.substituted(v_th="v_th + 1*mV")
    assert "(v_th + 1*mV)" in moved.firing.probability
    assert "(v_th + 1*mV)" in moved.firing.derivative and "(v_th + 1*mV)" in moved.threshold
    moved.group(2)
    with pytest.raises(ModelError, match="firing derivative .* must have unit"):
        replace(model, firing=Firing("int(v > v_th)", "1/sigma_surrogate*mV")).group(2)
    with pytest.raises(ModelError, match="membrane variable 'u'"):
        replace(model, firing=Firing("int(v > v_th)", "1/mV", membrane="u")).group(2)


# --- issue 24: constraints, one extension rule, namespaces, Brian2 errors, listings -----------

@pytest.mark.parametrize("model_name", ["LIF", "CUBA", "COBA", "COBA_DRIVEN"])
def test_lif_family_refuses_a_reset_above_the_threshold(model_name):
    from neuromodels.neurons import lif

    model = getattr(lif, model_name)
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'.*v_reset = -40. mV"):
        model.group(1, params={"v_reset": -40 * mV})
    assert "'v_reset' must be below 'v_th'" in model.describe()


def test_constraints_of_shared_and_per_neuron_parameters_in_one_message():
    from neuromodels.parameters import ParameterSet, at_most

    model = LIF.extended(parameters=ParameterSet(positive("t_max", 50 * ms),
                                                 at_most("t_ref", "t_max")), name="lif_two")
    with pytest.raises(ParameterError) as err:
        model.per_neuron("v_th").group(2, params={"v_th": [-50, -70] * mV, "t_ref": 60 * ms})
    assert "2 problems" in str(err.value) and "'t_ref' must be at most 't_max'" in str(err.value)


def test_extension_replaces_code_by_default_and_appends_when_asked_for_both_kinds():
    """One rule: a code field given to extended() replaces the parent's; append=True runs it
    after the parent's (issue 24: neurons replaced, synapses appended)."""
    from neuromodels.model import ModelError
    from neuromodels.synapses.static import jump

    assert LIF.extended(reset="v = v_rest").reset == "v = v_rest"
    assert LIF.extended(reset="v_th2 = v", append=True).reset == "v = v_reset\nv_th2 = v"
    every = LIF.extended(run_regularly=(("v += 0*mV", "start"),), append=True)
    twice = every.extended(run_regularly=(("v += 1*mV", "end"),), append=True)
    assert [when for _, when in twice.run_regularly] == ["start", "end"]
    assert every.extended(run_regularly=()).run_regularly == ()
    base = jump("v", 2 * mV)
    assert base.extended("n_pre : 1", on_pre="n_pre += 1").on_pre == "n_pre += 1"
    assert base.extended("n_pre : 1", on_pre="n_pre += 1", append=True).on_pre == \
        "v_post += w\nn_pre += 1"
    assert base.extended(on_post="w += 0").on_pre == base.on_pre   # fields not given: kept
    with pytest.raises(ModelError, match="threshold is a condition and can only be replaced"):
        LIF.extended(threshold="v > v_rest", append=True)


def _spikes_with_locals():
    tau_m = 5 * ms      # noqa: F841 -- a user's locals named like the model's parameters
    v_th = -70 * mV     # noqa: F841
    v = 3 * mV          # noqa: F841 -- and like a state variable
    group = LIF.group(1)
    group.v = -60 * mV
    mon = SpikeMonitor(group)
    Network(group, mon).run(100 * ms)
    return mon.num_spikes


def _spikes_without_locals():
    group = LIF.group(1)
    group.v = -60 * mV
    mon = SpikeMonitor(group)
    Network(group, mon).run(100 * ms)
    return mon.num_spikes


def test_a_users_local_named_like_a_parameter_changes_nothing_and_gives_no_warning(caplog):
    import logging

    from neuromodels.devices import brian2_settings

    with brian2_settings(target="numpy"):
        with caplog.at_level(logging.WARNING, logger="brian2"):
            with_locals = _spikes_with_locals()
        conflicts = [r.getMessage() for r in caplog.records if "refers to" in r.getMessage()
                     or "namespace" in r.getMessage()]
        assert conflicts == []
        assert with_locals == _spikes_without_locals() > 0


def test_brian2_errors_in_a_users_equations_are_said_in_our_words():
    from dataclasses import replace

    from neuromodels.model import ModelError, NeuronModel, SynapseModel
    from neuromodels.parameters import ParameterSet

    reserved = NeuronModel("bad_pre", "dx_pre/dt = -x_pre / tau : 1",
                           ParameterSet(positive("tau", 10 * ms)))
    with pytest.raises(ModelError) as err:
        reserved.group(1)
    text = str(err.value)
    assert text.startswith("Model 'bad_pre': cannot build its neuron group: the variable 'x_pre' "
                           "ends in '_pre'")
    assert "Brian2 says:\n    ValueError: 'x_pre' cannot be used as a variable name" in text
    with pytest.raises(ModelError, match="'lif': cannot build its equations: the equations line "
                                         r"'dv/dt = \(v_rest - v / tau_m : volt' is not valid"):
        replace(LIF, equations="dv/dt = (v_rest - v / tau_m : volt")
    with pytest.raises(ModelError, match="the reset line 'v = = v_reset' is not valid"):
        replace(LIF, reset="v = = v_reset").group(1)
    g = _two_neurons()
    with pytest.raises(ModelError, match="'s': cannot build its synapses: the on_pre line"):
        SynapseModel("s", ParameterSet(), model="w : 1", on_pre="v_post += w*mV +").synapses(g, g)


def test_an_uncaught_model_error_shows_no_brian2_bug_banner():
    import subprocess
    import sys

    script = ("from brian2 import ms\nfrom neuromodels.model import NeuronModel\n"
              "from neuromodels.parameters import ParameterSet, positive\n"
              "NeuronModel('bad_pre', 'dx_pre/dt = -x_pre / tau : 1',\n"
              "            ParameterSet(positive('tau', 10 * ms))).group(1)\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 1
    assert "ModelError: Model 'bad_pre'" in run.stderr
    assert "bug in Brian 2" not in run.stderr and "Brian 2 encountered" not in run.stderr


def _own_models():
    """(module, models whose every parameter the module's docstring must list)."""
    from neuromodels.neurons import lif, noisy, theta, thresholds
    from neuromodels.synapses import apb, reward, short_term, stdp, triplet

    return [
        (lif, [lif.LIF, lif.CUBA, lif.COBA]),
        (noisy, [noisy.escape_lif(), noisy.escape_lif(deterministic=True), noisy.DIFFUSIVE_LIF]),
        (thresholds, [thresholds.ALIF, thresholds.HOMEOSTATIC_LIF]),
        (theta, [theta.THETA, theta.THETA_OSC]),
        (stdp, [stdp.pair_stdp()]), (triplet, [triplet.triplet_stdp()]),
        (short_term, [short_term.tsodyks_markram(facilitating=True)]),
        (reward, [reward.reward_stdp(), reward.with_dopamine(LIF)]),
        (apb, []),
    ]


def test_every_model_lists_its_parameters_with_units_in_print_and_module_docstring():
    import re

    from neuromodels.parameters import format_value
    from neuromodels.synapses import apb

    for module, models in _own_models():
        for model in models:
            text = model.describe()
            for p in (*model.parameters, *model.local_parameters):
                assert re.search(rf"^\s*{re.escape(p.name)}\s+{re.escape(format_value(p.default))}",
                                 text, re.M), (model.name, p.name)
                if module.__name__.endswith(("reward",)) and p.name in LIF.parameters:
                    continue   # the neuron's own, listed in its module
                assert f"``{p.name}``" in module.__doc__, (module.__name__, p.name)
    for name in ("beta", "tau_apb"):
        assert f"``{name}`` (" in apb.__doc__
