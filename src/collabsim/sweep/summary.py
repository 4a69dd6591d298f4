"""A finished sweep's summary: ``summary.md`` and paper-ready figures in the sweep folder.

Every sweep gets one (``collabsim sweep`` writes it when the runs are done). For each outcome it
gives the distribution over all runs and, per varied parameter, the mean outcome by level or by
quantile bin of the parameter with 95% intervals. In a sampled design (LHS, Sobol, Morris, or a
full grid) the parameters vary independently, so the mean over everything else at one value of
a parameter is its partial dependence. The parameters are ranked by the share of the outcome's
variance that their bins explain (the correlation ratio eta squared).

When the sweep kept weekly series (``series`` in the sweep), each kept series gets an envelope
figure: week by week, the median and the 10-90% band over runs, one line and band per level (or
quantile bin, as for the partial dependence) of each of the leading parameters, with the label
and unit of the series' declaration (:data:`collabsim.outcomes.SERIES_OUTCOMES`). A
collaboration that perishes stops recording, so the band at a week is over the runs still
running then. The series are read one at a time and only for the runs drawn (every run up to
:data:`ENVELOPE_RUNS`, else a random sample seeded by the root seed), so memory does not grow
with the sweep.

Figures are written as PNG, SVG and PDF with readable labels, the declared units of the
parameters on the axes and layouts that keep text from overlapping. A summary is added once and
never overwritten (the sweep folder is add-only).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.outcomes import OUTCOMES
from collabsim.params import PARAMS
from collabsim.results import atomic_write_bytes
from collabsim.stats import mean_ci, proportion_ci
from collabsim.sweep.store import kept_series, load_results, load_series, read_metadata

__all__ = [
    "BAND",
    "ENVELOPE_RUNS",
    "MIN_RUNS",
    "SUMMARY_OUTCOMES",
    "factor_effects",
    "outcome_label",
    "parameter_label",
    "partial_dependence",
    "plot_distribution",
    "plot_envelope",
    "plot_partial_dependence",
    "series_envelope",
    "series_label",
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
#: Quantiles of an envelope: the band's lower edge, the middle line, the band's upper edge.
BAND = (0.1, 0.5, 0.9)
#: Fewest runs of a level still running at a week for its envelope to be drawn at that week.
MIN_RUNS = 5
#: Most runs whose series the envelopes read (a larger sweep: a random sample of this size).
ENVELOPE_RUNS = 20_000
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


def series_label(name: str) -> str:
    """A short axis label for a declared weekly series, with its declared unit."""
    o = OUTCOMES["series"][name]
    text = name.replace("_", " ")
    return f"{text} ({o.unit})" if o.unit else text


def series_envelope(
    series: pd.DataFrame, groups: pd.Series, order: Sequence[str] | None = None
) -> pd.DataFrame:
    """The median and the 10-90% band of a weekly series per level, week by week.

    Args:
        series: One row per run (index ``run``), one column per week: the wide form of
            :func:`collabsim.sweep.load_series`; NaN where a run had ended.
        groups: The level of each run (index ``run``), e.g. from the parameter's levels or
            quantile bins; runs without a level are left out.
        order: Levels in the order wanted (default: sorted).

    Returns:
        One row per level and week with at least :data:`MIN_RUNS` runs still running:
        ``level``, ``week``, ``runs``, ``low``, ``median``, ``high`` (the quantiles of
        :data:`BAND`, linear interpolation).
    """
    levels = groups.reindex(series.index)
    order = list(order) if order is not None else sorted(pd.unique(levels.dropna()), key=str)
    weeks = np.asarray(series.columns)
    values = series.to_numpy(dtype=float)
    rows = []
    for level in order:
        block = values[(levels == level).to_numpy()]
        count = np.sum(~np.isnan(block), axis=0)
        ok = count >= MIN_RUNS
        if not ok.any():
            continue
        q = np.nanquantile(block[:, ok], BAND, axis=0)
        rows.append(
            pd.DataFrame(
                {
                    "level": level,
                    "week": weeks[ok],
                    "runs": count[ok],
                    "low": q[0],
                    "median": q[1],
                    "high": q[2],
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["level", "week", "runs", "low", "median", "high"])
    return pd.concat(rows, ignore_index=True)


def plot_envelope(
    env: pd.DataFrame, name: str, title: str = "", ax: Any = None, categorical: bool = False
) -> Any:
    """One line (median) and band (10-90%) per level of :func:`series_envelope`.

    Args:
        env: The envelope.
        name: The declared weekly series it shows (its label and unit go on the y axis).
        title: Panel title (e.g. the parameter's label).
        ax: Axes to draw on (default: a new figure).
        categorical: The levels have no order (distinct colours rather than a gradient).
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax, (3.4, 2.8))
    levels = list(dict.fromkeys(env["level"]))
    if categorical:
        colours = [plt.get_cmap("tab10")(i % 10) for i in range(len(levels))]
    else:
        colours = list(plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(levels), 1))))
    for level, colour in zip(levels, colours, strict=False):
        e = env[env["level"] == level]
        ax.fill_between(e["week"], e["low"], e["high"], color=colour, alpha=0.18, lw=0)
        ax.plot(e["week"], e["median"], color=colour, lw=1.4, label=str(level))
    ax.set_xlabel("week", fontsize=8)
    ax.set_ylabel(series_label(name), fontsize=8)
    ax.tick_params(labelsize=7)
    if title:
        ax.set_title(title, fontsize=8)
    if levels:
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.22),
            ncol=min(len(levels), 5 if max(len(str(v)) for v in levels) <= 5 else 2),
            fontsize=7,
            frameon=False,
            handlelength=1.2,
            columnspacing=1.0,
        )
    return ax


def _envelope_figure(wide: pd.DataFrame, runs: pd.DataFrame, factors: list[str], name: str) -> Any:
    """The envelope of one kept series: one panel per parameter (or one of all runs)."""
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    panels = factors or [""]
    width = 3.0 * len(panels) + 0.6
    fig, axes = plt.subplots(
        1, len(panels), figsize=(width, 3.4), squeeze=False, sharey="row", layout="constrained"
    )
    by_run = runs.set_index("run")
    for c, factor in enumerate(panels):
        ax = axes[0, c]
        if factor:
            groups, order = _bins(by_run[factor])
            x = by_run[factor]
            categorical = x.dtype in (bool, object) or str(x.dtype) in ("string", "str")
            env = series_envelope(wide, groups, order)
            plot_envelope(env, name, parameter_label(factor), ax=ax, categorical=categorical)
        else:
            env = series_envelope(wide, pd.Series("all runs", index=by_run.index))
            plot_envelope(env, name, "all runs", ax=ax)
        if c:
            ax.set_ylabel("")
    meaning = OUTCOMES["series"][name].meaning
    title = (
        f"{meaning[:1].upper()}{meaning[1:]} \N{EM DASH} median (line) and 10th-90th "
        f"percentile (band) of runs, week by week"
    )
    fig.suptitle(textwrap.fill(title, width=int(width * 13)), fontsize=9)
    return fig


def _envelope_plot(
    folder: Path, name: str, sample: np.ndarray | None, runs: pd.DataFrame, factors: list[str]
) -> Any:
    """Read one kept series (the sampled runs) and draw its envelope figure."""
    return _envelope_figure(load_series(folder, name, wide=True, runs=sample), runs, factors, name)


def _envelope_sample(n_runs: int, seed: int) -> np.ndarray | None:
    """The runs whose series the envelopes read: None (all) or a sorted random sample."""
    if n_runs <= ENVELOPE_RUNS:
        return None
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_runs, ENVELOPE_RUNS, replace=False))


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
        if not ok.any():  # the outcome is undefined in every run (no setback, say)
            rows.append({"parameter": f, "eta2": 0.0, "lowest": math.nan, "highest": math.nan})
            continue
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


def _series_line(meta: dict[str, Any]) -> str:
    kept = meta.get("series") or []
    if not kept:
        return (
            "- time series were not kept by this sweep (one row per run): no time-series "
            "envelope (keep some with `series = [...]` in `[sweep]`)."
        )
    every = int(meta.get("series_every", 1))
    weeks = "every week" if every == 1 else f"weeks 0, {every}, {2 * every}, ..."
    return (
        f"- **weekly series kept** ({weeks}): "
        + ", ".join(f"`{n}`" for n in kept)
        + "; envelopes below, data via `collabsim.sweep.load_series`."
    )


def _envelope_section(
    folder: Path,
    meta: dict[str, Any],
    runs: pd.DataFrame,
    factors: list[str],
    series: list[str],
    figures: list[tuple[str, Callable[[], Any]]],
) -> list[str]:
    """The envelopes' part of ``summary.md``; their figure builders go into ``figures``."""
    sample = _envelope_sample(len(runs), int(meta.get("root_seed", 0)))
    used = runs if sample is None else runs.set_index("run").loc[sample].reset_index()
    drawn = (
        f"all {len(runs):,} runs"
        if sample is None
        else f"a random sample of {len(sample):,} of the {len(runs):,} runs (seeded by the "
        f"root seed)"
    )
    perished = ""
    if "perished" in runs.columns:
        perished = (
            f" ({runs['perished'].astype(float).mean():.0%} of the runs perished before "
            f"their horizon)"
        )
    lines = [
        "## Weekly series: envelopes",
        "",
        f"Week by week, the median (line) and the 10th-90th percentile (band) over {drawn}, "
        + (
            "one panel per parameter ("
            + ", ".join(f"`{f}`" for f in factors)
            + "), one line and band per level or quintile bin"
            if factors
            else "over all runs (nothing was varied)"
        )
        + ". A collaboration that perishes stops recording, so the band at a week is over the "
        f"runs still running then{perished}; a level's line stops where fewer than "
        f"{MIN_RUNS} of its runs are still running. PNG here, SVG and PDF beside it.",
        "",
    ]
    for name in series:
        plot = partial(_envelope_plot, folder, name, sample, used, factors)
        figures.append((f"envelope_{name}", plot))
        lines += [
            f"### {name}: {OUTCOMES['series'][name].label()}",
            "",
            f"![envelope of {name}](figures/envelope_{name}.png)",
            "",
        ]
        wide = load_series(folder, name, wide=True, runs=sample)
        env = series_envelope(wide, pd.Series("all", index=wide.index))
        del wide  # one series in memory at a time
        if env.empty:
            continue
        weeks = env["week"].to_numpy()
        marks = sorted(
            {int(weeks[i]) for i in np.linspace(0, len(weeks) - 1, 5).round().astype(int)}
        )
        lines += [
            "| week | runs still running | median | 10th-90th percentile |",
            "|---|---|---|---|",
        ]
        for w in marks:
            r = env[env["week"] == w].iloc[0]
            lines.append(
                f"| {w} | {int(r['runs']):,} | {_fmt(r['median'])} | "
                f"{_fmt(r['low'])}-{_fmt(r['high'])} |"
            )
        lines.append("")
    return lines


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
        _series_line(meta),
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
    figures: list[tuple[str, Callable[[], Any]]] = []
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
                partial(
                    _grid,
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
                    partial(
                        _grid,
                        runs,
                        plot_distribution,
                        numeric,
                        top,
                        "Distribution over runs by parameter (box: quartiles; whiskers: 1.5 IQR)",
                    ),
                )
            )
    series = [n for n in kept_series(folder) if n in OUTCOMES["series"]]
    if series:
        shown_factors = top if factors and outs else factors[:MAX_PANELS]
        lines += _envelope_section(folder, meta, runs, shown_factors, series, figures)
    written: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix=".figures-", dir=folder))
    try:
        for stem, build in figures:  # one figure in memory at a time
            fig = build()
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
