"""Headless render tests (``solara.render``, no browser) of the app's pages and pieces."""

from __future__ import annotations

import re

import pytest

solara = pytest.importorskip("solara")
import contextlib  # noqa: E402
import itertools  # noqa: E402
import time  # noqa: E402

import ipyvuetify as v  # noqa: E402
import ipywidgets as w  # noqa: E402
from solara.server import kernel, kernel_context  # noqa: E402

from collabsim.app.app import MAIN_LEVERS, Presentation, initial_settings  # noqa: E402
from collabsim.app.components import (  # noqa: E402
    OUTCOME_PANELS,
    LeverInput,
    layout,
    log_html,
    monitor_html,
    render_network,
    render_outcomes,
    render_triangle,
    render_typical,
)
from collabsim.app.runs import (  # noqa: E402
    TrainerRun,
    lever_label,
    lever_params,
    scenario_levers,
    typical_runs,
)
from collabsim.params import PARAMS  # noqa: E402

_ids = itertools.count()


@contextlib.contextmanager
def _session():
    """A fresh browser-session context, as the server gives each page (own reactive state)."""
    k = next(_ids)
    ctx = kernel_context.VirtualKernelContext(
        id=f"test-{k}", session_id=f"session-{k}", kernel=kernel.Kernel()
    )
    with ctx:
        yield ctx


@pytest.fixture(autouse=True)
def session():
    with _session() as ctx:
        yield ctx


def _render(element):
    return solara.render(element, handle_error=False)


def _html(rc) -> str:
    return "".join(
        getattr(h, "unsafe_innerHTML", "") or "" for h in rc.find(v.VuetifyTemplate).widgets
    )


def _click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def _monitor_week(rc, run: int = 0) -> int:
    block = _html(rc).split('class="collabsim-monitors"')[1 + run]  # run's own monitors
    return int(block.split('class="collabsim-monitor-value">')[1].split("<")[0])


def _wait(predicate, timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_levers_are_named_as_in_the_script_and_ranged() -> None:
    _, rc = _render(Presentation())
    text = _html(rc)
    labels = {s.label for s in rc.find(v.Switch).widgets}
    for name in MAIN_LEVERS:
        p = PARAMS[name]
        if p.kind == "bool":
            assert any(lab.startswith(lever_label(p) + ":") for lab in labels)
        else:
            assert lever_label(p) in text
    for n, name in enumerate(
        ["prior_history", "navigator", "community_stages", "data_use", "joint_problem_solving"]
    ):
        assert lever_label(PARAMS[name]).startswith(f"{n + 1}. ")
    turnover = [s for s in rc.find(v.Slider).widgets if s.max == 0.9]
    assert len(turnover) == 1, "the turnover slider stops short of replacing everyone weekly"


def test_step_and_reset_update_monitors_and_figures() -> None:
    _, rc = _render(Presentation())
    before = [img.value for img in rc.find(w.Image).widgets]
    assert len(before) == 3
    _click(rc, "Step")
    assert _monitor_week(rc) == 1
    after = [img.value for img in rc.find(w.Image).widgets]
    assert all(a != b for a, b in zip(before, after, strict=True))
    rc.find(v.BtnToggle, class_="collabsim-weeks").widget.v_model = 2  # 13 weeks per step
    _click(rc, "Step")
    assert _monitor_week(rc) == 14
    assert "nothing yet" not in _html(rc)  # the log follows the steps
    assert "was proposed" in _html(rc)  # (the default run's first proposals, weeks 4-6)
    _click(rc, "Reset")
    assert _monitor_week(rc) == 0


def test_bad_seed_is_flagged_in_place_and_reset_shows_a_banner() -> None:
    _, rc = _render(Presentation())
    seed = rc.find(v.TextField, label="Seed").widget
    for bad in ("-1", "99999999999999", "", "abc"):
        seed.v_model = bad
        seed.fire_event("keyup.enter", bad)
        field = rc.find(v.TextField, label="Seed").widget
        assert field.error is True and "0 to" in str(field.messages), bad
        _click(rc, "Reset")
        alerts = [a for a in rc.find(v.Alert).widgets if a.type == "error"]
        assert alerts and "seed" in str(alerts[0].children).lower()
        _click(rc, "Step")  # the old run still steps: the page is alive
    seed.v_model = "7"
    seed.fire_event("keyup.enter", "7")
    _click(rc, "Reset")
    assert not [a for a in rc.find(v.Alert).widgets if a.type == "error"]


def test_a_failing_step_is_a_banner_not_a_crash(monkeypatch) -> None:
    _, rc = _render(Presentation())

    def boom(self, weeks=1):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(TrainerRun, "step", boom)
    _click(rc, "Step")
    alerts = [a for a in rc.find(v.Alert).widgets if a.type == "error"]
    assert alerts and "the model broke" in str(alerts[0].children)
    monkeypatch.undo()
    _click(rc, "Dismiss")
    _click(rc, "Step")
    assert _monitor_week(rc) == 1


def test_pending_settings_note_and_side_by_side() -> None:
    _, rc = _render(Presentation())
    assert "press Reset" not in _html(rc)
    rc.find(v.Select, label="Scenario").widget.v_model = "louisville"
    assert "press Reset" in _html(rc)
    rc.find(v.Switch, label="Run B beside A (same seed)").widget.v_model = True
    _click(rc, "Reset")
    assert "press Reset" not in _html(rc)
    assert "A: louisville, turnover rate = 0.25" in _html(rc)
    assert "B: turnover rate = 0.75" in _html(rc)
    assert len(rc.find(w.Image).widgets) == 3  # network A, network B, outcomes
    _click(rc, "Step")
    assert _monitor_week(rc, 0) == _monitor_week(rc, 1) == 1


def test_typical_button_runs_seeds_in_the_background() -> None:
    _, rc = _render(Presentation())
    _click(rc, "How typical is this?")
    _wait(lambda: "beats" in _html(rc))
    assert "of 30 runs" in _html(rc)


def test_each_session_builds_its_own_run() -> None:
    with _session() as one, _session() as two:
        with one:
            _, rc1 = _render(Presentation())
        with two:
            _, rc2 = _render(Presentation())
        with one:
            _click(rc1, "Step")
            assert _monitor_week(rc1) == 1
        with two:
            assert _monitor_week(rc2) == 0


@pytest.mark.parametrize("name", ["navigator", "governance", "community_stages", "loyalty"])
def test_lever_input_fits_the_kind_and_shows_its_value(name: str) -> None:
    p = PARAMS[name]
    got = []
    _, rc = _render(LeverInput(p, p.default, got.append))
    widget_type = {"bool": v.Switch, "choice": v.Select, "int": v.Slider, "float": v.Slider}
    widget = rc.find(widget_type[p.kind]).widget
    new = {"bool": True, "choice": "nao", "int": 3, "float": 0.8}[p.kind]
    widget.v_model = new
    assert got and got[-1] == new
    if p.kind in ("int", "float"):
        assert lever_label(p) in _html(rc)


def test_layout_fits_the_window() -> None:
    for width, height in ((1280, 720), (1920, 1080), (1024, 768)):
        c = layout(width, height)
        assert 300 + 36 + 3 * c.fig_width + 24 <= width
        assert c.fig_height + c.log_height < height
    assert layout(1920, 1080).fig_width > 1.5 * layout(1280, 720).fig_width
    assert layout(1280, 720).scale == 1.0 and layout(1920, 1080).scale == 1.5


@pytest.fixture(scope="module")
def stepped() -> TrainerRun:
    run = TrainerRun(scenario="louisville", seed=7, compare=True, compare_key="navigator")
    run.step(40)
    return run


def test_figures_render_at_the_cell_size(stepped: TrainerRun) -> None:
    from PIL import Image

    views = stepped.views()
    for png in (
        render_network(views[0], stepped.layouts[0], 306, 380),
        render_outcomes(views, 306, 380),
        render_triangle(views, 306, 380),
        render_typical(typical_runs(stepped, 5), views, 306, 380),
    ):
        with Image.open(__import__("io").BytesIO(png)) as im:
            assert im.size == (306, 380)


def test_monitor_and_log_html(stepped: TrainerRun) -> None:
    view = stepped.views()[0]
    text = monitor_html(view, "A: <b>", "#000")
    assert "&lt;b&gt;" in text and f">{view.week}<" in text
    last = view.series.iloc[-1]
    assert f"{int(last['learning'])} : {int(last['blame'])}" in text
    log = log_html(stepped.entries(0), "#000", 5)
    assert log.count("<tr>") == min(5, len(stepped.entries(0)))
    assert not re.search(r"organization \d", log)  # sectors and roles, not numbers


def test_monitors_show_the_teams_psychological_safety(stepped: TrainerRun) -> None:
    # the live numbers (workshop tables) and the drawn view (presentation) agree with the series
    for i, view in enumerate(stepped.views()):
        last = view.series.iloc[-1]
        assert stepped.numbers(i)["safety"] == pytest.approx(float(last["safety"]))
        assert 0.0 <= last["safety"] <= 1.0
        assert f">{float(last['safety']):.2f}<" in monitor_html(view, "AB"[i], "#000")
        assert f">{float(stepped.numbers(i)['safety']):.2f}<" in monitor_html(
            stepped.numbers(i), "AB"[i], "#000"
        )


def test_safety_monitor_falls_after_blame_and_rises_after_learning() -> None:
    # walk baseline runs week by week (setbacks are rare: as many seeds as it takes to see a
    # few of each kind): the monitor moves in the direction of the week's outcome
    moves: dict[str, list[float]] = {"blame": [], "learning": []}
    seed = 0
    while min(len(m) for m in moves.values()) < 3 and seed < 12:
        run = TrainerRun(scenario="baseline", seed=seed)
        while run.running:
            before = run.numbers(0)
            run.step(1)
            after = run.numbers(0)
            for kind, other in (("blame", "learning"), ("learning", "blame")):
                if after[kind] > before[kind] and after[other] == before[other]:
                    moves[kind].append(after["safety"] - before["safety"])
        run.close()
        seed += 1
    assert min(len(m) for m in moves.values()) >= 3, moves
    assert sum(d < 0 for d in moves["blame"]) > len(moves["blame"]) / 2, moves
    assert sum(d > 0 for d in moves["learning"]) > len(moves["learning"]) / 2, moves


def test_outcomes_picture_shows_cross_boundary_trust() -> None:
    from collabsim.outcomes import SERIES_OUTCOMES

    declared = {o.name for o in SERIES_OUTCOMES}
    columns = [column for column, _, _ in OUTCOME_PANELS]
    assert set(columns) <= declared
    assert columns == ["public_value", "cross_trust", "consensus"]


def test_initial_settings_follow_the_scenario() -> None:
    s = initial_settings("hartford", 3)
    assert s["seed"] == 3 and s["scenario"] == "hartford"
    assert {k: s[k] for k in scenario_levers("hartford")} == scenario_levers("hartford")
    assert {p.name for p in lever_params()} <= set(s)
