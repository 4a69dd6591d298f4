"""Options and argument types shared by every ``collabsim`` command (the lowest CLI layer).

The main command (:mod:`collabsim.cli`) and the commands other packages add
(``collabsim.app.cli``, ``collabsim.sweep.cli``, ``collabsim.replication.cli``,
``collabsim.discovery``) import these from here, so no command module imports another.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "MAX_REPS",
    "WORKERS_PER_CORE",
    "UsageError",
    "add_execution_options",
    "engine_options",
    "positive_int",
    "reps_int",
    "seed_int",
    "workers_int",
]


class UsageError(ValueError):
    """A command-line value is not usable; the message names it."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


#: Most replicates of one scenario that ``run`` and ``compare`` take (sweeps take more).
MAX_REPS = 100_000
#: Most worker processes per core that ``--workers`` accepts.
WORKERS_PER_CORE = 8


def _int_in(text: str, low: int, high: int | None, what: str = "an integer") -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    if value < low or (high is not None and value > high):
        allowed = f"an integer >= {low}" if high is None else f"an integer in [{low}, {high:,}]"
        raise argparse.ArgumentTypeError(f"{text!r} is not valid: expected {allowed}")
    return value


def positive_int(text: str) -> int:
    """Argparse type: an integer of at least 1."""
    return _int_in(text, 1, None)


def reps_int(text: str) -> int:
    """Argparse type: replicates of ``run``/``compare``, 1 to :data:`MAX_REPS`."""
    return _int_in(text, 1, MAX_REPS)


def workers_int(text: str) -> int:
    """Argparse type: worker processes, 1 to :data:`WORKERS_PER_CORE` per available core."""
    from collabsim.engine import default_workers

    return _int_in(text, 1, WORKERS_PER_CORE * default_workers())


def seed_int(text: str) -> int:
    """Argparse type: a non-negative integer seed."""
    return _int_in(text, 0, None, "an integer seed")


def add_execution_options(
    p: argparse.ArgumentParser, seed: int | None, out: Path, what: str
) -> None:
    """Add the options every command that runs models shares: seed, output, workers, engine.

    Args:
        p: The command's parser.
        seed: Default root seed (None: the command's configuration file gives it).
        out: Default parent folder of the results.
        what: What ``--out`` holds, for the help text.
    """
    from collabsim.engine import ENGINES, START_METHODS

    g = p.add_argument_group("seeds, output, workers and engine")
    default = "the file's" if seed is None else seed
    g.add_argument("--seed", type=seed_int, default=seed, help=f"root seed (default: {default})")
    g.add_argument("--out", type=Path, default=out, help=f"parent folder of {what} ({out})")
    g.add_argument(
        "--workers", type=workers_int, help="processes (default: all cores; 1: this process)"
    )
    which = g.add_mutually_exclusive_group()
    which.add_argument("--engine", choices=ENGINES, help="this process, a pool (default), Dask")
    which.add_argument("--serial", dest="engine", action="store_const", const="serial",
                       help="run in this process (--engine serial)")  # fmt: skip
    g.add_argument(
        "--dask",
        metavar="local|tcp://HOST:PORT",
        help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1, an address joins a "
        "running scheduler",
    )
    g.add_argument("--start-method", choices=START_METHODS, default="fork", help="pool's (fork)")
    g.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`collabsim.engine.running` from the shared options."""
    engine = args.engine
    if args.dask is not None:
        if engine not in (None, "dask"):
            raise UsageError(f"--dask {args.dask} cannot go with --engine {engine}")
        engine = "dask"
    keys = ("workers", "dask", "start_method")
    return {"engine": engine, **{k: getattr(args, k) for k in keys}}
