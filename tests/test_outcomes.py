"""The outcome declaration: every recorded value is declared, of its kind and in its range."""

from __future__ import annotations

import math

import numpy as np
import pytest

from collabsim.outcomes import OUTCOMES, SERIES, SERIES_OUTCOMES, SUMMARY_KEYS, SUMMARY_OUTCOMES
from conftest import make

RUNS = [
    {},
    {"navigator": True, "data_use": True, "community_stages": 4, "turnover_rate": 0.6},
    {"entry_points": False, "loyalty": 1.0, "home_pressure": 1.0, "weeks": 60},
    {"governance": "nao", "adaptable": True, "leadership_shock_rate": 1.0, "weeks": 260},
]


def test_declarations_are_unique_and_complete():
    assert len(SERIES) == len(SERIES_OUTCOMES) and len(SUMMARY_KEYS) == len(SUMMARY_OUTCOMES)
    for scope in OUTCOMES.values():
        for o in scope.values():
            assert o.meaning and o.unit and o.kind in ("float", "int", "bool")
            assert o.low < o.high


@pytest.mark.parametrize("overrides", RUNS)
def test_every_summary_value_is_declared_typed_and_in_range(overrides):
    for seed in range(6):
        m = make(seed, **overrides).run()
        out = m.summary()
        assert set(out) == {*SUMMARY_KEYS, "seed"}
        for o in SUMMARY_OUTCOMES:
            v = out[o.name]
            if isinstance(v, float) and math.isnan(v):
                assert o.censored, f"{o.name} is NaN but declared always defined"
                continue
            if o.kind == "bool":
                assert isinstance(v, bool), o.name
            elif o.kind == "int":
                assert isinstance(v, int) and not isinstance(v, bool), o.name
            assert o.low <= v <= o.high, (o.name, v)


@pytest.mark.parametrize("overrides", RUNS)
def test_every_series_value_is_in_its_declared_range(overrides):
    ts = make(3, **overrides).run().timeseries()
    assert list(ts.columns) == ["week", *SERIES]
    for o in SERIES_OUTCOMES:
        col = ts[o.name].to_numpy(dtype=float)
        assert np.all(np.isfinite(col)), o.name
        assert col.min() >= o.low and col.max() <= o.high, (o.name, col.min(), col.max())


def test_censored_times_are_nan_exactly_when_the_event_never_happened():
    m = make(4, entry_points=False, weeks=40).run()
    out = m.summary()
    assert out["wins"] == 0 and math.isnan(out["weeks_to_first_win"])
    assert math.isnan(out["weeks_to_impact"]) and out["weeks_run"] == 40
