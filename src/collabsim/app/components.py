"""The app's Solara components: controls from the declaration, network, plots, triangle, log.

Every view takes the current :class:`~collabsim.app.runs.TrainerRun`, subscribes to Mesa's
``update_counter`` (bumped by Mesa's ModelController after each step) and redraws only when
the run or its step changes. Views draw copies of the runs' state
(:meth:`~collabsim.app.runs.TrainerRun.views`) with :mod:`collabsim.views`, so the app and the
GIF export show the same pictures.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization.utils import update_counter

from collabsim.app.runs import TrainerRun, param_label, slider_step
from collabsim.params import Param
from collabsim.views import (
    EVENT_STYLE,
    RUN_COLORS,
    RunView,
    draw_network,
    draw_series,
    draw_triangle,
)

__all__ = [
    "EventLog",
    "NetworkView",
    "OutcomePlots",
    "ParamInput",
    "RunStatus",
    "TriangleView",
]

#: Resolution of the app's figures (dots per inch).
DPI = 96
#: Events listed per run in the log, newest first.
LOG_ROWS = 12


@solara.component
def ParamInput(p: Param, value: Any, on_value: Callable[[Any], None], label: str = "") -> None:
    """The input a declared parameter gets: a switch, a select, or a slider over its range."""
    text = label or param_label(p)
    with solara.Tooltip(p.description), solara.Column(gap="0px"):
        if p.kind == "bool":
            solara.Switch(label=text, value=bool(value), on_value=on_value)
        elif p.kind == "choice":
            solara.Select(label=text, value=value, values=list(p.choices), on_value=on_value)
        elif p.kind == "int":
            assert p.low is not None and p.high is not None
            solara.SliderInt(
                text, value=int(value), min=int(p.low), max=int(p.high), on_value=on_value
            )
        else:
            assert p.low is not None and p.high is not None
            solara.SliderFloat(
                text,
                value=float(value),
                min=p.low,
                max=p.high,
                step=slider_step(p),
                on_value=on_value,
            )


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI)


def _clear(fig: Figure) -> None:
    """Remove what the last step drew, keeping the axes (rebuilding axes and ticks is slow)."""
    for ax in fig.axes:
        for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]:
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
    fig.legends.clear()


def _network_figure() -> Figure:
    fig = _figure(4.8, 4.8)
    fig.add_axes((0.0, 0.13, 1.0, 0.82))
    return fig


def _outcomes_figure() -> Figure:
    fig = _figure(4.8, 4.8)
    fig.subplots(3, 1, sharex=True)
    fig.subplots_adjust(left=0.13, right=0.97, top=0.9, bottom=0.1, hspace=0.32)
    return fig


def _triangle_figure() -> Figure:
    fig = _figure(4.8, 4.8)
    gs = fig.add_gridspec(
        2,
        2,
        height_ratios=(1.5, 1),
        left=0.1,
        right=0.97,
        top=0.97,
        bottom=0.1,
        hspace=0.25,
        wspace=0.35,
    )
    fig.add_subplot(gs[0, :])
    fig.add_subplot(gs[1, 0])
    fig.add_subplot(gs[1, 1])
    return fig


@solara.component
def _LiveFigure(
    run: TrainerRun,
    title: str,
    build: Callable[[], Figure],
    draw: Callable[[Figure, list[RunView]], None],
    key: int = 0,
) -> None:
    """A card with a figure built once per run and redrawn (``draw``) after every step."""
    update_counter.get()
    fig = solara.use_memo(build, [id(run), key])

    def redraw() -> int:
        _clear(fig)
        draw(fig, run.views())
        return run.steps

    deps = [id(run), key, solara.use_memo(redraw, [id(run), key, run.steps])]
    with solara.Card(title, style={"min-width": "320px"}):
        solara.FigureMatplotlib(fig, dependencies=deps, format="png")


@solara.component
def NetworkView(run: TrainerRun, index: int = 0) -> None:
    """The people network of run ``index`` (0 is A, 1 is B)."""

    def draw(fig: Figure, views: list[RunView]) -> None:
        draw_network(views[index], run.layouts[index], fig.axes[0])

    _LiveFigure(run, run.labels[index], _network_figure, draw, key=index)


@solara.component
def OutcomePlots(run: TrainerRun) -> None:
    """Collective impact, mean trust and consensus so far (A solid, B dashed)."""

    def draw(fig: Figure, views: list[RunView]) -> None:
        axes = fig.axes
        for ax, column, title, ylim in (
            (axes[0], "public_value", "Collective impact (public value)", None),
            (axes[1], "mean_trust", "Mean trust on ties", (0.0, 1.0)),
            (axes[2], "consensus", "Consensus (share in the largest frame cluster)", (0.0, 1.05)),
        ):
            draw_series(views, column, ax, labels=run.labels, ylim=ylim)
            ax.set_title(title, fontsize=9)
        axes[2].set_xlabel("week", fontsize=8)
        if len(views) > 1:
            fig.legend(
                *axes[0].get_legend_handles_labels(),
                loc="upper center",
                ncol=2,
                fontsize=8,
                frameon=False,
            )

    _LiveFigure(run, "Outcomes", _outcomes_figure, draw)


@solara.component
def TriangleView(run: TrainerRun) -> None:
    """The strategic triangle now (and at founding, dotted), with legitimacy and capacity so far."""

    def draw(fig: Figure, views: list[RunView]) -> None:
        radar, left, right = fig.axes
        draw_triangle(views, radar, labels=run.labels)
        for ax, column, title in (
            (left, "legitimacy", "Legitimacy & support"),
            (right, "operational_capacity", "Operational capacity"),
        ):
            draw_series(views, column, ax, ylim=(0.0, 1.0))
            ax.set_title(title, fontsize=9)
            ax.set_xlabel("week", fontsize=8)

    _LiveFigure(run, "Strategic triangle", _triangle_figure, draw)


def _log_html(events: Any, color: str) -> str:
    rows = []
    for week, kind, text in events.iloc[::-1].head(LOG_ROWS).itertuples(index=False):
        label, kcolor = EVENT_STYLE.get(kind, (kind, "#374151"))
        rows.append(
            f'<tr><td style="padding:1px 6px;color:#6b7280">{int(week)}</td>'
            f'<td style="padding:1px 6px"><span class="collabsim-event-{html.escape(kind)}" '
            f'style="color:white;background:{kcolor};border-radius:8px;padding:0 6px;'
            f'font-size:12px;white-space:nowrap">{html.escape(label)}</span></td>'
            f'<td style="padding:1px 6px">{html.escape(text)}</td></tr>'
        )
    if not rows:
        rows.append('<tr><td style="color:#6b7280">nothing has happened yet</td></tr>')
    return (
        f'<table class="collabsim-log" style="border-left:4px solid {color};width:100%;'
        'font-size:13px;border-collapse:collapse"><tr style="text-align:left;color:#6b7280">'
        "<th>week</th><th>event</th><th>what happened</th></tr>" + "".join(rows) + "</table>"
    )


@solara.component
def EventLog(run: TrainerRun) -> None:
    """The latest wins, setbacks (learning or blame), turnover and governance changes."""
    update_counter.get()
    views = solara.use_memo(run.views, [id(run), run.steps])
    with solara.Card("Event log (newest first)"):
        with solara.Columns([1] * len(views)):
            for i, view in enumerate(views):
                with solara.Column(gap="2px"):
                    solara.Text(run.labels[i], style={"font-weight": "bold"})
                    solara.HTML(tag="div", unsafe_innerHTML=_log_html(view.events, RUN_COLORS[i]))


@solara.component
def RunStatus(run: TrainerRun) -> None:
    """Week, state and running counts of each run."""
    update_counter.get()
    views = solara.use_memo(run.views, [id(run), run.steps])
    for i, view in enumerate(views):
        last = view.series.iloc[-1]
        state = "dissolved" if view.perished else f"{view.mode} governance"
        solara.Text(
            f"{'AB'[i]}: week {view.week} of {view.weeks}, {state}; {int(last['wins'])} wins, "
            f"{int(last['learning'])} learning, {int(last['blame'])} blame",
            style={"color": RUN_COLORS[i], "font-size": "13px"},
        )
