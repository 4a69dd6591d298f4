"""Posterior-predictive replication: the held-out patterns across the plausible region.

``collabsim replicate --posterior FILE`` draws parameter sets from a calibration's posterior
(:func:`collabsim.calibration.posterior.sample_sets`), runs every *held-out* pattern of
``configs/replication.toml`` at each set with the replication's own designs, statistics and
criteria (:func:`collabsim.replication.replicate.replicate`, at ``seeds_quick`` seeds per cell
unless the calibration's ``[posterior] seeds`` says otherwise; no second size), and reports per
pattern part the share of sets at which it holds, with a Wilson interval, and a plain
statement: it holds across the plausible region (at every set), only in part of it, or nowhere.

Set ``k`` runs from root seed ``child_seed(seed, k)`` (:func:`collabsim.engine.child_seed`),
recorded with the set, so the sets' runs are independent draws and reproducible.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from collabsim.calibration.config import held_out_patterns
from collabsim.calibration.posterior import Posterior, sample_sets
from collabsim.engine import Engine, child_seed
from collabsim.params import get
from collabsim.replication.replicate import plan, replicate
from collabsim.replication.spec import Criteria
from collabsim.replication.stats import wilson

__all__ = [
    "Predictive",
    "held_out_criteria",
    "planned_runs",
    "posterior_replication",
    "report_markdown",
    "statement",
]


def statement(holds: int, sets: int) -> str:
    """The plain verdict of a part that holds at ``holds`` of ``sets`` posterior sets."""
    if sets and holds == sets:
        return "holds across the plausible region"
    if holds == 0:
        return "holds nowhere in the plausible region"
    return "holds only in part of the plausible region"


@dataclass
class Predictive:
    """A finished posterior-predictive replication.

    Attributes:
        sets: One row per parameter set: ``set``, ``particle``, ``seed``, the weights, and one
            boolean column per part (``pattern.part``) and per pattern (``pattern``).
        shares: One row per part: pattern, part, claim, labels, sets where it holds, the share
            with its Wilson interval, and the statement.
        seed: Root of the draws and of the sets' seeds.
        seeds: Seeds per cell of each held-out pattern.
        level: Confidence level of the intervals.
        seconds: Wall time.
        runs: Model runs done.
        posterior: Where the posterior was read from.
    """

    sets: pd.DataFrame
    shares: pd.DataFrame
    seed: int
    seeds: dict[str, int]
    level: float
    seconds: float
    runs: int
    posterior: str


def held_out_criteria(criteria: Criteria, seeds: Mapping[str, int] | None = None) -> Criteria:
    """The criteria cut to the held-out patterns, without second sizes, at their seeds."""
    seeds = dict(seeds or {})
    patterns = {
        name: dataclasses.replace(
            criteria.patterns[name],
            seeds_quick=int(seeds.get(name, criteria.patterns[name].seeds_quick)),
            size2={},
            seeds_size2_full=0,
            seeds_size2_quick=0,
        )
        for name in held_out_patterns(criteria)
    }
    return dataclasses.replace(criteria, patterns=patterns)


def _values(row: pd.Series, names: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in names:
        p = get(name)
        x = float(row[name])
        out[name] = round(x) if p.kind == "int" else x
    return out


def posterior_replication(
    criteria: Criteria,
    post: Posterior,
    *,
    sets: int,
    seed: int,
    seeds: Mapping[str, int] | None = None,
    level: float = 0.95,
    engine: Engine | None = None,
    progress: Callable[[int], None] | None = None,
    more_runs: Callable[[int], None] | None = None,
) -> Predictive:
    """Run the held-out patterns at ``sets`` posterior parameter sets.

    Args:
        criteria: The replication criteria (their labels say which patterns are held out).
        post: The posterior.
        sets: Parameter sets to draw.
        seed: Root of the draws and of every set's runs.
        seeds: Seeds per cell of each held-out pattern (default: its ``seeds_quick``).
        level: Confidence level of the shares' Wilson intervals.
        engine: A running engine for the runs (this process if None).
        progress: Called with the number of newly finished runs.
        more_runs: Called with the number of runs of second stages once they are planned.

    Raises:
        ValueError: no pattern is held out in the criteria.
    """
    crit = held_out_criteria(criteria, seeds)
    names = list(crit.patterns)
    if not names:
        raise ValueError(f"no pattern of {criteria.path} is held out of calibration")
    draws = sample_sets(post, sets, seed)
    start = time.perf_counter()
    rows = []
    runs = 0
    for k, draw in draws.iterrows():
        root = child_seed(seed, int(k))
        values = _values(draw, post.names)
        rep = replicate(
            dataclasses.replace(crit, root_seed=root),
            names,
            quick=True,
            engine=engine,
            base=values,
            progress=progress,
            more_runs=more_runs,
            figures=False,
        )
        runs += rep.n_runs
        row: dict[str, Any] = {"set": int(k), "particle": int(draw["particle"]), "seed": root}
        row.update(values)
        for name, res in rep.results.items():
            for check in res.checks:
                row[f"{name}.{check.part}"] = bool(check.passed)
            row[name] = bool(res.passed)
        rows.append(row)
    table = pd.DataFrame(rows)
    shares = []
    for name in names:
        spec = crit.patterns[name]
        for part in spec.parts:
            col = f"{name}.{part.id}"
            holds = int(table[col].sum())
            share, lo, hi = wilson(holds, len(table), level)
            shares.append(
                {
                    "pattern": name,
                    "part": part.id,
                    "check": part.check,
                    "claim": part.claim,
                    "holds": holds,
                    "sets": len(table),
                    "share": share,
                    "ci_low": lo,
                    "ci_high": hi,
                    "statement": statement(holds, len(table)),
                }
            )
    return Predictive(
        sets=table,
        shares=pd.DataFrame(shares),
        seed=int(seed),
        seeds={n: crit.patterns[n].seeds_quick for n in names},
        level=level,
        seconds=time.perf_counter() - start,
        runs=runs,
        posterior=post.path,
    )


def planned_runs(criteria: Criteria, seeds: Mapping[str, int] | None, sets: int) -> int:
    """Runs planned before any second stage, over ``sets`` sets (for a progress bar)."""
    crit = held_out_criteria(criteria, seeds)
    return sets * sum(len(p.runs) for p in plan(crit, list(crit.patterns), quick=True))


def report_markdown(pred: Predictive, header: Mapping[str, Any]) -> str:
    """REPORT.md of a posterior-predictive replication."""
    pct = f"{100 * pred.level:g}%"
    lines = [
        "# Posterior-predictive replication of the held-out patterns",
        "",
        f"- posterior: `{pred.posterior}`",
        f"- parameter sets drawn: {len(pred.sets)} (systematic resampling by weight, seed "
        f"{pred.seed})",
        "- seeds per cell: " + ", ".join(f"{k} {v}" for k, v in pred.seeds.items()),
        f"- model runs: {pred.runs:,} in {pred.seconds:.0f} s",
        *[f"- {k}: {v}" for k, v in header.items()],
        "",
        "Each held-out pattern part was judged against its declared criterion at every set; the "
        "share is the fraction of sets at which it holds, with a Wilson " + pct + " interval.",
        "",
        f"| pattern | part | check | holds at | share [{pct} CI] | statement |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in pred.shares.iterrows():
        lines.append(
            f"| {r['pattern']} | ({r['part']}) | {r['check']} | {r['holds']} of {r['sets']} | "
            f"{r['share']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] | {r['statement']} |"
        )
    lines += ["", "## Claims", ""]
    for _, r in pred.shares.iterrows():
        lines.append(f"- {r['pattern']} ({r['part']}): {r['claim']} -- **{r['statement']}**.")
    return "\n".join(lines) + "\n"
