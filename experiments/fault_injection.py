"""Fault injection at scale: many kills, interrupts and full disks; count what was lost.

The tests in ``tests/test_reliability_faults.py`` inject a few faults on every CI run; this
script injects many and writes the figures quoted in ``docs/reliability.md``:

1. ``collabsim run`` killed with SIGKILL at a uniformly random moment of its run (start-up,
   simulation, writing, renaming): every folder under a final name must be complete and equal
   to an uninterrupted run; the temporary folders the killed runs leave are counted and must
   be removed by the next run.
2. ``collabsim run`` interrupted by SIGINT to its process group (a terminal's Ctrl-C) at a
   random moment: exit status 130 and one line, and what was saved (a folder marked incomplete,
   or the complete result) must equal the first replicates of an uninterrupted run. The
   outcomes are counted, including the windows that belong to Python itself: its first
   milliseconds (before it installs its Ctrl-C handler: the process ends silently), its first
   tenth of a second (before collabsim's first line runs: Python's own traceback), and its
   last milliseconds.
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
from collabsim.results import provenance
from collabsim.sweep import execute, load_results, load_sweep
from collabsim.sweep.store import MANIFEST, SweepStore

CLI = [sys.executable, "-m", "collabsim.cli"]
RUN = ["run", "louisville", "--reps", "24", "--steps", "52", "--seed", "11", "--workers", "2"]
SWEEP = """
[sweep]
name = "fault-injection"
scenario = "baseline"
replicates = 4
root_seed = {seed}
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
    bad = with_temporary = complete_found = 0
    for _ in range(trials):
        before = len(_finals(out))
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
        with_temporary += bool(_hidden(out))  # (the next run removes those of earlier kills)
        bad += len(finals) - before > 1
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
        "kills_that_left_a_temporary_folder": with_temporary,
        "temporary_folders_left_by_the_last_kill": left,
        "temporary_folders_left_after_next_run": after,
        "corrupt_or_different_results": bad,
    }


def _default_sigint() -> None:
    """In the child: Ctrl-C acts (a shell starts background jobs with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_interrupts(trials: int, rng: random.Random, tmp: Path) -> dict:
    """Ctrl-C (SIGINT to the process group) at a random moment of ``collabsim run``."""
    ref = tmp / "ref-int"
    t0 = time.monotonic()
    subprocess.run(
        [*CLI, *RUN, "--no-progress", "--out", str(ref)], check=True, capture_output=True
    )
    duration = time.monotonic() - t0
    (reference,) = _finals(ref)
    outcome = dict.fromkeys(
        [
            "nothing_started",
            "no_run_finished",
            "saved_incomplete",
            "saved_complete_while_saving",
            "finished_before_the_interrupt",
            "python_starting_traceback",
            "python_starting_killed",
            "python_exiting_after_saving",
            "other",
        ],
        0,
    )
    bad = 0
    others: list[dict] = []
    for i in range(trials):
        out = tmp / f"int-{i}"
        proc = subprocess.Popen(
            [*CLI, *RUN, "--no-progress", "--out", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
        time.sleep(rng.uniform(0.0, duration))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        _, raw = proc.communicate(timeout=120)
        err = raw.decode(errors="replace").strip()
        finals, code = _finals(out), proc.returncode
        hidden = _hidden(out)
        problems = []
        if hidden or len(finals) > 1:
            problems.append("temporary folder left" if hidden else "several result folders")
        if finals and not _matches(finals[0], reference):
            problems.append("saved results differ from the uninterrupted run")
        if code == 130 and "nothing was started" in err and not finals:
            key = "nothing_started"
        elif code == 130 and "before any run finished" in err and not finals:
            key = "no_run_finished"
        elif code == 130 and "marked incomplete" in err and finals:
            key = "saved_incomplete"
        elif code == 130 and "while saving" in err and finals:
            key = "saved_complete_while_saving"
        elif code == 0 and finals:
            key = "finished_before_the_interrupt"
        elif code == -signal.SIGINT and "Traceback" in err and not finals:
            key = "python_starting_traceback"  # before collabsim's first line ran
        elif code == -signal.SIGINT and not err and not finals:
            key = "python_starting_killed"  # before Python installed its Ctrl-C handler
        elif code == -signal.SIGINT and not err and finals:
            key = "python_exiting_after_saving"  # the interpreter's last milliseconds
        else:
            key = "other"
            problems.append("unexpected outcome")
        outcome[key] += 1
        if problems:  # keep what is needed to understand it
            bad += 1
            others.append(
                {
                    "outcome": key,
                    "problems": problems,
                    "exit": code,
                    "stderr": err[-300:],
                    "folders": [f.name for f in finals],
                    "hidden": [f.name for f in hidden],
                    "hidden_files": [
                        str(x.relative_to(out)) for h in hidden for x in sorted(h.rglob("*"))
                    ],
                }
            )
    return {"trials": trials, **outcome, "lost_or_inconsistent": bad, "problems": others}


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
    """Kill sweeps after 0 to 3 more chunks (plus up to 0.3 s) until ``kills`` kills."""
    done_kills = inconsistent = started = sweeps = different = 0
    runs = 0
    while done_kills < kills:
        cfg = tmp / f"sweep-{sweeps}.toml"
        cfg.write_text(SWEEP.format(chunk=10, weeks=40, n=60, seed=100 + sweeps))
        sweep = load_sweep(cfg)
        out = tmp / f"sweeps-{sweeps}"
        store = SweepStore(out, sweep.name, sweep.fingerprint())
        cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--workers", "2", "--no-progress"]
        while not store.final.exists():
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started += 1
            if done_kills < kills:
                target = len(_recorded(store)) + rng.randint(0, 3)
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
        reference = execute(sweep, tmp / f"ref-{sweeps}", engine="pool", workers=2, progress=False)
        different += not load_results(store.final).equals(load_results(reference.path))
        sweeps += 1
        runs += sweep.n_runs
    return {
        "kills": done_kills,
        "sweeps": sweeps,
        "processes_started": started,
        "runs": runs,
        "manifest_inconsistent_after_a_kill": inconsistent,
        "sweeps_different_from_uninterrupted": different,
    }


def sweep_full_disk(tmp: Path) -> dict:
    cfg = tmp / "disk.toml"
    cfg.write_text(SWEEP.format(chunk=5, weeks=20, n=20, seed=99))
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
        settings = {
            k: getattr(args, k) for k in ("run_kills", "run_interrupts", "sweep_kills", "seed")
        }
        record = {**provenance(), "settings": settings, **report}
        args.json.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
