"""A page of the app without a browser: Solara's websocket protocol spoken from Python.

A Solara page is a Jupyter kernel session on the server. The browser (1) loads the page over
HTTP, which sets the ``solara-session-id`` cookie; (2) opens the websocket
``/jupyter/api/kernels/<kernel id>/channels?session_id=<page id>`` (both ids chosen by the
client); (3) opens a comm with target ``solara.control`` and sends it ``{"method": "run",
"args": {"path": ..., "appName": null}}``; the server renders the page and opens one widget
comm per widget (``comm_open`` with the widget's state), then answers ``{"method":
"finished"}``. From then on the server sends ``comm_msg`` ``update`` messages with the traits
that changed, and the page sends ``update`` messages for values it changes (``v_model``) and
``custom`` messages for events (``{"event": "click", "data": {}}``), as ipywidgets and ipyvue
define them. Messages are JSON text, or a binary frame (a count, offsets, the JSON, then the
buffers) when they carry buffers.

:class:`PageClient` does exactly that with the ``websockets`` client, keeps every widget's
state, and lets a caller find widgets, click them, set values and wait for the page to change.
It is what :mod:`collabsim.app.load` uses to drive a room of participants without paying for a
browser per participant. It renders nothing: the time it measures is the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import itertools
import json
import struct
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PageClient", "PageClosedError", "decode_message"]


class PageClosedError(RuntimeError):
    """The page's websocket closed (the server went away or dropped the session)."""


def decode_message(raw: str | bytes) -> dict[str, Any]:
    """A kernel message from a websocket frame (JSON text, or Solara's binary framing).

    The binary framing is: the number of parts ``n`` (32-bit, network order), ``n`` offsets
    from the start of the frame, then the parts; the first part is the JSON message and the
    others are its buffers (``msg["buffers"]``).
    """
    if isinstance(raw, str):
        return json.loads(raw)
    n = struct.unpack("!I", raw[:4])[0]
    offsets = [*struct.unpack("!" + "I" * n, raw[4 : 4 * (n + 1)]), len(raw)]
    msg = json.loads(raw[offsets[0] : offsets[1]].decode("utf8"))
    msg["buffers"] = [raw[a:b] for a, b in itertools.pairwise(offsets[1:])]
    return msg


def _message(msg_type: str, content: dict[str, Any], session: str) -> str:
    header = {
        "msg_id": uuid.uuid4().hex,
        "username": "participant",
        "session": session,
        "date": datetime.now(UTC).isoformat(),
        "msg_type": msg_type,
        "version": "5.3",
    }
    return json.dumps(
        {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
    )


def _get_cookies(url: str, timeout: float) -> str:
    """Load the page over HTTP as a browser does; return its cookies as a Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url, timeout=timeout) as response:
        response.read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class PageClient:
    """One page of a Solara app, opened over its websocket.

    Use :meth:`open` to connect; then :attr:`widgets` holds every live widget's state by
    model id. All methods are coroutines of one event loop; many clients can share it.

    Attributes:
        url: The page's address (``http://host:port/path``).
        widgets: Live widgets: model id -> state (traits as the page would see them).
        closed: True once the websocket has closed.
        messages: Kernel messages received.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.widgets: dict[str, dict[str, Any]] = {}
        self.closed = False
        self.messages = 0
        self._ws: Any = None
        self._session = uuid.uuid4().hex
        self._control = str(uuid.uuid4())
        self._root: asyncio.Future[str] | None = None
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        self._reader: asyncio.Task[None] | None = None

    async def open(self, timeout: float = 60.0) -> None:
        """Load the page, open its websocket and run the app; return once it is rendered.

        Raises:
            TimeoutError: the page did not render within ``timeout`` seconds.
            PageClosedError: the server closed the websocket first.
        """
        import websockets

        parts = urlsplit(self.url)
        path = parts.path or "/"
        scheme = "wss" if parts.scheme == "https" else "ws"
        cookie = await asyncio.to_thread(_get_cookies, self.url, timeout)
        kernel, page = uuid.uuid4(), uuid.uuid4()
        address = (
            f"{scheme}://{parts.netloc}/jupyter/api/kernels/{kernel}/channels?session_id={page}"
        )
        self._ws = await websockets.connect(
            address, additional_headers={"Cookie": cookie}, max_size=None, open_timeout=timeout
        )
        self._root = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        await self._send("kernel_info_request", {})
        await self._send(
            "comm_open", {"comm_id": self._control, "target_name": "solara.control", "data": {}}
        )
        run = {"method": "run", "args": {"path": path, "appName": None}}
        await self._send("comm_msg", {"comm_id": self._control, "data": run})
        await asyncio.wait_for(asyncio.shield(self._root), timeout)

    async def close(self) -> None:
        """Close the websocket (as closing the tab does) and stop reading."""
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)

    # --- finding widgets -----------------------------------------------------------------
    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> list[str]:
        """Model ids of the live widgets whose state satisfies ``predicate``."""
        return [k for k, s in self.widgets.items() if predicate(s)]

    def button(self, text: str) -> str | None:
        """The model id of the button labelled ``text`` (None if there is none)."""
        ids = self.find(
            lambda s: s.get("_model_name") == "BtnModel" and s.get("children") == [text]
        )
        return ids[0] if ids else None

    def by_class(self, css_class: str) -> str | None:
        """The model id of the widget whose ``class`` attribute holds ``css_class``."""
        ids = self.find(
            lambda s: css_class in str((s.get("attributes") or {}).get("class", "")).split()
        )
        return ids[0] if ids else None

    def by_label(self, prefix: str) -> str | None:
        """The model id of the input whose label starts with ``prefix``."""
        ids = self.find(lambda s: str(s.get("label") or "").startswith(prefix))
        return ids[0] if ids else None

    def has_text(self, text: str) -> bool:
        """True when some live widget shows ``text`` among its string children."""
        return any(
            any(isinstance(c, str) and text in c for c in s.get("children") or [])
            for s in self.widgets.values()
        )

    # --- acting ---------------------------------------------------------------------------
    async def click(self, model_id: str) -> float:
        """Click a widget (an ipyvue ``click`` event); return the time it was sent."""
        return await self.event(model_id, "click")

    async def event(self, model_id: str, name: str, data: Any = None) -> float:
        """Send the ipyvue event ``name`` of a widget; return the time it was sent."""
        content = {"event": name, "data": data if data is not None else {}}
        return await self._comm(model_id, {"method": "custom", "content": content})

    async def set(self, model_id: str, **state: Any) -> float:
        """Set traits of a widget as the page does (``update``); return the time it was sent."""
        self.widgets.get(model_id, {}).update(state)
        return await self._comm(model_id, {"method": "update", "state": state, "buffer_paths": []})

    async def wait(self, predicate: Callable[[], bool], timeout: float) -> float:
        """Wait until ``predicate()`` holds after a message; return when that message came.

        The time is :func:`time.perf_counter` taken as the message was read, before any other
        client of the loop runs, so it does not include the driver's own scheduling.

        Raises:
            TimeoutError: not within ``timeout`` seconds.
            PageClosedError: the websocket closed first.
        """
        if self.closed:
            raise PageClosedError(self.url)
        if predicate():
            return time.perf_counter()
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(entry)

    # --- plumbing -------------------------------------------------------------------------
    async def _send(self, msg_type: str, content: dict[str, Any]) -> float:
        if self.closed:
            raise PageClosedError(self.url)
        t = time.perf_counter()
        try:
            await self._ws.send(_message(msg_type, content, self._session))
        except Exception as exc:
            self.closed = True
            raise PageClosedError(self.url) from exc
        return t

    async def _comm(self, model_id: str, data: dict[str, Any]) -> float:
        return await self._send("comm_msg", {"comm_id": model_id, "data": data})

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                now = time.perf_counter()
                self._apply(decode_message(raw))
                self.messages += 1
                for predicate, future in list(self._waiters):
                    if not future.done() and predicate():
                        future.set_result(now)
        except Exception:  # a dropped connection ends the page like a closed socket
            pass
        finally:
            self.closed = True
            for _, future in self._waiters:
                if not future.done():
                    future.set_exception(PageClosedError(self.url))
            if self._root is not None and not self._root.done():
                self._root.set_exception(PageClosedError(self.url))

    def _apply(self, msg: dict[str, Any]) -> None:
        kind = msg.get("header", {}).get("msg_type")
        content = msg.get("content", {})
        comm = content.get("comm_id")
        if kind == "comm_open" and content.get("target_name") == "jupyter.widget":
            self.widgets[comm] = dict(content.get("data", {}).get("state", {}))
        elif kind == "comm_msg" and comm == self._control:
            data = content.get("data", {})
            if data.get("method") == "finished" and self._root and not self._root.done():
                self._root.set_result(str(data.get("widget_id")))
        elif kind == "comm_msg" and comm in self.widgets:
            data = content.get("data", {})
            if data.get("method") in ("update", "echo_update"):
                self.widgets[comm].update(data.get("state", {}))
        elif kind == "comm_close":
            self.widgets.pop(comm, None)
