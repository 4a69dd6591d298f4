"""The sweep store: killed sweeps resume to identical results; finished folders stay untouched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from collabsim.sweep import (
    Sweep,
    SweepError,
    execute,
    factors_from_params,
    load_results,
    load_sweep,
    make_design,
    read_metadata,
)
from collabsim.sweep.store import MANIFEST, SweepStore

CONFIG = """
[sweep]
name = "killme"
scenario = "baseline"
replicates = 2
root_seed = 4242
chunk_size = 4

[sweep.set]
weeks = 260

[design]
method = "lhs"
n = 400
params = ["turnover_rate", "navigator", "community_stages", "governance"]
"""


def _manifest_lines(partial: Path) -> int:
    path = partial / MANIFEST
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_sigkilled_sweep_resumes_to_the_uninterrupted_results(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "collabsim.cli",
        "sweep",
        str(cfg),
        "--out",
        str(out),
        "--workers",
        "2",
        "--no-progress",
    ]
    sweep = load_sweep(cfg)
    store = SweepStore(out, sweep.name, sweep.fingerprint())
    n_chunks = sweep.n_chunks  # 800 runs in 200 chunks

    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _manifest_lines(store.partial) < 3:
        assert proc.poll() is None, f"sweep ended before it could be killed: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "no chunk written in time"
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # killed mid-way: no final folder, a partial one with some (not all) chunks recorded
    assert not store.final.exists()
    done_before = store.completed()
    assert 3 <= len(done_before) < n_chunks
    stamps = {
        c: (store.partial / "chunks" / f"chunk-{c:06d}.parquet").stat().st_mtime_ns
        for c in done_before
    }

    # the same command continues where it stopped
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert store.final.is_dir() and not store.partial.exists()
    meta = read_metadata(store.final)
    assert [s["resumed"] for s in meta["sessions"]] == [False, True]
    assert meta["sessions"][1]["chunks_done_at_start"] == len(done_before)
    for c, stamp in stamps.items():  # finished chunks were kept, not recomputed
        assert (store.final / "chunks" / f"chunk-{c:06d}.parquet").stat().st_mtime_ns == stamp

    # ... and ends with the results of an uninterrupted run
    reference = execute(sweep, tmp_path / "ref", engine="serial", progress=False)
    pd.testing.assert_frame_equal(load_results(store.final), load_results(reference.path))
    assert len(load_results(store.final)) == sweep.n_runs


def tiny_sweep(chunk_size: int = 3) -> Sweep:
    design = make_design("lhs", factors_from_params(["loyalty", "navigator"]), n=5, seed=2)
    return Sweep(
        "tiny", design, base={"weeks": 12}, replicates=2, root_seed=5, chunk_size=chunk_size
    )


def test_a_finished_folder_is_never_overwritten(tmp_path):
    first = execute(tiny_sweep(), tmp_path, engine="serial", progress=False)
    assert first.status == "complete" and first.runs_now == 10
    files = sorted(first.path.rglob("*"))
    stamps = [f.stat().st_mtime_ns for f in files]
    again = execute(tiny_sweep(), tmp_path, engine="serial", progress=False)
    assert again.status == "existing" and again.path == first.path and again.runs_now == 0
    assert sorted(first.path.rglob("*")) == files
    assert [f.stat().st_mtime_ns for f in files] == stamps
    # another seed is another sweep, in a folder of its own
    other = execute(
        Sweep(
            "tiny", tiny_sweep().design, base={"weeks": 12}, replicates=2, root_seed=6, chunk_size=3
        ),
        tmp_path,
        engine="serial",
        progress=False,
    )
    assert other.path != first.path


def test_torn_manifest_line_and_corrupt_chunk_are_redone(tmp_path):
    sweep = tiny_sweep()
    ref = load_results(execute(sweep, tmp_path / "ref", engine="serial", progress=False).path)
    # simulate a crash: two chunks done, a torn manifest line, then a chunk damaged on disk
    store = SweepStore(tmp_path / "out", sweep.name, sweep.fingerprint())
    store.open({"fingerprint": sweep.fingerprint()}, sweep.design.raw_frame())
    store.write_chunk(0, ref.iloc[0:3].reset_index(drop=True))
    store.write_chunk(1, ref.iloc[3:6].reset_index(drop=True))
    with open(store.partial / MANIFEST, "a") as fh:
        fh.write('{"chunk": 2, "rows": 3, "sha')
    (store.partial / "chunks" / "chunk-000001.parquet").write_bytes(b"garbage")
    assert store.completed() == {0}
    store.close()
    res = execute(sweep, tmp_path / "out", engine="serial", progress=False)
    assert res.resumed_chunks == 1 and res.runs_now == 7
    pd.testing.assert_frame_equal(load_results(res.path), ref)


def test_a_running_sweep_is_locked(tmp_path):
    sweep = tiny_sweep()
    store = SweepStore(tmp_path, sweep.name, sweep.fingerprint())
    store.open({"fingerprint": sweep.fingerprint()}, sweep.design.raw_frame())
    try:
        with pytest.raises(SweepError, match="in use by another process"):
            execute(sweep, tmp_path, engine="serial", progress=False)
    finally:
        store.close()


def test_partial_folder_of_another_sweep_is_refused(tmp_path):
    sweep = tiny_sweep()
    store = SweepStore(tmp_path, sweep.name, sweep.fingerprint())
    store.partial.mkdir(parents=True)
    (store.partial / "metadata.json").write_text(json.dumps({"fingerprint": "other"}))
    with pytest.raises(SweepError, match="belongs to another sweep"):
        execute(sweep, tmp_path, engine="serial", progress=False)
