"""Benchmark suite of the model (``make bench``): medians of repeated in-process runs.

Sections (each printed as a table and stored in ``results/bench/<tag>.json``):

1. ``default``: one default run (12 organizations x 3 representatives, 156 weeks): model
   construction and the steps timed separately, and end to end.
2. ``scaling``: per-step cost and cost per person-step at 12 to 10,000 organizations, with
   the scaling exponent of step cost against organizations fitted on a log-log scale (100 to
   2,000 organizations, and 100 and more), and the end-to-end time of a 156-week run at each
   size.
3. ``degree``: per-step cost against the mean network degree at 1,000 organizations (prior
   history varied from none to dense).
4. ``sweep``: throughput of :func:`collabsim.runner.run_many` in runs per second, with one
   worker and with every core.
5. ``reference``: the vectorized model raced against the idiomatic Mesa implementation
   (``benchmarks/reference_model.py``) side by side on the same seeds.

Targets are printed next to the figures; they are benchmarks, not tests. ``--quick`` runs a
tiny version of every section (a smoke check, not a measurement). Runs are timed in process,
after a warm-up run, with garbage collected before each repetition; each figure is the median
over seeds of each seed's fastest repetition (one seed is the same work every time). Tables
show the CPU time of the process (``time.process_time``): on an idle machine it equals
wall-clock time, and on a shared one it is not inflated by the time other processes hold the
cores; wall-clock figures are stored too, with the load average before and after and a probe
of how long two small numpy calls take (before and after), which shows how busy the machine
was. Sweep throughput is wall-clock by nature.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from collabsim.engine import default_workers, spawn_seeds
from collabsim.model import CollaborationModel
from collabsim.params import PARAMS
from collabsim.results import make_tag, provenance, write_json
from collabsim.runner import release, run_many

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_model import ReferenceModel

ROOT = Path(__file__).resolve().parents[1]

#: Targets (issue 11, "one implementation...", and before it issue 6): (key, label, limit, unit).
TARGETS: tuple[tuple[str, str, float, str], ...] = (
    ("default_end_to_end_ms", "default run, end to end", 2.0, "ms"),
    ("scaling_exponent_2000", "step-cost exponent, 100-2,000 orgs", 1.0, ""),
    ("scaling_exponent", "step-cost exponent, 100-10,000 orgs", 1.1, ""),
    ("orgs_2000_end_to_end_s", "2,000 orgs x 156 weeks", 2.0, "s"),
    ("orgs_10000_end_to_end_s", "10,000 orgs x 156 weeks", 1.0, "s"),
    ("reference_speedup_1000", "speed-up vs reference at 1,000 orgs (at least)", 20.0, "x"),
)

#: Sizes are (organizations, seeds, repetitions per seed).
FULL = {
    "default_reps": (41, 5),
    "sizes": ((12, 21, 5), (100, 11, 5), (1000, 5, 3), (2000, 3, 3), (10000, 3, 2)),
    "degree_history": (0.0, 1.0, 2.5, 5.0),
    "degree_reps": (3, 2),
    "sweep_runs": 96,
    "reference": ((12, 11, 3), (100, 5, 2), (1000, 3, 1)),
}
QUICK = {
    "default_reps": (5, 1),
    "sizes": ((12, 3, 1), (100, 2, 1), (200, 2, 1)),
    "degree_history": (0.0, 2.0),
    "degree_reps": (1, 1),
    "sweep_runs": 8,
    "reference": ((12, 2, 1), (100, 1, 1)),
}


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores_usable": default_workers(),
        "cores_total": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def probe() -> dict[str, float]:
    """How fast this machine runs small numpy calls right now (microseconds, best of 5).

    The step of a small model is a hundred or so calls like these, so this calibrates the
    figures of a run: on a busy machine (other processes on the same cores) they slow down,
    even in CPU time.
    """
    rng = np.random.default_rng(0)
    x, y = rng.random(36), rng.random(36)
    calls = {"add_36": lambda: x + y, "random_18": lambda: rng.random(18)}
    return {
        name: 1e6 * min(timeit.repeat(f, number=20_000, repeat=5)) / 20_000
        for name, f in calls.items()
    }


def timed_run(cls: type, seed: int, **params: Any) -> dict[str, float]:
    """Build and run one model; return construction and step times and the weeks run.

    ``*_s`` are CPU seconds of this process (equal to wall time on an idle machine, and not
    inflated by other processes on a shared one); ``wall_*_s`` are wall-clock seconds.
    """
    gc.collect()
    w0, c0 = time.perf_counter(), time.process_time()
    m = cls(rng=seed, **params)
    w1, c1 = time.perf_counter(), time.process_time()
    m.run()
    w2, c2 = time.perf_counter(), time.process_time()
    weeks = m.week
    n_people = params.get("n_orgs", PARAMS["n_orgs"].default) * params.get(
        "reps_per_org", PARAMS["reps_per_org"].default
    )
    out = {
        "build_s": c1 - c0,
        "steps_s": c2 - c1,
        "total_s": c2 - c0,
        "step_s": (c2 - c1) / max(1, weeks),
        "wall_build_s": w1 - w0,
        "wall_steps_s": w2 - w1,
        "wall_total_s": w2 - w0,
        "weeks": weeks,
        "n_people": n_people,
    }
    if isinstance(m, CollaborationModel):
        out["edges"] = m.state.edges.n
    release(m)  # (Mesa 3.3.1 keeps every model alive otherwise)
    return out


def medians(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """Median of every numeric field over repetitions."""
    return {k: float(statistics.median(r[k] for r in rows)) for k in rows[0]}


def repeat(cls: type, seeds: int, repeats: int = 1, **params: Any) -> dict[str, float]:
    """Median over seeds 0, 1, ... of each seed's fastest of ``repeats`` runs.

    One seed's run is the same work every time, so its fastest repetition is the one least
    disturbed by the rest of the machine; the median over seeds is the typical run.
    """
    timed_run(cls, 10_000, **params)  # warm-up (imports, caches, compiled kernels)
    rows = []
    for seed in range(seeds):
        runs = [timed_run(cls, seed, **params) for _ in range(repeats)]
        rows.append(min(runs, key=lambda r: r["total_s"]))
    return medians(rows)


def fit_exponent(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of ``log y`` against ``log x``."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table."""
    cells = [[str(h) for h in header]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [title, "  ".join(h.rjust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells[1:]]
    return "\n".join(lines)


def _cell(c: Any) -> str:
    if isinstance(c, float):
        if c == 0 or math.isnan(c):
            return f"{c:g}"
        return f"{c:.3g}" if abs(c) < 100 else f"{c:,.0f}"
    return str(c)


# ---------------------------------------------------------------------------- sections
def bench_default(cfg: dict[str, Any]) -> dict[str, Any]:
    """One default run: construction, steps, end to end."""
    seeds, reps = cfg["default_reps"]
    r = repeat(CollaborationModel, seeds, reps)
    out = {
        "seeds": seeds,
        "repetitions": reps,
        "build_ms": 1e3 * r["build_s"],
        "steps_ms": 1e3 * r["steps_s"],
        "end_to_end_ms": 1e3 * r["total_s"],
        "step_us": 1e6 * r["step_s"],
        "wall_build_ms": 1e3 * r["wall_build_s"],
        "wall_steps_ms": 1e3 * r["wall_steps_s"],
        "wall_end_to_end_ms": 1e3 * r["wall_total_s"],
        "weeks": r["weeks"],
    }
    keys = ("build_ms", "steps_ms", "end_to_end_ms")
    print(
        table(
            f"\n1. Default run (12 orgs x 3 reps, 156 weeks): median over {seeds} seeds of the "
            f"best of {reps}",
            ["clock", "construction ms", "steps ms", "end to end ms", "per step us", "weeks"],
            [
                ["cpu", *(out[k] for k in keys), out["step_us"], out["weeks"]],
                ["wall", *(out["wall_" + k] for k in keys), "", ""],
            ],
        )
    )
    return out


def bench_scaling(cfg: dict[str, Any]) -> dict[str, Any]:
    """Per-step cost at growing numbers of organizations; fitted log-log exponent."""
    rows = []
    for n_orgs, seeds, reps in cfg["sizes"]:
        r = repeat(CollaborationModel, seeds, reps, n_orgs=n_orgs)
        rows.append(
            {
                "n_orgs": n_orgs,
                "n_people": r["n_people"],
                "seeds": seeds,
                "repetitions": reps,
                "build_s": r["build_s"],
                "step_us": 1e6 * r["step_s"],
                "person_step_ns": 1e9 * r["step_s"] / r["n_people"],
                "end_to_end_s": r["total_s"],
                "weeks": r["weeks"],
                "edges_final": r.get("edges", float("nan")),
            }
        )
    big = [row for row in rows if row["n_orgs"] >= 100]
    mid = [row for row in big if row["n_orgs"] <= 2000]
    exponent, exponent_2000 = (
        fit_exponent([r["n_orgs"] for r in some], [r["step_us"] for r in some])
        if len(some) >= 2
        else float("nan")
        for some in (big, mid)
    )
    print(
        table(
            "\n2. Scaling (156 weeks), medians; step-cost exponent (log-log): "
            f"{exponent_2000:.3f} from 100 to 2,000 orgs, {exponent:.3f} from 100 up",
            ["orgs", "people", "build s", "step us", "ns/person-step", "156 wk s", "weeks"],
            [
                [
                    r["n_orgs"],
                    r["n_people"],
                    r["build_s"],
                    r["step_us"],
                    r["person_step_ns"],
                    r["end_to_end_s"],
                    r["weeks"],
                ]
                for r in rows
            ],
        )
    )
    return {"rows": rows, "exponent": exponent, "exponent_2000": exponent_2000}


def bench_degree(cfg: dict[str, Any]) -> dict[str, Any]:
    """Per-step cost against the mean network degree at a fixed size."""
    n_orgs = 1000 if cfg is FULL else 100
    rows = []
    for history in cfg["degree_history"]:
        params = {"n_orgs": n_orgs, "prior_history": history}
        probe = CollaborationModel(rng=0, **params)
        start = 2 * probe.state.edges.n / probe.state.n_people
        r = repeat(CollaborationModel, *cfg["degree_reps"], **params)
        end = 2 * r["edges"] / r["n_people"]
        rows.append(
            {
                "prior_history": history,
                "degree_start": start,
                "degree_end": end,
                "degree_mean": 0.5 * (start + end),
                "step_us": 1e6 * r["step_s"],
                "person_step_ns": 1e9 * r["step_s"] / r["n_people"],
            }
        )
    slope = fit_exponent([r["degree_mean"] for r in rows], [r["step_us"] for r in rows])
    print(
        table(
            f"\n3. Step cost against mean network degree ({n_orgs} orgs, 156 weeks); "
            f"log-log slope {slope:.3f}",
            ["prior history", "degree at start", "at end", "mean", "step us", "ns/person-step"],
            [
                [
                    r["prior_history"],
                    r["degree_start"],
                    r["degree_end"],
                    r["degree_mean"],
                    r["step_us"],
                    r["person_step_ns"],
                ]
                for r in rows
            ],
        )
    )
    return {"n_orgs": n_orgs, "rows": rows, "slope": slope}


def bench_sweep(cfg: dict[str, Any]) -> dict[str, Any]:
    """Runs per second of default runs through ``run_many`` with 1 and all workers."""
    runs = cfg["sweep_runs"]
    seeds = spawn_seeds(2025, runs)
    rows = []
    for workers in sorted({1, default_workers()}):
        gc.collect()
        t0 = time.perf_counter()
        run_many({}, seeds, workers=workers)
        dt = time.perf_counter() - t0
        rows.append({"workers": workers, "runs": runs, "seconds": dt, "runs_per_s": runs / dt})
    print(
        table(
            "\n5. Sweep throughput (default runs with time series, run_many)",
            ["workers", "runs", "seconds", "runs/s"],
            [[r["workers"], r["runs"], r["seconds"], r["runs_per_s"]] for r in rows],
        )
    )
    return {"rows": rows}


def bench_reference(cfg: dict[str, Any]) -> dict[str, Any]:
    """The vectorized model against the idiomatic Mesa reference, same seeds, same run."""
    rows = []
    for n_orgs, seeds, reps in cfg["reference"]:
        fast = repeat(CollaborationModel, seeds, reps, n_orgs=n_orgs)
        ref = repeat(ReferenceModel, seeds, reps, n_orgs=n_orgs)
        rows.append(
            {
                "n_orgs": n_orgs,
                "seeds": seeds,
                "repetitions": reps,
                "model_s": fast["total_s"],
                "reference_s": ref["total_s"],
                "model_step_us": 1e6 * fast["step_s"],
                "reference_step_us": 1e6 * ref["step_s"],
                "speedup": ref["total_s"] / fast["total_s"],
                "step_speedup": ref["step_s"] / fast["step_s"],
            }
        )
    print(
        table(
            "\n6. Against the idiomatic Mesa reference (156 weeks, same seeds), medians",
            ["orgs", "model s", "reference s", "model step us", "ref step us", "speed-up", "step"],
            [
                [
                    r["n_orgs"],
                    r["model_s"],
                    r["reference_s"],
                    r["model_step_us"],
                    r["reference_step_us"],
                    r["speedup"],
                    r["step_speedup"],
                ]
                for r in rows
            ],
        )
    )
    return {"rows": rows}


def check_targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Compare the figures with the targets (printed; nothing fails)."""
    by_size = {r["n_orgs"]: r for r in res["scaling"]["rows"]}
    ref = {r["n_orgs"]: r for r in res["reference"]["rows"]}
    values = {
        "default_end_to_end_ms": res["default"]["end_to_end_ms"],
        "scaling_exponent": res["scaling"]["exponent"],
        "scaling_exponent_2000": res["scaling"].get("exponent_2000", float("nan")),
        "orgs_2000_end_to_end_s": by_size.get(2000, {}).get("end_to_end_s", float("nan")),
        "orgs_10000_end_to_end_s": by_size.get(10000, {}).get("end_to_end_s", float("nan")),
        "reference_speedup_1000": ref.get(1000, {}).get("speedup", float("nan")),
    }
    rows = []
    for key, label, limit, unit in TARGETS:
        v = values[key]
        at_least = key.startswith("reference")
        met = (v >= limit) if at_least else (v <= limit)
        rows.append(
            {
                "target": key,
                "label": label,
                "limit": limit,
                "value": v,
                "unit": unit,
                "met": None if math.isnan(v) else bool(met),
            }
        )
    print(
        table(
            "\nTargets",
            ["target", "limit", "measured", "met"],
            [
                [
                    r["label"],
                    f"{r['limit']:g} {r['unit']}",
                    f"{r['value']:.3g} {r['unit']}",
                    {None: "n/a", True: "yes", False: "NO"}[r["met"]],
                ]
                for r in rows
            ],
        )
    )
    return rows


SECTIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "default": bench_default,
    "scaling": bench_scaling,
    "degree": bench_degree,
    "sweep": bench_sweep,
    "reference": bench_reference,
}


def output_path(out_dir: Path, tag: str) -> Path:
    """A new, never-used file name for ``tag`` in ``out_dir`` (results are add-only)."""
    path = out_dir / f"{tag}.json"
    k = 2
    while path.exists():
        path = out_dir / f"{tag}-{k}.json"
        k += 1
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tag", default=None, help="result name (default: bench-<time>-<commit>)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "bench", help="folder")
    parser.add_argument("--quick", action="store_true", help="tiny smoke version of every section")
    parser.add_argument(
        "--only", choices=list(SECTIONS), action="append", help="run only these sections"
    )
    args = parser.parse_args(argv)
    cfg = QUICK if args.quick else FULL
    info = machine()
    print(
        f"collabsim benchmarks on {info['cpu']} ({info['cores_usable']} usable cores), "
        f"Python {info['python']}, numpy {info['numpy']}; load average "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
        + (" [quick]" if args.quick else "")
    )
    res: dict[str, Any] = {"provenance": provenance(), "machine": info, "quick": args.quick}
    res["load_before"] = os.getloadavg()
    res["probe_before_us"] = probe()
    print(
        "numpy call probe (us, best of 5): "
        + ", ".join(f"{k} {v:.2f}" for k, v in res["probe_before_us"].items())
    )
    for name, fn in SECTIONS.items():
        if args.only and name not in args.only:
            continue
        res[name] = fn(cfg)
    res["load_after"] = os.getloadavg()
    res["probe_after_us"] = probe()
    if not args.only:
        res["targets"] = check_targets(res)
    args.out.mkdir(parents=True, exist_ok=True)
    path = output_path(args.out, args.tag or make_tag("bench" + ("-quick" if args.quick else "")))
    write_json(path, res)
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
