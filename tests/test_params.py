import math

import pytest

from collabsim import params as P
from collabsim.params import PARAMS, ParamError, coerce, get, validate


def test_every_default_is_valid_and_documented():
    for p in PARAMS.values():
        assert coerce(p, p.default) == p.default, p.name
        assert p.description and p.concept in P.CONCEPTS
        if p.kind in ("float", "int"):
            assert p.low is not None and p.high is not None and p.low <= p.default <= p.high


def test_size_and_horizon_names_match_the_issue():
    for name in ("n_orgs", "reps_per_org", "weeks"):
        assert name in PARAMS


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("turnover_rate", 1.5, "out of range"),
        ("turnover_rate", "abc", "expected a number in [0, 1]"),
        ("n_orgs", 2.5, "not an integer"),
        ("n_orgs", True, "boolean"),
        ("weeks", math.nan, "finite"),
        ("weeks", math.inf, "finite"),
        ("governance", "anarchy", "one of 'shared', 'lead', 'nao'"),
        ("navigator", "maybe", "true or false"),
    ],
)
def test_invalid_values_name_key_value_and_range(key, value, fragment):
    with pytest.raises(ParamError) as err:
        validate({key: value})
    msg = str(err.value)
    assert key in msg and repr(value) in msg and fragment in msg
    assert "\n" not in msg


def test_unknown_key_suggests_the_closest_name():
    with pytest.raises(ParamError, match="unknown parameter 'turnover'.*'turnover_rate'"):
        get("turnover")


def test_strings_are_converted_by_kind():
    out = validate({"n_orgs": "20", "navigator": "true", "loyalty": "0.3", "governance": "lead"})
    assert out["n_orgs"] == 20 and out["navigator"] is True
    assert out["loyalty"] == 0.3 and out["governance"] == "lead"


def test_validate_fills_defaults_and_partial_does_not():
    full = validate({"loyalty": 0.1})
    assert set(full) == set(PARAMS) and full["loyalty"] == 0.1
    assert validate({"loyalty": 0.1}, partial=True) == {"loyalty": 0.1}


def test_table_rows_cover_every_parameter():
    rows = P.table_rows()
    assert [r["name"] for r in rows] == list(PARAMS)
    assert all(r["range"] for r in rows)


def test_numpy_and_pandas_scalars_are_accepted_where_the_kind_matches():
    import numpy as np
    import pandas as pd

    got = validate(
        {
            "navigator": np.bool_(True),
            "n_orgs": np.int32(9),
            "weeks": np.float64(52.0),
            "loyalty": np.float32(0.25),
            "governance": np.str_("lead"),
        },
        partial=True,
    )
    assert got == {
        "navigator": True,
        "n_orgs": 9,
        "weeks": 52,
        "loyalty": 0.25,
        "governance": "lead",
    }
    assert [type(v) for v in got.values()] == [bool, int, int, float, str]  # plain Python
    row = pd.DataFrame({"data_use": [False], "turnover_rate": [0.3], "n_orgs": [8]}).iloc[0]
    assert validate(dict(row), partial=True) == {
        "data_use": False,
        "turnover_rate": 0.3,
        "n_orgs": 8,
    }


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("navigator", 1, "an integer is not a boolean"),
        ("navigator", 0, "an integer is not a boolean"),
        ("data_use", "np.int64(1)", "an integer is not a boolean"),
        ("n_orgs", "np.bool_(True)", "a boolean is not a number"),
        ("loyalty", "np.bool_(False)", "a boolean is not a number"),
        ("n_orgs", "np.float64(2.5)", "not an integer"),
        ("loyalty", "np.float64('nan')", "finite"),
    ],
)
def test_mismatched_kinds_are_rejected_with_a_clear_message(key, value, fragment):
    import numpy as np

    value = eval(value, {"np": np}) if isinstance(value, str) else value
    with pytest.raises(ParamError) as err:
        validate({key: value})
    msg = str(err.value)
    assert key in msg and repr(value) in msg and fragment in msg and get(key).range_text() in msg
