"""Figures of a calibration: posteriors against priors, pairs, identifiability, diagnostics.

Plot functions draw on the axes they are given (or new ones) and return them; the command
line saves them. Weighted kernel density estimates are pyabc's
(:func:`pyabc.visualization.plot_kde_1d`, :func:`~pyabc.visualization.plot_kde_matrix`).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collabsim.calibration.posterior import Posterior

__all__ = [
    "plot_diagnostics",
    "plot_identifiability",
    "plot_marginals",
    "plot_pairs",
]

_POST, _PRIOR, _EARLY = "#0072B2", "#D55E00", "#BBBBBB"


def plot_marginals(
    post: Posterior,
    level: float = 0.9,
    history: pd.DataFrame | None = None,
    axes: np.ndarray | None = None,
) -> np.ndarray:
    """Each weight's posterior density against its uniform prior, with the central interval.

    Args:
        post: The posterior.
        level: The central interval shaded.
        history: Every generation's particles (``populations.csv``): earlier generations are
            drawn in grey, so the figure shows how the posterior narrowed.
        axes: One axes per weight (new figure if None).
    """
    from pyabc.visualization import plot_kde_1d

    n = len(post.names)
    if axes is None:
        cols = min(3, n)
        _, axes = plt.subplots(
            math.ceil(n / cols), cols, figsize=(4.2 * cols, 3.2 * math.ceil(n / cols))
        )
    flat = np.atleast_1d(axes).ravel()
    for ax, name in zip(flat, post.names, strict=False):
        lo_p, hi_p = post.priors.get(name, (post.particles[name].min(), post.particles[name].max()))
        if history is not None and len(history):
            last = history["generation"].max()
            for t, g in history.groupby("generation"):
                if t == last:
                    continue
                plot_kde_1d(
                    g[[name]], g["weight"].to_numpy(), x=name, xmin=lo_p, xmax=hi_p, ax=ax,
                    color=_EARLY, lw=0.8, numx=100,
                )  # fmt: skip
        plot_kde_1d(
            post.particles[[name]], post.weights, x=name, xmin=lo_p, xmax=hi_p, ax=ax,
            color=_POST, lw=2, label="posterior", numx=200,
        )  # fmt: skip
        if hi_p > lo_p:
            ax.plot([lo_p, hi_p], [1 / (hi_p - lo_p)] * 2, color=_PRIOR, ls="--", label="prior")
        lo, hi = post.interval(name, level)
        ax.axvspan(lo, hi, color=_POST, alpha=0.12, label=f"{100 * level:g}% interval")
        ax.set_xlim(lo_p, hi_p)
        ax.set_ylim(bottom=0)
        ax.set_title(name)
        ax.set_xlabel(name)
        ax.set_ylabel("density")
    for ax in flat[n:]:
        ax.set_visible(False)
    flat[0].legend(fontsize=7)
    flat[0].figure.tight_layout()
    return axes


def plot_pairs(post: Posterior) -> Figure:
    """Pairwise posteriors: weighted 2D densities, scatter plots and marginals on the diagonal."""
    from pyabc.visualization import plot_kde_matrix

    limits = {n: post.priors[n] for n in post.names if n in post.priors}
    arr = plot_kde_matrix(
        post.particles[post.names], post.weights, limits=limits or None, height=2.2, numx=60,
        numy=60,
    )  # fmt: skip
    fig = np.atleast_2d(arr)[0, 0].figure
    fig.suptitle("Pairwise posteriors of the calibrated weights", y=1.02)
    return fig


def plot_identifiability(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Posterior interval width / prior width per weight: which weights the targets pin down."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * len(table) + 1.2))
    t = table.sort_values("width_ratio")
    ax.barh(t["weight"], t["width_ratio"], color=_POST)
    ax.axvline(1.0, color=_PRIOR, ls="--", lw=1)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("posterior interval width / prior width (1: not identified by the targets)")
    ax.set_title("Identifiability")
    ax.figure.tight_layout()
    return ax


def plot_diagnostics(gens: pd.DataFrame, axes: np.ndarray | None = None) -> np.ndarray:
    """Tolerance, acceptance rate and effective sample size per generation."""
    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    x = gens["generation"]
    panels = (
        ("epsilon", "tolerance (epsilon)"),
        ("acceptance_rate", "acceptance rate"),
        ("ess", "effective sample size"),
    )
    for ax, (col, label) in zip(axes, panels, strict=True):
        ax.plot(x, gens[col], "o-", color=_POST)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("generation")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[2].plot(x, gens["particles"], ":", color=_PRIOR, label="particles")
    axes[2].legend(fontsize=7)
    axes[0].figure.tight_layout()
    return axes
