import pytest
from brian2 import Hz, mV, ms, nS, second

import numpy as np
from neuromodels.parameters import (Parameter, ParameterError, ParameterSet, format_value,
                                    nonnegative, parse_value, positive, unprefixed)

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


def test_a_switch_and_a_text_say_what_they_accept():
    """``--show-parameters`` listed a true/false switch (``numpy_target``) as taking 'any
    value' and refused ``-p numpy_target=2`` with 'must be a bool': the table and the error
    say the command line's words, and a text parameter without choices takes any text."""
    params = ParameterSet(Parameter("numpy_target", False, "a switch"),
                          Parameter("label", "run", "a text"))
    table = params.table()
    assert "true or false" in table and "any text" in table and "any value" not in table
    for value in (2, "maybe", parse_value("yes")):
        with pytest.raises(ParameterError, match=f"'numpy_target' must be true or false; got "
                                                 f"{value!r}"):
            params.resolve({"numpy_target": value})
    assert params.resolve({"numpy_target": parse_value("TRUE")})["numpy_target"] is True
    with pytest.raises(ParameterError, match="'label' must be text; got 3"):
        params.resolve({"label": 3})


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


def test_an_array_is_given_in_brackets_on_the_command_line():
    """An array parameter (plasticity-rules' ``frequencies``, noise-population's
    ``pop.sizes``) could not be set with ``-p``: ``[5, 20]*Hz`` stayed a text and was refused
    as 'must be a number'.  Brackets give an array (numpy arithmetic, not a list's); a wrong
    form, unit or an empty array is refused naming how to write one."""
    np.testing.assert_array_equal(parse_value("[5, 20, 50]*Hz") / Hz, [5, 20, 50])
    np.testing.assert_array_equal(parse_value("[5*Hz, 20*Hz]") / Hz, [5, 20])
    np.testing.assert_array_equal(parse_value("[1, 2]*2"), [2, 4])         # not [1, 2, 1, 2]
    assert parse_value("[1*Hz, 2*mV]") == "[1*Hz, 2*mV]"                    # mixed units: text
    assert parse_value("[__import__('os')]") == "[__import__('os')]"
    params = ParameterSet(positive("f", np.array([0.1, 1, 5, 10]) * Hz),
                          Parameter("sizes", np.array([4, 8, 16]), low=1, integer=True))
    np.testing.assert_array_equal(params.resolve(f=parse_value("[5, 50]*Hz"))["f"] / Hz, [5, 50])
    for name, text, message in [
            ("f", "5,20", r"'f' must be numbers in brackets with unit hertz \(e\.g\. "
                          r"\[0\.1, 1, 5\]\*hertz\); got '5,20'"),
            ("sizes", "(4,8)", r"'sizes' must be numbers in brackets \(e\.g\. \[4, 8, 16\]\)"),
            ("f", "[5, 20]*mV", r"'f' must have unit hertz \(e\.g\. \[0\.1, 1, 5\]\*hertz\)"),
            ("f", "[]*Hz", "'f' must hold at least one value; got none"),
            ("f", "[0, 5]*Hz", r"'f' must be > 0\. Hz")]:
        with pytest.raises(ParameterError, match=message):
            params.resolve({name: parse_value(text)})

def test_array_defaults_accept_other_lengths_and_print_on_one_line():
    params = ParameterSet(positive("sigmas", np.array([0.5, 1.0, 2.0]) * mV))
    values = params.resolve(sigmas=np.arange(1, 21) * mV)
    assert len(values["sigmas"]) == 20
    with pytest.raises(ParameterError, match="'sigmas' must be > 0. V"):
        params.resolve(sigmas=np.array([1.0, -1.0]) * mV)
    text = params.table()
    assert "\n" not in text and "[0.5 1.  2. ] mV" in text
    assert format_value(np.arange(100)) == "[ 0  1  2 ... 97 98 99]"


# --- constraints between parameters (issue 24) ---------------------------------------------

def _constrained():
    from neuromodels.parameters import at_most, below, steps_per

    return ParameterSet(
        positive("dt", 0.1 * ms), positive("duration", 1 * second), positive("tau_m", 20 * ms),
        Parameter("v_th", -50 * mV), Parameter("v_reset", -60 * mV),
        Parameter("t_ref", 2 * ms, low=0 * ms),
        below("v_reset", "v_th"), at_most("t_ref", "duration"),
        steps_per("dt", "duration", at_least=100, what="run"),
        steps_per("dt", "tau_m", what="membrane time constant"),
    )


def test_constraints_are_checked_together_in_one_message():
    params = _constrained()
    assert params.resolve()["dt"] == 0.1 * ms
    with pytest.raises(ParameterError) as err:
        params.resolve(v_reset=-40 * mV, t_ref=2 * second)
    text = str(err.value)
    assert "2 problems" in text and "'v_reset' must be below 'v_th'" in text
    assert "'t_ref' must be at most 'duration'" in text and "v_reset = -40. mV" in text


def test_a_coarse_dt_is_refused_with_the_reason_and_a_fitting_value():
    with pytest.raises(ParameterError) as err:
        _constrained().resolve(dt=1 * second)
    text = str(err.value)
    assert "'dt' must leave at least 10 steps per membrane time constant 'tau_m'" in text
    assert "use dt <= 2. ms" in text and "at least 100 steps per run 'duration'" in text
    # the limit itself is accepted
    assert _constrained().resolve(dt=2 * ms)["dt"] == 2 * ms


def test_constraints_travel_with_prefix_combination_and_defaults():
    from neuromodels.parameters import below

    pre = ParameterSet(_constrained().prefixed("cuba."), Parameter("seed", 0))
    with pytest.raises(ParameterError, match="'cuba.v_reset' must be below 'cuba.v_th'"):
        pre.resolve({"cuba.v_reset": -40 * mV})
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'"):
        _constrained().with_defaults(v_reset=-45 * mV)
    with pytest.raises(ParameterError, match="'v_reset' must be below 'v_th'"):  # declaration
        ParameterSet(Parameter("v_th", -50 * mV), Parameter("v_reset", -40 * mV),
                     below("v_reset", "v_th"))
    assert "v_reset" not in _constrained().without("v_reset")
    assert len(_constrained().without("v_reset").constraints) == 3
    assert "together:\n  'v_reset' must be below 'v_th'" in _constrained().table()


def test_per_element_values_are_compared_element_by_element():
    from neuromodels.parameters import below

    params = ParameterSet(Parameter("lo", np.array([1.0, 5.0])),
                          Parameter("hi", np.array([2.0, 6.0])), below("lo", "hi"))
    params.resolve()   # 5 < 6 and 1 < 2, although 5 > 2
    with pytest.raises(ParameterError, match="'lo' must be below 'hi'"):
        params.resolve(lo=np.array([1.0, 7.0]))


SHIPPED_DT = {"cuba-coba": "dt", "noise-rate": "dt", "noise-timing": "dt",
              "noise-population": "dt", "spike-time-single": "dt",
              "spike-time-recurrent": "dt", "spike-time-classification": "brian2_dt"}


@pytest.mark.parametrize("name", sorted(SHIPPED_DT))
def test_studies_refuse_a_dt_too_coarse_for_their_time_constants(name):
    """``-p dt=1*second`` used to run one step and overwrite the results (issue 24)."""
    from neuromodels.study import discover, resolve_parameters

    unavailable = {}
    study = discover(unavailable=unavailable).get(name)
    if study is None:  # an optional extra (JAX) missing, as on the device-compatibility venv
        pytest.skip(f"study {name!r} unavailable: {unavailable}")
    resolve_parameters(study, quick=True)
    with pytest.raises(ParameterError, match=f"'{SHIPPED_DT[name]}' must leave at least"):
        resolve_parameters(study, quick=True, params={SHIPPED_DT[name]: 1 * second})


def test_every_constraint_of_a_study_names_its_parameters():
    """A misspelt name would make a constraint never checked."""
    from neuromodels.study import discover

    for name, study in discover().items():
        names = set(study.parameters.names)
        for constraint in study.parameters.constraints:
            assert set(constraint.names) <= names, (name, constraint.text)
