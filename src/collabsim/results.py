"""Result folders: add-only, tagged with version, git commit, config and seeds, written atomically.

:func:`result_folder` yields a hidden temporary folder next to the destination and renames it
into place only when everything inside has been written, so an interrupted command leaves no
half-written result under its final name. A finished folder is never overwritten: a new tag is
chosen instead. :func:`check_writable` fails fast, before any work, if the destination cannot
be written.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "OutputError",
    "ResultFolder",
    "atomic_write_bytes",
    "check_writable",
    "git_commit",
    "make_tag",
    "provenance",
    "result_folder",
    "write_json",
]


class OutputError(OSError):
    """The output location cannot be used; the message says where and why."""


def git_commit() -> str:
    """The repository's commit (``+dirty`` when the tree has changes), or ``"unknown"``."""
    root = Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5
        )
        if sha.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return sha.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance() -> dict[str, Any]:
    """Version, commit, time and platform facts to store with every result."""
    import mesa
    import numpy

    from collabsim import __version__

    return {
        "collabsim_version": __version__,
        "git_commit": git_commit(),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": mesa.__version__,
        "platform": platform.platform(),
    }


def make_tag(name: str) -> str:
    """A folder name ``<name>-<UTC time>-<commit7>`` for a new result."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    commit = git_commit().split("+")[0][:7]
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)[:60] or "run"
    return f"{safe}-{stamp}-{commit}"


def check_writable(parent: Path) -> None:
    """Create ``parent`` if needed and prove a file can be written there.

    Raises:
        OutputError: naming the path and the reason.
    """
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot create output directory {str(parent)!r}: {exc.strerror}"
        ) from None
    if not parent.is_dir():
        raise OutputError(f"output path {str(parent)!r} is not a directory")
    probe = parent / f".collabsim-write-test-{os.getpid()}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"ok" * 512)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(
            f"cannot write to output directory {str(parent)!r}: {exc.strerror}"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()


class ResultFolder:
    """A result being written: ``path`` is a hidden temporary folder until :meth:`commit`.

    After :meth:`commit`, ``final`` is the tagged folder the results were renamed to.
    """

    def __init__(self, parent: Path, name: str) -> None:
        check_writable(parent)
        self.parent = parent
        self.name = name
        self.path = parent / f".{name}.partial-{os.getpid()}"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir()
        self.final: Path | None = None

    def commit(self) -> Path:
        """Rename the temporary folder to a new, never-used tagged name; return it."""
        tag = make_tag(self.name)
        final = self.parent / tag
        k = 2
        while final.exists():
            final = self.parent / f"{tag}-{k}"
            k += 1
        os.rename(self.path, final)
        self.final = final
        return final

    def discard(self) -> None:
        """Remove the temporary folder (nothing partial is left behind)."""
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def result_folder(parent: Path, name: str) -> Iterator[ResultFolder]:
    """Context manager around :class:`ResultFolder`: commit on success, discard on error."""
    folder = ResultFolder(parent, name)
    try:
        yield folder
    except BaseException:
        folder.discard()
        raise
    folder.commit()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, default=_json_default) + "\n").encode())


def _json_default(o: Any) -> Any:
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serializable: {type(o).__name__}")
