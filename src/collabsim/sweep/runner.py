"""The sweep runner: every design point times every replicate, streamed to disk, resumable.

Run ``i`` is replicate ``i % replicates`` of design point ``i // replicates``. Its seed is the
``i``-th child of ``numpy.random.SeedSequence(root_seed)`` (``SeedSequence(root_seed).spawn(n)``
has ``SeedSequence(root_seed, spawn_key=(i,))`` as child ``i``, so each seed is made when its run
is sent, without holding ``n`` children in memory), turned into the model's integer seed exactly
as :func:`collabsim.runner.spawn_seeds` does, and recorded with the run. A run is therefore a
pure function of the design, the base parameters and the root seed: every engine and number of
workers gives the same results.

Runs are grouped into chunks of ``chunk_size`` (the unit written to disk and resumed) and each
chunk into small batches (the unit sent to a worker). Batches go out through a bounded window
and finished ones are held only until their chunk is complete and written, so memory stays
bounded however many runs a sweep has.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.model import resolve_seed
from collabsim.outcomes import SUMMARY_KEYS
from collabsim.params import validate
from collabsim.results import check_writable, git_commit, provenance
from collabsim.runner import run_one
from collabsim.sweep.designs import Design, DesignError
from collabsim.sweep.engines import Engine, make_engine
from collabsim.sweep.store import SweepStore, load_results

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Sweep",
    "SweepRun",
    "execute",
    "run_batch",
    "run_seed",
    "run_sweep",
]

#: Runs per chunk file when a sweep does not say.
DEFAULT_CHUNK_SIZE = 1000
#: Most runs in one task sent to a worker.
MAX_BATCH = 16
#: Columns that identify a run.
ID_COLUMNS: tuple[str, ...] = ("run", "point", "rep", "seed")
#: Most runs in one sweep (run numbers stay far inside int64; a billion runs is already
#: years of CPU), and most chunk files (the runner lists the chunks still to do).
MAX_RUNS = 1_000_000_000
MAX_CHUNKS = 1_000_000


def run_seed(root_seed: int, run: int) -> int:
    """The integer seed of run ``run``: child ``run`` of ``SeedSequence(root_seed)``."""
    return resolve_seed(np.random.SeedSequence(root_seed, spawn_key=(run,)))


@dataclass(frozen=True)
class Sweep:
    """Everything that determines a sweep's results.

    Attributes:
        name: Short name (used for the folder).
        design: The design points.
        base: Fixed parameter values for every run (the design's factors override them).
        replicates: Runs per design point.
        root_seed: Root of every run's seed.
        chunk_size: Runs per chunk file.
        description: Free text stored with the results.
        source: Where the sweep was declared (a config path), for the record.
    """

    name: str
    design: Design
    base: Mapping[str, Any] = field(default_factory=dict)
    replicates: int = 1
    root_seed: int = 2025
    chunk_size: int = DEFAULT_CHUNK_SIZE
    description: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        for key, value, low in (
            ("replicates", self.replicates, 1),
            ("root_seed", self.root_seed, 0),
            ("chunk_size", self.chunk_size, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise DesignError(f"{key} = {value!r} is not valid: expected an integer >= {low}")
        if self.n_runs > MAX_RUNS:
            raise DesignError(
                f"replicates = {self.replicates:,} is not valid: {self.design.n_points:,} "
                f"points x {self.replicates:,} replicates = {self.n_runs:,} runs; at most "
                f"{MAX_RUNS:,} runs in one sweep"
            )
        if self.n_chunks > MAX_CHUNKS:
            raise DesignError(
                f"chunk_size = {self.chunk_size:,} is not valid: {self.n_runs:,} runs would "
                f"make {self.n_chunks:,} chunk files; at most {MAX_CHUNKS:,} (use a larger "
                f"chunk_size)"
            )
        inputs = [f.name for f in self.design.model_factors if f.role != "param"]
        if inputs:
            raise DesignError(
                f"a sweep runs the model, so every factor must be a declared parameter; "
                f"{inputs[0]!r} is not"
            )
        # The design's factors override the base: a scenario's value of a varied parameter.
        object.__setattr__(self, "base", validate(dict(self.base), partial=True))

    @property
    def n_runs(self) -> int:
        """Total runs (points times replicates)."""
        return self.design.n_points * self.replicates

    @property
    def n_chunks(self) -> int:
        """Number of chunk files."""
        return math.ceil(self.n_runs / self.chunk_size)

    def resolved_base(self) -> dict[str, Any]:
        """Every parameter's value before the design's factors are applied."""
        return validate(dict(self.base))

    def identity(self) -> dict[str, Any]:
        """What determines the results (hashed into the fingerprint)."""
        from collabsim import __version__

        return {
            "design": self.design.spec(),
            "design_digest": self.design.digest(),
            "base": self.resolved_base(),
            "replicates": int(self.replicates),
            "root_seed": int(self.root_seed),
            "chunk_size": int(self.chunk_size),
            "collabsim_version": __version__,
            "git_commit": git_commit(),
        }

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`identity`."""
        return _digest(self.identity())


def _need_bytes(sweep: Sweep, chunks: int) -> int:
    """Disk space that ``chunks`` chunks of ``sweep`` will take (a generous estimate).

    Measured Parquet chunks hold about 300 bytes per run plus about 15 kB per file.
    """
    runs = min(sweep.n_runs, chunks * sweep.chunk_size)
    return 500 * runs + 40_000 * chunks + 1_000_000


def _digest(identity: Mapping[str, Any]) -> str:
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_batch(payload: tuple[dict[str, Any], list[tuple[int, int, int, int, dict]]]) -> list[dict]:
    """Run a batch of runs in a worker; return one row (a dict) per run.

    Args:
        payload: ``(base, runs)`` with ``runs`` a list of ``(run, point, rep, seed, values)``.
    """
    base, runs = payload
    rows = []
    for run, point, rep, seed, values in runs:
        summary, _ = run_one({**base, **values}, seed, series=False)
        row = {"run": run, "point": point, "rep": rep, "seed": seed, **values}
        for key in SUMMARY_KEYS:
            row[key] = summary[key]
        rows.append(row)
    return rows


def _frame(rows: list[dict], design: Design) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    for col in ID_COLUMNS:
        df[col] = df[col].astype(np.int64)
    for f in design.model_factors:
        if f.kind == "choice":
            df[f.name] = df[f.name].astype(str)
        elif f.kind == "bool":
            df[f.name] = df[f.name].astype(bool)
        elif f.kind == "int":
            df[f.name] = df[f.name].astype(np.int64)
        else:
            df[f.name] = df[f.name].astype(np.float64)
    for key in SUMMARY_KEYS:
        if df[key].dtype == object:
            df[key] = df[key].astype(np.float64)
    return df


@dataclass
class SweepRun:
    """The outcome of :func:`execute`.

    Attributes:
        path: The final sweep folder.
        status: ``"complete"`` (ran to the end now) or ``"existing"`` (already complete).
        runs_now: Runs computed by this call.
        resumed_chunks: Chunks found complete when this call started.
        seconds: Wall time of this call.
    """

    path: Path
    status: str
    runs_now: int = 0
    resumed_chunks: int = 0
    seconds: float = 0.0


def _batches(sweep: Sweep, todo: list[int], batch: int) -> Iterator[tuple]:
    """Tasks ``((chunk, batch index), (base, runs))``, made lazily.

    Nothing per run or per point is held beyond the batches in flight.
    """
    base = sweep.resolved_base()
    reps = sweep.replicates
    for chunk in todo:
        first = chunk * sweep.chunk_size
        last = min(sweep.n_runs, first + sweep.chunk_size)
        for b, start in enumerate(range(first, last, batch)):
            stop = min(last, start + batch)
            p0 = start // reps
            values = sweep.design.point_values(p0, (stop - 1) // reps + 1)
            runs = []
            for run in range(start, stop):
                point, rep = divmod(run, reps)
                runs.append((run, point, rep, run_seed(sweep.root_seed, run), values[point - p0]))
            yield (chunk, b), (base, runs)


def execute(
    sweep: Sweep,
    out: Path | str = Path("results") / "sweeps",
    *,
    engine: str | Engine = "pool",
    workers: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
    progress: bool = True,
) -> SweepRun:
    """Run (or resume, or find) a sweep and leave its results in a sweep folder.

    Args:
        sweep: What to run.
        out: Parent folder of sweep folders.
        engine: ``"serial"``, ``"pool"``, ``"dask"``, or an :class:`Engine` (left running
            for the caller to close, so one engine can serve several sweeps).
        workers: Processes for the pool or a local Dask cluster (default: every core).
        dask: For the Dask engine: ``"local"``, a scheduler address or a ``Client``.
        start_method: Pool start method, ``"fork"`` or ``"forkserver"``.
        progress: Show a progress bar (runs, rate, ETA) on stderr.

    Returns:
        A :class:`SweepRun`; a sweep already complete is found, not run again.
    """
    t0 = time.perf_counter()
    identity = sweep.identity()
    fp = _digest(identity)
    store = SweepStore(out, sweep.name, fp)
    if store.is_complete():
        store.check_final()
        return SweepRun(store.final, "existing", seconds=time.perf_counter() - t0)
    # A full disk is reported now, not after hours of work.
    left = sweep.n_chunks - (len(store.completed()) if store.has_partial() else 0)
    check_writable(out, need_bytes=_need_bytes(sweep, left))
    meta = {
        **provenance(),
        "kind": "sweep",
        "name": sweep.name,
        "description": sweep.description,
        "source": sweep.source,
        "fingerprint": fp,
        "n_points": sweep.design.n_points,
        "n_runs": sweep.n_runs,
        "n_chunks": sweep.n_chunks,
        "seeds": "run i uses child i of numpy.random.SeedSequence(root_seed) (column 'seed')",
        **identity,
    }
    # An engine passed in belongs to the caller (it may serve several sweeps): it is started
    # if needed and left running. Either way it starts before the folder is created, so a
    # scheduler that cannot be reached leaves nothing behind.
    if isinstance(engine, Engine):
        eng, owned = engine, contextlib.nullcontext(engine)
        eng.start()
    else:
        eng = make_engine(engine, workers=workers, dask=dask, start_method=start_method)
        owned = eng
    with owned:
        resumed = store.open(meta, sweep.design.raw_frame())
        try:
            done = store.completed()
            todo = [c for c in range(sweep.n_chunks) if c not in done]
            store.add_session(
                {"engine": eng.describe(), "resumed": resumed, "chunks_done_at_start": len(done)}
            )
            runs_now = _run_chunks(sweep, store, eng, todo, len(done), progress)
            final = store.finalize(sweep.n_chunks, seconds_last_session=time.perf_counter() - t0)
        finally:
            store.close()
    return SweepRun(final, "complete", runs_now, len(done), time.perf_counter() - t0)


def _run_chunks(
    sweep: Sweep, store: SweepStore, eng: Engine, todo: list[int], n_done: int, progress: bool
) -> int:
    from tqdm import tqdm

    if not todo:
        return 0
    batch = max(1, min(MAX_BATCH, sweep.chunk_size, math.ceil(sweep.chunk_size / eng.workers)))
    runs_in = {
        c: min(sweep.n_runs, (c + 1) * sweep.chunk_size) - c * sweep.chunk_size for c in todo
    }
    already = sum(
        min(sweep.chunk_size, sweep.n_runs - c * sweep.chunk_size)
        for c in range(sweep.n_chunks)
        if c not in runs_in
    )
    buffers: dict[int, dict[int, list[dict]]] = {}
    counts: dict[int, int] = {}
    runs_now = 0
    bar = tqdm(
        total=sweep.n_runs,
        initial=already,
        unit="run",
        desc=sweep.name,
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
        mininterval=0.5,
    )
    try:
        for (chunk, b), rows in eng.imap(run_batch, _batches(sweep, todo, batch)):
            buffers.setdefault(chunk, {})[b] = rows
            counts[chunk] = counts.get(chunk, 0) + len(rows)
            runs_now += len(rows)
            bar.update(len(rows))
            if counts[chunk] == runs_in[chunk]:
                parts = buffers.pop(chunk)
                ordered = [r for k in sorted(parts) for r in parts[k]]
                store.write_chunk(chunk, _frame(ordered, sweep.design))
                del counts[chunk]
    finally:
        bar.close()
    return runs_now


def run_sweep(
    sweep: Sweep,
    out: Path | str = Path("results") / "sweeps",
    *,
    engine: str | Engine = "pool",
    workers: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
    progress: bool = True,
) -> pd.DataFrame:
    """Run (or resume, or find) a sweep and return every run as a DataFrame.

    The arguments are those of :func:`execute`. The returned frame has one row per run
    (``run``, ``point``, ``rep``, ``seed``, the varied parameters, every per-run outcome), in
    run order; ``df.attrs["folder"]`` is the sweep folder it was read from.
    """
    res = execute(
        sweep,
        out,
        engine=engine,
        workers=workers,
        dask=dask,
        start_method=start_method,
        progress=progress,
    )
    df = load_results(res.path)
    df.attrs["folder"] = str(res.path)
    return df
