"""The replication's statistics recover known answers."""

import math

import numpy as np
import pytest
from scipy import stats

from collabsim.replication.stats import (
    bootstrap_ci,
    cramers_v,
    cramers_v_ci,
    logistic_regression,
    mann_whitney,
    median_diff_ci,
    newcombe_diff,
    percentile_ci,
    resample_within,
    spearman_ci,
    welch_diff,
    wilson,
)


def test_wilson_matches_newcombe_1998():
    # Newcombe (1998), Stat Med 17:857, example 81/263: Wilson score interval 0.2553-0.3662
    p, lo, hi = wilson(81, 263)
    assert p == pytest.approx(81 / 263)
    assert (lo, hi) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    assert wilson(0, 10)[1] == pytest.approx(0.0) and wilson(10, 10)[2] == pytest.approx(1.0)
    assert all(math.isnan(v) for v in wilson(0, 0))


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Newcombe (1998), Stat Med 17:873, method 10 (hybrid score)
        ((56, 70, 48, 80), (0.2, 0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.6, 0.1705, 0.8090)),
    ],
)
def test_newcombe_matches_published_examples(counts, expected):
    assert newcombe_diff(*counts) == pytest.approx(expected, abs=1e-4)


def test_newcombe_is_antisymmetric_and_handles_empty_groups():
    d, lo, hi = newcombe_diff(30, 50, 20, 60)
    d2, lo2, hi2 = newcombe_diff(20, 60, 30, 50)
    assert (d2, lo2, hi2) == pytest.approx((-d, -hi, -lo))
    assert math.isnan(newcombe_diff(1, 0, 1, 5)[0])


def test_welch_matches_scipy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(0.5, 2, size=70)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval()
    d, lo, hi = welch_diff(a, b)
    assert d == pytest.approx(a.mean() - b.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high))


def test_logistic_regression_recovers_known_coefficients():
    rng = np.random.default_rng(7)
    n = 20000
    x = rng.normal(size=(n, 3))
    beta = np.array([-0.5, 1.0, -0.7, 0.0])
    eta = beta[0] + x @ beta[1:]
    y = rng.random(n) < 1 / (1 + np.exp(-eta))
    fit = logistic_regression(x, y)
    assert fit.converged
    assert np.all(np.abs(fit.coef - beta) < 4 * fit.se)
    ors = fit.odds_ratios()
    for b, (o, lo, hi) in zip(beta, ors, strict=True):
        assert lo < math.exp(b) < hi
        assert o == pytest.approx(math.exp(b), rel=0.1)


def test_logistic_regression_matches_a_2x2_table():
    # one binary predictor: the odds ratio is the table's (a d) / (b c), Wald SE sqrt(sum 1/n)
    x = np.array([0] * 100 + [1] * 100)
    y = np.array([1] * 20 + [0] * 80 + [1] * 50 + [0] * 50)
    fit = logistic_regression(x, y)
    o, lo, hi = fit.odds_ratios()[1]
    assert o == pytest.approx((50 * 80) / (50 * 20))
    se = math.sqrt(1 / 20 + 1 / 80 + 1 / 50 + 1 / 50)
    assert (lo, hi) == pytest.approx((o * math.exp(-1.959964 * se), o * math.exp(1.959964 * se)))


def test_logistic_regression_reports_separation():
    x = np.array([0, 0, 0, 1, 1, 1])
    y = np.array([0, 0, 0, 1, 1, 1])
    fit = logistic_regression(x, y)
    assert not fit.converged
    assert all(math.isnan(v) for v in fit.odds_ratios()[1])


def test_cramers_v_known_values():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 3, 30000)
    y = rng.integers(0, 2, 30000)
    assert cramers_v(x, y) < 0.03
    assert cramers_v(x, x) == pytest.approx(1.0)
    assert cramers_v(x, np.zeros_like(x)) == 0.0
    # 2 x 2: V equals |phi|
    a = np.array([0] * 60 + [1] * 40)
    b = np.array([0] * 45 + [1] * 15 + [0] * 10 + [1] * 30)
    phi = (45 * 30 - 15 * 10) / math.sqrt(60 * 40 * 55 * 45)
    assert cramers_v(a, b) == pytest.approx(phi)


def test_cramers_v_ci_is_seeded_and_covers_the_point():
    rng_data = np.random.default_rng(5)
    x = rng_data.integers(0, 3, 600)
    y = (rng_data.random(600) < 0.3 + 0.2 * (x == 2)).astype(int)
    a = cramers_v_ci(x, y, np.random.default_rng(1), resamples=500)
    b = cramers_v_ci(x, y, np.random.default_rng(1), resamples=500)
    assert a == b
    v, lo, hi = a
    assert lo < v < hi and v == pytest.approx(cramers_v(x, y))


def test_spearman_matches_scipy_and_bootstrap_covers():
    rng = np.random.default_rng(11)
    x = np.repeat([0.0, 0.1, 0.2, 0.3, 0.4], 100)
    y = np.round(50 + 40 * x + rng.normal(0, 10, len(x)))
    rho, lo, hi = spearman_ci(x, y, np.random.default_rng(2), resamples=1000)
    assert rho == pytest.approx(stats.spearmanr(x, y).statistic)
    assert lo < rho < hi and lo > 0
    rho0, lo0, hi0 = spearman_ci(x, rng.normal(size=len(x)), np.random.default_rng(2))
    assert lo0 < 0 < hi0


def test_mann_whitney_and_median_difference():
    rng = np.random.default_rng(4)
    a, b = rng.normal(1.0, 1, 300), rng.normal(0.0, 1, 300)
    u, p = mann_whitney(a, b)
    ref = stats.mannwhitneyu(a, b, alternative="two-sided")
    assert (u, p) == pytest.approx((ref.statistic, ref.pvalue))
    d, lo, hi = median_diff_ci(a, b, np.random.default_rng(0), resamples=1000)
    assert lo < 1.0 < hi and d == pytest.approx(np.median(a) - np.median(b))


def test_resample_within_keeps_each_row_in_its_group():
    groups = np.array([0, 0, 1, 1, 1, 2])
    idx = resample_within(groups, np.random.default_rng(0), 200)
    assert idx.shape == (200, 6)
    assert np.all(groups[idx] == groups[None, :])


def test_bootstrap_ci_of_the_mean_is_close_to_the_t_interval():
    rng = np.random.default_rng(8)
    x = rng.normal(10, 2, 400)
    m, lo, hi = bootstrap_ci(lambda r: x[r].mean(), len(x), np.random.default_rng(1))
    half = 1.96 * x.std(ddof=1) / math.sqrt(len(x))
    assert m == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx((m - half, m + half), abs=0.05)
    assert percentile_ci(np.array([np.nan, np.inf])) != percentile_ci(np.array([1.0, 2.0]))
