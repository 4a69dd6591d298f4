"""Pictures of one live run: the people network, the outcome curves and the strategic triangle.

The browser app (:mod:`collabsim.app`) and the GIF export (:mod:`collabsim.animate`) draw the
same pictures, so they live here, free of any web framework. Drawing works in two stages:

1. :func:`snapshot` copies what a picture needs from a model at one week into a small, frozen
   :class:`RunView` (a few arrays and the outcome series). It is cheap, so it can be taken
   while the app holds the run's lock, and drawing never races a step.
2. ``draw_*`` functions draw a view (or several, for a side-by-side comparison) on a
   matplotlib ``Axes`` and return it; callers make the figure and save or show it.

Text sizes come from a :class:`TextSizes` (:data:`SMALL` for the GIF, :data:`SCREEN` for the
app on a projector, :data:`SLIDE` for 1920 x 1080 slides).

The people layout (:func:`people_layout`) is computed once per model from its founding network
with a seed derived from the run's seed, so it is deterministic and never draws from the
model's generator (drawing a picture must not change a run). Only the ``max_edges`` ties that
differ most from a strangers' trust are drawn, which keeps a frame fast for large networks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib
import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap
from matplotlib.lines import Line2D

from collabsim.model import CollaborationModel
from collabsim.outcomes import NEWCOMER_WEEKS
from collabsim.params import GOVERNANCE_MODES, SECTORS

__all__ = [
    "EVENT_STYLE",
    "MAX_EDGES",
    "RUN_COLORS",
    "SCREEN",
    "SECTOR_COLORS",
    "SECTOR_LABELS",
    "SLIDE",
    "SMALL",
    "TRIANGLE_LABELS",
    "RunView",
    "TextSizes",
    "draw_network",
    "draw_series",
    "draw_triangle",
    "people_layout",
    "snapshot",
    "trust_colormap",
]

#: Ties drawn at most (those whose trust differs most from a strangers' trust).
MAX_EDGES = 300
#: People above which the layout places organizations on a circle instead of a spring layout.
SPRING_LAYOUT_LIMIT = 600
#: Colour of each sector, in :data:`collabsim.params.SECTORS` order (Okabe-Ito palette).
SECTOR_COLORS: tuple[str, ...] = ("#0072B2", "#009E73", "#E69F00", "#CC79A7", "#D55E00")
#: Readable sector names, in :data:`collabsim.params.SECTORS` order.
SECTOR_LABELS: tuple[str, ...] = tuple(s.replace("_", " ").capitalize() for s in SECTORS)
#: Line colours of run A and run B in side-by-side plots.
RUN_COLORS: tuple[str, ...] = ("#1f4e9c", "#c2410c")
#: The corners of the strategic triangle (Moore), with the series each one reads.
TRIANGLE_LABELS: tuple[tuple[str, str], ...] = (
    ("public_value", "Public value"),
    ("legitimacy", "Legitimacy & support"),
    ("operational_capacity", "Operational capacity"),
)
#: Label and colour of each kind of event in the event log.
EVENT_STYLE: dict[str, tuple[str, str]] = {
    "win": ("win", "#15803d"),
    "learning": ("setback: learning", "#0e7490"),
    "blame": ("setback: blame", "#b91c1c"),
    "turnover": ("turnover", "#6b7280"),
    "governance": ("governance", "#7c3aed"),
    "adopted": ("adopted", "#1d4ed8"),
    "proposal": ("proposal", "#a16207"),
    "shock": ("leadership shock", "#be185d"),
    "perished": ("dissolved", "#111827"),
}
_NAVIGATOR_COLOR = "#f5b700"


@dataclass(frozen=True)
class TextSizes:
    """Font sizes (points) of the pictures' texts.

    Attributes:
        title: Axes titles.
        label: Axis labels and the triangle's corner names.
        tick: Tick labels.
        legend: Legend entries.
        note: Small annotations (the navigator's name).
        banner: The "dissolved" stamp across a network.
    """

    title: float = 9
    label: float = 8
    tick: float = 7
    legend: float = 7
    note: float = 8
    banner: float = 26

    def scaled(self, k: float) -> TextSizes:
        """Every size times ``k``."""
        return TextSizes(*(k * getattr(self, f) for f in self.__dataclass_fields__))


#: Sizes for small figures (the GIF export at 720 px wide).
SMALL = TextSizes()
#: Sizes for the app on a projector: at 96 dpi, 11 points are 14.7 pixels.
SCREEN = TextSizes(title=12, label=11, tick=11, legend=11, note=11, banner=30)
#: Sizes for 1920 x 1080 slides (at 100 dpi: 24 points are 33 pixels).
SLIDE = TextSizes(title=26, label=22, tick=20, legend=20, note=20, banner=60)


def trust_colormap() -> Colormap:
    """The colour map of trust on ties: red (broken) through yellow to green (strong)."""
    return matplotlib.colormaps["RdYlGn"]


@dataclass(frozen=True)
class RunView:
    """What the pictures need from one run at one week (a copy; safe to draw at leisure).

    Attributes:
        week: Weeks simulated.
        weeks: The run's horizon (weeks).
        sector: Sector code of each seat.
        newcomer: True for people who joined after the founding less than 13 weeks ago.
        effort: Effort each person gives to the collaboration (0-1).
        edge_u, edge_v: Endpoints of the ties drawn.
        edge_trust: Mean of the two directed trusts on each tie drawn.
        n_edges: Ties in the network (drawn or not).
        navigator: Whether the collaboration has a navigator.
        nav_trust: Each person's trust in the navigator.
        perished: Whether the collaboration has dissolved.
        mode: Current governance mode.
        impact_target: Public value counted as impact (scales the triangle's top corner).
        series: The outcome series so far (one row per week).
        events: The event log so far (week, kind, text).
    """

    week: int
    weeks: int
    sector: np.ndarray
    newcomer: np.ndarray
    effort: np.ndarray
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_trust: np.ndarray
    n_edges: int
    navigator: bool
    nav_trust: np.ndarray
    perished: bool
    mode: str
    impact_target: float
    series: pd.DataFrame
    events: pd.DataFrame

    @property
    def n_people(self) -> int:
        """Seats at the table."""
        return len(self.sector)

    @property
    def triangle(self) -> tuple[float, float, float]:
        """Current corners of the strategic triangle, each in [0, 1].

        Public value is shown as a share of the impact target (capped at 1); legitimacy and
        operational capacity are already shares.
        """
        last = self.series.iloc[-1]
        pv = min(1.0, float(last["public_value"]) / self.impact_target)
        return pv, float(last["legitimacy"]), float(last["operational_capacity"])


def snapshot(model: CollaborationModel, max_edges: int = MAX_EDGES) -> RunView:
    """Copy what the pictures need from ``model`` at its current week.

    Args:
        model: The run.
        max_edges: Ties drawn at most; the ones whose trust differs most from a strangers'
            trust (the strongest bonds and the broken ones) are kept.
    """
    s = model.state
    u, v, t_uv, t_vu = s.edges.views()
    trust = 0.5 * (t_uv + t_vu)
    keep = np.arange(len(u))
    if len(u) > max_edges:
        salience = np.abs(trust - model.params["stranger_trust"])
        keep = np.sort(np.argpartition(-salience, max_edges - 1)[:max_edges])
    return RunView(
        week=model.week,
        weeks=int(model.params["weeks"]),
        sector=s.seat_sector.copy(),
        newcomer=(s.tenure < NEWCOMER_WEEKS) & ~s.founder,
        effort=s.effort.copy(),
        edge_u=u[keep].copy(),
        edge_v=v[keep].copy(),
        edge_trust=trust[keep],
        n_edges=len(u),
        navigator=bool(model.params["navigator"]),
        nav_trust=s.nav_trust.copy(),
        perished=bool(s.perished),
        mode=GOVERNANCE_MODES[s.mode],
        impact_target=float(model.params["impact_target"]),
        series=model.timeseries(),
        events=model.events(),
    )


def people_layout(model: CollaborationModel) -> np.ndarray:
    """Positions (n_people x 2, each axis stretched to [-1, 1]) of the seats, fixed for a run.

    Colleagues are pulled together and prior ties pull people across organizations (a spring
    layout of the founding network, seeded from the run's seed, with a weak pull to the centre
    so that people without prior ties stay at the table). Above
    :data:`SPRING_LAYOUT_LIMIT` people, organizations sit on a circle ordered by sector and
    their people around them. Newcomers take over a seat, so the layout never changes.
    """
    s = model.state
    n = s.n_people
    seed = int(model.seed % (2**32))
    if n <= SPRING_LAYOUT_LIMIT:
        g = nx.Graph()
        g.add_nodes_from(range(n))
        for a, b, kind in model.graph.edges(data="kind"):
            g.add_edge(a, b, weight=3.0 if kind == "colleague" else 1.0)
        # a weak tie of everyone to a hidden centre keeps separate cliques on the table
        g.add_edges_from(((i, n) for i in range(n)), weight=0.2)
        pos = nx.spring_layout(g, seed=seed, weight="weight", iterations=80)
        xy = np.array([pos[i] for i in range(n)], dtype=float)
    else:
        order = np.lexsort((np.arange(s.n_orgs), s.sector))
        angle = np.empty(s.n_orgs)
        angle[order] = 2 * np.pi * np.arange(s.n_orgs) / s.n_orgs
        jitter = np.random.default_rng(seed).normal(scale=0.04, size=(n, 2))
        xy = np.column_stack([np.cos(angle[s.org]), np.sin(angle[s.org])]) + jitter
    xy -= (xy.max(axis=0) + xy.min(axis=0)) / 2
    span = np.abs(xy).max(axis=0)
    return xy / np.where(span > 0, span, 1.0)


def draw_network(
    view: RunView,
    pos: np.ndarray,
    ax: Axes,
    *,
    legend: bool = True,
    title: str | None = None,
    text: TextSizes = SMALL,
) -> Axes:
    """Draw the people network of ``view`` at positions ``pos``.

    People are coloured by sector and sized by the effort they give; newcomers (fewer than
    13 weeks at the table) are hollow rings. Ties are coloured and widened by trust. The
    navigator, a model-level role rather than a person, is a gold star above the table with a
    line to every person, as opaque as that person's trust in it.
    """
    cmap = trust_colormap()
    if len(view.edge_u):
        segs = np.stack([pos[view.edge_u], pos[view.edge_v]], axis=1)
        t = view.edge_trust
        order = np.argsort(t)  # strong ties on top
        ax.add_collection(
            LineCollection(
                segs[order],
                colors=cmap(t[order]),
                linewidths=0.3 + 3.2 * t[order] ** 2,
                alpha=0.85,
                zorder=1,
            )
        )
    if view.navigator:
        star = np.array([0.0, 1.22])
        reach = view.nav_trust > 0
        segs = np.stack([np.broadcast_to(star, (int(reach.sum()), 2)), pos[reach]], axis=1)
        ax.add_collection(
            LineCollection(
                segs,
                colors=[(0.96, 0.72, 0.0, 0.08 + 0.35 * a) for a in view.nav_trust[reach]],
                linewidths=0.8,
                zorder=0,
            )
        )
        ax.scatter(
            *star,
            s=420,
            marker="*",
            color=_NAVIGATOR_COLOR,
            edgecolors="#7a5a00",
            linewidths=1.0,
            zorder=4,
        )
        ax.annotate(
            "navigator",
            star,
            xytext=(12, -4),
            textcoords="offset points",
            fontsize=text.note,
            color="#7a5a00",
        )
    colors = np.array(SECTOR_COLORS)[view.sector]
    size = 30.0 + 110.0 * np.clip(view.effort, 0.0, 1.0)
    old = ~view.newcomer
    ax.scatter(
        pos[old, 0],
        pos[old, 1],
        s=size[old],
        c=colors[old],
        edgecolors="#1f2937",
        linewidths=0.6,
        zorder=3,
    )
    new = view.newcomer
    if new.any():
        ax.scatter(
            pos[new, 0],
            pos[new, 1],
            s=size[new],
            facecolors="white",
            edgecolors=colors[new],
            linewidths=2.4,
            zorder=3,
        )
    ax.set_xlim(-1.18, 1.18)
    ax.set_ylim(-1.18, 1.42 if view.navigator else 1.18)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ax.spines.values():
        side.set_visible(False)
    if view.perished:
        ax.text(
            0.5,
            0.5,
            "dissolved",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=text.banner,
            color="#b91c1c",
            alpha=0.55,
            rotation=20,
            zorder=5,
        )
    ax.set_title(
        title
        if title is not None
        else f"week {view.week}: {view.n_people} people, "
        f"{view.n_edges} ties, {_count(int(view.newcomer.sum()), 'newcomer')}",
        fontsize=text.title,
    )
    if legend:
        handles = [
            Line2D([], [], marker="o", ls="", color=c, markeredgecolor="#1f2937", label=lab)
            for c, lab in zip(SECTOR_COLORS, SECTOR_LABELS, strict=True)
            if (view.sector == SECTOR_LABELS.index(lab)).any()
        ]
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                ls="",
                markerfacecolor="white",
                markeredgecolor="#374151",
                markeredgewidth=2,
                label=f"newcomer (< {NEWCOMER_WEEKS} wk)",
            )
        )
        handles.append(Line2D([], [], color=cmap(0.9), lw=2.5, label="high trust"))
        handles.append(Line2D([], [], color=cmap(0.1), lw=1.0, label="low trust"))
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.01),
            ncol=3,
            fontsize=text.legend,
            frameon=False,
            handletextpad=0.3,
            columnspacing=0.9,
        )
    return ax


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def draw_series(
    views: Sequence[RunView],
    column: str,
    ax: Axes,
    *,
    labels: Sequence[str] | None = None,
    ylabel: str = "",
    ylim: tuple[float, float] | None = None,
    text: TextSizes = SMALL,
) -> Axes:
    """Plot one outcome series of each run so far (one line per run) on a fixed week axis."""
    top = 0.0
    for i, view in enumerate(views):
        ts = view.series
        label = labels[i] if labels is not None else None
        ax.plot(
            ts["week"],
            ts[column],
            color=RUN_COLORS[i % len(RUN_COLORS)],
            lw=2,
            label=label,
            ls="-" if i == 0 else "--",
        )
        top = max(top, float(ts[column].max()))
    ax.set_xlim(0, max(v.weeks for v in views))
    if ylim is not None:
        ax.set_ylim(*ylim)
    else:
        target = max(v.impact_target for v in views) if column == "public_value" else 0.0
        ax.set_ylim(0, max(top, target, 1e-9) * 1.15)
        if target:
            ax.axhline(target, color="#9ca3af", lw=1, ls=":")
    ax.set_ylabel(ylabel, fontsize=text.label)
    ax.tick_params(labelsize=text.tick)
    ax.grid(alpha=0.3)
    return ax


def draw_triangle(
    views: Sequence[RunView],
    ax: Axes,
    *,
    labels: Sequence[str] | None = None,
    text: TextSizes = SMALL,
) -> Axes:
    """Draw the strategic triangle of each run now (filled) and at founding (dotted).

    The corners are public value (as a share of the impact target), legitimacy & support and
    operational capacity; a corner at the rim means that side of the triangle is full.
    """
    angles = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
    corners = np.column_stack([np.cos(angles), np.sin(angles)])
    ring = np.vstack([corners, corners[:1]])
    ax.plot(ring[:, 0], ring[:, 1], color="#9ca3af", lw=1)
    for frac in (1 / 3, 2 / 3):
        ax.plot(frac * ring[:, 0], frac * ring[:, 1], color="#e5e7eb", lw=0.8)
    for (x, y), (_, name) in zip(corners, TRIANGLE_LABELS, strict=True):
        ax.plot([0, x], [0, y], color="#e5e7eb", lw=0.8)
        name = name.replace(" & ", "\n& ").replace("Operational ", "Operational\n")
        ax.text(1.12 * x, 1.12 * y, name, ha="center", va="center", fontsize=text.label)
    for i, view in enumerate(views):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        first = view.series.iloc[0]
        start = (
            min(1.0, float(first["public_value"]) / view.impact_target),
            float(first["legitimacy"]),
            float(first["operational_capacity"]),
        )
        for values, style in ((start, "dotted"), (view.triangle, "now")):
            pts = corners * np.asarray(values)[:, None]
            pts = np.vstack([pts, pts[:1]])
            if style == "dotted":
                ax.plot(pts[:, 0], pts[:, 1], color=color, lw=1, ls=":")
            else:
                label = labels[i] if labels is not None else None
                ax.fill(pts[:, 0], pts[:, 1], color=color, alpha=0.25, lw=0)
                ax.plot(
                    pts[:, 0], pts[:, 1], color=color, lw=2, ls="-" if i == 0 else "--", label=label
                )
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-0.85, 1.25)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
