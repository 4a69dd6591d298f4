"""Determinism across processes and engines: the same sweep gives byte-identical chunk files.

Serial, process-pool (fork and forkserver) and Dask engines are compared in one process by
``tests/test_sweep_engines.py``; here two fresh processes, with different hash seeds and
different engines, run the same sweep declaration and must write the very same bytes. Re-running
any single run from its folder is tested in ``tests/test_reproduce.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from collabsim.sweep import load_results, load_sweep, read_metadata
from collabsim.sweep.store import MANIFEST, SweepStore

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """
[sweep]
name = "same-bytes"
scenario = "baseline"
replicates = 3
root_seed = 31337
chunk_size = 7

[sweep.set]
weeks = 20

[design]
method = "sobol"
n = 4
params = ["turnover_rate", "navigator", "governance", "diversity"]
"""


def test_two_processes_with_different_engines_write_identical_results(tmp_path):
    cfg = tmp_path / "sweep.toml"
    cfg.write_text(CONFIG)
    sweep = load_sweep(cfg)
    folders = []
    for hash_seed, engine in (("1", ["--serial"]), ("2", ["--workers", "2"])):
        out = tmp_path / f"out-{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = ["sweep", str(cfg), "--out", str(out), *engine, "--no-progress"]
        subprocess.run(
            [sys.executable, "-m", "collabsim.cli", *command],
            check=True,
            cwd=ROOT,
            env=env,
            capture_output=True,
        )
        folders.append(SweepStore(out, sweep.name, sweep.fingerprint()).final)
    a, b = folders
    # the same chunk checksums, hence the same bytes on disk, whichever engine wrote them
    lines = [sorted((f / MANIFEST).read_text().splitlines()) for f in folders]
    assert lines[0] == lines[1] and len(lines[0]) == sweep.n_chunks
    df = load_results(a)
    pd.testing.assert_frame_equal(df, load_results(b))
    assert len(df) == sweep.n_runs and df["seed"].is_unique
    engines = [read_metadata(f)["sessions"][0]["engine"]["engine"] for f in folders]
    assert engines == ["serial", "pool"]
