"""Running the replication's designs: every run of the selected patterns on one engine.

Runs go through :func:`collabsim.runner.run_one` on an engine of :mod:`collabsim.engine`
(serial, a fork process pool, Dask or any executor), under one progress bar. Each pattern's
runs come back in the order of its run list whatever the engine, so the analysis sees the same
data on 1 or 8 cores.

Only the patterns that need time series keep them, and only the columns they name, as float32
arrays (runs x weeks, NaN after a run ended). A pattern's finished runs are written to a
checkpoint (atomically) keyed by a hash of its run list and of the model's source, so a crashed
or interrupted replication resumes where it stopped and gives the same results.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.engine import Engine, running
from collabsim.replication.design import RunSpec
from collabsim.results import atomic_write_bytes
from collabsim.runner import run_one

__all__ = ["PatternRuns", "execute", "model_digest", "remove_checkpoints"]

_Task = tuple[dict[str, Any], int, tuple[str, ...]]  # params, seed, series columns
_Result = tuple[dict[str, Any], dict[str, np.ndarray], float]


@dataclass
class PatternRuns:
    """The runs of one pattern.

    Attributes:
        runs: One row per run: ``cell``, ``rep``, ``seed`` and every summary outcome.
        series: Time series kept for the pattern: column -> array (runs x weeks + 1), rows in
            the order of ``runs``; NaN after a run ended.
        resumed: True if the runs were read from a checkpoint.
        cpu_seconds: CPU time (user + system) the runs took in the processes that ran them.
    """

    runs: pd.DataFrame
    series: dict[str, np.ndarray] = field(default_factory=dict)
    resumed: bool = False
    cpu_seconds: float = 0.0


def model_digest() -> str:
    """A hash of the model's source (every module of collabsim outside ``replication/``)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "replication" in path.relative_to(root).parts:
            continue
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _execute(task: _Task) -> _Result:
    params, seed, columns = task
    cpu0 = time.process_time()  # (measured in the worker: a pool's workers outlive the call)
    summary, ts = run_one(params, seed, series=bool(columns))
    series = {c: ts[c].to_numpy(dtype=np.float32) for c in columns}
    return summary, series, time.process_time() - cpu0


def _checkpoint_key(name: str, specs: Sequence[RunSpec], digest: str) -> str:
    h = hashlib.sha256(digest.encode())
    h.update(name.encode())
    for s in specs:
        h.update(json.dumps([s.cell, s.rep, s.seed, s.params, s.series], sort_keys=True).encode())
    return h.hexdigest()[:20]


def _assemble(specs: Sequence[RunSpec], results: Sequence[_Result]) -> PatternRuns:
    rows = [
        {"cell": s.cell, "rep": s.rep, "seed": s.seed, **summ}
        for s, (summ, _, _) in zip(specs, results, strict=True)
    ]
    columns = specs[0].series if specs else ()
    series: dict[str, np.ndarray] = {}
    if columns:
        width = max(len(r[1][columns[0]]) for r in results)
        for c in columns:
            arr = np.full((len(results), width), np.nan, dtype=np.float32)
            for i, (_, ts, _) in enumerate(results):
                arr[i, : len(ts[c])] = ts[c]
            series[c] = arr
    return PatternRuns(pd.DataFrame(rows), series, cpu_seconds=sum(r[2] for r in results))


def execute(
    specs: Sequence[RunSpec],
    *,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    checkpoint_dir: Path | None = None,
    engine: Engine | None = None,
) -> dict[str, PatternRuns]:
    """Run every spec (several patterns at once) and group the results by pattern.

    Args:
        specs: The runs, grouped by pattern (as :func:`~collabsim.replication.design.run_specs`
            makes them).
        workers: Processes of the pool started when no ``engine`` is given (1 runs in this
            process).
        progress: Called with the number of newly finished runs (e.g. ``tqdm.update``).
        checkpoint_dir: Where finished patterns are checkpointed and looked up (none if None).
        engine: A running engine to use (left running, for the caller to close).

    Returns:
        Pattern name -> its runs, in the order the patterns first appear in ``specs``.
    """
    by_pattern: dict[str, list[RunSpec]] = {}
    for s in specs:
        by_pattern.setdefault(s.pattern, []).append(s)
    digest = model_digest() if checkpoint_dir is not None else ""
    done: dict[str, PatternRuns] = {}
    paths: dict[str, Path] = {}
    for name, group in by_pattern.items():
        if checkpoint_dir is not None:
            paths[name] = checkpoint_dir / f"{name}-{_checkpoint_key(name, group, digest)}.pkl"
            loaded = _load_checkpoint(paths[name], len(group))
            if loaded is not None:
                done[name] = loaded
                if progress:
                    progress(len(group))
    groups = [
        (name, [(s.params, s.seed, s.series) for s in group])
        for name, group in by_pattern.items()
        if name not in done
    ]
    n = sum(len(tasks) for _, tasks in groups)
    with running(engine, workers=workers, tasks=n) as eng:
        for name, results in eng.map_groups(_execute, groups, progress=progress):
            done[name] = _assemble(by_pattern[name], results)
            if checkpoint_dir is not None:
                checkpoint_dir.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(paths[name], pickle.dumps(done[name]))
    return {name: done[name] for name in by_pattern}


def _load_checkpoint(path: Path, n: int) -> PatternRuns | None:
    if not path.is_file():
        return None
    try:
        obj = pickle.loads(path.read_bytes())
    except Exception:  # a damaged checkpoint is ignored and the runs are done again
        return None
    if not isinstance(obj, PatternRuns) or len(obj.runs) != n:
        return None
    obj.resumed = True
    return obj


def remove_checkpoints(checkpoint_dir: Path, names: Sequence[str]) -> None:
    """Delete the checkpoints of the named patterns (after their results were committed)."""
    for name in names:
        for path in checkpoint_dir.glob(f"{name}-*.pkl"):
            with contextlib.suppress(OSError):
                path.unlink()
    with contextlib.suppress(OSError):
        checkpoint_dir.rmdir()
