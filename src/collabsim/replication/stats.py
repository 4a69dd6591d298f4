"""Statistics of the replication: intervals for proportions, differences, associations and ranks.

Every function returns point estimates with intervals at a given confidence level. Interval
methods:

- a single proportion: the Wilson score interval (:func:`collabsim.stats.proportion_ci`);
- a difference of two independent proportions: Newcombe's hybrid score interval (method 10 of
  Newcombe 1998, Statistics in Medicine 17:873), built from the two Wilson intervals;
- a difference of two means: Welch's t interval;
- odds ratios: a logistic regression fitted by iteratively reweighted least squares, with
  Wald intervals ``exp(b +/- z se)``;
- Cramer's V, Spearman's rho, medians and ratios: percentile bootstrap intervals.

Bootstrap draws come from a ``numpy.random.Generator`` the caller passes in (seeded from the
replication's root seed), so every interval is reproducible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats as _st

from collabsim.stats import proportion_ci

__all__ = [
    "LogitFit",
    "bootstrap_ci",
    "cramers_v",
    "cramers_v_ci",
    "logistic_regression",
    "mann_whitney",
    "median_diff_ci",
    "newcombe_diff",
    "percentile_ci",
    "resample_within",
    "spearman_ci",
    "welch_diff",
    "wilson",
]

Interval = tuple[float, float, float]


def wilson(k: int, n: int, level: float = 0.95) -> Interval:
    """Share ``k / n`` with its Wilson score interval (``(nan, nan, nan)`` if ``n == 0``)."""
    return proportion_ci(int(k), int(n), level)


def newcombe_diff(k1: int, n1: int, k2: int, n2: int, level: float = 0.95) -> Interval:
    """Difference ``k1/n1 - k2/n2`` with Newcombe's hybrid score interval.

    Args:
        k1: Successes in the first group.
        n1: Size of the first group.
        k2: Successes in the second group.
        n2: Size of the second group.
        level: Confidence level.

    Returns:
        ``(difference, lower, upper)``; NaN if either group is empty.
    """
    if n1 <= 0 or n2 <= 0:
        return (math.nan, math.nan, math.nan)
    p1, l1, u1 = wilson(k1, n1, level)
    p2, l2, u2 = wilson(k2, n2, level)
    d = p1 - p2
    lo = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    hi = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (d, lo, hi)


def welch_diff(
    x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, level: float = 0.95
) -> Interval:
    """Difference of means ``mean(x) - mean(y)`` with Welch's t interval (finite values only)."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        return (math.nan, math.nan, math.nan)
    d = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return (d, d, d)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(_st.t.ppf(0.5 + level / 2, df)) * se
    return (d, d - half, d + half)


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
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    r, c = tab.shape
    n = tab.sum()
    if min(r, c) < 2 or n == 0:
        return 0.0
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / n
    chi2 = float(((tab - expected) ** 2 / expected).sum())
    return math.sqrt(chi2 / (n * (min(r, c) - 1)))


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


# ----------------------------------------------------------------------------- regression
@dataclass(frozen=True)
class LogitFit:
    """A fitted logistic regression.

    Attributes:
        coef: Coefficients (intercept first when one was added).
        se: Standard errors from the inverse Fisher information.
        converged: Whether IRLS converged with finite estimates (no separation).
        level: Confidence level of :meth:`odds_ratios`.
    """

    coef: np.ndarray
    se: np.ndarray
    converged: bool
    level: float = 0.95

    def odds_ratios(self) -> list[Interval]:
        """``(odds ratio, lower, upper)`` per coefficient, Wald intervals."""
        z = float(_st.norm.ppf(0.5 + self.level / 2))
        out = []
        for b, s in zip(self.coef, self.se, strict=True):
            if not (self.converged and math.isfinite(b) and math.isfinite(s)):
                out.append((math.nan, math.nan, math.nan))
                continue
            out.append((math.exp(b), math.exp(b - z * s), math.exp(b + z * s)))
        return out


def logistic_regression(
    x: np.ndarray,
    y: np.ndarray,
    *,
    intercept: bool = True,
    level: float = 0.95,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> LogitFit:
    """Fit ``P(y=1) = 1 / (1 + exp(-X b))`` by iteratively reweighted least squares.

    Args:
        x: Predictors, shape ``(n, k)``.
        y: Binary outcomes (0/1 or bool), length ``n``.
        intercept: Prepend a column of ones.
        level: Confidence level of the odds-ratio intervals.
        max_iter: Most IRLS iterations.
        tol: Convergence tolerance on the largest coefficient change.

    Returns:
        The fit; ``converged`` is False (and the odds ratios NaN) when the data are separated
        or the information matrix is singular.
    """
    xm = np.asarray(x, dtype=float)
    if xm.ndim == 1:
        xm = xm[:, None]
    yv = np.asarray(y, dtype=float)
    if intercept:
        xm = np.column_stack([np.ones(len(xm)), xm])
    k = xm.shape[1]
    beta = np.zeros(k)
    nan = np.full(k, math.nan)
    converged = False
    for _ in range(max_iter):
        eta = np.clip(xm @ beta, -30.0, 30.0)
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1.0 - mu)
        info = xm.T @ (xm * w[:, None])
        try:
            step = np.linalg.solve(info, xm.T @ (yv - mu))
        except np.linalg.LinAlgError:
            return LogitFit(nan, nan, False, level)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    if not converged or np.max(np.abs(beta)) > 15.0:  # |b| > 15: quasi-complete separation
        return LogitFit(beta, nan, False, level)
    eta = xm @ beta
    mu = 1.0 / (1.0 + np.exp(-eta))
    info = xm.T @ (xm * (mu * (1.0 - mu))[:, None])
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return LogitFit(beta, nan, False, level)
    return LogitFit(beta, np.sqrt(np.diag(cov)), True, level)


# ----------------------------------------------------------------------------- ranks
def _rank_rows(a: np.ndarray) -> np.ndarray:
    return _st.rankdata(a, axis=-1)


def _pearson_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a - a.mean(axis=-1, keepdims=True)
    b = b - b.mean(axis=-1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=-1) * (b * b).sum(axis=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (a * b).sum(axis=-1) / np.where(den > 0, den, 1.0), np.nan)


def spearman_ci(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    rng: np.random.Generator,
    *,
    resamples: int = 2000,
    level: float = 0.95,
) -> Interval:
    """Spearman's rho (ties get average ranks) with a percentile bootstrap interval over pairs.

    A replicate in which one variable is constant has no rho and is dropped.
    """
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(xa) < 3:
        return (math.nan, math.nan, math.nan)
    point = float(_pearson_rows(_rank_rows(xa), _rank_rows(ya)))
    idx = rng.integers(0, len(xa), size=(resamples, len(xa)))
    reps = _pearson_rows(_rank_rows(xa[idx]), _rank_rows(ya[idx]))
    lo, hi = percentile_ci(reps, level)
    return (point, lo, hi)


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
