"""Statistics of the replication: intervals for proportions, differences, associations and ranks.

Every function returns point estimates with intervals at a given confidence level. Interval
methods:

- a single proportion: the Wilson score interval (:func:`collabsim.stats.proportion_ci`);
- a difference of two independent proportions: Newcombe's hybrid score interval (method 10 of
  Newcombe 1998, Statistics in Medicine 17:873), built from the two Wilson intervals;
- a difference of two means: Welch's t interval;
- a risk difference: Newcombe's interval from statsmodels (``confint_proportions_2indep``);
- an interaction contrast of risk differences: a linear probability model of the cell means
  (statsmodels OLS) with heteroskedasticity-consistent (HC0) standard errors;
- a mean of paired differences: the paired t interval (scipy ``ttest_1samp``);
- association within strata: the Mantel-Haenszel common odds ratio, the Cochran-Mantel-Haenszel
  test and the Breslow-Day test of homogeneity (statsmodels ``StratifiedTable``);
- time to an event with censoring: Kaplan-Meier (statsmodels ``SurvfuncRight``) and Cox
  proportional hazards (statsmodels ``PHReg``, Efron ties);
- a rate ratio of counts: Poisson regression (statsmodels GLM, HC0 errors);
- Cramer's V, medians and ratios: percentile bootstrap intervals.

Bootstrap draws come from a ``numpy.random.Generator`` the caller passes in (seeded from the
replication's root seed), so every interval is reproducible.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st
from scipy.stats import contingency as _contingency

from collabsim.stats import proportion_ci

__all__ = [
    "MantelHaenszel",
    "Survival",
    "bootstrap_ci",
    "cox_hazard_ratio",
    "cramers_v",
    "cramers_v_ci",
    "interaction_contrast",
    "kaplan_meier",
    "mann_whitney",
    "mantel_haenszel",
    "median_diff_ci",
    "newcombe_diff",
    "paired_mean_ci",
    "paired_median_ci",
    "percentile_ci",
    "poisson_rate_ratio",
    "resample_within",
    "risk_difference",
    "welch_diff",
    "wilcoxon_paired",
    "wilson",
]

Interval = tuple[float, float, float]


def wilson(k: int, n: int, level: float = 0.95) -> Interval:
    """Share ``k / n`` with its Wilson score interval (``(nan, nan, nan)`` if ``n == 0``)."""
    return proportion_ci(int(k), int(n), level)


def risk_difference(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> Interval:
    """Risk difference ``k1/n1 - k2/n2`` with Newcombe's hybrid score interval.

    Method 10 of Newcombe (1998, Statistics in Medicine 17:873), as statsmodels'
    ``confint_proportions_2indep(..., method="newcomb", compare="diff")`` computes it.

    Args:
        k1: Events in the first group.
        n1: Size of the first group.
        k2: Events in the second group.
        n2: Size of the second group.
        level: Confidence level.

    Returns:
        ``(difference, lower, upper)``; NaN if either group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        return (math.nan, math.nan, math.nan)
    from statsmodels.stats.proportion import confint_proportions_2indep

    lo, hi = confint_proportions_2indep(
        int(k1), int(n1), int(k2), int(n2), method="newcomb", compare="diff", alpha=1 - level
    )
    return (k1 / n1 - k2 / n2, float(lo), float(hi))


#: The same as :func:`risk_difference` (the name the pattern analyses used first).
newcombe_diff = risk_difference


def welch_diff(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, level: float = 0.95
) -> Interval:
    """Difference of means ``mean(x) - mean(y)`` with Welch's t interval (finite values only).

    scipy's ``ttest_ind(equal_var=False).confidence_interval``.
    """
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return (math.nan, math.nan, math.nan)
    d = float(a.mean() - b.mean())
    if a.var(ddof=1) + b.var(ddof=1) == 0:
        return (d, d, d)
    ci = _st.ttest_ind(a, b, equal_var=False).confidence_interval(level)
    return (d, float(ci.low), float(ci.high))


def percentile_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates (non-finite replicates are dropped)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return (math.nan, math.nan)
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(v, [alpha, 1.0 - alpha])
    return (float(lo), float(hi))


def resample_within(groups: np.ndarray, rng: np.random.Generator, resamples: int) -> np.ndarray:
    """Bootstrap row indices that resample rows with replacement within each group.

    Args:
        groups: One group label per row (a stratified bootstrap keeps each group's size).
        rng: Generator for the draws.
        resamples: Number of bootstrap replicates.

    Returns:
        An integer array of shape ``(resamples, len(groups))``: row indices per replicate.
    """
    g = np.asarray(groups)
    out = np.empty((resamples, len(g)), dtype=np.int64)
    for label in np.unique(g):
        rows = np.flatnonzero(g == label)
        pos = rng.integers(0, len(rows), size=(resamples, len(rows)))
        out[:, rows] = rows[pos]
    return out


def bootstrap_ci(
    statistic: Callable[[np.ndarray], float],
    n: int,
    rng: np.random.Generator,
    *,
    resamples: int = 2000,
    level: float = 0.95,
    groups: np.ndarray | None = None,
) -> Interval:
    """Statistic on all rows with a percentile bootstrap interval over resampled rows.

    Args:
        statistic: Function of a row-index array returning a number.
        n: Number of rows.
        rng: Generator for the draws.
        resamples: Number of bootstrap replicates.
        level: Confidence level.
        groups: Optional group label per row for a stratified bootstrap.
    """
    point = float(statistic(np.arange(n)))
    if n < 2:
        return (point, math.nan, math.nan)
    idx = resample_within(np.zeros(n) if groups is None else groups, rng, resamples)
    reps = np.array([statistic(row) for row in idx], dtype=float)
    lo, hi = percentile_ci(reps, level)
    return (point, lo, hi)


# ----------------------------------------------------------------------------- association
def _table(x_codes: np.ndarray, y_codes: np.ndarray, nx: int, ny: int) -> np.ndarray:
    return np.bincount(x_codes * ny + y_codes, minlength=nx * ny).reshape(nx, ny)


def _v_from_table(tab: np.ndarray) -> float:
    """Cramer's V of a contingency table (scipy's ``association``, no continuity correction)."""
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if min(tab.shape) < 2 or tab.sum() == 0:
        return 0.0
    return float(_contingency.association(tab, method="cramer", correction=False))


def cramers_v(x: Sequence | np.ndarray, y: Sequence | np.ndarray) -> float:
    """Cramer's V between two categorical variables (chi-square without continuity correction).

    Categories that never occur are dropped; V is 0 when either variable has one category.
    """
    _, xc = np.unique(np.asarray(x), return_inverse=True)
    _, yc = np.unique(np.asarray(y), return_inverse=True)
    return _v_from_table(_table(xc, yc, int(xc.max()) + 1, int(yc.max()) + 1))


def cramers_v_ci(
    x: Sequence | np.ndarray,
    y: Sequence | np.ndarray,
    rng: np.random.Generator,
    *,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """Cramer's V with a percentile bootstrap interval (rows resampled with replacement)."""
    _, xc = np.unique(np.asarray(x), return_inverse=True)
    _, yc = np.unique(np.asarray(y), return_inverse=True)
    if len(xc) == 0:
        return (math.nan, math.nan, math.nan)
    nx, ny = int(xc.max()) + 1, int(yc.max()) + 1
    return bootstrap_ci(
        lambda rows: _v_from_table(_table(xc[rows], yc[rows], nx, ny)),
        len(xc),
        rng,
        resamples=resamples,
        level=level,
    )


# ----------------------------------------------------------------------------- ranks
def mann_whitney(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray
) -> tuple[float, float]:
    """Two-sided Mann-Whitney U test of ``x`` vs ``y``: ``(U of x, p-value)``."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return (math.nan, math.nan)
    res = _st.mannwhitneyu(a, b, alternative="two-sided")
    return (float(res.statistic), float(res.pvalue))


def median_diff_ci(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    rng: np.random.Generator,
    *,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """``median(x) - median(y)`` with a percentile bootstrap interval (each group resampled)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return (math.nan, math.nan, math.nan)
    point = float(np.median(a) - np.median(b))
    ra = np.median(a[rng.integers(0, len(a), size=(resamples, len(a)))], axis=1)
    rb = np.median(b[rng.integers(0, len(b), size=(resamples, len(b)))], axis=1)
    lo, hi = percentile_ci(ra - rb, level)
    return (point, lo, hi)


def wilcoxon_paired(d: Sequence[float] | np.ndarray) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test of paired differences ``d``."""
    a = np.asarray(d, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) == 0 or not np.any(a != 0):
        return math.nan
    return float(_st.wilcoxon(a).pvalue)


def paired_median_ci(
    d: Sequence[float] | np.ndarray,
    rng: np.random.Generator,
    *,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """Median of paired differences with a percentile bootstrap interval (scipy ``bootstrap``)."""
    a = np.asarray(d, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) < 2:
        return (float(np.median(a)) if len(a) else math.nan, math.nan, math.nan)
    res = _st.bootstrap(
        (a,),
        np.median,
        n_resamples=resamples,
        confidence_level=level,
        method="percentile",
        random_state=rng,
        vectorized=True,
        axis=-1,
    )
    ci = res.confidence_interval
    return (float(np.median(a)), float(ci.low), float(ci.high))


def paired_mean_ci(d: Sequence[float] | np.ndarray, level: float = 0.95) -> Interval:
    """Mean of paired differences with the paired t interval (scipy ``ttest_1samp``).

    Returns ``(mean, mean, mean)`` when every difference is the same (no spread to estimate).
    """
    a = np.asarray(d, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) < 2:
        return (float(a.mean()) if len(a) else math.nan, math.nan, math.nan)
    m = float(a.mean())
    if np.all(a == a[0]):
        return (m, m, m)
    ci = _st.ttest_1samp(a, 0.0).confidence_interval(level)
    return (m, float(ci.low), float(ci.high))


# ----------------------------------------------------------------------------- factorial contrasts
def interaction_contrast(
    y: Sequence[float] | np.ndarray,
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    level: float = 0.95,
) -> Interval:
    """Interaction of two binary factors on the risk-difference (additive) scale.

    ``(p11 - p01) - (p10 - p00)``: the effect of ``a`` where ``b`` is on minus where it is off,
    from a linear probability model ``y ~ a + b + a:b`` (statsmodels OLS) with HC0 standard
    errors; its coefficient of ``a:b`` is exactly this contrast of the four cell means, and
    the HC0 variance is the sum of the cell variances over the cell sizes.

    Args:
        y: Outcomes (0/1).
        a: First factor (0/1).
        b: Second factor (0/1).
        level: Confidence level.
    """
    import statsmodels.api as sm

    yv, av, bv = (np.asarray(v, dtype=float) for v in (y, a, b))
    x = np.column_stack([np.ones_like(av), av, bv, av * bv])
    counts = [np.sum((av == i) & (bv == j)) for i in (0, 1) for j in (0, 1)]
    if min(counts) < 2:
        return (math.nan, math.nan, math.nan)
    fit = sm.OLS(yv, x).fit(cov_type="HC0")
    lo, hi = fit.conf_int(alpha=1 - level)[3]
    return (float(fit.params[3]), float(lo), float(hi))


# ----------------------------------------------------------------------------- strata
@dataclass(frozen=True)
class MantelHaenszel:
    """Mantel-Haenszel analysis of 2x2 tables in strata.

    Attributes:
        odds_ratio: The common odds ratio with its interval.
        cmh_p: p-value of the Cochran-Mantel-Haenszel test of a common odds ratio of 1.
        homogeneity_p: p-value of the Breslow-Day test that the odds ratio is the same in
            every stratum.
        strata: Number of strata used (strata with an empty row or column are dropped).
    """

    odds_ratio: Interval
    cmh_p: float
    homogeneity_p: float
    strata: int


def mantel_haenszel(tables: Sequence[np.ndarray], level: float = 0.95) -> MantelHaenszel:
    """Mantel-Haenszel common odds ratio, CMH test and Breslow-Day test (statsmodels).

    Args:
        tables: One 2x2 table per stratum: rows are the two groups compared (first row the
            group whose odds are in the numerator), columns outcome yes / no.
        level: Confidence level of the odds ratio's interval.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    kept = [
        np.asarray(t, dtype=float)
        for t in tables
        if np.all(np.asarray(t).sum(axis=0) > 0) and np.all(np.asarray(t).sum(axis=1) > 0)
    ]
    nan3 = (math.nan, math.nan, math.nan)
    if not kept:
        return MantelHaenszel(nan3, math.nan, math.nan, 0)
    st = StratifiedTable(kept)
    lo, hi = st.oddsratio_pooled_confint(alpha=1 - level)
    hom = float(st.test_equal_odds().pvalue) if len(kept) > 1 else math.nan
    return MantelHaenszel(
        (float(st.oddsratio_pooled), float(lo), float(hi)),
        float(st.test_null_odds(correction=True).pvalue),
        hom,
        len(kept),
    )


# ----------------------------------------------------------------------------- time to event
@dataclass(frozen=True)
class Survival:
    """A Kaplan-Meier curve.

    Attributes:
        times: Event times at which the curve drops.
        surv: Survival probability just after each of those times.
        median: Median time to the event (NaN if the curve never reaches 0.5).
        median_ci: Interval of the median (NaN or inf bounds where undefined).
        n: Runs at risk at the start.
        events: Runs in which the event happened.
    """

    times: np.ndarray
    surv: np.ndarray
    median: float
    median_ci: tuple[float, float]
    n: int
    events: int

    def at(self, t: float) -> float:
        """Survival probability at time ``t`` (1 before the first event)."""
        i = np.searchsorted(self.times, t, side="right")
        return 1.0 if i == 0 else float(self.surv[i - 1])


def kaplan_meier(
    time: Sequence[float] | np.ndarray, event: Sequence[bool] | np.ndarray, level: float = 0.95
) -> Survival:
    """Kaplan-Meier estimate of time to an event (statsmodels ``SurvfuncRight``).

    Args:
        time: Time of the event, or of censoring (the last week observed) where ``event`` is
            False.
        event: Whether the event happened.
        level: Confidence level of the median's interval (Brookmeyer-Crowley, log-log).
    """
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    if len(t) == 0:
        return Survival(np.array([]), np.array([]), math.nan, (math.nan, math.nan), 0, 0)
    if not e.any():
        return Survival(np.array([]), np.array([]), math.nan, (math.nan, math.nan), len(t), 0)
    sf = SurvfuncRight(t, e.astype(float))
    med = float(sf.quantile(0.5))
    with warnings.catch_warnings():  # log(0) where the curve reaches 0: the bound is open
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            lo, hi = sf.quantile_ci(0.5, alpha=1 - level)
        except (ValueError, IndexError):  # too few events for an interval
            lo, hi = math.nan, math.nan
    if sf.surv_prob.min() > 0.5:
        med = math.nan
    return Survival(
        np.asarray(sf.surv_times, dtype=float),
        np.asarray(sf.surv_prob, dtype=float),
        med,
        (float(lo), float(hi)),
        len(t),
        int(e.sum()),
    )


def cox_hazard_ratio(
    time: Sequence[float] | np.ndarray,
    event: Sequence[bool] | np.ndarray,
    x: Sequence[float] | np.ndarray,
    *,
    per: float = 1.0,
    level: float = 0.95,
) -> Interval:
    """Hazard ratio per ``per`` units of one covariate, Cox model (statsmodels ``PHReg``).

    Ties are handled by Efron's method. A hazard ratio below 1 means the event comes later as
    ``x`` grows.

    Args:
        time: Time of the event, or of censoring where ``event`` is False.
        event: Whether the event happened.
        x: The covariate.
        per: The step of ``x`` the ratio is for (e.g. 0.1 of annual turnover).
        level: Confidence level.

    Returns:
        ``(hazard ratio, lower, upper)``; NaN when there are no events or ``x`` is constant.
    """
    from statsmodels.duration.hazard_regression import PHReg

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    xv = np.asarray(x, dtype=float)
    if not e.any() or np.all(xv == xv[0]):
        return (math.nan, math.nan, math.nan)
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # non-convergence is reported as NaN below
        fit = PHReg(t, xv[:, None] / per, status=e.astype(float), ties="efron").fit()
        lo, hi = fit.conf_int(alpha=1 - level)[0]
    b = float(fit.params[0])
    failed = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if failed or not np.isfinite([b, lo, hi]).all():
        return (math.nan, math.nan, math.nan)  # e.g. every event in one group (separation)
    return _exp3(b, float(lo), float(hi))


def _exp3(b: float, lo: float, hi: float) -> Interval:
    with np.errstate(over="ignore"):
        v = np.exp(np.array([b, lo, hi], dtype=float))
    return (float(v[0]), float(v[1]), float(v[2]))


def poisson_rate_ratio(
    counts: Sequence[float] | np.ndarray,
    x: Sequence[float] | np.ndarray,
    *,
    per: float = 1.0,
    level: float = 0.95,
) -> Interval:
    """Rate ratio of counts per ``per`` units of ``x``: Poisson GLM with HC0 errors (statsmodels).

    The robust (sandwich) errors keep the interval honest when the counts are over- or
    under-dispersed. Returns NaN when every count is 0 or ``x`` is constant.
    """
    import statsmodels.api as sm

    y = np.asarray(counts, dtype=float)
    xv = np.asarray(x, dtype=float)
    if not np.any(y > 0) or np.all(xv == xv[0]):
        return (math.nan, math.nan, math.nan)
    design = np.column_stack([np.ones_like(xv), xv / per])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-convergence is reported as NaN below
        fit = sm.GLM(y, design, family=sm.families.Poisson()).fit(cov_type="HC0")
        lo, hi = fit.conf_int(alpha=1 - level)[1]
    b = float(fit.params[1])
    if not fit.converged or not np.isfinite([b, lo, hi]).all():
        return (math.nan, math.nan, math.nan)
    return _exp3(b, float(lo), float(hi))
