"""Pattern 5: trust builds slowly and breaks fast; runs are path-dependent after the first setback.

Pant & Yu (2025) model trust as built slowly and lost about three times faster; Ansell & Gash
(2008) describe the small-wins cycle. Events are found in the recorded weekly series: a week in
which the cumulative count of blame (or of wins) rose. The change of mean trust after an event
is measured from the week before the event to the last week of a window of ``window_weeks``
weeks that starts with the event's week (so the event's own effect is counted), and only for
events whose whole window lies inside the run. The interval of the ratio resamples runs (all of
a run's events together). In (b) runs without any project outcome are left out, and the
Mann-Whitney test is two-sided (the direction is judged by the interval of the difference).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.criteria import PatternSpec
from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import (
    COLORS,
    ffill_rows,
    fmt_ci,
    labelled,
    mean_band,
    scenario_params,
)
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater, less
from collabsim.replication.runner import PatternRuns
from collabsim.replication.stats import mann_whitney, median_diff_ci, percentile_ci

__all__ = ["SERIES", "THRESHOLDS", "analyze", "cells", "event_changes"]

THRESHOLDS = ("break_build_ratio_lower_min", "path_p_max", "path_diff_lower_min")
SERIES: tuple[str, ...] = ("mean_trust", "wins", "blame", "public_value")
#: Weeks before and after an event shown in the event-aligned figure.
_BEFORE, _AFTER = 4, 12


def cells(spec: PatternSpec) -> list[Cell]:
    """The baseline scenario (one cell)."""
    lv = spec.levels
    return [
        make_cell(
            {"scenario": lv["scenario"]},
            {**scenario_params(lv["scenario"]), "weeks": lv["weeks"]},
            0,
        )
    ]


def _events(counts: np.ndarray) -> np.ndarray:
    """Bool (runs x weeks): the cumulative count rose in that week (week 0 never)."""
    out = np.zeros(counts.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        out[:, 1:] = counts[:, 1:] > counts[:, :-1]
    return out


def event_changes(
    trust: np.ndarray, counts: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per run: the summed change of trust over the windows after its events, and their number.

    Args:
        trust: Mean trust, runs x weeks (NaN after a run ended).
        counts: Cumulative event counts, runs x weeks.
        window: Weeks in the window (the event's week is the first).

    Returns:
        ``(sum of changes, number of events)``, one value per run.
    """
    t = np.asarray(trust, dtype=float)
    ev = _events(np.asarray(counts, dtype=float))
    w = t.shape[1]
    change = np.full(t.shape, np.nan)
    if w > window:
        change[:, 1 : w - window + 1] = t[:, window:] - t[:, : w - window]
    ok = ev & np.isfinite(change)
    return np.where(ok, change, 0.0).sum(axis=1), ok.sum(axis=1)


def _aligned(trust: np.ndarray, ev: np.ndarray, level: float):
    r, t = np.nonzero(ev)
    offsets = np.arange(-_BEFORE, _AFTER + 1)
    mat = np.full((len(r), len(offsets)), np.nan)
    for j, k in enumerate(offsets):
        pos = t + k
        ok = (pos >= 0) & (pos < trust.shape[1])
        mat[ok, j] = trust[r[ok], pos[ok]] - trust[r[ok], t[ok] - 1]
    return offsets, *mean_band(mat, level), len(r)


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Break/build ratio of trust after blame vs after wins; impact by first outcome."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    window = int(lv["window_weeks"])
    trust = data.series["mean_trust"].astype(float)
    sum_b, n_b = event_changes(trust, data.series["blame"], window)
    sum_w, n_w = event_changes(trust, data.series["wins"], window)

    def ratio(sb, nb, sw, nw):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.abs(sb / nb) / np.abs(sw / nw), sb / nb, sw / nw

    point, mb, mw = (float(v) for v in ratio(sum_b.sum(), n_b.sum(), sum_w.sum(), n_w.sum()))
    idx = ctx.rng.integers(0, len(df), size=(ctx.resamples, len(df)))
    rb, mbb, mwb = ratio(sum_b[idx].sum(1), n_b[idx].sum(1), sum_w[idx].sum(1), n_w[idx].sum(1))
    r_ci, mb_ci, mw_ci = (percentile_ci(a, level) for a in (rb, mbb, mwb))
    note = f"{int(n_b.sum())} blame events and {int(n_w.sum())} wins with a full window"
    if not (mb < 0 < mw):
        note += (
            "; the signs are not those of the claim (trust should fall after blame and "
            "rise after a win), so the ratio alone does not carry it"
        )
    check_a = Check(
        "a",
        f"|mean change of trust in the {window} weeks after blame| / |same after a small win| "
        "(bootstrap over runs)",
        f"lower CI bound of the ratio > {thr['break_build_ratio_lower_min']:g}",
        [
            Estimate("break/build ratio", point, *r_ci, fmt=".2f"),
            Estimate("mean change after blame", mb, *mb_ci, fmt=".4f"),
            Estimate("mean change after a win", mw, *mw_ci, fmt=".4f"),
        ],
        greater(r_ci[0], thr["break_build_ratio_lower_min"]),
        note=note,
    )
    first = df["first_outcome_win"]
    impact = df["collective_impact"].to_numpy(dtype=float)
    win_first = impact[(first == 1).to_numpy()]
    set_first = impact[(first == 0).to_numpy()]
    _, p = mann_whitney(win_first, set_first)
    diff = median_diff_ci(win_first, set_first, ctx.rng, resamples=ctx.resamples, level=level)
    check_b = Check(
        "b",
        "final collective impact, runs whose first project won minus runs whose first failed",
        f"Mann-Whitney p < {thr['path_p_max']:g} and lower CI bound of the median difference > "
        f"{thr['path_diff_lower_min']:g}",
        [
            Estimate("difference in medians (win first - setback first)", *diff),
            Estimate("Mann-Whitney p (two-sided)", p, fmt=".2g"),
        ],
        less(p, thr["path_p_max"]) and greater(diff[1], thr["path_diff_lower_min"]),
        note=f"{len(win_first)} runs won first, {len(set_first)} had a setback first, "
        f"{int(first.isna().sum())} had no project outcome",
    )
    table = pd.DataFrame(
        [
            {
                "group": "win first",
                "runs": len(win_first),
                "median_impact": float(np.median(win_first)) if len(win_first) else np.nan,
                "mean_impact": float(np.mean(win_first)) if len(win_first) else np.nan,
            },
            {
                "group": "setback first",
                "runs": len(set_first),
                "median_impact": float(np.median(set_first)) if len(set_first) else np.nan,
                "mean_impact": float(np.mean(set_first)) if len(set_first) else np.nan,
            },
            {
                "group": "events",
                "runs": len(df),
                "blame_events": int(n_b.sum()),
                "win_events": int(n_w.sum()),
                "mean_change_after_blame": mb,
                "mean_change_after_win": mw,
                "break_build_ratio": point,
                "ratio_ci_low": r_ci[0],
                "ratio_ci_high": r_ci[1],
            },
        ]
    )
    fig = _figure(data, df, trust, level, point, r_ci, diff, p)
    summary = (
        f"{lv['scenario']} scenario, {len(df)} runs of {lv['weeks']} weeks with weekly "
        f"time series; trust window {window} weeks"
    )
    text = _interpret(point, r_ci, mb, mw, diff, p, thr, len(win_first), len(set_first))
    return PatternResult(spec, [check_a, check_b], fig, table, df, text, summary)


def _figure(data, df, trust, level, point, r_ci, diff, p):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8))
    pct = f"{100 * level:g}%"
    for name, col, color in (
        ("setback met by blame", "blame", COLORS[1]),
        ("small win", "wins", COLORS[2]),
    ):
        offs, m, lo, hi, n = _aligned(trust, _events(data.series[col].astype(float)), level)
        ax1.plot(offs, m, "o-", color=color, ms=3, label=f"after a {name} (n={n})")
        ax1.fill_between(offs, lo, hi, color=color, alpha=0.25, lw=0)
    ax1.axvline(0, color="grey", ls=":", lw=1)
    ax1.axhline(0, color="grey", lw=1)
    ax1.set_xlabel("Weeks from the event (0 = week of the event)")
    ax1.set_ylabel("Change of mean trust since the week before (trust units, 0-1)")
    ax1.set_title(
        f"(a) Mean trust around blame and win events\nbreak/build ratio = "
        f"{point:.2f} [{r_ci[0]:.2f}, {r_ci[1]:.2f}]"
    )
    ax1.legend(fontsize=8, title=f"mean, band: {pct} CI")
    ax1.grid(alpha=0.3)
    pv = ffill_rows(data.series["public_value"])
    weeks = np.arange(pv.shape[1])
    for name, val, color in (
        ("first project won", 1, COLORS[2]),
        ("first project failed", 0, COLORS[1]),
    ):
        sel = (df["first_outcome_win"] == val).to_numpy()
        if not sel.any():
            continue
        m, lo, hi = mean_band(pv[sel], level)
        ax2.plot(weeks, m, color=color, lw=2, label=f"{name} (n={int(sel.sum())})")
        ax2.fill_between(weeks, lo, hi, color=color, alpha=0.25, lw=0)
    fw = df["first_setback_week"].median()
    if np.isfinite(fw):
        ax2.axvline(
            fw, color="grey", ls=":", lw=1, label=f"median week of first setback ({fw:.0f})"
        )
    ax2.set_xlabel("Week")
    ax2.set_ylabel("Collective impact (public value, PV units)")
    ax2.set_title(
        f"(b) Impact by first project outcome: median difference = {fmt_ci(diff)}\n"
        f"Mann-Whitney p = {p:.2g}"
    )
    ax2.legend(fontsize=8, title=f"mean, band: {pct} CI")
    ax2.grid(alpha=0.3)
    fig.suptitle("Trust dynamics and path dependence (baseline scenario)")
    fig.tight_layout()
    return fig


def _interpret(point, r_ci, mb, mw, diff, p, thr, n_win, n_set) -> str:
    parts = []
    if mb < 0 < mw:
        parts.append(
            f"After a setback met by blame, mean trust falls by {abs(mb):.3f} within the window; "
            f"after a small win it rises by {mw:.3f}: trust breaks {point:.1f} times faster than "
            f"it builds (CI {r_ci[0]:.1f}-{r_ci[1]:.1f})."
        )
    else:
        parts.append(
            f"Mean trust changes by {mb:+.3f} after blame and {mw:+.3f} after a win, which is not "
            "the break-fast, build-slowly shape of the claim."
        )
    clear = less(p, thr["path_p_max"]) and greater(diff[1], thr["path_diff_lower_min"])
    parts.append(
        f"Runs whose first project won ({n_win}) end with a median collective impact "
        f"{diff[0]:+.2f} PV units above runs whose first project failed ({n_set}); "
        + (
            "the first outcome leaves a lasting mark (path dependence)."
            if clear
            else "the evidence for path dependence does not meet the declared criterion."
        )
    )
    return " ".join(parts)
