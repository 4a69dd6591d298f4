"""Pattern 1: formal structure (governance mode) is no predictor of success; adaptability is.

Pulido-Gomez, de Jong & Rivkin (2025, JPART) found among 9 collaborations in three cities and
three policy areas that the formal structure did not tell the successful ones apart, while the
ability to change it did. The design crosses city context x policy area x governance mode x
adaptability; success is the model's own per-run outcome (alive at the horizon with public
value at the impact target). The governance mode is the mode a collaboration starts with (an
adaptable one may change it later).

The claim is stated as what it is: (a) the pooled association (Cramer's V) depends on which
contexts are pooled, so (b) looks within contexts: for each pair of modes the Mantel-Haenszel
common odds ratio across the city contexts (each context's 2x2 table of mode vs success pools
its policy areas and both adaptability levels, which the design balances) must lie within an
equivalence margin; (c) the Breslow-Day test asks whether the odds ratio differs between
contexts (contingent fit, Provan & Kenis 2008); (d) adaptable minus rigid.
"""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import bars_with_ci, fmt_ci, labelled, rate_row
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
from collabsim.replication.stats import cramers_v_ci, mantel_haenszel, risk_difference, wilson

__all__ = [
    "LEVELS",
    "PARTS",
    "SERIES",
    "THRESHOLDS",
    "analyze",
    "best_modes",
    "cells",
    "mode_tables",
]

THRESHOLDS = (
    "cramers_v_upper_max",
    "mh_or_margin",
    "homogeneity_p_max",
    "adaptability_diff_lower_min",
)
PARTS = ("a", "b", "c", "d")
LEVELS = {
    "weeks": None,
    "contexts": ("name", "n_orgs", "prior_history"),
    "leverage_width": None,
    "governance": None,
    "adaptable": None,
}
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


def mode_tables(df: pd.DataFrame, first: str, second: str) -> list[np.ndarray]:
    """Per city context, the 2x2 table of mode (first, second) by success (yes, no)."""
    out = []
    for _, g in df.groupby("context", sort=False):
        rows = []
        for mode in (first, second):
            s = g.loc[g["governance"] == mode, "success"].astype(bool)
            rows.append([int(s.sum()), int((~s).sum())])
        out.append(np.array(rows))
    return out


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Pooled V, Mantel-Haenszel within contexts, Breslow-Day, adaptable minus rigid."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    success = df["success"].astype(bool).to_numpy()
    # (a) governance mode vs success, pooled
    v = cramers_v_ci(
        df["governance"].to_numpy(), success, ctx.rng, resamples=ctx.resamples, level=level
    )
    check_a = Check(
        "a",
        "Cramer's V between governance mode and success, pooled over contexts",
        f"upper CI bound of V < {thr['cramers_v_upper_max']:g}",
        [Estimate("Cramer's V (mode x success)", *v)],
        less(v[2], thr["cramers_v_upper_max"]),
        note=f"by chance alone V would be about {math.sqrt(2 / max(1, len(df))):.3f} with "
        f"{len(df)} runs (3 modes x 2 outcomes)",
        margin=margin(v[2], thr["cramers_v_upper_max"], "<"),
    )
    # (b), (c) within contexts: Mantel-Haenszel and Breslow-Day per pair of modes
    m = thr["mh_or_margin"]
    est_b, est_c, mh_rows = [], [], []
    for first, second in itertools.combinations(lv["governance"], 2):
        mh = mantel_haenszel(mode_tables(df, first, second), level)
        est_b.append(Estimate(f"{first} vs {second}: common OR", *mh.odds_ratio, fmt=".2f"))
        est_c.append(Estimate(f"{first} vs {second}: Breslow-Day p", mh.homogeneity_p, fmt=".2g"))
        mh_rows.append(
            {
                "pair": f"{first} vs {second}",
                "mh_odds_ratio": mh.odds_ratio[0],
                "ci_low": mh.odds_ratio[1],
                "ci_high": mh.odds_ratio[2],
                "cmh_p": mh.cmh_p,
                "breslow_day_p": mh.homogeneity_p,
                "strata": mh.strata,
            }
        )
    inside = [greater(e.low, 1 / m) and less(e.high, m) for e in est_b]
    m_b = min(
        min(margin(e.low, 1 / m, ">"), margin(e.high, m, "<")) if np.isfinite(e.value) else np.nan
        for e in est_b
    )
    check_b = Check(
        "b",
        "Mantel-Haenszel common odds ratio of success within city contexts, per pair of modes",
        f"every 95% CI within [1/{m:g}, {m:g}]",
        est_b,
        all(inside),
        note="CMH p per pair: " + ", ".join(f"{r['pair']} {r['cmh_p']:.2g}" for r in mh_rows),
        margin=m_b,
    )
    p_min = min((e.value for e in est_c if np.isfinite(e.value)), default=np.nan)
    check_c = Check(
        "c",
        "Breslow-Day test that the odds ratio of each pair of modes is the same in every context",
        f"p < {thr['homogeneity_p_max']:g} for at least one pair",
        est_c,
        less(p_min, thr["homogeneity_p_max"]),
    )
    # (d) adaptable minus rigid
    ad = df["adaptable"].astype(bool).to_numpy()
    k1, n1 = int(success[ad].sum()), int(ad.sum())
    k0, n0 = int(success[~ad].sum()), int((~ad).sum())
    diff = risk_difference(k1, n1, k0, n0, level)
    check_d = Check(
        "d",
        "risk difference of success, adaptable minus rigid (Newcombe CI)",
        f"lower CI bound > {thr['adaptability_diff_lower_min']:g}",
        [
            Estimate("adaptable minus rigid", *diff),
            Estimate("adaptable success rate", *wilson(k1, n1, level)),
            Estimate("rigid success rate", *wilson(k0, n0, level)),
        ],
        greater(diff[1], thr["adaptability_diff_lower_min"]),
        margin=margin(diff[1], thr["adaptability_diff_lower_min"], ">"),
    )
    # rates per context and mode (figure, best modes)
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
    fig = None if not ctx.figures else _figure(df, rates, lv, level, v, diff)
    mh_table = pd.DataFrame(mh_rows)
    n_cells = len(cells)
    seeds = len(df) // max(1, n_cells)
    summary = (
        f"{len(lv['contexts'])} city contexts x {len(lv['leverage_width'])} policy areas x "
        f"{len(lv['governance'])} governance modes x {len(lv['adaptable'])} (rigid, adaptable) = "
        f"{n_cells} cells x {seeds} seeds = {len(df)} runs of {lv['weeks']} weeks"
    )
    text = _interpret(v, diff, best, check_b.passed, check_c.passed, thr, ctx.pct)
    return PatternResult(
        spec,
        [check_a, check_b, check_c, check_d],
        fig,
        table,
        df,
        text,
        summary,
        extra_tables={"Mantel-Haenszel within city contexts": mh_table},
    )


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


def _interpret(v, diff, best, within_ok, contingent, thr, pct) -> str:
    parts = []
    if less(v[2], thr["cramers_v_upper_max"]):
        parts.append(
            f"Pooled over the contexts, governance mode tells little about success: Cramer's V "
            f"is {fmt_ci(v)} ({pct} CI), below the declared {thr['cramers_v_upper_max']:g}."
        )
    else:
        parts.append(
            f"Pooled over the contexts, governance mode is associated with success more than "
            f"the claim allows: Cramer's V is {fmt_ci(v)}."
        )
    parts.append(
        "Within city contexts no mode is consistently better than another (Mantel-Haenszel)."
        if within_ok
        else "Within city contexts the Mantel-Haenszel odds ratios do not show that no mode is "
        "consistently better (a CI reaches outside the equivalence margin)."
    )
    names = "; ".join(f"{c}: {', '.join(sorted(m)) or 'none'}" for c, m in best.items())
    parts.append(
        (
            "Which mode does best depends on the context"
            if contingent
            else "The runs do not show that which mode does best depends on the context"
        )
        + f" (best by context: {names})."
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
    return " ".join(parts)
