"""Pattern 2: each of the five key actions raises success, mostly by turning setbacks into learning.

Pulido-Gomez, de Jong & Rivkin (2025, JPART) describe five key actions (build on prior
relationships, a trusted navigator, engage the community, use data, invest in joint
problem-solving) that feed a virtuous learning cycle. The design is a full 2^5 factorial of the
actions, run twice on the same seeds: once as the model is, once with the learning channel cut
(the weights through which the collaboration's state sets the odds of learning are 0). The share
of an action's effect that disappears when the channel is cut is the share mediated by learning.

Operational choices where the declared statistic leaves room: an action's *effect on success*
is the difference in success rate, on minus off, over all cells of the (balanced) factorial;
the *learning share* of a group of runs is its setbacks met by learning over all its setbacks
(pooled, so runs without setbacks do not count); intervals for (b) and (c) come from a
bootstrap that resamples seeds within each factorial cell, the same seeds for both runs of a
pair.

Each run is also classified as a **learning journey** (at least half of its setbacks were met by
learning), a **blame game** (fewer than half) or neither (no setback at all).
"""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.criteria import PatternSpec
from collabsim.replication.design import Cell, make_cell
from collabsim.replication.patterns._common import COLORS, bars_with_ci, labelled, whiskers
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater
from collabsim.replication.runner import PatternRuns
from collabsim.replication.stats import (
    logistic_regression,
    percentile_ci,
    resample_within,
    wilson,
)

__all__ = ["JOURNEY_MIN", "SERIES", "THRESHOLDS", "analyze", "cells", "trajectory"]

THRESHOLDS = ("odds_ratio_lower_min", "learning_diff_lower_min", "mediated_share_median_min")
SERIES: tuple[str, ...] = ()

#: Learning share at or above which a run's trajectory counts as a learning journey.
JOURNEY_MIN = 0.5
_CLASSES = ("learning journey", "blame game", "no setback")


def cells(spec: PatternSpec) -> list[Cell]:
    """The 2^5 factorial, first as the model is, then with the learning channel cut."""
    lv = spec.levels
    acts = lv["actions"]
    combos = list(itertools.product((0, 1), repeat=len(acts)))
    out: list[Cell] = []
    for channel in ("full", "cut"):
        for combo_index, bits in enumerate(combos):
            labels = {a["name"]: bit for a, bit in zip(acts, bits, strict=True)}
            labels.update(actions_on=sum(bits), channel=channel, combo=combo_index)
            params = {"weeks": lv["weeks"]}
            for a, bit in zip(acts, bits, strict=True):
                params[a["param"]] = a["on"] if bit else a["off"]
            if channel == "cut":
                params.update(lv["learning_cut"])
            out.append(make_cell(labels, params, combo_index))
    return out


def trajectory(setbacks: np.ndarray, learning: np.ndarray) -> np.ndarray:
    """Each run's trajectory: learning journey, blame game, or no setback."""
    s = np.asarray(setbacks, dtype=float)
    share = np.divide(np.asarray(learning, dtype=float), s, out=np.zeros_like(s), where=s > 0)
    return np.where(s == 0, _CLASSES[2], np.where(share >= JOURNEY_MIN, _CLASSES[0], _CLASSES[1]))


def _diff_on_off(values: np.ndarray, weights: np.ndarray | None, on: np.ndarray) -> np.ndarray:
    """On-minus-off of a ratio of sums (or of means when ``weights`` is None), per replicate.

    ``values`` has shape ``(..., n)``; ``on`` is a bool mask of length ``n``.
    """
    if weights is None:
        weights = np.ones_like(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        on_r = values[..., on].sum(-1) / weights[..., on].sum(-1)
        off_r = values[..., ~on].sum(-1) / weights[..., ~on].sum(-1)
    return on_r - off_r


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Odds ratios, learning-share differences, mediated shares and the trajectory split."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    names = [a["name"] for a in lv["actions"]]
    df = labelled(data, cells)
    df["trajectory"] = trajectory(df["setbacks"].to_numpy(), df["learning"].to_numpy())
    full = df[df["channel"] == "full"].sort_values(["combo", "rep"]).reset_index(drop=True)
    cut = df[df["channel"] == "cut"].sort_values(["combo", "rep"]).reset_index(drop=True)
    paired = len(full) == len(cut) and bool(
        (full["seed"].to_numpy() == cut["seed"].to_numpy()).all()
    )
    x = full[names].to_numpy(dtype=int)
    on = x.astype(bool)
    y_full = full["success"].to_numpy(dtype=float)
    y_cut = cut["success"].to_numpy(dtype=float) if paired else np.full(len(full), np.nan)
    learn = full["learning"].to_numpy(dtype=float)
    setb = full["setbacks"].to_numpy(dtype=float)
    idx = resample_within(full["combo"].to_numpy(), ctx.rng, ctx.resamples)
    # (a) odds ratios from a logistic regression with the five actions as main effects
    fit = logistic_regression(x, y_full, level=level)
    ors = fit.odds_ratios()[1:]
    check_a = Check(
        "a",
        "odds ratio of success, action on vs off (logistic regression, main effects)",
        f"lower CI bound of every odds ratio > {thr['odds_ratio_lower_min']:g}",
        [Estimate(n, *o, fmt=".2f") for n, o in zip(names, ors, strict=True)],
        all(greater(o[1], thr["odds_ratio_lower_min"]) for o in ors),
        note=""
        if fit.converged
        else "the regression did not converge (separation or too few "
        "runs), so no odds ratio could be estimated",
    )
    # (b) learning share (pooled learning / setbacks), on minus off, stratified bootstrap
    lb, sb = learn[idx], setb[idx]
    est_b, rows = [], []
    for j, n in enumerate(names):
        point = float(_diff_on_off(learn, setb, on[:, j]))
        lo, hi = percentile_ci(_diff_on_off(lb, sb, on[:, j]), level)
        est_b.append(Estimate(n, point, lo, hi))
    check_b = Check(
        "b",
        "learning share (learning / setbacks), action on minus off",
        f"lower CI bound of every difference > {thr['learning_diff_lower_min']:g}",
        est_b,
        all(greater(e.low, thr["learning_diff_lower_min"]) for e in est_b),
    )
    # (c) mediated share: 1 - effect with the channel cut / effect as the model is
    yfb = y_full[idx]
    ycb = y_cut[idx]
    est_c, shares_b, shares = [], [], []
    for j, n in enumerate(names):
        ef, ec = (
            float(_diff_on_off(y_full, None, on[:, j])),
            float(_diff_on_off(y_cut, None, on[:, j])),
        )
        efb, ecb = _diff_on_off(yfb, None, on[:, j]), _diff_on_off(ycb, None, on[:, j])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = 1.0 - ec / ef if ef != 0 else np.nan
            share_b = np.where(efb != 0, 1.0 - ecb / np.where(efb != 0, efb, 1.0), np.nan)
        lo, hi = percentile_ci(share_b, level)
        shares.append(share)
        shares_b.append(share_b)
        est_c.append(Estimate(f"{n}: mediated share", share, lo, hi, fmt=".2f"))
        rows.append(
            {
                "action": n,
                "effect_full": ef,
                "effect_full_ci_low": percentile_ci(efb, level)[0],
                "effect_full_ci_high": percentile_ci(efb, level)[1],
                "effect_cut": ec,
                "effect_cut_ci_low": percentile_ci(ecb, level)[0],
                "effect_cut_ci_high": percentile_ci(ecb, level)[1],
                "mediated_share": share,
                "mediated_ci_low": lo,
                "mediated_ci_high": hi,
                "odds_ratio": ors[j][0],
                "or_ci_low": ors[j][1],
                "or_ci_high": ors[j][2],
                "learning_diff": est_b[j].value,
                "learning_diff_ci_low": est_b[j].low,
                "learning_diff_ci_high": est_b[j].high,
            }
        )
    med = float(np.median(shares)) if np.all(np.isfinite(shares)) else np.nan
    with np.errstate(invalid="ignore"):
        med_b = np.median(np.vstack(shares_b), axis=0)
    med_ci = percentile_ci(med_b, level)
    check_c = Check(
        "c",
        "share of each action's effect on success that disappears with the learning channel cut",
        f"median over the five actions of the mediated share >= "
        f"{thr['mediated_share_median_min']:g}",
        [*est_c, Estimate("median over the five actions", med, *med_ci, fmt=".2f")],
        bool(np.isfinite(med) and med >= thr["mediated_share_median_min"]),
        note="" if paired else "the cut factorial is missing or not paired with the full one",
    )
    table = pd.DataFrame(rows)
    split = _split_table(full, level)
    fig = _figure(names, ors, est_b, table, split, level, thr)
    seeds = len(full) // max(1, len(cells) // 2)
    summary = (
        f"2^{len(names)} = {len(cells) // 2} cells x {seeds} seeds, run twice on the same seeds "
        f"(as the model is; learning channel cut) = {len(df)} runs of {lv['weeks']} weeks"
    )
    text = _interpret(names, ors, est_b, shares, med, split, thr)
    return PatternResult(
        spec,
        [check_a, check_b, check_c],
        fig,
        table,
        df,
        text,
        summary,
        extra_tables={"Trajectories by number of key actions": split},
    )


def _split_table(full: pd.DataFrame, level: float) -> pd.DataFrame:
    rows = []
    for k, g in full.groupby("actions_on"):
        row = {"actions_on": int(k), "runs": len(g)}
        for c in _CLASSES:
            row[c] = float((g["trajectory"] == c).mean())
        row["success"], row["success_ci_low"], row["success_ci_high"] = wilson(
            int(g["success"].sum()), len(g), level
        )
        for c in _CLASSES[:2]:
            sel = g["trajectory"] == c
            row[f"success if {c}"] = float(g.loc[sel, "success"].mean()) if sel.any() else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _figure(names, ors, est_b, table, split, level, thr):
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax1, ax2, ax3, ax4 = axes.flat
    pct = f"{100 * level:g}%"
    y = np.arange(len(names))[::-1]
    v = np.array([o[0] for o in ors], dtype=float)
    lo = np.array([o[1] for o in ors], dtype=float)
    hi = np.array([o[2] for o in ors], dtype=float)
    ax1.errorbar(
        np.nan_to_num(v, nan=1.0),
        y,
        xerr=whiskers(v, lo, hi),
        fmt="o",
        color=COLORS[0],
        capsize=4,
        label=f"odds ratio, {pct} CI",
    )
    ax1.axvline(thr["odds_ratio_lower_min"], color="grey", ls="--", label="no effect (OR = 1)")
    ax1.set_xscale("log")
    ax1.set_yticks(y, names)
    ax1.set_ylabel("Key action")
    ax1.set_xlabel("Odds ratio of success, action on vs off (log scale)")
    ax1.set_title("(a) Effect of each key action on success")
    ax1.legend(fontsize=8, loc="lower right")
    bars_with_ci(
        ax2,
        [n.replace(" ", "\n", 1) for n in names],
        {f"on minus off, {pct} CI": [(e.value, e.low, e.high) for e in est_b]},
    )
    ax2.axhline(0, color="grey", lw=1)
    ax2.set_xlabel("Key action")
    ax2.set_ylabel("Difference in learning share\n(setbacks met by learning, share)")
    ax2.set_title("(b) Learning share of setbacks, on minus off")
    ax2.legend(fontsize=8)
    series = {
        "as the model is": list(
            zip(
                table["effect_full"],
                table["effect_full_ci_low"],
                table["effect_full_ci_high"],
                strict=True,
            )
        ),
        "learning channel cut": list(
            zip(
                table["effect_cut"],
                table["effect_cut_ci_low"],
                table["effect_cut_ci_high"],
                strict=True,
            )
        ),
    }
    bars_with_ci(ax3, [n.replace(" ", "\n", 1) for n in names], series)
    ax3.axhline(0, color="grey", lw=1)
    ax3.set_xlabel("Key action")
    ax3.set_ylabel("Effect on success rate\n(on minus off, share of runs)")
    ax3.set_title("(c) Effects with and without the learning channel")
    ax3.legend(fontsize=8, title=f"whiskers: {pct} bootstrap CI")
    bottom = np.zeros(len(split))
    for c, color in zip(_CLASSES, (COLORS[2], COLORS[1], "#BBBBBB"), strict=True):
        ax4.bar(split["actions_on"], split[c], bottom=bottom, color=color, label=c)
        bottom += split[c].to_numpy()
    sv = split["success"].to_numpy(dtype=float)
    ax4.errorbar(
        split["actions_on"],
        sv,
        yerr=whiskers(sv, split["success_ci_low"], split["success_ci_high"]),
        fmt="ko-",
        capsize=3,
        label=f"success rate, {100 * level:g}% CI",
    )
    ax4.set_xlabel("Number of key actions taken (of 5)")
    ax4.set_ylabel("Share of runs")
    ax4.set_ylim(0, 1)
    ax4.set_title("(d) Learning journey or blame game, by number of actions")
    ax4.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        "The five key actions (2^5 factorial; learning journey: >= half of setbacks "
        "met by learning)"
    )
    fig.tight_layout()
    return fig


def _interpret(names, ors, est_b, shares, med, split, thr) -> str:
    raising = [
        n for n, o in zip(names, ors, strict=True) if greater(o[1], thr["odds_ratio_lower_min"])
    ]
    learning = [e.label for e in est_b if greater(e.low, thr["learning_diff_lower_min"])]
    parts = [
        f"{len(raising)} of {len(names)} actions clearly raise the odds of success"
        + (f" ({', '.join(raising)})" if raising else "")
        + f"; {len(learning)} of {len(names)} clearly raise the share of setbacks met by learning"
        + (f" ({', '.join(learning)})." if learning else ".")
    ]
    if np.isfinite(med):
        verdict = "most" if med >= thr["mediated_share_median_min"] else "less than half"
        parts.append(
            f"Cutting the learning channel removes a median {100 * med:.0f}% of an action's "
            f"effect on success: {verdict} of the effect runs through learning in this model."
        )
    else:
        parts.append(
            "The mediated share could not be computed (an action had no effect on "
            "success to mediate)."
        )
    lo, hi = split.iloc[0], split.iloc[-1]
    parts.append(
        f"With {int(lo['actions_on'])} actions {100 * lo['learning journey']:.0f}% of runs are "
        f"learning journeys and {100 * lo['blame game']:.0f}% blame games; with "
        f"{int(hi['actions_on'])} actions {100 * hi['learning journey']:.0f}% and "
        f"{100 * hi['blame game']:.0f}%."
    )
    return " ".join(parts)
