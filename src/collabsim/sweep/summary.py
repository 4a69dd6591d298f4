"""A finished sweep's summary: ``summary.md`` and paper-ready figures in the sweep folder.

Every sweep gets one (``collabsim sweep`` writes it when the runs are done). For each outcome it
gives the distribution over all runs and, per varied parameter, the mean outcome by level or by
quantile bin of the parameter with 95% intervals. In a sampled design (LHS, Sobol, Morris, or a
full grid) the parameters vary independently, so the mean over everything else at one value of
a parameter is its partial dependence. The parameters are ranked by the share of the outcome's
variance that their bins explain (the correlation ratio eta squared).

Figures are written as PNG, SVG and PDF with readable labels, the declared units of the
parameters on the axes and layouts that keep text from overlapping. Sweeps keep one row per
run, not time series, so there is no time-series envelope here. A summary is added once and
never overwritten (the sweep folder is add-only).
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.params import PARAMS
from collabsim.results import atomic_write_bytes
from collabsim.stats import mean_ci, proportion_ci
from collabsim.sweep.store import load_results, read_metadata

__all__ = [
    "SUMMARY_OUTCOMES",
    "factor_effects",
    "outcome_label",
    "parameter_label",
    "partial_dependence",
    "plot_distribution",
    "plot_partial_dependence",
    "write_sweep_summary",
]

#: Outcomes summarized by default (those present in the sweep's results).
SUMMARY_OUTCOMES: tuple[str, ...] = (
    "success",
    "collective_impact",
    "weeks_to_first_win",
    "perished",
    "mean_trust",
    "learning_share",
)
#: Most parameters (columns) and outcomes (rows) per figure.
MAX_PANELS = 4
MAX_ROWS = 4
#: Quantile bins of a numeric parameter with many values.
BINS = 5
#: Units of the outcomes shown on axes.
_OUTCOME_UNITS = {
    "collective_impact": "public value units",
    "mean_trust": "0-1",
    "working_trust": "0-1",
    "consensus": "share of people",
    "learning_share": "share of setbacks",
    "founders_share": "share of people",
    "legitimacy": "0-1",
    "uptake": "0-1",
}


def outcome_label(name: str, binary: bool = False) -> str:
    """A readable axis label for an outcome, with its unit."""
    text = name.replace("_", " ")
    if binary:
        return f"{text} (share of runs)"
    if name.startswith("weeks") or name.endswith("_week"):
        return f"{text} (weeks, runs that reached it)"
    unit = _OUTCOME_UNITS.get(name)
    return f"{text} ({unit})" if unit else text


def parameter_label(name: str) -> str:
    """A readable axis label for a parameter, with its declared unit."""
    p = PARAMS.get(name)
    unit = getattr(p, "unit", "") if p is not None else ""
    text = name.replace("_", " ")
    return f"{text} ({unit})" if unit else text


def _binary(y: pd.Series) -> bool:
    if y.dtype == bool:
        return True
    vals = pd.unique(y.dropna())
    return len(vals) <= 2 and set(np.asarray(vals, dtype=float)) <= {0.0, 1.0}


def _bins(x: pd.Series) -> tuple[pd.Series, list[str]]:
    """Group labels for a parameter: its levels, or quantile bins of a numeric one."""
    if x.dtype == bool or x.dtype == object or str(x.dtype) in ("string", "str", "category"):
        levels = sorted(pd.unique(x), key=str)
        return x.astype(str), [str(v) for v in levels]
    values = np.sort(pd.unique(x))
    if len(values) <= BINS + 1:
        fmt = [f"{v:g}" for v in values]
        return x.map(dict(zip(values, fmt, strict=True))), fmt
    edges = np.unique(np.quantile(x, np.linspace(0, 1, BINS + 1)))
    codes = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, len(edges) - 2)
    labels = [f"{edges[i]:.3g}-{edges[i + 1]:.3g}" for i in range(len(edges) - 1)]
    return pd.Series(np.asarray(labels)[codes], index=x.index), labels


def partial_dependence(runs: pd.DataFrame, factor: str, outcome: str) -> pd.DataFrame:
    """Mean outcome per level (or quantile bin) of ``factor`` with a 95% interval.

    Returns:
        One row per level: ``level``, ``runs``, ``mean``, ``low``, ``high`` (Wilson interval
        for a yes/no outcome, t interval otherwise; undefined values left out).
    """
    groups, order = _bins(runs[factor])
    y = runs[outcome]
    binary = _binary(y)
    rows = []
    for level in order:
        v = y[groups == level].dropna()
        if binary:
            m, lo, hi = proportion_ci(int(v.astype(bool).sum()), len(v))
        else:
            m, lo, hi = mean_ci(v.to_numpy(dtype=float))
        rows.append({"level": level, "runs": len(v), "mean": m, "low": lo, "high": hi})
    return pd.DataFrame(rows)


def factor_effects(runs: pd.DataFrame, factors: Sequence[str], outcome: str) -> pd.DataFrame:
    """Parameters ranked by the share of the outcome's variance their levels or bins explain.

    Returns:
        One row per parameter: ``parameter``, ``eta2`` (between-bin over total variance of
        the runs), ``lowest`` and ``highest`` (mean outcome in the first and last level/bin).
    """
    y = runs[outcome].astype(float)
    ok = y.notna()
    total = float(y[ok].var(ddof=0)) if ok.sum() > 1 else 0.0
    rows = []
    for f in factors:
        groups, order = _bins(runs.loc[ok, f])
        means = y[ok].groupby(groups).mean()
        counts = y[ok].groupby(groups).size()
        between = float((counts * (means - y[ok].mean()) ** 2).sum() / counts.sum())
        rows.append(
            {
                "parameter": f,
                "eta2": between / total if total > 0 else 0.0,
                "lowest": float(means.get(order[0], math.nan)),
                "highest": float(means.get(order[-1], math.nan)),
            }
        )
    return pd.DataFrame(rows).sort_values("eta2", ascending=False, ignore_index=True)


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _level_ticks(ax: Any, labels: list[str]) -> None:
    ax.set_xticks(range(len(labels)))
    ax.set_xlim(-0.5, len(labels) - 0.5)
    long = max((len(s) for s in labels), default=0) > 6 or len(labels) > 4
    ax.set_xticklabels(labels, rotation=30 if long else 0, ha="right" if long else "center")
    ax.tick_params(axis="x", labelsize=7)


def plot_partial_dependence(runs: pd.DataFrame, factor: str, outcome: str, ax: Any = None) -> Any:
    """Mean outcome with its 95% interval per level or bin of ``factor``."""
    ax = _axes(ax, (3.2, 2.6))
    pd_ = partial_dependence(runs, factor, outcome)
    x = np.arange(len(pd_))
    ax.errorbar(
        x,
        pd_["mean"],
        yerr=[pd_["mean"] - pd_["low"], pd_["high"] - pd_["mean"]],
        fmt="o-",
        ms=4,
        capsize=3,
        lw=1,
    )
    _level_ticks(ax, list(pd_["level"]))
    ax.set_xlabel(parameter_label(factor), fontsize=8)
    ax.set_ylabel(outcome_label(outcome, _binary(runs[outcome])), fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    return ax


def plot_distribution(runs: pd.DataFrame, factor: str, outcome: str, ax: Any = None) -> Any:
    """Box plots of a numeric outcome per level or bin of ``factor`` (undefined values left out)."""
    ax = _axes(ax, (3.2, 2.6))
    groups, order = _bins(runs[factor])
    data = [runs.loc[groups == lv, outcome].dropna().to_numpy(dtype=float) for lv in order]
    ax.boxplot(data, positions=range(len(order)), widths=0.6, showfliers=False)
    _level_ticks(ax, order)
    ax.set_xlabel(parameter_label(factor), fontsize=8)
    ax.set_ylabel(outcome_label(outcome), fontsize=8)
    ax.tick_params(axis="y", labelsize=7)
    return ax


def _grid(
    runs: pd.DataFrame, plot: Any, outcomes: list[str], factors: list[str], title: str
) -> Any:
    """One row per outcome, one column per factor; each row shares its y axis."""
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    rows, cols = len(outcomes), len(factors)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(2.9 * cols + 0.6, 2.5 * rows + 0.5),
        squeeze=False,
        sharey="row",
        layout="constrained",
    )
    for r, outcome in enumerate(outcomes):
        for c, factor in enumerate(factors):
            ax = axes[r, c]
            plot(runs, factor, outcome, ax=ax)
            if c:  # the row shares its y axis: label it once
                ax.set_ylabel("")
            if r < rows - 1:  # the column's parameter is named under the last row
                ax.set_xlabel("")
    fig.suptitle(title, fontsize=10)
    return fig


def _fmt(v: float) -> str:
    return f"{v:.3g}" if np.isfinite(v) else "n/a"


def write_sweep_summary(
    folder: Path | str, outcomes: Sequence[str] | None = None, *, force: bool = False
) -> list[str]:
    """Write ``summary.md`` and ``figures/`` into a finished sweep folder.

    Args:
        folder: A complete sweep folder.
        outcomes: Outcomes to summarize (default: those of :data:`SUMMARY_OUTCOMES` present).
        force: Write even if a summary exists (it is otherwise never overwritten).

    Returns:
        The files written, relative to ``folder`` (empty if a summary was already there).
    """
    import matplotlib.pyplot as plt

    from collabsim.sensitivity.plots import save_figure

    folder = Path(folder)
    if (folder / "summary.md").exists() and not force:
        return []
    meta = read_metadata(folder)
    factors = [
        f["name"] for f in meta.get("design", {}).get("factors", []) if f.get("role") != "dummy"
    ]
    runs = load_results(folder)
    outs = [o for o in (outcomes or SUMMARY_OUTCOMES) if o in runs.columns]
    factors = [f for f in factors if f in runs.columns and runs[f].nunique() > 1]
    design = meta.get("design", {})
    lines = [
        f"# Sweep {meta.get('name', folder.name)}",
        "",
        f"- **design**: {design.get('method', '?')}, {meta.get('n_points', '?'):,} points x "
        f"{meta.get('replicates', '?')} replicates = {len(runs):,} runs; root seed "
        f"{meta.get('root_seed', '?')}",
        f"- **varied** ({len(factors)}): "
        + (", ".join(f"`{f}`" for f in factors) or "nothing: one point"),
        f"- **base scenario values**: see `metadata.json` (`base`); commit "
        f"{str(meta.get('git_commit', '?'))[:10]}",
        "- **how to read**: in these designs the parameters vary independently, so the mean "
        "of an outcome at one level of a parameter, over everything else, is its partial "
        "dependence; eta squared is the share of the outcome's variance over runs (seed "
        "noise included) that the parameter's levels or quintile bins explain.",
        "- time series are not kept by sweeps (one row per run): no time-series envelope.",
        "",
        "## Outcomes over all runs",
        "",
        "| outcome | mean [95% CI] | median | 10th-90th percentile | undefined (never reached) |",
        "|---|---|---|---|---|",
    ]
    for o in outs:
        y = runs[o]
        defined = y.dropna().astype(float)
        if _binary(y):
            m, lo, hi = proportion_ci(int(defined.sum()), len(defined))
        else:
            m, lo, hi = mean_ci(defined.to_numpy())
        q = np.quantile(defined, [0.1, 0.5, 0.9]) if len(defined) else [math.nan] * 3
        lines.append(
            f"| {o} | {_fmt(m)} [{_fmt(lo)}, {_fmt(hi)}] | {_fmt(q[1])} | "
            f"{_fmt(q[0])}-{_fmt(q[2])} | {1 - len(defined) / max(len(y), 1):.0%} |"
        )
    lines.append("")
    figures: list[tuple[str, Any]] = []
    ranks = []
    for o in outs:
        if not factors:
            break
        effects = factor_effects(runs, factors, o)
        ranks.append(effects.set_index("parameter")["eta2"].rank(ascending=False))
        lines += [
            f"## {o}",
            "",
            "| parameter | eta squared | mean at lowest level/bin | mean at highest |",
            "|---|---|---|---|",
        ]
        for r in effects.itertuples():
            lines.append(
                f"| `{r.parameter}` | {r.eta2:.3f} | {_fmt(r.lowest)} | {_fmt(r.highest)} |"
            )
        lines.append("")
    if factors and outs:
        top = list(pd.concat(ranks, axis=1).mean(axis=1).sort_values().index[:MAX_PANELS])
        shown = outs[:MAX_ROWS]
        numeric = [o for o in shown if not _binary(runs[o])]
        lines += [
            "## Figures",
            "",
            f"The {len(top)} parameters with the best mean rank of eta squared over the "
            f"outcomes, one column each; PNG here, SVG and PDF beside it in `figures/`.",
            "",
            "![partial dependence](figures/partial_dependence.png)",
            "",
        ]
        figures.append(
            (
                "partial_dependence",
                _grid(
                    runs,
                    plot_partial_dependence,
                    shown,
                    top,
                    "Mean outcome and 95% interval by parameter (partial dependence)",
                ),
            )
        )
        if numeric:
            lines += ["![distributions](figures/distributions.png)", ""]
            figures.append(
                (
                    "distributions",
                    _grid(
                        runs,
                        plot_distribution,
                        numeric,
                        top,
                        "Distribution over runs by parameter (box: quartiles; whiskers: 1.5 IQR)",
                    ),
                )
            )
    written: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix=".figures-", dir=folder))
    try:
        for stem, fig in figures:
            written += [f"figures/{n}" for n in save_figure(fig, tmp, stem)]
            plt.close(fig)
        if figures:
            target = folder / "figures"
            if target.exists():
                shutil.rmtree(target)
            tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    atomic_write_bytes(folder / "summary.md", ("\n".join(lines) + "\n").encode())
    return [*written, "summary.md"]
