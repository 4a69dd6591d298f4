"""Pattern 4: collective models are not speed; turnover slows impact, consensus must be re-made.

Mayor Greg Fischer (seed 001): "you're getting consensus on something there was consensus about
two years ago." The baseline scenario is run at five annual turnover rates. Times to an event are
time-to-event outcomes: Kaplan-Meier curves per turnover level and a Cox model with turnover as a
covariate (hazard ratio per ``per_turnover`` of annual turnover; below 1: the event comes later).

Censoring. A run that never reaches the impact target (or never wins) is censored at the end of
its observation: the horizon. A run that perished can no longer reach it, so it is known not to
have reached it by the horizon and is censored there too (the subdistribution treatment of a
competing event, Fine & Gray 1999), never given a number. Consensus is read from the recorded
weekly consensus series: reached at ``consensus_high``, lost below ``consensus_low`` after being
reached, re-made at ``consensus_high`` again. Time to re-make it runs from a run's first loss;
runs that never re-make it are censored at their last recorded week; runs that never lost it are
not at risk.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import COLORS, fmt_ci, labelled, scenario_params
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
from collabsim.replication.stats import cox_hazard_ratio, kaplan_meier, poisson_rate_ratio

__all__ = [
    "LEVELS",
    "PARTS",
    "SERIES",
    "THRESHOLDS",
    "analyze",
    "cells",
    "censored",
    "consensus_events",
    "time_to",
]

THRESHOLDS = (
    "impact_hr_upper_max",
    "win_hr_upper_max",
    "loss_rate_ratio_lower_min",
    "remake_hr_upper_max",
)
PARTS = ("a", "b", "c", "d")
LEVELS = {
    "scenario": None,
    "weeks": None,
    "turnover_rate": None,
    "consensus_high": None,
    "consensus_low": None,
    "per_turnover": None,
}
SERIES: tuple[str, ...] = ("consensus",)


def cells(spec: PatternSpec) -> list[Cell]:
    """The baseline scenario at each turnover rate."""
    lv = spec.levels
    base = scenario_params(lv["scenario"])
    return [
        make_cell({"turnover_rate": t}, {**base, "weeks": lv["weeks"], "turnover_rate": t}, i)
        for i, t in enumerate(lv["turnover_rate"])
    ]


def censored(weeks: pd.Series, horizon: int) -> np.ndarray:
    """Weeks to an event, with runs in which it never happened set to ``horizon + 1``.

    Only for descriptive figures of cumulative shares; statistics use :func:`time_to`.
    """
    return weeks.fillna(horizon + 1).to_numpy(dtype=float)


def time_to(weeks: pd.Series, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """``(time, event)``: the week of the event, or the horizon (censored) where it never came."""
    w = weeks.to_numpy(dtype=float)
    event = np.isfinite(w)
    return np.where(event, w, float(horizon)), event


def consensus_events(
    series: np.ndarray, high: float, low: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per run: losses of consensus, week of the first loss, week it was re-made, last week.

    Consensus is reached when the series is at least ``high``, lost when it falls below ``low``
    after being reached, and re-made when it is at least ``high`` again after a loss. Weeks are
    NaN where nothing happened.
    """
    c = np.asarray(series, dtype=float)
    n_runs = c.shape[0]
    losses = np.zeros(n_runs, dtype=int)
    first_loss = np.full(n_runs, np.nan)
    remade = np.full(n_runs, np.nan)
    last = np.full(n_runs, np.nan)
    for r in range(n_runs):
        row = c[r]
        ok = np.flatnonzero(np.isfinite(row))
        if len(ok):
            last[r] = ok[-1]
        reached = lost = False
        for w in ok:
            x = row[w]
            if x >= high:
                if lost and np.isnan(remade[r]):
                    remade[r] = w
                reached, lost = True, False
            elif x < low and reached:
                reached, lost = False, True
                losses[r] += 1
                if np.isnan(first_loss[r]):
                    first_loss[r] = w
    return losses, first_loss, remade, last


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Cox hazard ratios of turnover for impact, first win and re-made consensus; loss rate."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    df = labelled(data, cells)
    horizon = int(lv["weeks"])
    per = float(lv["per_turnover"])
    turnover = df["turnover_rate"].to_numpy(dtype=float)
    losses, first_loss, remade, last = consensus_events(
        data.series["consensus"], lv["consensus_high"], lv["consensus_low"]
    )
    df["consensus_losses"] = losses
    at_risk = np.isfinite(first_loss)
    t_re = np.where(np.isfinite(remade), remade, last) - first_loss
    e_re = np.isfinite(remade)
    times = {
        "weeks_to_impact": time_to(df["weeks_to_impact"], horizon),
        "weeks_to_first_win": time_to(df["weeks_to_first_win"], horizon),
        "weeks_to_remake": (t_re[at_risk], e_re[at_risk]),
    }
    x_for = {"weeks_to_remake": turnover[at_risk]}
    hrs = {
        col: cox_hazard_ratio(*times[col], x_for.get(col, turnover), per=per, level=level)
        for col in times
    }
    checks = []
    for part, col, key, label in (
        ("a", "weeks_to_impact", "impact_hr_upper_max", "weeks to the impact target"),
        ("b", "weeks_to_first_win", "win_hr_upper_max", "weeks to the first small win"),
    ):
        hr = hrs[col]
        t, e = times[col]
        checks.append(
            Check(
                part,
                f"Cox hazard ratio of {label} per +{per:g} annual turnover",
                f"upper CI bound < {thr[key]:g}",
                [Estimate(f"hazard ratio per +{per:g} turnover", *hr)],
                less(hr[2], thr[key]),
                note=f"{int(e.sum())} of {len(e)} runs reached it; the rest censored at "
                f"week {horizon}",
                margin=margin(hr[2], thr[key], "<"),
            )
        )
    rr = poisson_rate_ratio(losses, turnover, per=per, level=level)
    checks.append(
        Check(
            "c",
            f"losses of consensus per run: Poisson rate ratio per +{per:g} annual turnover",
            f"lower CI bound > {thr['loss_rate_ratio_lower_min']:g}",
            [Estimate(f"rate ratio per +{per:g} turnover", *rr)],
            greater(rr[1], thr["loss_rate_ratio_lower_min"]),
            note=f"{int(losses.sum())} losses in {len(losses)} runs",
            margin=margin(rr[1], thr["loss_rate_ratio_lower_min"], ">"),
        )
    )
    hr = hrs["weeks_to_remake"]
    checks.append(
        Check(
            "d",
            f"Cox hazard ratio of weeks from the first loss of consensus to its re-making, per "
            f"+{per:g} annual turnover",
            f"upper CI bound < {thr['remake_hr_upper_max']:g}",
            [Estimate(f"hazard ratio per +{per:g} turnover", *hr)],
            less(hr[2], thr["remake_hr_upper_max"]),
            note=f"{int(at_risk.sum())} runs lost consensus; {int(e_re[at_risk].sum())} re-made "
            "it (the rest censored at their last week)",
            margin=margin(hr[2], thr["remake_hr_upper_max"], "<"),
        )
    )
    rows, curves = [], {}
    for rate in sorted(df["turnover_rate"].unique()):
        sel = (df["turnover_rate"] == rate).to_numpy()
        row: dict = {"turnover_rate": rate, "runs": int(sel.sum())}
        for col in times:
            t, e = times[col]
            s = sel[at_risk] if col == "weeks_to_remake" else sel
            km = kaplan_meier(t[s], e[s], level)
            curves[(col, rate)] = km
            row[f"{col}_events"] = km.events
            row[f"{col}_km_median"] = km.median
            row[f"{col}_median_ci_low"], row[f"{col}_median_ci_high"] = km.median_ci
        row["consensus_losses_mean"] = float(losses[sel].mean())
        rows.append(row)
    table = pd.DataFrame(rows)
    fig = (
        _figure(curves, sorted(df["turnover_rate"].unique()), hrs, rr, table, horizon, per)
        if ctx.figures
        else None
    )
    summary = (
        f"{lv['scenario']} scenario at {len(cells)} turnover rates x "
        f"{len(df) // max(1, len(cells))} seeds = {len(df)} runs of {horizon} weeks"
    )
    text = _interpret(hrs, rr, table, thr, per)
    return PatternResult(spec, checks, fig, table, df, text, summary)


def _step(ax, km, horizon, color, label):
    t = np.concatenate([[0.0], km.times, [float(horizon)]])
    s = np.concatenate([[1.0], km.surv, [km.surv[-1] if len(km.surv) else 1.0]])
    ax.step(t, 1.0 - s, where="post", color=color, lw=2, label=label)


def _figure(curves, levels, hrs, rr, table, horizon, per):
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    panels = (
        ("weeks_to_impact", "Share that reached the impact target", "(a) Time to impact"),
        ("weeks_to_first_win", "Share with a first small win", "(b) Time to a first win"),
        ("weeks_to_remake", "Share that re-made consensus", "(d) Re-making consensus"),
    )
    for ax, (col, ylabel, title) in zip((axes[0, 0], axes[0, 1], axes[1, 1]), panels, strict=True):
        for i, rate in enumerate(levels):
            km = curves[(col, rate)]
            _step(ax, km, horizon, COLORS[i % len(COLORS)], f"{rate:g} per year (n={km.n})")
        ax.set_xlabel("Weeks" + (" since the first loss of consensus" if "remake" in col else ""))
        ax.set_ylabel(f"{ylabel}\n(1 - Kaplan-Meier)")
        ax.set_ylim(0, 1)
        ax.set_title(f"{title}\nCox HR per +{per:g} turnover = {fmt_ci(hrs[col])}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, title="annual turnover", loc="upper left")
    ax = axes[1, 0]
    ax.plot(table["turnover_rate"], table["consensus_losses_mean"], "o-", color=COLORS[2])
    ax.set_xlabel("Annual turnover rate (share of representatives leaving per year)")
    ax.set_ylabel("Losses of consensus per run (mean)")
    ax.set_title(f"(c) Consensus lost\nPoisson rate ratio per +{per:g} = {fmt_ci(rr)}")
    ax.grid(alpha=0.3)
    fig.suptitle(
        "Not speed: turnover and the pace of collaboration (never reached: censored, Kaplan-Meier)"
    )
    fig.tight_layout()
    return fig


def _interpret(hrs, rr, table, thr, per) -> str:
    parts = []
    for col, key, label in (
        ("weeks_to_impact", "impact_hr_upper_max", "the impact target"),
        ("weeks_to_first_win", "win_hr_upper_max", "a first small win"),
    ):
        hr = hrs[col]
        parts.append(
            f"Each +{per:g} of annual turnover multiplies the weekly chance of reaching {label} "
            f"by {fmt_ci(hr)}"
            + (" (clearly slower)." if less(hr[2], thr[key]) else " (not clearly slower).")
        )
    parts.append(
        f"Consensus is lost {fmt_ci(rr)} times as often per +{per:g} of turnover"
        + (
            "."
            if greater(rr[1], thr["loss_rate_ratio_lower_min"])
            else " (not clearly more often)."
        )
    )
    first, last = table.iloc[0], table.iloc[-1]
    parts.append(
        f"At turnover {first['turnover_rate']:g} per year {first['weeks_to_impact_events']} of "
        f"{first['runs']} runs reached the impact target; at {last['turnover_rate']:g} per year "
        f"{last['weeks_to_impact_events']} of {last['runs']}."
    )
    return " ".join(parts)
