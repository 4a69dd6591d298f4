"""Benchmark of the sweep engine and of a full Sobol analysis of the default scenario.

1. Throughput: the same Latin-hypercube design over the key levers (default scenario, full
   horizon), run by the process pool with 1 worker and with every core; runs per second, the
   speed-up, and CPU milliseconds per run (independent of other load on the machine).
CPU time is reported next to wall time: on a machine shared with other work, wall time
measures the load as much as the code, while CPU time per run does not.

2. Sobol analysis: ``configs/sa_key_actions.toml`` (15 parameters plus the dummy, default
   scenario) at N = 1024, first and total order with bootstrap intervals and the convergence
   check: ``1024 x 18 = 18,432`` runs on every core, then the analysis; wall time of each part.

Usage::

    python benchmarks/bench_sweep.py                 # both parts
    python benchmarks/bench_sweep.py --skip-sobol    # throughput only
    python benchmarks/bench_sweep.py --runs 400 --sobol-n 1024 --json results/bench/sweep.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from collabsim.engine import default_workers
from collabsim.sensitivity import ModelEvaluator, analyze, load_sa_config
from collabsim.sweep import Sweep, execute, make_design


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _self_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def throughput(runs: int, workers: int, seed: int) -> dict:
    cfg = load_sa_config("sa_key_actions")
    design = make_design("lhs", cfg.factors, n=runs, seed=seed)
    sweep = Sweep(
        "bench-throughput",
        design,
        base=cfg.base,
        replicates=1,
        root_seed=seed,
        chunk_size=max(1, runs // 8),
    )
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = _children_cpu() + _self_cpu()
        t0 = time.perf_counter()
        res = execute(sweep, tmp, engine="pool", workers=workers, progress=False)
        wall = time.perf_counter() - t0
        cpu = _children_cpu() + _self_cpu() - cpu0
    assert res.runs_now == runs
    return {
        "workers": workers,
        "runs": runs,
        "seconds": round(wall, 2),
        "runs_per_s": round(runs / wall, 1),
        "cpu_ms_per_run": round(1000 * cpu / runs, 1),
    }


def sobol_benchmark(n: int, workers: int) -> dict:
    cfg = load_sa_config("sa_key_actions", n=n, methods=["sobol"])
    timings = {"sweep_s": 0.0}

    class Timed(ModelEvaluator):
        def __call__(self, design):
            t = time.perf_counter()
            out = super().__call__(design)
            timings["sweep_s"] += time.perf_counter() - t
            return out

    with tempfile.TemporaryDirectory() as tmp:
        ev = Timed(
            name="bench-sobol",
            base=cfg.base,
            outcomes=cfg.settings.outcomes,
            replicates=1,
            root_seed=cfg.root_seed,
            out=tmp,
            engine="pool",
            workers=workers,
            chunk_size=cfg.chunk_size,
            progress=sys.stderr.isatty(),
        )
        settings = dataclasses.replace(cfg.settings, methods=("sobol",))
        cpu0 = _children_cpu() + _self_cpu()
        t0 = time.perf_counter()
        result = analyze(ev, cfg.factors, settings)
        total = time.perf_counter() - t0
        cpu = _children_cpu() + _self_cpu() - cpu0
    runs = result.designs["sobol"]
    top = result.sobol[result.sobol["outcome"] == "collective_impact"].nlargest(3, "ST")
    return {
        "parameters": len(cfg.factors),
        "N": n,
        "runs": runs,
        "workers": workers,
        "total_s": round(total, 1),
        "sweep_s": round(timings["sweep_s"], 1),
        "analysis_s": round(total - timings["sweep_s"], 1),
        "runs_per_s": round(runs / timings["sweep_s"], 1),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_run": round(1000 * cpu / runs, 1),
        # what the same CPU work takes on `workers` otherwise idle cores
        "idle_projection_s": round(cpu / workers, 1),
        "within_5_min": total <= 300,
        "top_ST_collective_impact": {r.parameter: round(r.ST, 3) for r in top.itertuples()},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=600, help="runs per throughput measurement")
    ap.add_argument("--sobol-n", type=int, default=1024, help="Sobol base size N")
    ap.add_argument("--skip-sobol", action="store_true", help="throughput only")
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args()

    cores = default_workers()
    report: dict = {"cores": cores, "load_before": [round(x, 2) for x in os.getloadavg()]}
    one = throughput(args.runs, 1, args.seed)
    print(
        f"1 worker : {one['runs_per_s']:7.1f} runs/s  ({one['seconds']} s, "
        f"{one['cpu_ms_per_run']} CPU ms/run)"
    )
    many = throughput(args.runs, cores, args.seed)
    print(
        f"{cores} workers: {many['runs_per_s']:7.1f} runs/s  ({many['seconds']} s, "
        f"{many['cpu_ms_per_run']} CPU ms/run)"
    )
    speedup = many["runs_per_s"] / one["runs_per_s"]
    print(f"speed-up : {speedup:.2f}x on {cores} cores")
    report["throughput"] = {"one": one, "all": many, "speedup": round(speedup, 2)}
    if not args.skip_sobol:
        sob = sobol_benchmark(args.sobol_n, cores)
        print(
            f"Sobol N={sob['N']} over {sob['parameters']} parameters (+dummy): {sob['runs']:,} "
            f"runs, total {sob['total_s']} s = sweep {sob['sweep_s']} s "
            f"({sob['runs_per_s']} runs/s) + analysis {sob['analysis_s']} s; "
            f"within 5 min: {sob['within_5_min']}; CPU {sob['cpu_s']} s "
            f"({sob['cpu_ms_per_run']} ms/run), i.e. {sob['idle_projection_s']} s on "
            f"{cores} idle cores"
        )
        report["sobol"] = sob
    report["load_after"] = [round(x, 2) for x in os.getloadavg()]
    print(f"load average before {report['load_before']}, after {report['load_after']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
