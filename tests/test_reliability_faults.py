"""Faults: killed processes, full and read-only disks, Ctrl-C and SIGTERM lose nothing finished.

* ``collabsim run`` and ``collabsim sweep`` killed with SIGKILL at random moments never leave a
  corrupt or half-written result under a final name; a sweep resumes to the results of an
  uninterrupted run; the temporary folders of killed runs are removed by the next run.
* A full disk or a read-only file system gives exit status 2 and one line naming the path and
  the reason, before any work when it can be known in advance (a real tmpfs in a private mount
  namespace when the system allows one; the full disk during writing is also simulated in
  this process by making ``os.write`` fail with ENOSPC).
* Ctrl-C (SIGINT to the process group, as a terminal sends it) and SIGTERM stop cleanly: the
  replicates that finished are saved in a folder marked incomplete (exit status 130); a sweep
  keeps its finished chunks and resumes.

``COLLABSIM_FAULT_TRIALS`` sets the number of random kills per test (default 2; the figures in
``docs/reliability.md`` come from ``experiments/fault_injection.py``).
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.engine import spawn_seeds
from collabsim.runner import run_one
from collabsim.sweep import execute, load_results, load_sweep, read_metadata
from collabsim.sweep.store import MANIFEST, SweepStore

ROOT = Path(__file__).resolve().parents[1]
TRIALS = int(os.environ.get("COLLABSIM_FAULT_TRIALS", "2"))
CLI = [sys.executable, "-m", "collabsim.cli"]

SWEEP = """
[sweep]
name = "faults"
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
#: A sweep that runs for a few seconds on two workers (for kills at random moments).
LONG = SWEEP.format(chunk=10, weeks=260, n=600)
#: A sweep of 40 short runs in 8 chunks (for faults injected in this process).
SHORT = SWEEP.format(chunk=5, weeks=20, n=10)


def folders(parent: Path) -> tuple[list[Path], list[Path]]:
    """Final (tagged) result folders and hidden temporary ones in ``parent``."""
    if not parent.exists():
        return [], []
    entries = sorted(parent.iterdir())
    return [p for p in entries if not p.name.startswith(".")], [
        p for p in entries if p.name.startswith(".")
    ]


def same_result(a: Path, b: Path) -> None:
    """Two result folders hold the same runs (same seeds, summaries and time series)."""
    ma, mb = (json.loads((f / "metadata.json").read_text()) for f in (a, b))
    assert ma["seeds"] == mb["seeds"] and ma["complete"] and mb["complete"]
    pd.testing.assert_frame_equal(pd.read_csv(a / "summary.csv"), pd.read_csv(b / "summary.csv"))
    pd.testing.assert_frame_equal(
        pd.read_parquet(a / "timeseries.parquet"), pd.read_parquet(b / "timeseries.parquet")
    )


def alive(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                ppid = int(p.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                out.append(int(p.name))
    return out


def default_sigint() -> None:
    """In the child: Ctrl-C acts (a shell starts background jobs with SIGINT ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Stderr:
    """Collects a process's stderr in a thread (tqdm writes progress there)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.text = ""
        self._thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        while True:
            chunk = proc.stderr.read1(1024) if proc.stderr else b""
            if not chunk:
                return
            self.text += chunk.decode(errors="replace")

    def runs_done(self) -> int:
        found = re.findall(r"(\d+)/\d+ \[", self.text)
        return int(found[-1]) if found else 0

    def join(self) -> str:
        self._thread.join(timeout=30)
        return self.text


# ----------------------------------------------------------------------------- SIGKILL
def test_run_killed_at_random_moments_leaves_no_half_written_result(tmp_path):
    rng = random.Random(20250)
    args = ["run", "louisville", "--reps", "6", "--steps", "40", "--workers", "2", "--no-progress"]
    ref_out = tmp_path / "ref"
    t0 = time.monotonic()
    subprocess.run([*CLI, *args, "--out", str(ref_out)], check=True, cwd=ROOT)
    duration = time.monotonic() - t0
    (reference,), _ = folders(ref_out)
    out = tmp_path / "out"
    for _ in range(TRIALS):
        proc = subprocess.Popen(
            [*CLI, *args, "--out", str(out)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, duration))  # anywhere from start-up to the final rename
        workers = children(proc.pid)
        proc.kill()
        proc.wait(timeout=30)
        # every folder under a final name is complete and equals the reference
        final, _ = folders(out)
        for folder in final:
            same_result(folder, reference)
        deadline = time.monotonic() + 10  # pool workers do not outlive their parent for long
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(w) for w in workers)
    # the next run completes, and removes the temporary folders the killed runs left
    before, _ = folders(out)
    assert main([*args, "--out", str(out)]) == 0
    final, hidden = folders(out)
    assert len(final) == len(before) + 1 and hidden == []
    for folder in final:
        same_result(folder, reference)


def recorded_chunks(store: SweepStore) -> set[int]:
    path = store.partial / MANIFEST
    if not path.exists():
        return set()
    lines = path.read_text().splitlines(keepends=True)
    return {json.loads(line)["chunk"] for line in lines if line.endswith("}\n")}


def test_sweep_killed_again_and_again_resumes_to_the_uninterrupted_results(tmp_path):
    rng = random.Random(777)
    cfg = tmp_path / "faults.toml"
    cfg.write_text(LONG)
    sweep = load_sweep(cfg)
    out = tmp_path / "out"
    store = SweepStore(out, sweep.name, sweep.fingerprint())
    cmd = [*CLI, "sweep", str(cfg), "--out", str(out), "--workers", "2", "--no-progress"]
    kills = 0
    while True:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if kills < TRIALS:
            # a random moment: after 0 to 3 more chunks, plus a little
            target = len(recorded_chunks(store)) + rng.randint(0, 3)
            while proc.poll() is None and len(recorded_chunks(store)) < target:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            if proc.poll() is None:
                workers = children(proc.pid)
                proc.kill()
                proc.wait(timeout=30)
                kills += 1
                assert not store.final.exists()
                # every chunk the manifest records is whole (its checksum matches)
                assert store.completed() == recorded_chunks(store)
                time.sleep(0.5)
                assert not any(alive(w) for w in workers)
                continue
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        break
    assert kills >= 1 and store.final.is_dir() and not store.partial.exists()
    sessions = read_metadata(store.final)["sessions"]
    assert sessions[0]["resumed"] is False and len(sessions) <= kills + 1
    assert not list(store.final.rglob(".*tmp*"))  # no temporary file made it into the result
    reference = execute(sweep, tmp_path / "ref", engine="pool", workers=2, progress=False)
    pd.testing.assert_frame_equal(load_results(store.final), load_results(reference.path))


# ----------------------------------------------------------------------------- Ctrl-C, SIGTERM
def test_ctrl_c_saves_the_finished_replicates_marked_incomplete(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            *CLI,
            "run",
            "baseline",
            *("--reps", "400", "--steps", "60", "--seed", "5"),
            *("--workers", "2", "--out", str(out)),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    err = Stderr(proc)
    deadline = time.monotonic() + 120
    while err.runs_done() < 4:
        assert proc.poll() is None and time.monotonic() < deadline, err.text
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C: to every process
    proc.wait(timeout=60)
    text = err.join()
    assert proc.returncode == 130, text
    last = text.strip().splitlines()[-1]
    assert "interrupted" in last and "marked incomplete" in last and "Traceback" not in text
    (folder,), hidden = folders(out)
    assert hidden == [] and "-incomplete-" in folder.name
    meta = json.loads((folder / "metadata.json").read_text())
    done = meta["runs_finished"]
    assert meta["complete"] is False and 4 <= done < 400 and meta["runs_planned"] == 400
    summ = pd.read_csv(folder / "summary.csv")
    assert list(summ["rep"]) == list(range(done))
    assert list(summ["seed"]) == spawn_seeds(5, 400)[:done] == meta["seeds"][:done]
    params = meta["scenarios"]["baseline"]["resolved_params"]
    for rep in (0, done - 1):  # what was saved is what those runs give
        summary, _ = run_one(params, meta["seeds"][rep], series=False)
        assert summary["collective_impact"] == pytest.approx(summ.loc[rep, "collective_impact"])
    ts = pd.read_parquet(folder / "timeseries.parquet")
    assert sorted(set(ts["rep"])) == list(range(done))


def test_sigterm_stops_compare_and_sweep_keeping_what_finished(tmp_path):
    # compare: SIGTERM to the parent only (a batch system's time limit, or kill PID)
    out = tmp_path / "runs"
    proc = subprocess.Popen(
        [
            *CLI,
            "compare",
            "hartford",
            "louisville",
            *("--reps", "300", "--steps", "60"),
            *("--workers", "2", "--out", str(out)),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    err = Stderr(proc)
    deadline = time.monotonic() + 120
    while err.runs_done() < 3:
        assert proc.poll() is None and time.monotonic() < deadline, err.text
        time.sleep(0.05)
    proc.terminate()
    proc.wait(timeout=60)
    assert proc.returncode == 130 and "marked incomplete" in err.join()
    (folder,), hidden = folders(out)
    assert hidden == [] and json.loads((folder / "metadata.json").read_text())["complete"] is False

    # sweep: SIGTERM keeps the finished chunks; the same command resumes to the same results
    cfg = tmp_path / "faults.toml"
    cfg.write_text(LONG)
    sweep = load_sweep(cfg)
    sweeps = tmp_path / "sweeps"
    store = SweepStore(sweeps, sweep.name, sweep.fingerprint())
    cmd = [*CLI, "sweep", str(cfg), "--out", str(sweeps), "--workers", "2", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(recorded_chunks(store)) < 2:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.terminate()
    _, err_text = proc.communicate(timeout=60)
    assert proc.returncode == 130 and b"finished chunks are kept" in err_text, err_text
    kept = store.completed()
    assert len(kept) >= 2 and not store.final.exists()
    resumed = execute(sweep, sweeps, engine="pool", workers=2, progress=False)
    assert resumed.resumed_chunks == len(kept) and resumed.path == store.final
    reference = execute(sweep, tmp_path / "ref", engine="pool", workers=2, progress=False).path
    pd.testing.assert_frame_equal(load_results(store.final), load_results(reference))


# ----------------------------------------------------------------------------- full disk
@pytest.fixture
def enospc(monkeypatch):
    """``enospc(under, after)``: writes below ``under`` fail with ENOSPC past ``after`` bytes."""

    def install(under: Path, after: int = 0, only: str = "") -> dict:
        real = os.write
        state = {"written": 0, "failed": 0}

        def write(fd: int, data) -> int:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if target.startswith(str(under)) and only in target:
                if state["written"] + len(data) > after:
                    state["failed"] += 1
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                state["written"] += len(data)
            return real(fd, data)

        monkeypatch.setattr(os, "write", write)
        return state

    return install


def test_disk_filling_up_while_results_are_written_leaves_nothing(tmp_path, capsys, enospc):
    out = tmp_path / "out"
    state = enospc(out, after=20_000)  # the start-up check passes; the results do not fit
    code = main(
        [
            "run",
            "baseline",
            *("--reps", "2", "--steps", "20", "--no-progress"),
            *("--workers", "1", "--out", str(out)),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and state["failed"] >= 1, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(out) in err and "no space left on device" in err
    assert folders(out) == ([], [])  # no result folder, no temporary one


def test_too_little_free_space_is_refused_before_any_work(tmp_path, capsys, monkeypatch):
    import collabsim.runner
    import collabsim.sweep.runner

    def no_runs(*a, **k):
        raise AssertionError("a run was started although the results cannot be saved")

    class Full:
        f_bavail, f_frsize = 10, 4096  # 40 kB free

    monkeypatch.setattr(collabsim.runner, "run_one", no_runs)
    monkeypatch.setattr(os, "statvfs", lambda path: Full())
    monkeypatch.setattr(collabsim.sweep.runner, "run_one", no_runs)
    cfg = tmp_path / "faults.toml"
    cfg.write_text(SHORT)
    for args in (
        ["run", "baseline", "--reps", "50"],
        ["compare", "baseline", "denver"],
        ["sweep", str(cfg), "--serial"],
    ):
        out = tmp_path / args[0]
        code = main([*args, "--no-progress", "--out", str(out)])
        err = capsys.readouterr().err
        assert code == 2 and "not enough space in output directory" in err, err
        assert str(out) in err and err.count("\n") == 1
        assert not out.exists() or not any(out.iterdir())


def test_sweep_on_a_disk_that_fills_up_keeps_its_chunks_and_resumes(
    tmp_path, capsys, monkeypatch, enospc
):
    cfg = tmp_path / "faults.toml"
    cfg.write_text(SHORT)
    out = tmp_path / "out"
    sweep = load_sweep(cfg)
    store = SweepStore(out, sweep.name, sweep.fingerprint())
    # chunk files are about 30 kB: the fourth one does not fit
    state = enospc(out, after=100_000, only="/chunks/")
    code = main(["sweep", str(cfg), "--serial", "--no-progress", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and state["failed"] == 1 and err.count("\n") == 1, err
    assert "no space left on device" in err and "run the same command again to resume" in err
    kept = store.completed()
    assert 1 <= len(kept) < sweep.n_chunks and not store.final.exists()
    assert not list(store.partial.rglob(".*tmp*"))  # the failed chunk left no temporary file
    monkeypatch.undo()  # space is free again
    assert main(["sweep", str(cfg), "--serial", "--no-progress", "--out", str(out)]) == 0
    reference = execute(sweep, tmp_path / "ref", engine="serial", progress=False).path
    pd.testing.assert_frame_equal(load_results(store.final), load_results(reference))
    sessions = read_metadata(store.final)["sessions"]
    assert sessions[1]["chunks_done_at_start"] == len(kept)


# ----------------------------------------------------------------------------- real file systems
def _can_mount() -> bool:
    if not shutil.which("unshare"):
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mount = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _can_mount(),
    reason="no private mount namespace here (unshare -rm): the in-process tests cover this",
)


def in_tmpfs(mount: Path, options: str, commands: list[list[str]], fill: bool = False):
    """Run ``commands`` one after the other with a fresh tmpfs on ``mount`` (private to them)."""
    mount.mkdir()
    script = [f"mount -t tmpfs -o {options} tmpfs {mount}"]
    if fill:
        script.append(f"dd if=/dev/zero of={mount}/filler bs=4k 2>/dev/null")
    for i, cmd in enumerate(commands):
        quoted = " ".join(f"'{c}'" for c in cmd)
        script.append(f"{quoted} 2>{mount.parent}/err{i}; echo $? >{mount.parent}/rc{i}")
        script.append(f"ls -A {mount} | grep -v filler >{mount.parent}/ls{i}; true")
    subprocess.run(["unshare", "-rm", "sh", "-c", "\n".join(script)], check=True, cwd=ROOT)
    base = mount.parent
    return [
        (
            int((base / f"rc{i}").read_text()),
            (base / f"err{i}").read_text(),
            (base / f"ls{i}").read_text().split(),
        )
        for i in range(len(commands))
    ]


@needs_mount
def test_real_full_read_only_and_small_file_systems(tmp_path):
    cfg = tmp_path / "faults.toml"
    cfg.write_text(SHORT)
    for options, fill, command, expect in (
        ("size=256k", True, ["run", "baseline", "--reps", "3"], "no space left on device"),
        ("size=256k", False, ["sweep", str(cfg), "--serial"], "not enough space in output"),
        ("ro,size=256k", False, ["run", "baseline", "--reps", "3"], "read-only file system"),
    ):
        mount = tmp_path / f"mnt-{options.replace(',', '-')}-{fill}"
        ((code, err, left),) = in_tmpfs(
            mount, options, [[*CLI, *command, "--out", f"{mount}/results"]], fill=fill
        )
        assert code == 2 and expect in err, (options, err)
        assert err.count("\n") == 1 and "Traceback" not in err
        assert left == []  # nothing left behind, not even an empty directory
