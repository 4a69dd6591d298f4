"""Running replicates: seeds spawned from a root, one model per run, optional process pool.

Every run's seed is a child of ``numpy.random.SeedSequence(root)`` turned into an integer and
recorded with the run, so results do not depend on the number of workers or the order in which
runs finish. The pool uses an explicit fork context (Mesa 3.3.1 forces ``spawn`` on import).
This is the small engine behind ``collabsim run`` and ``compare``; :mod:`collabsim.sweep`
builds large designs on the same :func:`run_one`.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import mesa
import numpy as np
import pandas as pd

from collabsim.model import CollaborationModel, resolve_seed, warm_up

__all__ = [
    "RunResult",
    "default_workers",
    "die_with_parent",
    "iter_runs",
    "release",
    "run_many",
    "run_one",
    "spawn_seeds",
]

RunResult = tuple[dict[str, Any], pd.DataFrame]


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` independent integer seeds spawned from ``SeedSequence(root)``."""
    if n < 0:
        raise ValueError(f"number of runs = {n} is not valid: expected 0 or more")
    return [resolve_seed(child) for child in np.random.SeedSequence(root).spawn(n)]


def default_workers() -> int:
    """Worker processes to use by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


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


def _run_star(args: tuple[dict[str, Any], int, bool]) -> RunResult:
    params, seed, series = args
    return run_one(params, seed, series=series)


def iter_runs(
    params: dict[str, Any],
    seeds: Sequence[int],
    *,
    workers: int = 1,
    series: bool = True,
) -> Iterator[RunResult]:
    """Yield one run per seed, in the order of ``seeds``, as soon as each is available.

    Results that have arrived are the caller's even if the iteration is interrupted (Ctrl-C):
    ``collabsim run`` saves them. Never more processes than runs are started.

    Args:
        params: Parameter overrides for every run.
        seeds: One integer seed per run.
        workers: Processes to use (1 runs in this process).
        series: Keep each run's time series.
    """
    jobs = [(params, int(s), series) for s in seeds]
    workers = max(1, min(int(workers), len(jobs)))
    if workers == 1:
        for job in jobs:
            yield _run_star(job)
        return
    warm_up()  # compiled once here: the forked workers inherit the compiled submodels
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_worker_init, initargs=(os.getpid(),)
    )
    try:
        yield from pool.map(_run_star, jobs, chunksize=max(1, len(jobs) // (8 * workers)))
    except BaseException:
        # Interrupted (Ctrl-C) or failed: drop the runs not yet started, do not wait for them.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_init(parent: int) -> None:
    """Pool worker start-up: Ctrl-C is the parent's to handle; die with the parent.

    A Ctrl-C in a terminal reaches every process of the group; the parent stops the pool
    and keeps the runs that finished, while the workers finish or drop their current run.
    SIGTERM gets its default action back (the parent may turn it into an interruption).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    die_with_parent(parent)


#: Linux prctl option: the signal a process receives when its parent dies.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None) -> None:
    """Worker start-up: exit when the parent process dies (Linux).

    A killed command then leaves no orphan workers behind; they would otherwise wait on their
    task queue for ever (they hold its other end themselves).

    Args:
        parent: The parent's process id, or None when it is not known (a forkserver).
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if parent is not None and os.getppid() != parent:
        os._exit(1)  # the parent died before the request above took effect


def run_many(
    params: dict[str, Any],
    seeds: Sequence[int],
    *,
    workers: int = 1,
    series: bool = True,
    progress: Callable[[int], None] | None = None,
) -> list[RunResult]:
    """Run one model per seed, in order of ``seeds`` whatever the number of workers.

    Args:
        params: Parameter overrides for every run.
        seeds: One integer seed per run.
        workers: Processes to use (1 runs in this process).
        series: Keep each run's time series.
        progress: Called with 1 after each finished run (e.g. ``tqdm.update``).
    """
    out: list[RunResult] = []
    for res in iter_runs(params, seeds, workers=workers, series=series):
        out.append(res)
        if progress:
            progress(1)
    return out
