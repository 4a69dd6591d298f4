"""Headless render tests (``solara.render``, no browser) of every component of the app."""

from __future__ import annotations

import pytest

solara = pytest.importorskip("solara")
import contextlib  # noqa: E402
import itertools  # noqa: E402

import ipyvuetify as v  # noqa: E402
import ipywidgets as w  # noqa: E402
from solara.server import kernel, kernel_context  # noqa: E402

from collabsim.app.app import Controls, Page, SideBySide, initial_settings, lever_sections  # noqa: E402
from collabsim.app.components import (  # noqa: E402
    EventLog,
    NetworkView,
    OutcomePlots,
    ParamInput,
    RunStatus,
    TriangleView,
)
from collabsim.app.runs import TrainerRun, lever_params, param_label, scenario_levers  # noqa: E402
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


@solara.component
def _InLayout():
    with solara.AppLayout():
        Page()


def _render(element):
    return solara.render(element, handle_error=False)


def _texts(rc) -> list[str]:
    """Texts shown by solara.Text (spans) and card titles."""
    out = []
    for el in [*rc.find(v.Html, tag="span").widgets, *rc.find(v.CardTitle).widgets]:
        out.extend(c for c in el.children if isinstance(c, str))
    return out


def _images(rc) -> list[bytes]:
    return [img.value for img in rc.find(w.Image).widgets]


def _click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def _slider(rc, label: str):
    return rc.find(v.Slider, label=label).widget


def test_levers_come_from_the_declaration() -> None:
    levers = lever_params()
    assert levers, "no parameter is declared as a lever"
    placed = [p.name for _, group in lever_sections() for p in group]
    assert sorted(placed) == sorted(p.name for p in levers)
    _, rc = _render(_InLayout())
    labels = {s.label for s in rc.find(v.Slider).widgets}
    labels |= {s.label for s in rc.find(v.Switch).widgets}
    labels |= {s.label for s in rc.find(v.Select).widgets}
    assert {param_label(p) for p in levers} <= labels
    for p in levers:
        if p.kind in ("int", "float"):
            s = _slider(rc, param_label(p))
            assert (s.min, s.max) == (p.low, p.high)
            assert s.v_model == pytest.approx(scenario_levers("baseline")[p.name])


def test_page_steps_and_redraws() -> None:
    _, rc = _render(_InLayout())
    assert "Step: 0" in _texts(rc)
    before = _images(rc)
    assert len(before) == 3
    for _ in range(3):
        _click(rc, "Step")
    assert "Step: 3" in _texts(rc)
    assert any(t.startswith("A: week 3 of 156") for t in _texts(rc))
    after = _images(rc)
    assert len(after) == 3
    assert all(a != b for a, b in zip(before, after, strict=True)), "a view did not redraw"


def test_scenario_moves_the_levers_and_reset_applies_them() -> None:
    _, rc = _render(_InLayout())
    rc.find(v.Select, label="Scenario").widget.v_model = "louisville"
    want = scenario_levers("louisville")
    assert _slider(rc, param_label(PARAMS["turnover_rate"])).v_model == want["turnover_rate"]
    assert rc.find(v.Switch, label="Navigator").widget.v_model is True
    assert rc.find(v.Alert).widgets, "no hint that Reset applies the new settings"
    _click(rc, "Step")
    assert "A: baseline" in _texts(rc)  # the run does not change before Reset
    _click(rc, "Reset")
    assert "Step: 0" in _texts(rc)
    assert "A: louisville" in _texts(rc)
    assert not rc.find(v.Alert).widgets


def test_a_moved_slider_reaches_the_model() -> None:
    _, rc = _render(_InLayout())
    _slider(rc, param_label(PARAMS["loyalty"])).v_model = 0.9
    rc.find(v.Switch, label="Run B beside A (same seed)").widget.v_model = True
    rc.find(v.Select, label="B differs from A in").widget.v_model = param_label(PARAMS["loyalty"])
    assert _slider(rc, "B: " + param_label(PARAMS["loyalty"])).v_model == pytest.approx(0.25)
    _click(rc, "Reset")
    texts = _texts(rc)
    assert "A: baseline, loyalty = 0.9" in texts
    assert "B: loyalty = 0.25" in texts
    assert len(_images(rc)) == 4  # two networks, outcomes, triangle
    _click(rc, "Step")
    texts = _texts(rc)
    assert any(t.startswith("A: week 1 of") for t in texts)
    assert any(t.startswith("B: week 1 of") for t in texts)


def test_each_session_builds_its_own_run() -> None:
    with _session() as one, _session() as two:
        with one:
            _, rc1 = _render(_InLayout())
        with two:
            _, rc2 = _render(_InLayout())
        with one:
            _click(rc1, "Step")
            assert "Step: 1" in _texts(rc1)
        with two:
            assert "Step: 0" in _texts(rc2)


@pytest.mark.parametrize("name", ["navigator", "governance", "community_stages", "loyalty"])
def test_param_input_fits_the_kind(name: str) -> None:
    p = PARAMS[name]
    got = []
    _, rc = _render(ParamInput(p, p.default, got.append))
    widget_type = {"bool": v.Switch, "choice": v.Select, "int": v.Slider, "float": v.Slider}
    widget = rc.find(widget_type[p.kind]).widget
    assert widget.label == param_label(p)
    new = {"bool": True, "choice": "nao", "int": 3, "float": 0.8}[p.kind]
    widget.v_model = new
    assert got and got[-1] == new


@pytest.fixture(scope="module")
def stepped() -> TrainerRun:
    run = TrainerRun(scenario="louisville", seed=7, compare=True, compare_key="navigator")
    for _ in range(40):
        run.step()
    return run


@pytest.mark.parametrize("component", [NetworkView, OutcomePlots, TriangleView])
def test_figure_components_render_a_png(component, stepped: TrainerRun) -> None:
    _, rc = _render(component(stepped))
    (img,) = rc.find(w.Image).widgets
    assert img.format == "png"
    assert img.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(img.value) > 5_000


def test_network_views_of_a_and_b_differ(stepped: TrainerRun) -> None:
    _, rc_a = _render(NetworkView(stepped, 0))
    _, rc_b = _render(NetworkView(stepped, 1))
    assert rc_a.find(w.Image).widget.value != rc_b.find(w.Image).widget.value
    assert stepped.labels[1] in _texts(rc_b)


def test_event_log_lists_the_latest_events(stepped: TrainerRun) -> None:
    _, rc = _render(EventLog(stepped))
    (html_a, html_b) = [h.unsafe_innerHTML for h in rc.find(v.VuetifyTemplate).widgets]
    for model, html in ((stepped.a, html_a), (stepped.b, html_b)):
        events = model.events()
        assert len(events) > 0
        _week, kind, text = events.iloc[-1]
        assert text.replace("'", "&#x27;") in html
        assert f"collabsim-event-{kind}" in html


def test_run_status_names_week_and_counts(stepped: TrainerRun) -> None:
    _, rc = _render(RunStatus(stepped))
    texts = _texts(rc)
    assert len(texts) == 2
    wins = int(stepped.a.timeseries()["wins"].iloc[-1])
    assert texts[0].startswith(f"A: week {stepped.a.week} of")
    assert f"{wins} wins" in texts[0]


def test_controls_and_side_by_side_render_alone() -> None:
    settings = solara.reactive(initial_settings("hartford", 3))
    run = TrainerRun(scenario="hartford", seed=3)
    _, rc = _render(Controls(settings, run))
    assert rc.find(v.Select, label="Scenario").widget.v_model == "hartford"
    assert rc.find(v.TextField, label="Seed").widget.v_model in (3, "3")
    _, rc = _render(SideBySide(settings))
    assert not rc.find(v.Select, label="B differs from A in").widgets
    rc.find(v.Switch).widget.v_model = True
    assert settings.value["compare"] is True
    assert rc.find(v.Select, label="B differs from A in").widgets
