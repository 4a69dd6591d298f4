"""How typical is the trainers' demonstration? Each side-by-side contrast over many seeds.

Usage: ``python experiments/trainer_demo_stats.py [--reps 60] [--root 2025]``. For each
contrast that docs/trainers.md shows with one seed, runs A and B with the same spawned seeds
(the app's side by side, replicated) and prints medians of the outcomes the room looks at, so
the script can say how typical the single run on the screen is.
"""

from __future__ import annotations

import argparse

import pandas as pd

from collabsim.config import load_scenario
from collabsim.runner import run_many, spawn_seeds

#: (title, scenario, lever, A's value or None for the scenario's, B's value)
CONTRASTS: tuple[tuple[str, str, str, object, object], ...] = (
    ("Hartford", "hartford", "", None, None),
    ("Louisville", "louisville", "", None, None),
    ("Turnover (baseline)", "baseline", "turnover_rate", None, 0.75),
    ("Navigator (baseline)", "baseline", "navigator", None, True),
    ("Entry points (baseline)", "baseline", "entry_points", None, False),
)
COLUMNS = (
    "collective_impact",
    "perished",
    "weeks_to_first_win",
    "mean_trust",
    "consensus",
    "learning_share",
    "founders_share",
)


def summarize(rows: list[dict]) -> dict[str, float]:
    df = pd.DataFrame(rows)
    out = {"runs": len(df)}
    for c in COLUMNS:
        col = df[c].astype(float)
        out[c] = float(col.mean()) if c == "perished" else float(col.median())
    out["first_win_by_156"] = float(df["weeks_to_first_win"].notna().mean())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=60)
    ap.add_argument("--root", type=int, default=2025)
    args = ap.parse_args()
    seeds = spawn_seeds(args.root, args.reps)
    table = []
    for title, scenario, lever, a_value, b_value in CONTRASTS:
        base = load_scenario(scenario).params
        arms = [("A", base if a_value is None else {**base, lever: a_value})]
        if lever:
            arms.append(("B", {**base, lever: b_value}))
        for arm, params in arms:
            results = run_many(params, seeds, workers=2)
            label = f"{arm}: {lever} = {params.get(lever, 'scenario')}" if lever else arm
            table.append(
                {"contrast": title, "arm": label, **summarize([summ for summ, _ in results])}
            )
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(pd.DataFrame(table).round(2).to_string(index=False))
    print(
        f"\n{args.reps} seeds spawned from root {args.root}; medians, except 'perished' "
        "(share of runs) and 'first_win_by_156' (share with a win by the horizon)."
    )


if __name__ == "__main__":
    main()
