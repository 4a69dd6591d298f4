"""Pattern 5: trust builds slowly and breaks fast; the first outcome leaves a lasting mark.

Pant & Yu (2025) model trust as built slowly and lost about three times faster; Ansell & Gash
(2008) describe the small-wins cycle. Events are found in the recorded weekly series: a week in
which the cumulative count of blame (or of wins) rose. The change of trust after an event is
measured from the week before the event to the last week of a window of ``window_weeks`` weeks
that starts with the event's week (so the event's own effect is counted), and only for events
whose whole window lies inside the run.

Trust also drifts without any event (new ties start as strangers, turnover, conflict), so each
event's change is corrected by the *background drift*: the mean change over the same calendar
window in the runs that had no win, setback or blame in it (matched windows without events).
The interval of the ratio resamples runs (all of a run's events, and its quiet windows,
together; the background is recomputed in every replicate).

Path dependence is measured twice: (b) observationally, runs whose first project won vs runs
whose first failed (runs without any project outcome left out; two-sided Mann-Whitney); (c)
causally, each seed run again with its first outcome forced to a win and to a setback
(parameter ``first_outcome``): the per-seed paired difference of final collective impact.
Seeds on which no project ever ended are left out of (c) (forcing changes nothing there).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.config import ConfigError
from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import (
    COLORS,
    ffill_rows,
    fmt_ci,
    labelled,
    mean_band,
    scenario_params,
)
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
from collabsim.replication.stats import (
    mann_whitney,
    median_diff_ci,
    paired_median_ci,
    percentile_ci,
    wilcoxon_paired,
)

__all__ = [
    "LEVELS",
    "PARTS",
    "SERIES",
    "THRESHOLDS",
    "analyze",
    "cells",
    "drift_corrected_ratio",
    "event_changes",
    "series",
]

THRESHOLDS = (
    "break_build_ratio_lower_min",
    "path_p_max",
    "path_diff_lower_min",
    "forced_diff_lower_min",
)
PARTS = ("a", "b", "c")
LEVELS = {
    "scenario": None,
    "weeks": None,
    "window_weeks": None,
    "trust_series": None,
    "forced": None,
}
#: The trust series is named in the criteria (``trust_series``); it is added to these.
SERIES: tuple[str, ...] = ("mean_trust", "wins", "setbacks", "blame", "public_value")
#: Weeks before and after an event shown in the event-aligned figure.
_BEFORE, _AFTER = 4, 12


def series(spec: PatternSpec) -> tuple[str, ...]:
    """The series to keep: :data:`SERIES` and the trust series the criteria name.

    Raises:
        ConfigError: the named trust series is not one the model records.
    """
    from collabsim.outcomes import SERIES as RECORDED

    name = spec.levels["trust_series"]
    if name not in RECORDED:
        raise ConfigError(
            f"pattern {spec.name!r}: levels.trust_series = {name!r} is not valid: expected a "
            f"recorded series ({', '.join(RECORDED)})"
        )
    return tuple(dict.fromkeys((*SERIES, name)))


def cells(spec: PatternSpec) -> list[Cell]:
    """The scenario as it is, then with its first outcome forced each way (same seeds)."""
    lv = spec.levels
    base = {**scenario_params(lv["scenario"]), "weeks": lv["weeks"]}
    out = [make_cell({"scenario": lv["scenario"], "first_outcome": "free"}, base, 0)]
    for forced in lv["forced"]:
        out.append(
            make_cell(
                {"scenario": lv["scenario"], "first_outcome": forced},
                {**base, "first_outcome": forced},
                0,
            )
        )
    return out


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


def _change(trust: np.ndarray, window: int) -> np.ndarray:
    """Change of trust over the window that starts at each week (NaN where it does not fit)."""
    t = np.asarray(trust, dtype=float)
    w = t.shape[1]
    change = np.full(t.shape, np.nan)
    if w > window:
        change[:, 1 : w - window + 1] = t[:, window:] - t[:, : w - window]
    return change


def _quiet(any_event: np.ndarray, window: int) -> np.ndarray:
    """Bool (runs x weeks): no event in the window that starts at that week."""
    ev = np.asarray(any_event, dtype=float)
    c = np.concatenate([np.zeros((ev.shape[0], 1)), np.cumsum(ev, axis=1)], axis=1)
    out = np.zeros(ev.shape, dtype=bool)
    w = ev.shape[1]
    if w > window:
        out[:, 1 : w - window + 1] = (c[:, 1 + window : w + 1] - c[:, 1 : w - window + 1]) == 0
    return out


def drift_corrected_ratio(
    trust: np.ndarray,
    blame: np.ndarray,
    wins: np.ndarray,
    setbacks: np.ndarray,
    window: int,
    rng: np.random.Generator,
    resamples: int,
    level: float,
) -> dict[str, tuple[float, float, float]]:
    """The break/build ratio of trust, corrected for the background drift, with intervals.

    Each event's change of trust over its window is corrected by the mean change over the same
    calendar window in runs without any win, setback or blame in it. Intervals resample runs;
    the background is recomputed in each replicate.

    Args:
        trust: Trust, runs x weeks.
        blame: Cumulative blame counts, runs x weeks.
        wins: Cumulative wins, runs x weeks.
        setbacks: Cumulative setbacks, runs x weeks.
        window: Weeks in the window (the event's week is the first).
        rng: Generator of the bootstrap draws.
        resamples: Bootstrap replicates.
        level: Confidence level.

    Returns:
        ``ratio``, ``blame`` (corrected mean change after blame), ``win`` (after a win),
        ``blame_raw``, ``win_raw`` and ``drift`` (mean background change): each
        ``(value, low, high)``; plus ``events`` with the numbers of blame events and wins.
    """
    change = _change(trust, window)
    ok = np.isfinite(change)
    ev_b = _events(np.asarray(blame, dtype=float)) & ok
    ev_w = _events(np.asarray(wins, dtype=float)) & ok
    any_ev = (
        _events(np.asarray(blame, dtype=float))
        | _events(np.asarray(wins, dtype=float))
        | _events(np.asarray(setbacks, dtype=float))
    )
    quiet = _quiet(any_ev, window) & ok
    c0 = np.where(ok, change, 0.0)
    n = trust.shape[0]
    weights = np.vstack([np.ones(n), np.zeros((resamples, n))])
    idx = rng.integers(0, n, size=(resamples, n))
    np.add.at(weights, (np.repeat(np.arange(1, resamples + 1), n), idx.ravel()), 1.0)
    q_num = weights @ (quiet * c0)
    q_den = weights @ quiet.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift = q_num / q_den  # per replicate and week
        out = {}
        for name, ev in (("blame", ev_b), ("win", ev_w)):
            usable = ev & (quiet.sum(axis=0) > 0)[None, :]
            cnt = weights @ usable.astype(float)
            raw_sum = weights @ (usable * c0)
            total = cnt.sum(axis=1)
            out[name] = (raw_sum.sum(axis=1) - (cnt * np.nan_to_num(drift)).sum(axis=1)) / total
            out[name + "_raw"] = raw_sum.sum(axis=1) / total
            out[name + "_n"] = total
        ratio = np.abs(out["blame"]) / np.abs(out["win"])
        mean_drift = q_num.sum(axis=1) / q_den.sum(axis=1)
    res = {}
    for key, arr in (
        ("ratio", ratio),
        ("blame", out["blame"]),
        ("win", out["win"]),
        ("blame_raw", out["blame_raw"]),
        ("win_raw", out["win_raw"]),
        ("drift", mean_drift),
    ):
        res[key] = (float(arr[0]), *percentile_ci(arr[1:], level))
    res["events"] = (float(out["blame_n"][0]), float(out["win_n"][0]), math.nan)
    return res


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
    """Drift-corrected break/build ratio; impact by first outcome, observed and forced."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    window = int(lv["window_weeks"])
    natural = (df["first_outcome"] == "free").to_numpy()
    ser = {k: v[natural].astype(float) for k, v in data.series.items()}
    trust = ser[lv["trust_series"]]
    r = drift_corrected_ratio(
        trust, ser["blame"], ser["wins"], ser["setbacks"], window, ctx.rng, ctx.resamples, level
    )
    n_b, n_w = int(r["events"][0]), int(r["events"][1])
    mb, mw = r["blame"][0], r["win"][0]
    note = (
        f"{n_b} blame events and {n_w} wins with a full window; background drift "
        f"{r['drift'][0]:+.4f} per window; uncorrected changes {r['blame_raw'][0]:+.4f} after "
        f"blame and {r['win_raw'][0]:+.4f} after a win"
    )
    if not (mb < 0 < mw):
        note += (
            "; the signs are not those of the claim (trust should fall after blame and rise "
            "after a win), so the ratio alone does not carry it"
        )
    check_a = Check(
        "a",
        f"|corrected change of trust in the {window} weeks after blame| / |same after a small "
        "win| (matched windows without events; bootstrap over runs)",
        f"lower CI bound of the ratio > {thr['break_build_ratio_lower_min']:g}",
        [
            Estimate("break/build ratio, drift-corrected", *r["ratio"], fmt=".2f"),
            Estimate("corrected change after blame", *r["blame"], fmt=".4f"),
            Estimate("corrected change after a win", *r["win"], fmt=".4f"),
        ],
        greater(r["ratio"][1], thr["break_build_ratio_lower_min"]) and mb < 0 < mw,
        note=note,
        margin=margin(r["ratio"][1], thr["break_build_ratio_lower_min"], ">"),
    )
    nat = df[natural]
    first = nat["first_outcome_win"]
    impact = nat["collective_impact"].to_numpy(dtype=float)
    win_first = impact[(first == 1).to_numpy()]
    set_first = impact[(first == 0).to_numpy()]
    _, p = mann_whitney(win_first, set_first)
    diff = median_diff_ci(win_first, set_first, ctx.rng, resamples=ctx.resamples, level=level)
    check_b = Check(
        "b",
        "final collective impact, runs whose first project won minus runs whose first failed "
        "(observational)",
        f"Mann-Whitney p < {thr['path_p_max']:g} and lower CI bound of the median difference > "
        f"{thr['path_diff_lower_min']:g}",
        [
            Estimate("difference in medians (win first - setback first)", *diff),
            Estimate("Mann-Whitney p (two-sided)", p, fmt=".2g"),
        ],
        less(p, thr["path_p_max"]) and greater(diff[1], thr["path_diff_lower_min"]),
        note=f"{len(win_first)} runs won first, {len(set_first)} had a setback first, "
        f"{int(first.isna().sum())} had no project outcome",
        margin=margin(diff[1], thr["path_diff_lower_min"], ">"),
    )
    fw = df[df["first_outcome"] == "win"].sort_values("rep")
    fs = df[df["first_outcome"] == "setback"].sort_values("rep")
    paired = len(fw) == len(fs) and bool((fw["seed"].to_numpy() == fs["seed"].to_numpy()).all())
    if paired and len(fw):
        had = fw["first_outcome_win"].notna().to_numpy()
        d = (
            fw["collective_impact"].to_numpy(dtype=float)
            - fs["collective_impact"].to_numpy(dtype=float)
        )[had]
        forced = paired_median_ci(d, ctx.rng, resamples=ctx.resamples, level=level)
        p_w = wilcoxon_paired(d)
        note_c = f"{len(d)} seeds with a project outcome ({int((~had).sum())} without: left out)"
    else:
        d, forced, p_w = np.array([]), (math.nan,) * 3, math.nan
        note_c = "the forced runs are missing or not paired on seeds"
    check_c = Check(
        "c",
        "final collective impact with the first outcome forced to a win minus forced to a "
        "setback, per seed (causal)",
        f"lower CI bound of the median paired difference > {thr['forced_diff_lower_min']:g}",
        [
            Estimate("median paired difference (forced win - forced setback)", *forced),
            Estimate("Wilcoxon signed-rank p (two-sided)", p_w, fmt=".2g"),
            Estimate("observational difference in medians, part (b)", *diff),
        ],
        greater(forced[1], thr["forced_diff_lower_min"]),
        note=note_c,
        margin=margin(forced[1], thr["forced_diff_lower_min"], ">"),
    )
    table = pd.DataFrame(
        [
            {
                "group": "win first (observed)",
                "runs": len(win_first),
                "median_impact": float(np.median(win_first)) if len(win_first) else np.nan,
            },
            {
                "group": "setback first (observed)",
                "runs": len(set_first),
                "median_impact": float(np.median(set_first)) if len(set_first) else np.nan,
            },
            {
                "group": "first outcome forced: win minus setback (per seed)",
                "runs": len(d),
                "median_impact": forced[0],
            },
            {
                "group": "trust events",
                "runs": int(natural.sum()),
                "blame_events": n_b,
                "win_events": n_w,
                "background_drift": r["drift"][0],
                "change_after_blame_raw": r["blame_raw"][0],
                "change_after_win_raw": r["win_raw"][0],
                "change_after_blame_corrected": mb,
                "change_after_win_corrected": mw,
                "break_build_ratio_corrected": r["ratio"][0],
                "ratio_ci_low": r["ratio"][1],
                "ratio_ci_high": r["ratio"][2],
            },
        ]
    )
    fig = None if not ctx.figures else _figure(ser, nat, trust, level, r, diff, p, d, forced)
    summary = (
        f"{lv['scenario']} scenario, {int(natural.sum())} runs of {lv['weeks']} weeks with "
        f"weekly time series, and each seed again with its first outcome forced to a win and "
        f"to a setback ({len(df)} runs); trust window {window} weeks"
    )
    text = _interpret(r, diff, p, forced, thr, len(win_first), len(set_first))
    return PatternResult(spec, [check_a, check_b, check_c], fig, table, df, text, summary)


def _figure(ser, nat, trust, level, r, diff, p, d, forced):
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(17, 4.8))
    pct = f"{100 * level:g}%"
    for name, col, color in (
        ("setback met by blame", "blame", COLORS[1]),
        ("small win", "wins", COLORS[2]),
    ):
        offs, m, lo, hi, n = _aligned(trust, _events(ser[col]), level)
        ax1.plot(offs, m, "o-", color=color, ms=3, label=f"after a {name} (n={n})")
        ax1.fill_between(offs, lo, hi, color=color, alpha=0.25, lw=0)
    ax1.axvline(0, color="grey", ls=":", lw=1)
    ax1.axhline(0, color="grey", lw=1)
    ax1.set_xlabel("Weeks from the event (0 = week of the event)")
    ax1.set_ylabel("Change of trust since the week before (0-1), uncorrected")
    ax1.set_title(
        f"(a) Trust around blame and win events\ndrift-corrected break/build ratio = "
        f"{fmt_ci(r['ratio'])}"
    )
    ax1.legend(fontsize=8, title=f"mean, band: {pct} CI")
    ax1.grid(alpha=0.3)
    pv = ffill_rows(ser["public_value"])
    weeks = np.arange(pv.shape[1])
    for name, val, color in (
        ("first project won", 1, COLORS[2]),
        ("first project failed", 0, COLORS[1]),
    ):
        sel = (nat["first_outcome_win"] == val).to_numpy()
        if not sel.any():
            continue
        m, lo, hi = mean_band(pv[sel], level)
        ax2.plot(weeks, m, color=color, lw=2, label=f"{name} (n={int(sel.sum())})")
        ax2.fill_between(weeks, lo, hi, color=color, alpha=0.25, lw=0)
    ax2.set_xlabel("Week")
    ax2.set_ylabel("Collective impact (public value, PV units)")
    ax2.set_title(f"(b) Observed: median difference = {fmt_ci(diff)}\nMann-Whitney p = {p:.2g}")
    ax2.legend(fontsize=8, title=f"mean, band: {pct} CI")
    ax2.grid(alpha=0.3)
    if len(d):
        ax3.hist(d, bins=40, color=COLORS[0], alpha=0.8)
        ax3.axvline(0, color="grey", lw=1)
        ax3.axvline(forced[0], color="black", ls="--", lw=1, label="median")
        ax3.legend(fontsize=8)
    ax3.set_xlabel("Final impact, forced win minus forced setback (PV units, per seed)")
    ax3.set_ylabel("Seeds")
    ax3.set_title(f"(c) Forced first outcome: median paired difference\n= {fmt_ci(forced)}")
    ax3.grid(alpha=0.3)
    fig.suptitle("Trust dynamics and path dependence")
    fig.tight_layout()
    return fig


def _interpret(r, diff, p, forced, thr, n_win, n_set) -> str:
    mb, mw = r["blame"][0], r["win"][0]
    parts = []
    if mb < 0 < mw:
        parts.append(
            f"Corrected for the background drift of trust ({r['drift'][0]:+.4f} per window), "
            f"trust falls by {abs(mb):.3f} after a setback met by blame and rises by {mw:.3f} "
            f"after a small win: it breaks {fmt_ci(r['ratio'])} times faster than it builds."
        )
    else:
        parts.append(
            f"Corrected for the background drift, trust changes by {mb:+.3f} after blame and "
            f"{mw:+.3f} after a win, which is not the break-fast, build-slowly shape of the claim."
        )
    parts.append(
        f"Runs whose first project won ({n_win}) end with a median collective impact "
        f"{diff[0]:+.2f} PV units above runs whose first project failed ({n_set}) "
        f"(observed, p = {p:.2g}); forcing the first outcome on the same seeds gives a median "
        f"paired difference of {fmt_ci(forced)}, "
        + (
            "so the first outcome itself leaves a lasting mark."
            if greater(forced[1], thr["forced_diff_lower_min"])
            else "which does not show that the first outcome itself leaves a lasting mark."
        )
    )
    return " ".join(parts)
