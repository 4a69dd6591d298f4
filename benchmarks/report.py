"""Markdown tables from benchmark results (``results/bench/*.json``), for docs/performance.md.

Usage: ``python benchmarks/report.py AFTER.json [--before BEFORE.json]``. Every number comes
from the JSON files; nothing is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def md(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _fmt(c: Any) -> str:
    if isinstance(c, float):
        if math.isnan(c):
            return "n/a"
        if c == 0:
            return "0"
        return f"{c:.3g}" if abs(c) < 1000 else f"{c:,.0f}"
    return str(c)


def before_after(after: dict, before: dict | None) -> str:
    """Headline figures before and after, with the ratio."""

    def figures(res: dict) -> dict[str, float]:
        d = res["default"]
        size = {r["n_orgs"]: r for r in res["scaling"]["rows"]}
        ref = {r["n_orgs"]: r for r in res.get("reference", {"rows": []})["rows"]}
        out = {
            "default run: construction (ms)": d["build_ms"],
            "default run: 156 steps (ms)": d["steps_ms"],
            "default run: end to end (ms)": d["end_to_end_ms"],
            "default run: per step (us)": d["step_us"],
        }
        for n in (100, 1000, 2000, 10000):
            if n in size:
                out[f"{n:,} orgs: construction (s)"] = size[n]["build_s"]
                out[f"{n:,} orgs: per step (us)"] = size[n]["step_us"]
                out[f"{n:,} orgs x 156 weeks (s)"] = size[n]["end_to_end_s"]
        out["step-cost exponent, >= 100 orgs"] = res["scaling"]["exponent"]
        if 1000 in ref:
            out["speed-up vs reference, 1,000 orgs (x)"] = ref[1000]["speedup"]
        for r in res.get("sweep", {"rows": []})["rows"]:
            out[f"sweep, {r['workers']} worker(s) (runs/s)"] = r["runs_per_s"]
        return out

    a = figures(after)
    if before is None:
        return md(["figure", "value"], list(a.items()))
    b = figures(before)
    rows = []
    for k, v in a.items():
        old = b.get(k, float("nan"))
        lower_is_better = not ("runs/s" in k or "speed-up" in k or "exponent" in k)
        gain = old / v if lower_is_better else v / old
        rows.append([k, old, v, "" if "exponent" in k else f"{gain:.2g}x"])
    return md(["figure", "before", "after", "gain"], rows)


def scaling(res: dict) -> str:
    rows = [
        [
            f"{r['n_orgs']:,}",
            f"{int(r['n_people']):,}",
            r["build_s"],
            r["step_us"],
            r["person_step_ns"],
            r["end_to_end_s"],
            r["edges_final"],
        ]
        for r in res["scaling"]["rows"]
    ]
    table = md(
        [
            "orgs",
            "people",
            "construction s",
            "per step us",
            "ns per person-step",
            "156 weeks s",
            "edges at the end",
        ],
        rows,
    )
    return (
        table
        + "\n\nFitted log-log exponent of step cost, 100 to 10,000 organizations: "
        + (f"**{res['scaling']['exponent']:.3f}**.")
    )


def degree(res: dict) -> str:
    d = res["degree"]
    rows = [
        [
            r["prior_history"],
            r["degree_start"],
            r["degree_end"],
            r["degree_mean"],
            r["step_us"],
            r["person_step_ns"],
        ]
        for r in d["rows"]
    ]
    head = ["prior history", "degree at start", "at end", "mean", "per step us", "ns/person-step"]
    return (
        md(head, rows)
        + f"\n\n{d['n_orgs']:,} organizations, 156 weeks; log-log slope of step cost against "
        f"mean degree: **{d['slope']:.2f}**."
    )


def sweep(res: dict) -> str:
    rows = [[r["workers"], r["runs"], r["seconds"], r["runs_per_s"]] for r in res["sweep"]["rows"]]
    return md(["workers", "default runs", "seconds (wall)", "runs per second"], rows)


def reference(res: dict) -> str:
    rows = [
        [
            f"{r['n_orgs']:,}",
            r["model_s"],
            r["reference_s"],
            r["model_step_us"],
            r["reference_step_us"],
            f"{r['speedup']:.1f}x",
        ]
        for r in res["reference"]["rows"]
    ]
    head = ["orgs", "model run s", "reference run s", "model step us", "reference step us"]
    return md([*head, "speed-up"], rows)


def targets(res: dict) -> str:
    rows = [
        [
            r["label"],
            f"{r['limit']:g} {r['unit']}",
            f"{r['value']:.3g} {r['unit']}",
            {None: "n/a", True: "met", False: "**missed**"}[r["met"]],
        ]
        for r in res["targets"]
    ]
    return md(["target", "limit", "measured", ""], rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("after", type=Path)
    parser.add_argument("--before", type=Path, default=None)
    args = parser.parse_args(argv)
    after = json.loads(args.after.read_text())
    before = json.loads(args.before.read_text()) if args.before else None
    sections = {
        "TABLE_BEFORE_AFTER": before_after(after, before),
        "TABLE_SCALING": scaling(after),
        "TABLE_DEGREE": degree(after),
        "TABLE_SWEEP": sweep(after),
        "TABLE_REFERENCE": reference(after),
        "TABLE_TARGETS": targets(after),
    }
    for name, text in sections.items():
        print(f"<!-- {name} -->\n{text}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
