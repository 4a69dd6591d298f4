"""Fault injection at scale: many kills, interrupts and full disks; count what was lost.

The tests in ``tests/test_reliability_faults.py`` inject a few faults on every CI run; this
script injects many and writes the figures quoted in ``docs/reliability.md``:

1. ``collabsim run`` killed with SIGKILL at a uniformly random moment of its run (start-up,
   simulation, writing, renaming): every folder under a final name must be complete and equal
   to an uninterrupted run; the temporary folders the killed runs leave are counted and must
   be removed by the next run.
2. ``collabsim run`` interrupted by SIGINT to its process group (a terminal's Ctrl-C) at a
   random moment: exit status 130, and what was saved (a folder marked incomplete, or the
   complete result) must equal the first replicates of an uninterrupted run.
3. ``collabsim sweep`` killed again and again at random moments (after a random number of
   chunks, plus up to 0.3 s) until it completes: every chunk its manifest records must be whole
   after each kill, and the completed sweep must equal an uninterrupted one.
4. A full disk (``os.write`` fails with ENOSPC) at every chunk of a sweep in turn: the command
   exits with status 2 and one line, keeps the finished chunks, and resumes to the same results.

Usage::

    python experiments/fault_injection.py                  # 60 + 30 + 60 + every chunk
    python experiments/fault_injection.py --run-kills 200 --json results/reliability/faults.json
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from collabsim.cli import main as cli_main
from collabsim.sweep import execute, load_results, load_sweep
from collabsim.sweep.store import MANIFEST, SweepStore

CLI = [sys.executable, "-m", "collabsim.cli"]
RUN = ["run", "louisville", "--reps", "8", "--steps", "52", "--seed", "11", "--workers", "2"]
SWEEP = """
[sweep]
name = "fault-injection"
scenario = "baseline"
replicates = 4
root_seed = 99
chunk_size = {chunk}

[sweep.set]
weeks = {weeks}

[design]
method = "lhs"
n = {n}
params = ["turnover_rate", "navigator", "community_stages", "governance"]
"""


def _finals(parent: Path) -> list[Path]:
    return (
        sorted(p for p in parent.iterdir() if not p.name.startswith(".")) if parent.exists() else []
    )


def _hidden(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if p.name.startswith(".")) if parent.exists() else []


def _frames(folder: Path) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    meta = json.loads((folder / "metadata.json").read_text())
    return meta, pd.read_csv(folder / "summary.csv"), pd.read_parquet(folder / "timeseries.parquet")


def _matches(folder: Path, reference: Path) -> bool:
    """True if ``folder`` holds the first runs of ``reference``, identical (complete or not)."""
    meta, summ, ts = _frames(folder)
    rmeta, rsumm, rts = _frames(reference)
    k = meta["runs_finished"]
    if meta["complete"] != (k == rmeta["runs_finished"]) or meta["seeds"] != rmeta["seeds"]:
        return False
    try:
        pd.testing.assert_frame_equal(summ, rsumm.iloc[:k].reset_index(drop=True))
        pd.testing.assert_frame_equal(ts, rts[rts["rep"] < k].reset_index(drop=True))
    except AssertionError:
        return False
    return True


def run_kills(trials: int, rng: random.Random, tmp: Path) -> dict:
    ref = tmp / "ref"
    t0 = time.monotonic()
    subprocess.run(
        [*CLI, *RUN, "--no-progress", "--out", str(ref)], check=True, capture_output=True
    )
    duration = time.monotonic() - t0
    (reference,) = _finals(ref)
    out = tmp / "killed"
    complete_found = bad = 0
    for _ in range(trials):
        proc = subprocess.Popen(
            [*CLI, *RUN, "--no-progress", "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration))
        proc.kill()
        proc.wait()
        finals = _finals(out)
        bad += sum(not _matches(f, reference) for f in finals)
        complete_found = len(finals)
    left = len(_hidden(out))
    subprocess.run(
        [*CLI, *RUN, "--no-progress", "--out", str(out)], check=True, capture_output=True
    )
    after = len(_hidden(out))
    bad += sum(not _matches(f, reference) for f in _finals(out))
    return {
        "trials": trials,
        "seconds_per_uninterrupted_run": round(duration, 2),
        "killed_after_the_final_rename": complete_found,
        "temporary_folders_left_by_kills": left,
        "temporary_folders_left_after_next_run": after,
        "corrupt_or_different_results": bad,
    }


def run_interrupts(trials: int, rng: random.Random, tmp: Path) -> dict:
    ref = tmp / "ref-int"
    t0 = time.monotonic()
    subprocess.run(
        [*CLI, *RUN, "--no-progress", "--out", str(ref)], check=True, capture_output=True
    )
    duration = time.monotonic() - t0
    (reference,) = _finals(ref)
    outcome = {"nothing_finished": 0, "saved_incomplete": 0, "saved_complete": 0, "other": 0}
    bad = 0
    for i in range(trials):
        out = tmp / f"int-{i}"
        proc = subprocess.Popen(
            [*CLI, *RUN, "--no-progress", "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.0, duration))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        finals = _finals(out)
        if _hidden(out) or len(finals) > 1 or b"Traceback" in err:
            bad += 1
        if not finals:
            key = "nothing_finished"
        else:
            key = "saved_complete" if "-incomplete-" not in finals[0].name else "saved_incomplete"
            bad += not _matches(finals[0], reference)
        if proc.returncode not in (0, 130):
            key = "other"
        outcome[key] += 1
    return {"trials": trials, **outcome, "lost_or_inconsistent": bad}


def _recorded(store: SweepStore) -> set[int]:
    path = store.partial / MANIFEST
    if not path.exists():
        return set()
    return {
        json.loads(x)["chunk"]
        for x in path.read_text().splitlines(keepends=True)
        if x.endswith("}\n")
    }


def sweep_kills(kills: int, rng: random.Random, tmp: Path) -> dict:
    cfg = tmp / "sweep.toml"
    cfg.write_text(SWEEP.format(chunk=10, weeks=40, n=150))
    sweep = load_sweep(cfg)
    out = tmp / "sweeps"
    store = SweepStore(out, sweep.name, sweep.fingerprint())
    cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--workers", "2", "--no-progress"]
    done_kills = inconsistent = restarts = 0
    while True:
        if store.final.exists():
            break
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        restarts += 1
        if done_kills < kills:
            target = rng.randrange(sweep.n_chunks)
            while proc.poll() is None and len(_recorded(store)) < target:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            if proc.poll() is None:
                proc.kill()
                proc.wait()
                done_kills += 1
                inconsistent += store.completed() != _recorded(store)
                continue
        proc.wait()
    reference = execute(sweep, tmp / "ref-sweep", engine="pool", workers=2, progress=False)
    same = load_results(store.final).equals(load_results(reference.path))
    return {
        "kills": done_kills,
        "processes_started": restarts,
        "runs": sweep.n_runs,
        "chunks": sweep.n_chunks,
        "manifest_inconsistent_after_a_kill": inconsistent,
        "final_equals_uninterrupted": bool(same),
    }


def sweep_full_disk(tmp: Path) -> dict:
    cfg = tmp / "disk.toml"
    cfg.write_text(SWEEP.format(chunk=5, weeks=20, n=20))
    sweep = load_sweep(cfg)
    reference = load_results(execute(sweep, tmp / "ref-disk", engine="serial", progress=False).path)
    real_write = os.write
    ok = 0
    for fail_at in range(sweep.n_chunks):
        out = tmp / f"disk-{fail_at}"
        count = {"chunks": 0}

        def write(fd: int, data, fail_at=fail_at, out=out, count=count) -> int:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if target.startswith(str(out)) and "/chunks/" in target:
                if count["chunks"] == fail_at:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                count["chunks"] += 1
            return real_write(fd, data)

        args = ["sweep", str(cfg), "--serial", "--no-progress", "--out", str(out)]
        err = io.StringIO()
        os.write = write
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
                code = cli_main(args)
        finally:
            os.write = real_write
        text = err.getvalue()
        kept = SweepStore(out, sweep.name, sweep.fingerprint()).completed()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            again = cli_main(args)
        final = SweepStore(out, sweep.name, sweep.fingerprint()).final
        ok += (
            code == 2
            and text.count("\n") == 1
            and "no space left on device" in text
            and len(kept) == fail_at
            and again == 0
            and load_results(final).equals(reference)
        )
    return {"faults": sweep.n_chunks, "kept_finished_chunks_and_resumed_identically": ok}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-kills", type=int, default=60)
    ap.add_argument("--run-interrupts", type=int, default=30)
    ap.add_argument("--sweep-kills", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    report = {}
    with tempfile.TemporaryDirectory(prefix="collabsim-faults-") as tmp:
        t = Path(tmp)
        for name, fn in (
            ("run_sigkill", lambda: run_kills(args.run_kills, rng, t)),
            ("run_ctrl_c", lambda: run_interrupts(args.run_interrupts, rng, t)),
            ("sweep_sigkill", lambda: sweep_kills(args.sweep_kills, rng, t)),
            ("sweep_full_disk", lambda: sweep_full_disk(t)),
        ):
            t0 = time.perf_counter()
            report[name] = {**fn(), "seconds": round(time.perf_counter() - t0, 1)}
            print(name, json.dumps(report[name]), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
