"""Plot functions: each draws on an Axes (or a new Figure) and returns it; callers save.

Time series frames are tidy: one row per (group, rep, week). Runs that perished early are
carried forward at their last value, so a band at week ``t`` always covers every run.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless by default; the app and notebooks may switch backends

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from collabsim.outcomes import SERIES_OUTCOMES

__all__ = ["LABELS", "plot_band", "plot_overview", "wide_by_run"]

#: Axis labels (with units) of every series, read from the outcome declaration.
LABELS = {o.name: o.label() for o in SERIES_OUTCOMES}


def wide_by_run(ts: pd.DataFrame, column: str, run_col: str = "rep") -> pd.DataFrame:
    """Pivot one series to weeks x runs, carrying each run's last value forward."""
    wide = ts.pivot_table(index="week", columns=run_col, values=column, aggfunc="first")
    return wide.sort_index().ffill()


def plot_band(
    ts: pd.DataFrame,
    column: str,
    *,
    by: str | None = None,
    ax: Axes | None = None,
    run_col: str = "rep",
    colors: Sequence[str] | None = None,
) -> Axes:
    """Mean of ``column`` over runs with a band of the middle 50% of runs, one line per group.

    Args:
        ts: Tidy time series with ``week``, ``run_col`` and ``column`` (and ``by`` if given).
        column: Series to plot.
        by: Column whose values are drawn as separate lines (e.g. ``"scenario"``).
        ax: Axes to draw on (a new figure if None).
        run_col: Column identifying a replicate.
        colors: Line colors, one per group.

    Returns:
        The Axes drawn on.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    groups = [(None, ts)] if by is None else list(ts.groupby(by, sort=False))
    palette = colors or plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, g) in enumerate(groups):
        wide = wide_by_run(g, column, run_col)
        arr = wide.to_numpy(dtype=float)
        weeks = wide.index.to_numpy()
        color = palette[i % len(palette)]
        mean = np.nanmean(arr, axis=1)
        lo, hi = np.nanpercentile(arr, [25, 75], axis=1)
        label = f"{name} (n={arr.shape[1]})" if name is not None else f"n={arr.shape[1]}"
        ax.plot(weeks, mean, color=color, lw=2, label=label)
        ax.fill_between(weeks, lo, hi, color=color, alpha=0.2, lw=0)
    ax.set_xlabel("Week")
    ax.set_ylabel(LABELS.get(column, column))
    ax.grid(alpha=0.3)
    return ax


def plot_overview(
    ts: pd.DataFrame,
    *,
    by: str | None = None,
    columns: Sequence[str] = ("public_value", "mean_trust", "consensus", "legitimacy"),
    title: str = "",
) -> Figure:
    """A 2 x 2 figure of the main series over time with replicate bands."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for ax, col in zip(axes.flat, columns, strict=False):
        plot_band(ts, col, by=by, ax=ax)
        ax.set_title(LABELS.get(col, col).split(" (")[0])
    axes.flat[0].legend(loc="upper left", fontsize=8, title="line: mean; band: middle 50%")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
