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


def test_radix_sort_orders_any_floats_stably():
    """The linear-time fallback of the weekly sort gives np.sort's values, ties kept in order."""
    from collabsim.outcomes import _radix_sort

    rng = np.random.default_rng(5)
    x = np.concatenate(
        [rng.random(3000), [0.0, -0.0, 1.0, 1.0, -2.5, 1e-300, -1e-300, 7.0], rng.random(50)]
    )
    x[100:200] = 0.25  # many equal keys
    idx = rng.permutation(x.size)
    start = idx.copy()
    _radix_sort(x, idx, x.size - 10)  # only the first m entries are sorted
    m = x.size - 10
    assert np.array_equal(idx[m:], start[m:])
    assert sorted(idx[:m]) == sorted(start[:m])
    assert np.array_equal(x[idx[:m]], np.sort(x[start[:m]]))
    equal = [i for i in idx[:m] if x[i] == 0.25]  # stable: equal keys keep their order
    assert equal == [i for i in start[:m] if x[i] == 0.25]


@pytest.mark.parametrize("drift", [0.0001, 0.01, 0.5])
def test_weekly_sort_matches_a_fresh_sort(drift):
    """Re-sorting last week's order gives np.sort's frames however far they moved.

    Small moves are sorted by insertion; large ones (as in big groups) pass the move budget and
    finish with the radix sort; weeks with newcomers split, sort and merge.
    """
    from collabsim.outcomes import _sort_order

    rng = np.random.default_rng(6)
    n = 4000
    x = rng.random(n)
    order = np.argsort(x, kind="stable")
    tenure = np.ones(n, dtype=np.int64)
    for week in range(4):
        x = np.clip(x + drift * rng.normal(size=n), 0.0, 1.0)
        tenure[:] = 1
        if week % 2:
            new = rng.choice(n, 40, replace=False)
            x[new] = rng.random(40)
            tenure[new] = 0
        _sort_order(x, order, tenure)
        assert np.array_equal(np.sort(order), np.arange(n))
        assert np.array_equal(x[order], np.sort(x))


def test_cross_flags_of_ties_match_their_organizations():
    """The weekly measures flag each tie once; seats keep their organization, so flags hold."""
    m = make(4, n_orgs=40, weeks=30).run()
    e, org = m.state.edges, m.state.org
    assert e.meta[2] == e.n
    assert np.array_equal(e.cross[: e.n], org[e.u[: e.n]] != org[e.v[: e.n]])
