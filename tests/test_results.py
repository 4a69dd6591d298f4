"""Result folders: atomic files, clear errors on full disks, stale temporary folders removed."""

from __future__ import annotations

import errno
import os
import subprocess

import pytest

from collabsim import results
from collabsim.results import (
    OutputError,
    ResultFolder,
    atomic_write_bytes,
    check_writable,
    remove_stale_partials,
    result_folder,
)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    atomic_write_bytes(path, b"old contents")

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OutputError) as err:
        atomic_write_bytes(path, b"new contents" * 1000)
    assert str(path) in str(err.value) and "no space left on device" in str(err.value)
    assert err.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_not_enough_space_is_refused_and_created_folders_are_removed(tmp_path):
    target = tmp_path / "a" / "b" / "c"
    with pytest.raises(OutputError, match=r"not enough space .* about 1000.0 TB needed"):
        check_writable(target, need_bytes=10**15)
    assert list(tmp_path.iterdir()) == []
    check_writable(target, need_bytes=1000)  # a small need fits
    assert target.is_dir() and list(target.iterdir()) == []


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_temporary_folders_of_dead_processes_on_this_host_are_removed(tmp_path):
    host = results._host()
    dead = _dead_pid()
    stale = tmp_path / f".run.partial-{host}-{dead}"
    mine = tmp_path / f".run.partial-{host}-{os.getpid()}"
    elsewhere = tmp_path / f".run.partial-otherhost-{dead}"
    sweep_partial = tmp_path / ".sweep-0123456789ab.partial"  # a resumable sweep: kept
    for d in (stale, mine, elsewhere, sweep_partial):
        d.mkdir()
    assert remove_stale_partials(tmp_path) == [stale]
    assert not stale.exists() and mine.exists() and elsewhere.exists() and sweep_partial.exists()
    # a new result folder cleans up the same way
    stale.mkdir()
    with result_folder(tmp_path, "run") as folder:
        folder.write("x.txt", b"x")
    assert not stale.exists()


def test_a_name_taken_at_the_last_moment_does_not_lose_the_results(tmp_path, monkeypatch):
    monkeypatch.setattr(results, "make_tag", lambda name: f"{name}-same-second")
    real_rename = os.rename
    raced = []

    def rename(src, dst):
        if not raced:  # another process commits the same tag between the check and the rename
            raced.append(dst)
            os.makedirs(os.path.join(dst, "theirs"))
        return real_rename(src, dst)

    folder = ResultFolder(tmp_path, "run")
    folder.write("who", b"mine")
    monkeypatch.setattr(os, "rename", rename)
    final = folder.commit()
    assert final.name == "run-same-second-2" and (final / "who").read_bytes() == b"mine"
    assert (tmp_path / "run-same-second" / "theirs").is_dir()


def test_an_error_inside_the_block_leaves_nothing(tmp_path):
    with pytest.raises(KeyboardInterrupt), result_folder(tmp_path, "run") as folder:
        folder.write("half.txt", b"...")
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
