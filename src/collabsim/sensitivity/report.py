"""The report of a sensitivity analysis: lever ranking, Markdown summary, tables and figures."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.sensitivity.analysis import SAResult
from collabsim.sensitivity.plots import (
    figure_grid,
    plot_convergence,
    plot_morris,
    plot_sobol,
    save_figure,
)
from collabsim.sweep.designs import DUMMY

__all__ = ["lever_ranking", "noise_floor", "summary_markdown", "write_report"]


def _fmt(v: float, c: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:.3f} ± {c:.3f}" if np.isfinite(c) else f"{v:.3f}"


def lever_ranking(result: SAResult) -> pd.DataFrame:
    """Parameters ranked by their mean rank of ``ST`` (else ``mu*``) over the outcomes."""
    if result.sobol is not None:
        table, index = result.sobol, "ST"
    elif result.morris is not None:
        table, index = result.morris, "mu_star"
    else:
        assert result.pawn is not None
        table, index = result.pawn, "median"
    wide = table.pivot(index="parameter", columns="outcome", values=index)
    order = [o for o in result.outcomes if o in wide.columns]
    wide = wide[order + [c for c in wide.columns if c not in order]]
    ranks = wide.rank(ascending=False)
    above = table.groupby("parameter")["above_noise"].apply(lambda s: int(s.fillna(False).sum()))
    out = pd.DataFrame({"mean_rank": ranks.mean(axis=1), "outcomes_above_noise": above})
    out = out.join(wide).sort_values(["mean_rank"]).reset_index()
    out.attrs["index"] = index
    return out


def summary_markdown(result: SAResult, title: str, context: Mapping[str, Any] | None = None) -> str:
    """A short Markdown summary that ranks the levers and states the noise floor."""
    s = result.settings
    lines = [f"# Sensitivity analysis: {title}", ""]
    for key, value in (context or {}).items():
        lines.append(f"- **{key}**: {value}")
    params = [f.name for f in result.factors if f.role != "dummy"]
    lines.append(f"- **parameters** ({len(params)}): {', '.join(params)}")
    sizes = ", ".join(f"{m} {n:,} points" for m, n in result.designs.items())
    sizes += f"; Sobol N = {s.sobol_n}" if "sobol" in s.methods else ""
    sizes += f", Morris r = {s.morris_trajectories}" if "morris" in s.methods else ""
    lines.append(f"- **designs**: {sizes}; intervals at {s.conf_level:.0%}")
    lines += [
        "- **outcomes**: replicates averaged per design point; time-to-event outcomes "
        "(weeks to first win) censored at the horizon when the event never happened; "
        "learning share averaged over the replicates that had a setback.",
    ]
    if any(f.role == "dummy" for f in result.factors):
        lines.append(
            "- **noise floor**: a dummy parameter the model never reads; a parameter counts as "
            "influential only when its interval lies above the dummy's."
        )
    lines.append("")
    lines += _noise_section(result)
    lines += _undefined_section(result)
    lines += _verdict_section(result)
    ranking = lever_ranking(result)
    index = ranking.attrs["index"]
    outcomes = [
        c for c in ranking.columns if c not in ("parameter", "mean_rank", "outcomes_above_noise")
    ]
    lines += [f"## Levers ranked by {index} (mean rank over outcomes)", ""]
    lines.append("| rank | parameter | " + " | ".join(outcomes) + " | above noise in |")
    lines.append("|---|---|" + "---|" * len(outcomes) + "---|")
    for i, row in ranking.iterrows():
        cells = " | ".join(f"{row[o]:.3f}" if np.isfinite(row[o]) else "n/a" for o in outcomes)
        lines.append(
            f"| {i + 1} | `{row['parameter']}` | {cells} | "
            f"{row['outcomes_above_noise']} of {len(outcomes)} |"
        )
    lines.append("")
    for outcome in outcomes:
        lines += [f"## {outcome}", ""]
        if result.sobol is not None:
            g = result.sobol[result.sobol["outcome"] == outcome]
            if g["ST"].isna().all():
                lines += ["- constant over the whole design: no index to report", ""]
                continue
        if result.sobol is not None:
            g = result.sobol[result.sobol["outcome"] == outcome].sort_values("ST", ascending=False)
            d = g[g["parameter"] == DUMMY]
            if len(d):
                lines.append(
                    f"- Sobol noise floor (dummy): ST = "
                    f"{_fmt(d['ST'].iloc[0], d['ST_conf'].iloc[0])}"
                )
            top = g[g["above_noise"].fillna(False).astype(bool)]
            lines.append(
                "- Sobol, above the noise floor: "
                + (
                    ", ".join(
                        f"`{r.parameter}` ST {_fmt(r.ST, r.ST_conf)} (S1 {_fmt(r.S1, r.S1_conf)})"
                        for r in top.itertuples()
                    )
                    or "none"
                )
            )
        if result.morris is not None:
            g = result.morris[result.morris["outcome"] == outcome]
            g = g.sort_values("mu_star", ascending=False).head(5)
            lines.append(
                "- Morris, top mu*: "
                + ", ".join(
                    f"`{r.parameter}` {_fmt(r.mu_star, r.mu_star_conf)}" for r in g.itertuples()
                )
            )
        if result.delta is not None:
            g = result.delta[result.delta["outcome"] == outcome]
            g = g.sort_values("delta", ascending=False).head(5)
            lines.append(
                "- delta (Borgonovo), top: "
                + ", ".join(
                    f"`{r.parameter}` {_fmt(r.delta, r.delta_conf)}" for r in g.itertuples()
                )
            )
        if result.pawn is not None:
            g = result.pawn[result.pawn["outcome"] == outcome]
            g = g.sort_values("median", ascending=False).head(5)
            lines.append(
                "- PAWN, top median KS: "
                + ", ".join(
                    f"`{r.parameter}` {_fmt(r.median, r.median_conf)}" for r in g.itertuples()
                )
            )
        lines.append("")
    if result.convergence is not None and len(result.convergence):
        conv = result.convergence
        ns = sorted(conv["N"].unique())
        lines += ["## Convergence (Sobol)", ""]
        widths = conv.groupby("N")["ST_width"].mean()
        lines.append(
            "- mean width of the ST intervals: " + ", ".join(f"N={n}: {widths[n]:.3f}" for n in ns)
        )
        if len(ns) >= 2:
            a = conv[conv["N"] == ns[-2]].set_index(["outcome", "parameter"])["ST"]
            b = conv[conv["N"] == ns[-1]].set_index(["outcome", "parameter"])["ST"]
            lines.append(
                f"- largest change of an ST index from N={ns[-2]} to N={ns[-1]}: "
                f"{float((b - a).abs().max()):.3f}"
            )
        lines.append("")
    return "\n".join(lines)


def _dummy_st(result: SAResult, outcome: str) -> tuple[float, float]:
    if result.sobol is None:
        return (float("nan"), float("nan"))
    d = result.sobol[(result.sobol["outcome"] == outcome) & (result.sobol["parameter"] == DUMMY)]
    if not len(d):
        return (float("nan"), float("nan"))
    return (float(d["ST"].iloc[0]), float(d["ST_conf"].iloc[0]))


def noise_floor(result: SAResult) -> pd.DataFrame:
    """Per outcome: the measured seed noise, the dummy's total index and a verdict in words.

    The dummy sits at the noise floor when the seed noise left in the replicate means
    (measured from the replicates) is at most ``settings.noise_target``; otherwise the
    verdict names the replicates that would bring it there
    (:func:`~collabsim.sensitivity.evaluate.replicates_for`).
    """
    from collabsim.sensitivity.evaluate import replicates_for

    if result.noise is None:
        return pd.DataFrame()
    target = result.settings.noise_target
    rows = []
    for r in result.noise.itertuples():
        if r.outcome in result.refused:
            continue
        st, conf = _dummy_st(result, r.outcome)
        share = r.seed_share_means
        if not np.isfinite(share):
            verdict = "not measured (one replicate per point): run at least 2 replicates"
            need = float("nan")
        elif share <= target:
            verdict = f"at the noise floor (seed noise {share:.0%} of the means' variance)"
            need = r.replicates
        else:
            try:
                need = replicates_for(r.seed_share_runs, target)
                verdict = (
                    f"seed noise is {share:.0%} of the means' variance, above {target:.0%}: "
                    f"raise replicates to {need}"
                )
            except ValueError:
                need = float("nan")
                verdict = "pure seed noise: no parameter moves this outcome"
        rows.append(
            {
                "outcome": r.outcome,
                "replicates": r.replicates,
                "seed_share_runs": r.seed_share_runs,
                "seed_share_means": share,
                "dummy_ST": st,
                "dummy_ST_conf": conf,
                "replicates_for_target": need,
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def _noise_section(result: SAResult) -> list[str]:
    table = noise_floor(result)
    if not len(table):
        return []
    lines = [
        "## Seed noise and the noise floor",
        "",
        "Seed noise is measured from the replicates (the variance between runs of one design "
        "point); indices are computed on the replicate means, where what is left of it is "
        "divided by the replicates. The dummy's total index estimates that share.",
        "",
        "| outcome | replicates | seed noise in single runs | seed noise in the means "
        "| dummy ST | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.outcome} | {r.replicates:g} | {_pct(r.seed_share_runs)} | "
            f"{_pct(r.seed_share_means)} | {_fmt(r.dummy_ST, r.dummy_ST_conf)} | {r.verdict} |"
        )
    return [*lines, ""]


def _pct(v: float) -> str:
    return f"{v:.0%}" if np.isfinite(v) else "n/a"


def _undefined_section(result: SAResult) -> list[str]:
    lines = ["## Undefined outcomes", ""]
    noise = result.noise.set_index("outcome") if result.noise is not None else None
    any_row = False
    for outcome in result.settings.outcomes:
        runs = (
            float(noise.loc[outcome, "undefined_runs"])
            if noise is not None and outcome in noise.index
            else float("nan")
        )
        points = {m: v[outcome] for m, v in result.undefined.items() if outcome in v}
        if not (np.isfinite(runs) and runs > 0) and not any(points.values()):
            continue
        any_row = True
        where = ", ".join(f"{v:.0%} of the {m} points" for m, v in points.items())
        text = f"- `{outcome}`: undefined in {_pct(runs)} of the runs; imputed at {where}"
        if outcome in result.refused:
            text += f". **Refused**: {result.refused[outcome]}"
        else:
            text += " (points with no defined replicate take the mean of the other points)"
        lines.append(text)
    if not any_row:
        lines.append("- every outcome is defined in every run")
    return [*lines, f"- limit: max_undefined = {result.settings.max_undefined:.0%}", ""]


def _verdict_section(result: SAResult) -> list[str]:
    if result.verdict is None or not len(result.verdict):
        return []
    lines = ["## Convergence verdict (Sobol, from the N/4, N/2 and N checks)", ""]
    for r in result.verdict.itertuples():
        lines.append(f"- `{r.outcome}`: {r.verdict}")
    return [*lines, ""]


def write_report(
    result: SAResult,
    folder: Path,
    *,
    title: str,
    context: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write tables (CSV), figures (PNG, SVG, PDF) and ``summary.md`` of ``result`` into ``folder``.

    Returns:
        The names of the files written.
    """
    import matplotlib.pyplot as plt

    from collabsim.results import atomic_write_bytes

    written = []
    tables = dict(result.tables())
    floor = noise_floor(result)
    if len(floor):
        tables["noise_floor"] = floor
    for stem, table in tables.items():
        table.to_csv(folder / f"{stem}.csv", index=False)
        written.append(f"{stem}.csv")
    outcomes = result.outcomes
    n_names = len(result.sobol["parameter"].unique()) if result.sobol is not None else 0
    figures = []
    if result.sobol is not None:
        outs = [o for o in outcomes if o in set(result.sobol["outcome"])]
        size = (6.5, 1.2 + 0.22 * n_names)
        figures.append(("sobol", figure_grid(plot_sobol, result.sobol, outs, size)))
    if result.morris is not None:
        outs = [o for o in outcomes if o in set(result.morris["outcome"])]
        figures.append(("morris", figure_grid(plot_morris, result.morris, outs, (6, 5))))
    if result.convergence is not None and len(result.convergence):
        outs = [o for o in outcomes if o in set(result.convergence["outcome"])]
        figures.append(
            ("convergence", figure_grid(plot_convergence, result.convergence, outs, (6, 4)))
        )
    for stem, fig in figures:
        written += save_figure(fig, folder, stem)
        plt.close(fig)
    text = summary_markdown(result, title, context)
    atomic_write_bytes(folder / "summary.md", (text + "\n").encode())
    written.append("summary.md")
    return written
