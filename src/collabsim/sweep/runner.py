"""The sweep runner: every design point times every replicate, streamed to disk, resumable.

Run ``i`` is replicate ``i % replicates`` of design point ``i // replicates``. Its seed is the
``i``-th child of ``numpy.random.SeedSequence(root_seed)``, made when its run is sent
(:func:`collabsim.engine.child_seed`, the same seed as :func:`collabsim.engine.spawn_seeds`
gives ``collabsim run``), and recorded with the run. A run is therefore a pure function of the
design, the base parameters and the root seed: every engine and number of workers gives the
same results.

Runs are grouped into chunks of ``chunk_size``, the unit written to disk and resumed: the
engine (:meth:`collabsim.engine.Engine.map_groups`) sends them to workers in small batches
through a bounded window and hands back each chunk once complete, so memory stays bounded
however many runs a sweep has.

A sweep keeps one row per run. It can also keep chosen weekly series of every run
(``Sweep(..., series=["public_value", "cross_trust"], series_every=4)``, or ``series`` and
``series_every`` in the ``[sweep]`` table): each run's worker then returns the recorded weeks
``0, k, 2k, ...`` of those series as well, and they are stored beside the chunk they belong to
(see :mod:`collabsim.sweep.store`), so they resume and are checked like the rows.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.engine import Engine, child_seed, progress_bar, running
from collabsim.outcomes import SERIES_OUTCOMES, SUMMARY_KEYS
from collabsim.params import validate
from collabsim.results import check_writable, git_commit, provenance
from collabsim.runner import run_one
from collabsim.sweep.designs import Design, DesignError
from collabsim.sweep.store import SweepStore, load_results

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "Sweep",
    "SweepRun",
    "check_series",
    "execute",
    "run_record",
    "run_row",
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
#: The weekly series a sweep can keep, in their declared order.
SERIES_NAMES: tuple[str, ...] = tuple(o.name for o in SERIES_OUTCOMES)


#: The integer seed of run ``run``: child ``run`` of ``SeedSequence(root_seed)``.
run_seed = child_seed


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
        series: Weekly series to keep for every run (names of
            :data:`collabsim.outcomes.SERIES_OUTCOMES`, or ``"all"``); empty keeps none.
        series_every: Keep weeks ``0, k, 2k, ...`` of those series (``k = series_every``).
    """

    name: str
    design: Design
    base: Mapping[str, Any] = field(default_factory=dict)
    replicates: int = 1
    root_seed: int = 2025
    chunk_size: int = DEFAULT_CHUNK_SIZE
    description: str = ""
    source: str = ""
    series: Sequence[str] = ()
    series_every: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "series", check_series(self.series))
        for key, value, low in (
            ("replicates", self.replicates, 1),
            ("root_seed", self.root_seed, 0),
            ("chunk_size", self.chunk_size, 1),
            ("series_every", self.series_every, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
                raise DesignError(f"{key} = {value!r} is not valid: expected an integer >= {low}")
        if self.series_every != 1 and not self.series:
            raise DesignError(
                f"series_every = {self.series_every!r} is not valid without series: name the "
                f"weekly series to keep (series = [...]) or leave series_every out"
            )
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
            "series": list(self.series),
            "series_every": int(self.series_every),
            "collabsim_version": __version__,
            "git_commit": git_commit(),
        }

    def fingerprint(self) -> str:
        """SHA-256 of :meth:`identity`."""
        return _digest(self.identity())


def check_series(series: Any, key: str = "series") -> tuple[str, ...]:
    """Validate the weekly series a sweep keeps; return their names.

    Args:
        series: A sequence of names of :data:`collabsim.outcomes.SERIES_OUTCOMES`, ``"all"``
            (every declared series) or empty (none).
        key: The name given in error messages (a TOML key with its table, say).

    Raises:
        DesignError: not a list of names, an undeclared name or a name given twice; the
            message names the key, the value and the valid names.
    """
    valid = ", ".join(SERIES_NAMES)
    if isinstance(series, str):
        if series == "all":
            return SERIES_NAMES
        raise DesignError(
            f"{key} = {series!r} is not valid: expected a list of weekly series names or "
            f"'all' (valid names: {valid})"
        )
    try:
        names = list(series)
    except TypeError:
        raise DesignError(
            f"{key} = {series!r} is not valid: expected a list of weekly series names or "
            f"'all' (valid names: {valid})"
        ) from None
    for name in names:
        if not isinstance(name, str) or name not in SERIES_NAMES:
            raise DesignError(
                f"{key} = {series!r} is not valid: {name!r} is not a declared weekly series "
                f"(valid names: {valid})"
            )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DesignError(f"{key} = {series!r} is not valid: {twice[0]!r} is named twice")
    return tuple(names)


def _horizon(sweep: Sweep) -> int:
    """Most weeks a run of ``sweep`` can last."""
    base = int(sweep.resolved_base().get("weeks", 520))
    varied = [f for f in sweep.design.model_factors if f.name == "weeks"]
    highs = [f.high for f in varied if f.high is not None]
    return max(
        [base, *(math.ceil(h) for h in highs), *(math.ceil(v) for f in varied for v in f.levels)]
    )


def _need_bytes(sweep: Sweep, chunks: int) -> int:
    """Disk space that ``chunks`` chunks of ``sweep`` will take (a generous estimate).

    Measured Parquet chunks hold about 300 bytes per run plus about 15 kB per file; kept
    series take at most 8 bytes per value (doubles) plus 16 for the run and week of each row.
    """
    runs = min(sweep.n_runs, chunks * sweep.chunk_size)
    need = 500 * runs + 40_000 * chunks + 1_000_000
    if sweep.series:
        weeks = _horizon(sweep) // sweep.series_every + 1
        need += runs * weeks * (16 + 8 * len(sweep.series)) + 40_000 * chunks
    return need


def _digest(identity: Mapping[str, Any]) -> str:
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_row(base: Mapping[str, Any], run: tuple[int, int, int, int, dict]) -> dict:
    """Run one run of a sweep in a worker; return its row (a dict).

    Args:
        base: Fixed parameter values.
        run: ``(run, point, rep, seed, values)``.
    """
    return run_record(base, run)[0]


def run_record(
    base: Mapping[str, Any],
    run: tuple[int, int, int, int, dict],
    *,
    series: tuple[str, ...] = (),
    every: int = 1,
) -> tuple[dict, dict[str, np.ndarray] | None]:
    """Run one run of a sweep in a worker; return its row and its kept weekly series.

    Args:
        base: Fixed parameter values.
        run: ``(run, point, rep, seed, values)``.
        series: Weekly series to keep (none: the series are not computed).
        every: Keep weeks ``0, every, 2 * every, ...``.

    Returns:
        ``(row, series)``: the row of :func:`run_row`, and ``{"week": weeks, name: values}``
        taken from the model's own :meth:`~collabsim.model.CollaborationModel.timeseries`
        (None when no series is kept).
    """
    i, point, rep, seed, values = run
    summary, ts = run_one({**base, **values}, seed, series=bool(series))
    row = {"run": i, "point": point, "rep": rep, "seed": seed, **values}
    for key in SUMMARY_KEYS:
        row[key] = summary[key]
    if not series:
        return row, None
    kept = ts.iloc[::every]
    return row, {col: kept[col].to_numpy(copy=True) for col in ("week", *series)}


def _series_frame(runs: list[int], kept: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """The tidy series of a chunk: one row per run and kept week (``run``, ``week``, series)."""
    lengths = [len(k["week"]) for k in kept]
    out = {"run": np.repeat(np.asarray(runs, dtype=np.int64), lengths)}
    for col in kept[0]:
        out[col] = np.concatenate([k[col] for k in kept])
    df = pd.DataFrame(out)
    df["week"] = df["week"].astype(np.int64)
    return df


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


def _chunks(sweep: Sweep, todo: list[int]) -> Iterator[tuple[int, list[tuple]]]:
    """``(chunk, runs)`` for every chunk to do, made lazily (one chunk at a time)."""
    reps = sweep.replicates
    for chunk in todo:
        first = chunk * sweep.chunk_size
        last = min(sweep.n_runs, first + sweep.chunk_size)
        p0 = first // reps
        values = sweep.design.point_values(p0, (last - 1) // reps + 1)
        runs = []
        for run in range(first, last):
            point, rep = divmod(run, reps)
            runs.append((run, point, rep, child_seed(sweep.root_seed, run), values[point - p0]))
        yield chunk, runs


def execute(
    sweep: Sweep,
    out: Path | str = Path("results") / "sweeps",
    *,
    engine: str | Engine | Executor | None = "pool",
    workers: int | None = None,
    dask: Any = None,
    start_method: str = "fork",
    progress: bool = True,
) -> SweepRun:
    """Run (or resume, or find) a sweep and leave its results in a sweep folder.

    Args:
        sweep: What to run.
        out: Parent folder of sweep folders.
        engine: ``"serial"``, ``"pool"``, ``"dask"``, any
            :class:`concurrent.futures.Executor`, an :class:`~collabsim.engine.Engine` (left
            running for the caller to close, so one engine can serve several sweeps), or None
            (a pool of ``workers``, this process if that is one).
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
    with running(
        engine, workers=workers, tasks=sweep.n_runs, dask=dask, start_method=start_method
    ) as eng:
        resumed = store.open(meta, sweep.design.raw_frame())
        try:
            done = store.completed()
            todo = [c for c in range(sweep.n_chunks) if c not in done]
            store.add_session(
                {"engine": eng.describe(), "resumed": resumed, "chunks_done_at_start": len(done)}
            )
            size, runs_now = sweep.chunk_size, 0
            batch = max(1, min(MAX_BATCH, size, math.ceil(size / eng.workers)))
            done_runs = sweep.n_runs - sum(min(size, sweep.n_runs - c * size) for c in todo)
            task = partial(
                run_record, sweep.resolved_base(), series=sweep.series, every=sweep.series_every
            )
            bar = progress_bar(sweep.n_runs, sweep.name, enabled=progress, initial=done_runs)
            with bar:
                for chunk, records in eng.map_groups(task, _chunks(sweep, todo), batch, bar.update):
                    rows = [r for r, _ in records]
                    kept = None
                    if sweep.series:
                        kept = _series_frame([r["run"] for r in rows], [k for _, k in records])
                    store.write_chunk(chunk, _frame(rows, sweep.design), series=kept)
                    runs_now += len(rows)
            final = store.finalize(sweep.n_chunks, seconds_last_session=time.perf_counter() - t0)
        finally:
            store.close()
    return SweepRun(final, "complete", runs_now, len(done), time.perf_counter() - t0)


def run_sweep(
    sweep: Sweep, out: Path | str = Path("results") / "sweeps", **kwargs: Any
) -> pd.DataFrame:
    """Run (or resume, or find) a sweep and return every run as a DataFrame.

    The arguments are those of :func:`execute`. The returned frame has one row per run
    (``run``, ``point``, ``rep``, ``seed``, the varied parameters, every per-run outcome), in
    run order; ``df.attrs["folder"]`` is the sweep folder it was read from.
    """
    res = execute(sweep, out, **kwargs)
    df = load_results(res.path)
    df.attrs["folder"] = str(res.path)
    return df
