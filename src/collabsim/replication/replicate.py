"""The replication end to end: plan the selected patterns' runs, run them together, analyze.

:func:`plan` turns each selected pattern's declared design into cells and seeded runs;
:func:`replicate` runs every planned run in one pool and hands each pattern its runs for
analysis. Nothing here knows what any pattern's result should be.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from collabsim.engine import Engine
from collabsim.replication import patterns
from collabsim.replication.criteria import Criteria, PatternSpec, load_criteria
from collabsim.replication.design import Cell, RunSpec, bootstrap_rng, run_specs
from collabsim.replication.result import Context, PatternResult
from collabsim.replication.runner import PatternRuns, execute

__all__ = ["Plan", "Replication", "analyze", "plan", "replicate"]


@dataclass
class Plan:
    """A pattern ready to run: its spec, module, cells and runs."""

    spec: PatternSpec
    module: ModuleType
    cells: list[Cell]
    runs: list[RunSpec]
    seeds_per_cell: int


@dataclass
class Replication:
    """A finished replication.

    Attributes:
        criteria: The criteria it was run against.
        plans: The patterns run, in file order.
        results: Each pattern's analysis, by name.
        quick: Whether the quick (CI-sized) design was used.
        workers: Processes used.
        seconds_run: Wall time of the runs.
        seconds_total: Wall time including analysis.
        resumed: Patterns whose runs were read from a checkpoint.
        data: Each pattern's runs (summaries and the time series kept), by name.
    """

    criteria: Criteria
    plans: list[Plan]
    results: dict[str, PatternResult]
    quick: bool
    workers: int
    seconds_run: float
    seconds_total: float
    resumed: list[str]
    data: dict[str, PatternRuns]

    @property
    def n_runs(self) -> int:
        """Runs in all the patterns."""
        return sum(len(p.runs) for p in self.plans)


def plan(
    criteria: Criteria, names: Iterable[str] | None = None, *, quick: bool = False
) -> list[Plan]:
    """The cells and seeded runs of the selected patterns (all if ``names`` is empty)."""
    out = []
    for spec in criteria.select(names):
        module = patterns.get(spec.name)
        cells = module.cells(spec)
        n = spec.seeds(quick)
        runs = run_specs(spec, cells, criteria.root_seed, n, tuple(module.SERIES))
        out.append(Plan(spec, module, cells, runs, n))
    return out


def analyze(criteria: Criteria, p: Plan, data: PatternRuns) -> PatternResult:
    """Analyze one pattern's runs (bootstrap draws seeded from the root seed)."""
    ctx = Context(
        criteria.confidence,
        criteria.bootstrap_resamples,
        bootstrap_rng(criteria.root_seed, p.spec.name),
    )
    return p.module.analyze(p.spec, p.cells, data, ctx)


def replicate(
    criteria: Criteria | None = None,
    names: Iterable[str] | None = None,
    *,
    quick: bool = False,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: Path | None = None,
    engine: Engine | None = None,
) -> Replication:
    """Run and analyze the selected patterns.

    Args:
        criteria: The criteria (read from ``configs/replication.toml`` if None).
        names: Patterns to run (all if empty or None).
        quick: Use each pattern's ``seeds_quick`` instead of ``seeds_full``.
        workers: Processes for the runs (when no ``engine`` is given).
        progress: Called with the number of newly finished runs.
        checkpoint_dir: Where finished patterns' runs are checkpointed (resume after a crash).
        engine: A running engine of :mod:`collabsim.engine` for the runs (left running).
    """
    crit = criteria if criteria is not None else load_criteria()
    plans = plan(crit, names, quick=quick)
    start = time.perf_counter()
    all_runs = [r for p in plans for r in p.runs]
    data = execute(
        all_runs, workers=workers, progress=progress, checkpoint_dir=checkpoint_dir, engine=engine
    )
    seconds_run = time.perf_counter() - start
    results = {p.spec.name: analyze(crit, p, data[p.spec.name]) for p in plans}
    return Replication(
        criteria=crit,
        plans=plans,
        results=results,
        quick=quick,
        workers=engine.workers if engine is not None else workers,
        seconds_run=seconds_run,
        seconds_total=time.perf_counter() - start,
        resumed=[n for n, d in data.items() if d.resumed],
        data=data,
    )
