"""``collabsim calibrate``: ABC-SMC of the free weights against the calibration targets.

Registered in :data:`collabsim.cli.COMMAND_MODULES`. Reads ``configs/calibration.toml`` (or
``--config``; ``--quick`` reads ``configs/calibration_recovery.toml``, the parameter-recovery
check CI runs) and the labels of ``configs/replication.toml``; runs pyabc's ABC-SMC on the
engine chosen with the shared options, with a progress bar per generation; writes the result
into a new tagged folder under ``--out`` (default ``results/calibration``) through a temporary
folder renamed into place when complete. pyabc's history lives in
``<out>/.running/<key>/abc.db`` while the calibration runs (``key``: a hash of the two files,
the overrides and the model's source), so an interrupted calibration resumes from its last
finished generation on the next identical command; the working folder is removed once the
result is written. Bad input exits with status 2 and one line naming the key, value and range.

The result folder: ``REPORT.md``; ``posterior.csv`` (the last generation's particles with
their importance weights, distances and run seeds); ``populations.csv`` (every generation's);
``generations.csv`` (tolerance, evaluations, acceptance rate and effective sample size per
generation); ``identifiability.csv``; ``posterior.toml`` (the summary ``collabsim params``
reads once committed as ``configs/posterior.toml``); ``statistics.json`` (the observed
statistics and what each means); ``abc.db`` (pyabc's full history); ``figures/``; and
``metadata.json`` (version, commit, both config files, seeds scheme, engine, timings).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_OUT", "QUICK_FILE", "add_parser", "cmd_calibrate"]

#: Parent folder of the tagged calibration results.
DEFAULT_OUT = Path("results") / "calibration"
#: The calibration ``--quick`` reads: parameter recovery from pseudo-data, sized for CI.
QUICK_FILE = "calibration_recovery.toml"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``calibrate`` sub-command."""
    from collabsim.cli_options import add_execution_options, positive_int

    p = subparsers.add_parser(
        "calibrate",
        help="calibrate the free weights by ABC-SMC against the calibration-target patterns",
        description="Approximate Bayesian computation (pyabc's ABC-SMC) over the weights "
        "declared in configs/calibration.toml, against the statistics of the patterns that "
        "configs/replication.toml labels calibration targets. Writes the weighted posterior "
        "particles, diagnostics, figures and provenance into a new tagged folder; an "
        "interrupted calibration resumes on the next identical command.",
    )
    p.add_argument(
        "--config", type=Path, default=None, help="calibration file (configs/calibration.toml)"
    )
    p.add_argument(
        "--criteria", type=Path, default=None, help="criteria file (configs/replication.toml)"
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"parameter recovery from pseudo-data (configs/{QUICK_FILE}, minutes)",
    )
    p.add_argument("--population", type=positive_int, help="particles per generation (file's)")
    p.add_argument("--generations", type=positive_int, help="most generations (file's)")
    add_execution_options(p, None, DEFAULT_OUT, "the tagged result folder")
    p.set_defaults(func=cmd_calibrate)
    return p


def _config(args: argparse.Namespace) -> tuple[Any, Any]:
    from collabsim.calibration.config import load_calibration
    from collabsim.config import configs_dir
    from collabsim.replication.criteria import load_criteria

    crit = load_criteria(args.criteria)
    path = args.config
    if path is None and args.quick:
        path = configs_dir() / QUICK_FILE
    cfg = load_calibration(crit, path)
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["root_seed"] = args.seed
    if args.population is not None:
        changes["population"] = args.population
    if args.generations is not None:
        changes["generations"] = args.generations
    return crit, dataclasses.replace(cfg, **changes)


def _key(cfg: Any, crit: Any) -> str:
    from collabsim.replication.runner import model_digest

    h = hashlib.sha256(model_digest().encode())
    h.update(json.dumps(cfg.raw, sort_keys=True, default=str).encode())
    h.update(json.dumps(crit.raw, sort_keys=True, default=str).encode())
    for k in ("root_seed", "population", "generations"):
        h.update(f"{k}={getattr(cfg, k)}".encode())
    return h.hexdigest()[:16]


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Run (or resume) the calibration; print the diagnostics and where the result is."""
    from collabsim.cli_options import UsageError, engine_options
    from collabsim.engine import EngineError, progress_bar, running
    from collabsim.results import check_writable, result_folder

    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise UsageError("pyabc is not installed: pip install 'collabsim[calibration]'") from None
    from collabsim.calibration.smc import run_abc
    from collabsim.calibration.statistics import observed_statistics

    crit, cfg = _config(args)
    check_writable(args.out)
    if not args.no_progress:  # the bar shows the progress; pyabc's per-generation log is kept
        import logging  # in REPORT.md and generations.csv, and shown with --no-progress

        logging.getLogger("ABC").setLevel(logging.WARNING)
    workdir = args.out / ".running" / _key(cfg, crit)
    start = time.perf_counter()
    counts = {"evaluated": 0, "accepted": 0}
    try:
        with (
            running(**engine_options(args)) as engine,
            progress_bar(cfg.population, "calibration", enabled=not args.no_progress) as bar,
        ):

            def on_start(t: int, n: int) -> None:
                counts.update(evaluated=0, accepted=0)
                bar.reset(total=n)
                bar.set_description("prior sample" if t < 0 else f"generation {t}")

            def on_particle(accepted: bool) -> None:
                counts["evaluated"] += 1
                if accepted:
                    counts["accepted"] += 1
                    bar.update(1)
                bar.set_postfix(evaluated=counts["evaluated"], refresh=False)

            bar.set_description("statistics to match")
            observed, labels = observed_statistics(crit, cfg, engine=engine)
            run = run_abc(
                cfg, crit, observed, workdir, engine=engine, on_particle=on_particle,
                on_start=on_start,
            )  # fmt: skip
            described = engine.describe()
    except EngineError as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print(
            "collabsim calibrate: interrupted; the finished generations are kept: run the same "
            "command again to resume",
            file=sys.stderr,
        )
        return 130
    seconds = time.perf_counter() - start
    name = ("quick" if args.quick else "calibration") + f"-{len(cfg.names)}w"
    with result_folder(args.out, name) as folder:
        summary = write_result(
            folder.path, cfg, crit, run, observed, labels, described, seconds, name
        )
    assert folder.final is not None
    shutil.rmtree(workdir, ignore_errors=True)
    with_running = args.out / ".running"
    if with_running.is_dir() and not any(with_running.iterdir()):
        with_running.rmdir()
    print(summary)
    print(f"result: {folder.final}  (report: {folder.final / 'REPORT.md'})")
    return 0


def write_result(
    folder: Path,
    cfg: Any,
    crit: Any,
    run: Any,
    observed: dict[str, float],
    labels: dict[str, str],
    engine: dict[str, Any],
    seconds: float,
    tag: str,
) -> str:
    """Write the result files into ``folder``; return the text printed at the end."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from collabsim.calibration.plots import (
        plot_diagnostics,
        plot_identifiability,
        plot_marginals,
        plot_pairs,
    )
    from collabsim.calibration.posterior import (
        POSTERIOR_CSV,
        POSTERIOR_FILE,
        Posterior,
        identifiability,
        summary_toml,
    )
    from collabsim.calibration.smc import DB_NAME, generations, populations
    from collabsim.replication.runner import model_digest
    from collabsim.results import atomic_write_bytes, provenance, write_json

    prov = provenance()
    gens = generations(run.db)
    pops = populations(run.db, cfg.names)
    last = pops[pops["generation"] == pops["generation"].max()].reset_index(drop=True)
    priors = {p.name: (p.low, p.high) for p in cfg.priors}
    post = Posterior(last, cfg.names, priors, str(folder / POSTERIOR_CSV))
    table = identifiability(post, cfg.interval)
    if cfg.truth:
        table["truth"] = [cfg.truth.get(n, float("nan")) for n in table["weight"]]
        table["truth_inside"] = [
            bool(lo <= t <= hi) if t == t else None
            for t, lo, hi in zip(table["truth"], table["low"], table["high"], strict=True)
        ]
    shutil.copyfile(run.db, folder / DB_NAME)
    for fname, df in (
        (POSTERIOR_CSV, last),
        ("populations.csv", pops),
        ("generations.csv", gens),
        ("identifiability.csv", table),
    ):
        atomic_write_bytes(folder / fname, df.to_csv(index=False).encode())
    atomic_write_bytes(folder / POSTERIOR_FILE, summary_toml(post, cfg, prov, tag).encode())
    write_json(folder / "statistics.json", {"observed": observed, "labels": labels})
    figs = folder / "figures"
    figs.mkdir(exist_ok=True)
    axes = plot_marginals(post, cfg.interval, history=pops)
    _save(axes.flat[0].figure if hasattr(axes, "flat") else axes.figure, figs / "marginals.png")
    if len(cfg.names) > 1:
        _save(plot_pairs(post), figs / "pairs.png")
    _save(plot_identifiability(table).figure, figs / "identifiability.png")
    _save(plot_diagnostics(gens)[0].figure, figs / "diagnostics.png")
    plt.close("all")
    write_json(
        folder / "metadata.json",
        {
            **prov,
            "model_digest": model_digest(),
            "calibration_file": cfg.path,
            "calibration": cfg.raw,
            "criteria_file": crit.path,
            "criteria_revision": crit.revision,
            "target_patterns": list(cfg.patterns),
            "seeds_per_cell": cfg.seeds,
            "root_seed": cfg.root_seed,
            "population": cfg.population,
            "generations": cfg.generations,
            "seed_scheme": "proposal i of generation t: SeedSequence(root_seed, spawn_key="
            "(t + 1, i)); child 0 seeds pyabc's proposal draw, child 1 is the root of the "
            "particle's runs (recorded as 'seed' in populations.csv); t = -1 is the calibration "
            "sample from the prior",
            "engine": engine,
            "seconds": seconds,
            "resumed_from_generation": run.resumed_from,
            "generations_run_now": run.generations_run,
            "evaluations": int(gens["evaluations"].sum()) if len(gens) else 0,
        },
    )
    text = _report(cfg, crit, gens, table, labels, seconds, engine, run)
    atomic_write_bytes(folder / "REPORT.md", text.encode())
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        return (
            gens.to_string(index=False, float_format=lambda x: f"{x:.3g}")
            + "\n\n"
            + table.to_string(index=False, float_format=lambda x: f"{x:.3g}")
        )


def _save(fig: Any, path: Path) -> None:
    import io

    from collabsim.results import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    atomic_write_bytes(path, buf.getvalue())


def _report(cfg, crit, gens, table, labels, seconds, engine, run) -> str:
    def md(df) -> str:
        cols = list(df.columns)
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        for _, r in df.iterrows():
            out.append(
                "| " + " | ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in r) + " |"
            )
        return "\n".join(out)

    lines = [
        "# Calibration (ABC-SMC)",
        "",
        f"- weights: {', '.join(cfg.names)}",
        f"- target patterns (labels of {crit.path}): "
        + ", ".join(f"{n} ({cfg.seeds[n]} seeds per cell)" for n in cfg.patterns),
        f"- distance: {cfg.distance} (p = {cfg.p:g}); tolerance: {cfg.epsilon}"
        + (f" (alpha {cfg.alpha:g})" if cfg.epsilon == "quantile" else ""),
        f"- population {cfg.population}, at most {cfg.generations} generations; root seed "
        f"{cfg.root_seed}",
        f"- engine: {engine}; {seconds:.0f} s"
        + (f"; resumed after generation {run.resumed_from - 1}" if run.resumed_from else ""),
        "",
        "## Generations",
        "",
        md(gens),
        "",
        f"## Posterior and identifiability ({100 * cfg.interval:g}% central intervals)",
        "",
        "A width ratio near 1 means the targets leave the weight free.",
        "",
        md(table),
        "",
        "## Statistics",
        "",
        *[f"- `{k}`: {v}" for k, v in labels.items()],
        "",
        "Figures: figures/marginals.png (posterior against prior, earlier generations in grey), "
        + ("figures/pairs.png, " if len(cfg.names) > 1 else "")
        + "figures/identifiability.png, figures/diagnostics.png.",
    ]
    return "\n".join(lines) + "\n"
