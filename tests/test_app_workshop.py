"""Workshop mode without a browser: the room's table, names, the join code, the pages."""

from __future__ import annotations

import pytest

solara = pytest.importorskip("solara")
import ipyvuetify as v  # noqa: E402
from solara.server import kernel, kernel_context  # noqa: E402

from collabsim.app import workshop  # noqa: E402
from collabsim.app.runs import TrainerRun, scenario_levers  # noqa: E402
from collabsim.app.workshop import (  # noqa: E402
    PARTICIPANT_LEVERS,
    Facilitator,
    Participant,
    Room,
    clean_name,
    code_ok,
    room_chart_png,
    sparkline_svg,
)


def _levers() -> dict:
    return {k: v for k, v in scenario_levers("baseline").items() if k in PARTICIPANT_LEVERS}


def test_room_is_bounded_and_keyed_by_session() -> None:
    room = Room(limit=2)
    assert room.join("a", "one", _levers()) and room.join("b", "two", _levers())
    assert not room.join("c", "three", _levers())
    assert room.join("a", "uno", _levers())  # a table may rename itself
    run = TrainerRun(seed=3, weeks=10)
    run.step(4)
    room.update("b", run, "two")
    tables = {t.name: t for t in room.tables()}
    assert set(tables) == {"uno", "two"} and tables["two"].week == 4
    room.leave("a")
    assert [t.name for t in room.tables()] == ["two"]


def test_away_tables_are_marked() -> None:
    room = Room()
    here = {"up": True}
    room.join("a", "one", _levers(), alive=lambda: here["up"])
    assert not room.tables()[0].away
    here["up"] = False
    assert room.tables()[0].away


def test_names_are_cleaned_and_the_code_compared() -> None:
    assert clean_name("  <b>x</b>\x00\n ") == "<b>x</b>"
    assert clean_name("") == "unnamed table"
    assert len(clean_name("y" * 500)) == 30
    assert code_ok("123456", "123456") and code_ok(" 123456 ", "123456")
    assert not code_ok("123457", "123456") and not code_ok("", "123456")
    assert not code_ok("anything", "")  # no code configured: nobody gets in


def test_key_actions_and_room_chart() -> None:
    room = Room()
    lv = _levers()
    room.join("a", "none", lv)
    room.join(
        "b",
        "all",
        {
            **lv,
            "prior_history": 3.0,
            "navigator": True,
            "community_stages": 3,
            "data_use": True,
            "joint_problem_solving": 0.6,
        },
    )
    counts = {t.name: t.key_actions for t in room.tables()}
    assert counts == {"all": 5, "none": 0}
    png = room_chart_png(room.tables())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = sparkline_svg(__import__("numpy").array([0.0, 0.5, 1.2]), 156, "#000")
    assert svg.startswith("<svg") and "polyline" in svg


def _context(k: str):
    return kernel_context.VirtualKernelContext(id=k, session_id=k, kernel=kernel.Kernel())


@pytest.mark.parametrize("fast", ["0", "1"])  # reacton's renderers (the server runs with "1")
def test_participants_have_their_own_runs_and_the_facilitator_needs_the_code(
    monkeypatch, fast: str
) -> None:
    monkeypatch.setenv("REACTON_FAST", fast)
    monkeypatch.setenv("COLLABSIM_JOIN_CODE", "987654")
    room = Room()  # this test's own room (the pages read the module's ROOM)
    monkeypatch.setattr(workshop, "ROOM", room)
    with _context("p1"):
        _, one = solara.render(Participant(), handle_error=False)
    with _context("p2"):
        _, two = solara.render(Participant(), handle_error=False)
    assert len(room) == 2
    with _context("p1"):
        one.find(v.Btn, children=["Step"]).widget.click()
    assert sorted(t.week for t in room.tables()) == [0, 1]
    with _context("p1"):  # a second Step moves the same table on
        one.find(v.Btn, children=["Step"]).widget.click()
    assert sorted(t.week for t in room.tables()) == [0, 2]
    with _context("f"):
        _, fac = solara.render(Facilitator(), handle_error=False)
        assert not fac.find(v.Html, tag="table").widgets
        field = fac.find(v.TextField, label="Join code").widget
        field.v_model = "111111"
        field.fire_event("keyup.enter", "111111")
        assert "collabsim-room" not in str(
            [
                h.unsafe_innerHTML
                for h in fac.find(v.VuetifyTemplate).widgets
                if hasattr(h, "unsafe_innerHTML")
            ]
        )
        field.v_model = "987654"
        field.fire_event("keyup.enter", "987654")
        htmls = [
            h.unsafe_innerHTML
            for h in fac.find(v.VuetifyTemplate).widgets
            if hasattr(h, "unsafe_innerHTML")
        ]
        assert any("collabsim-room" in h for h in htmls)
