"""Building blocks of the pattern analyses, on data with known answers."""

import numpy as np
import pandas as pd
import pytest

from collabsim.replication.patterns._common import ffill_rows, mean_band, whiskers
from collabsim.replication.patterns.cases import first_adoption_week
from collabsim.replication.patterns.formal_structure import best_modes
from collabsim.replication.patterns.key_actions import trajectory
from collabsim.replication.patterns.not_speed import censored
from collabsim.replication.patterns.trust_dynamics import event_changes
from collabsim.replication.result import Check, Estimate, greater, less


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
