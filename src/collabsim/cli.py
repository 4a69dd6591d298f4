"""The ``collabsim`` command: run scenarios, compare them, list parameters and scenarios.

Every command has ``--help``. Bad input (unknown key, out-of-range value, wrong type, malformed
TOML, unknown scenario, bad counts, unwritable output) exits with status 2 and one line on
stderr that names the problem; nothing partial is written. Other packages of collabsim add
commands here through :data:`COMMAND_MODULES` (each has ``add_parser(subparsers)``).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

__all__ = ["UsageError", "main"]

#: Modules that add sub-commands (imported lazily; each defines ``add_parser(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = ("collabsim.app.cli", "collabsim.sweep.cli")


class UsageError(ValueError):
    """A command-line value is not usable; the message names it."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit with status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def positive_int(text: str) -> int:
    """Argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid: expected an integer >= 1")
    return value


def seed_int(text: str) -> int:
    """Argparse type: a non-negative integer seed."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer seed") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not valid: expected a seed >= 0")
    return value


def _add_run_options(p: argparse.ArgumentParser, default_reps: int) -> None:
    p.add_argument(
        "--reps",
        type=positive_int,
        default=default_reps,
        help=f"replicates (default {default_reps})",
    )
    p.add_argument("--seed", type=seed_int, default=2025, help="root seed (default 2025)")
    p.add_argument(
        "--steps", type=positive_int, default=None, help="weeks to run (overrides 'weeks')"
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable), e.g. --set turnover_rate=0.3",
    )
    p.add_argument(
        "--out", type=Path, default=None, help="parent folder of the tagged result folder"
    )
    p.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: all cores)"
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (sub-commands included)."""
    parser = _Parser(
        prog="collabsim",
        description="An agent-based laboratory for cross-sector collaboration in cities.",
    )
    from collabsim import __version__

    parser.add_argument("--version", action="version", version=f"collabsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "run",
        help="run a scenario with replicates and save the results",
        description="Run a scenario (name in configs/ or a .toml path) with "
        "replicates; write time series (Parquet), summaries (CSV), a figure "
        "(PNG) and metadata.json into a new tagged folder.",
    )
    p.add_argument("scenario", metavar="CONFIG_OR_SCENARIO")
    _add_run_options(p, default_reps=10)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="run several scenarios side by side",
        description="Run scenarios side by side with the same seeds; print one "
        "table and write one figure.",
    )
    p.add_argument("scenarios", nargs="+", metavar="CONFIG_OR_SCENARIO")
    _add_run_options(p, default_reps=20)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "params",
        help="list every parameter",
        description="List every declared "
        "parameter: default, valid range, unit, concept and source.",
    )
    p.add_argument("--concept", default=None, help="only this concept group")
    p.add_argument("--markdown", action="store_true", help="print a Markdown table")
    p.set_defaults(func=cmd_params)

    p = sub.add_parser(
        "scenarios",
        help="list the scenarios in configs/",
        description="List the scenario files and what they represent.",
    )
    p.set_defaults(func=cmd_scenarios)

    for name in COMMAND_MODULES:
        importlib.import_module(name).add_parser(sub)
    return parser


# ----------------------------------------------------------------------------- commands
def _load(names: Sequence[str], overrides: Sequence[str], steps: int | None):
    from collabsim.config import apply_overrides, load_scenario

    out = []
    extra = [*overrides, *([f"weeks={steps}"] if steps else [])]
    for name in names:
        out.append(apply_overrides(load_scenario(name), extra))
    labels = [s.name for s in out]
    if len(set(labels)) != len(labels):
        raise UsageError(f"scenario given twice: {', '.join(labels)}")
    return out


def _simulate(scenarios, args) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    from tqdm import tqdm

    from collabsim.runner import default_workers, run_many, spawn_seeds

    seeds = spawn_seeds(args.seed, args.reps)
    workers = args.workers or default_workers()
    total = len(scenarios) * len(seeds)
    summaries, series = [], []
    bar = tqdm(
        total=total, desc="runs", unit="run", disable=args.no_progress or total < 2, file=sys.stderr
    )
    try:
        for sc in scenarios:
            results = run_many(sc.params, seeds, workers=workers, progress=bar.update)
            for rep, (summ, ts) in enumerate(results):
                summaries.append({"scenario": sc.name, "rep": rep, **summ})
                ts.insert(0, "rep", rep)
                ts.insert(0, "scenario", sc.name)
                series.append(ts)
    finally:
        bar.close()
    meta = {
        "root_seed": args.seed,
        "reps": args.reps,
        "seeds": seeds,
        "workers": workers,
        "scenarios": {
            sc.name: {
                "path": sc.path,
                "description": sc.description,
                "overrides": sc.overrides,
                "resolved_params": sc.resolved(),
            }
            for sc in scenarios
        },
    }
    return pd.DataFrame(summaries), pd.concat(series, ignore_index=True), meta


def _write(
    parent: Path,
    name: str,
    summ: pd.DataFrame,
    ts: pd.DataFrame,
    meta: dict,
    figure,
    table: pd.DataFrame,
) -> Path:
    from collabsim.results import provenance, result_folder, write_json

    with result_folder(parent, name) as folder:
        d = folder.path
        ts.to_parquet(d / "timeseries.parquet", index=False)
        summ.to_csv(d / "summary.csv", index=False)
        table.to_csv(d / "table.csv", index=False)
        figure.savefig(d / "figure.png", dpi=120)
        write_json(d / "metadata.json", {**provenance(), **meta})
    assert folder.final is not None
    return folder.final


def _default_parent(args) -> Path:
    return args.out if args.out is not None else Path("results") / "runs"


def _print_table(table: pd.DataFrame) -> None:
    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(table.to_string(index=False))


def cmd_run(args) -> int:
    """``collabsim run``."""
    from collabsim.plotting import plot_overview
    from collabsim.results import check_writable
    from collabsim.stats import summary_table

    (sc,) = _load([args.scenario], args.overrides, args.steps)
    parent = _default_parent(args)
    check_writable(parent)
    summ, ts, meta = _simulate([sc], args)
    table = summary_table(summ, by="scenario")
    fig = plot_overview(ts, title=f"{sc.name}: {args.reps} replicates (root seed {args.seed})")
    final = _write(parent, sc.name, summ, ts, meta, fig, table)
    _print_table(table)
    print(f"\nresults: {final}")
    return 0


def cmd_compare(args) -> int:
    """``collabsim compare``."""
    from collabsim.plotting import plot_overview
    from collabsim.results import check_writable
    from collabsim.stats import summary_table

    scenarios = _load(args.scenarios, args.overrides, args.steps)
    parent = _default_parent(args)
    check_writable(parent)
    summ, ts, meta = _simulate(scenarios, args)
    table = summary_table(summ, by="scenario")
    names = " vs ".join(s.name for s in scenarios)
    fig = plot_overview(ts, by="scenario", title=f"{names}: {args.reps} replicates each")
    final = _write(
        parent, "compare-" + "-".join(s.name for s in scenarios), summ, ts, meta, fig, table
    )
    _print_table(table)
    print(f"\nresults: {final}  (figure: {final / 'figure.png'})")
    return 0


def cmd_params(args) -> int:
    """``collabsim params``."""
    from collabsim.params import CONCEPTS, PARAMS, table_rows

    items = list(PARAMS.values())
    if args.concept:
        if args.concept not in CONCEPTS:
            raise UsageError(
                f"unknown concept {args.concept!r}: expected one of {', '.join(CONCEPTS)}"
            )
        items = [p for p in items if p.concept == args.concept]
    rows = table_rows(items)
    if args.markdown:
        print("| name | concept | default | valid range | unit | meaning | source |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| `{r['name']}` | {r['concept']} | {r['default']} | {r['range']} | "
                f"{r['unit']} | {r['description']} | {r['source']} |"
            )
        return 0
    df = pd.DataFrame(rows)[["name", "concept", "default", "range", "unit", "description"]]
    with pd.option_context(
        "display.max_colwidth", 70, "display.width", 250, "display.max_rows", None
    ):
        print(df.to_string(index=False))
    return 0


def cmd_scenarios(args) -> int:
    """``collabsim scenarios``."""
    from collabsim.config import configs_dir, list_scenarios

    found = list_scenarios()
    if not found:
        print(f"no scenarios found in {configs_dir()}")
        return 0
    for sc in found:
        print(f"{sc.name:<18} {sc.title or ''}")
        if sc.description:
            print(textwrap.indent(textwrap.fill(sc.description, 90), " " * 19))
    return 0


# ----------------------------------------------------------------------------- entry point
def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``collabsim`` command; returns the exit status."""
    from collabsim.config import ConfigError
    from collabsim.params import ParamError
    from collabsim.results import OutputError

    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (already printed)
        return int(exc.code or 0)
    try:
        return int(args.func(args) or 0)
    except (ParamError, ConfigError, UsageError, OutputError) as exc:
        print(f"collabsim {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"collabsim {args.command}: interrupted; nothing partial was kept", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
