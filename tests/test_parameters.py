import pytest
from brian2 import Hz, mV, ms, nS, second

import numpy as np
from neuromodels.parameters import (Parameter, ParameterError, ParameterSet, format_value, nonnegative,
                                    parse_value, positive, unprefixed)

pytestmark = pytest.mark.compat

PARAMS = ParameterSet(
    positive("tau_m", 20 * ms, "membrane time constant"),
    Parameter("v_th", -50 * mV),
    nonnegative("w", 1 * nS),
    Parameter("n", 100, low=1, integer=True),
    Parameter("p", 0.1, low=0.0, high=1.0),
    Parameter("mode", "random", choices=("random", "symmetric")),
)


def test_defaults_and_overrides():
    values = PARAMS.resolve({"tau_m": 10 * ms})
    assert values["tau_m"] == 10 * ms and values["v_th"] == -50 * mV and values["n"] == 100


@pytest.mark.parametrize("name, value, message", [
    ("tau_m", -5 * ms, "'tau_m' must be > 0. s"),
    ("tau_m", 0 * ms, "'tau_m' must be > 0. s"),
    ("tau_m", 5 * mV, "'tau_m' must have unit second"),
    ("tau_m", 5.0, "'tau_m' must have unit second"),
    ("v_th", 3 * Hz, "'v_th' must have unit volt"),
    ("w", -1 * nS, "'w' must be >= 0. S"),
    ("n", 2.5, "'n' must be a whole number"),
    ("n", 0, "'n' must be >= 1"),
    ("p", 1.5, "'p' must be >= 0.0 and <= 1.0"),
    ("mode", "other", "'mode' must be one of 'random', 'symmetric'"),
    ("tau_m", float("nan") * ms, "'tau_m' must be finite"),
    ("tau_m", "fast", "'tau_m' must be a number with unit second"),
])
def test_bad_values_name_parameter_and_range(name, value, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(".", r"\.")):
        PARAMS.resolve({name: value})


def test_unknown_parameter_lists_known_ones():
    with pytest.raises(ParameterError, match="Unknown parameter.*'tau'.*known parameters: tau_m"):
        PARAMS.resolve(tau=1 * ms)


def test_prefix_roundtrip_and_table():
    pre = PARAMS.prefixed("cuba.")
    assert "cuba.tau_m" in pre and "tau_m" not in pre
    values = pre.resolve({"cuba.tau_m": 3 * ms})
    assert unprefixed(values, "cuba.")["tau_m"] == 3 * ms
    table = PARAMS.table()
    assert "tau_m" in table and "membrane time constant" in table and "> 0. s" in table


def test_with_defaults_checks_values():
    assert PARAMS.with_defaults(n=5).defaults["n"] == 5
    with pytest.raises(ParameterError):
        PARAMS.with_defaults(n=-5)


def test_duplicate_names_rejected():
    with pytest.raises(ValueError, match="Duplicate"):
        ParameterSet(Parameter("a", 1), Parameter("a", 2))


@pytest.mark.parametrize("text, expected", [
    ("20*ms", 20 * ms), ("-5 * mV", -5 * mV), ("4000", 4000), ("0.5", 0.5),
    ("2*second", 2 * second), ("true", True), ("random", "random"),
])
def test_parse_value(text, expected):
    assert parse_value(text) == expected


def test_parse_value_refuses_code():
    assert parse_value("__import__('os')") == "__import__('os')"


def test_array_defaults_accept_other_lengths_and_print_on_one_line():
    params = ParameterSet(positive("sigmas", np.array([0.5, 1.0, 2.0]) * mV))
    values = params.resolve(sigmas=np.arange(1, 21) * mV)
    assert len(values["sigmas"]) == 20
    with pytest.raises(ParameterError, match="'sigmas' must be > 0. V"):
        params.resolve(sigmas=np.array([1.0, -1.0]) * mV)
    text = params.table()
    assert "\n" not in text and "[0.5 1.  2. ] mV" in text
    assert format_value(np.arange(100)) == "[ 0  1  2 ... 97 98 99]"
