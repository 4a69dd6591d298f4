"""Pattern 1: formal structure (governance mode) is no predictor of success; adaptability is.

Pulido-Gomez, de Jong & Rivkin (2025, JPART) found among 9 collaborations in three cities and
three policy areas that the formal structure did not tell the successful ones apart, while the
ability to change it did. The design crosses city context x policy area x governance mode x
adaptability; success is the model's own per-run outcome (alive at the horizon with public
value at the impact target). The governance mode in (a) is the mode a collaboration starts
with (an adaptable one may change it later). The best mode of a city context in (c) pools its
policy areas and both adaptability levels; tied modes are all "best", and (c) holds when no
mode is best in every context.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.criteria import PatternSpec
from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import bars_with_ci, fmt_ci, labelled, rate_row
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater, less
from collabsim.replication.runner import PatternRuns
from collabsim.replication.stats import cramers_v_ci, newcombe_diff, wilson

__all__ = ["SERIES", "THRESHOLDS", "analyze", "best_modes", "cells"]

THRESHOLDS = ("cramers_v_upper_max", "adaptability_diff_lower_min")
SERIES: tuple[str, ...] = ()

_MODE_LABEL = {"shared": "shared", "lead": "lead organization", "nao": "NAO"}


def cells(spec: PatternSpec) -> list[Cell]:
    """City context x policy area x governance mode x adaptability."""
    lv = spec.levels
    out: list[Cell] = []
    for ctx in lv["contexts"]:
        for width in lv["leverage_width"]:
            for mode in lv["governance"]:
                for adaptable in lv["adaptable"]:
                    labels = {
                        "context": ctx["name"],
                        "leverage_width": width,
                        "governance": mode,
                        "adaptable": adaptable,
                    }
                    params = {
                        "weeks": lv["weeks"],
                        "n_orgs": ctx["n_orgs"],
                        "prior_history": ctx["prior_history"],
                        "leverage_width": width,
                        "governance": mode,
                        "adaptable": adaptable,
                    }
                    out.append(make_cell(labels, params, len(out)))
    return out


def best_modes(rates: pd.DataFrame) -> dict[str, set[str]]:
    """For each context, the mode(s) with the highest success rate (ties kept)."""
    out: dict[str, set[str]] = {}
    for ctx, g in rates.groupby("context", sort=False):
        top = g["share"].max()
        out[str(ctx)] = set(g.loc[g["share"] == top, "governance"]) if np.isfinite(top) else set()
    return out


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Cramer's V of mode and success, adaptable minus rigid, best mode per context."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    success = df["success"].astype(bool).to_numpy()
    # (a) governance mode vs success
    v = cramers_v_ci(
        df["governance"].to_numpy(), success, ctx.rng, resamples=ctx.resamples, level=level
    )
    check_a = Check(
        "a",
        "Cramer's V between governance mode and success",
        f"upper CI bound of V < {thr['cramers_v_upper_max']:g}",
        [Estimate("Cramer's V (mode x success)", *v)],
        less(v[2], thr["cramers_v_upper_max"]),
        note=f"by chance alone V would be about {math.sqrt(2 / max(1, len(df))):.3f} with "
        f"{len(df)} runs (3 modes x 2 outcomes)",
    )
    # (b) adaptable minus rigid
    ad = df["adaptable"].astype(bool).to_numpy()
    k1, n1 = int(success[ad].sum()), int(ad.sum())
    k0, n0 = int(success[~ad].sum()), int((~ad).sum())
    diff = newcombe_diff(k1, n1, k0, n0, level)
    check_b = Check(
        "b",
        "success rate, adaptable minus rigid (Newcombe CI)",
        f"lower CI bound of the difference > {thr['adaptability_diff_lower_min']:g}",
        [
            Estimate("adaptable minus rigid", *diff),
            Estimate("adaptable success rate", *wilson(k1, n1, level)),
            Estimate("rigid success rate", *wilson(k0, n0, level)),
        ],
        greater(diff[1], thr["adaptability_diff_lower_min"]),
    )
    # (c) best mode per city context
    rows = []
    for (context, mode), g in df.groupby(["context", "governance"], sort=False):
        rows.append(
            {
                "context": context,
                "governance": mode,
                **rate_row(int(g["success"].sum()), len(g), level),
            }
        )
    rates = pd.DataFrame(rows)
    best = best_modes(rates)
    common = set.intersection(*best.values()) if best else set()
    holds = bool(best) and all(best.values()) and not common
    est_c = []
    for context, modes in best.items():
        r = rates[(rates["context"] == context) & (rates["governance"].isin(modes))].iloc[0]
        est_c.append(
            Estimate(
                f"{context}: best = {', '.join(sorted(modes))}",
                r["share"],
                r["ci_low"],
                r["ci_high"],
            )
        )
    check_c = Check(
        "c",
        "best governance mode (highest success rate) per city context",
        "not the same mode in every city context",
        est_c,
        holds,
        note=("the same mode is best everywhere: " + ", ".join(sorted(common))) if common else "",
    )
    # descriptive table: every cell
    table_rows = []
    for keys, g in df.groupby(["context", "leverage_width", "governance", "adaptable"], sort=False):
        table_rows.append(
            {
                "context": keys[0],
                "leverage_width": keys[1],
                "governance": keys[2],
                "adaptable": keys[3],
                **rate_row(int(g["success"].sum()), len(g), level),
            }
        )
    table = pd.DataFrame(table_rows)
    fig = _figure(df, rates, lv, level, v, diff)
    n_cells = len(cells)
    seeds = len(df) // max(1, n_cells)
    summary = (
        f"{len(lv['contexts'])} city contexts x {len(lv['leverage_width'])} policy areas x "
        f"{len(lv['governance'])} governance modes x {len(lv['adaptable'])} (rigid, adaptable) = "
        f"{n_cells} cells x {seeds} seeds = {len(df)} runs of {lv['weeks']} weeks"
    )
    text = _interpret(v, diff, best, holds, thr, ctx.pct)
    return PatternResult(spec, [check_a, check_b, check_c], fig, table, df, text, summary)


def _figure(df, rates, lv, level, v, diff):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    contexts = [c["name"] for c in lv["contexts"]]
    series = {}
    for mode in lv["governance"]:
        vals = []
        for c in contexts:
            r = rates[(rates["context"] == c) & (rates["governance"] == mode)]
            vals.append(
                tuple(r[["share", "ci_low", "ci_high"]].iloc[0])
                if len(r)
                else (np.nan, np.nan, np.nan)
            )
        series[_MODE_LABEL.get(mode, mode)] = vals
    bars_with_ci(ax1, contexts, series)
    ax1.set_ylabel("Success rate (share of runs)")
    ax1.set_xlabel("City context")
    ax1.set_title(f"Success by governance mode (Cramer's V = {fmt_ci(v)})")
    ax1.legend(title="Governance mode", fontsize=8)
    groups = [*contexts, "all"]
    series2: dict[str, list] = {"rigid": [], "adaptable": []}
    for c in groups:
        g = df if c == "all" else df[df["context"] == c]
        for name, flag in (("rigid", False), ("adaptable", True)):
            s = g.loc[g["adaptable"].astype(bool) == flag, "success"].astype(bool)
            series2[name].append(wilson(int(s.sum()), len(s), level))
    bars_with_ci(ax2, [g.replace(" and ", "\nand ") for g in groups], series2)
    ax2.set_ylabel("Success rate (share of runs)")
    ax2.set_xlabel("City context")
    ax2.set_title(f"Adaptable minus rigid: {fmt_ci(diff)}")
    ax2.legend(title="Governance", fontsize=8)
    for ax in (ax1, ax2):
        ax.set_ylim(0, 1)
    fig.suptitle(
        "Formal structure vs adaptability "
        f"(bars: success rate; whiskers: {100 * level:g}% Wilson CI)"
    )
    fig.tight_layout()
    return fig


def _interpret(v, diff, best, holds, thr, pct) -> str:
    parts = []
    if less(v[2], thr["cramers_v_upper_max"]):
        parts.append(
            f"Governance mode tells little about success: Cramer's V is {fmt_ci(v)} ({pct} CI), "
            f"below the declared {thr['cramers_v_upper_max']:g}."
        )
    else:
        parts.append(
            f"Governance mode is associated with success more than the claim allows: Cramer's V "
            f"is {fmt_ci(v)}, and its upper bound is not below {thr['cramers_v_upper_max']:g}."
        )
    if greater(diff[1], thr["adaptability_diff_lower_min"]):
        parts.append(
            f"Adaptable collaborations succeed more often than rigid ones "
            f"(difference {fmt_ci(diff)})."
        )
    else:
        parts.append(
            f"The runs do not show that adaptable collaborations succeed more often "
            f"than rigid ones (difference {fmt_ci(diff)})."
        )
    names = "; ".join(f"{c}: {', '.join(sorted(m)) or 'none'}" for c, m in best.items())
    parts.append(
        (
            "The best mode differs between city contexts"
            if holds
            else "The same mode is best in every city context"
        )
        + f" ({names})."
    )
    return " ".join(parts)
