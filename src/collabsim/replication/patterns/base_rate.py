"""Base rate: a typical collaboration can go either way; impact takes time (calibration target).

No field study gives a base rate. The model's design asks for a typical collaboration (the
baseline scenario) that succeeds about half the time, so that every lever can show an effect in
both directions, and for time to impact analysed as a time-to-event outcome: the baseline is
followed for ``weeks`` weeks; runs that never reach the impact target (including runs that
perished and so can no longer reach it) are censored at the horizon. Both parts are declared
*calibration targets*: they are what a calibration chooses the free weights for, and they
test nothing about the model's explanations.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import COLORS, labelled, scenario_params
from collabsim.replication.patterns.not_speed import time_to
from collabsim.replication.result import Check, Context, Estimate, PatternResult, margin
from collabsim.replication.runner import PatternRuns
from collabsim.replication.spec import PatternSpec
from collabsim.replication.stats import kaplan_meier

__all__ = ["LEVELS", "PARTS", "SERIES", "THRESHOLDS", "analyze", "cells", "share_by"]

THRESHOLDS = ("base_rate_low", "base_rate_high", "median_weeks_low", "median_weeks_high")
PARTS = ("a", "b")
LEVELS = {"scenario": None, "weeks": None, "at_week": None}
SERIES: tuple[str, ...] = ()


def cells(spec: PatternSpec) -> list[Cell]:
    """The scenario, followed for the declared weeks (one cell)."""
    lv = spec.levels
    return [
        make_cell(
            {"scenario": lv["scenario"]},
            {**scenario_params(lv["scenario"]), "weeks": lv["weeks"]},
            0,
        )
    ]


def share_by(time: np.ndarray, event: np.ndarray, week: float, level: float):
    """Kaplan-Meier share of runs that had the event by ``week``, with its interval.

    The interval is the log-log transformed interval of the survival estimate (Kalbfleisch &
    Prentice), from statsmodels' Greenwood standard error, turned into the share ``1 - S``.
    """
    from scipy.stats import norm
    from statsmodels.duration.survfunc import SurvfuncRight

    t = np.asarray(time, dtype=float)
    e = np.asarray(event, dtype=bool)
    if len(t) == 0:
        return (np.nan, np.nan, np.nan)
    if not e.any():
        return (0.0, 0.0, 0.0)
    sf = SurvfuncRight(t, e.astype(float))
    i = int(np.searchsorted(sf.surv_times, week, side="right"))
    s = 1.0 if i == 0 else float(sf.surv_prob[i - 1])
    se = 0.0 if i == 0 else float(sf.surv_prob_se[i - 1])
    if s <= 0.0 or s >= 1.0 or se == 0.0:
        return (1.0 - s, 1.0 - s, 1.0 - s)
    z = float(norm.ppf(0.5 + level / 2))
    v = se / (s * abs(np.log(s)))
    s_lo, s_hi = s ** np.exp(z * v), s ** np.exp(-z * v)
    return (1.0 - s, 1.0 - s_hi, 1.0 - s_lo)


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Kaplan-Meier share reaching the impact target by ``at_week`` and median time to it."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    horizon, at = int(lv["weeks"]), int(lv["at_week"])
    t, e = time_to(df["weeks_to_impact"], horizon)
    km = kaplan_meier(t, e, level)
    share = share_by(t, e, at, level)
    lo_t, hi_t = thr["base_rate_low"], thr["base_rate_high"]
    inside = bool(np.isfinite(share[0]) and lo_t <= share[0] <= hi_t)
    check_a = Check(
        "a",
        f"Kaplan-Meier share of runs that reached the impact target by week {at}",
        f"point estimate within [{lo_t:g}, {hi_t:g}]",
        [Estimate(f"share by week {at}", *share)],
        inside,
        note=f"{km.events} of {km.n} runs reached it within {horizon} weeks",
        margin=min(share[0] - lo_t, hi_t - share[0]) if np.isfinite(share[0]) else np.nan,
    )
    lo_w, hi_w = thr["median_weeks_low"], thr["median_weeks_high"]
    med = km.median
    ok_b = bool(np.isfinite(med) and lo_w < med <= hi_w)
    check_b = Check(
        "b",
        "Kaplan-Meier median weeks to the impact target",
        f"median > {lo_w:g} weeks and <= {hi_w:g} weeks",
        [Estimate("median weeks to impact", med, *km.median_ci, fmt=".0f")],
        ok_b,
        note="" if np.isfinite(med) else "fewer than half reached it: the median is undefined",
        margin=min(margin(med, lo_w, ">"), margin(med, hi_w, "<")) if np.isfinite(med) else np.nan,
    )
    table = pd.DataFrame(
        [
            {
                "week": w,
                "share_reached": share_by(t, e, w, level)[0],
                "ci_low": share_by(t, e, w, level)[1],
                "ci_high": share_by(t, e, w, level)[2],
            }
            for w in (52, 104, at, 208, horizon)
        ]
    )
    fig = _figure(km, table, lv, level, (lo_t, hi_t), len(df)) if ctx.figures else None
    summary = f"{lv['scenario']} scenario, {len(df)} runs of {horizon} weeks"
    text = (
        f"{100 * share[0]:.0f}% of typical collaborations reach the impact target by week {at} "
        f"(CI {100 * share[1]:.0f}-{100 * share[2]:.0f}%); the median time to impact is "
        + (f"{med:.0f} weeks." if np.isfinite(med) else f"beyond {horizon} weeks.")
        + " Both are calibration targets: they describe the model's level, not a finding."
    )
    return PatternResult(spec, [check_a, check_b], fig, table, df, text, summary)


def _figure(km, table, lv, level, band, n):
    horizon, at = int(lv["weeks"]), int(lv["at_week"])
    lo_t, hi_t = band
    fig, ax = plt.subplots(figsize=(7, 4.5))
    if km.events:
        tt = np.concatenate([[0.0], km.times, [float(horizon)]])
        ss = np.concatenate([[1.0], km.surv, [km.surv[-1]]])
        ax.step(tt, 1 - ss, where="post", color=COLORS[0], lw=2, label="1 - Kaplan-Meier")
    ax.errorbar(
        table["week"],
        table["share_reached"],
        yerr=np.nan_to_num(
            np.vstack(
                [
                    table["share_reached"] - table["ci_low"],
                    table["ci_high"] - table["share_reached"],
                ]
            )
        ),
        fmt="o",
        color="black",
        capsize=3,
        label=f"{100 * level:g}% CI",
    )
    ax.axhspan(lo_t, hi_t, color="grey", alpha=0.1, label="declared band at week " + str(at))
    ax.set_xlabel("Week")
    ax.set_ylabel("Share of runs that reached the impact target")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(f"{lv['scenario']} scenario, {n} runs")
    fig.suptitle("Base rate: time to the impact target (never reached: censored)")
    fig.tight_layout()
    return fig
