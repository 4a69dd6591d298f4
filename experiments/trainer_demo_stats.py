"""How typical is the trainers' demonstration? Each side-by-side contrast over many seeds.

Usage: ``python experiments/trainer_demo_stats.py [--reps 60] [--root 2025] [--pick-seed]``.
For each contrast that docs/trainers.md shows with one seed, runs A and B with the same spawned
seeds (the app's side by side, replicated) and prints medians of the outcomes the room looks at,
so the script can say how typical the single run on the screen is.

With ``--pick-seed`` it also chooses the script's seed by a fixed rule (``--candidates 1000``
tries seeds 0..999, the integers a trainer can type in the app):

1. Every run the script's scenes show (Hartford; Louisville; the baseline; the baseline with
   turnover 0.75; the baseline with a navigator) is run with the candidate seed to week 156.
2. Each of its outcomes in :data:`SCORED` is placed in the distribution of the same outcome over
   the reference seeds (the ones the medians come from) by its mid-rank ``q`` (share of reference
   runs below it plus half the share equal to it); its distance from typical is ``|q - 0.5|``
   (0 at the median, 0.5 beyond every reference run). No win by week 156 counts as a first win
   after the horizon; no setback at all counts as a learning share below every other value.
3. The seed's score is the mean distance over all runs and outcomes, plus 1 for each of the
   four A-vs-B differences (impact and cross-boundary trust, in the turnover and navigator
   scenes) whose sign differs from the sign of the median paired difference over the reference
   seeds.

The outcomes are those the app shows (model revision 2): impact, dissolution, first win,
cross-boundary trust (the app's trust picture), psychological safety (a monitor), agreement
(consensus) and the learning share.
4. The seed with the lowest score is chosen (ties: the smaller seed).

With ``--scenes SEED`` it prints what the room sees in each scene of the script with that seed
(the app's runs, stepped a quarter at a time): every event up to week 156 and, each quarter, the
series the app draws (impact, cross-boundary trust, agreement, legitimacy), the monitors (wins,
learning : blame, safety), the hollow rings (newcomers of less than 13 weeks), the mean trust on
the network's ties (the lines' colours) and, with a navigator, the table's mean trust in it (the
star's lines). The numbers
docs/trainers.md quotes about the single runs come from this output.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from collabsim.config import load_scenario
from collabsim.engine import spawn_seeds
from collabsim.outcomes import CONSENSUS_HIGH
from collabsim.runner import run_many

#: (title, scenario, lever, A's value or None for the scenario's, B's value)
CONTRASTS: tuple[tuple[str, str, str, object, object], ...] = (
    ("Hartford", "hartford", "", None, None),
    ("Louisville", "louisville", "", None, None),
    ("Turnover (baseline)", "baseline", "turnover_rate", None, 0.75),
    ("Navigator (baseline)", "baseline", "navigator", None, True),
    ("Entry points (baseline)", "baseline", "entry_points", None, False),
)
#: The contrasts docs/trainers.md plays with one seed (the close is the room's own choice).
SCENES = ("Hartford", "Louisville", "Turnover (baseline)", "Navigator (baseline)")
COLUMNS = (
    "collective_impact",
    "perished",
    "weeks_to_first_win",
    "cross_trust",
    "safety",
    "consensus",
    "learning_share",
    "founders_share",
)
#: Outcomes by which a single run is compared with the typical run (all but founders' share).
SCORED = tuple(c for c in COLUMNS if c != "founders_share")
#: Outcomes whose A-vs-B sign must match the median paired difference.
SIGNED = ("collective_impact", "cross_trust")
#: Week that stands for "no win by the horizon" (the horizon is week 156).
NO_WIN = 157.0
#: Learning share that stands for "no setback at all" (below every real share).
NO_SETBACK = -1.0

Arm = tuple[str, str, object]


def arms(scenario: str, lever: str, a_value: object, b_value: object) -> list[tuple[str, Arm]]:
    """The contrast's runs as (label, key): A, plus B when a lever differs."""
    out = [("A", (scenario, lever, a_value))]
    if lever:
        out.append(("B", (scenario, lever, b_value)))
    return out


def arm_params(arm: Arm) -> dict:
    scenario, lever, value = arm
    base = load_scenario(scenario).params
    return base if value is None else {**base, lever: value}


def run_arms(keys: list[Arm], seeds: list[int], series: bool = False) -> dict[Arm, pd.DataFrame]:
    """Summaries of each distinct arm over ``seeds`` (one row per seed, in order).

    With ``series``, adds ``agreed``: whether consensus ever reached ``CONSENSUS_HIGH``.
    """
    out: dict[Arm, pd.DataFrame] = {}
    for key in keys:
        if key not in out:
            runs = run_many(arm_params(key), seeds, workers=2, series=series)
            df = pd.DataFrame([summ for summ, _ in runs], index=seeds)
            if series:
                df["agreed"] = [bool((ts["consensus"] >= CONSENSUS_HIGH).any()) for _, ts in runs]
            out[key] = df
    return out


def summarize(df: pd.DataFrame) -> dict[str, float]:
    out = {"runs": len(df)}
    for c in COLUMNS:
        col = df[c].astype(float)
        out[c] = float(col.mean()) if c == "perished" else float(col.median())
    out["first_win_by_156"] = float(df["weeks_to_first_win"].notna().mean())
    out["agreed"] = float(df["agreed"].mean())
    out["remade"] = float((df["consensus_remade"] > 0).mean())
    out["setbacks"] = float(df["setbacks"].mean())
    setbacks = float(df["setbacks"].sum())
    out["learning_pooled"] = float(df["learning"].sum()) / setbacks if setbacks else float("nan")
    return out


def paired(ref: dict[Arm, pd.DataFrame]) -> pd.DataFrame:
    """B - A over the same seeds in each side-by-side contrast: median, shares up and down.

    A seed where the outcome is undefined in A or B (a learning share without setbacks) counts
    as neither higher nor lower; ``seeds_compared`` says how many seeds had both.
    """
    rows = []
    for title, scenario, lever, a_value, b_value in CONTRASTS:
        if lever:
            (_, a), (_, b) = arms(scenario, lever, a_value, b_value)
            for c in ("collective_impact", "cross_trust", "safety", "consensus", "learning_share"):
                d = ref[b][c].astype(float) - ref[a][c].astype(float)
                rows.append(
                    {
                        "contrast": title,
                        "outcome": c,
                        "median_B_minus_A": d.median(),
                        "B_higher": (d > 0).mean(),
                        "B_lower": (d < 0).mean(),
                        "seeds_compared": int(d.notna().sum()),
                    }
                )
    return pd.DataFrame(rows)


def scored(df: pd.DataFrame) -> pd.DataFrame:
    """The scored outcomes as numbers, with 'no win' and 'no setback' made comparable."""
    out = df[list(SCORED)].astype(float)
    out["weeks_to_first_win"] = out["weeks_to_first_win"].fillna(NO_WIN)
    out["learning_share"] = out["learning_share"].fillna(NO_SETBACK)
    return out


def distance(runs: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """``|q - 0.5|`` per run and outcome, ``q`` the mid-rank among the reference runs."""
    out = {}
    for c in SCORED:
        r = np.sort(ref[c].to_numpy())
        x = runs[c].to_numpy()
        below = np.searchsorted(r, x, side="left")
        upto = np.searchsorted(r, x, side="right")
        out[c] = np.abs((below + upto) / (2 * len(r)) - 0.5)
    return pd.DataFrame(out, index=runs.index)


def pick_seed(ref: dict[Arm, pd.DataFrame], cand: dict[Arm, pd.DataFrame]) -> pd.DataFrame:
    """Score every candidate seed (lower is more typical); sorted, best first."""
    parts, flips = [], 0
    for title, scenario, lever, a_value, b_value in CONTRASTS:
        if title not in SCENES:
            continue
        for _, key in arms(scenario, lever, a_value, b_value):
            d = distance(scored(cand[key]), scored(ref[key]))
            parts.append(d.add_prefix(f"{title} {key[1] or 'A'}={key[2]}: "))
        if lever:
            (_, a), (_, b) = arms(scenario, lever, a_value, b_value)
            for c in SIGNED:
                typical = np.sign((ref[b][c] - ref[a][c]).median())
                flips = flips + (np.sign(cand[b][c] - cand[a][c]) != typical).astype(int)
    dist = pd.concat(parts, axis=1)
    table = pd.DataFrame(
        {"distance": dist.mean(axis=1), "sign_flips": flips}, index=dist.index
    ).rename_axis("seed")
    table["score"] = table["distance"] + table["sign_flips"]
    return table.reset_index().sort_values(["score", "seed"]).set_index("seed")


def describe(seed: int, cand: dict[Arm, pd.DataFrame]) -> pd.DataFrame:
    """The chosen seed's outcomes in every arm of the table."""
    rows = []
    for title, scenario, lever, a_value, b_value in CONTRASTS:
        for label, key in arms(scenario, lever, a_value, b_value):
            if key in cand:
                rows.append({"contrast": title, "arm": label, **cand[key].loc[seed, list(COLUMNS)]})
    return pd.DataFrame(rows)


#: The scenes of docs/trainers.md: (title, scenario, lever B differs in or "", B's value).
SCENE_RUNS: tuple[tuple[str, str, str, object], ...] = (
    ("Scene 1: Hartford", "hartford", "", None),
    ("Scene 2: Louisville", "louisville", "", None),
    ("Scene 3: turnover", "baseline", "turnover_rate", 0.75),
    ("Scene 4: navigator", "baseline", "navigator", True),
)
#: Series shown per quarter by ``--scenes``.
SCENE_SERIES = ("public_value", "cross_trust", "consensus", "legitimacy", "safety")


def tie_trust(model) -> float:
    """Mean trust over every tie of the people network (both directions averaged per tie)."""
    _, _, t_uv, t_vu = model.state.edges.views()
    return float(np.mean(0.5 * (t_uv + t_vu))) if len(t_uv) else float("nan")


def scene_runs(seed: int, weeks_per_step: int = 13) -> None:
    """Print what the room sees in each scene with ``seed`` (the app's runs, a quarter a step)."""
    from collabsim.app.runs import TrainerRun
    from collabsim.views import snapshot

    for title, scenario, lever, value in SCENE_RUNS:
        run = TrainerRun(
            scenario=scenario,
            seed=seed,
            compare=bool(lever),
            compare_key=lever or "navigator",
            compare_value=value,
        )
        rows = []
        while True:
            for i, m in enumerate(run.models):
                last = m.timeseries().iloc[-1]
                view = snapshot(m)
                rows.append(
                    {
                        "run": "AB"[i],
                        "week": int(m.week),
                        **{c: round(float(last[c]), 2) for c in SCENE_SERIES},
                        "wins": int(last["wins"]),
                        "learning:blame": f"{int(last['learning'])}:{int(last['blame'])}",
                        "rings": int(view.newcomer.sum()),
                        "tie_trust": round(tie_trust(m), 2),
                        "nav_trust": round(float(view.nav_trust.mean()), 2)
                        if view.navigator
                        else None,
                        "alive": bool(m.running or m.week >= m.params["weeks"]),
                    }
                )
            if not run.running:
                break
            run.step(weeks_per_step)
        print(f"\n== {title} (seed {seed}): {' | '.join(run.labels)}")
        with pd.option_context("display.width", 250, "display.max_columns", None):
            print(pd.DataFrame(rows).to_string(index=False))
        for i, m in enumerate(run.models):
            ev = m.events()
            ev = ev[ev["kind"] != "turnover"]
            print(f"-- run {'AB'[i]}: events other than turnover")
            for week, kind, text in ev.itertuples(index=False):
                print(f"   week {week:3d}  {kind:10s} {text}")
        run.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--root", type=int, default=2025)
    ap.add_argument("--pick-seed", action="store_true", help="choose the script's seed")
    ap.add_argument("--candidates", type=int, default=1000, help="try seeds 0..N-1")
    ap.add_argument("--scenes", type=int, metavar="SEED", help="print the scenes with SEED")
    args = ap.parse_args()
    if args.scenes is not None:
        scene_runs(args.scenes)
        return
    seeds = spawn_seeds(args.root, args.reps)
    keys = [k for _, s, lv, a, b in CONTRASTS for _, k in arms(s, lv, a, b)]
    ref = run_arms(keys, seeds, series=True)
    table = []
    for title, scenario, lever, a_value, b_value in CONTRASTS:
        for label, key in arms(scenario, lever, a_value, b_value):
            shown = key[2] if key[2] is not None else "scenario"
            arm = f"{label}: {lever} = {shown}" if lever else label
            table.append({"contrast": title, "arm": arm, **summarize(ref[key])})
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print(pd.DataFrame(table).round(2).to_string(index=False))
    print(
        f"\n{args.reps} seeds spawned from root {args.root}; medians, except 'perished' "
        "(share of runs) and 'first_win_by_156' (share with a win by the horizon); "
        "'weeks_to_first_win' is the median over the runs with a win; 'agreed' (consensus "
        f">= {CONSENSUS_HIGH} at some week) and 'remade' (agreement lost and re-made at least "
        "once) are shares of runs; 'setbacks' is the mean per run and 'learning_pooled' the "
        "share of all the runs' setbacks met by learning.\n"
    )
    print("B - A with the same seed (shares of seeds in which B is higher or lower):")
    print(paired(ref).round(2).to_string(index=False))
    if not args.pick_seed:
        return
    scene_keys = [k for t, s, lv, a, b in CONTRASTS if t in SCENES for _, k in arms(s, lv, a, b)]
    cand = run_arms(scene_keys, list(range(args.candidates)))
    ranking = pick_seed(ref, cand)
    best = int(ranking.index[0])
    print(f"\nseeds 0..{args.candidates - 1} scored by typicality (lower is more typical):")
    print(ranking.head(10).round(4).to_string())
    print(
        f"median distance {ranking['distance'].median():.4f}, median score "
        f"{ranking['score'].median():.4f}; seeds with a sign flip: "
        f"{int((ranking['sign_flips'] > 0).sum())}"
    )
    with pd.option_context("display.width", 250, "display.max_columns", None):
        print(f"\nchosen seed {best}, its runs to week 156:")
        print(describe(best, cand).round(2).to_string(index=False))


if __name__ == "__main__":
    main()
