"""The ``collabsim`` command: run scenarios, compare them, list parameters and scenarios.

Every command has ``--help``. Bad input (unknown key, out-of-range value, wrong type, malformed
TOML, unknown scenario, bad counts, unwritable or full output directory) exits with status 2
and one line on stderr that names the problem; nothing partial is written. Ctrl-C (or SIGTERM)
during ``run`` or ``compare`` keeps the replicates that finished, in a result folder marked
incomplete, and exits with status 130. Other packages of collabsim add commands here through
:data:`COMMAND_MODULES` (each has ``add_parser(subparsers)``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import signal
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from collabsim.cli_options import (  # noqa: F401  (re-exported: the command's public names)
    MAX_REPS,
    UsageError,
    _Parser,
    add_execution_options,
    engine_options,
    positive_int,
    reps_int,
    seed_int,
    workers_int,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "UsageError",
    "add_execution_options",
    "engine_options",
    "main",
    "positive_int",
    "seed_int",
    "workers_int",
]

#: Most time-series rows (runs x weeks) that ``run`` and ``compare`` hold in memory and write
#: to one Parquet file (about 0.3 GB in memory); larger designs belong in ``collabsim sweep``.
MAX_SERIES_ROWS = 2_000_000

#: Modules that add sub-commands (imported lazily; each defines ``add_parser(subparsers)``).
COMMAND_MODULES: tuple[str, ...] = (
    "collabsim.app.cli",
    "collabsim.sweep.cli",
    "collabsim.replication.cli",
    "collabsim.calibration.cli",
    "collabsim.discovery",
)


def _add_run_options(p: argparse.ArgumentParser, default_reps: int) -> None:
    p.add_argument(
        "--reps",
        type=reps_int,
        default=default_reps,
        help=f"replicates (default {default_reps})",
    )
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
    add_execution_options(p, 2025, Path("results") / "runs", "the tagged result folder")


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
    p.add_argument(
        "--posterior",
        type=Path,
        default=None,
        metavar="FILE",
        help="a calibration result folder or its posterior.toml: show each calibrated "
        "weight's posterior interval (default: configs/posterior.toml when committed)",
    )
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


def _series_rows(scenarios, reps: int) -> int:
    return sum(reps * (sc.resolved()["weeks"] + 1) for sc in scenarios)


def _check_size(scenarios, reps: int) -> None:
    rows = _series_rows(scenarios, reps)
    if rows > MAX_SERIES_ROWS:
        raise UsageError(
            f"--reps {reps} gives {rows:,} time-series rows (replicates x weeks, every "
            f"scenario): at most {MAX_SERIES_ROWS:,} are kept by run and compare; use fewer "
            f"replicates or weeks, or 'collabsim sweep' for large designs"
        )


def _need_bytes(scenarios, reps: int) -> int:
    """Disk space the result folder will need (a generous estimate, measured on real runs)."""
    return 100 * _series_rows(scenarios, reps) + 600 * reps * len(scenarios) + 1_000_000


def _simulate(scenarios, args) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Run every replicate of every scenario; on Ctrl-C keep the runs that finished.

    Returns the summaries, the time series and the metadata; ``meta["complete"]`` is False
    when the runs were interrupted (the frames then hold the runs finished before).
    """
    from concurrent.futures.process import BrokenProcessPool

    import pandas as pd

    from collabsim.engine import EngineError, progress_bar, running, spawn_seeds
    from collabsim.runner import iter_runs

    seeds = spawn_seeds(args.seed, args.reps)
    total = len(scenarios) * len(seeds)
    finished: list[tuple[dict[str, Any], pd.DataFrame]] = []
    stopped = ""
    described: dict[str, Any] = {}  # the engine, once started
    try:
        with (
            running(**engine_options(args), tasks=len(seeds)) as engine,
            progress_bar(total, "runs", enabled=not args.no_progress and total > 1) as bar,
        ):
            described = engine.describe()
            for sc in scenarios:
                for rep, (summ, ts) in enumerate(iter_runs(sc.params, seeds, engine=engine)):
                    ts.insert(0, "rep", rep)
                    ts.insert(0, "scenario", sc.name)
                    # one append: a Ctrl-C arriving anywhere keeps both parts of a run or neither
                    finished.append(({"scenario": sc.name, "rep": rep, **summ}, ts))
                    bar.update(1)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        stopped = "interrupted (Ctrl-C or SIGTERM)"
    except BrokenProcessPool:
        stopped = "a worker process died (killed, or out of memory)"
    late = bool(stopped) and stopped.startswith("interrupted") and len(finished) == total
    if late:  # the Ctrl-C came after the last run had finished: the results are complete
        stopped = ""
    meta = {
        "complete": not stopped,
        "runs_planned": total,
        "runs_finished": len(finished),
        "root_seed": args.seed,
        "reps": args.reps,
        "seeds": seeds,
        "workers": described.get("workers"),
        "engine": described,
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
    if late:
        meta["interrupted_after_every_run"] = True
    if stopped:
        meta["stopped"] = stopped
        meta["note"] = (
            "incomplete: only the runs in summary.csv finished (the first replicates, in "
            "order); every planned run's seed is in 'seeds'"
        )
    summ_df = pd.DataFrame([row for row, _ in finished])
    ts_df = pd.concat([ts for _, ts in finished], ignore_index=True) if finished else pd.DataFrame()
    return summ_df, ts_df, meta


def _write(
    parent: Path,
    name: str,
    summ: pd.DataFrame,
    ts: pd.DataFrame,
    meta: dict,
    figure,
    table: pd.DataFrame,
) -> Path:
    from collabsim.results import (
        OutputError,
        parquet_bytes,
        png_bytes,
        provenance,
        result_folder,
        write_json,
    )

    try:
        with result_folder(parent, name) as folder:
            folder.write("timeseries.parquet", parquet_bytes(ts))
            folder.write("summary.csv", summ.to_csv(index=False).encode())
            folder.write("table.csv", table.to_csv(index=False).encode())
            folder.write("figure.png", png_bytes(figure, dpi=120))
            write_json(folder.path / "metadata.json", {**provenance(), **meta})
    except OutputError as exc:  # e.g. the disk filled up while writing
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise OutputError(
            f"cannot save the results in {str(parent)!r}: {reason}; nothing partial was kept"
        ) from None
    assert folder.final is not None
    return folder.final


def _print_table(table: pd.DataFrame) -> None:
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", 200):
        print(table.to_string(index=False))


@contextlib.contextmanager
def _signals_held() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM until the block ends; yield the signals that arrived."""
    held: list[int] = []
    previous = {}
    with contextlib.suppress(ValueError):  # not the main thread: signals stay as they are
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda signum, frame: held.append(signum))
    try:
        yield held
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_and_save(args, scenarios, name: str, title: str) -> tuple[int, Path | None]:
    """Simulate, then save; returns the exit status and the result folder (if any)."""
    from collabsim.plotting import plot_overview
    from collabsim.results import check_writable
    from collabsim.stats import summary_table

    _check_size(scenarios, args.reps)
    parent = args.out
    check_writable(parent, need_bytes=_need_bytes(scenarios, args.reps))
    summ, ts, meta = _simulate(scenarios, args)
    done, total = meta["runs_finished"], meta["runs_planned"]
    stopped = meta.get("stopped", "")
    code = 130 if stopped.startswith("interrupted") else 2
    prefix = f"collabsim {args.command}: " + ("" if code == 130 else "error: ")
    if stopped and done == 0:
        print(f"{prefix}{stopped} before any run finished; nothing was saved", file=sys.stderr)
        return code, None
    if stopped:
        title += f" (incomplete: {done} of {total} runs)"
        name += "-incomplete"
    with _signals_held() as held:  # the runs are done: a Ctrl-C now must not lose them
        table = summary_table(summ, by="scenario")
        fig = plot_overview(ts, by="scenario" if len(scenarios) > 1 else None, title=title)
        try:
            final = _write(parent, name, summ, ts, meta, fig, table)
        finally:
            import matplotlib.pyplot as plt

            plt.close(fig)
    if (held or meta.get("interrupted_after_every_run")) and not stopped:
        print(
            f"collabsim {args.command}: interrupted while saving; every run had finished and "
            f"the complete results were saved in {final}",
            file=sys.stderr,
        )
        return 130, final
    if stopped:
        print(
            f"{prefix}{stopped}; the {done} of {total} runs that finished were saved, marked "
            f"incomplete, in {final}",
            file=sys.stderr,
        )
        return code, final
    _print_table(table)
    return 0, final


def cmd_run(args) -> int:
    """``collabsim run``."""
    (sc,) = _load([args.scenario], args.overrides, args.steps)
    title = f"{sc.name}: {args.reps} replicates (root seed {args.seed})"
    code, final = _run_and_save(args, [sc], sc.name, title)
    if code == 0:
        print(f"\nresults: {final}")
    return code


def cmd_compare(args) -> int:
    """``collabsim compare``."""
    scenarios = _load(args.scenarios, args.overrides, args.steps)
    names = " vs ".join(s.name for s in scenarios)
    title = f"{names}: {args.reps} replicates each"
    name = "compare-" + "-".join(s.name for s in scenarios)
    code, final = _run_and_save(args, scenarios, name, title)
    if code == 0 and final is not None:
        print(f"\nresults: {final}  (figure: {final / 'figure.png'})")
    return code


def cmd_params(args) -> int:
    """``collabsim params``."""
    import pandas as pd

    from collabsim.params import CONCEPTS, PARAMS, markdown_table, table_rows

    items = list(PARAMS.values())
    if args.concept:
        if args.concept not in CONCEPTS:
            raise UsageError(
                f"unknown concept {args.concept!r}: expected one of {', '.join(CONCEPTS)}"
            )
        items = [p for p in items if p.concept == args.concept]
    rows = table_rows(items)
    intervals = _posterior_intervals(getattr(args, "posterior", None))
    if args.markdown:
        print(markdown_table(items))
        return 0
    cols = ["name", "concept", "status", "default", "range", "unit", "description"]
    df = pd.DataFrame(rows)[cols]
    if intervals:
        level = next(iter(intervals.values()))["level"]
        column = f"posterior {100 * level:g}%"
        df.insert(
            4,
            column,
            [
                f"[{intervals[n]['low']:.4g}, {intervals[n]['high']:.4g}]" if n in intervals else ""
                for n in df["name"]
            ],
        )
    with pd.option_context(
        "display.max_colwidth", 70, "display.width", 250, "display.max_rows", None
    ):
        print(df.to_string(index=False))
    return 0


def _posterior_intervals(path: Path | None) -> dict[str, dict[str, Any]]:
    """Calibrated weights' posterior intervals: of ``path``, else the committed ones, else {}."""
    from collabsim.calibration.posterior import committed_intervals

    return committed_intervals(path)


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
#: Modules each command needs, loaded at start-up (while a Ctrl-C is held).
_PRELOAD: dict[str, tuple[str, ...]] = {
    "run": ("collabsim.runner", "collabsim.plotting", "collabsim.stats", "tqdm"),
    "compare": ("collabsim.runner", "collabsim.plotting", "collabsim.stats", "tqdm"),
    "sweep": ("collabsim.runner", "collabsim.sweep", "tqdm"),
    "sensitivity": ("collabsim.runner", "collabsim.sweep", "collabsim.sensitivity", "tqdm"),
    "replicate": ("collabsim.runner", "collabsim.replication.replicate", "tqdm"),
    "calibrate": ("collabsim.runner", "collabsim.replication.replicate", "tqdm"),
    "animate": ("collabsim.runner", "collabsim.animate"),
}
#: Commands for which SIGTERM (a batch system's time limit, ``kill``) acts like Ctrl-C.
_TERM_AS_INTERRUPT = frozenset({"run", "compare", "sweep", "sensitivity", "replicate", "calibrate"})


def _term_to_interrupt(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``collabsim`` command; returns the exit status."""
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")
    # Start-up: a Ctrl-C while the libraries load (a second or two) is answered once they
    # are loaded, with one line, instead of a traceback from inside an import.
    with _signals_held() as held:
        from collabsim.config import ConfigError
        from collabsim.params import ParamError
        from collabsim.results import OutputError

        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version and usage errors (already printed)
            return int(exc.code or 0)
        for module in _PRELOAD.get(args.command, ()):
            importlib.import_module(module)
    if held:
        print(f"collabsim {args.command}: interrupted; nothing was started", file=sys.stderr)
        return 130
    previous = None
    if args.command in _TERM_AS_INTERRUPT:
        with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
            previous = signal.signal(signal.SIGTERM, _term_to_interrupt)
    try:
        return int(args.func(args) or 0)
    except (ParamError, ConfigError, UsageError, OutputError) as exc:
        print(f"collabsim {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:  # the environment refused (disk, permissions), not a bug
        where = f" {str(exc.filename)!r}" if exc.filename else ""
        print(
            f"collabsim {args.command}: error: cannot use{where}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print(f"collabsim {args.command}: interrupted; nothing partial was kept", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
