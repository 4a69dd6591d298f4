"""The ``collabsim sweep`` and ``collabsim sensitivity`` commands.

``collabsim sweep CONFIG`` runs a declared design (``configs/sweep_*.toml``) on the chosen
engine into a resumable sweep folder; the same command after a crash continues where it
stopped, and after completion finds the finished folder instead of running again.
``collabsim sensitivity CONFIG`` runs the Sobol and Morris designs of a declared analysis
(``configs/sa_*.toml``) the same way, with replicates per point, then writes CSV tables,
figures, the seed-noise share, a convergence verdict and a Markdown summary into a new tagged
result folder. Bad input exits with status 2 and one line.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "cmd_sensitivity", "cmd_sweep"]


def _common(p: argparse.ArgumentParser, what: str, out: Path, out_help: str) -> None:
    from collabsim.cli_options import add_execution_options, positive_int

    p.add_argument("config", metavar="CONFIG", help=f"{what} file (.toml) or its name in configs/")
    p.add_argument("--reps", type=positive_int, default=None, help="replicates per design point")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix a parameter for every run (repeatable)",
    )
    add_execution_options(p, None, out, out_help)


def add_parser(sub: Any) -> None:
    """Add the ``sweep`` and ``sensitivity`` sub-commands."""
    from collabsim.cli_options import positive_int

    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid, LHS, Sobol, Morris) into a resumable folder",
        description="Run the design declared in CONFIG (see configs/sweep_*.toml): every "
        "design point times every replicate, one seed per run spawned from the root seed, "
        "results streamed to Parquet chunks. Re-running the same command resumes an "
        "interrupted sweep; a finished sweep folder is never overwritten.",
    )
    _common(p, "sweep", Path("results") / "sweeps", "the sweep folders")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "sensitivity",
        help="global sensitivity analysis (Sobol, Morris, PAWN) of a declared set of levers",
        description="Run the Sobol, Morris and PAWN designs declared in CONFIG (see "
        "configs/sa_*.toml) as resumable sweeps, then write indices with confidence "
        "intervals (CSV), figures (PNG), a convergence check and a Markdown summary.",
    )
    _common(p, "sensitivity", Path("results") / "sensitivity", "the tagged result folder")
    p.add_argument("--n", type=positive_int, default=None, help="Sobol base size N (power of 2)")
    p.add_argument(
        "--methods", default=None, help="comma-separated subset of sobol,morris,pawn,delta"
    )
    p.add_argument(
        "--max-undefined",
        type=float,
        default=None,
        metavar="SHARE",
        help="refuse an outcome undefined at more than this share of design points (default 0.2)",
    )
    p.add_argument(
        "--sweeps-out",
        type=Path,
        default=Path("results") / "sweeps",
        help="parent of the (resumable) sweep folders",
    )
    p.set_defaults(func=cmd_sensitivity)


def _interrupted(args: argparse.Namespace) -> int:
    print(
        f"collabsim {args.command}: interrupted; finished chunks are kept: run the same "
        f"command again to resume",
        file=sys.stderr,
    )
    return 130


def cmd_sweep(args: argparse.Namespace) -> int:
    """``collabsim sweep``."""
    from collabsim.cli_options import UsageError, engine_options
    from collabsim.results import OutputError
    from collabsim.sweep import EngineError, SweepError, execute, load_sweep
    from collabsim.sweep.store import SweepStore

    sweep = load_sweep(
        args.config, overrides=args.overrides, root_seed=args.seed, replicates=args.reps
    )
    d = sweep.design
    print(
        f"sweep {sweep.name}: {d.method} design, {d.n_points:,} points x {sweep.replicates} "
        f"replicates = {sweep.n_runs:,} runs in {sweep.n_chunks} chunks (root seed "
        f"{sweep.root_seed})",
        flush=True,
    )
    if sweep.series:
        every = "every week" if sweep.series_every == 1 else f"every {sweep.series_every} weeks"
        print(f"keeping weekly series ({every}): {', '.join(sweep.series)}", flush=True)
    try:
        res = execute(sweep, args.out, progress=not args.no_progress, **engine_options(args))
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        return _interrupted(args)
    except OutputError as exc:  # e.g. the disk filled up: what finished is kept
        if (
            isinstance(exc, SweepError)
            or not SweepStore(args.out, sweep.name, sweep.fingerprint()).has_partial()
        ):
            raise
        raise OutputError(
            f"{exc}; finished chunks are kept: fix this and run the same command again to resume"
        ) from None
    from collabsim.sweep.summary import write_sweep_summary

    if res.status == "existing":
        print(f"already complete (never overwritten): {res.path}")
        write_sweep_summary(res.path)  # a sweep finished before summaries existed gets one
        return 0
    rate = res.runs_now / res.seconds if res.seconds > 0 else float("nan")
    resumed = f", resumed after {res.resumed_chunks} chunks" if res.resumed_chunks else ""
    print(f"{res.runs_now:,} runs in {res.seconds:.1f} s ({rate:.1f} runs/s{resumed})")
    print(f"results: {res.path}")
    if write_sweep_summary(res.path):
        print(f"summary: {res.path / 'summary.md'} (figures in {res.path / 'figures'})")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``collabsim sensitivity``."""
    from collabsim.cli_options import UsageError, engine_options
    from collabsim.engine import EngineError, running
    from collabsim.results import check_writable
    from collabsim.sensitivity import load_sa_config

    methods = None
    if args.methods:
        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    cfg = load_sa_config(
        args.config,
        overrides=args.overrides,
        n=args.n,
        replicates=args.reps,
        root_seed=args.seed,
        methods=methods,
        max_undefined=args.max_undefined,
    )
    check_writable(args.out)
    check_writable(args.sweeps_out)
    try:
        with running(**engine_options(args)) as engine:
            return _sensitivity(args, cfg, engine)
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        return _interrupted(args)


def _sensitivity(args: argparse.Namespace, cfg: Any, engine: Any) -> int:
    import pandas as pd

    from collabsim.results import provenance, result_folder, write_json
    from collabsim.sensitivity import (
        ModelEvaluator,
        analyze,
        lever_ranking,
        settings_dict,
        write_report,
    )
    from collabsim.sensitivity.report import noise_floor

    evaluator = ModelEvaluator(
        name=cfg.name,
        base=cfg.base,
        outcomes=cfg.settings.outcomes,
        replicates=cfg.replicates,
        root_seed=cfg.root_seed,
        out=args.sweeps_out,
        chunk_size=cfg.chunk_size,
        progress=not args.no_progress,
        engine=engine,
    )
    print(
        f"sensitivity {cfg.name}: {len(cfg.factors)} parameters, methods "
        f"{', '.join(cfg.settings.methods)}, Sobol N = {cfg.settings.sobol_n}, "
        f"{cfg.replicates} replicate(s) per point",
        flush=True,
    )
    t0 = time.perf_counter()
    result = analyze(evaluator, cfg.factors, cfg.settings)
    seconds = time.perf_counter() - t0
    context = {
        "config": cfg.source,
        "base scenario": cfg.scenario,
        "replicates per point": cfg.replicates,
        "root seed": cfg.root_seed,
    }
    with result_folder(args.out, cfg.name) as folder:
        files = write_report(result, folder.path, title=cfg.name, context=context)
        write_json(
            folder.path / "metadata.json",
            {
                **provenance(),
                "kind": "sensitivity",
                "name": cfg.name,
                "description": cfg.description,
                "config": cfg.source,
                "scenario": cfg.scenario,
                "base_params": cfg.base,
                "factors": [f.to_dict() for f in result.factors],
                "settings": settings_dict(cfg.settings),
                "replicates": cfg.replicates,
                "root_seed": cfg.root_seed,
                "designs": result.designs,
                "sweeps": evaluator.sweeps,
                "imputed_points": evaluator.imputed,
                "undefined_share": result.undefined,
                "refused": result.refused,
                "seed_noise": noise_floor(result).to_dict("records"),
                "convergence_verdict": (
                    result.verdict.to_dict("records") if result.verdict is not None else []
                ),
                "engine": engine.describe(),
                "seconds": round(seconds, 2),
                "files": files,
            },
        )
    for message in result.refused.values():
        print(f"collabsim sensitivity: refused: {message}", file=sys.stderr)
    if result.verdict is not None:
        for r in result.verdict.itertuples():
            print(f"convergence, {r.outcome}: {r.verdict}")
    ranking = lever_ranking(result)
    with pd.option_context("display.width", 200, "display.max_columns", None):
        print(ranking.round(3).to_string(index=False))
    print(f"\n{seconds:.1f} s; results: {folder.final}  (summary: {folder.final / 'summary.md'})")
    return 0
