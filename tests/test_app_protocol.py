"""The app's websocket protocol spoken without a browser: framing, pages, isolation, closing."""

from __future__ import annotations

import asyncio
import re

import pytest

pytest.importorskip("websockets")
pytest.importorskip("solara")

from solara.server.kernel import serialize_binary_message

from collabsim.app.browser import serve
from collabsim.app.protocol import PageClient, PageClosedError, decode_message

pytestmark = pytest.mark.timeout(180)
_WEEK = re.compile(r'class="collabsim-monitor-value">([^<]*)<')


def test_binary_frames_decode_as_solara_encodes_them() -> None:
    msg = {"header": {"msg_type": "comm_msg"}, "content": {"data": {"x": 1}}}
    buffers = [b"\x00\x01\x02", b"png bytes"]
    frame = serialize_binary_message({**msg, "buffers": buffers})
    out = decode_message(frame)
    assert out["content"] == msg["content"] and out["header"] == msg["header"]
    assert [bytes(b) for b in out["buffers"]] == buffers
    assert decode_message('{"a": 2}') == {"a": 2}


def _week(page: PageClient) -> int:
    key = page.by_class("collabsim-participant-monitor")
    assert key is not None
    return int(_WEEK.search(page.widgets[key]["unsafe_innerHTML"]).group(1))


async def _two_tables(url: str) -> tuple[list[int], list[int], PageClient]:
    a, b = PageClient(url), PageClient(url)
    await a.open(60)
    await b.open(60)
    assert a.button("Step") and a.button("Reset") and a.by_label("Your table's name")
    start = [_week(a), _week(b)]
    for _ in range(3):  # a steps, b does not
        before = _week(a)
        sent = await a.click(a.button("Step"))
        seen = await a.wait(lambda before=before: _week(a) == before + 1, 10)
        assert seen >= sent
    await asyncio.sleep(0.5)  # time for a stray update to reach b, if there were one
    after = [_week(a), _week(b)]
    await a.close()
    assert a.closed
    return start, after, b


def test_pages_step_their_own_run_and_see_the_server_go() -> None:
    loop = asyncio.new_event_loop()
    try:
        with serve(seed=5, extra=("--workshop", "--join-code", "123456"), timeout=120) as (url, _):
            start, after, b = loop.run_until_complete(_two_tables(url))
            assert start == [0, 0]
            assert after == [3, 0]  # each session has its own run
            assert not b.closed
        # the server has stopped: the open page learns it, and waiting on it fails at once
        loop.run_until_complete(asyncio.sleep(1))
        assert b.closed
        with pytest.raises(PageClosedError):
            loop.run_until_complete(b.wait(lambda: False, 5))
        loop.run_until_complete(b.close())
    finally:
        loop.close()
