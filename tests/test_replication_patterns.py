"""Building blocks of the pattern analyses, on data with known answers."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from collabsim.replication.patterns._common import ffill_rows, mean_band, whiskers
from collabsim.replication.patterns.base_rate import share_by
from collabsim.replication.patterns.cases import first_adoption_week
from collabsim.replication.patterns.formal_structure import best_modes, mode_tables
from collabsim.replication.patterns.key_actions import held_learning_bias, trajectory
from collabsim.replication.patterns.not_speed import censored, consensus_events, time_to
from collabsim.replication.patterns.trust_dynamics import drift_corrected_ratio, event_changes
from collabsim.replication.result import Check, Estimate, greater, less, margin
from collabsim.replication.stats import kaplan_meier


def test_trajectory_classes():
    out = trajectory(np.array([0, 2, 4, 3]), np.array([0, 1, 1, 3]))
    assert list(out) == ["no setback", "learning journey", "blame game", "learning journey"]


def test_event_changes_measure_from_the_week_before_the_event():
    trust = np.array([[0.5, 0.5, 0.4, 0.4, 0.4, 0.4, 0.45, 0.5, np.nan, np.nan]])
    blame = np.array([[0, 0, 1, 1, 1, 1, 1, 1, np.nan, np.nan]])
    wins = np.array([[0, 0, 0, 0, 0, 0, 1, 1, np.nan, np.nan]])
    s, n = event_changes(trust, blame, 4)
    # blame in week 2: trust[5] - trust[1] = 0.4 - 0.5
    assert n[0] == 1 and s[0] == pytest.approx(-0.1)
    # the win in week 6 has no full 4-week window inside the run: not counted
    s, n = event_changes(trust, wins, 4)
    assert n[0] == 0 and s[0] == 0.0
    s, n = event_changes(trust, wins, 2)
    assert n[0] == 1 and s[0] == pytest.approx(0.5 - 0.4)


def test_first_adoption_week_and_censoring():
    active = np.array([[0, 0, 0, 1, 1, 0], [1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, np.nan]])
    assert list(first_adoption_week(active)) == [3, np.inf, np.inf]
    assert list(censored(pd.Series([5.0, np.nan]), 156)) == [5.0, 157.0]


def test_best_modes_keeps_ties_per_context():
    rates = pd.DataFrame(
        {
            "context": ["a", "a", "a", "b", "b", "b"],
            "governance": ["shared", "lead", "nao"] * 2,
            "share": [0.5, 0.5, 0.2, 0.1, 0.3, 0.2],
        }
    )
    assert best_modes(rates) == {"a": {"shared", "lead"}, "b": {"lead"}}


def test_ffill_and_mean_band():
    arr = np.array([[1.0, 2.0, np.nan, np.nan], [1.0, 3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(ffill_rows(arr), [[1, 2, 2, 2], [1, 3, 4, 5]])
    m, lo, hi = mean_band(arr, 0.95)
    np.testing.assert_allclose(m, [1.0, 2.5, 4.0, 5.0])
    assert lo[0] == hi[0] == 1.0 and lo[1] < 2.5 < hi[1]
    assert np.isnan(lo[2]) and np.isnan(hi[3])
    w = whiskers(
        np.array([0.0, 0.5, np.nan]), np.array([1e-17, 0.4, np.nan]), np.array([0.1, 0.7, 1])
    )
    assert (w >= 0).all() and w[:, 1] == pytest.approx([0.1, 0.2])


def test_comparisons_never_pass_on_nan():
    assert not greater(float("nan"), 0.0) and not less(float("nan"), 1.0)
    assert greater(0.1, 0.0) and less(0.1, 0.15)
    assert Estimate("x", 0.5, 0.4, 0.6).text() == "0.500 [0.400, 0.600]"
    assert Estimate("x", float("nan")).text() == "n/a"
    assert not Check("a", "s", "c", [], False).passed


def test_drift_corrected_ratio_recovers_the_true_asymmetry():
    """Trust drifts down 0.01 a week; blame costs 0.06 and a win brings 0.02: true ratio 3.

    Uncorrected, the drift makes blame look worse and wins look smaller (ratio 0.10/0.01 = 10
    over a 4-week window); corrected by matched quiet windows the ratio is exactly 3.
    """
    runs, weeks, w = 40, 60, 4
    rng = np.random.default_rng(0)
    trust = np.full((runs, weeks), 0.0)
    blame = np.zeros((runs, weeks))
    wins = np.zeros((runs, weeks))
    for r in range(runs):
        step = np.full(weeks, -0.01)
        step[0] = 0.0
        t_b, t_w = rng.choice(np.arange(5, weeks - 10, 12), size=2, replace=False)
        step[t_b] += -0.06
        step[t_w] += 0.02
        blame[r, t_b:] = 1
        wins[r, t_w:] = 1
        trust[r] = 0.8 + np.cumsum(step)
    res = drift_corrected_ratio(trust, blame, wins, np.zeros_like(blame), w, rng, 200, 0.95)
    assert res["drift"][0] == pytest.approx(-0.04)
    assert res["blame"][0] == pytest.approx(-0.06) and res["win"][0] == pytest.approx(0.02)
    assert res["ratio"][0] == pytest.approx(3.0)
    assert res["blame_raw"][0] == pytest.approx(-0.10) and res["win_raw"][0] == pytest.approx(-0.02)
    assert res["events"][:2] == (runs, runs)


def test_consensus_events_follow_the_hysteresis():
    c = np.array(
        [
            [0.5, 0.85, 0.7, 0.55, 0.65, 0.82, 0.5, np.nan],  # reached, lost at 3, re-made at 5
            [0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],  # never lost
            [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],  # never reached: never lost
            [0.9, 0.5, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7],  # lost at 1, never re-made
        ]
    )
    losses, first, remade, last = consensus_events(c, 0.8, 0.6)
    assert list(losses) == [2, 0, 0, 1]
    np.testing.assert_array_equal(first, [3, np.nan, np.nan, 1])
    np.testing.assert_array_equal(remade, [5, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(last, [6, 7, 7, 7])


def test_time_to_censors_never_reached_runs_at_the_horizon():
    t, e = time_to(pd.Series([10.0, np.nan, 30.0]), 156)
    assert list(t) == [10.0, 156.0, 30.0] and list(e) == [True, False, True]
    km = kaplan_meier(t, e)
    assert km.at(156) == pytest.approx(1 / 3)
    share, lo, hi = share_by(t, e, 20, 0.95)
    assert share == pytest.approx(1 / 3) and lo < share < hi


def test_mode_tables_are_two_by_two_per_context():
    df = pd.DataFrame(
        {
            "context": ["x"] * 4 + ["y"] * 4,
            "governance": ["shared", "shared", "lead", "lead"] * 2,
            "success": [1, 0, 1, 1, 0, 0, 1, 0],
        }
    )
    tabs = mode_tables(df, "shared", "lead")
    np.testing.assert_array_equal(tabs[0], [[1, 1], [2, 0]])
    np.testing.assert_array_equal(tabs[1], [[0, 2], [1, 1]])


def test_held_learning_bias_sets_the_learning_probability():
    import tomllib

    from collabsim.config import configs_dir
    from collabsim.mechanisms.projects import learning_probability
    from collabsim.params import defaults

    spec = tomllib.loads((configs_dir() / "replication.toml").read_text())
    levels = next(q for q in spec["pattern"] if q["name"] == "key_actions")["levels"]
    cut = levels["learning_cut"]  # the criteria file's own cut
    p = SimpleNamespace(**{**defaults(), **cut})
    for share in (0.2, 0.5, 0.9):
        p.learning_bias = held_learning_bias(share, (0.01, 0.99))
        # whatever the state, every setback is met by learning with this probability
        for trust, precision, safety in ((0.1, 0.0, 0.0), (0.9, 1.0, 1.0)):
            # (the compiled function's plain-Python body reads any object's attributes)
            prob = getattr(learning_probability, "py_func", learning_probability)
            assert prob(p, trust, precision, safety) == pytest.approx(share)
    assert held_learning_bias(0.0, (0.01, 0.99)) == pytest.approx(np.log(0.01 / 0.99))


def test_margin_is_the_distance_on_the_passing_side():
    assert margin(0.3, 0.0, ">") == pytest.approx(0.3)
    assert margin(0.9, 1.0, "<") == pytest.approx(0.1)
    assert margin(-0.2, 0.0, ">") == pytest.approx(-0.2)
    assert np.isnan(margin(float("nan"), 0.0, ">"))
    c = Check("a", "s", "c", [], True, margin=0.004)
    assert c.near(0.01) and not Check("a", "s", "c", [], False, margin=-0.004).near(0.01)


def test_key_actions_analysis_recovers_a_known_indirect_effect():
    """Fabricated runs with known arms: NIE and TE per action come out exactly.

    For every action and seed: success off = 0, on = 1 (TE = 1); held at the on level = 1 and
    at the off level = 1 for the first 30% of seeds (NIE = 0.7). Part (e) is then
    5 x (0.7 - 0.5 x 1) = 1.0 on every seed.
    """
    from collabsim.replication.criteria import load_criteria
    from collabsim.replication.design import Cell
    from collabsim.replication.patterns import key_actions as ka
    from collabsim.replication.result import Context
    from collabsim.replication.runner import PatternRuns

    spec = load_criteria().patterns["key_actions"]
    cells = ka.cells(spec)
    n = 20
    rows, extra = [], []
    for i, c in enumerate(cells):
        reps = n * c.seeds_factor
        for k in range(reps):
            if c.labels["design"] == "factorial":
                y = int((k + i) % 2)
            else:
                y = int(c.labels["arm"] == "on")
            rows.append({"cell": i, "rep": k, "seed": 1000 + k, "success": y,
                         "learning": k % 3, "setbacks": 2})  # fmt: skip
    for c in list(cells):
        if c.labels["design"] != "mediation" or c.labels["arm"] != "on":
            continue
        m = n * c.seeds_factor
        for arm, cut in (("on, learning at off level", 0.3 * m), ("on, learning at on level", m)):
            extra.append(Cell({**c.labels, "arm": arm}, c.params, c.seed_cell, c.seeds_factor))
            i = len(cells) + len(extra) - 1
            for k in range(n * c.seeds_factor):
                rows.append({"cell": i, "rep": k, "seed": 1000 + k, "success": int(k < cut),
                             "learning": 1, "setbacks": 2})  # fmt: skip
    data = PatternRuns(pd.DataFrame(rows))
    ctx = Context(0.95, 200, np.random.default_rng(0))
    res = ka.analyze(spec, cells + extra, data, ctx)
    d = res.check("d")
    assert [e.value for e in d.estimates] == pytest.approx([0.7] * 5)
    assert d.passed  # every NIE clearly above 0
    assert list(res.table["total_effect"]) == pytest.approx([1.0] * 5)
    e = res.check("e")
    assert e.estimates[0].value == pytest.approx(5 * (0.7 - 0.5 * 1.0))
    assert e.passed
