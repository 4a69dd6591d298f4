"""The trainers' page: presentation mode (the default) and, with ``--workshop``, the room's pages.

Served by ``collabsim app`` (``solara run collabsim.app.app``). Presentation mode is built for
a projector: one screen, no scrolling, at 1280 x 720 and larger. The control panel at left
holds Reset / Step / Play, the scenario, the seed, "How typical is this?", run B and the levers
(named as in the trainers' script, values always shown); the main area holds big-number
monitors of A and B, three figures sized to the window, the network's legend and the event log
in plain language.

Nothing the trainer does can take the page down: inputs are checked in place
(:func:`~collabsim.app.runs.check_settings`), and any error in Reset, Step, Play or the typical
runs is shown as a banner while the page stays alive. Each browser session builds its own runs;
playing stops when the session's page disconnects or closes, and the session's models are
released when it closes. With ``COLLABSIM_APP_WORKSHOP=1`` (``collabsim app --workshop``) the
page is :mod:`collabsim.app.workshop`'s instead.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import solara

from collabsim.app.components import (
    EventLog,
    FigureCell,
    Legend,
    LeverInput,
    Monitors,
    Viewport,
    layout,
    render_network,
    render_outcomes,
    render_triangle,
    render_typical,
)
from collabsim.app.runs import (
    TrainerRun,
    Typical,
    check_settings,
    contrast_value,
    lever_label,
    lever_params,
    same_settings,
    scenario_levers,
    scenario_names,
    typical_runs,
)
from collabsim.app.session import (  # re-exported
    initial_settings,
    session_connected,
    session_probe,
)
from collabsim.params import Param, get
from collabsim.views import SCREEN

__all__ = [
    "APP_CSS",
    "MAIN_LEVERS",
    "Layout",
    "Page",
    "Presentation",
    "initial_settings",
    "run_settings",
    "session_connected",
    "session_probe",
]

#: Environment variables through which ``collabsim app`` chooses the opening scenario and seed.
ENV_WORKSHOP = "COLLABSIM_APP_WORKSHOP"
#: Choices of how many weeks one press of Step (or one tick of play) advances.
WEEKS_PER_STEP = (1, 4, 13)
#: Pause between ticks while playing (seconds).
PLAY_INTERVAL = 0.25
#: Seeds of A and B run by "How typical is this?".
TYPICAL_SEEDS = 30
TITLE = "collabsim: collective models are not speed"
#: Levers always shown (the five key actions, entry points, turnover); the rest fold away.
MAIN_LEVERS = (
    "prior_history",
    "navigator",
    "community_stages",
    "data_use",
    "joint_problem_solving",
    "entry_points",
    "turnover_rate",
)

#: The page's style: full window, no page scrolling, every text at least 14 px.
APP_CSS = """
html, body { overflow: hidden !important; }
.v-application, .v-application .v-input, .v-application .v-label, .v-application .v-btn,
.v-application .v-messages, .v-application .caption, .v-application .v-select__selection,
.v-application .v-list-item__title, .v-application input, .v-application .v-tooltip__content,
.v-application .v-expansion-panel-header { font-size: 15px !important; }
.v-application .v-messages__message { line-height: 18px; }
.collabsim-root { height: 100vh; width: 100vw; overflow: hidden; }
.collabsim-panel { width: 300px; min-width: 300px; height: 100vh; overflow-y: auto;
  padding: 8px 10px; border-right: 1px solid #e5e7eb; background: #f9fafb; }
.collabsim-panel .v-input { margin-top: 0 !important; padding-top: 0 !important; }
.collabsim-panel .v-input__slot { margin-bottom: 0 !important; }
.collabsim-panel .v-slider { margin: 0 !important; min-height: 26px; }
.collabsim-panel .v-input--switch { margin: 2px 0 !important; }
.collabsim-panel .v-input--selection-controls__input { margin-right: 6px; }
.v-application .v-label--active { transform: translateY(-20px) scale(1) !important; }
.v-application .v-text-field { padding-top: 16px !important; }
.collabsim-title { font-size: 16px; font-weight: 700; color: #1f2937; }
.collabsim-main { flex: 1 1 auto; height: 100vh; overflow: hidden; padding: 6px 12px; }
.collabsim-lever-head { display: flex; justify-content: space-between; font-size: 15px;
  margin-top: 4px; }
.collabsim-lever-value { font-weight: 700; color: #1f4e9c; }
.collabsim-error { color: #b91c1c; font-size: 14px; }
.collabsim-pending { color: #92400e; background: #fef3c7; font-size: 14px; padding: 2px 6px;
  border-radius: 4px; }
.collabsim-monitors { display: flex; align-items: stretch; gap: 6px; padding-left: 8px;
  height: 100%; }
.collabsim-monitor-run { font-size: max(15px, 2.1vh); font-weight: 700; flex: 1.2 1 0;
  overflow: hidden; line-height: 1.2; }
.collabsim-monitor-state { font-size: max(14px, 1.95vh); font-weight: 400; color: #374151; }
.collabsim-monitor { flex: 1 1 0; text-align: center; }
.collabsim-monitor-value { font-size: max(28px, 4.4vh); font-weight: 700; line-height: 1.1;
  color: #111827; white-space: nowrap; }
.collabsim-monitor-label { font-size: max(14px, 1.95vh); color: #374151; line-height: 1.15; }
.collabsim-legend { font-size: max(14px, 1.95vh); color: #374151; white-space: nowrap;
  overflow: hidden; }
.collabsim-key { margin-right: 14px; }
.collabsim-key .dot { display: inline-block; width: 12px; height: 12px; border-radius: 6px;
  margin-right: 4px; border: 1px solid #1f2937; }
.collabsim-key .dot.ring { background: white; border: 3px solid #374151; }
.collabsim-key .bar { display: inline-block; width: 18px; height: 4px; margin: 0 4px 4px 0; }
.collabsim-key .bar.thin { height: 2px; }
.collabsim-cell-title { font-size: max(15px, 2.1vh); font-weight: 700; }
.collabsim-fig { max-width: 100%; max-height: 100%; object-fit: contain; }
.collabsim-note { font-size: 15px; color: #374151; padding: 8px; }
.collabsim-log { width: 100%; border-collapse: collapse; font-size: max(15px, 2.1vh);
  line-height: 1.25; }
.collabsim-log td { padding: 1px 6px; vertical-align: top; }
.collabsim-log-week { color: #4b5563; white-space: nowrap; }
.collabsim-badge { color: white; border-radius: 8px; padding: 0 6px; white-space: nowrap;
  font-size: max(14px, 1.95vh); }
.collabsim-banner { position: fixed; top: 8px; left: 320px; right: 16px; z-index: 20; }
.collabsim-typical { font-size: max(14px, 1.95vh); color: #111827; }
"""


def run_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :class:`TrainerRun` for checked ``settings`` (seed as int)."""
    out = dict(settings)
    out["seed"] = int(str(out["seed"]).strip())
    if not out.get("compare"):
        out["compare_value"] = None
    return out


@solara.component
def Layout(children: list | None = None) -> None:
    """The whole window is the page (no app bar, no framework badge)."""
    solara.Column(children=children or [], gap="0px", style={"padding": "0", "margin": "0"})


def _build(settings: dict[str, Any]) -> tuple[TrainerRun | None, str]:
    problems = check_settings(settings)
    if problems:
        return None, "Check the settings: " + "; ".join(problems.values())
    try:
        return TrainerRun(**run_settings(settings)), ""
    except Exception as exc:  # a run that cannot be built must not take the page down
        return None, f"Could not build the run: {exc}"


@solara.component
def Banner(error: solara.Reactive[str]) -> None:
    """An error shown over the page (which stays alive), with a button to dismiss it."""
    if error.value:
        with solara.Div(classes=["collabsim-banner"]):
            with solara.Row(style={"align-items": "center"}):
                solara.Error(error.value, style={"flex": "1 1 auto", "margin": "0"})
                solara.Button("Dismiss", on_click=lambda: error.set(""), text=True)


@solara.component
def LeverPanel(
    settings: solara.Reactive[dict[str, Any]], problems: dict[str, str], names: list[str]
) -> None:
    """Scenario, seed, run B and every lever, checked in place."""
    current = settings.value
    levers = {p.name: p for p in lever_params()}

    def set_key(key: str, value: Any) -> None:
        settings.value = {**settings.value, key: value}

    def pick_scenario(name: str) -> None:
        if name not in names:
            return
        new = {**settings.value, "scenario": name, **scenario_levers(name)}
        key = new["compare_key"]
        new["compare_value"] = contrast_value(get(key), new[key])
        settings.value = new

    def pick_compare(label: str) -> None:
        name = next((n for n, p in levers.items() if lever_label(p) == label), None)
        if name is not None:
            settings.value = {
                **settings.value,
                "compare_key": name,
                "compare_value": contrast_value(levers[name], settings.value[name]),
            }

    with solara.Row(gap="8px"):
        solara.Select(
            label="Scenario",
            value=current["scenario"] if current["scenario"] in names else None,
            values=names,
            on_value=pick_scenario,
            style={"flex": "1 1 0"},
        )
        solara.InputText(
            "Seed",
            value=str(current["seed"]),
            on_value=lambda t: set_key("seed", (t or "").strip()),
            error=problems.get("seed", False),
            style={"flex": "1 1 0"},
        )
    solara.Switch(
        label="Run B beside A (same seed)",
        value=bool(current["compare"]),
        on_value=lambda x: set_key("compare", bool(x)),
    )
    if current["compare"]:
        key = current["compare_key"]
        solara.Select(
            label="B differs from A in",
            value=lever_label(levers[key]),
            values=[lever_label(p) for p in levers.values()],
            on_value=pick_compare,
        )
        LeverInput(
            levers[key],
            current["compare_value"],
            lambda x: set_key("compare_value", x),
            label=f"B: {lever_label(levers[key])}",
            error=problems.get("compare_value", ""),
        )
    for name in MAIN_LEVERS:
        p: Param = levers[name]
        LeverInput(p, current[name], lambda x, n=name: set_key(n, x), error=problems.get(name, ""))
    with solara.Details("More levers"):
        for name, p in levers.items():
            if name not in MAIN_LEVERS:
                LeverInput(
                    p, current[name], lambda x, n=name: set_key(n, x), error=problems.get(name, "")
                )


@solara.component
def Presentation() -> None:
    """Presentation mode: one run or A beside B on one screen, for a projector."""
    start = solara.use_memo(initial_settings, [])
    names = solara.use_memo(scenario_names, [])
    settings = solara.use_reactive(start)
    first = solara.use_memo(lambda: _build(start), [])
    error = solara.use_reactive(first[1])
    run = solara.use_reactive(first[0] if first[0] is not None else TrainerRun())
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    weeks = solara.use_reactive(1)
    size = solara.use_reactive((1280, 720))
    panel = solara.use_reactive("triangle")
    typical = solara.use_reactive(None)
    typical_wanted = solara.use_reactive(0)
    stop = solara.use_memo(threading.Event, [])

    def on_close() -> Any:
        def cleanup() -> None:
            stop.set()
            run.value.close()

        return cleanup

    solara.use_effect(on_close, [])

    def do_reset() -> None:
        playing.value = False
        new, problem = _build(settings.value)
        if new is None:
            error.value = problem
            return
        old = run.value
        run.value = new
        old.close()
        typical.value = None
        panel.value = "triangle" if new.b is None else "outcomes"
        error.value = ""
        tick.value += 1

    def do_step() -> None:
        try:
            run.value.step(weeks.value)
        except Exception as exc:
            playing.value = False
            error.value = f"Step failed: {exc}"
        tick.value += 1

    def play_loop() -> None:
        while playing.value and not stop.is_set():
            if not session_connected():
                playing.value = False
                return
            current = run.value
            if not current.running:
                playing.value = False
                return
            time.sleep(PLAY_INTERVAL)
            try:
                current.step(weeks.value)
            except Exception as exc:
                error.value = f"Play stopped: {exc}"
                playing.value = False
                return
            tick.value += 1

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def typical_task() -> Typical | None:
        if not typical_wanted.value:
            return None
        current = run.value
        try:
            result = typical_runs(current, TYPICAL_SEEDS, cancelled=stop.is_set)
        except Exception as exc:
            error.value = f"The typical runs failed: {exc}"
            return None
        if result is not None and run.value is current:
            typical.value = result
            panel.value = "typical"
        return result

    typical_job = solara.lab.use_task(
        typical_task, dependencies=[typical_wanted.value], prefer_threaded=True
    )

    current = run.value
    views = solara.use_memo(current.views, [id(current), current.steps, tick.value])
    problems = check_settings(settings.value)
    pending = not problems and not same_settings(
        run_settings(settings.value), run_settings(current.settings)
    )
    cells = layout(*size.value)
    text = SCREEN.scaled(cells.scale)
    w, h = cells.fig_width, cells.fig_height

    def figure(kind: str) -> tuple[bytes | None, str]:
        try:
            if kind == "network-a":
                return render_network(views[0], current.layouts[0], w, h - 24, text), "A"
            if kind == "network-b":
                return render_network(views[1], current.layouts[1], w, h - 24, text), "B"
            if kind == "outcomes":
                return render_outcomes(views, w, h - 24, text), "Outcomes"
            if kind == "triangle":
                return render_triangle(views, w, h - 24, text), ""
            if kind == "typical" and typical.value is not None:
                return render_typical(typical.value, views, w, h - 24, text), ""
        except Exception as exc:
            return None, f"This view could not be drawn: {exc}"
        return None, ""

    kinds = (
        ["network-a", "outcomes", panel.value]
        if current.b is None
        else ["network-a", "network-b", panel.value]
    )
    key = [id(current), current.steps, tick.value, cells, panel.value, id(typical.value)]
    pngs = solara.use_memo(lambda: [figure(k) for k in kinds], key)

    solara.Title(TITLE)
    solara.Style(APP_CSS)
    Viewport(on_size=size.set)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=f"{cells.width}x{cells.height} {cells.fig_width}",
        classes=["collabsim-size"],
        style={"display": "none"},
    )
    Banner(error)
    with solara.Row(gap="0px", classes=["collabsim-root"]):
        with solara.Column(gap="6px", classes=["collabsim-panel"]):
            with solara.Row(gap="6px"):
                solara.Button("Reset", on_click=do_reset, color="primary")
                solara.Button(
                    "Step", on_click=do_step, color="primary", disabled=not current.running
                )
                solara.Button(
                    "Pause" if playing.value else "Play",
                    on_click=lambda: playing.set(not playing.value),
                    color="primary",
                    outlined=True,
                    disabled=not current.running and not playing.value,
                )
            with solara.Row(gap="6px", style={"align-items": "center"}):
                solara.Text("Weeks per step:", style={"font-size": "15px"})
                solara.ToggleButtonsSingle(
                    value=weeks,
                    values=list(WEEKS_PER_STEP),
                    dense=True,
                    classes=["collabsim-weeks"],
                )
            if pending:
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML="Settings changed: press Reset to apply them.",
                    classes=["collabsim-pending"],
                )
            solara.Button(
                "How typical is this?",
                on_click=lambda: typical_wanted.set(typical_wanted.value + 1),
                outlined=True,
                disabled=typical_job.pending,
            )
            if typical_job.pending:
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=f"Running {TYPICAL_SEEDS} seeds of each run...",
                    classes=["collabsim-typical"],
                )
            LeverPanel(settings, problems, names)
        with solara.Column(gap="4px", classes=["collabsim-main"]):
            with solara.Div(style={"height": f"{round(84 * cells.scale)}px", "width": "100%"}):
                Monitors(current, views)
            Legend(any(v.navigator for v in views))
            with solara.Row(gap="12px", style={"flex-wrap": "nowrap"}):
                for kind, (png, note) in zip(kinds, pngs, strict=True):
                    title = _cell_title(kind, current, typical.value, views)
                    FigureCell(png, w, h, title=title, note=note if png is None else "")
            _PanelChoice(panel, current, typical.value is not None)
            EventLog(current, cells.log_height, cells.scale, version=(current.steps, tick.value))


def _cell_title(kind: str, run: TrainerRun, typical: Typical | None, views: list) -> str:
    if kind == "network-a":
        return run.labels[0]
    if kind == "network-b":
        return run.labels[1]
    if kind == "outcomes":
        return "Outcomes" + (" (A solid, B dashed)" if run.b is not None else "")
    if kind == "triangle":
        return "Strategic triangle (dotted: at the start)"
    if kind == "typical" and typical is not None:
        week = views[0].week
        q = typical.rank(0, week, float(views[0].series["public_value"].iloc[-1]))
        out = f"Typical? A's impact now beats {q:.0%} of {len(typical.seeds)} runs"
        won, n = typical.b_beats_a()
        if n:
            out += f"; B ends above A in {won} of {n}"
        return out
    return "How typical is this? (press the button)"


@solara.component
def _PanelChoice(panel: solara.Reactive[str], run: TrainerRun, has_typical: bool) -> None:
    """Which picture the third cell shows."""
    choices = {"triangle": "Triangle", "typical": "Typical?"}
    if run.b is not None:
        choices = {"outcomes": "Outcomes", **choices}
    if panel.value not in choices:
        panel.value = next(iter(choices))
    labels = list(choices.values())

    def pick(label: str) -> None:
        panel.value = next(k for k, v in choices.items() if v == label)

    with solara.Div(style={"display": "none"} if len(labels) < 2 else {}):
        solara.ToggleButtonsSingle(
            value=choices[panel.value], values=labels, on_value=pick, dense=True
        )


@solara.component
def Page() -> None:
    """The page of one browser session: presentation mode, or the workshop's pages."""
    if os.environ.get(ENV_WORKSHOP) == "1":
        from collabsim.app.workshop import WorkshopPage

        WorkshopPage()
    else:
        Presentation()


#: The pages: ``/`` (presentation mode, or a participant's table in workshop mode) and
#: ``/facilitator`` (the facilitator's page in workshop mode). The first route's layout is
#: the whole window for both.
routes = [
    solara.Route(path="/", component=Page, layout=Layout),
    solara.Route(path="facilitator", component=Page),
]
