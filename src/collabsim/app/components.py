"""The app's pieces: figures sized to the window, big-number monitors, the plain log, inputs.

Figures are drawn with :mod:`collabsim.views` (the same pictures as the GIF and slide exports)
at the pixel size of the cell they fill, so they scale with the window and their text keeps
its size: :func:`layout` computes the cells from the browser window (reported by
:func:`Viewport`), and ``render_*`` functions return PNG bytes (pure functions, tested alone).
Text in figures is at least 11 points at 96 dpi (14.7 px) on a 1280 x 720 screen and grows
with the window.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import ipyvuetify as v
import matplotlib
import numpy as np
import solara
import traitlets
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from collabsim.app.narrate import Entry
from collabsim.app.runs import (
    TrainerRun,
    Typical,
    app_range,
    lever_label,
    show_value,
    slider_step,
)
from collabsim.params import Param
from collabsim.views import (
    EVENT_STYLE,
    RUN_COLORS,
    SCREEN,
    SECTOR_COLORS,
    SECTOR_LABELS,
    RunView,
    TextSizes,
    draw_network,
    draw_series,
    draw_triangle,
    trust_colormap,
)

__all__ = [
    "DPI",
    "OUTCOME_PANELS",
    "Cells",
    "EventLog",
    "FigureCell",
    "Legend",
    "LeverInput",
    "Monitors",
    "Viewport",
    "layout",
    "render_network",
    "render_outcomes",
    "render_triangle",
    "render_typical",
]

#: Resolution of the app's figures: one figure pixel is one CSS pixel.
DPI = 96
#: Width of the control panel (CSS pixels).
PANEL_WIDTH = 300
#: Heights of the monitors, the legend strip and the event log (CSS pixels at 720 px high).
MONITOR_HEIGHT = 84
LEGEND_HEIGHT = 30
#: Height of the row that picks the third picture.
CHOICE_HEIGHT = 36
LOG_HEIGHT = 150
#: Log lines per run shown at 720 px high (more on taller screens).
LOG_ROWS = 5
#: The outcomes picture, top to bottom: (series column, title, y range or None for automatic).
#: Trust is cross-boundary trust (pairs from different organizations, never-met pairs at
#: strangers' trust), the trust that sets whether a setback is met by learning or blame.
OUTCOME_PANELS: tuple[tuple[str, str, tuple[float, float] | None], ...] = (
    ("public_value", "Collective impact", None),
    ("cross_trust", "Trust across organizations", (0.0, 1.0)),
    ("consensus", "Agreement", (0.0, 1.05)),
)


@dataclass(frozen=True)
class Cells:
    """Pixel sizes of the page's parts for one window size.

    Attributes:
        width, height: The window.
        fig_width, fig_height: One figure cell (three cells side by side).
        log_height: The event log.
        scale: Text scale of figures and monitors (1 at 1280 x 720, larger on larger screens).
    """

    width: int
    height: int
    fig_width: int
    fig_height: int
    log_height: int
    scale: float


def layout(width: int, height: int) -> Cells:
    """The cells of a ``width`` x ``height`` window (at least 1024 x 600 is assumed)."""
    width, height = max(int(width), 1024), max(int(height), 600)
    scale = max(1.0, min(width / 1280, height / 720))
    main = width - PANEL_WIDTH - 36
    log_h = round(LOG_HEIGHT * scale)
    fixed = round((MONITOR_HEIGHT + LEGEND_HEIGHT) * scale) + CHOICE_HEIGHT + log_h + 40
    fig_w = (main - 2 * 12) // 3
    fig_h = height - fixed
    return Cells(width, height, fig_w, max(200, fig_h), log_h, scale)


class _ViewportWidget(v.VuetifyTemplate):
    """Reports the browser window's size (and later changes) to Python."""

    template = traitlets.Unicode(
        """
<template><span style="display:none"></span></template>
<script>
module.exports = {
  mounted() {
    this.report();
    this.handler = () => { clearTimeout(this.timer); this.timer = setTimeout(this.report, 250); };
    window.addEventListener('resize', this.handler);
  },
  destroyed() { window.removeEventListener('resize', this.handler); },
  methods: {
    report() { this.size = [window.innerWidth, window.innerHeight]; }
  }
}
</script>"""
    ).tag(sync=True)
    size = traitlets.List([1280, 720]).tag(sync=True)


@solara.component
def Viewport(on_size: Callable[[tuple[int, int]], None]) -> None:
    """An invisible element that calls ``on_size((width, height))`` when the window changes."""

    def report(size: list) -> None:
        try:
            w, h = (int(x) for x in size)
        except (TypeError, ValueError):
            return
        on_size((max(320, min(w, 7680)), max(240, min(h, 4320))))

    _ViewportWidget.element(on_size=report)


# --- figures ---------------------------------------------------------------------------------
def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()


def _figure(width: int, height: int) -> Figure:
    return Figure(figsize=(width / DPI, height / DPI), dpi=DPI)


def render_network(
    view: RunView, pos: np.ndarray, width: int, height: int, text: TextSizes = SCREEN
) -> bytes:
    """The people network of one run as PNG (legend left to :func:`Legend`)."""
    fig = _figure(width, height)
    ax = fig.add_axes((0.0, 0.0, 1.0, 0.9))
    draw_network(view, pos, ax, legend=False, title="", text=text)
    newcomers = int(view.newcomer.sum())
    fig.suptitle(
        f"{view.n_people} people, {newcomers} new",
        fontsize=text.title,
        y=0.985,
        va="top",
    )
    return _png(fig)


def render_outcomes(
    views: Sequence[RunView], width: int, height: int, text: TextSizes = SCREEN
) -> bytes:
    """Collective impact, trust across organizations and agreement so far (A solid, B dashed).

    Trust is cross-boundary trust (every pair of people from different organizations, pairs
    that never met at strangers' trust): the trust that sets how a setback is met.
    """
    fig = _figure(width, height)
    axes = fig.subplots(len(OUTCOME_PANELS), 1, sharex=True)
    pad_top = 1 - (text.title * 1.9) / (height * 72 / DPI)
    fig.subplots_adjust(
        left=min(0.3, 3.3 * text.tick / (width * 72 / DPI) * 1.6),
        right=0.97,
        top=pad_top,
        bottom=min(0.3, 3.4 * text.tick / (height * 72 / DPI)),
        hspace=0.6,
    )
    for ax, (column, title, ylim) in zip(axes, OUTCOME_PANELS, strict=True):
        draw_series(views, column, ax, ylim=ylim, text=text)
        ax.set_title(title, fontsize=text.title, loc="left")
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    axes[2].set_xlabel("week", fontsize=text.label)
    return _png(fig)


def render_triangle(
    views: Sequence[RunView], width: int, height: int, text: TextSizes = SCREEN
) -> bytes:
    """The strategic triangle now (filled) and at founding (dotted) as PNG."""
    fig = _figure(width, height)
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
    draw_triangle(views, ax, text=text)
    ax.set_xlim(-1.75, 1.75)
    ax.set_ylim(-1.0, 1.35)
    return _png(fig)


def render_typical(
    typical: Typical,
    live: Sequence[RunView],
    width: int,
    height: int,
    text: TextSizes = SCREEN,
) -> bytes:
    """Impact over many seeds (10-90% band and median) with the live run(s) on top, as PNG."""
    fig = _figure(width, height)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    left = min(0.3, 3.3 * text.tick / (width * 72 / DPI) * 1.6)
    bottom = min(0.3, 3.4 * text.tick / (height * 72 / DPI))
    top = 1 - (text.title * 1.9) / (height * 72 / DPI)
    ax.set_position((left, bottom, 0.97 - left, top - bottom))
    weeks = np.arange(typical.impact[0].shape[1])
    for i, rows in enumerate(typical.impact):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        lo, mid, hi = np.quantile(rows, [0.1, 0.5, 0.9], axis=0)
        ax.fill_between(weeks, lo, hi, color=color, alpha=0.18, lw=0)
        ax.plot(weeks, mid, color=color, lw=1.2, ls=":")
    for i, view in enumerate(live):
        ts = view.series
        ax.plot(
            ts["week"],
            ts["public_value"],
            color=RUN_COLORS[i % len(RUN_COLORS)],
            lw=3,
            ls="-" if i == 0 else "--",
        )
    ax.set_xlim(0, weeks[-1])
    ax.set_ylim(0, max(1e-9, float(max(np.quantile(r[:, -1], 0.95) for r in typical.impact))) * 1.1)
    ax.tick_params(labelsize=text.tick)
    ax.yaxis.set_major_locator(MaxNLocator(4))
    ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    ax.set_xlabel("week", fontsize=text.label)
    ax.grid(alpha=0.3)
    fig.suptitle(
        f"Impact in {len(typical.seeds)} runs (band: 8 in 10)",
        fontsize=text.title,
        y=0.985,
        va="top",
    )
    return _png(fig)


@solara.component
def FigureCell(png: bytes | None, width: int, height: int, title: str = "", note: str = "") -> None:
    """A figure's PNG at its cell's size (scaled down by the browser if the cell is smaller)."""
    style = {
        "width": f"{width}px",
        "height": f"{height}px",
        "overflow": "hidden",
        "position": "relative",
    }
    with solara.Column(gap="0px", style=style, classes=["collabsim-cell"]):
        if title:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=html.escape(title),
                classes=["collabsim-cell-title"],
            )
        if png is not None:
            solara.Image(png, classes=["collabsim-fig"])
        elif note:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(note), classes=["collabsim-note"])


# --- monitors, legend, log -------------------------------------------------------------------
def _number(label: str, value: str, cls: str = "") -> str:
    return (
        f'<div class="collabsim-monitor {cls}"><div class="collabsim-monitor-value">'
        f'{html.escape(value)}</div><div class="collabsim-monitor-label">{html.escape(label)}'
        "</div></div>"
    )


def view_numbers(view: RunView) -> dict[str, Any]:
    """The monitors' numbers of a drawn view (as :meth:`TrainerRun.numbers` gives them)."""
    last = view.series.iloc[-1]
    return {
        "week": view.week,
        "weeks": view.weeks,
        "wins": int(last["wins"]),
        "learning": int(last["learning"]),
        "blame": int(last["blame"]),
        "impact": float(last["public_value"]),
        "safety": float(last["safety"]),
        "perished": view.perished,
        "mode": view.mode,
    }


def monitor_html(view: RunView | dict[str, Any], label: str, color: str) -> str:
    """Big numbers of one run: week, wins, learning vs blame, psychological safety, impact.

    ``view`` is a drawn view or the numbers of :meth:`TrainerRun.numbers`.
    """
    n = view if isinstance(view, dict) else view_numbers(view)
    state = "dissolved" if n["perished"] else f"{n['mode']} governance"
    cells = [
        _number(f"week of {n['weeks']}", str(n["week"])),
        _number("wins", str(n["wins"])),
        _number("learning vs blame", f"{n['learning']} : {n['blame']}"),
        _number("safety", f"{n['safety']:.2f}"),
        _number("collective impact", f"{n['impact']:.2f}"),
    ]
    return (
        f'<div class="collabsim-monitors" style="border-left:6px solid {color}">'
        f'<div class="collabsim-monitor-run" style="color:{color}">{html.escape(label)}'
        f'<br><span class="collabsim-monitor-state">{html.escape(state)}</span></div>'
        + "".join(cells)
        + "</div>"
    )


@solara.component
def Monitors(run: TrainerRun, views: list[RunView]) -> None:
    """Big-number monitors of A (and B); the runs' full labels title the figures."""
    with solara.Row(gap="12px", style={"width": "100%"}):
        for i, view in enumerate(views):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=monitor_html(view, "AB"[i], RUN_COLORS[i]),
                style={"flex": "1 1 0"},
            )


def legend_html(navigator: bool) -> str:
    """The network's legend: sectors, newcomers, trust colours, navigator."""
    cmap = trust_colormap()
    parts = [
        f'<span class="collabsim-key"><span class="dot" style="background:{c}"></span>{lab}</span>'
        for c, lab in zip(SECTOR_COLORS, SECTOR_LABELS, strict=True)
    ]
    parts.append(
        '<span class="collabsim-key"><span class="dot ring"></span>newcomer (&lt; 13 weeks)</span>'
    )
    hi, lo = (matplotlib.colors.to_hex(cmap(x)) for x in (0.9, 0.1))
    parts.append(
        f'<span class="collabsim-key"><span class="bar" style="background:{hi}"></span>'
        f'high trust</span><span class="collabsim-key"><span class="bar thin" '
        f'style="background:{lo}"></span>low trust</span>'
    )
    if navigator:
        parts.append('<span class="collabsim-key">&#9733; navigator</span>')
    return '<div class="collabsim-legend">' + "".join(parts) + "</div>"


@solara.component
def Legend(navigator: bool) -> None:
    """The network's legend as one line of text."""
    solara.HTML(tag="div", unsafe_innerHTML=legend_html(navigator))


def log_html(entries: Sequence[Entry], color: str, rows: int) -> str:
    """The newest ``rows`` entries of a plain-language log as an HTML table."""
    out = []
    for e in list(entries)[::-1][:rows]:
        label, kcolor = EVENT_STYLE.get(e.kind, (e.kind, "#374151"))
        out.append(
            f'<tr><td class="collabsim-log-week">{html.escape(e.weeks)}</td>'
            f'<td><span class="collabsim-badge collabsim-event-{html.escape(e.kind)}" '
            f'style="background:{kcolor}">{html.escape(label)}</span></td>'
            f"<td>{html.escape(e.text)}</td></tr>"
        )
    if not out:
        out.append('<tr><td colspan="3" class="collabsim-log-week">nothing yet</td></tr>')
    return (
        f'<table class="collabsim-log" style="border-left:6px solid {color}">'
        + "".join(out)
        + "</table>"
    )


@solara.component
def EventLog(run: TrainerRun, height: int, scale: float = 1.0, version: Any = None) -> None:
    """The latest events of A (and B) in plain language, newest first.

    ``version`` changes after every step (a component redraws when its arguments change).
    """
    rows = max(2, round(LOG_ROWS * scale) - (1 if run.b is not None else 0))
    n = len(run.models)
    with solara.Row(
        gap="12px",
        style={"height": f"{height}px", "overflow-y": "auto", "width": "100%"},
        classes=["collabsim-logs"],
    ):
        for i in range(n):
            solara.HTML(
                tag="div",
                unsafe_innerHTML=log_html(run.entries(i), RUN_COLORS[i], rows),
                style={"flex": "1 1 0", "overflow": "hidden"},
            )


# --- inputs ----------------------------------------------------------------------------------
@solara.component
def LeverInput(
    p: Param,
    value: Any,
    on_value: Callable[[Any], None],
    label: str = "",
    error: str = "",
) -> None:
    """A lever: its name and value always shown, then a switch, a select or a slider."""
    text = label or lever_label(p)
    with solara.Tooltip(p.description), solara.Column(gap="0px", classes=["collabsim-lever"]):
        if p.kind == "bool":
            solara.Switch(
                label=f"{text}: {show_value(p, value)}", value=bool(value), on_value=on_value
            )
        elif p.kind == "choice":
            solara.Select(label=text, value=value, values=list(p.choices), on_value=on_value)
        else:
            solara.HTML(
                tag="div",
                unsafe_innerHTML=(
                    f'<span class="collabsim-lever-name">{html.escape(text)}</span>'
                    '<span class="collabsim-lever-value">'
                    f"{html.escape(show_value(p, value))}</span>"
                ),
                classes=["collabsim-lever-head"],
            )
            low, high = app_range(p)
            if p.kind == "int":
                solara.SliderInt(
                    "",
                    value=int(value),
                    min=int(low),
                    max=int(high),
                    on_value=on_value,
                    thumb_label=False,
                )
            else:
                solara.SliderFloat(
                    "",
                    value=float(value),
                    min=low,
                    max=high,
                    step=slider_step(p),
                    on_value=on_value,
                    thumb_label=False,
                )
        if error:
            solara.HTML(tag="div", unsafe_innerHTML=html.escape(error), classes=["collabsim-error"])
