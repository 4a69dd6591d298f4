"""Small statistics used to summarize replicates: means and proportions with 95% intervals.

Intervals: a t interval for means; a Wilson score interval for proportions (well-behaved at 0
and 1 with few runs).
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
    """Mean and t confidence interval of the finite values of ``x`` (NaN if none)."""
    a = np.asarray(x, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) == 0:
        return (math.nan, math.nan, math.nan)
    m = float(a.mean())
    if len(a) < 2:
        return (m, math.nan, math.nan)
    half = float(_st.t.ppf(0.5 + level / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return (m, m - half, m + half)


def proportion_ci(k: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """Share ``k / n`` with its Wilson score interval."""
    if n <= 0:
        return (math.nan, math.nan, math.nan)
    z = float(_st.norm.ppf(0.5 + level / 2))
    p = k / n
    den = 1 + z * z / n
    center = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (p, max(0.0, center - half), min(1.0, center + half))


def summary_table(df: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Per-group table of the main outcomes: mean [95% CI], % [95% CI] or median.

    Args:
        df: One row per run with the summary columns.
        by: Group column (e.g. ``"scenario"``); one group if None.

    Returns:
        A DataFrame of display strings, one row per group.
    """
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
                row[label] = (
                    "n/a"
                    if math.isnan(m)
                    else (f"{m:.2f}" if math.isnan(lo) else f"{m:.2f} [{lo:.2f}, {hi:.2f}]")
                )
        rows.append(row)
    return pd.DataFrame(rows)
