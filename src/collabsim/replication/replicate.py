"""The replication end to end: plan the selected patterns' runs, run them together, analyze.

:func:`plan` turns each selected pattern's declared design into cells and seeded runs, with the
student's base assumptions (``--set``, ``--scenario``) under every cell, and adds a second-size
plan for every pattern that declares one. :func:`replicate` runs every planned run in one pool;
patterns whose design has a second stage (runs whose settings depend on the first stage's
results, e.g. the mediation arms of ``key_actions``) get it planned from the first stage's runs
and run together in a second pool pass. Each pattern is then analyzed at its size, at its second
size, and (in a full run) on its quick subset, the first ``seeds_quick`` seeds of every cell, so
the report can flag quick and full verdicts that disagree. Nothing here knows what any pattern's
result should be.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from collabsim.engine import Engine, SerialEngine
from collabsim.replication import patterns
from collabsim.replication.criteria import Criteria, PatternSpec, load_criteria
from collabsim.replication.design import (
    SIZE2_SUFFIX,
    Cell,
    RunSpec,
    apply_base,
    bootstrap_rng,
    run_specs,
)
from collabsim.replication.result import Context, PatternResult
from collabsim.replication.runner import PatternRuns, execute

__all__ = ["Plan", "Replication", "analyze", "merge_runs", "plan", "quick_subset", "replicate"]


@dataclass
class Plan:
    """A pattern ready to run at one size: its spec, module, cells and runs."""

    spec: PatternSpec
    module: ModuleType
    cells: list[Cell]
    runs: list[RunSpec]
    seeds_per_cell: int
    size2: bool = False

    @property
    def label(self) -> str:
        """The pattern's name, with ``@size2`` for its second size."""
        return self.spec.name + (SIZE2_SUFFIX if self.size2 else "")


@dataclass
class Replication:
    """A finished replication.

    Attributes:
        criteria: The criteria it was run against.
        plans: The patterns run (each size a plan), in file order.
        results: Each pattern's analysis at its declared size, by name.
        size2: Each pattern's analysis at its second size, by name (held-out patterns).
        subset: In a full run, each pattern's analysis of its quick subset, by name.
        quick: Whether the quick (CI-sized) design was used.
        workers: Processes used.
        seconds_run: Wall time of the runs.
        seconds_total: Wall time including analysis.
        resumed: Plans whose runs were read from a checkpoint.
        data: Each plan's runs (summaries and the time series kept), by plan label.
        base: The student's base assumptions applied under every cell.
        overrides: The ``--set`` values, as given.
        scenario: The ``--scenario`` file, if one was given.
        cpu_seconds: CPU time (user + system) of this process and of the runs done in workers
            while the replication ran: what the runs cost, whatever else the machine was doing.
        load: The system's 1-minute load average at the start and at the end.
        cores: CPU cores of the machine.
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
    size2: dict[str, PatternResult] = field(default_factory=dict)
    subset: dict[str, PatternResult] = field(default_factory=dict)
    base: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    scenario: str = ""
    cpu_seconds: float = float("nan")
    load: tuple[float, float] = (float("nan"), float("nan"))
    cores: int = 0

    @property
    def n_runs(self) -> int:
        """Runs in all the plans."""
        return sum(len(p.runs) for p in self.plans)

    def plan_of(self, name: str, size2: bool = False) -> Plan:
        """The plan of a pattern at its size (or second size)."""
        return next(p for p in self.plans if p.spec.name == name and p.size2 == size2)


def plan(
    criteria: Criteria,
    names: Iterable[str] | None = None,
    *,
    quick: bool = False,
    base: Mapping[str, Any] | None = None,
) -> list[Plan]:
    """The cells and seeded runs of the selected patterns (all if ``names`` is empty).

    Args:
        criteria: The criteria.
        names: Patterns to plan.
        quick: Use the quick seed counts.
        base: Parameter values under every cell (the design's own settings win).
    """
    out = []
    b = dict(base or {})
    for spec in criteria.select(names):
        module = patterns.get(spec.name)
        raw = module.cells(spec)
        sizes = [False] + ([True] if spec.size2 else [])
        for size2 in sizes:
            cells = apply_base(raw, b, spec.size2 if size2 else None)
            n = spec.seeds(quick, size2)
            cols = module.series(spec) if hasattr(module, "series") else tuple(module.SERIES)
            runs = run_specs(spec, cells, criteria.root_seed, n, cols, size2=size2)
            out.append(Plan(spec, module, cells, runs, n, size2))
    return out


def quick_subset(p: Plan, data: PatternRuns) -> PatternRuns:
    """The runs of a full plan that the quick design would have made (first seeds per cell)."""
    n = p.spec.seeds(True, p.size2)
    factor = np.array([c.seeds_factor for c in p.cells])
    runs = data.runs
    keep = (runs["rep"].to_numpy() < n * factor[runs["cell"].to_numpy()]).nonzero()[0]
    series = {k: v[keep] for k, v in data.series.items()}
    return PatternRuns(runs.iloc[keep].reset_index(drop=True), series, data.resumed)


def analyze(
    criteria: Criteria, p: Plan, data: PatternRuns, *, figures: bool = True
) -> PatternResult:
    """Analyze one plan's runs (bootstrap draws seeded from the root seed).

    ``figures`` False skips the pattern's figure (``result.figure`` is None).
    """
    ctx = Context(
        criteria.confidence,
        criteria.bootstrap_resamples,
        bootstrap_rng(criteria.root_seed, p.label),
        figures,
    )
    return p.module.analyze(p.spec, p.cells, data, ctx)


def merge_runs(a: PatternRuns, b: PatternRuns) -> PatternRuns:
    """The runs of ``a`` followed by those of ``b`` (series padded with NaN to one width)."""
    runs = pd.concat([a.runs, b.runs], ignore_index=True)
    series: dict[str, np.ndarray] = {}
    for k in a.series:
        x, y = a.series[k], b.series[k]
        width = max(x.shape[1], y.shape[1])
        pad = [np.pad(m, ((0, 0), (0, width - m.shape[1])), constant_values=np.nan) for m in (x, y)]
        series[k] = np.vstack(pad)
    return PatternRuns(runs, series, a.resumed and b.resumed, a.cpu_seconds + b.cpu_seconds)


def replicate(
    criteria: Criteria | None = None,
    names: Iterable[str] | None = None,
    *,
    quick: bool = False,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    more_runs: Callable[[int], None] | None = None,
    checkpoint_dir: Path | None = None,
    engine: Engine | None = None,
    base: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    scenario: str = "",
    figures: bool = True,
) -> Replication:
    """Run and analyze the selected patterns.

    Args:
        criteria: The criteria (read from ``configs/replication.toml`` if None).
        names: Patterns to run (all if empty or None).
        quick: Use each pattern's ``seeds_quick`` instead of ``seeds_full``.
        workers: Processes for the runs (when no ``engine`` is given).
        progress: Called with the number of newly finished runs.
        more_runs: Called with the number of second-stage runs once they are planned.
        checkpoint_dir: Where finished patterns' runs are checkpointed (resume after a crash).
        engine: A running engine of :mod:`collabsim.engine` for the runs (left running).
        base: Parameter values under every cell (``--scenario`` then ``--set``).
        overrides: The ``--set`` values (recorded in the report).
        scenario: The ``--scenario`` file (recorded in the report).
        figures: Draw each pattern's figure (False when only the statistics are read).
    """
    crit = criteria if criteria is not None else load_criteria()
    plans = plan(crit, names, quick=quick, base=base)
    start = time.perf_counter()
    cpu0, load0 = _cpu(), _load()
    data = execute(
        [r for p in plans for r in p.runs],
        workers=workers,
        progress=progress,
        checkpoint_dir=checkpoint_dir,
        engine=engine,
    )
    second: list[RunSpec] = []
    for p in plans:
        follow = getattr(p.module, "followup", None)
        if follow is None:
            continue
        cells2, runs2 = follow(
            p.spec, p.cells, data[p.label], crit.root_seed, p.seeds_per_cell, size2=p.size2
        )
        p.cells.extend(cells2)
        p.runs.extend(runs2)
        second.extend(runs2)
    if second:
        if more_runs:
            more_runs(len(second))
        extra = execute(
            second,
            workers=workers,
            progress=progress,
            checkpoint_dir=checkpoint_dir,
            engine=engine,
        )
        for label, runs in extra.items():
            data[label] = merge_runs(data[label], runs)
    seconds_run = time.perf_counter() - start
    in_process = isinstance(engine, SerialEngine) or (engine is None and workers <= 1)
    results: dict[str, PatternResult] = {}
    size2: dict[str, PatternResult] = {}
    subset: dict[str, PatternResult] = {}
    for p in plans:
        if p.size2:
            size2[p.spec.name] = analyze(crit, p, data[p.label], figures=figures)
            continue
        results[p.spec.name] = analyze(crit, p, data[p.label], figures=figures)
        if not quick:
            subset[p.spec.name] = analyze(crit, p, quick_subset(p, data[p.label]), figures=figures)
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
        size2=size2,
        subset=subset,
        base=dict(base or {}),
        overrides=dict(overrides or {}),
        scenario=scenario,
        # this process (analysis, serial runs) plus the runs done now in workers
        cpu_seconds=_cpu()
        - cpu0
        + (0.0 if in_process else sum(d.cpu_seconds for d in data.values() if not d.resumed)),
        load=(load0, _load()),
        cores=os.cpu_count() or 0,
    )


def _cpu() -> float:
    """User + system CPU seconds of this process (workers report their runs' own time)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _load() -> float:
    try:
        return float(os.getloadavg()[0])
    except OSError:  # not available on this system
        return float("nan")
