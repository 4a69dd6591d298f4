"""Result folders: add-only, tagged with version, git commit, config and seeds, written atomically.

:func:`result_folder` yields a hidden temporary folder next to the destination and renames it
into place only when everything inside has been written, so an interrupted command leaves no
half-written result under its final name. A finished folder is never overwritten: a new tag is
chosen instead. The temporary folder of a process that was killed is removed by the next
command that writes results next to it. :func:`check_writable` fails fast, before any work, if
the destination cannot be written or has less free space than the results will need.

Every file is written by :func:`atomic_write_bytes` (temporary name, ``fsync``, atomic rename);
an operating-system error while writing (a full disk, a read-only file system) becomes an
:class:`OutputError` whose one-line message names the path and the reason.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import io
import json
import os
import platform
import re
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
    "format_bytes",
    "git_commit",
    "make_tag",
    "parquet_bytes",
    "png_bytes",
    "provenance",
    "remove_stale_partials",
    "result_folder",
    "write_json",
]


class OutputError(OSError):
    """The output location cannot be used; the message says where and why."""


def _reason(exc: BaseException) -> str:
    """The reason of an OS error in lower case ("no space left on device")."""
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    elif isinstance(exc, ValueError) and "null" in str(exc):
        text = "the path contains a NUL character"
    else:
        text = str(exc) or type(exc).__name__
    return text[:1].lower() + text[1:]


def _output_error(message: str, exc: BaseException) -> OutputError:
    err = OutputError(message)
    err.errno = getattr(exc, "errno", None)
    return err


def format_bytes(n: float) -> str:
    """``n`` bytes as a short human-readable size ("3.2 MB")."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def git_commit() -> str:
    """The repository's commit (``+dirty`` when the tree has changes), or ``"unknown"``.

    Only a source checkout has a commit: an installed wheel reports ``"unknown"`` even when
    its environment sits inside some other git repository.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists() or not (root / "pyproject.toml").is_file():
        return "unknown"
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


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def check_writable(parent: Path | str, need_bytes: int = 0) -> None:
    """Create ``parent`` if needed and prove that results can be written there.

    A small file is written, synced and removed; then, if ``need_bytes`` is given, the free
    space is compared with it, so a full disk is reported before any work is done.

    Args:
        parent: The output directory.
        need_bytes: Estimated size of what will be written (0: do not check free space).

    Raises:
        OutputError: naming the path and the reason.
    """
    parent = Path(parent)
    created = _missing_dirs(parent)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        _remove_dirs(created)
        raise _output_error(
            f"cannot create output directory {str(parent)!r}: {_reason(exc)}", exc
        ) from None
    if not parent.is_dir():
        raise OutputError(f"output path {str(parent)!r} is not a directory")
    try:
        _probe(parent, need_bytes)
    except OutputError:
        _remove_dirs(created)  # leave nothing behind, not even an empty directory
        raise


def _missing_dirs(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, deepest first."""
    out = []
    try:
        while not path.exists():
            out.append(path)
            if path.parent == path:
                break
            path = path.parent
    except (OSError, ValueError):
        pass
    return out


def _remove_dirs(dirs: list[Path]) -> None:
    for d in dirs:
        with contextlib.suppress(OSError, ValueError):
            d.rmdir()


def _probe(parent: Path, need_bytes: int) -> None:
    probe = parent / f".collabsim-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_fd(fd, b"ok" * 2048)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _output_error(
            f"cannot write to output directory {str(parent)!r}: {_reason(exc)}", exc
        ) from None
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    if need_bytes > 0:
        try:
            st = os.statvfs(parent)
        except OSError:  # pragma: no cover - statvfs is available wherever mkdir worked
            return
        free = st.f_bavail * st.f_frsize
        if free < need_bytes:
            raise OutputError(
                f"not enough space in output directory {str(parent)!r}: about "
                f"{format_bytes(need_bytes)} needed, {format_bytes(free)} free"
            )


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", platform.node() or "host")[:40]


_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-(?P<host>[A-Za-z0-9_]+)-(?P<pid>\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove temporary result folders left in ``parent`` by killed processes of this host.

    A temporary folder is named ``.<name>.partial-<host>-<pid>``; it is removed only when it
    was made on this host by a process that no longer exists.

    Returns:
        The folders removed.
    """
    removed = []
    host = _host()
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return removed
    for entry in entries:
        m = _PARTIAL.match(entry.name)
        if m and m["host"] == host and not _alive(int(m["pid"])) and entry.is_dir():
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


class ResultFolder:
    """A result being written: ``path`` is a hidden temporary folder until :meth:`commit`.

    After :meth:`commit`, ``final`` is the tagged folder the results were renamed to.

    Args:
        parent: Folder that holds result folders (created if needed).
        name: Start of the tagged folder's name.
    """

    def __init__(self, parent: Path | str, name: str) -> None:
        parent = Path(parent)
        check_writable(parent)
        remove_stale_partials(parent)
        self.parent = parent
        self.name = name
        self.path = parent / f".{name}.partial-{_host()}-{os.getpid()}"
        try:
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir()
        except OSError as exc:
            raise _output_error(
                f"cannot create a result folder in {str(parent)!r}: {_reason(exc)}", exc
            ) from None
        self.final: Path | None = None

    def write(self, filename: str, data: bytes) -> Path:
        """Write ``data`` to ``filename`` inside the folder (atomically); return its path."""
        path = self.path / filename
        atomic_write_bytes(path, data)
        return path

    def commit(self) -> Path:
        """Rename the temporary folder to a new, never-used tagged name; return it."""
        tag = make_tag(self.name)
        final = self.parent / tag
        k = 2
        while True:
            try:
                if not final.exists():
                    os.rename(self.path, final)  # fails if another process just took the name
                    break
            except OSError as exc:
                if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise _output_error(
                        f"cannot rename results into {str(final)!r}: {_reason(exc)}", exc
                    ) from None
            final = self.parent / f"{tag}-{k}"
            k += 1
        _fsync_dir(self.parent)
        self.final = final
        return final

    def discard(self) -> None:
        """Remove the temporary folder (nothing partial is left behind)."""
        shutil.rmtree(self.path, ignore_errors=True)


@contextlib.contextmanager
def result_folder(parent: Path | str, name: str) -> Iterator[ResultFolder]:
    """Context manager around :class:`ResultFolder`: commit on success, discard on error.

    An interruption (``KeyboardInterrupt``) or an error inside the block, or a failure of the
    final rename, leaves nothing behind.
    """
    folder = ResultFolder(parent, name)
    try:
        yield folder
        folder.commit()
    except BaseException:
        folder.discard()
        raise


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, ``fsync`` and an atomic rename.

    Raises:
        OutputError: the file cannot be written (the temporary file is removed); the message
            names the path and the reason, e.g. "no space left on device".
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_fd(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError, ValueError):
            os.unlink(tmp)
        if isinstance(exc, OSError | ValueError):
            raise _output_error(f"cannot write {str(path)!r}: {_reason(exc)}", exc) from None
        raise


def parquet_bytes(df: Any) -> bytes:
    """A DataFrame as Parquet bytes (written in memory, so only whole files reach the disk)."""
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def png_bytes(figure: Any, dpi: int = 120) -> bytes:
    """A Matplotlib figure as PNG bytes."""
    buf = io.BytesIO()
    figure.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


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
