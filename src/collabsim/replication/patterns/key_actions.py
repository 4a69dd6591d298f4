"""Pattern 2: each key action raises success, and part of its effect runs through learning.

Pulido-Gomez, de Jong & Rivkin (2025, JPART) describe five key actions (build on prior
relationships, a trusted navigator, engage the community, use data, invest in joint
problem-solving) that feed a virtuous learning cycle. Two designs:

- a full 2^5 factorial of the actions: risk differences of success per action (on minus off,
  Newcombe intervals), interaction contrasts on the risk-difference scale, and the difference
  in the share of setbacks met by learning (pooled learning / setbacks; bootstrap resampling
  seeds within cells);
- a mediation design on paired seeds (VanderWeele 2015, interventional indirect effect): in the
  baseline scenario each action off and on, then (a second stage, planned from the first
  stage's runs) on again with the learning cycle *held* at a level: every setback met by
  learning with one fixed probability, the learning share of the same seed's off run (or of
  its own on run). ``NIE = P(success | on, learning at on level) - P(success | on, learning at
  off level)``, a bounded difference of proportions; ``TE = P(success | on) - P(success |
  off)``. Part (e) is the linear contrast ``sum(NIE) - share * sum(TE)`` over the actions, per
  seed: no ratio whose denominator can cross zero.

Each run of the factorial is also classified as a **learning journey** (at least half of its
setbacks were met by learning), a **blame game** (fewer than half) or neither (no setback).
"""

from __future__ import annotations

import itertools
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.config import ConfigError
from collabsim.replication.design import SIZE2_SUFFIX, Cell, RunSpec, cell_seeds, make_cell
from collabsim.replication.patterns._common import (
    bars_with_ci,
    labelled,
    scenario_params,
)
from collabsim.replication.result import Check, Context, Estimate, PatternResult, greater, margin
from collabsim.replication.runner import PatternRuns
from collabsim.replication.spec import PatternSpec
from collabsim.replication.stats import (
    interaction_contrast,
    paired_mean_ci,
    percentile_ci,
    resample_within,
    risk_difference,
    wilson,
)

__all__ = [
    "JOURNEY_MIN",
    "LEVELS",
    "PARTS",
    "SERIES",
    "THRESHOLDS",
    "analyze",
    "cells",
    "followup",
    "held_learning_bias",
    "trajectory",
]

THRESHOLDS = (
    "risk_diff_lower_min",
    "interaction_lower_min",
    "learning_diff_lower_min",
    "nie_lower_min",
    "large_part_share",
    "large_part_lower_min",
)
PARTS = ("a", "b", "c", "d", "e")
LEVELS = {
    "weeks": None,
    "actions": ("name", "param", "off", "on"),
    "interactions": None,
    "mediation_scenario": None,
    "mediation_seeds_factor": None,
    "learning_cut": None,
    "learning_share_clip": None,
}
SERIES: tuple[str, ...] = ()

#: Learning share at or above which a run's trajectory counts as a learning journey.
JOURNEY_MIN = 0.5
_CLASSES = ("learning journey", "blame game", "no setback")
#: Seed cell shared by every arm of the mediation design (all actions on the same seeds).
_MEDIATION_SEED_CELL = 1000
_ARMS = ("off", "on", "on, learning at off level", "on, learning at on level")


def cells(spec: PatternSpec) -> list[Cell]:
    """The 2^5 factorial, then the first stage of the mediation design (off and on per action)."""
    lv = spec.levels
    acts = lv["actions"]
    out: list[Cell] = []
    for combo_index, bits in enumerate(itertools.product((0, 1), repeat=len(acts))):
        labels: dict = {"design": "factorial", "action": "", "arm": ""}
        labels.update({a["name"]: bit for a, bit in zip(acts, bits, strict=True)})
        labels.update(actions_on=sum(bits), combo=combo_index)
        params = {"weeks": lv["weeks"]}
        for a, bit in zip(acts, bits, strict=True):
            params[a["param"]] = a["on"] if bit else a["off"]
        out.append(make_cell(labels, params, combo_index))
    base = scenario_params(lv["mediation_scenario"])
    factor = int(lv["mediation_seeds_factor"])
    for a in acts:
        for arm in _ARMS[:2]:
            labels = {"design": "mediation", "action": a["name"], "arm": arm}
            labels.update({b["name"]: -1 for b in acts})
            labels.update(actions_on=-1, combo=-1)
            params = {**base, "weeks": lv["weeks"], a["param"]: a[arm]}
            out.append(make_cell(labels, params, _MEDIATION_SEED_CELL, factor))
    # the rest of the levels is checked here too, so a bad value fails before any run
    make_cell({}, dict(lv["learning_cut"]), 0)
    names = [a["name"] for a in acts]
    for pair in lv["interactions"]:
        if len(pair) != 2 or any(n not in names for n in pair):
            raise ConfigError(
                f"pattern {spec.name!r}: levels.interactions = {pair!r} is not valid: expected "
                f"two of {', '.join(names)}"
            )
    clip = lv["learning_share_clip"]
    if not (len(clip) == 2 and 0.0 < float(clip[0]) < float(clip[1]) < 1.0):
        raise ConfigError(
            f"pattern {spec.name!r}: levels.learning_share_clip = {clip!r} is not valid: "
            "expected [low, high] with 0 < low < high < 1"
        )
    return out


def held_learning_bias(share: float, clip: tuple[float, float]) -> float:
    """``learning_bias`` that makes every setback met by learning with probability ``share``."""
    q = min(max(float(share), clip[0]), clip[1])
    return math.log(q / (1.0 - q))


def _shares(runs: pd.DataFrame) -> np.ndarray:
    """Per run, learning / setbacks; runs without setbacks take the pooled share of the group."""
    learn = runs["learning"].to_numpy(dtype=float)
    setb = runs["setbacks"].to_numpy(dtype=float)
    pooled = learn.sum() / setb.sum() if setb.sum() > 0 else 0.5
    return np.where(setb > 0, learn / np.maximum(setb, 1), pooled)


def followup(
    spec: PatternSpec,
    cells: list[Cell],
    data: PatternRuns,
    root_seed: int,
    n_seeds: int,
    *,
    size2: bool = False,
) -> tuple[list[Cell], list[RunSpec]]:
    """Second stage: each action on, with learning held at the off run's and the on run's share.

    Seed ``k`` of a held arm is seed ``k`` of the first stage (the arms are paired), and its
    ``learning_bias`` is the logit of that seed's learning share in the arm it copies.
    """
    lv = spec.levels
    clip = tuple(float(x) for x in lv["learning_share_clip"])
    cut = dict(lv["learning_cut"])
    label = data.runs  # one row per first-stage run: cell, rep, seed, outcomes
    new_cells: list[Cell] = []
    runs: list[RunSpec] = []
    factor = int(lv["mediation_seeds_factor"])
    seeds = cell_seeds(root_seed, spec.name, _MEDIATION_SEED_CELL, n_seeds * factor, size2=size2)
    first = len(cells)
    pattern = spec.name + (SIZE2_SUFFIX if size2 else "")
    for a in lv["actions"]:
        idx = {
            arm: next(
                i
                for i, c in enumerate(cells)
                if c.labels["design"] == "mediation"
                and c.labels["action"] == a["name"]
                and c.labels["arm"] == arm
            )
            for arm in _ARMS[:2]
        }
        on_params = cells[idx["on"]].params
        for arm, source in ((_ARMS[2], "off"), (_ARMS[3], "on")):
            src = label[label["cell"] == idx[source]].sort_values("rep")
            share = _shares(src)
            cell = Cell(
                {**cells[idx["on"]].labels, "arm": arm},
                {**on_params, **cut},
                _MEDIATION_SEED_CELL,
                factor,
            )
            new_cells.append(cell)
            ci = first + len(new_cells) - 1
            for rep, seed, q in zip(src["rep"], src["seed"], share, strict=True):
                assert seed == seeds[int(rep)]  # the arms are paired on seeds
                params = {**cell.params, "learning_bias": held_learning_bias(q, clip)}
                runs.append(RunSpec(pattern, ci, int(rep), int(seed), params, ()))
    return new_cells, runs


def trajectory(setbacks: np.ndarray, learning: np.ndarray) -> np.ndarray:
    """Each run's trajectory: learning journey, blame game, or no setback."""
    s = np.asarray(setbacks, dtype=float)
    share = np.divide(np.asarray(learning, dtype=float), s, out=np.zeros_like(s), where=s > 0)
    return np.where(s == 0, _CLASSES[2], np.where(share >= JOURNEY_MIN, _CLASSES[0], _CLASSES[1]))


def _diff_on_off(values: np.ndarray, weights: np.ndarray | None, on: np.ndarray) -> np.ndarray:
    """On-minus-off of a ratio of sums (or of means when ``weights`` is None), per replicate."""
    if weights is None:
        weights = np.ones_like(values, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        on_r = values[..., on].sum(-1) / weights[..., on].sum(-1)
        off_r = values[..., ~on].sum(-1) / weights[..., ~on].sum(-1)
    return on_r - off_r


def _arm(df: pd.DataFrame, action: str, arm: str) -> pd.DataFrame:
    sel = (df["design"] == "mediation") & (df["action"] == action) & (df["arm"] == arm)
    return df[sel].sort_values("rep").reset_index(drop=True)


def analyze(spec: PatternSpec, cells: list[Cell], data: PatternRuns, ctx: Context) -> PatternResult:
    """Risk differences, interactions, learning shares, indirect effects, trajectory split."""
    lv, thr, level = spec.levels, spec.thresholds, ctx.level
    names = [a["name"] for a in lv["actions"]]
    df = labelled(data, cells)
    df["trajectory"] = trajectory(df["setbacks"].to_numpy(), df["learning"].to_numpy())
    full = df[df["design"] == "factorial"].sort_values(["combo", "rep"]).reset_index(drop=True)
    on = full[names].to_numpy(dtype=int).astype(bool)
    y = full["success"].to_numpy(dtype=float)
    # (a) risk difference of success per action
    est_a, rows = [], []
    for j, n in enumerate(names):
        k1, n1 = int(y[on[:, j]].sum()), int(on[:, j].sum())
        k0, n0 = int(y[~on[:, j]].sum()), int((~on[:, j]).sum())
        est_a.append(Estimate(n, *risk_difference(k1, n1, k0, n0, level)))
    m_a = min(margin(e.low, thr["risk_diff_lower_min"], ">") for e in est_a)
    check_a = Check(
        "a",
        "risk difference of success, action on minus off (Newcombe CI)",
        f"lower CI bound > {thr['risk_diff_lower_min']:g} for every action",
        est_a,
        all(greater(e.low, thr["risk_diff_lower_min"]) for e in est_a),
        margin=m_a,
    )
    # (b) interaction contrasts on the risk-difference scale
    est_b = []
    for first, second in lv["interactions"]:
        i, k = names.index(first), names.index(second)
        est_b.append(
            Estimate(
                f"{first} x {second}",
                *interaction_contrast(y, on[:, i].astype(float), on[:, k].astype(float), level),
            )
        )
    check_b = Check(
        "b",
        "interaction contrast: effect of the first action with the second on minus off "
        "(linear probability model, HC0)",
        f"lower CI bound of {est_b[0].label} > {thr['interaction_lower_min']:g}",
        est_b,
        greater(est_b[0].low, thr["interaction_lower_min"]),
        margin=margin(est_b[0].low, thr["interaction_lower_min"], ">"),
    )
    # (c) learning share (pooled learning / setbacks), on minus off, stratified bootstrap
    learn = full["learning"].to_numpy(dtype=float)
    setb = full["setbacks"].to_numpy(dtype=float)
    idx = resample_within(full["combo"].to_numpy(), ctx.rng, ctx.resamples)
    lb, sb = learn[idx], setb[idx]
    est_c = []
    for j, n in enumerate(names):
        point = float(_diff_on_off(learn, setb, on[:, j]))
        est_c.append(Estimate(n, point, *percentile_ci(_diff_on_off(lb, sb, on[:, j]), level)))
    check_c = Check(
        "c",
        "learning share (learning / setbacks), action on minus off",
        f"lower CI bound > {thr['learning_diff_lower_min']:g} for every action",
        est_c,
        all(greater(e.low, thr["learning_diff_lower_min"]) for e in est_c),
        margin=min(margin(e.low, thr["learning_diff_lower_min"], ">") for e in est_c),
    )
    # (d) natural indirect effect through learning, paired seeds; (e) the large-part contrast
    est_d, contrast, note_d = [], None, ""
    share = thr["large_part_share"]
    for n in names:
        arms = [_arm(df, n, a) for a in _ARMS]
        sizes = {len(a) for a in arms}
        paired = len(sizes) == 1 and all(
            (a["seed"].to_numpy() == arms[0]["seed"].to_numpy()).all() for a in arms
        )
        if not paired or not arms[0].shape[0]:
            note_d = "the mediation arms are missing or not paired on seeds"
            est_d.append(Estimate(f"{n}: NIE", math.nan))
            continue
        y_off, y_on, y_m0, y_m1 = (a["success"].to_numpy(dtype=float) for a in arms)
        nie, te = y_m1 - y_m0, y_on - y_off
        est_d.append(Estimate(f"{n}: NIE", *paired_mean_ci(nie, level)))
        te_ci = paired_mean_ci(te, level)
        rows.append(
            {
                "action": n,
                "risk_diff_factorial": est_a[names.index(n)].value,
                "risk_diff_ci_low": est_a[names.index(n)].low,
                "risk_diff_ci_high": est_a[names.index(n)].high,
                "learning_diff": est_c[names.index(n)].value,
                "learning_diff_ci_low": est_c[names.index(n)].low,
                "learning_diff_ci_high": est_c[names.index(n)].high,
                "total_effect": te_ci[0],
                "total_effect_ci_low": te_ci[1],
                "total_effect_ci_high": te_ci[2],
                "nie": est_d[-1].value,
                "nie_ci_low": est_d[-1].low,
                "nie_ci_high": est_d[-1].high,
                "learning_share_off": float(_shares(arms[0]).mean()),
                "learning_share_on": float(_shares(arms[1]).mean()),
                "success_on_natural": float(y_on.mean()),
                "success_on_held_at_own_level": float(y_m1.mean()),
                "paired_seeds": len(y_on),
            }
        )
        part = nie - share * te
        contrast = part if contrast is None else contrast + part
    check_d = Check(
        "d",
        "natural indirect effect through the learning cycle (paired seeds, t CI)",
        f"lower CI bound of NIE > {thr['nie_lower_min']:g} for every action",
        est_d,
        all(greater(e.low, thr["nie_lower_min"]) for e in est_d),
        note=note_d or "TE and NIE per action are in the table below; NIE is bounded by [-1, 1]",
        margin=min(margin(e.low, thr["nie_lower_min"], ">") for e in est_d),
    )
    e_ci = paired_mean_ci(contrast, level) if contrast is not None else (math.nan,) * 3
    te_sum = sum(r["total_effect"] for r in rows) if rows else math.nan
    nie_sum = sum(r["nie"] for r in rows) if rows else math.nan
    check_e = Check(
        "e",
        f"sum over the actions of NIE - {share:g} x TE (per seed, t CI)",
        f"lower CI bound > {thr['large_part_lower_min']:g}",
        [
            Estimate(f"sum of NIE - {share:g} x sum of TE", *e_ci),
            Estimate("sum of NIE", nie_sum),
            Estimate("sum of TE", te_sum),
        ],
        greater(e_ci[1], thr["large_part_lower_min"]),
        note=note_d,
        margin=margin(e_ci[1], thr["large_part_lower_min"], ">"),
    )
    table = pd.DataFrame(rows)
    split = _split_table(full, level)
    fig = None if not ctx.figures else _figure(names, est_a, est_b, est_c, table, split, level)
    seeds = len(full) // 2 ** len(names) if len(full) else 0
    n_med = int(table["paired_seeds"].iloc[0]) if len(table) else 0
    summary = (
        f"factorial 2^{len(names)} = {2 ** len(names)} cells x {seeds} seeds; mediation "
        f"{len(names)} actions x {len(_ARMS)} arms x {n_med} paired seeds; {len(df)} runs of "
        f"{lv['weeks']} weeks"
    )
    text = _interpret(names, est_a, est_b, est_c, est_d, e_ci, split, thr)
    return PatternResult(
        spec,
        [check_a, check_b, check_c, check_d, check_e],
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


def _figure(names, est_a, est_b, est_c, table, split, level):
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    ax1, ax2, ax3, ax4 = axes.flat
    pct = f"{100 * level:g}%"
    short = [n.replace(" ", "\n", 1) for n in names]
    bars_with_ci(ax1, short, {f"on minus off, {pct} CI": [(e.value, e.low, e.high) for e in est_a]})
    ax1.axhline(0, color="grey", lw=1)
    ax1.set_xlabel("Key action")
    ax1.set_ylabel("Risk difference of success\n(share of runs, on minus off)")
    ax1.set_title("(a) Effect of each key action on success (factorial)")
    ax1.legend(fontsize=8)
    bars_with_ci(
        ax2,
        [e.label.replace(" x ", "\nx ") for e in est_b],
        {f"interaction contrast, {pct} CI": [(e.value, e.low, e.high) for e in est_b]},
    )
    ax2.axhline(0, color="grey", lw=1)
    ax2.set_xlabel("Pair of actions")
    ax2.set_ylabel("Effect of the first with the second on\nminus with it off (risk difference)")
    ax2.set_title("(b) Interactions on the risk-difference scale")
    ax2.legend(fontsize=8)
    bars_with_ci(ax3, short, {f"on minus off, {pct} CI": [(e.value, e.low, e.high) for e in est_c]})
    ax3.axhline(0, color="grey", lw=1)
    ax3.set_xlabel("Key action")
    ax3.set_ylabel("Difference in learning share\n(setbacks met by learning, share)")
    ax3.set_title("(c) Learning share of setbacks, on minus off")
    ax3.legend(fontsize=8)
    if len(table):
        series = {
            "total effect (TE)": list(
                zip(
                    table["total_effect"],
                    table["total_effect_ci_low"],
                    table["total_effect_ci_high"],
                    strict=True,
                )
            ),
            "through learning (NIE)": list(
                zip(table["nie"], table["nie_ci_low"], table["nie_ci_high"], strict=True)
            ),
        }
        bars_with_ci(ax4, [n.replace(" ", "\n", 1) for n in table["action"]], series)
    ax4.axhline(0, color="grey", lw=1)
    ax4.set_xlabel("Key action (baseline scenario, paired seeds)")
    ax4.set_ylabel("Effect on the success rate\n(difference of proportions)")
    ax4.set_title("(d) Total effect and the part through the learning cycle")
    ax4.legend(fontsize=8, title=f"whiskers: {pct} paired t CI")
    fig.suptitle("The five key actions: effects on success and the learning cycle")
    fig.tight_layout()
    return fig


def _interpret(names, est_a, est_b, est_c, est_d, e_ci, split, thr) -> str:
    raising = [e.label for e in est_a if greater(e.low, thr["risk_diff_lower_min"])]
    learning = [e.label for e in est_c if greater(e.low, thr["learning_diff_lower_min"])]
    through = [e.label.split(":")[0] for e in est_d if greater(e.low, thr["nie_lower_min"])]
    parts = [
        f"{len(raising)} of {len(names)} actions clearly raise the chance of success"
        + (f" ({', '.join(raising)})" if raising else "")
        + f"; {len(learning)} of {len(names)} clearly raise the share of setbacks met by learning"
        + (f" ({', '.join(learning)})." if learning else "."),
        f"For {len(through)} of {len(names)} actions a part of the effect clearly runs through "
        "the learning cycle" + (f" ({', '.join(through)})." if through else "."),
    ]
    if np.isfinite(e_ci[0]):
        parts.append(
            f"Summed over the actions, the effect through learning minus "
            f"{thr['large_part_share']:g} x the total effect is {e_ci[0]:+.3f} "
            f"[{e_ci[1]:+.3f}, {e_ci[2]:+.3f}]: "
            + (
                "a large part of the effect runs through learning."
                if greater(e_ci[1], thr["large_part_lower_min"])
                else "the runs do not show that a large part of the effect runs through learning."
            )
        )
    b0 = est_b[0]
    parts.append(
        f"Interaction {b0.label}: {b0.value:+.3f} [{b0.low:+.3f}, {b0.high:+.3f}] "
        "(above 0: the first action helps more when the second is taken)."
    )
    lo, hi = split.iloc[0], split.iloc[-1]
    parts.append(
        f"With {int(lo['actions_on'])} actions {100 * lo['learning journey']:.0f}% of runs are "
        f"learning journeys and {100 * lo['blame game']:.0f}% blame games; with "
        f"{int(hi['actions_on'])} actions {100 * hi['learning journey']:.0f}% and "
        f"{100 * hi['blame game']:.0f}%."
    )
    return " ".join(parts)
