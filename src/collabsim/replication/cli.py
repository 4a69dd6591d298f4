"""``collabsim replicate``: run the pre-declared replication and write the tagged report folder.

Registered in :data:`collabsim.cli.COMMAND_MODULES`. Bad input (unknown pattern, unreadable or
invalid criteria file, unwritable output) exits with status 2 and one line naming the problem.
Results go to a new tagged folder under ``--out`` (default ``results/replication``), written
in a temporary folder and renamed into place when complete. Each pattern's finished runs are
checkpointed under ``<out>/.checkpoints``, so an interrupted replication resumes on the next
identical command; the checkpoints are removed once the report is written.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["DEFAULT_OUT", "add_parser", "cmd_replicate", "main"]

#: Parent folder of the tagged report folders.
DEFAULT_OUT = Path("results") / "replication"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``replicate`` sub-command."""
    from collabsim.cli import add_execution_options
    from collabsim.replication.patterns import PATTERNS

    p = subparsers.add_parser(
        "replicate",
        help="replicate the published findings with statistics (PASS/FAIL report)",
        description="Run every pattern of configs/replication.toml (or those named with "
        "--only), compute its statistics with confidence intervals, judge it against the "
        "criterion declared before the runs, and write REPORT.md, REPORT.html, figures, CSVs "
        "and metadata.json into a new tagged folder. Patterns: " + ", ".join(PATTERNS) + ".",
    )
    p.add_argument(
        "--quick", action="store_true", help="CI-sized designs (seeds_quick per cell, minutes)"
    )
    p.add_argument(
        "--only",
        nargs="+",
        action="extend",
        default=[],
        metavar="NAME",
        help="run only these patterns (repeatable)",
    )
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="criteria file (default configs/replication.toml)",
    )
    add_execution_options(p, None, DEFAULT_OUT, "the tagged report folder")
    p.set_defaults(func=cmd_replicate)
    return p


def cmd_replicate(args: argparse.Namespace) -> int:
    """Run the replication; print the PASS/FAIL table and where the report is."""
    from collabsim.cli import UsageError, engine_options
    from collabsim.engine import EngineError, progress_bar, running
    from collabsim.replication.criteria import load_criteria
    from collabsim.replication.replicate import plan, replicate
    from collabsim.replication.report import write_report
    from collabsim.replication.runner import remove_checkpoints
    from collabsim.results import check_writable, result_folder

    crit = load_criteria(args.config)
    if args.seed is not None:
        crit = dataclasses.replace(crit, root_seed=args.seed)
    plans = plan(crit, args.only, quick=args.quick)
    names = [p.spec.name for p in plans]
    check_writable(args.out)
    checkpoints = args.out / ".checkpoints"
    total = sum(len(p.runs) for p in plans)
    try:
        with (
            running(**engine_options(args), tasks=total) as engine,
            progress_bar(total, "replication runs", enabled=not args.no_progress) as bar,
        ):
            workers = engine.workers
            rep = replicate(
                crit,
                names,
                quick=args.quick,
                engine=engine,
                progress=bar.update,
                checkpoint_dir=checkpoints,
            )
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print(
            "collabsim replicate: interrupted; the patterns that finished are checkpointed: "
            "run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    tag = ("quick" if args.quick else "full") + ("-" + "-".join(args.only) if args.only else "")
    with result_folder(args.out, tag) as folder:
        write_report(folder.path, rep)
    assert folder.final is not None
    remove_checkpoints(checkpoints, names)
    width = max(len(n) for n in names)
    for name, res in rep.results.items():
        parts = " ".join(f"({c.part}) {'PASS' if c.passed else 'FAIL'}" for c in res.checks)
        print(f"{name:<{width}}  {res.verdict}  {parts}")
    print(
        f"\n{sum(r.passed for r in rep.results.values())} of {len(rep.results)} patterns pass; "
        f"{rep.n_runs} runs in {rep.seconds_run:.0f} s on {workers} worker(s)"
    )
    if rep.resumed:
        print(f"runs read from checkpoints (an earlier interrupted run): {', '.join(rep.resumed)}")
    print(f"report: {folder.final / 'REPORT.md'}  (HTML: {folder.final / 'REPORT.html'})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``collabsim replicate ARGS`` as a function (used by the scripts in ``experiments/``)."""
    from collabsim.cli import main as cli_main

    return cli_main(["replicate", *(sys.argv[1:] if argv is None else argv)])
