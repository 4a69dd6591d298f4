"""Pattern 6: Hartford gridlocks with little uptake; Louisville is slow but its value keeps rising.

The two cases of seed 001 (de Jong 2025) and seed 003 (Rivkin 2018), as the ``hartford`` and
``louisville`` scenarios of ``configs/``: each scenario file says which fact motivates which
setting. A decision counts as adopted in the first week a project is under way (the recorded
``project_active`` series; a project lasts at least four weeks, so none is missed). Gridlock
reads the criterion's 52-week window for both of its branches: no decision adopted within 52
weeks, or perished within 52 weeks (the stricter of the two readings of "or perished").
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import (
    COLORS,
    ffill_rows,
    fmt_ci,
    labelled,
    mean_band,
    scenario_params,
)
from collabsim.replication.patterns.not_speed import time_to
from collabsim.replication.result import (
    Check,
    Context,
    Estimate,
    PatternResult,
    greater,
    less,
    margin,
)
from collabsim.replication.runner import PatternRuns
from collabsim.replication.spec import PatternSpec
from collabsim.replication.stats import kaplan_meier, welch_diff, wilson

__all__ = ["LEVELS", "PARTS", "SERIES", "THRESHOLDS", "analyze", "cells", "first_adoption_week"]

THRESHOLDS = ("gridlock_lower_min", "uptake_diff_upper_max", "rising_lower_min", "slow_weeks_min")
PARTS = ("a", "b", "c", "d")
LEVELS = {"scenarios": None, "weeks": None, "gridlock_weeks": None, "third_year": None}
SERIES: tuple[str, ...] = ("project_active", "public_value", "uptake", "alive")


def cells(spec: PatternSpec) -> list[Cell]:
    """One cell per case scenario."""
    lv = spec.levels
    return [
        make_cell({"case": name}, {**scenario_params(name), "weeks": lv["weeks"]}, i)
        for i, name in enumerate(lv["scenarios"])
    ]


def first_adoption_week(project_active: np.ndarray) -> np.ndarray:
    """Per run, the first week with a project under way (``inf`` if none)."""
    active = np.nan_to_num(np.asarray(project_active, dtype=float)) > 0.5
    active[:, 0] = False  # week 0 is the founding state
    first = np.argmax(active, axis=1).astype(float)
    first[~active.any(axis=1)] = np.inf
    return first


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Hartford's gridlock and uptake vs Louisville's slow, rising public value."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    hart_name, lou_name = lv["scenarios"]
    df = labelled(data, cells)
    df["first_adoption_week"] = first_adoption_week(data.series["project_active"])
    grid_weeks = int(lv["gridlock_weeks"])
    perished_early = df["perished_week"].to_numpy(dtype=float) <= grid_weeks  # NaN: alive
    df["gridlock"] = (df["first_adoption_week"] > grid_weeks) | perished_early
    y0, y1 = (int(w) for w in lv["third_year"])
    pv = ffill_rows(data.series["public_value"])
    df["pv_rose_third_year"] = pv[:, y1] > pv[:, y0]
    hart = (df["case"] == hart_name).to_numpy()
    lou = (df["case"] == lou_name).to_numpy()
    # (a) Hartford gridlock
    g = wilson(int(df.loc[hart, "gridlock"].sum()), int(hart.sum()), level)
    check_a = Check(
        "a",
        f"share of {hart_name} runs in gridlock (no decision adopted within {grid_weeks} weeks, "
        f"or perished within {grid_weeks} weeks)",
        f"lower CI bound > {thr['gridlock_lower_min']:g}",
        [Estimate(f"{hart_name} gridlock", *g)],
        greater(g[1], thr["gridlock_lower_min"]),
        margin=margin(g[1], thr["gridlock_lower_min"], ">"),
    )
    # (b) uptake in the last recorded week, Hartford minus Louisville
    up = welch_diff(df.loc[hart, "uptake"], df.loc[lou, "uptake"], level)
    check_b = Check(
        "b",
        f"mean program uptake in the last recorded week, {hart_name} minus {lou_name} (Welch CI)",
        f"upper CI bound < {thr['uptake_diff_upper_max']:g}",
        [
            Estimate(f"{hart_name} minus {lou_name}", *up),
            Estimate(f"{hart_name} mean uptake", float(df.loc[hart, "uptake"].mean())),
            Estimate(f"{lou_name} mean uptake", float(df.loc[lou, "uptake"].mean())),
        ],
        less(up[2], thr["uptake_diff_upper_max"]),
        margin=margin(up[2], thr["uptake_diff_upper_max"], "<"),
    )
    # (c) Louisville's public value rose in the third year
    r = wilson(int(df.loc[lou, "pv_rose_third_year"].sum()), int(lou.sum()), level)
    check_c = Check(
        "c",
        f"share of {lou_name} runs whose public value rose from week {y0} to week {y1}",
        f"lower CI bound > {thr['rising_lower_min']:g}",
        [Estimate(f"{lou_name} rising in year 3", *r)],
        greater(r[1], thr["rising_lower_min"]),
        margin=margin(r[1], thr["rising_lower_min"], ">"),
    )
    # (d) Louisville is slow: Kaplan-Meier median weeks to the impact target
    horizon = int(lv["weeks"])
    t_imp, e_imp = time_to(df.loc[lou, "weeks_to_impact"], horizon)
    km = kaplan_meier(t_imp, e_imp, level)
    check_d = Check(
        "d",
        f"{lou_name}'s Kaplan-Meier median weeks to reach the impact target (never reached: "
        f"censored at week {horizon})",
        f"median > {thr['slow_weeks_min']:g} weeks",
        [Estimate(f"{lou_name} median weeks to impact", km.median, *km.median_ci, fmt=".0f")],
        greater(km.median, thr["slow_weeks_min"]),
        note=f"{km.events} of {km.n} {lou_name} runs reached the target within {horizon} weeks"
        + ("; fewer than half did, so the median is undefined" if np.isnan(km.median) else ""),
        margin=margin(km.median, thr["slow_weeks_min"], ">"),
    )
    med = km.median
    rows = []
    for name in lv["scenarios"]:
        sub = df[df["case"] == name]
        rows.append(
            {
                "case": name,
                "runs": len(sub),
                "gridlock_share": float(sub["gridlock"].mean()),
                "perished_share": float(sub["perished"].mean()),
                "mean_uptake_last_week": float(sub["uptake"].mean()),
                "pv_rose_third_year_share": float(sub["pv_rose_third_year"].mean()),
                "km_median_weeks_to_impact": kaplan_meier(
                    *time_to(sub["weeks_to_impact"], horizon)
                ).median,
                "mean_collective_impact": float(sub["collective_impact"].mean()),
            }
        )
    table = pd.DataFrame(rows)
    fig = None if not ctx.figures else _figure(data, df, lv, level, grid_weeks, (y0, y1))
    summary = (
        f"{' and '.join(lv['scenarios'])} scenarios x {len(df) // max(1, len(cells))} seeds"
        f" = {len(df)} runs of {horizon} weeks with weekly time series"
    )
    text = _interpret(g, up, r, med, thr, hart_name, lou_name)
    return PatternResult(spec, [check_a, check_b, check_c, check_d], fig, table, df, text, summary)


def _figure(data, df, lv, level, grid_weeks, year3):
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), sharex=True)
    pct = f"{100 * level:g}%"
    pv = ffill_rows(data.series["public_value"])
    uptake = ffill_rows(data.series["uptake"])
    alive = np.nan_to_num(data.series["alive"].astype(float), nan=0.0)
    adopted = np.isfinite(df["first_adoption_week"].to_numpy())[:, None] & (
        np.arange(pv.shape[1])[None, :] >= df["first_adoption_week"].to_numpy()[:, None]
    )
    weeks = np.arange(pv.shape[1])
    panels = (
        (axes[0, 0], pv, "Collective impact (public value, PV units)", "Public value"),
        (axes[0, 1], uptake, "Program uptake (legitimacy x community reach, 0-1)", "Uptake"),
        (
            axes[1, 0],
            adopted.astype(float),
            "Share of runs with a decision adopted",
            "Decisions adopted",
        ),
        (axes[1, 1], alive, "Share of runs still alive", "Collaborations alive"),
    )
    for ax, arr, ylabel, title in panels:
        for i, name in enumerate(lv["scenarios"]):
            sel = (df["case"] == name).to_numpy()
            m, lo, hi = mean_band(arr[sel], level)
            ax.plot(weeks, m, color=COLORS[i], lw=2, label=f"{name} (n={int(sel.sum())})")
            ax.fill_between(weeks, lo, hi, color=COLORS[i], alpha=0.25, lw=0)
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, title=f"mean, band: {pct} CI")
    axes[1, 0].axvline(grid_weeks, color="grey", ls=":", lw=1)
    axes[0, 0].axvspan(*year3, color="grey", alpha=0.08)
    for ax in axes.flat:
        ax.set_xlabel("Week")
        ax.tick_params(labelbottom=True)
    fig.suptitle(f"Hartford vs Louisville (shaded: third year; dotted: week {grid_weeks})")
    fig.tight_layout()
    return fig


def _interpret(g, up, r, med, thr, hart, lou) -> str:
    parts = [
        f"{hart.capitalize()} gridlocks in {100 * g[0]:.0f}% of runs (CI {100 * g[1]:.0f}-"
        f"{100 * g[2]:.0f}%)"
        + (
            "."
            if greater(g[1], thr["gridlock_lower_min"])
            else f", not clearly above the declared {100 * thr['gridlock_lower_min']:.0f}%."
        ),
        f"Its final program uptake is lower than {lou.capitalize()}'s (difference {fmt_ci(up)})"
        if less(up[2], thr["uptake_diff_upper_max"])
        else f"Its final program uptake is not clearly below {lou.capitalize()}'s "
        f"(difference {fmt_ci(up)})",
    ]
    parts[-1] += "."
    parts.append(
        f"{lou.capitalize()}'s public value rose in the third year in {100 * r[0]:.0f}% of runs "
        f"(CI {100 * r[1]:.0f}-{100 * r[2]:.0f}%), and it took a median {med:.0f} weeks to reach "
        f"the impact target ("
        + (
            "slow, as the claim says)."
            if greater(med, thr["slow_weeks_min"])
            else f"not slower than the declared {thr['slow_weeks_min']:g} weeks)."
        )
    )
    return " ".join(parts)
