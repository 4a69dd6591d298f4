"""Running replicates of one parameter set: one model per seed, on any engine.

:func:`run_one` is the unit of work of every command (run, compare, sweeps, the replication):
one model built from its parameters and integer seed, run to its end, then released.
:func:`iter_runs` and :func:`run_many` run one model per seed on an engine of
:mod:`collabsim.engine` (which spawns and records seeds, starts and warms workers and handles
interruption), and return the runs in the order of the seeds whatever the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import mesa
import pandas as pd

from collabsim.engine import Engine, running
from collabsim.model import CollaborationModel

__all__ = ["RunResult", "iter_runs", "release", "run_many", "run_one", "run_task"]

RunResult = tuple[dict[str, Any], pd.DataFrame]


def release(model: mesa.Model) -> None:
    """Let a finished model be garbage-collected.

    Mesa 3.3.1 numbers agents with a counter per model kept in a class-level dict of
    ``mesa.Agent`` keyed by the model itself, so every model ever built stays in memory
    (about 0.3 MB for a default run: gigabytes over a sweep). Fixed upstream after 3.3.1
    (mesa issue #3179, pull request #3180); until then, drop the model's entry once no agent
    will be added to it.
    """
    ids = getattr(mesa.Agent, "_ids", None)
    if isinstance(ids, dict):
        ids.pop(model, None)


def run_one(params: dict[str, Any], seed: int, *, series: bool = True) -> RunResult:
    """Run one model to its end; return its summary and (optionally) its time series."""
    model = CollaborationModel(rng=seed, **params)
    try:
        model.run()
        ts = model.timeseries() if series else pd.DataFrame()
        return model.summary(), ts
    finally:
        release(model)


def run_task(task: tuple[dict[str, Any], int, bool]) -> RunResult:
    """:func:`run_one` of ``(params, seed, series)``: the task an engine runs."""
    params, seed, series = task
    return run_one(params, seed, series=series)


def iter_runs(
    params: dict[str, Any],
    seeds: Sequence[int],
    *,
    workers: int = 1,
    series: bool = True,
    engine: Engine | None = None,
) -> Iterator[RunResult]:
    """Yield one run per seed, in the order of ``seeds``, as soon as each is available.

    Results that have arrived are the caller's even if the iteration is interrupted (Ctrl-C):
    ``collabsim run`` saves them.

    Args:
        params: Parameter overrides for every run.
        seeds: One integer seed per run.
        workers: Processes of the pool started for these runs when no ``engine`` is given
            (1 runs in this process; never more processes than runs).
        series: Keep each run's time series.
        engine: A running engine to use (left running, for the caller to close).
    """
    jobs = [(params, int(s), series) for s in seeds]
    with running(engine, workers=workers, tasks=len(jobs)) as eng:
        yield from eng.map(run_task, jobs)


def run_many(
    params: dict[str, Any],
    seeds: Sequence[int],
    *,
    workers: int = 1,
    series: bool = True,
    progress: Callable[[int], None] | None = None,
    engine: Engine | None = None,
) -> list[RunResult]:
    """Run one model per seed, in order of ``seeds`` whatever the engine.

    Args:
        params: Parameter overrides for every run.
        seeds: One integer seed per run.
        workers: Processes (1 runs in this process), when no ``engine`` is given.
        series: Keep each run's time series.
        progress: Called with 1 after each finished run (e.g. ``tqdm.update``).
        engine: A running engine to use (left running, for the caller to close).
    """
    out: list[RunResult] = []
    for res in iter_runs(params, seeds, workers=workers, series=series, engine=engine):
        out.append(res)
        if progress:
            progress(1)
    return out
