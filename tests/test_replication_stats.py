"""The replication's statistics recover known answers."""

import math

import numpy as np
import pytest
from scipy import stats

from collabsim.replication.stats import (
    bootstrap_ci,
    cox_hazard_ratio,
    cramers_v,
    cramers_v_ci,
    interaction_contrast,
    kaplan_meier,
    mann_whitney,
    mantel_haenszel,
    median_diff_ci,
    newcombe_diff,
    paired_mean_ci,
    paired_median_ci,
    percentile_ci,
    poisson_rate_ratio,
    resample_within,
    risk_difference,
    welch_diff,
    wilcoxon_paired,
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


def test_risk_difference_is_statsmodels_newcombe():
    # Newcombe (1998) method 10 again, through the statsmodels implementation
    assert risk_difference(56, 70, 48, 80) == pytest.approx((0.2, 0.0524, 0.3339), abs=1e-4)
    assert newcombe_diff is risk_difference


def test_interaction_contrast_is_the_four_cell_contrast_with_hc0_errors():
    rng = np.random.default_rng(3)
    a = np.repeat([0, 0, 1, 1], 400)
    b = np.tile(np.repeat([0, 1], 400), 2)
    p = np.array([0.2, 0.3, 0.3, 0.7])[2 * a + b]  # true contrast (0.7-0.3)-(0.3-0.2) = 0.3
    y = (rng.random(len(a)) < p).astype(float)
    m = [y[(a == i) & (b == j)].mean() for i in (0, 1) for j in (0, 1)]
    est, lo, hi = interaction_contrast(y, a, b)
    assert est == pytest.approx((m[3] - m[1]) - (m[2] - m[0]))
    se = math.sqrt(sum(q * (1 - q) / 400 for q in m))
    assert (lo, hi) == pytest.approx((est - 1.959964 * se, est + 1.959964 * se), abs=1e-5)
    assert lo < 0.3 < hi


# Berkeley admissions 1973 (UCBAdmissions), by department: admitted / rejected, men then women.
_UCB = [(512, 313, 89, 19), (353, 207, 17, 8), (120, 205, 202, 391), (138, 279, 131, 244),
        (53, 138, 94, 299), (22, 351, 24, 317)]  # fmt: skip


def test_mantel_haenszel_matches_the_published_berkeley_analysis():
    # R mantelhaen.test(UCBAdmissions): common OR 0.9047 [0.7719, 1.0603], X2 1.4269
    # (p 0.2323, continuity corrected); Breslow-Day X2 18.83 on 5 df (p 0.0021).
    mh = mantel_haenszel([np.array([[a, b], [c, d]]) for a, b, c, d in _UCB])
    assert mh.odds_ratio == pytest.approx((0.9047, 0.7719, 1.0603), abs=1e-4)
    assert mh.cmh_p == pytest.approx(0.2323, abs=1e-4)
    assert mh.homogeneity_p == pytest.approx(0.00207, abs=1e-5)
    assert mh.strata == 6
    empty = mantel_haenszel([np.array([[0, 0], [3, 4]])])
    assert empty.strata == 0 and math.isnan(empty.cmh_p)


# Freireich et al. (1963) leukaemia remission weeks (Gehan 1965), 6-MP arm (0 = censored).
_MP_T = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
_MP_E = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
_PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_kaplan_meier_matches_the_textbook_6mp_curve():
    # Kalbfleisch & Prentice; Klein & Moeschberger: S = .857 .807 .753 .690 .627 .538 .448
    km = kaplan_meier(_MP_T, np.array(_MP_E, dtype=bool))
    assert list(km.times) == [6, 7, 10, 13, 16, 22, 23]
    assert km.surv == pytest.approx([0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448], abs=1e-3)
    assert km.median == 23 and km.events == 9 and km.n == 21
    assert km.at(5) == 1.0 and km.at(12) == pytest.approx(0.753, abs=1e-3)
    none = kaplan_meier([5, 6], [False, False])
    assert math.isnan(none.median) and none.events == 0


def test_cox_matches_the_published_6mp_hazard_ratio():
    # R coxph(Surv(time, status) ~ placebo), Efron ties: coef 1.5721, se 0.4124
    t = np.array(_MP_T + _PLACEBO, dtype=float)
    e = np.array(_MP_E + [1] * 21, dtype=bool)
    x = np.array([0] * 21 + [1] * 21, dtype=float)
    hr, lo, hi = cox_hazard_ratio(t, e, x)
    z = 1.959964
    assert hr == pytest.approx(math.exp(1.5721), rel=1e-3)
    assert (lo, hi) == pytest.approx(
        (math.exp(1.5721 - z * 0.4124), math.exp(1.5721 + z * 0.4124)), rel=2e-3
    )
    # per: a step of 0.1 in a covariate coded 0 / 0.1 gives the same ratio
    assert cox_hazard_ratio(t, e, x / 10, per=0.1)[0] == pytest.approx(hr)
    assert math.isnan(cox_hazard_ratio(t, np.zeros(42, dtype=bool), x)[0])
    # separation (every event in one group): no finite ratio, reported as NaN, not an error
    sep = cox_hazard_ratio([1.0, 2, 3, 10, 10, 10], [True, True, True, False, False, False],
                           [1.0, 1, 1, 0, 0, 0])  # fmt: skip
    assert all(math.isnan(v) for v in sep) or sep[0] > 1e3


def test_poisson_rate_ratio_of_a_binary_covariate_is_the_ratio_of_means():
    rng = np.random.default_rng(2)
    x = np.repeat([0.0, 1.0], 500)
    y = rng.poisson(np.where(x > 0, 3.0, 1.5))
    rr, lo, hi = poisson_rate_ratio(y, x)
    assert rr == pytest.approx(y[x > 0].mean() / y[x == 0].mean())
    assert lo < 2.0 < hi
    assert math.isnan(poisson_rate_ratio(np.zeros(10), np.arange(10.0))[0])


def test_paired_statistics_match_published_examples():
    # Student's sleep data (Cushny & Peebles 1905): R t.test(paired = TRUE): mean difference
    # 1.58, 95% CI [0.700, 2.460]
    g1 = np.array([0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0])
    g2 = np.array([1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4])
    assert paired_mean_ci(g2 - g1) == pytest.approx((1.58, 0.7001, 2.4599), abs=1e-4)
    assert paired_mean_ci(np.ones(5)) == (1.0, 1.0, 1.0)
    # Hollander & Wolfe (1999) depression scores: Wilcoxon signed-rank two-sided p = 0.039
    x = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
    y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])
    assert wilcoxon_paired(x - y) == pytest.approx(0.0390625)
    d = np.random.default_rng(1).normal(2.0, 1.0, 400)
    med, lo, hi = paired_median_ci(d, np.random.default_rng(0), resamples=1000)
    assert med == pytest.approx(np.median(d)) and lo < 2.0 < hi
    assert paired_median_ci(d, np.random.default_rng(0), resamples=1000) == (med, lo, hi)
