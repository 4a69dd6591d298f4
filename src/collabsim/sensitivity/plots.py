"""Figures of a sensitivity analysis: plot functions draw on an Axes, callers save."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.sweep.designs import DUMMY

__all__ = ["FORMATS", "figure_grid", "plot_convergence", "plot_morris", "plot_sobol", "save_figure"]

#: File formats of every figure: a raster for a quick look, vector formats for a paper.
FORMATS: tuple[str, ...] = ("png", "svg", "pdf")


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    _, ax = plt.subplots(figsize=size)
    return ax


def _label(outcome: str) -> str:
    """A readable title for an outcome column."""
    return outcome.replace("_", " ")


def save_figure(fig: Any, folder: Path, stem: str, formats: Sequence[str] = FORMATS) -> list[str]:
    """Save ``fig`` as ``stem.png`` (and SVG, PDF) in ``folder``; returns the file names.

    Args:
        fig: A matplotlib Figure.
        folder: Where to write.
        stem: File name without the extension.
        formats: Extensions; PNG at 150 dpi, the vector formats as they are.
    """
    names = []
    for ext in formats:
        fig.savefig(folder / f"{stem}.{ext}", dpi=150 if ext == "png" else None)
        names.append(f"{stem}.{ext}")
    return names


def _constant_panel(ax: Any, outcome: str) -> Any:
    ax.text(
        0.5,
        0.5,
        "constant over the whole design:\nno index to show",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="grey",
    )
    ax.set_title(outcome)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_sobol(table: pd.DataFrame, outcome: str, ax: Any = None) -> Any:
    """Horizontal bars of ``S1`` and ``ST`` with intervals for one outcome; the dummy as a line.

    Parameters run down the side (largest ``ST`` on top), so long names never overlap.
    """
    g = table[table["outcome"] == outcome].sort_values("ST", ascending=True)
    ax = _axes(ax, (6.5, 1.2 + 0.22 * len(g)))
    if g["ST"].isna().all():
        return _constant_panel(ax, outcome)
    y = np.arange(len(g))
    ax.barh(y + 0.2, g["ST"], 0.4, xerr=g["ST_conf"], capsize=2, label="total order ST")
    ax.barh(y - 0.2, g["S1"], 0.4, xerr=g["S1_conf"], capsize=2, label="first order S1")
    dummy = g[g["parameter"] == DUMMY]
    if len(dummy):
        floor = float(dummy["ST"].iloc[0] + dummy["ST_conf"].fillna(0).iloc[0])
        ax.axvline(floor, color="grey", ls="--", lw=1, label="noise floor (dummy ST, upper)")
    ax.set_yticks(y)
    ax.set_yticklabels(g["parameter"], fontsize=8)
    ax.set_ylim(-0.7, len(g) - 0.3)
    ax.set_xlabel("Sobol index (share of variance)")
    ax.set_title(_label(outcome))
    ax.legend(fontsize=7, loc="lower right")
    return ax


def plot_morris(table: pd.DataFrame, outcome: str, ax: Any = None, top: int = 8) -> Any:
    """``mu*`` against ``sigma`` with both intervals; the ``top`` parameters and the dummy named.

    Only the most influential points carry a name (the rest crowd the origin and would
    overlap); every value is in ``morris.csv``.
    """
    ax = _axes(ax, (6, 5))
    g = table[table["outcome"] == outcome]
    if (g["mu_star"].fillna(0) == 0).all() and (g["sigma"].fillna(0) == 0).all():
        return _constant_panel(ax, outcome)
    ax.errorbar(
        g["mu_star"],
        g["sigma"],
        xerr=g["mu_star_conf"],
        yerr=g["sigma_conf"],
        fmt="o",
        ms=4,
        capsize=2,
        lw=0.8,
    )
    named = g.sort_values("mu_star", ascending=False).head(top)
    named = pd.concat([named, g[g["parameter"] == DUMMY]]).drop_duplicates("parameter")
    named = named.sort_values("sigma")
    for k, (_, row) in enumerate(named.iterrows()):
        style = {"color": "grey"} if row["parameter"] == DUMMY else {}
        ax.annotate(
            row["parameter"],
            (row["mu_star"], row["sigma"]),
            fontsize=7,
            xytext=(4, 3 + 7 * (k % 2)),
            textcoords="offset points",
            **style,
        )
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (s.d. of elementary effects)")
    ax.set_title(_label(outcome))
    return ax


def plot_convergence(conv: pd.DataFrame, outcome: str, ax: Any = None, top: int = 8) -> Any:
    """Total-order indices with intervals against ``N`` for the ``top`` parameters."""
    ax = _axes(ax, (6, 4))
    g = conv[conv["outcome"] == outcome]
    if g["ST"].isna().all():
        return _constant_panel(ax, outcome)
    last = g[g["N"] == g["N"].max()].sort_values("ST", ascending=False)
    keep = list(last["parameter"].head(top))
    if DUMMY in set(g["parameter"]) and DUMMY not in keep:
        keep.append(DUMMY)
    for name in keep:
        h = g[g["parameter"] == name].sort_values("N")
        style = {"color": "grey", "ls": "--"} if name == DUMMY else {}
        ax.errorbar(
            h["N"], h["ST"], yerr=h["ST_conf"], marker="o", ms=3, capsize=2, label=name, **style
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Sobol base sample size N")
    ax.set_ylabel("total-order index ST")
    ax.set_title(_label(outcome))
    ax.legend(fontsize=6, ncol=2)
    return ax


def figure_grid(
    plot: Callable[..., Any],
    table: pd.DataFrame,
    outcomes: Sequence[str],
    size: tuple[float, float],
) -> Any:
    """One panel per outcome drawn by ``plot(table, outcome, ax=...)``; returns the Figure."""
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    k = len(outcomes)
    cols = min(2, k)
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False, layout="constrained"
    )
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        plot(table, outcome, ax=ax)
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    return fig
