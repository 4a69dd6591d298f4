"""Benchmark of the replication: wall and CPU time per pattern, and the full-size estimate.

Usage::

    python benchmarks/bench_replication.py [--full] [--workers N] [--only NAME ...]

Runs each selected pattern's design (quick by default) in its own process pool and analyzes
it, measuring wall time and CPU time (this process plus its worker processes). On a shared
machine the wall time depends on the load; the CPU time does not, so the script also gives the
wall time expected on ``N`` idle cores (CPU / N) and, for the quick design, the expected time
of the full design (each pattern's CPU per run x its full number of runs / N). Results are
printed and written to ``results/bench/replication-<size>-<time>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import time
from pathlib import Path

from collabsim.engine import default_workers
from collabsim.replication.criteria import load_criteria
from collabsim.replication.replicate import analyze, merge_runs, plan
from collabsim.replication.runner import execute
from collabsim.results import provenance


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="full design (default: quick)")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--only", nargs="+", default=None)
    ap.add_argument("--out", type=Path, default=Path("results") / "bench")
    args = ap.parse_args()
    crit = load_criteria()
    quick = not args.full
    full_runs = {p.label: len(p.runs) for p in plan(crit, args.only, quick=False)}
    rows = []
    t_all, c_all = time.perf_counter(), _cpu()
    for p in plan(crit, args.only, quick=quick):
        t0, c0 = time.perf_counter(), _cpu()
        planned = len(p.runs)
        data = execute(p.runs, workers=args.workers)[p.label]
        follow = getattr(p.module, "followup", None)
        if follow is not None:  # second-stage runs (planned from the first stage's results)
            cells2, runs2 = follow(
                p.spec, p.cells, data, crit.root_seed, p.seeds_per_cell, size2=p.size2
            )
            p.cells.extend(cells2)
            p.runs.extend(runs2)
            data = merge_runs(data, execute(runs2, workers=args.workers)[p.label])
        full_runs[p.label] = round(full_runs[p.label] * len(p.runs) / planned)
        t1, c1 = time.perf_counter(), _cpu()
        res = analyze(crit, p, data)
        t2, c2 = time.perf_counter(), _cpu()
        cpu_per_run = (c1 - c0) / len(p.runs)
        rows.append(
            {
                "pattern": p.label,
                "runs": len(p.runs),
                "wall_runs_s": round(t1 - t0, 2),
                "cpu_runs_s": round(c1 - c0, 2),
                "cpu_ms_per_run": round(1000 * cpu_per_run, 1),
                "analysis_s": round(t2 - t1, 2),
                "idle_estimate_s": round((c1 - c0) / args.workers + (c2 - c1), 1),
                "full_runs": full_runs[p.label],
                "full_idle_estimate_s": round(
                    cpu_per_run * full_runs[p.label] / args.workers + (c2 - c1), 1
                ),
                "verdict": res.verdict,
            }
        )
        print(
            f"{p.label:<22} {len(p.runs):>6} runs  wall {t1 - t0:7.1f} s  cpu {c1 - c0:7.1f} s"
            f"  {1000 * cpu_per_run:6.1f} ms/run  analysis {t2 - t1:5.1f} s  {res.verdict}"
        )
    wall, cpu = time.perf_counter() - t_all, _cpu() - c_all
    idle = sum(r["idle_estimate_s"] for r in rows)
    full_idle = sum(r["full_idle_estimate_s"] for r in rows)
    print(
        f"\n{'quick' if quick else 'full'}: {sum(r['runs'] for r in rows)} runs, "
        f"wall {wall:.0f} s, cpu {cpu:.0f} s, load average {os.getloadavg()[0]:.1f}; "
        f"on {args.workers} idle cores "
        f"about {idle:.0f} s" + (f"; full design about {full_idle:.0f} s" if quick else "")
    )
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    path = args.out / f"replication-{'quick' if quick else 'full'}-{stamp}.json"
    path.write_text(
        json.dumps(
            {
                **provenance(),
                "quick": quick,
                "workers": args.workers,
                "wall_s": round(wall, 1),
                "cpu_s": round(cpu, 1),
                "load_average_1min_at_end": os.getloadavg()[0],
                "idle_estimate_s": round(idle, 1),
                "full_idle_estimate_s": round(full_idle, 1) if quick else None,
                "patterns": rows,
            },
            indent=2,
        )
    )
    print(f"written: {path}")


if __name__ == "__main__":
    main()
