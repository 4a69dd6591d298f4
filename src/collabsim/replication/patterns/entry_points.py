"""Pattern 3: without an entry point teams keep talking or perish; with one, some gain momentum.

Martinez Orbegozo et al. (2022, J. Applied Behavioral Science) followed ten cross-boundary
teams over nine months: teams that found a meaningful, actionable, acceptable and provisional
first project, and that were diverse, outward-looking and took initiative despite ambiguity,
gained momentum; the others kept talking or perished. Each seed is one team, followed for 39
weeks; entry points x diversity x outward orientation (community engagement) x initiative.
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import (
    COLORS,
    fmt_ci,
    labelled,
    rate_row,
    whiskers,
)
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater, margin
from collabsim.replication.runner import PatternRuns
from collabsim.replication.spec import PatternSpec
from collabsim.replication.stats import risk_difference, wilson

__all__ = ["FACTORS", "LEVELS", "PARTS", "SERIES", "THRESHOLDS", "TRAITS", "analyze", "cells"]

THRESHOLDS = ("no_entry_stall_lower_min", "momentum_diff_lower_min", "momentum_high_min")
PARTS = ("a", "b", "c")
LEVELS = {
    "weeks": None,
    "entry_points": None,
    "diversity": None,
    "community_stages": None,
    "initiative": None,
}
SERIES: tuple[str, ...] = ()
#: The three team traits, as the parameters the design varies (low level first).
TRAITS = ("diversity", "community_stages", "initiative")
#: Every factor of the design, in order.
FACTORS = ("entry_points", *TRAITS)
_TRAIT_LABEL = {"diversity": "diverse", "community_stages": "outward", "initiative": "initiative"}


def cells(spec: PatternSpec) -> list[Cell]:
    """Entry points (off, on) x the three traits (low, high), 39 weeks each."""
    lv = spec.levels
    out: list[Cell] = []
    for values in itertools.product(*(lv[f] for f in FACTORS)):
        labels = dict(zip(FACTORS, values, strict=True))
        labels["traits_high"] = sum(labels[t] == lv[t][-1] for t in TRAITS)
        out.append(
            make_cell(
                labels, {"weeks": lv["weeks"], **dict(zip(FACTORS, values, strict=True))}, len(out)
            )
        )
    return out


def _outcome(df: pd.DataFrame) -> np.ndarray:
    """One label per team for the figure (first that applies, in this order)."""
    return np.select(
        [df["perished"].astype(bool), df["talk_only"].astype(bool), df["momentum"].astype(bool)],
        ["perished", "kept talking (no decision adopted)", "momentum (a small win)"],
        "acted, no win yet",
    )


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Stall share without entry points; momentum of high- vs low-trait teams with them."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    df["stalled"] = df["talk_only"].astype(bool) | df["perished"].astype(bool)
    df["outcome"] = _outcome(df)
    entry = df["entry_points"].astype(bool)
    k_high = df["traits_high"] == len(TRAITS)
    k_low = df["traits_high"] == 0
    # (a) teams without an entry point that only talk or perish
    no_entry = df[~entry]
    stall = wilson(int(no_entry["stalled"].sum()), len(no_entry), level)
    check_a = Check(
        "a",
        f"share of teams without an entry point that only talk or perish by week {lv['weeks']}",
        f"lower CI bound > {thr['no_entry_stall_lower_min']:g}",
        [Estimate("stalled without an entry point", *stall)],
        greater(stall[1], thr["no_entry_stall_lower_min"]),
        margin=margin(stall[1], thr["no_entry_stall_lower_min"], ">"),
    )
    # (b) momentum with an entry point: high on all three traits minus low on all three
    hi_g = df[entry & k_high]["momentum"].astype(bool)
    lo_g = df[entry & k_low]["momentum"].astype(bool)
    diff = risk_difference(int(hi_g.sum()), len(hi_g), int(lo_g.sum()), len(lo_g), level)
    check_b = Check(
        "b",
        "momentum (a small win by week 39) with an entry point, high-trait minus low-trait teams",
        f"lower CI bound > {thr['momentum_diff_lower_min']:g}",
        [
            Estimate("high on all three minus low on all three", *diff),
            Estimate("low on all three", *wilson(int(lo_g.sum()), len(lo_g), level)),
        ],
        greater(diff[1], thr["momentum_diff_lower_min"]),
        margin=margin(diff[1], thr["momentum_diff_lower_min"], ">"),
    )
    # (c) momentum share of entry-point teams high on all three traits
    high = wilson(int(hi_g.sum()), len(hi_g), level)
    check_c = Check(
        "c",
        "momentum share of entry-point teams high on all three traits",
        f"point estimate >= {thr['momentum_high_min']:g}",
        [Estimate("high on all three, with an entry point", *high)],
        bool(np.isfinite(high[0]) and high[0] >= thr["momentum_high_min"]),
        margin=margin(high[0], thr["momentum_high_min"], ">"),
    )
    rows = []
    for keys, g in df.groupby(list(FACTORS), sort=False):
        row = dict(zip(FACTORS, keys, strict=True))
        row["traits_high"] = int(g["traits_high"].iloc[0])
        row.update(
            {
                f"momentum_{k}": v
                for k, v in rate_row(int(g["momentum"].sum()), len(g), level).items()
            }
        )
        row["stalled_share"] = float(g["stalled"].mean())
        row["talk_only_share"] = float(g["talk_only"].mean())
        row["perished_share"] = float(g["perished"].mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    fig = None if not ctx.figures else _figure(df, level, lv)
    summary = (
        f"entry points (off, on) x {len(TRAITS)} traits (low, high) = {len(cells)} cells x "
        f"{len(df) // max(1, len(cells))} teams (seeds) = {len(df)} teams followed for "
        f"{lv['weeks']} weeks"
    )
    text = _interpret(stall, diff, high, thr, lv["weeks"])
    return PatternResult(spec, [check_a, check_b, check_c], fig, table, df, text, summary)


def _figure(df, level, lv):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    order = [
        "kept talking (no decision adopted)",
        "perished",
        "acted, no win yet",
        "momentum (a small win)",
    ]
    colors = ["#BBBBBB", COLORS[1], COLORS[5], COLORS[2]]
    groups = [("without entry point", False), ("with entry point", True)]
    bottom = np.zeros(2)
    for name, color in zip(order, colors, strict=True):
        vals = np.array(
            [
                (df.loc[df["entry_points"].astype(bool) == flag, "outcome"] == name).mean()
                for _, flag in groups
            ]
        )
        ax1.bar([g for g, _ in groups], vals, bottom=bottom, color=color, label=name, width=0.6)
        bottom += vals
    stall = [
        wilson(int(g["stalled"].sum()), len(g), level)
        for g in (df[df["entry_points"].astype(bool) == flag] for _, flag in groups)
    ]
    sv = np.array([s[0] for s in stall])
    ax1.errorbar(
        [0.33, 1.33],
        sv,
        yerr=whiskers(sv, [s[1] for s in stall], [s[2] for s in stall]),
        fmt="_",
        color="black",
        capsize=4,
        ms=12,
        label=f"kept talking or perished, {100 * level:g}% CI",
    )
    ax1.set_ylabel("Share of teams")
    ax1.set_ylim(0, 1)
    ax1.set_xlabel("Design")
    ax1.set_title(f"Where teams stand at week {lv['weeks']}")
    ax1.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    for i, (label, flag) in enumerate(groups):
        xs, v, lo, hi = [], [], [], []
        for k in range(len(TRAITS) + 1):
            g = df[(df["entry_points"].astype(bool) == flag) & (df["traits_high"] == k)]
            p, a, b = wilson(int(g["momentum"].sum()), len(g), level)
            xs.append(k + (i - 0.5) * 0.08)
            v.append(p)
            lo.append(a)
            hi.append(b)
        ax2.errorbar(
            xs, v, yerr=whiskers(v, lo, hi), fmt="o-", color=COLORS[i], capsize=4, label=label
        )
    ax2.set_xticks(
        range(len(TRAITS) + 1),
        ["none", "one", "two", "all three\n(" + ", ".join(_TRAIT_LABEL.values()) + ")"],
    )
    ax2.set_xlabel("Traits on which the team is high")
    ax2.set_ylabel(f"Momentum: share with a small win by week {lv['weeks']}")
    ax2.set_ylim(0, 1)
    ax2.grid(alpha=0.3)
    ax2.set_title(f"Momentum by team traits (whiskers: {100 * level:g}% Wilson CI)")
    ax2.legend(fontsize=8)
    fig.suptitle("Entry points (teams followed for 9 months)")
    fig.tight_layout()
    return fig


def _interpret(stall, diff, high, thr, weeks) -> str:
    parts = [
        f"Without an entry point, {100 * stall[0]:.0f}% of teams (CI {100 * stall[1]:.0f}-"
        f"{100 * stall[2]:.0f}%) had only talked or had perished by week {weeks}"
        + (
            ", as the claim says."
            if greater(stall[1], thr["no_entry_stall_lower_min"])
            else f", not clearly above the declared {100 * thr['no_entry_stall_lower_min']:.0f}%."
        )
    ]
    parts.append(
        f"With an entry point, teams high on diversity, outward orientation and initiative gained "
        f"momentum {100 * high[0]:.0f}% of the time; the gap to teams low on all three is "
        f"{fmt_ci(diff)}"
        + (
            " (clearly positive)."
            if greater(diff[1], thr["momentum_diff_lower_min"])
            else " (not clearly positive)."
        )
    )
    return " ".join(parts)
