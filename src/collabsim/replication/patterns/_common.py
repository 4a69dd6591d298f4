"""Helpers shared by the pattern analyses: labelled run tables, bands over time, bar charts.

Plot helpers draw on a given Axes and return nothing; the pattern modules compose them into a
figure and the report saves it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats as _st

from collabsim.config import load_scenario
from collabsim.replication.design import Cell
from collabsim.replication.runner import PatternRuns
from collabsim.replication.stats import wilson

__all__ = [
    "COLORS",
    "bars_with_ci",
    "ffill_rows",
    "fmt_ci",
    "labelled",
    "mean_band",
    "rate_row",
    "scenario_params",
    "whiskers",
]

#: Colour-blind-safe palette (Okabe & Ito).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def scenario_params(name: str) -> dict[str, Any]:
    """The parameter overrides of a scenario in ``configs/`` (its ``[params]`` table)."""
    return dict(load_scenario(name).params)


def labelled(data: PatternRuns, cells: Sequence[Cell]) -> pd.DataFrame:
    """The runs with each cell's labels added as columns (after ``cell``, ``rep``, ``seed``)."""
    labels = pd.DataFrame([c.labels for c in cells])
    labels.insert(0, "cell", range(len(cells)))
    df = data.runs.merge(labels, on="cell", how="left", validate="many_to_one")
    front = ["cell", *labels.columns[1:], "rep", "seed"]
    return df[front + [c for c in df.columns if c not in front]]


def rate_row(k: int, n: int, level: float) -> dict[str, float]:
    """``runs``, ``k``, ``share`` and its Wilson interval as a table row."""
    p, lo, hi = wilson(k, n, level)
    return {"runs": n, "count": k, "share": p, "ci_low": lo, "ci_high": hi}


def ffill_rows(arr: np.ndarray) -> np.ndarray:
    """Carry each row's last finite value forward over the NaNs that follow it."""
    out = np.array(arr, dtype=float)
    if out.size == 0:
        return out
    idx = np.where(np.isfinite(out), np.arange(out.shape[1]), 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return out[np.arange(out.shape[0])[:, None], idx]


def mean_band(arr: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean over rows (NaNs ignored) and its t confidence interval."""
    a = np.asarray(arr, dtype=float)
    ok = np.isfinite(a)
    n = ok.sum(axis=0)
    z = np.where(ok, a, 0.0)
    mean = np.where(n > 0, z.sum(axis=0) / np.maximum(n, 1), np.nan)
    dev = np.where(ok, a - mean[None, :], 0.0)
    sd = np.sqrt((dev * dev).sum(axis=0) / np.maximum(n - 1, 1))
    t = _st.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
    half = np.where(n > 1, t * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, mean - half, mean + half


def whiskers(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Error-bar lengths ``(2, n)`` below and above each value: never negative, 0 if unknown."""
    v, lo, hi = (np.asarray(a, dtype=float) for a in (value, low, high))
    return np.nan_to_num(np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)]))


def bars_with_ci(
    ax: Axes,
    groups: Sequence[str],
    series: dict[str, Sequence[tuple[float, float, float]]],
    *,
    colors: Sequence[str] = COLORS,
) -> None:
    """Grouped bars (one group per x position, one bar per series) with interval whiskers.

    Args:
        ax: Axes to draw on.
        groups: Labels of the x positions.
        series: Series name -> one ``(value, low, high)`` per group.
        colors: Bar colours, one per series.
    """
    k = max(1, len(series))
    width = 0.8 / k
    x = np.arange(len(groups))
    for i, (name, vals) in enumerate(series.items()):
        v = np.array([t[0] for t in vals], dtype=float)
        lo = np.array([t[1] for t in vals], dtype=float)
        hi = np.array([t[2] for t in vals], dtype=float)
        err = whiskers(v, lo, hi)
        pos = x - 0.4 + width * (i + 0.5)
        ax.bar(pos, np.nan_to_num(v), width * 0.92, color=colors[i % len(colors)], label=name)
        ax.errorbar(pos, np.nan_to_num(v), yerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_xticks(x, list(groups))
    ax.grid(axis="y", alpha=0.3)


def fmt_ci(est: tuple[float, float, float], fmt: str = ".2f") -> str:
    """``value [low, high]`` of an interval tuple, for titles and sentences."""
    v, lo, hi = est

    def f(z: float) -> str:
        return "n/a" if z is None or math.isnan(z) else format(z, fmt)

    return f"{f(v)} [{f(lo)}, {f(hi)}]"
