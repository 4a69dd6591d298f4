"""Small statistics used to summarize replicates: means and proportions with 95% intervals.

Intervals come from scipy: a one-sample t interval for means, and the Wilson score interval
(``scipy.stats.binomtest(...).proportion_ci(method="wilson")``) for proportions, well-behaved at 0
and 1 with few runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _st

__all__ = ["mean_ci", "proportion_ci", "summary_table"]

#: Outcomes shown in the CLI's summary table: (column, label, kind).
TABLE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("collective_impact", "impact (PV)", "mean"),
    ("success", "success %", "prop"),
    ("momentum", "win by wk 39 %", "prop"),
    ("weeks_to_first_win", "wk to 1st win", "median"),
    ("perished", "perished %", "prop"),
    ("mean_trust", "trust", "mean"),
    ("consensus", "consensus", "mean"),
    ("learning_share", "learning share", "mean"),
    ("founders_share", "founders", "mean"),
    ("legitimacy", "legitimacy", "mean"),
)


def mean_ci(x: Sequence[float] | np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and t confidence interval of the finite values of ``x`` (NaN if none).

    The interval is scipy's one-sample t interval (``ttest_1samp(...).confidence_interval``);
    with one value the mean has no interval, and a constant sample has a zero-width one.
    """
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) == 0:
        return (math.nan, math.nan, math.nan)
    m = float(a.mean())
    if len(a) < 2:
        return (m, math.nan, math.nan)
    if float(np.ptp(a)) == 0.0:  # scipy returns NaN for a zero standard error
        return (m, m, m)
    ci = _st.ttest_1samp(a, 0.0).confidence_interval(confidence_level=level)
    return (m, float(ci.low), float(ci.high))


def proportion_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Share ``k / n`` with its Wilson score interval (scipy's ``binomtest``; NaN if ``n <= 0``).

    Raises:
        ValueError: if ``k`` is not in ``[0, n]``.
    """
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} is not valid: expected 0 <= k <= n = {n}")
    ci = _st.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return (k / n, float(ci.low), float(ci.high))


def summary_table(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per-group table of the main outcomes: mean [95% CI], % [95% CI] or median.

    Args:
        df: One row per run with the summary columns.
        by: Group column (e.g. ``"scenario"``); one group if None.

    Returns:
        A DataFrame of display strings, one row per group. Intervals of means are cut to the
        outcome's declared range (a share's interval never leaves [0, 1]).
    """
    from collabsim.outcomes import OUTCOMES

    groups = [("all", df)] if by is None else list(df.groupby(by, sort=False))
    rows = []
    for name, g in groups:
        row: dict[str, str | int] = {by or "group": name, "runs": len(g)}
        for col, label, kind in TABLE_COLUMNS:
            if col not in g:
                continue
            if kind == "prop":
                p, lo, hi = proportion_ci(int(g[col].astype(bool).sum()), len(g))
                row[label] = f"{100 * p:.0f} [{100 * lo:.0f}, {100 * hi:.0f}]"
            elif kind == "median":
                vals = g[col].to_numpy(dtype=float)
                fin = vals[np.isfinite(vals)]
                row[label] = f"{np.median(fin):.0f}" if len(fin) else "none"
            else:
                m, lo, hi = mean_ci(g[col])
                declared = OUTCOMES["summary"].get(col)
                if declared is not None:  # a t interval can reach past the possible values
                    lo, hi = max(lo, declared.low), min(hi, declared.high)
                row[label] = (
                    "n/a"
                    if math.isnan(m)
                    else (f"{m:.2f}" if math.isnan(lo) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]")
                )
        rows.append(row)
    return pd.DataFrame(rows)
