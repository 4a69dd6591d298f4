"""``collabsim replicate``: run the pre-declared replication and write the tagged report folder.

Registered in :data:`collabsim.cli.COMMAND_MODULES`. Bad input (unknown pattern, unreadable or
invalid criteria file, unknown or out-of-range ``--set`` key, bad ``--scenario`` file,
unwritable output) exits with status 2 and one line naming the problem. ``--scenario FILE`` and
``--set KEY=VALUE`` change assumptions under every pattern's design (a design's own settings
win); the report's header records them.
Results go to a new tagged folder under ``--out`` (default ``results/replication``), written
in a temporary folder and renamed into place when complete. Each pattern's finished runs are
checkpointed under ``<out>/.checkpoints``, so an interrupted replication resumes on the next
identical command; the checkpoints are removed once the report is written.

``--posterior FILE`` (a ``collabsim calibrate`` result) instead runs every held-out pattern at
``--sets`` parameter sets drawn from the posterior (:mod:`collabsim.calibration.predictive`)
and reports per part the share of sets where it holds, with a Wilson interval, and whether it
holds across the plausible region, only in part of it, or nowhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_OUT", "add_parser", "assumptions", "cmd_replicate"]

#: Parent folder of the tagged report folders.
DEFAULT_OUT = Path("results") / "replication"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``replicate`` sub-command."""
    from collabsim.cli_options import add_execution_options, positive_int
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
    p.add_argument(
        "--scenario",
        default=None,
        metavar="FILE",
        help="a scenario (name in configs/ or TOML file) as the base of every pattern's design",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change a declared parameter under every pattern's design (repeatable), "
        "e.g. --set turnover_rate=0.3",
    )
    g = p.add_argument_group("posterior-predictive replication (after collabsim calibrate)")
    g.add_argument(
        "--posterior",
        type=Path,
        default=None,
        metavar="FILE",
        help="a calibration result folder or its posterior.csv: run the HELD-OUT patterns over "
        "parameter sets drawn from the posterior and report, per part, the share of sets "
        "where it holds",
    )
    g.add_argument(
        "--sets",
        type=positive_int,
        default=None,
        help="posterior parameter sets to draw (default: [posterior] sets of "
        "configs/calibration.toml)",
    )
    g.add_argument(
        "--calibration",
        type=Path,
        default=None,
        help="calibration file for the posterior defaults (configs/calibration.toml)",
    )
    p.set_defaults(func=cmd_replicate)
    return p


def cmd_replicate(args: argparse.Namespace) -> int:
    """Run the replication; print the PASS/FAIL table and where the report is."""
    from collabsim import __version__
    from collabsim.cli_options import UsageError, engine_options
    from collabsim.engine import EngineError, progress_bar, running
    from collabsim.replication.criteria import load_criteria
    from collabsim.replication.replicate import plan, replicate
    from collabsim.replication.report import part_statuses, write_report
    from collabsim.replication.runner import remove_checkpoints
    from collabsim.results import check_writable, result_folder

    crit = load_criteria(args.config)
    if args.posterior is not None:
        return _cmd_posterior(args, crit)
    if args.sets is not None or args.calibration is not None:
        raise UsageError("--sets and --calibration go with --posterior")
    if args.seed is not None:
        crit = dataclasses.replace(crit, root_seed=args.seed)
    scenario, overrides, base = assumptions(args.scenario, args.overrides)
    plans = plan(crit, args.only, quick=args.quick, base=base)
    names = list(dict.fromkeys(p.spec.name for p in plans))
    labels = [p.label for p in plans]
    check_writable(args.out)
    checkpoints = args.out / ".checkpoints"
    total = sum(len(p.runs) for p in plans)  # second-stage runs are added once planned
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
                more_runs=lambda n: setattr(bar, "total", bar.total + n),
                base=base,
                overrides=overrides,
                scenario=scenario,
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
    tag = (
        ("quick" if args.quick else "full")
        + ("-" + "-".join(args.only) if args.only else "")
        + ("-changed" if base else "")
    )
    with result_folder(args.out, tag) as folder:
        write_report(folder.path, rep)
    assert folder.final is not None
    remove_checkpoints(checkpoints, labels)
    width = max(len(n) for n in names)
    for name, res in rep.results.items():
        parts = " ".join(f"({c.part}) {'PASS' if c.passed else 'FAIL'}" for c in res.checks)
        print(f"{name:<{width}}  {res.verdict}  {parts}")
    statuses = part_statuses(rep, crit.labels_apply(__version__))
    counted = [st for st in statuses if st.counted]
    print(
        f"\n{sum(st.check.passed for st in counted)} of {len(counted)} validation parts pass on "
        f"held-out patterns"
        + (
            ""
            if crit.labels_apply(__version__)
            else f" (none is held out for collabsim "
            f"{__version__}: every pattern was consulted in its calibration)"
        )
        + f"; {sum(r.passed for r in rep.results.values())} of {len(rep.results)} patterns pass; "
        f"{rep.n_runs} runs in {rep.seconds_run:.0f} s on {workers} worker(s) "
        f"({rep.cpu_seconds:.0f} CPU s; load average {rep.load[0]:.1f} -> {rep.load[1]:.1f})"
    )
    for st in statuses:
        if st.flags:
            print(f"flag: {st.pattern} ({st.part.id}): {'; '.join(st.flags)}")
    if rep.resumed:
        print(f"runs read from checkpoints (an earlier interrupted run): {', '.join(rep.resumed)}")
    print(f"report: {folder.final / 'REPORT.md'}  (HTML: {folder.final / 'REPORT.html'})")
    return 0


def _cmd_posterior(args: argparse.Namespace, crit: Any) -> int:
    """``replicate --posterior``: the held-out patterns over posterior parameter sets."""
    from collabsim.calibration.config import load_calibration
    from collabsim.calibration.posterior import load_posterior
    from collabsim.calibration.predictive import (
        planned_runs,
        posterior_replication,
        report_markdown,
    )
    from collabsim.cli_options import UsageError, engine_options
    from collabsim.engine import EngineError, progress_bar, running
    from collabsim.results import atomic_write_bytes, check_writable, provenance, result_folder
    from collabsim.results import write_json as _write_json

    if args.quick or args.only or args.scenario or args.overrides:
        raise UsageError(
            "--posterior runs every held-out pattern at the posterior's weights: it does not "
            "go with --quick, --only, --scenario or --set"
        )
    cal = load_calibration(crit, args.calibration)
    post = load_posterior(args.posterior)
    sets = args.sets or cal.posterior_sets
    seed = args.seed if args.seed is not None else crit.root_seed
    check_writable(args.out)
    total = planned_runs(crit, cal.posterior_seeds, sets)
    try:
        with (
            running(**engine_options(args), tasks=total) as engine,
            progress_bar(total, "posterior replication runs", enabled=not args.no_progress) as bar,
        ):
            pred = posterior_replication(
                crit, post, sets=sets, seed=seed, seeds=cal.posterior_seeds, level=cal.level,
                engine=engine, progress=bar.update,
                more_runs=lambda n: setattr(bar, "total", bar.total + n),
            )  # fmt: skip
            described = engine.describe()
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print("collabsim replicate: interrupted; nothing partial was kept", file=sys.stderr)
        return 130
    prov = provenance()
    header = {
        "criteria": f"{crit.path} (revision {crit.revision})",
        "collabsim": f"{prov['collabsim_version']} at commit {prov['git_commit']}",
        "engine": str(described),
    }
    with result_folder(args.out, "posterior") as folder:
        atomic_write_bytes(folder.path / "REPORT.md", report_markdown(pred, header).encode())
        atomic_write_bytes(folder.path / "shares.csv", pred.shares.to_csv(index=False).encode())
        atomic_write_bytes(folder.path / "sets.csv", pred.sets.to_csv(index=False).encode())
        _write_json(
            folder.path / "metadata.json",
            {
                **prov,
                "posterior": pred.posterior,
                "sets": len(pred.sets),
                "seed": pred.seed,
                "seed_scheme": "sets drawn by systematic resampling with "
                "numpy.random.default_rng(seed); set k runs from root seed "
                "SeedSequence(seed, spawn_key=(k,)) (column 'seed' of sets.csv)",
                "seeds_per_cell": pred.seeds,
                "level": pred.level,
                "criteria_file": crit.path,
                "engine": described,
                "seconds": pred.seconds,
                "runs": pred.runs,
            },
        )
    assert folder.final is not None
    for _, r in pred.shares.iterrows():
        print(
            f"{r['pattern']} ({r['part']}): holds at {r['holds']} of {r['sets']} sets, share "
            f"{r['share']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]: {r['statement']}"
        )
    print(f"{pred.runs:,} runs in {pred.seconds:.0f} s on {described.get('workers')} worker(s)")
    print(f"report: {folder.final / 'REPORT.md'}")
    return 0


def assumptions(
    scenario: str | None, overrides: Sequence[str]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """The student's changed assumptions: ``(scenario path, --set values, base parameters)``.

    The base is the scenario's parameters (none if no scenario) with the ``--set`` values on
    top, every key and value validated against the declared parameters.

    Raises:
        ConfigError: a bad scenario file or a ``--set`` that is not ``key=value``.
        ParamError: an unknown parameter or a value out of its range (naming both).
    """
    from collabsim.config import load_scenario, parse_override

    base: dict[str, Any] = {}
    path = ""
    if scenario is not None:
        sc = load_scenario(scenario)
        base.update(sc.params)
        path = sc.path
    sets = dict(parse_override(t) for t in overrides)
    base.update(sets)
    return path, sets, base
