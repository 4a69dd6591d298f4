"""The on-disk run folder of a sweep: chunked Parquet results, a manifest, resumable, add-only.

Layout of a sweep folder (``<parent>/<name>-<fingerprint>``)::

    metadata.json        version, git commit, design, root seed, base parameters, sessions
    design.parquet       the design matrix (one row per point, SALib encoding)
    manifest.jsonl       one line per completed chunk: {"chunk": i, "rows": n, "sha256": ...}
    chunks/chunk-000000.parquet ...   the runs, in run order, ``chunk_size`` runs per file
    series/series-000000.parquet ...  kept weekly series of the same runs (only if kept)

A sweep that keeps weekly series (``series`` in the sweep) writes a second Parquet file per
chunk, in tidy form: one row per run and kept week, with columns ``run``, ``week`` and one per
kept series, in run and week order. A separate file rather than list columns in the chunk,
because: every reader of the per-run rows (:func:`load_results`, the summary, sensitivity
analysis, ``collabsim discover``) reads the chunks as before and never pays for the series; a
tidy file can be read by any Parquet tool (pyarrow, duckdb, Dask) without unnesting lists,
one series at a time (the format is columnar); and a series file is written, checked and
resumed exactly like its chunk. Its checksum goes into the same manifest line
(``series_sha256``), so a chunk counts as done only when both of its files are present and
intact.

While a sweep runs, everything lives in a hidden ``.<name>-<fingerprint>.partial`` folder next
to it. Each chunk is written to a temporary file and renamed into place (atomic), then its line
is appended to the manifest and flushed to disk; a torn last line is ignored when the manifest
is read, and a chunk whose file is missing or differs from its recorded checksum is simply run
again. Only when every chunk is present is the folder renamed to its final name, so a final
folder always holds a complete sweep, and it is never written again. The fingerprint hashes
everything that determines the results (design, base parameters, replicates, root seed, chunk
size, collabsim version and git commit), so the same command finds its own partial folder and
resumes it, while any change starts a new folder. An exclusive lock on the partial folder stops
two processes from running the same sweep at once.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import hashlib
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.results import OutputError, atomic_write_bytes, check_writable, write_json

__all__ = [
    "SweepError",
    "SweepStore",
    "kept_series",
    "load_design",
    "load_results",
    "load_series",
    "read_metadata",
]

CHUNK_DIR = "chunks"
SERIES_DIR = "series"
MANIFEST = "manifest.jsonl"
METADATA = "metadata.json"
DESIGN = "design.parquet"


class SweepError(OutputError):
    """A sweep folder cannot be used (in use, inconsistent, incomplete); the message says why."""


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def chunk_name(index: int) -> str:
    """File name of chunk ``index``."""
    return f"chunk-{index:06d}.parquet"


def series_name(index: int) -> str:
    """File name of the kept series of chunk ``index``."""
    return f"series-{index:06d}.parquet"


class SweepStore:
    """The folder of one sweep, identified by its name and fingerprint.

    Args:
        parent: Folder that holds sweep folders (created if needed).
        name: Sweep name (made safe for a file name).
        fingerprint: Hex digest identifying the sweep's results (see the module docstring).
    """

    def __init__(self, parent: Path | str, name: str, fingerprint: str) -> None:
        self.parent = Path(parent)
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:60] or "sweep"
        self.fingerprint = fingerprint
        self.folder_name = f"{safe}-{fingerprint[:12]}"
        self.final = self.parent / self.folder_name
        self.partial = self.parent / f".{self.folder_name}.partial"
        self._lock: Any = None

    # ------------------------------------------------------------------ state
    def is_complete(self) -> bool:
        """True when the final folder exists (a finished sweep: never written again)."""
        return _is_file(self.final / METADATA)

    def check_final(self) -> None:
        """Check that the final folder holds this very sweep (its full fingerprint).

        Raises:
            SweepError: the folder belongs to another sweep.
        """
        found = read_metadata(self.final).get("fingerprint")
        if found != self.fingerprint:
            raise SweepError(
                f"sweep folder {str(self.final)!r} holds another sweep (fingerprint {found!r})"
            )

    def has_partial(self) -> bool:
        """True when an interrupted run of this sweep left a partial folder."""
        return _is_file(self.partial / METADATA)

    def open(self, metadata: dict[str, Any], design: pd.DataFrame) -> bool:
        """Create the partial folder, or reopen it to resume; lock it.

        Args:
            metadata: Written to ``metadata.json`` for a new sweep (must hold ``fingerprint``).
            design: Written to ``design.parquet`` for a new sweep.

        Returns:
            True if an existing partial folder was reopened (a resume).

        Raises:
            SweepError: the folder belongs to another sweep or another process is using it.
        """
        check_writable(self.parent)
        resumed = self.has_partial()
        if resumed:
            old = read_metadata(self.partial)
            if old.get("fingerprint") != self.fingerprint:
                raise SweepError(
                    f"partial sweep folder {str(self.partial)!r} belongs to another sweep "
                    f"(fingerprint {old.get('fingerprint')!r}); move it away to start afresh"
                )
        else:
            self.partial.mkdir(exist_ok=True)
        self._acquire_lock()
        (self.partial / CHUNK_DIR).mkdir(exist_ok=True)
        if resumed:  # temporary files of a killed process (the lock says none is running)
            for tmp in [
                *self.partial.glob(".*.tmp-*"),
                *self.partial.glob(f"{CHUNK_DIR}/.*.tmp-*"),
                *self.partial.glob(f"{SERIES_DIR}/.*.tmp-*"),
            ]:
                with contextlib.suppress(OSError):
                    tmp.unlink()
        if not resumed:
            buf = io.BytesIO()
            design.to_parquet(buf, index=False)
            atomic_write_bytes(self.partial / DESIGN, buf.getvalue())
            write_json(self.partial / METADATA, {**metadata, "status": "running", "sessions": []})
        return resumed

    def _acquire_lock(self) -> None:
        fh = open(self.partial / ".lock", "a+")  # held until close()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise SweepError(
                f"sweep folder {str(self.partial)!r} is in use by another process; wait for it "
                f"to finish or stop it first"
            ) from None
        self._lock = fh

    def close(self) -> None:
        """Release the lock (the partial folder stays for a later resume)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                self._lock.close()
            self._lock = None

    def metadata(self) -> dict[str, Any]:
        """The partial folder's current metadata."""
        return read_metadata(self.partial)

    def update_metadata(self, **changes: Any) -> None:
        """Rewrite ``metadata.json`` atomically with ``changes`` applied."""
        meta = self.metadata()
        meta.update(changes)
        write_json(self.partial / METADATA, meta)

    def add_session(self, info: dict[str, Any]) -> None:
        """Record a session (a start or a resume) in the metadata."""
        meta = self.metadata()
        meta.setdefault("sessions", []).append({"started": _now(), **info})
        write_json(self.partial / METADATA, meta)

    # ------------------------------------------------------------------ chunks
    def completed(self) -> set[int]:
        """Chunks recorded in the manifest whose files are present and match their checksums."""
        done: set[int] = set()
        for entry in _read_manifest(self.partial / MANIFEST):
            index = int(entry["chunk"])
            path = self.partial / CHUNK_DIR / chunk_name(index)
            if not (path.is_file() and _sha256(path) == entry["sha256"]):
                continue
            if "series_sha256" in entry:
                path = self.partial / SERIES_DIR / series_name(index)
                if not (path.is_file() and _sha256(path) == entry["series_sha256"]):
                    continue
            done.add(index)
        return done

    def write_chunk(
        self, index: int, frame: pd.DataFrame, series: pd.DataFrame | None = None
    ) -> None:
        """Write chunk ``index`` atomically, then record it in the manifest (flushed to disk).

        Args:
            index: Chunk number.
            frame: Its runs, one row each.
            series: Its kept weekly series (tidy: ``run``, ``week``, one column per series),
                written first, atomically, to its own file; None when the sweep keeps none.
        """
        record: dict[str, Any] = {"chunk": index}
        if series is not None:
            (self.partial / SERIES_DIR).mkdir(exist_ok=True)
            sdata = _parquet_bytes(series)
            atomic_write_bytes(self.partial / SERIES_DIR / series_name(index), sdata)
            record["series_rows"] = len(series)
            record["series_sha256"] = hashlib.sha256(sdata).hexdigest()
        data = _parquet_bytes(frame)
        atomic_write_bytes(self.partial / CHUNK_DIR / chunk_name(index), data)
        record.update(rows=len(frame), sha256=hashlib.sha256(data).hexdigest())
        line = json.dumps(record)
        try:
            with open(self.partial / MANIFEST, "a") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            reason = (exc.strerror or str(exc)).lower()
            raise OutputError(f"cannot write {str(self.partial / MANIFEST)!r}: {reason}") from None

    def finalize(self, n_chunks: int, **changes: Any) -> Path:
        """Check every chunk is present, mark the sweep complete and rename it into place.

        Raises:
            SweepError: chunks are missing, or a final folder of this name already exists.
        """
        missing = sorted(set(range(n_chunks)) - self.completed())
        if missing:
            raise SweepError(
                f"sweep in {str(self.partial)!r} is incomplete: {len(missing)} of {n_chunks} "
                f"chunks missing"
            )
        self.update_metadata(status="complete", completed=_now(), **changes)
        if self.final.exists():
            raise SweepError(
                f"sweep folder {str(self.final)!r} already exists; it is never overwritten"
            )
        os.rename(self.partial, self.final)
        self.close()
        with contextlib.suppress(OSError):
            (self.final / ".lock").unlink()
        return self.final


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a path the system cannot look up (e.g. too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _read_manifest(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    out = []
    with open(path) as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # torn last line of a crashed run
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(entry, dict) and {"chunk", "sha256"} <= entry.keys():
                out.append(entry)
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_metadata(folder: Path | str) -> dict[str, Any]:
    """The ``metadata.json`` of a sweep folder.

    Raises:
        SweepError: the folder is not a sweep folder.
    """
    path = Path(folder) / METADATA
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{str(folder)!r} is not a sweep folder (no {METADATA})") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise SweepError(f"cannot read {str(path)!r}: {exc}") from None


def load_design(folder: Path | str) -> pd.DataFrame:
    """The design matrix stored with a sweep (one row per point, SALib encoding)."""
    return pd.read_parquet(Path(folder) / DESIGN)


def load_results(folder: Path | str, columns: list[str] | None = None) -> pd.DataFrame:
    """Every run of a sweep folder (complete or partial), in run order.

    Args:
        folder: A sweep folder (or a partial one, to look at what is done so far).
        columns: Only these columns (reads less from disk).

    Returns:
        One row per run: ``run``, ``point``, ``rep``, ``seed``, the varied parameters and
        every per-run outcome.
    """
    folder = Path(folder)
    read_metadata(folder)
    files = sorted((folder / CHUNK_DIR).glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame(columns=columns)
    cols = None if columns is None else list(dict.fromkeys(["run", *columns]))
    df = pd.concat([pd.read_parquet(f, columns=cols) for f in files], ignore_index=True)
    df = df.sort_values("run", kind="stable").reset_index(drop=True)
    return df if columns is None else df[columns]


def kept_series(folder: Path | str) -> tuple[str, ...]:
    """The weekly series a sweep folder keeps (empty if none), from its metadata."""
    return tuple(read_metadata(folder).get("series", ()))


def load_series(
    folder: Path | str,
    name: str | Sequence[str],
    *,
    wide: bool = False,
    runs: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Kept weekly series of a sweep folder (complete or partial), read chunk by chunk.

    Join them to the varied parameters with ``load_results(folder, columns=["run", ...])``
    on ``run``.

    Args:
        folder: A sweep folder that kept series (``series`` in the sweep).
        name: One kept series, or several (tidy form only).
        wide: One row per run (index ``run``) and one column per kept week, for one series;
            NaN at weeks after a run ended (a collaboration that perished stops recording).
        runs: Only these run numbers (each chunk is filtered as it is read, so memory holds
            only what is asked for).

    Returns:
        Tidy: one row per run and kept week, columns ``run``, ``week`` and the series, in run
        and week order. Wide: see ``wide``.

    Raises:
        SweepError: the sweep kept no series, or not this one (the message names those kept).
    """
    folder = Path(folder)
    names = [name] if isinstance(name, str) else list(name)
    kept = kept_series(folder)
    for n in names:
        if n not in kept:
            hint = (
                f"it kept {', '.join(kept)}"
                if kept
                else "it kept none (add series = [...] to the sweep's [sweep] table)"
            )
            raise SweepError(f"series {n!r} was not kept by the sweep in {str(folder)!r}: {hint}")
    if wide and len(names) != 1:
        raise SweepError(f"wide = True needs one series, not {names!r}")
    wanted = None if runs is None else pd.Index(np.unique(np.fromiter(runs, dtype=np.int64)))
    parts = []
    for f in sorted((folder / SERIES_DIR).glob("series-*.parquet")):
        df = pd.read_parquet(f, columns=["run", "week", *names])
        if wanted is not None:
            df = df[df["run"].isin(wanted)]
        if wide:
            df = df.pivot(index="run", columns="week", values=names[0])
        parts.append(df)
    if not parts:
        if wide:
            return pd.DataFrame(index=pd.Index([], name="run", dtype=np.int64))
        return pd.DataFrame(
            {c: pd.Series(dtype=np.int64) for c in ("run", "week")}
            | {n: pd.Series(dtype=float) for n in names}
        )
    if wide:
        out = pd.concat(parts).sort_index(kind="stable")
        return out.reindex(columns=sorted(out.columns))
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["run", "week"], kind="stable", ignore_index=True)
