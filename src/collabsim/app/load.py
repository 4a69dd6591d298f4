"""A room of participants in real browser contexts: the workshop mode's load and safety test.

:func:`run_load` starts ``collabsim app --workshop`` on loopback, opens ``sessions`` browser
contexts of Debian's headless chromium (one per participant, each with its own cookies and
so its own server session), names each table, gives every other table a navigator, and then
has every participant press Step once a second for ``seconds`` seconds (Reset when its run has
ended). Each press is timed in the page, from the click to the moment the week on the
participant's monitor changes. The server's memory (resident set of the server processes) is
sampled all along. At the end it checks isolation (each page still shows its own table and
choices; the facilitator's table lists every table with its own choices) and the join code
(without it, or with a wrong one, the facilitator's page shows nothing of the room).

Used by ``tests/test_app_load.py`` (short, in CI) and ``make load-test`` (40 sessions, three
minutes). Bounded in count and time: at most :data:`MAX_SESSIONS` sessions.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["MAX_SESSIONS", "LoadResult", "run_load"]

#: Sessions a load run opens at most.
MAX_SESSIONS = 60
_JOIN_CODE = "739104"

# Click Step (or Reset once the run has ended) and resolve with the milliseconds until the
# monitor's week changes (-1 after 10 s).
_CLICK_JS = """
() => new Promise((resolve) => {
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
  setTimeout(() => finish(-1), 10000);
  btn.click();
})
"""


@dataclass
class LoadResult:
    """What a load run measured.

    Attributes:
        sessions: Participant sessions opened.
        seconds: Seconds of stepping.
        clicks: Clicks timed (Step and Reset).
        failures: Clicks that got no update within 10 s, plus page errors.
        p50_ms, p95_ms, max_ms: Click-to-update times.
        rss_mb: Server memory samples (MB) over time.
        rss_start_mb, rss_joined_mb, rss_peak_mb, rss_end_mb: Memory before the room joined,
            once everyone had joined, at its peak and at the end.
        isolated: Every page kept its own table and choices, and the facilitator listed each.
        code_required: The facilitator's page showed nothing without the code or with a
            wrong one, and the room with the right one.
        lost_sessions: Sessions whose page lost its table (no monitor) by the end.
        server_cpu_s, browser_cpu_s: CPU seconds the server and chromium used while stepping.
        load_before, load_after: The machine's 1-minute load average before and after.
        notes: Problems seen.
    """

    sessions: int
    seconds: float
    clicks: int = 0
    failures: int = 0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    rss_mb: list[float] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_joined_mb: float = 0.0
    rss_peak_mb: float = 0.0
    rss_end_mb: float = 0.0
    isolated: bool = False
    code_required: bool = False
    lost_sessions: int = 0
    server_cpu_s: float = 0.0
    browser_cpu_s: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0
    notes: list[str] = field(default_factory=list)

    def to_json(self, path: Path) -> None:
        """Write the result as JSON (atomically)."""
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2))
        tmp.replace(path)


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its children."""
    import psutil

    try:
        root = psutil.Process(pid)
        total = 0.0
        for p in [root, *root.children(recursive=True)]:
            t = p.cpu_times()
            total += t.user + t.system
        return total
    except psutil.Error:
        return float("nan")


def _chromium_cpu_s() -> float:
    """CPU seconds of every chromium process started under this one."""
    import psutil

    total = 0.0
    for p in psutil.Process().children(recursive=True):
        try:
            if "chrom" in p.name().lower():
                t = p.cpu_times()
                total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _rss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in procs) / 1e6
    except psutil.Error:
        return float("nan")


async def _join(browser: Any, url: str, i: int) -> Any:
    context = await browser.new_context(viewport={"width": 800, "height": 600})
    page = await context.new_page()
    await page.goto(url)
    await page.get_by_role("button", name="Step").wait_for(timeout=120_000)
    box = page.get_by_label("Your table's name")
    await box.fill(f"table {i:02d}")
    await box.press("Enter")
    if i % 2:  # every other table takes a navigator, then starts again with it
        await page.locator(".v-input", has_text="2. Navigator").locator("input").click(force=True)
        await page.get_by_text("2. Navigator: on").wait_for()
        await page.get_by_role("button", name="Reset").click()
        await page.get_by_text("press Reset").wait_for(state="detached")
    await page.locator(".collabsim-monitor-run", has_text=f"table {i:02d}").wait_for()
    return page


async def _participant(page: Any, stop_at: float, offset: float, out: list, fails: list) -> None:
    await asyncio.sleep(offset)
    next_click = time.monotonic()
    while time.monotonic() < stop_at:
        try:
            action, ms = await page.evaluate(_CLICK_JS)
        except Exception as exc:  # a page that errors is a failure, counted, not fatal
            fails.append(repr(exc)[:200])
        else:
            if ms < 0:
                fails.append(f"no update within 10 s after {action}")
            else:
                out.append(ms)
        next_click += 1.0
        await asyncio.sleep(max(0.0, next_click - time.monotonic()))


async def _facilitator_checks(browser: Any, url: str, n: int, res: LoadResult) -> None:
    page = await (await browser.new_context()).new_page()
    await page.goto(url + "facilitator")
    box = page.get_by_label("Join code")
    await box.wait_for(timeout=60_000)
    hidden = await page.locator(".collabsim-room").count() == 0
    await box.fill("000000")
    await box.press("Enter")
    await page.get_by_text("not the join code").wait_for()
    hidden = hidden and await page.locator(".collabsim-room").count() == 0
    await box.fill(_JOIN_CODE)
    await box.press("Enter")
    await page.locator(".collabsim-room").wait_for()
    res.code_required = hidden
    rows = await page.locator(".collabsim-table-row").all_inner_texts()
    names = {f"table {i:02d}": i for i in range(n)}
    seen = {}
    for row in rows:
        cells = row.split("\t")
        if cells and cells[0].strip() in names:
            seen[cells[0].strip()] = cells
    ok = len(seen) == n
    for name, i in names.items():
        cells = seen.get(name)
        if cells is None or (cells[2].strip() == "on") != bool(i % 2):
            ok = False
            res.notes.append(f"facilitator row of {name}: {cells}")
    res.isolated = res.isolated and ok


async def _run(sessions: int, seconds: float, chromium: str | None, seed: int) -> LoadResult:
    from playwright.async_api import async_playwright

    from collabsim.app.browser import CHROMIUM_ARGS, chromium_path, serve

    res = LoadResult(sessions=sessions, seconds=seconds)
    pid: list[int] = []
    extra = ("--workshop", "--join-code", _JOIN_CODE)
    with serve(seed=seed, extra=extra, timeout=120, pid=pid) as (url, _):
        res.rss_start_mb = _rss_mb(pid[0])
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=chromium or chromium_path(), args=list(CHROMIUM_ARGS)
            )
            try:
                pages = []
                for i in range(sessions):  # join one by one, as a room does
                    pages.append(await _join(browser, url, i))
                res.rss_joined_mb = _rss_mb(pid[0])
                times: list[float] = []
                fails: list[str] = []
                res.load_before = round(os.getloadavg()[0], 1)
                server0 = _cpu_s(pid[0])
                browser0 = _chromium_cpu_s()
                stop_at = time.monotonic() + seconds

                async def sample() -> None:
                    while time.monotonic() < stop_at:
                        res.rss_mb.append(round(_rss_mb(pid[0]), 1))
                        await asyncio.sleep(5)

                await asyncio.gather(
                    sample(),
                    *(
                        _participant(p, stop_at, i / sessions, times, fails)
                        for i, p in enumerate(pages)
                    ),
                )
                res.rss_end_mb = _rss_mb(pid[0])
                res.load_after = round(os.getloadavg()[0], 1)
                res.server_cpu_s = round(_cpu_s(pid[0]) - server0, 1)
                res.browser_cpu_s = round(_chromium_cpu_s() - browser0, 1)
                res.rss_peak_mb = max([res.rss_end_mb, *res.rss_mb])
                res.clicks = len(times) + len(fails)
                res.failures = len(fails)
                res.notes.extend(sorted(set(fails))[:5])
                if times:
                    q = statistics.quantiles(times, n=20, method="inclusive")
                    res.p50_ms = round(statistics.median(times), 1)
                    res.p95_ms = round(q[18], 1)
                    res.max_ms = round(max(times), 1)
                # isolation: every page still shows its own table and its own navigator choice
                res.isolated = True
                for i, page in enumerate(pages):
                    monitor = page.locator(".collabsim-monitor-run", has_text=f"table {i:02d}")
                    if await monitor.count() != 1:
                        res.lost_sessions += 1
                        res.isolated = False
                        continue
                    nav = await page.get_by_text("2. Navigator: on").count()
                    if bool(nav) != bool(i % 2):
                        res.isolated = False
                        res.notes.append(f"table {i:02d} shows another navigator choice")
                await _facilitator_checks(browser, url, sessions, res)
            finally:
                await browser.close()
    return res


def run_load(
    sessions: int = 40, seconds: float = 180.0, *, chromium: str | None = None, seed: int = 346
) -> LoadResult:
    """Drive ``sessions`` participants stepping once a second for ``seconds`` seconds.

    Raises:
        ValueError: ``sessions`` is not in [1, :data:`MAX_SESSIONS`] or ``seconds`` not in
            (0, 900].
    """
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions = {sessions!r} is not valid: expected 1 to {MAX_SESSIONS}")
    if not 0 < seconds <= 900:
        raise ValueError(f"seconds = {seconds!r} is not valid: expected (0, 900]")
    return asyncio.run(_run(sessions, seconds, chromium, seed))


if __name__ == "__main__":  # python -m collabsim.app.load [SESSIONS] [SECONDS] [OUT.json]
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    s = float(sys.argv[2]) if len(sys.argv) > 2 else 180.0
    result = run_load(n, s)
    summary = {k: v for k, v in asdict(result).items() if k != "rss_mb"}
    print(json.dumps(summary, indent=2))
    if len(sys.argv) > 3:
        result.to_json(Path(sys.argv[3]))
