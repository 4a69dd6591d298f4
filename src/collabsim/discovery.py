"""Scenario discovery on a finished sweep: PRIM boxes and tree-based feature scores.

``collabsim discover SWEEP_DIR --outcome success`` asks which combinations of the sweep's
varied parameters lead to the outcome of interest. Both analyses come from EMA Workbench
(``ema_workbench.analysis``; 2.5.3 is the newest release for Python 3.11):

* **PRIM** (Friedman and Fisher 1999; Bryant and Lempert 2010), ``analysis.prim.Prim``: peels
  the input space box by box; the *peeling trajectory* lists each box's coverage (share of all
  cases of interest inside the box), density (share of the box's runs that are cases of
  interest), mass and number of restricted parameters. The box reported is the one with the
  highest coverage among those whose density reaches the requested density (else the densest).
* **Feature scoring**, ``analysis.feature_scoring.get_ex_feature_scores``: the impurity-based
  importance of each parameter in an extra-trees classifier of the same yes/no outcome.

The outcome is a yes/no column of the runs (``success``, ``perished``...), or a numeric one
turned into yes/no with ``--threshold`` (``--below`` for "at most"). A run whose outcome is
undefined (an event that never happened) is not a case of interest; their share is reported.
Results (Markdown summary, CSV tables, figures as PNG, SVG and PDF, metadata) go into a new
tagged folder; the sweep folder is only read.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.config import ConfigError

__all__ = ["Discovery", "add_parser", "cmd_discover", "discover", "inputs_of", "plot_box"]


@dataclass
class Discovery:
    """What scenario discovery found.

    Attributes:
        outcome: The outcome column and the rule that makes it yes/no, in words.
        n_runs: Runs analysed.
        cases: Runs that are cases of interest.
        undefined: Share of runs whose outcome was undefined (counted as not of interest).
        trajectory: PRIM's peeling trajectory (one row per box: coverage, density, mass,
            restricted dimensions...).
        chosen: Row of ``trajectory`` that is reported.
        limits: The chosen box's limits: one row per restricted parameter with the full range
            and the box's range (``low``/``high`` for numbers, ``levels`` for categories) and
            PRIM's quasi-p-value of the restriction.
        scores: Feature scores (one row per parameter, highest first).
        density: The density asked for.
        seconds: Time of PRIM and of the feature scoring, in seconds.
    """

    outcome: str
    n_runs: int
    cases: int
    undefined: float
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame
    scores: pd.DataFrame
    density: float
    seconds: dict[str, float]

    @property
    def box(self) -> pd.Series:
        """The chosen box's row of the trajectory."""
        return self.trajectory.iloc[self.chosen]


def _ema() -> tuple[Any, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # EMA warns about optional parallel back ends
            from ema_workbench.analysis import feature_scoring, prim
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError(
            "scenario discovery needs EMA Workbench: pip install 'collabsim[research]'"
        ) from exc
    return prim, feature_scoring


def inputs_of(runs: pd.DataFrame, factors: Sequence[str]) -> pd.DataFrame:
    """The varied parameters as PRIM inputs: numbers as they are, switches and choices nominal."""
    x = runs[list(factors)].copy()
    for name in x.columns:
        if x[name].dtype == bool or not pd.api.types.is_numeric_dtype(x[name]):
            x[name] = x[name].astype(str).astype("category")
        else:
            x[name] = x[name].astype(float)
    return x


def _limits(box: Any, x: pd.DataFrame, i: int, integers: set[str]) -> pd.DataFrame:
    """The restricted parameters of box ``i``, from EMA's box limits and quasi-p-values."""
    lims = box.box_lims[i]
    init = box.prim.box_init
    qp = box.qp[i] if i < len(box.qp) else {}
    rows = []
    for name in x.columns:
        lo, hi = lims[name].iloc[0], lims[name].iloc[1]
        full_lo, full_hi = init[name].iloc[0], init[name].iloc[1]
        if isinstance(lo, set):
            if lo == full_lo:
                continue
            rows.append(
                {
                    "parameter": name,
                    "kind": "levels",
                    "low": math.nan,
                    "high": math.nan,
                    "full_low": math.nan,
                    "full_high": math.nan,
                    "levels": ", ".join(sorted(map(str, lo))),
                    "all_levels": ", ".join(sorted(map(str, full_lo))),
                    "qp": _qp(qp.get(name)),
                }
            )
        elif lo != full_lo or hi != full_hi:
            if name in integers:  # a box edge between two integers: the integers inside
                lo, hi = math.ceil(lo), math.floor(hi)
            rows.append(
                {
                    "parameter": name,
                    "kind": "range",
                    "low": float(lo),
                    "high": float(hi),
                    "full_low": float(full_lo),
                    "full_high": float(full_hi),
                    "levels": "",
                    "all_levels": "",
                    "qp": _qp(qp.get(name)),
                }
            )
    cols = ["parameter", "kind", "low", "high", "full_low", "full_high", "levels", "all_levels"]
    return pd.DataFrame(rows, columns=[*cols, "qp"])


def _qp(values: Any) -> float:
    """The larger finite quasi-p-value of a restriction (EMA gives one per side; -1: none)."""
    if values is None:
        return math.nan
    vals = [float(v) for v in np.atleast_1d(values) if v is not None and float(v) >= 0]
    return max(vals) if vals else math.nan


def discover(
    runs: pd.DataFrame,
    factors: Sequence[str],
    y: np.ndarray,
    *,
    outcome: str = "y",
    density: float = 0.8,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    trees: int = 100,
    seed: int = 0,
    undefined: float = 0.0,
) -> Discovery:
    """Run PRIM and extra-trees feature scoring of ``y`` on the varied parameters.

    Args:
        runs: One row per run with the parameter columns.
        factors: The varied parameters (PRIM's inputs).
        y: Yes/no per run: the cases of interest.
        outcome: How ``y`` was made, in words (for the report).
        density: The density a box should reach (PRIM's threshold).
        peel_alpha: Share of the box peeled at each step.
        mass_min: Smallest box, as a share of the runs.
        trees: Trees of the feature-scoring forest.
        seed: Seed of the forest.
        undefined: Share of runs whose outcome was undefined (reported only).

    Raises:
        ConfigError: no run, or no case of interest, or every run is one.
    """
    prim, fs = _ema()
    yv = np.asarray(y, dtype=bool)
    if len(yv) == 0:
        raise ConfigError("the sweep has no runs to analyse")
    cases = int(yv.sum())
    if cases == 0 or cases == len(yv):
        raise ConfigError(
            f"outcome {outcome!r} is {'never' if cases == 0 else 'always'} a case of interest "
            f"in the {len(yv):,} runs: nothing to discover (choose another outcome or threshold)"
        )
    if not factors:
        raise ConfigError("the sweep varies no parameter: nothing to discover")
    x = inputs_of(runs, factors)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alg = prim.Prim(x, yv, threshold=density, peel_alpha=peel_alpha, mass_min=mass_min)
        box = alg.find_box()
    t_prim = time.perf_counter() - t0
    traj = box.peeling_trajectory.reset_index(drop=True)
    ok = traj.index[traj["density"] >= density]
    chosen = int(traj.loc[ok, "coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    integers = {f for f in factors if pd.api.types.is_integer_dtype(runs[f])}
    limits = _limits(box, x, chosen, integers)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, _ = fs.get_ex_feature_scores(
            x,
            yv.astype(int),
            mode=fs.RuleInductionType.CLASSIFICATION,
            nr_trees=trees,
            random_state=seed,
        )
    t_scores = time.perf_counter() - t0
    scores = scores.iloc[:, 0].rename("score").rename_axis("parameter").reset_index()
    scores = scores.sort_values("score", ascending=False, ignore_index=True)
    return Discovery(
        outcome=outcome,
        n_runs=len(yv),
        cases=cases,
        undefined=undefined,
        trajectory=traj,
        chosen=chosen,
        limits=limits,
        scores=scores,
        density=density,
        seconds={"prim": round(t_prim, 3), "feature_scoring": round(t_scores, 3)},
    )


# ----------------------------------------------------------------------------- figures
def plot_tradeoff(d: Discovery, ax: Any = None) -> Any:
    """Coverage against density of every box on the peeling trajectory; the chosen one ringed."""
    ax = _axes(ax, (5, 4))
    t = d.trajectory
    sc = ax.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    ax.scatter([d.box["coverage"]], [d.box["density"]], s=120, facecolors="none", edgecolors="red")
    ax.axhline(d.density, color="grey", ls="--", lw=1)
    ax.set_xlabel("coverage (share of all cases inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.figure.colorbar(sc, ax=ax, label="restricted parameters")
    ax.set_title("PRIM peeling trajectory", fontsize=10)
    return ax


def plot_box(d: Discovery, ax: Any = None) -> Any:
    """The chosen box: each restricted parameter's range as a share of its full range."""
    from collabsim.sweep.summary import parameter_label

    lim = d.limits
    ax = _axes(ax, (6, 1.0 + 0.45 * max(len(lim), 1)))
    if not len(lim):
        ax.text(0.5, 0.5, "the box restricts no parameter", ha="center", va="center")
        ax.set_axis_off()
        return ax
    for k, r in enumerate(lim.itertuples()):
        ax.barh(k, 1.0, color="0.9", height=0.6)
        if r.kind == "range":
            span = r.full_high - r.full_low
            lo, hi = (r.low - r.full_low) / span, (r.high - r.full_low) / span
            ax.barh(k, hi - lo, left=lo, height=0.6, color="tab:blue")
            text = f"{r.low:.3g} to {r.high:.3g} (of {r.full_low:.3g} to {r.full_high:.3g})"
        else:
            share = len(r.levels.split(", ")) / len(r.all_levels.split(", "))
            ax.barh(k, share, height=0.6, color="tab:orange")
            text = f"{r.levels} (of {r.all_levels})"
        ax.text(1.02, k, text, va="center", fontsize=7, transform=ax.get_yaxis_transform())
    ax.set_yticks(range(len(lim)))
    ax.set_yticklabels([parameter_label(p) for p in lim["parameter"]], fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the parameter's range in the sweep")
    ax.invert_yaxis()
    b = d.box
    ax.set_title(
        f"box {d.chosen}: coverage {b['coverage']:.2f}, density {b['density']:.2f}, "
        f"mass {b['mass']:.2f}",
        fontsize=9,
    )
    return ax


def plot_scores(d: Discovery, ax: Any = None, top: int = 15) -> Any:
    """Feature scores as horizontal bars, highest on top."""
    s = d.scores.head(top).iloc[::-1]
    ax = _axes(ax, (5, 1.0 + 0.3 * len(s)))
    ax.barh(range(len(s)), s["score"], color="tab:green")
    ax.set_yticks(range(len(s)))
    ax.set_yticklabels(s["parameter"], fontsize=8)
    ax.set_xlabel("feature score (extra trees, impurity decrease)")
    ax.set_title("Which parameters separate the cases", fontsize=10)
    return ax


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


# ----------------------------------------------------------------------------- report
def summary_markdown(d: Discovery, sweep: str, context: dict[str, Any]) -> str:
    """The Markdown report of a discovery."""
    b = d.box
    lines = [
        f"# Scenario discovery: {d.outcome}",
        "",
        f"- **sweep**: `{sweep}`",
        *(f"- **{k}**: {v}" for k, v in context.items()),
        f"- **cases of interest**: {d.cases:,} of {d.n_runs:,} runs ({d.cases / d.n_runs:.1%})"
        + (f"; {d.undefined:.1%} of runs had no value and count as not" if d.undefined else ""),
        f"- **PRIM** (EMA Workbench): density asked {d.density:.2f}; {len(d.trajectory)} "
        f"boxes on the peeling trajectory; {d.seconds['prim']:.2f} s",
        f"- **chosen box**: number {d.chosen}, the highest coverage among the boxes with "
        f"density >= {d.density:.2f}"
        + ("" if b["density"] >= d.density else " (none reached it: the densest box instead)"),
        "",
        "## The chosen box",
        "",
        f"Coverage **{b['coverage']:.3f}** (share of all cases inside the box), density "
        f"**{b['density']:.3f}** (share of the box's runs that are cases; {d.cases / d.n_runs:.3f} "
        f"in the whole sweep), mass {b['mass']:.3f} (share of runs inside), "
        f"{int(b['res_dim'])} restricted parameters.",
        "",
        "| parameter | box | sweep range | quasi-p |",
        "|---|---|---|---|",
    ]
    for r in d.limits.itertuples():
        if r.kind == "range":
            box, full = f"{r.low:.4g} to {r.high:.4g}", f"{r.full_low:.4g} to {r.full_high:.4g}"
        else:
            box, full = r.levels, r.all_levels
        qp = f"{r.qp:.2g}" if np.isfinite(r.qp) else "n/a"
        lines.append(f"| `{r.parameter}` | {box} | {full} | {qp} |")
    if not len(d.limits):
        lines.append("| (none) | | | |")
    lines += [
        "",
        "![box](box.png)",
        "",
        "## Peeling trajectory",
        "",
        "Every box PRIM passed through (`peeling_trajectory.csv`); the red ring is the chosen one.",
        "",
        "![trade-off](tradeoff.png)",
        "",
        "| box | coverage | density | mass | restricted |",
        "|---|---|---|---|---|",
    ]
    for i, r in d.trajectory.iterrows():
        mark = " **(chosen)**" if i == d.chosen else ""
        lines.append(
            f"| {i}{mark} | {r['coverage']:.3f} | {r['density']:.3f} | {r['mass']:.3f} | "
            f"{int(r['res_dim'])} |"
        )
    lines += [
        "",
        f"## Feature scores ({d.seconds['feature_scoring']:.2f} s)",
        "",
        "Extra-trees importance of each parameter for telling cases from the rest "
        "(`feature_scores.csv`).",
        "",
        "| parameter | score |",
        "|---|---|",
        *(f"| `{r.parameter}` | {r.score:.3f} |" for r in d.scores.itertuples()),
        "",
        "![feature scores](feature_scores.png)",
        "",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- command
def add_parser(sub: Any) -> None:
    """Add the ``discover`` sub-command."""
    from collabsim.cli_options import positive_int, seed_int

    p = sub.add_parser(
        "discover",
        help="scenario discovery on a sweep: PRIM boxes and feature scores (EMA Workbench)",
        description="Find the ranges of the varied parameters in which the outcome happens "
        "(PRIM, with its peeling trajectory, the chosen box's limits, coverage and density) "
        "and score the parameters with extra trees. Reads SWEEP_DIR (a finished or partial "
        "sweep folder) and writes a Markdown report, CSV tables and figures into a new "
        "tagged folder.",
    )
    p.add_argument("sweep", metavar="SWEEP_DIR", type=Path, help="a sweep folder")
    p.add_argument("--outcome", required=True, help="outcome column, e.g. success or perished")
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="for a numeric outcome: cases are runs above this value (see --below)",
    )
    p.add_argument("--below", action="store_true", help="cases are runs at or below --threshold")
    p.add_argument(
        "--density", type=float, default=0.8, help="density a box should reach (default 0.8)"
    )
    p.add_argument(
        "--peel-alpha", type=float, default=0.05, help="share peeled per step (default 0.05)"
    )
    p.add_argument("--trees", type=positive_int, default=100, help="feature-scoring trees")
    p.add_argument("--seed", type=seed_int, default=0, help="seed of the forest (default 0)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("results") / "discovery",
        help="parent of the tagged result folder",
    )
    p.set_defaults(func=cmd_discover)


def _cases(runs: pd.DataFrame, outcome: str, threshold: float | None, below: bool):
    from collabsim.sweep.summary import _binary

    if outcome not in runs.columns:
        valid = [c for c in runs.columns if c not in ("run", "point", "rep", "seed")]
        raise ConfigError(f"--outcome {outcome!r} is not valid: expected one of {', '.join(valid)}")
    col = runs[outcome]
    undefined = float(col.isna().mean())
    if threshold is None:
        if not _binary(col):
            raise ConfigError(
                f"--outcome {outcome!r} is numeric: give --threshold (cases are runs above it, "
                f"or at or below it with --below)"
            )
        return col.fillna(False).astype(bool).to_numpy(), outcome, undefined
    vals = col.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        y = vals <= threshold if below else vals > threshold
    rule = f"{outcome} {'<=' if below else '>'} {threshold:g}"
    return np.where(np.isnan(vals), False, y), rule, undefined


def cmd_discover(args: argparse.Namespace) -> int:
    """``collabsim discover``."""
    import matplotlib.pyplot as plt

    from collabsim.results import check_writable, provenance, result_folder, write_json
    from collabsim.sensitivity.plots import save_figure
    from collabsim.sweep import load_results, read_metadata

    for key, value in (("density", args.density), ("peel-alpha", args.peel_alpha)):
        if not 0 < value < 1:
            raise ConfigError(f"--{key} = {value!r} is not valid: expected a number in (0, 1)")
    if not args.sweep.is_dir():
        raise ConfigError(f"SWEEP_DIR = {str(args.sweep)!r} is not valid: expected a sweep folder")
    meta = read_metadata(args.sweep)
    factors = [
        f["name"] for f in meta.get("design", {}).get("factors", []) if f.get("role") != "dummy"
    ]
    runs = load_results(args.sweep)
    factors = [f for f in factors if f in runs.columns and runs[f].nunique() > 1]
    y, rule, undefined = _cases(runs, args.outcome, args.threshold, args.below)
    check_writable(args.out)
    print(
        f"discover {meta.get('name', args.sweep.name)}: {len(runs):,} runs, "
        f"{len(factors)} varied parameters, cases: {rule}",
        flush=True,
    )
    d = discover(
        runs,
        factors,
        y,
        outcome=rule,
        density=args.density,
        peel_alpha=args.peel_alpha,
        trees=args.trees,
        seed=args.seed,
        undefined=undefined,
    )
    name = f"discover-{meta.get('name', 'sweep')}-{args.outcome}"
    context = {
        "design": f"{meta.get('design', {}).get('method', '?')}, {meta.get('n_points', 0):,} "
        f"points x {meta.get('replicates', '?')} replicates",
        "varied parameters": ", ".join(f"`{f}`" for f in factors),
    }
    with result_folder(args.out, name) as folder:
        files = []
        for stem, table in (
            ("peeling_trajectory", d.trajectory),
            ("box_limits", d.limits),
            ("feature_scores", d.scores),
        ):
            table.to_csv(folder.path / f"{stem}.csv", index=False)
            files.append(f"{stem}.csv")
        for stem, plot in (
            ("tradeoff", plot_tradeoff),
            ("box", plot_box),
            ("feature_scores", plot_scores),
        ):
            ax = plot(d)
            files += save_figure(ax.figure, folder.path, stem)
            plt.close(ax.figure)
        text = summary_markdown(d, str(args.sweep), context)
        (folder.path / "summary.md").write_text(text + "\n")
        files.append("summary.md")
        write_json(
            folder.path / "metadata.json",
            {
                **provenance(),
                "kind": "discovery",
                "sweep": str(args.sweep),
                "sweep_fingerprint": meta.get("fingerprint"),
                "outcome": rule,
                "undefined_share": undefined,
                "factors": factors,
                "density": args.density,
                "peel_alpha": args.peel_alpha,
                "trees": args.trees,
                "seed": args.seed,
                "chosen_box": d.chosen,
                "coverage": float(d.box["coverage"]),
                "box_density": float(d.box["density"]),
                "seconds": d.seconds,
                "files": files,
            },
        )
    b = d.box
    print(
        f"box {d.chosen}: coverage {b['coverage']:.3f}, density {b['density']:.3f}, "
        f"{len(d.limits)} restricted: " + ", ".join(d.limits["parameter"])
    )
    print(f"PRIM {d.seconds['prim']:.2f} s, feature scores {d.seconds['feature_scoring']:.2f} s")
    print(f"results: {folder.final}  (summary: {folder.final / 'summary.md'})")
    return 0
