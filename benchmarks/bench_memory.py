"""Peak memory of long sweeps: results stream to disk, so memory does not grow with the runs.

Runs ``collabsim sweep`` in a child process on a Latin-hypercube design over the five key
actions (baseline scenario, short runs of ``--weeks`` weeks, ten replicates per point, chunks
of 1,000 runs) for each requested number of runs, and samples the memory of the whole process
tree (the command and its pool workers) every 0.2 s:

* peak tree RSS: the largest sum of resident set sizes seen (counts pages that forked workers
  share with the parent once per process, so it over-states the real use);
* peak tree PSS: the largest sum of proportional set sizes (shared pages divided among the
  processes that share them: the memory the sweep really takes);
* peak RSS of the command alone and of the largest worker (``getrusage``).

Usage::

    python benchmarks/bench_memory.py                                  # 1k, 10k, 100k runs
    python benchmarks/bench_memory.py --runs 2000 20000 --json results/bench/memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CONFIG = """
[sweep]
name = "memory-{runs}"
description = "Benchmark of peak memory: {runs} short runs streamed to disk."
scenario = "baseline"
replicates = {reps}
root_seed = 2025
chunk_size = 1000

[sweep.set]
weeks = {weeks}

[design]
method = "lhs"
n = {points}
params = ["prior_history", "navigator", "community_stages", "data_use", "joint_problem_solving"]
"""


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    kids: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _rollup(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in bytes (0, 0 if it is gone)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, pss


class Sampler(threading.Thread):
    """Samples the memory of a process tree until stopped."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak_rss = self.peak_pss = self.peak_processes = self.samples = 0
        self._done = threading.Event()

    def run(self) -> None:
        """Sample until :meth:`stop` is called."""
        while not self._done.is_set():
            pids = _tree(self.pid)
            mem = [_rollup(p) for p in pids]
            self.peak_rss = max(self.peak_rss, sum(m[0] for m in mem))
            self.peak_pss = max(self.peak_pss, sum(m[1] for m in mem))
            self.peak_processes = max(self.peak_processes, len(pids))
            self.samples += 1
            self._done.wait(self.every)

    def stop(self) -> None:
        """Stop sampling and wait for the thread."""
        self._done.set()
        self.join()


def measure(runs: int, weeks: int, workers: int, reps: int = 10) -> dict:
    """Run one sweep of ``runs`` runs in a child process; return its figures."""
    if runs % reps:
        raise SystemExit(f"--runs {runs} must be a multiple of {reps} (replicates per point)")
    with tempfile.TemporaryDirectory(prefix="collabsim-mem-") as tmp:
        cfg = Path(tmp) / "sweep.toml"
        cfg.write_text(CONFIG.format(runs=runs, reps=reps, points=runs // reps, weeks=weeks))
        cmd = [sys.executable, "-m", "collabsim.cli", "sweep", str(cfg), "--out", tmp]
        cmd += ["--workers", str(workers), "--no-progress"]
        log = Path(tmp) / "log"
        t0 = time.perf_counter()
        with open(log, "w") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
            sampler = Sampler(proc.pid)
            sampler.start()
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - t0
        sampler.stop()
        text = log.read_text()
        if proc.returncode != 0 or "results: " not in text:
            raise SystemExit(f"the sweep failed: {text.strip()}")
        folder = Path(text.split("results: ", 1)[1].splitlines()[0].strip())
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "runs": runs,
        "weeks": weeks,
        "workers": workers,
        "seconds": round(seconds, 1),
        "runs_per_second": round(runs / seconds, 1),
        "peak_tree_rss_mb": round(sampler.peak_rss / 1e6, 1),
        "peak_tree_pss_mb": round(sampler.peak_pss / 1e6, 1),
        "peak_command_rss_mb": round(ru.ru_maxrss * 1024 / 1e6, 1),
        "peak_largest_descendant_rss_mb": round(children.ru_maxrss * 1024 / 1e6, 1),
        "processes": sampler.peak_processes,
        "samples": sampler.samples,
        "results_on_disk_mb": round(size / 1e6, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, nargs="+", default=[1000, 10_000, 100_000])
    ap.add_argument("--weeks", type=int, default=10, help="weeks per run (default 10)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()
    rows = []
    for runs in args.runs:
        row = measure(runs, args.weeks, args.workers)
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"cpu_count": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
