"""A room of participants stepping at once: the workshop mode's load and safety test.

:func:`run_load` starts ``collabsim app --workshop`` on loopback and lets ``sessions``
participants join one by one, as a room does: each opens its own session, names its table
("table 00", "table 01", ...), and every other table turns the navigator on and presses Reset.
The facilitator's page is opened too (in chromium, with the join code) and stays open,
refreshing its room chart, while every participant presses Step once a second for ``seconds``
seconds (Reset when its run has ended). Each press is timed from sending the click to the
moment the week on the participant's monitor changes.

Two kinds of participant:

- ``protocol`` (the default mode): most participants speak the app's own websocket protocol
  (:class:`~collabsim.app.protocol.PageClient`): the page's HTTP request and cookie, the
  kernel websocket, the widgets' messages. A press is timed from sending the click event to
  receiving the widget update that changes the monitor's week. No browser renders these
  pages, so on a small machine the figure is the server's, not the browsers'. The first
  ``browsers`` participants (2 by default) are real chromium pages all the same, so that what
  only a browser shows (each page keeps its own table, the join code) is checked in one.
- ``browser``: every participant is a chromium context (one browser, one context each), timed
  in the page from the click to the DOM change. On a 2-core machine 40 pages use most of the
  CPU themselves, which is what the protocol mode avoids.

The server's memory (resident set of the server's processes) is sampled all along; the CPU
seconds of the server, of the protocol clients and of the browsers, and the machine's load
averages, are recorded. At the end it checks isolation (each participant still shows its own
table and its own navigator choice; the facilitator's table lists every table with its own
choices) and the join code (without it, or with a wrong one, the facilitator's page shows
nothing of the room).

Used by ``tests/test_app_load.py`` (short, in CI) and ``make load-test`` (40 sessions, three
minutes). Bounded in count and time: at most :data:`MAX_SESSIONS` sessions and
:data:`MAX_SECONDS` seconds of stepping, every wait has a time limit, and the server is
stopped at the end whatever happens.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MAX_SECONDS", "MAX_SESSIONS", "MODES", "LoadResult", "run_load"]

#: Sessions a load run opens at most.
MAX_SESSIONS = 60
#: Seconds of stepping a load run lasts at most.
MAX_SECONDS = 900.0
#: How participants are driven: the app's websocket protocol, or a browser each.
MODES = ("protocol", "browser")
#: Seconds of stepping summarised together in :attr:`LoadResult.windows`.
WINDOW_SECONDS = 30.0
#: Seconds a click may wait for its update before it counts as a failure.
CLICK_TIMEOUT = 10.0
_JOIN_CODE = "739104"
_MONITOR = "collabsim-participant-monitor"
_WEEK = re.compile(r'class="collabsim-monitor-value">([^<]*)<')

# Click Step (or Reset once the run has ended) and resolve with the milliseconds until the
# monitor's week changes (-1 after CLICK_TIMEOUT).
_CLICK_JS = """
(timeout) => new Promise((resolve) => {
  const buttons = [...document.querySelectorAll('button')];
  const byName = n => buttons.find(b => b.textContent.trim().toUpperCase() === n);
  let btn = byName('STEP');
  let action = 'step';
  if (!btn || btn.disabled) { btn = byName('RESET'); action = 'reset'; }
  const week = () => {
    const el = document.querySelector('.collabsim-participant-monitor .collabsim-monitor-value');
    return el ? el.textContent : null;
  };
  const before = week();
  const t0 = performance.now();
  let done = false;
  const finish = (ms) => { if (!done) { done = true; obs.disconnect(); resolve([action, ms]); } };
  const obs = new MutationObserver(() => {
    if (week() !== before) finish(performance.now() - t0);
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
  setTimeout(() => finish(-1), timeout);
  btn.click();
})
"""


@dataclass
class LoadResult:
    """What a load run measured.

    Attributes:
        sessions: Participant sessions opened (protocol clients and browser pages).
        seconds: Seconds of stepping.
        mode: ``protocol`` or ``browser`` (see :data:`MODES`).
        browsers: Participants that were chromium pages (the others spoke the protocol).
        clicks: Clicks timed (Step and Reset).
        failures: Clicks that got no update within :data:`CLICK_TIMEOUT`, plus errors.
        p50_ms, p95_ms, max_ms: Click-to-update times of every participant.
        by_driver: The same per kind of participant (``protocol``, ``browser``): clicks,
            failures, p50_ms, p95_ms, max_ms.
        by_action: The same per button (``step``, ``reset``): clicks, p50_ms, p95_ms,
            max_ms.
        windows: The same per :data:`WINDOW_SECONDS` of stepping (start_s, clicks, p50_ms,
            p95_ms, max_ms), to show whether answers slow down as the runs grow.
        rss_mb: Server memory samples (MB), every 5 s while stepping.
        rss_start_mb, rss_joined_mb, rss_peak_mb, rss_end_mb: Memory before the room joined,
            once everyone had joined, at its peak and at the end.
        isolated: Every participant kept its own table and choices, and the facilitator
            listed each.
        code_required: The facilitator's page showed nothing without the code or with a
            wrong one, and the room with the right one.
        lost_sessions: Sessions whose page lost its table (no monitor, or a closed socket).
        server_cpu_s: CPU seconds of the server while stepping.
        client_cpu_s: CPU seconds of this process (the protocol clients) while stepping.
        browser_cpu_s: CPU seconds of chromium and Playwright's driver while stepping.
        cpus: Logical CPUs of the machine (server and clients share them).
        load_before, load_after: The machine's 1, 5 and 15-minute load averages before and
            after stepping.
        join_s: Seconds the room took to join.
        provenance: Version, commit, time and platform (see :func:`collabsim.results.provenance`).
        notes: Problems seen.
    """

    sessions: int
    seconds: float
    mode: str = "protocol"
    browsers: int = 0
    clicks: int = 0
    failures: int = 0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    by_driver: dict[str, dict[str, float]] = field(default_factory=dict)
    by_action: dict[str, dict[str, float]] = field(default_factory=dict)
    windows: list[dict[str, float]] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_joined_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    isolated: bool = False
    code_required: bool = False
    lost_sessions: int = 0
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    browser_cpu_s: float = 0.0
    cpus: int = 0
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)
    join_s: float = 0.0
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_json(self, path: Path) -> None:
        """Write the result as JSON (atomically)."""
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)

    def summary(self) -> str:
        """One paragraph of the figures, for a terminal."""
        parts = [
            f"{self.sessions} sessions ({self.mode}: {self.sessions - self.browsers} protocol, "
            f"{self.browsers} browser) x {self.seconds:.0f} s: {self.clicks} clicks, "
            f"{self.failures} failures, {self.lost_sessions} lost sessions",
            f"click-to-update p50 {self.p50_ms:.0f} ms, p95 {self.p95_ms:.0f} ms, "
            f"max {self.max_ms:.0f} ms",
        ]
        parts += [
            f"{kind}: p50 {d['p50_ms']:.0f} ms, p95 {d['p95_ms']:.0f} ms ({d['clicks']:.0f} clicks)"
            for kind, d in self.by_driver.items()
        ]
        parts += [
            f"{action}: p95 {d['p95_ms']:.0f} ms, max {d['max_ms']:.0f} ms ({d['clicks']:.0f})"
            for action, d in self.by_action.items()
        ]
        parts += [
            f"server memory {self.rss_start_mb:.0f} -> {self.rss_joined_mb:.0f} -> "
            f"peak {self.rss_peak_mb:.0f} -> {self.rss_end_mb:.0f} MB",
            f"CPU s: server {self.server_cpu_s}, protocol clients {self.client_cpu_s}, "
            f"browsers {self.browser_cpu_s} ({self.cpus} CPUs)",
            f"load average {self.load_before} -> {self.load_after}",
        ]
        return "; ".join(parts)


# --- measuring processes ------------------------------------------------------------------
def _tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _cpu(procs: list[Any]) -> float:
    import psutil

    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _browser_procs(server: int) -> list[Any]:
    """Processes started under this one, except the server's: chromium and its driver."""
    import psutil

    skip = {p.pid for p in _tree(server)}
    return [p for p in psutil.Process().children(recursive=True) if p.pid not in skip]


def _own_cpu_s() -> float:
    import psutil

    t = psutil.Process().cpu_times()
    return t.user + t.system


def _rss_mb(pid: int) -> float:
    import psutil

    total = 0
    for p in _tree(pid):
        try:
            total += p.memory_info().rss
        except psutil.Error:
            continue
    return total / 1e6


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _stats(times: list[float]) -> dict[str, float]:
    if not times:
        return {"p50_ms": float("nan"), "p95_ms": float("nan"), "max_ms": float("nan")}
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18] if len(times) > 1 else times[0]
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(max(times), 1),
    }


def _windows(
    times: list[tuple[float, float, str]], start: float, seconds: float
) -> list[dict[str, float]]:
    out = []
    n = max(1, int(-(-seconds // WINDOW_SECONDS)))
    for w in range(n):
        a = start + w * WINDOW_SECONDS
        inside = [ms for t, ms, _ in times if a <= t < a + WINDOW_SECONDS]
        out.append({"start_s": w * WINDOW_SECONDS, "clicks": len(inside), **_stats(inside)})
    return out


# --- participants -------------------------------------------------------------------------
def _name(i: int) -> str:
    return f"table {i:02d}"


class _ProtocolParticipant:
    """A participant speaking the app's websocket protocol."""

    kind = "protocol"

    def __init__(self, url: str, i: int) -> None:
        from collabsim.app.protocol import PageClient

        self.i = i
        self.page = PageClient(url)

    def _monitor(self) -> str:
        key = self.page.by_class(_MONITOR)
        return str(self.page.widgets[key].get("unsafe_innerHTML", "")) if key else ""

    def _week(self) -> str | None:
        m = _WEEK.search(self._monitor())
        return m.group(1) if m else None

    async def join(self, timeout: float) -> None:
        page = self.page
        await page.open(timeout)
        box = page.by_label("Your table's name")
        if box is None:
            raise RuntimeError("no table name box on the participant's page")
        await page.set(box, v_model=_name(self.i))
        await page.event(box, "keyup.enter")
        await page.wait(lambda: _name(self.i) in self._monitor(), timeout)
        if self.i % 2:  # every other table takes a navigator, then starts again with it
            switch = page.by_label("2. Navigator")
            if switch is None:
                raise RuntimeError("no navigator switch on the participant's page")
            await page.set(switch, v_model=True)
            await page.wait(lambda: page.by_label("2. Navigator: on") is not None, timeout)
            await page.wait(lambda: page.button("Reset") is not None, timeout)
            await page.click(page.button("Reset"))
            await page.wait(lambda: not page.has_text("press Reset"), timeout)

    async def click(self) -> tuple[str, float]:
        page = self.page
        step = page.button("Step")
        action = "step"
        if step is None or page.widgets[step].get("disabled") is True:
            step, action = page.button("Reset"), "reset"
        if step is None:
            raise RuntimeError("no Step or Reset button")
        before = self._week()
        sent = await page.click(step)
        try:
            seen = await page.wait(lambda: self._week() != before, CLICK_TIMEOUT)
        except TimeoutError:
            return action, -1.0
        return action, (seen - sent) * 1000

    async def check(self) -> tuple[bool, bool]:
        """(still has its own table, shows its own navigator choice)."""
        page = self.page
        present = not page.closed and _name(self.i) in self._monitor()
        on = page.by_label("2. Navigator: on") is not None
        return present, on == bool(self.i % 2)

    async def close(self) -> None:
        await self.page.close()


class _BrowserParticipant:
    """A participant in a chromium context, timed in the page."""

    kind = "browser"

    def __init__(self, browser: Any, url: str, i: int) -> None:
        self.browser, self.url, self.i = browser, url, i
        self.page: Any = None

    async def join(self, timeout: float) -> None:
        context = await self.browser.new_context(viewport={"width": 800, "height": 600})
        page = self.page = await context.new_page()
        await page.goto(self.url, timeout=timeout * 1000)
        await page.get_by_role("button", name="Step").wait_for(timeout=timeout * 1000)
        box = page.get_by_label("Your table's name")
        await box.fill(_name(self.i))
        await box.press("Enter")
        if self.i % 2:
            await (
                page.locator(".v-input", has_text="2. Navigator").locator("input").click(force=True)
            )
            await page.get_by_text("2. Navigator: on").wait_for(timeout=timeout * 1000)
            await page.get_by_role("button", name="Reset").click()
            await page.get_by_text("press Reset").wait_for(state="detached", timeout=timeout * 1000)
        await page.locator(".collabsim-monitor-run", has_text=_name(self.i)).wait_for(
            timeout=timeout * 1000
        )

    async def click(self) -> tuple[str, float]:
        action, ms = await self.page.evaluate(_CLICK_JS, CLICK_TIMEOUT * 1000)
        return action, ms

    async def check(self) -> tuple[bool, bool]:
        monitor = self.page.locator(".collabsim-monitor-run", has_text=_name(self.i))
        present = await monitor.count() == 1
        on = await self.page.get_by_text("2. Navigator: on").count() > 0
        return present, on == bool(self.i % 2)

    async def close(self) -> None:
        await self.page.context.close()


async def _step_loop(
    who: Any,
    stop_at: float,
    offset: float,
    times: dict[str, list[tuple[float, float, str]]],
    fails: list[str],
) -> None:
    """Press Step (or Reset) once a second until ``stop_at``; record each press.

    A press is recorded as (time answered, milliseconds, ``step`` or ``reset``).
    """
    await asyncio.sleep(offset)
    next_click = time.monotonic()
    while time.monotonic() < stop_at:
        try:
            action, ms = await who.click()
        except Exception as exc:  # a participant that errors is a failure, counted, not fatal
            fails.append(f"{who.kind}: {exc!r}"[:200])
            if getattr(getattr(who, "page", None), "closed", False):
                return  # its socket closed: a lost session, found by the final check
        else:
            if ms < 0:
                fails.append(f"{who.kind}: no update within {CLICK_TIMEOUT:g} s after {action}")
            else:
                times[who.kind].append((time.monotonic(), ms, action))
        next_click += 1.0
        await asyncio.sleep(max(0.0, next_click - time.monotonic()))


# --- the facilitator ----------------------------------------------------------------------
async def _facilitator_open(browser: Any, url: str, res: LoadResult) -> Any:
    """Open the facilitator's page, check the code gate, and leave it open on the room."""
    page = await (await browser.new_context()).new_page()
    await page.goto(url + "facilitator")
    box = page.get_by_label("Join code")
    await box.wait_for(timeout=60_000)
    hidden = await page.locator(".collabsim-room").count() == 0
    await box.fill("000000")
    await box.press("Enter")
    await page.get_by_text("not the join code").wait_for(timeout=30_000)
    hidden = hidden and await page.locator(".collabsim-room").count() == 0
    await box.fill(_JOIN_CODE)
    await box.press("Enter")
    await page.locator(".collabsim-room").wait_for(timeout=30_000)
    res.code_required = hidden
    return page


async def _facilitator_rows(page: Any, n: int, res: LoadResult) -> bool:
    """True when the facilitator lists every table with its own navigator choice."""
    names = {_name(i): i for i in range(n)}
    seen: dict[str, list[str]] = {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # the page refreshes every few seconds
        seen = {}
        for row in await page.locator(".collabsim-table-row").all_inner_texts():
            cells = row.split("\t")
            if cells and cells[0].strip() in names:
                seen[cells[0].strip()] = cells
        if len(seen) == n:
            break
        await asyncio.sleep(1)
    ok = len(seen) == n
    for name, i in names.items():
        cells = seen.get(name)
        if cells is None or (cells[2].strip() == "on") != bool(i % 2):
            ok = False
            res.notes.append(f"facilitator row of {name}: {cells}")
    return ok


def _summarise(
    res: LoadResult,
    times: dict[str, list[tuple[float, float, str]]],
    fails: list[str],
    start: float,
) -> None:
    """Fill ``res``'s click figures: overall, per kind of participant, per window."""
    every = times["protocol"] + times["browser"]
    res.clicks = len(every) + len(fails)
    res.failures = len(fails)
    res.notes.extend(sorted(set(fails))[:5])
    for key, value in _stats([ms for _, ms, _ in every]).items():
        setattr(res, key, value)
    for kind, kind_times in times.items():
        kind_fails = sum(f.startswith(kind) for f in fails)
        if kind_times or kind_fails:
            res.by_driver[kind] = {
                "clicks": len(kind_times) + kind_fails,
                "failures": kind_fails,
                **_stats([ms for _, ms, _ in kind_times]),
            }
    for action in ("step", "reset"):
        pressed = [ms for _, ms, a in every if a == action]
        if pressed:
            res.by_action[action] = {"clicks": len(pressed), **_stats(pressed)}
    res.windows = _windows(every, start, res.seconds)


# --- the run ------------------------------------------------------------------------------
async def _run(
    sessions: int, seconds: float, mode: str, browsers: int, chromium: str | None, seed: int
) -> LoadResult:
    from playwright.async_api import async_playwright

    from collabsim.app.browser import CHROMIUM_ARGS, chromium_path, serve
    from collabsim.results import provenance

    n_browser = sessions if mode == "browser" else min(browsers, sessions)
    res = LoadResult(sessions=sessions, seconds=seconds, mode=mode, browsers=n_browser)
    res.provenance = {**provenance(), "seed": seed}
    res.cpus = os.cpu_count() or 0
    pid: list[int] = []
    extra = ("--workshop", "--join-code", _JOIN_CODE)
    with serve(seed=seed, extra=extra, timeout=120, pid=pid) as (url, _):
        server = pid[0]
        res.rss_start_mb = round(_rss_mb(server), 1)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium or chromium_path(), args=list(CHROMIUM_ARGS)
            )
            room: list[Any] = []
            try:
                t0 = time.monotonic()
                for i in range(sessions):  # join one by one, as a room does
                    who = (
                        _BrowserParticipant(browser, url, i)
                        if i < n_browser
                        else _ProtocolParticipant(url, i)
                    )
                    room.append(who)
                    await who.join(timeout=120)
                res.join_s = round(time.monotonic() - t0, 1)
                facilitator = await _facilitator_open(browser, url, res)
                res.rss_joined_mb = round(_rss_mb(server), 1)
                times: dict[str, list[tuple[float, float, str]]] = {
                    "protocol": [],
                    "browser": [],
                }
                fails: list[str] = []
                res.load_before = _loadavg()
                server0, client0 = _cpu(_tree(server)), _own_cpu_s()
                browser0 = _cpu(_browser_procs(server))
                start = time.monotonic()
                stop_at = start + seconds

                async def sample() -> None:
                    while time.monotonic() < stop_at:
                        res.rss_mb.append(round(_rss_mb(server), 1))
                        await asyncio.sleep(5)

                await asyncio.gather(
                    sample(),
                    *(
                        _step_loop(who, stop_at, i / sessions, times, fails)
                        for i, who in enumerate(room)
                    ),
                )
                res.server_cpu_s = round(_cpu(_tree(server)) - server0, 1)
                res.client_cpu_s = round(_own_cpu_s() - client0, 1)
                res.browser_cpu_s = round(_cpu(_browser_procs(server)) - browser0, 1)
                res.load_after = _loadavg()
                res.rss_end_mb = round(_rss_mb(server), 1)
                res.rss_peak_mb = max([res.rss_end_mb, *res.rss_mb])
                _summarise(res, times, fails, start)
                # isolation: every participant still shows its own table and navigator choice
                res.isolated = True
                for who in room:
                    present, own_choice = await who.check()
                    if not present:
                        res.lost_sessions += 1
                        res.isolated = False
                    elif not own_choice:
                        res.isolated = False
                        res.notes.append(f"{_name(who.i)} shows another navigator choice")
                res.isolated = res.isolated and await _facilitator_rows(facilitator, sessions, res)
            finally:
                for who in room:
                    if who.kind == "protocol":
                        await who.close()
                await browser.close()
    return res


def run_load(
    sessions: int = 40,
    seconds: float = 180.0,
    *,
    mode: str = "protocol",
    browsers: int = 2,
    chromium: str | None = None,
    seed: int = 346,
) -> LoadResult:
    """Drive ``sessions`` participants stepping once a second for ``seconds`` seconds.

    Args:
        sessions: Participants in the room.
        seconds: Seconds of stepping.
        mode: ``protocol`` (participants speak the websocket protocol, except ``browsers``
            chromium pages) or ``browser`` (every participant is a chromium page).
        browsers: Participants that are chromium pages in ``protocol`` mode.
        chromium: Path of chromium (default: the system's).
        seed: The room's seed.

    Raises:
        ValueError: ``sessions`` is not in [1, :data:`MAX_SESSIONS`], ``seconds`` not in
            (0, :data:`MAX_SECONDS`], ``mode`` not in :data:`MODES`, or ``browsers`` not in
            [0, ``sessions``].
    """
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions = {sessions!r} is not valid: expected 1 to {MAX_SESSIONS}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"seconds = {seconds!r} is not valid: expected (0, {MAX_SECONDS:g}]")
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r} is not valid: expected one of {', '.join(MODES)}")
    if not 0 <= browsers <= sessions:
        raise ValueError(f"browsers = {browsers!r} is not valid: expected 0 to {sessions}")
    return asyncio.run(_run(sessions, seconds, mode, browsers, chromium, seed))


if __name__ == "__main__":  # python -m collabsim.app.load [SESSIONS] [SECONDS] [OUT.json] [MODE]
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    s = float(sys.argv[2]) if len(sys.argv) > 2 else 180.0
    m = sys.argv[4] if len(sys.argv) > 4 else "protocol"
    result = run_load(n, s, mode=m)
    print(result.summary())
    if len(sys.argv) > 3:
        result.to_json(Path(sys.argv[3]))
