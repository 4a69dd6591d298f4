"""Workshop mode under load: a room of participants stepping once a second.

Participants speak the app's websocket protocol, two of them are chromium pages, and the
facilitator's page stays open (see :mod:`collabsim.app.load`). The CI version is short (8
sessions, 20 seconds). The issue's version (40 sessions, three minutes) runs with
``COLLABSIM_LOAD_FULL=1`` (``make load-test``); set ``COLLABSIM_LOAD_JSON=FILE`` to keep its
figures.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest.importorskip("playwright.async_api")
pytest.importorskip("psutil")
pytest.importorskip("websockets")

from collabsim.app.browser import chromium_path
from collabsim.app.load import MAX_SESSIONS, run_load

FULL = os.environ.get("COLLABSIM_LOAD_FULL") == "1"
SESSIONS, SECONDS = (40, 180.0) if FULL else (8, 20.0)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"sessions": 0}, ["sessions = 0", f"1 to {MAX_SESSIONS}"]),
        ({"sessions": MAX_SESSIONS + 1}, [f"sessions = {MAX_SESSIONS + 1}"]),
        ({"seconds": 0}, ["seconds = 0", "(0, 900]"]),
        ({"mode": "telepathy"}, ["mode = 'telepathy'", "protocol, browser"]),
        ({"sessions": 4, "browsers": 5}, ["browsers = 5", "0 to 4"]),
    ],
)
def test_bad_arguments_name_the_key_the_value_and_the_range(kwargs: dict, words: list) -> None:
    with pytest.raises(ValueError) as err:
        run_load(**kwargs)
    assert all(w in str(err.value) for w in words), str(err.value)


@pytest.mark.browser
@pytest.mark.load
@pytest.mark.timeout(1800 if FULL else 400)
def test_room_of_participants_under_load() -> None:
    path = chromium_path()
    if path is None:
        if os.environ.get("COLLABSIM_CI") == "1":
            pytest.fail("chromium is missing in CI")
        pytest.skip("no system chromium (install it with: apt-get install -y chromium)")
    res = run_load(SESSIONS, SECONDS, chromium=path)
    if os.environ.get("COLLABSIM_LOAD_JSON"):
        res.to_json(Path(os.environ["COLLABSIM_LOAD_JSON"]))
    print("\n" + res.summary())
    assert res.mode == "protocol" and res.browsers == 2
    assert res.failures == 0, res.notes
    assert res.lost_sessions == 0
    assert res.isolated, res.notes
    assert res.code_required
    # every participant kept clicking: at least half the planned clicks were made and timed,
    # by both kinds of participant
    assert res.clicks >= 0.5 * SESSIONS * SECONDS
    assert set(res.by_driver) == {"protocol", "browser"}
    assert res.by_driver["browser"]["clicks"] >= 0.5 * 2 * SECONDS
    assert res.p95_ms <= 1000, f"p95 click-to-update {res.p95_ms} ms"
    # memory bounded: a few MB per session, and no growth while the room steps
    assert res.rss_joined_mb - res.rss_start_mb < 15 * SESSIONS + 100
    assert res.rss_end_mb - res.rss_joined_mb < 100
    assert len(res.load_before) == 3 and res.server_cpu_s > 0
