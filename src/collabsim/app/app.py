"""The trainers' page: pick a scenario, move the levers, step the collaboration, compare two.

Served by ``collabsim app`` (``solara run collabsim.app.app``). The sidebar holds the controls
generated from the parameter declaration (scenario, seed, every lever), Mesa's
ModelController (Reset, play/pause, Step) and the side-by-side settings; the main area holds
the network of people, the outcome plots, the strategic triangle and the event log.

Mesa's own ``SolaraViz`` page is not used whole: its parameter panel fixes each widget's value
when the page opens, so a scenario picker could not move the sliders, and it steps a single
model, so two runs could not go in step. The page reuses Mesa's ModelController and ShowSteps
on a :class:`~collabsim.app.runs.TrainerRun` instead. As in Mesa, changed settings apply on
Reset. Each browser session builds its own runs (``solara.use_memo`` inside the page), never
one shared at module level.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization.solara_viz import ModelController, ShowSteps

from collabsim.app.components import (
    EventLog,
    NetworkView,
    OutcomePlots,
    ParamInput,
    RunStatus,
    TriangleView,
)
from collabsim.app.runs import (
    DEFAULT_COMPARE,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    TrainerRun,
    contrast_value,
    lever_params,
    param_label,
    scenario_levers,
    scenario_names,
)
from collabsim.params import Param, get

__all__ = ["SECTIONS", "Page", "initial_settings", "lever_sections"]

#: Environment variables through which ``collabsim app`` chooses the opening scenario and seed.
ENV_SCENARIO = "COLLABSIM_APP_SCENARIO"
ENV_SEED = "COLLABSIM_APP_SEED"
#: Choices of how many weeks one press of Step (or one tick of play) advances.
WEEKS_PER_STEP = (1, 4, 13)
#: Pause between ticks while playing (milliseconds).
PLAY_INTERVAL_MS = 50
TITLE = "collabsim: collective models are not speed"
#: Headings of the lever panel and the concept groups each one gathers (any other lever's
#: concept gets its own heading after these).
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "The five key actions",
        (
            "prior relationships",
            "navigator",
            "community engagement",
            "data use",
            "joint problem-solving",
        ),
    ),
    ("Where to start", ("entry points", "diversity and initiative")),
    ("People", ("turnover", "loyalty and commitment")),
    ("Governance", ("governance",)),
)


def lever_sections() -> list[tuple[str, list[Param]]]:
    """The levers under their headings, in :data:`SECTIONS` order, every lever exactly once."""
    levers = lever_params()
    out = []
    for heading, concepts in SECTIONS:
        group = [p for p in levers if p.concept in concepts]
        if group:
            out.append((heading, group))
    placed = {c for _, concepts in SECTIONS for c in concepts}
    for p in levers:
        if p.concept not in placed:
            out.append((p.concept.capitalize(), [q for q in levers if q.concept == p.concept]))
            placed.add(p.concept)
    return out


def initial_settings(scenario: str | None = None, seed: int | None = None) -> dict[str, Any]:
    """The settings the page opens with: a scenario's levers, the seed, side by side off."""
    scenario = scenario or os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO
    seed = seed if seed is not None else int(os.environ.get(ENV_SEED) or DEFAULT_SEED)
    levers = scenario_levers(scenario)
    return {
        "scenario": scenario,
        "seed": seed,
        **levers,
        "compare": False,
        "compare_key": DEFAULT_COMPARE,
        "compare_value": contrast_value(get(DEFAULT_COMPARE), levers[DEFAULT_COMPARE]),
    }


@solara.component
def Controls(settings: solara.Reactive[dict[str, Any]], run: TrainerRun) -> None:
    """Scenario picker, seed and one input per lever, generated from the declaration."""
    names = solara.use_memo(scenario_names, [])
    current = settings.value
    if current["scenario"] not in names:
        names = [*names, current["scenario"]]

    def set_key(key: str, value: Any) -> None:
        settings.value = {**settings.value, key: value}

    def pick_scenario(name: str) -> None:
        levers = scenario_levers(name)
        new = {**settings.value, "scenario": name, **levers}
        key = new["compare_key"]
        new["compare_value"] = contrast_value(get(key), levers[key])
        settings.value = new

    solara.Select(label="Scenario", value=current["scenario"], values=names, on_value=pick_scenario)
    solara.InputInt(label="Seed", value=current["seed"], on_value=lambda v: set_key("seed", v))
    for heading, params in lever_sections():
        solara.Text(heading, style={"font-weight": "bold", "margin-top": "6px"})
        for p in params:
            ParamInput(p, current[p.name], lambda v, name=p.name: set_key(name, v))
    if run.settings != current:
        solara.Warning("Settings changed: press Reset to apply them.", dense=True)


@solara.component
def SideBySide(settings: solara.Reactive[dict[str, Any]]) -> None:
    """Switch run B on, and choose the lever in which it differs from A."""
    current = settings.value
    levers = {p.name: p for p in lever_params()}

    def set_key(key: str, value: Any) -> None:
        settings.value = {**settings.value, key: value}

    def pick_lever(label: str) -> None:
        name = next(n for n, p in levers.items() if param_label(p) == label)
        settings.value = {
            **settings.value,
            "compare_key": name,
            "compare_value": contrast_value(levers[name], settings.value[name]),
        }

    solara.Switch(
        label="Run B beside A (same seed)",
        value=current["compare"],
        on_value=lambda v: set_key("compare", v),
    )
    if current["compare"]:
        key = current["compare_key"]
        solara.Select(
            label="B differs from A in",
            value=param_label(levers[key]),
            values=[param_label(p) for p in levers.values()],
            on_value=pick_lever,
        )
        ParamInput(
            levers[key],
            current["compare_value"],
            lambda v: set_key("compare_value", v),
            label=f"B: {param_label(levers[key])}",
        )


@solara.component
def Page() -> None:
    """The whole page (one per browser session)."""
    start = solara.use_memo(initial_settings, [])
    settings = solara.use_reactive(start)
    run = solara.use_reactive(solara.use_memo(lambda: TrainerRun(**start), []))
    weeks_per_step = solara.use_reactive(1)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    use_threads = solara.use_reactive(False)

    solara.Title(TITLE)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run"), solara.Column(gap="6px"):
            ModelController(
                run,
                model_parameters=settings,
                play_interval=play_interval,
                render_interval=weeks_per_step,
                use_threads=use_threads,
            )
            with solara.Row(gap="8px", style={"align-items": "center"}):
                solara.Text("Weeks per step:")
                solara.ToggleButtonsSingle(
                    value=weeks_per_step, values=list(WEEKS_PER_STEP), dense=True
                )
            ShowSteps(run.value)
            RunStatus(run.value)
        with solara.Card("Scenario and levers"):
            Controls(settings, run.value)
        with solara.Card("Side by side"):
            SideBySide(settings)
    current = run.value
    if current.b is None:
        with solara.Columns([1, 1]):
            NetworkView(current, 0)
            OutcomePlots(current)
        with solara.Columns([1, 1]):
            TriangleView(current)
            EventLog(current)
    else:
        with solara.Columns([1, 1]):
            NetworkView(current, 0)
            NetworkView(current, 1)
        with solara.Columns([1, 1]):
            OutcomePlots(current)
            TriangleView(current)
        EventLog(current)
