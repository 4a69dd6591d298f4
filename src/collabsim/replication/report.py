"""The replication report: REPORT.md, REPORT.html (figures embedded), CSVs and metadata.json.

The report is built once as a list of blocks (headings, paragraphs, tables, figures) and
rendered twice, to Markdown and to a self-contained HTML page, so the two never disagree. For
each pattern it shows the claim and its citation, the pre-declared design, statistic and
criterion, the statistics with their intervals, PASS or FAIL per part, the figure and a
plain-language reading. Every file is written with an atomic rename; the caller writes into a
temporary result folder (:func:`collabsim.results.result_folder`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from collabsim.replication.replicate import Replication
from collabsim.replication.result import PatternResult
from collabsim.replication.runner import model_digest
from collabsim.results import atomic_write_bytes, provenance, write_json

__all__ = ["FIGURE_DPI", "write_report"]

#: Resolution of the saved figures.
FIGURE_DPI = 110


@dataclass
class _Block:
    kind: str  # "h1", "h2", "p", "table", "figure", "pre"
    text: str = ""
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    png: bytes = b""
    path: str = ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _fmt_cell(v: Any) -> str:
    if isinstance(v, bool | np.bool_):
        return "yes" if v else "no"
    if isinstance(v, float | np.floating):
        if math.isnan(v):
            return "n/a"
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def _table_block(df: pd.DataFrame) -> _Block:
    rows = tuple(tuple(_fmt_cell(v) for v in r) for r in df.itertuples(index=False))
    return _Block("table", header=tuple(str(c) for c in df.columns), rows=rows)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=FIGURE_DPI)
    plt.close(fig)
    return buf.getvalue()


def _pattern_blocks(i: int, res: PatternResult, png: bytes, files: list[str]) -> list[_Block]:
    spec = res.spec
    blocks = [
        _Block("h2", f"{i}. {spec.name}: {res.verdict}"),
        _Block("p", f"**Claim.** {spec.claim}"),
        _Block("p", f"**Source.** {spec.citation}"),
        _Block("p", f"**Design (pre-declared).** {' '.join(spec.design.split())}"),
        _Block("p", f"**Runs.** {res.design_summary}."),
        _Block("p", f"**Statistics (pre-declared).** {' '.join(spec.statistic.split())}"),
        _Block("p", f"**Criterion (pre-declared).** {' '.join(spec.criterion.split())}"),
    ]
    rows = []
    for c in res.checks:
        est = "<br>".join(f"{e.label}: {e.text()}" for e in c.estimates)
        rows.append(
            (
                f"({c.part})",
                c.statistic,
                est,
                c.criterion,
                "PASS" if c.passed else "FAIL",
                c.note or "",
            )
        )
    blocks.append(
        _Block(
            "table",
            header=("part", "statistic", "estimate [CI]", "criterion", "result", "note"),
            rows=tuple(rows),
        )
    )
    blocks.append(
        _Block("figure", text=f"Figure {i}: {spec.name}", png=png, path=f"figures/{spec.name}.png")
    )
    blocks.append(_Block("p", f"**In plain words.** {res.interpretation}"))
    for title, table in res.extra_tables.items():
        blocks.append(_Block("p", f"**{title}.**"))
        blocks.append(_table_block(table))
    blocks.append(_Block("p", "Data: " + ", ".join(f"`{f}`" for f in files) + "."))
    return blocks


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md(blocks: list[_Block]) -> str:
    out = []
    for b in blocks:
        if b.kind == "h1":
            out.append(f"# {b.text}\n")
        elif b.kind == "h2":
            out.append(f"## {b.text}\n")
        elif b.kind == "p":
            out.append(b.text + "\n")
        elif b.kind == "pre":
            out.append("```\n" + b.text + "\n```\n")
        elif b.kind == "table":
            esc = [[_md_cell(c) for c in r] for r in b.rows]
            lines = [
                "| " + " | ".join(_md_cell(h) for h in b.header) + " |",
                "|" + "---|" * len(b.header),
            ]
            lines += ["| " + " | ".join(r) + " |" for r in esc]
            out.append("\n".join(lines) + "\n")
        elif b.kind == "figure":
            out.append(f"![{b.text}]({b.path})\n")
    return "\n".join(out)


def _inline_html(text: str) -> str:
    t = html.escape(text)
    t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
    t = re.sub(r"`(.+?)`", r"<code>\1</code>", t)
    return t.replace("&lt;br&gt;", "<br>")


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f3f3f3} img{max-width:100%;border:1px solid #eee}
.PASS{color:#0a6b2d;font-weight:bold} .FAIL{color:#b00020;font-weight:bold}
pre{background:#f6f6f6;padding:0.6em;overflow-x:auto}
"""


def _html(blocks: list[_Block], title: str) -> str:
    out = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>"
        f"{html.escape(title)}</title><style>{_CSS}</style></head><body>"
    ]
    for b in blocks:
        if b.kind in ("h1", "h2"):
            text = _inline_html(b.text)
            text = re.sub(r"\b(PASS|FAIL)\b", r"<span class='\1'>\1</span>", text)
            out.append(f"<{b.kind}>{text}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_inline_html(b.text)}</p>")
        elif b.kind == "pre":
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif b.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            body = []
            for r in b.rows:
                cells = []
                for c in r:
                    cls = f" class='{c}'" if c in ("PASS", "FAIL") else ""
                    cells.append(f"<td{cls}>{_inline_html(c)}</td>")
                body.append("<tr>" + "".join(cells) + "</tr>")
            out.append(
                f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            )
        elif b.kind == "figure":
            data = base64.b64encode(b.png).decode("ascii")
            out.append(
                f"<figure><img alt='{html.escape(b.text)}' "
                f"src='data:image/png;base64,{data}'><figcaption>{html.escape(b.text)}"
                "</figcaption></figure>"
            )
    out.append("</body></html>")
    return "\n".join(out)


def _cells_meta(rep: Replication) -> dict[str, Any]:
    out = {}
    for p in rep.plans:
        out[p.spec.name] = {
            "verdict": rep.results[p.spec.name].verdict,
            "runs": len(p.runs),
            "seeds_per_cell": p.seeds_per_cell,
            "series_kept": list(p.module.SERIES),
            "cells": [
                {"cell": i, "labels": c.labels, "params": c.params, "seed_cell": c.seed_cell}
                for i, c in enumerate(p.cells)
            ],
        }
    return out


def write_report(folder: Path, rep: Replication) -> Path:
    """Write the whole report into ``folder``; return the path of REPORT.md.

    Files: ``REPORT.md``, ``REPORT.html``, ``figures/<pattern>.png``, ``<pattern>_runs.csv``
    (one row per run with its seed), ``<pattern>_table.csv`` (descriptive statistics per
    group), ``<pattern>_series.npz`` (the time series kept, if any) and ``metadata.json``.
    """
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    prov = provenance()
    crit = rep.criteria
    size = "quick (CI-sized: seeds_quick per cell)" if rep.quick else "full (seeds_full per cell)"
    n_pass = sum(r.passed for r in rep.results.values())
    head = [
        _Block("h1", "collabsim replication report"),
        _Block(
            "p",
            f"Pattern-oriented validation (Grimm et al. 2005) of the patterns listed in "
            f"MODEL.md, against criteria declared before the runs in `{Path(crit.path).name}`. "
            f"**{n_pass} of {len(rep.results)} patterns pass.**",
        ),
        _Block(
            "table",
            header=("item", "value"),
            rows=(
                ("collabsim", f"{prov['collabsim_version']} (commit {prov['git_commit']})"),
                ("created", prov["created"]),
                ("size", size),
                ("runs", f"{rep.n_runs}"),
                (
                    "wall time",
                    f"{rep.seconds_run:.0f} s of runs, {rep.seconds_total:.0f} s in all, "
                    f"{rep.workers} worker process(es)",
                ),
                ("root seed", f"{crit.root_seed} (every run's seed is in its pattern's CSV)"),
                (
                    "intervals",
                    f"{100 * crit.confidence:g}%; bootstrap with "
                    f"{crit.bootstrap_resamples} resamples",
                ),
                ("resumed from checkpoint", ", ".join(rep.resumed) or "none"),
            ),
        ),
        _Block(
            "table",
            header=("#", "pattern", "claim", "result", "parts"),
            rows=tuple(
                (
                    str(i),
                    r.spec.name,
                    r.spec.claim,
                    r.verdict,
                    " ".join(f"({c.part}) {'PASS' if c.passed else 'FAIL'}" for c in r.checks),
                )
                for i, r in enumerate(rep.results.values(), 1)
            ),
        ),
        _Block(
            "p",
            "How to read this report: each pattern states the finding, the experiment, the "
            "statistic and the criterion exactly as declared before the runs. A pattern passes "
            "only if every part of its criterion holds. Intervals are confidence intervals for "
            "the model's behaviour (more seeds make them narrower); they say nothing about how "
            "large the effects are in real cities. The source studies are qualitative (9 and 10 "
            "cases) and give directions, not effect sizes.",
        ),
    ]
    blocks = list(head)
    files_written: dict[str, list[str]] = {}
    for i, (name, res) in enumerate(rep.results.items(), 1):
        png = _png(res.figure)
        atomic_write_bytes(folder / "figures" / f"{name}.png", png)
        files = [f"figures/{name}.png"]
        _write_csv(folder / f"{name}_runs.csv", res.runs)
        _write_csv(folder / f"{name}_table.csv", res.table)
        files += [f"{name}_runs.csv", f"{name}_table.csv"]
        for title, table in res.extra_tables.items():
            fname = f"{name}_{_slug(title)}.csv"
            _write_csv(folder / fname, table)
            files.append(fname)
        plan = next(p for p in rep.plans if p.spec.name == name)
        if plan.module.SERIES:
            files.append(f"{name}_series.npz")
        files_written[name] = files
        blocks += _pattern_blocks(i, res, png, files)
    for name, files in files_written.items():
        if f"{name}_series.npz" in files:
            _write_series(folder / f"{name}_series.npz", rep, name)
    md = _md(blocks)
    atomic_write_bytes(folder / "REPORT.md", md.encode("utf-8"))
    atomic_write_bytes(
        folder / "REPORT.html", _html(blocks, "collabsim replication report").encode("utf-8")
    )
    crit_text = Path(crit.path).read_bytes() if Path(crit.path).is_file() else b""
    write_json(
        folder / "metadata.json",
        {
            **prov,
            "quick": rep.quick,
            "workers": rep.workers,
            "seconds_run": round(rep.seconds_run, 2),
            "seconds_total": round(rep.seconds_total, 2),
            "runs": rep.n_runs,
            "resumed": rep.resumed,
            "model_digest": model_digest(),
            "root_seed": crit.root_seed,
            "confidence": crit.confidence,
            "bootstrap_resamples": crit.bootstrap_resamples,
            "seed_scheme": (
                "run k of seed cell c of pattern P: child k of SeedSequence(root_seed, "
                "spawn_key=(crc32(P), 0, c)); bootstrap of P: SeedSequence(root_seed, "
                "spawn_key=(crc32(P), 1))"
            ),
            "criteria_file": crit.path,
            "criteria_sha256": hashlib.sha256(crit_text).hexdigest(),
            "criteria": crit.raw,
            "patterns": _cells_meta(rep),
            "files": files_written,
        },
    )
    return folder / "REPORT.md"


def _write_csv(path: Path, df: pd.DataFrame) -> None:
    atomic_write_bytes(path, df.to_csv(index=False).encode("utf-8"))


def _write_series(path: Path, rep: Replication, name: str) -> None:
    data = rep.data[name]
    buf = io.BytesIO()
    np.savez_compressed(buf, seed=data.runs["seed"].to_numpy(), **data.series)
    atomic_write_bytes(path, buf.getvalue())
