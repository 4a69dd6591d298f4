"""Pattern 4: collective models are not speed; turnover slows consensus and impact.

Mayor Greg Fischer (seed 001): "you're getting consensus on something there was consensus about
two years ago." The baseline scenario is run at five annual turnover rates. Runs that never
reach the impact target (or never win) count as the horizon + 1 week, so a slower run is never
dropped from the rank correlation.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.criteria import PatternSpec
from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import (
    COLORS,
    fmt_ci,
    labelled,
    scenario_params,
    whiskers,
)
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater
from collabsim.replication.runner import PatternRuns
from collabsim.replication.stats import percentile_ci, spearman_ci, wilson
from collabsim.stats import mean_ci

__all__ = ["SERIES", "THRESHOLDS", "analyze", "cells", "censored"]

THRESHOLDS = ("rho_lower_min",)
SERIES: tuple[str, ...] = ()

_MEASURES = (
    ("a", "weeks_to_impact", "weeks to reach the impact target"),
    ("b", "weeks_to_first_win", "weeks to the first small win"),
    ("c", "consensus_remade", "times consensus had to be re-made"),
)


def cells(spec: PatternSpec) -> list[Cell]:
    """The baseline scenario at each turnover rate."""
    lv = spec.levels
    base = scenario_params(lv["scenario"])
    return [
        make_cell({"turnover_rate": t}, {**base, "weeks": lv["weeks"], "turnover_rate": t}, i)
        for i, t in enumerate(lv["turnover_rate"])
    ]


def censored(weeks: pd.Series, horizon: int) -> np.ndarray:
    """Weeks to an event, with runs in which it never happened set to ``horizon + 1``."""
    return weeks.fillna(horizon + 1).to_numpy(dtype=float)


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Spearman correlations of turnover with time to impact, time to a win, consensus re-made."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    horizon = int(lv["weeks"])
    turnover = df["turnover_rate"].to_numpy(dtype=float)
    values = {
        "weeks_to_impact": censored(df["weeks_to_impact"], horizon),
        "weeks_to_first_win": censored(df["weeks_to_first_win"], horizon),
        "consensus_remade": df["consensus_remade"].to_numpy(dtype=float),
    }
    checks, rhos = [], {}
    for part, col, label in _MEASURES:
        rho = spearman_ci(turnover, values[col], ctx.rng, resamples=ctx.resamples, level=level)
        rhos[col] = rho
        checks.append(
            Check(
                part,
                f"Spearman correlation between turnover and {label}",
                f"lower CI bound > {thr['rho_lower_min']:g}",
                [Estimate(f"rho (turnover, {label})", *rho)],
                greater(rho[1], thr["rho_lower_min"]),
            )
        )
    rows = []
    for t, g in df.groupby("turnover_rate", sort=True):
        idx = g.index.to_numpy()
        row = {
            "turnover_rate": t,
            "runs": len(g),
            "reached_impact_share": float(g["weeks_to_impact"].notna().mean()),
        }
        for col in ("weeks_to_impact", "weeks_to_first_win"):
            x = values[col][idx]
            boot = np.median(x[ctx.rng.integers(0, len(x), size=(ctx.resamples, len(x)))], axis=1)
            lo, hi = percentile_ci(boot, level)
            row.update(
                {f"{col}_median": float(np.median(x)), f"{col}_ci_low": lo, f"{col}_ci_high": hi}
            )
        m, lo, hi = mean_ci(values["consensus_remade"][idx], level)
        row.update(
            {
                "consensus_remade_mean": m,
                "consensus_remade_ci_low": lo,
                "consensus_remade_ci_high": hi,
            }
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    fig = _figure(df, values, table, rhos, horizon, level)
    summary = (
        f"{lv['scenario']} scenario at {len(cells)} turnover rates x "
        f"{len(df) // max(1, len(cells))} seeds = {len(df)} runs of {horizon} weeks"
    )
    text = _interpret(rhos, table, thr)
    return PatternResult(spec, checks, fig, table, df, text, summary)


def _figure(df, values, table, rhos, horizon, level):
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    pct = f"{100 * level:g}%"
    weeks = np.arange(horizon + 1)
    levels = sorted(df["turnover_rate"].unique())
    panels = (
        ("weeks_to_impact", "Share of runs that reached the impact target", "(a) Time to impact"),
        ("weeks_to_first_win", "Share of runs with a first small win", "(b) Time to a first win"),
    )
    for ax, (col, ylabel, title) in zip(axes[:2], panels, strict=True):
        for i, rate in enumerate(levels):
            x = values[col][(df["turnover_rate"] == rate).to_numpy()]
            band = np.array([wilson(int((x <= w).sum()), len(x), level) for w in weeks])
            color = COLORS[i % len(COLORS)]
            ax.plot(weeks, band[:, 0], color=color, lw=2, label=f"{rate:g} per year")
            ax.fill_between(weeks, band[:, 1], band[:, 2], color=color, alpha=0.2, lw=0)
        ax.set_xlabel("Week")
        ax.set_ylabel(f"{ylabel} (by that week)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{title}\nSpearman rho (turnover, weeks) = {fmt_ci(rhos[col])}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, title=f"annual turnover ({pct} CI bands)", loc="upper left")
    x = table["turnover_rate"].to_numpy(dtype=float)
    v = table["consensus_remade_mean"].to_numpy(dtype=float)
    lo = table["consensus_remade_ci_low"].to_numpy(dtype=float)
    hi = table["consensus_remade_ci_high"].to_numpy(dtype=float)
    ax = axes[2]
    ax.errorbar(
        x,
        v,
        yerr=whiskers(v, lo, hi),
        fmt="o-",
        color=COLORS[2],
        capsize=4,
        label=f"mean per run, {pct} CI",
    )
    ax.set_xlabel("Annual turnover rate (share of representatives leaving per year)")
    ax.set_ylabel("Times consensus was lost and re-made (per run)")
    ax.set_title(f"(c) Consensus re-made\nSpearman rho = {fmt_ci(rhos['consensus_remade'])}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.suptitle(
        f"Not speed: turnover and the pace of collaboration (runs that never get there count as "
        f"week {horizon + 1} in rho)"
    )
    fig.tight_layout()
    return fig


def _interpret(rhos, table, thr) -> str:
    parts = []
    for _, col, label in _MEASURES:
        rho = rhos[col]
        clear = greater(rho[1], thr["rho_lower_min"])
        parts.append(
            f"Turnover and {label}: rho = {fmt_ci(rho)}"
            + (" (more turnover, more of it)." if clear else " (no clear positive relation).")
        )
    first, last = table.iloc[0], table.iloc[-1]
    parts.append(
        f"At turnover {first['turnover_rate']:g} per year "
        f"{100 * first['reached_impact_share']:.0f}% of runs reached the impact target; "
        f"at {last['turnover_rate']:g} per year "
        f"{100 * last['reached_impact_share']:.0f}%."
    )
    return " ".join(parts)
