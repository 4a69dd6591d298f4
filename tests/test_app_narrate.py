"""The plain-language log: sectors and roles, reasons in words, turnover grouped."""

from __future__ import annotations

import re

import pytest

from collabsim import CollaborationModel
from collabsim.app.narrate import SECTOR_WORDS, Entry, Narrator, group_turnover, org_names


@pytest.fixture(scope="module")
def narrated() -> tuple[CollaborationModel, Narrator]:
    # a navigator and a low learning bias, so that mediation and blame happen in this run
    m = CollaborationModel(rng=2025, navigator=True, learning_bias=-1.0)
    n = Narrator(m)
    while m.running:
        n.before()
        m.step()
        n.after()
    return m, n


def test_every_event_is_narrated_in_words(narrated) -> None:
    m, n = narrated
    assert len(n.entries) == len(m.events()) > 10
    for e, (week, kind, _) in zip(n.entries, m.events().itertuples(index=False), strict=True):
        assert (e.week, e.kind) == (week, kind)
        assert "organization " not in e.text  # sectors, not numbers
        assert not re.search(r"\b0\.\d\d\b", e.text) or e.kind == "win"  # no raw positions
        assert (e.text[0].isupper() or e.text[0].isdigit()) and e.text.endswith(".")


def test_every_kind_the_model_logs_has_its_own_sentence(narrated) -> None:
    # revision 2 added the navigator's mediation; no kind may fall through to the generic line
    m, n = narrated
    assert not [e for e in n.entries if e.text.startswith("Something else happened")]
    mediations = [e for e in n.entries if e.kind == "mediation"]
    assert mediations
    assert all("navigator" in e.text and "safer" in e.text for e in mediations)
    # a mediation happens after a setback, in the week its response (learning or blame) is logged
    weeks = {e.week for e in n.entries if e.kind in ("learning", "blame")}
    assert all(e.week in weeks for e in mediations)


def test_blame_names_the_organization_the_model_blamed(narrated) -> None:
    m, n = narrated
    names = org_names(m.state.sector)
    blames = [
        (e, t) for e, t in zip(n.entries, m.events()["text"], strict=True) if e.kind == "blame"
    ]
    assert blames
    for e, text in blames:
        target = int(re.search(r"organization (\d+)", text).group(1))
        assert names[target] in e.text


def test_turnover_names_sectors_and_founders(narrated) -> None:
    _, n = narrated
    turnover = [e for e in n.entries if e.kind == "turnover"]
    assert turnover
    for e in turnover:
        assert any(w in e.text for w in SECTOR_WORDS)
        assert len(e.sectors) == e.count >= 1


def test_failed_proposals_say_why(narrated) -> None:
    _, n = narrated
    reasons = {e.text.split(": ", 1)[1].split(";")[0] for e in n.entries if e.kind == "proposal"}
    assert reasons <= {"too few people backed it", "the table could not decide"}
    assert reasons


def test_without_entry_points_a_whole_plan_is_proposed() -> None:
    m = CollaborationModel(rng=346, entry_points=False)
    n = Narrator(m)
    while m.running and not any(e.kind == "proposal" for e in n.entries):
        n.before()
        m.step()
        n.after()
    assert next(e for e in n.entries if e.kind == "proposal").text.startswith("A whole plan")


def test_unknown_texts_still_read_well() -> None:
    m = CollaborationModel(rng=1)
    n = Narrator(m)
    n.before()
    m.state.log(0, "proposal", "something the mechanisms say in a new way")
    m.state.log(0, "brand_new_kind", "x")
    out = n.after()
    assert out[0].text.endswith("the table did not take it up.")
    assert out[1].text == "Something else happened (brand_new_kind)."


def test_turnover_runs_are_grouped() -> None:
    es = [
        Entry(3, "turnover", "a", 3, 1, (1,)),
        Entry(5, "turnover", "b", 5, 2, (2, 2)),
        Entry(6, "win", "w", 6),
        Entry(9, "turnover", "c", 9, 1, (0,)),
    ]
    out = group_turnover(es)
    assert [e.kind for e in out] == ["turnover", "win", "turnover"]
    assert out[0].weeks == "3-5" and out[0].count == 3
    assert "2 business" in out[0].text and "1 nonprofit" in out[0].text
    assert out[2] is es[3]


def test_org_names_number_only_shared_sectors() -> None:
    assert org_names([0, 1, 1, 4]) == [
        "the city agency",
        "nonprofit 1",
        "nonprofit 2",
        "the community group",
    ]
