"""The replication report: REPORT.md, REPORT.html (figures embedded), CSVs and metadata.json.

The report is built once as a list of blocks (headings, paragraphs, tables, figures) and
rendered twice, to Markdown and to a self-contained HTML page, so the two never disagree. Its
header says which criteria revision was used, which assumptions the student changed
(``--scenario``, ``--set``), whether the declared calibration labels apply to this model (for a
model older than ``held_out_from_version`` no pattern is out of sample), and the summary line
"N of M validation parts pass on held-out patterns". For each pattern it shows the citation,
the pre-declared design, each part's claim, statistic and criterion with its two labels
(verification with its rule, or validation; calibration target or held out), the statistics with
their intervals, PASS or FAIL, the second size and the quick subset where they were run, the
flags (a pass within ``near_bound`` of its criterion; quick and full, or the two sizes,
disagreeing), the figure and a plain-language reading. Every file is written with an atomic
rename; the caller writes into a temporary result folder
(:func:`collabsim.results.result_folder`).
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
from collabsim.replication.result import Check, PatternResult
from collabsim.replication.runner import model_digest
from collabsim.replication.spec import PartSpec
from collabsim.results import atomic_write_bytes, provenance, write_json

__all__ = ["FIGURE_DPI", "PartStatus", "part_statuses", "write_report"]

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


@dataclass
class PartStatus:
    """One part of one pattern as the report judges it.

    Attributes:
        pattern: Pattern name.
        part: The part as declared.
        check: Its check at the declared size.
        calibration: The calibration label that applies to this model (``"target"`` for every
            part when the declared labels do not apply to it).
        subset: Its check on the quick subset (full runs), or None.
        size2: Its check at the second size, or None.
        flags: Reasons to look twice (near the bound; quick/full or sizes disagree).
    """

    pattern: str
    part: PartSpec
    check: Check
    calibration: str
    subset: Check | None
    size2: Check | None
    flags: list[str]

    @property
    def counted(self) -> bool:
        """A validation part of a held-out pattern (counted in the summary line)."""
        return self.part.validation and self.calibration == "held_out"


def _check_of(res: PatternResult | None, part: str) -> Check | None:
    if res is None:
        return None
    try:
        return res.check(part)
    except KeyError:
        return None


def part_statuses(rep: Replication, labels_apply: bool) -> list[PartStatus]:
    """Every part of every pattern run, with its labels, other sizes and flags."""
    near = rep.criteria.near_bound
    out = []
    for name, res in rep.results.items():
        for part in res.spec.parts:
            c = res.check(part.id)
            sub = _check_of(rep.subset.get(name), part.id)
            s2 = _check_of(rep.size2.get(name), part.id)
            flags = []
            if c.near(near):
                flags.append(f"passes within {near:g} of its criterion")
            if sub is not None and sub.passed != c.passed:
                flags.append(
                    f"quick subset {'PASS' if sub.passed else 'FAIL'}, full "
                    f"{'PASS' if c.passed else 'FAIL'}"
                )
            if s2 is not None and s2.passed != c.passed:
                flags.append(
                    f"second size {'PASS' if s2.passed else 'FAIL'}, declared size "
                    f"{'PASS' if c.passed else 'FAIL'}"
                )
            if s2 is not None and s2.near(near):
                flags.append(f"second size passes within {near:g} of its criterion")
            cal = part.calibration if labels_apply else "target"
            out.append(PartStatus(name, part, c, cal, sub, s2, flags))
    return out


def _labels(st: PartStatus, labels_apply: bool) -> str:
    check = (
        f"verification (rule: {st.part.rule})" if st.part.check == "verification" else "validation"
    )
    if labels_apply:
        cal = "held out" if st.calibration == "held_out" else "calibration target"
    else:
        declared = "held out" if st.part.calibration == "held_out" else "calibration target"
        cal = f"calibration target for this model (declared {declared} for later models)"
    return f"{check}; {cal}"


def _estimates(c: Check | None) -> str:
    if c is None:
        return ""
    return "<br>".join(f"{e.label}: {e.text()}" for e in c.estimates)


def _verdict(c: Check | None) -> str:
    if c is None:
        return "not run"
    return "PASS" if c.passed else "FAIL"


def _pattern_blocks(
    i: int,
    res: PatternResult,
    png: bytes,
    files: list[str],
    statuses: list[PartStatus],
    labels_apply: bool,
    rep: Replication,
) -> list[_Block]:
    spec = res.spec
    cal = "held out" if spec.held_out else "calibration target"
    if not labels_apply:
        cal = f"calibration target for this model (declared {cal} for later models)"
    blocks = [
        _Block("h2", f"{i}. {spec.name}: {res.verdict}"),
        _Block("p", f"**Source.** {spec.citation}"),
        _Block("p", f"**Design (pre-declared).** {' '.join(spec.design.split())}"),
        _Block("p", f"**Runs.** {res.design_summary}."),
        _Block("p", f"**Calibration: {cal}.** {spec.calibration_reason}"),
    ]
    part_rows = []
    for st in statuses:
        extra = []
        if st.part.citation:
            extra.append(f"Source: {st.part.citation}")
        if st.part.design:
            extra.append(f"Design: {st.part.design}")
        part_rows.append(
            (
                f"({st.part.id})",
                st.part.claim + ("<br>" + "<br>".join(extra) if extra else ""),
                _labels(st, labels_apply),
                st.part.statistic,
                st.part.criterion,
            )
        )
    blocks.append(_Block("p", "**Parts as declared.**"))
    blocks.append(
        _Block(
            "table",
            header=("part", "claim", "labels", "statistic", "criterion"),
            rows=tuple(part_rows),
        )
    )
    rows = []
    for st in statuses:
        c = st.check
        rows.append(
            (
                f"({c.part})",
                _estimates(c),
                c.criterion,
                "PASS" if c.passed else "FAIL",
                _verdict(st.subset) if rep.subset else "n/a (quick run)",
                "; ".join(st.flags) or "",
                c.note or "",
            )
        )
    blocks.append(_Block("p", "**Results.**"))
    blocks.append(
        _Block(
            "table",
            header=(
                "part",
                "estimate [CI]",
                "criterion",
                "result",
                "quick subset",
                "flags",
                "note",
            ),
            rows=tuple(rows),
        )
    )
    if spec.name in rep.size2:
        s2 = rep.size2[spec.name]
        size = ", ".join(f"{k} {v}" for k, v in spec.size2.items())
        rows2 = tuple(
            (
                f"({st.part.id})",
                _estimates(st.size2),
                _verdict(st.size2),
                "yes" if st.size2 is not None and st.size2.passed == st.check.passed else "NO",
            )
            for st in statuses
        )
        blocks.append(_Block("p", f"**Second size ({size}).** {s2.design_summary}."))
        blocks.append(
            _Block(
                "table",
                header=("part", "estimate [CI]", "result", "agrees with the declared size"),
                rows=rows2,
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
        res = rep.size2.get(p.spec.name) if p.size2 else rep.results[p.spec.name]
        out[p.label] = {
            "verdict": res.verdict if res is not None else "",
            "runs": len(p.runs),
            "seeds_per_cell": p.seeds_per_cell,
            "series_kept": list(rep.data[p.label].series),
            "cells": [
                {
                    "cell": i,
                    "labels": c.labels,
                    "params": c.params,
                    "seed_cell": c.seed_cell,
                    "seeds_factor": c.seeds_factor,
                }
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
    version = prov["collabsim_version"]
    labels_apply = crit.labels_apply(version)
    statuses = part_statuses(rep, labels_apply)
    size = "quick (CI-sized: seeds_quick per cell)" if rep.quick else "full (seeds_full per cell)"
    n_pass = sum(r.passed for r in rep.results.values())
    counted = [st for st in statuses if st.counted]
    summary = (
        f"**{sum(st.check.passed for st in counted)} of {len(counted)} validation parts pass "
        "on held-out patterns.**"
    )
    if labels_apply:
        sample = (
            f"The calibration labels declared in revision {crit.revision} apply to this model "
            f"(collabsim {version}; they apply from {crit.held_out_from_version} on)."
        )
    else:
        declared = [
            st for st in statuses if st.part.validation and st.part.calibration == "held_out"
        ]
        sample = (
            f"**No pattern is out of sample for this model.** collabsim {version} is older than "
            f"{crit.held_out_from_version}, the first version the calibration labels of "
            f"revision {crit.revision} apply to: for this model every pattern was consulted "
            "during hand calibration (docs/calibration.md), so every part counts as a "
            "calibration target here and none is held out. For reference only: of the "
            f"validation parts declared held out for later models, "
            f"{sum(st.check.passed for st in declared)} of {len(declared)} pass here, in "
            "sample."
        )
    flagged = [st for st in statuses if st.flags]
    if rep.scenario or rep.overrides:
        changed = []
        if rep.scenario:
            changed.append(f"--scenario {rep.scenario}")
        changed += [f"--set {k}={_fmt_value(v)}" for k, v in rep.overrides.items()]
        shadow = _shadowed(rep)
        assumptions = "; ".join(changed) + (
            " (under every pattern's design; where a design sets the same parameter, the "
            "design's value is used: " + "; ".join(shadow) + ")"
            if shadow
            else " (under every pattern's design)"
        )
    else:
        assumptions = "none: every pattern at its declared design"
    head = [
        _Block("h1", "collabsim replication report"),
        _Block(
            "p",
            f"Pattern-oriented validation (Grimm et al. 2005) against criteria revision "
            f"{crit.revision}, declared {crit.declared.isoformat()} in "
            f"`{Path(crit.path).name}` before the runs. {summary} "
            f"{n_pass} of {len(rep.results)} patterns pass every part.",
        ),
        _Block("p", sample),
        _Block(
            "table",
            header=("item", "value"),
            rows=(
                ("collabsim", f"{version} (commit {prov['git_commit']})"),
                ("created", prov["created"]),
                (
                    "criteria",
                    f"revision {crit.revision} of {crit.declared.isoformat()} "
                    f"(earlier revision kept as history: {crit.supersedes})",
                ),
                ("assumptions changed", assumptions),
                ("size", size),
                ("runs", f"{rep.n_runs}"),
                (
                    "wall time",
                    f"{rep.seconds_run:.0f} s of runs, {rep.seconds_total:.0f} s in all, "
                    f"{rep.workers} worker process(es)",
                ),
                ("CPU time and machine load", _load_text(rep)),
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
            header=("#", "pattern", "calibration", "result", "parts"),
            rows=tuple(
                (
                    str(i),
                    r.spec.name,
                    ("held out" if r.spec.held_out else "target")
                    if labels_apply
                    else "target (this model)",
                    r.verdict,
                    " ".join(
                        f"({c.part}) {'PASS' if c.passed else 'FAIL'}"
                        + (" [V]" if r.spec.part(c.part).validation else " [v]")
                        for c in r.checks
                    ),
                )
                for i, r in enumerate(rep.results.values(), 1)
            ),
        ),
        _Block(
            "p",
            "[V] validation (must emerge), [v] verification (follows from a named rule by "
            "construction). "
            + (
                "Flagged parts: "
                + "; ".join(f"{st.pattern} ({st.part.id}): {', '.join(st.flags)}" for st in flagged)
                + "."
                if flagged
                else "No part is flagged (no pass within "
                f"{crit.near_bound:g} of its criterion"
                + (", no quick/full disagreement" if rep.subset else "")
                + (", no disagreement between sizes" if rep.size2 else "")
                + ")."
            ),
        ),
        _Block(
            "p",
            "How to read this report: each part states the claim, the statistic and the "
            "criterion exactly as declared before the runs, with two labels. A verification "
            "follows from a rule of the model by construction: its PASS shows the rule is "
            "implemented, not that the model explains anything. A validation must emerge from "
            "the mechanisms together. A calibration target was (or will be) used to choose "
            "weights, so its PASS is not evidence; only validation parts of held-out patterns "
            "test the model out of sample. Intervals are confidence intervals for the model's "
            "behaviour (more seeds make them narrower); they say nothing about how large the "
            "effects are in real cities. The source studies are qualitative (9 and 10 cases) "
            "and give directions, not effect sizes.",
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
        if rep.data[name].series:
            files.append(f"{name}_series.npz")
        if name in rep.size2:
            _write_csv(folder / f"{name}_size2_runs.csv", rep.size2[name].runs)
            files.append(f"{name}_size2_runs.csv")
        files_written[name] = files
        mine = [st for st in statuses if st.pattern == name]
        blocks += _pattern_blocks(i, res, png, files, mine, labels_apply, rep)
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
            "cpu_seconds": round(rep.cpu_seconds, 2),
            "load_average_start_end": list(rep.load),
            "cores": rep.cores,
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
            "criteria": _plain(crit.raw),
            "criteria_revision": crit.revision,
            "criteria_declared": crit.declared.isoformat(),
            "calibration_labels_apply": labels_apply,
            "assumptions": {
                "scenario": rep.scenario,
                "set": rep.overrides,
                "base": rep.base,
            },
            "summary": {
                "validation_parts_held_out": len(counted),
                "validation_parts_held_out_passing": sum(st.check.passed for st in counted),
                "flags": {f"{st.pattern} ({st.part.id})": st.flags for st in flagged},
            },
            "parts": [
                {
                    "pattern": st.pattern,
                    "part": st.part.id,
                    "check": st.part.check,
                    "rule": st.part.rule,
                    "calibration_declared": st.part.calibration,
                    "calibration_applied": st.calibration,
                    "passed": st.check.passed,
                    "quick_subset_passed": None if st.subset is None else st.subset.passed,
                    "size2_passed": None if st.size2 is None else st.size2.passed,
                    "flags": st.flags,
                }
                for st in statuses
            ],
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


def _fmt_value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _shadowed(rep: Replication) -> list[str]:
    """Where a changed assumption is overruled by a design that sets the same parameter."""
    out = []
    for key, value in rep.base.items():
        where = sorted(
            {p.spec.name for p in rep.plans for c in p.cells if c.params.get(key, value) != value}
        )
        if where:
            out.append(f"{key} in {', '.join(where)}")
    return out


def _plain(obj: Any) -> Any:
    """The parsed criteria with TOML dates as ISO text (for JSON)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def _load_text(rep: Replication) -> str:
    """CPU seconds and load average, saying whether the machine was shared while it ran."""
    text = (
        f"{rep.cpu_seconds:.0f} CPU s (user + system, this process and its workers); "
        f"1-minute load average {rep.load[0]:.1f} at the start, {rep.load[1]:.1f} at the end, "
        f"on {rep.cores} core(s)"
    )
    busy = max(rep.load) if all(math.isfinite(x) for x in rep.load) else math.nan
    if math.isfinite(busy) and rep.cores and busy > rep.cores + 0.5:
        text += (
            ": the machine was shared with other work, so the wall time is longer than on an "
            "idle machine (about the CPU time divided by the workers, plus the analysis)"
        )
    return text
