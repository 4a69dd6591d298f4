"""Calibration check: quick versions of the replication designs, for auditing the calibration.

This is the script the free weights were calibrated with (docs/calibration.md). It prints, for
the current defaults plus any ``key=value`` overrides, the statistics the calibration looked
at. It is not the replication (``collabsim replicate`` is); it exists so that the calibration
can be re-run and audited::

    python experiments/calibration_check.py 2                      # the final check
    python experiments/calibration_check.py 1 proposal_rate=0.5    # a candidate setting

The first argument scales the seeds per cell (1: 8 to 120 seeds per cell).
"""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pandas as pd
from scipy import stats

from collabsim.config import load_scenario
from collabsim.engine import running, spawn_seeds
from collabsim.params import validate
from collabsim.runner import run_one

ACTIONS = {
    "prior_history": (0.2, 2.0),
    "navigator": (False, True),
    "community_stages": (0, 3),
    "data_use": (False, True),
    "joint_problem_solving": (0.05, 0.5),
}
CUT = {"learning_trust_weight": 0, "learning_evidence_weight": 0, "learning_safety_weight": 0}


def _job(args):
    params, seed = args
    return run_one(params, seed, series=False)[0]


def run_cells(cells, n, root, extra):
    """Run ``n`` seeds of each (labels, params) cell; return one row per run."""
    seeds = spawn_seeds(root, n)
    jobs = [({**extra, **par}, sd) for _, par in cells for sd in seeds]
    labels = [lab for lab, _ in cells for _ in seeds]
    with running() as engine:  # a process pool of every core
        rows = list(engine.map(_job, jobs, batch=16))
    return pd.concat([pd.DataFrame(labels), pd.DataFrame(rows)], axis=1)


def cramers_v(a, b) -> float:
    table = pd.crosstab(a, b).to_numpy()
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / (table.sum() * (min(table.shape) - 1))))


def formal_structure(scale, extra):
    ctx = {
        "small": {"n_orgs": 6, "prior_history": 2.0},
        "medium": {"n_orgs": 12, "prior_history": 1.0},
        "large": {"n_orgs": 30, "prior_history": 0.3},
    }
    areas = {"easy": 0.25, "mid": 0.15, "hard": 0.08}
    cells = [
        (
            {"ctx": c, "mode": g, "adapt": ad},
            {**ctx[c], "leverage_width": areas[a], "governance": g, "adaptable": ad},
        )
        for c in ctx
        for a in areas
        for g in ("shared", "lead", "nao")
        for ad in (False, True)
    ]
    df = run_cells(cells, int(12 * scale), 1, extra)
    diff = df[df.adapt].success.mean() - df[~df.adapt].success.mean()
    print(f"P1 V={cramers_v(df['mode'], df.success):.3f} adaptable-rigid={diff:+.3f}")
    print(df.groupby(["ctx", "mode"]).success.mean().unstack().round(2).to_string())


def key_actions(scale, extra):
    cells = []
    for combo in itertools.product((0, 1), repeat=5):
        par = {k: ACTIONS[k][b] for k, b in zip(ACTIONS, combo, strict=True)}
        cells.append((dict(zip(ACTIONS, combo, strict=True)), par))
    df = run_cells(cells, int(8 * scale), 2, extra)
    cut = run_cells([(lab, {**par, **CUT}) for lab, par in cells], int(8 * scale), 2, extra)
    print(f"P2 success={df.success.mean():.2f} learning share={df.learning_share.mean():.2f}")
    for k in ACTIONS:
        on, off = df[df[k] == 1], df[df[k] == 0]
        eff = on.success.mean() - off.success.mean()
        eff_cut = cut[cut[k] == 1].success.mean() - cut[cut[k] == 0].success.mean()
        dlearn = on.learning_share.mean() - off.learning_share.mean()
        mediated = 1 - eff_cut / eff if eff else float("nan")
        print(f"  {k:22s} d_success={eff:+.3f} d_learning={dlearn:+.3f} mediated={mediated:.2f}")


def entry_points(scale, extra):
    cells = [
        (
            {"ep": ep, "div": dv, "out": o, "ini": i},
            {
                "entry_points": ep,
                "diversity": dv,
                "community_stages": o,
                "initiative": i,
                "weeks": 39,
            },
        )
        for ep in (False, True)
        for dv in (0.2, 0.8)
        for o in (0, 3)
        for i in (0.2, 0.8)
    ]
    df = run_cells(cells, int(40 * scale), 3, extra)
    off = df[~df.ep]
    hi = df[df.ep & (df["div"] == 0.8) & (df.out == 3) & (df.ini == 0.8)]
    lo = df[df.ep & (df["div"] == 0.2) & (df.out == 0) & (df.ini == 0.2)]
    stall = (off.talk_only | off.perished).mean()
    print(
        f"P3 stall without entry point={stall:.2f} momentum high={hi.momentum.mean():.2f} "
        f"low={lo.momentum.mean():.2f}"
    )


def not_speed(scale, extra):
    cells = [({"t": t}, {"turnover_rate": t}) for t in (0, 0.1, 0.2, 0.3, 0.4)]
    df = run_cells(cells, int(60 * scale), 4, extra)
    wi = df.weeks_to_impact.fillna(157)
    w1 = df.weeks_to_first_win.fillna(157)
    rho = [stats.spearmanr(df.t, y)[0] for y in (wi, w1, df.consensus_remade)]
    print(
        f"P4 rho(turnover, weeks to impact)={rho[0]:.3f} (first win)={rho[1]:.3f} "
        f"(consensus re-made)={rho[2]:.3f}"
    )
    print(
        df.groupby("t")
        .agg(success=("success", "mean"), remade=("consensus_remade", "mean"))
        .round(2)
        .to_string()
    )


def path_and_cases(scale, extra):
    df = run_cells([({}, {})], int(120 * scale), 5, extra)
    win = df[df.first_outcome_win == 1].collective_impact
    setback = df[df.first_outcome_win == 0].collective_impact
    p = stats.mannwhitneyu(win, setback)[1]
    print(
        f"P5 impact after a first win={win.median():.2f} after a first setback="
        f"{setback.median():.2f} p={p:.2g}"
    )
    hart = run_cells([({}, load_scenario("hartford").params)], int(40 * scale), 6, extra)
    lou = run_cells([({}, load_scenario("louisville").params)], int(40 * scale), 6, extra)
    print(
        f"P6 hartford success={hart.success.mean():.2f} nothing adopted="
        f"{(hart.adopted == 0).mean():.2f} uptake={hart.uptake.mean():.2f} | louisville "
        f"success={lou.success.mean():.2f} weeks to impact={lou.weeks_to_impact.median()}"
    )


def main(argv: list[str]) -> None:
    scale = float(argv[0]) if argv else 1.0
    extra = validate(dict(a.split("=", 1) for a in argv[1:]), partial=True)
    for check in (formal_structure, key_actions, entry_points, not_speed, path_and_cases):
        check(scale, extra)


if __name__ == "__main__":
    main(sys.argv[1:])
