"""Drive the app in Debian's headless chromium: for the end-to-end test and the screenshots.

:func:`serve` starts ``collabsim app`` on a free local port and yields its address;
:func:`launch` starts the system chromium (never a downloaded browser) through Playwright with
the flags that keep it from reaching the network by itself; :func:`wait_rendered` waits until
the page has really drawn (loader gone, Step button shown, every plot image loaded, no
transition under way). Flags and readiness conditions were verified on this project's machine
(Debian chromium, headless, offline).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM_ARGS",
    "SMALL_TEXT_JS",
    "choose",
    "chromium_path",
    "figure_scales",
    "is_local",
    "launch",
    "reset",
    "save_png",
    "scrolls",
    "serve",
    "small_text",
    "step",
    "step_count",
    "switch",
    "wait_rendered",
]

#: Chromium flags: headless, and no traffic of its own (DNS included) beyond localhost.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
)
_READY = re.compile(r"ready at (http://\S+)")


def chromium_path() -> str | None:
    """Path of the system chromium, or None when it is not installed."""
    for candidate in (shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def is_local(url: str) -> bool:
    """True for a URL that stays on this machine (localhost, 127.0.0.1, blob: and data:)."""
    if url.startswith(("blob:", "data:", "about:")):
        return True
    m = re.match(r"^[a-z]+://(\[[^\]]+\]|[^/:]+)", url)
    return bool(m) and m.group(1) in ("localhost", "127.0.0.1", "[::1]")


@contextlib.contextmanager
def serve(
    scenario: str | None = None,
    seed: int | None = None,
    timeout: float = 90.0,
    extra: tuple[str, ...] = (),
    pid: list[int] | None = None,
) -> Iterator[tuple[str, float]]:
    """Run ``collabsim app --port 0`` and yield ``(url, seconds to ready)``; stop it after.

    Args:
        scenario: Scenario the page opens with.
        seed: Seed the page opens with.
        timeout: Seconds to wait for the address.
        extra: More arguments of ``collabsim app`` (e.g. ``("--workshop", "--join-code",
            "123456")``).
        pid: If given, the server's process id is appended to it (to measure its memory).

    Raises:
        RuntimeError: the app did not print its address within ``timeout`` seconds.
    """
    cmd = [sys.executable, "-m", "collabsim.cli", "app", "--port", "0", *extra]
    if scenario is not None:
        cmd += ["--scenario", scenario]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    lines: list[str] = []
    found: list[str] = []
    if pid is not None:
        pid.append(proc.pid)
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:  # keep draining so the server never blocks on a full pipe
            lines.append(line)
            m = _READY.search(line)
            if m and not found:
                found.append(m.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(timeout)
        if not found:
            raise RuntimeError("collabsim app did not start:\n" + "".join(lines[-30:]))
        yield found[0], time.perf_counter() - t0
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        reader.join(5)


def launch(playwright: Any, executable: str | None = None) -> Any:
    """Launch the system chromium headless through Playwright (no browser download)."""
    path = executable or chromium_path()
    if path is None:
        raise RuntimeError("chromium is not installed (apt-get install -y chromium)")
    return playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))


def wait_rendered(page: Any, images: int, timeout_ms: float = 30_000) -> None:
    """Wait until the page shows the Step button and ``images`` loaded plot images, at rest.

    At rest also means: the figures were drawn for this window's size (the page reports the
    size it laid out for in a hidden ``.collabsim-size`` element), and every figure has the
    natural size of its cell.
    """
    page.wait_for_selector("#loader-container", state="detached", timeout=timeout_ms)
    page.get_by_role("button", name="Step").wait_for(timeout=timeout_ms)
    page.wait_for_function(
        """n => {
            const im = [...document.querySelectorAll('img.widget-image')];
            const size = document.querySelector('.collabsim-size');
            const [win, fig] = size ? size.textContent.split(' ') : ['', '0'];
            const sized = !size || (win ===
                `${Math.max(window.innerWidth, 1024)}x${Math.max(window.innerHeight, 600)}`
                && im.every(i => i.naturalWidth === Number(fig)));
            return sized && im.length === n && im.every(i => i.complete && i.naturalWidth > 0)
                && !document.querySelector('[class*="solara-transition-"]');
        }""",
        arg=images,
        timeout=timeout_ms,
    )


def step_count(page: Any, run: int = 0) -> int:
    """The week on run ``run``'s monitor (0 is A, 1 is B)."""
    text = page.locator(".collabsim-monitors").nth(run).locator(".collabsim-monitor-value").first
    return int(text.inner_text())


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label``."""
    page.locator(".v-select", has_text=label).click()
    page.locator(
        ".v-menu__content.menuable__content__active .v-list-item", has_text=option
    ).first.click()


def switch(page: Any, label: str, on: bool = True) -> None:
    """Turn the switch labelled ``label`` on (or off)."""
    box = page.locator(".v-input", has_text=label).locator("input")
    for _ in range(3):
        if box.is_checked() == on:
            return
        box.click(force=True)
        page.wait_for_timeout(1500)  # let the server's answer come back (it may reset it)
    if box.is_checked() != on:
        raise RuntimeError(f"the switch {label!r} did not turn {'on' if on else 'off'}")


#: Text elements whose computed font size is under ``min_px`` (visible ones only), as
#: ``[tag, class, px, text]``; CSS transforms of an element and its parents are applied.
SMALL_TEXT_JS = """min_px => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.bottom < 0 || r.top > innerHeight) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.opacity === '0') continue;
    let px = parseFloat(st.fontSize);
    for (let e = el; e; e = e.parentElement) {
      const t = getComputedStyle(e).transform;
      if (t && t !== 'none') {
        const m = t.match(/matrix\\(([^,]+)/);
        if (m) px *= parseFloat(m[1]);
      }
    }
    if (px < min_px - 0.01) out.push([el.tagName, String(el.className), px,
      own.map(n => n.textContent.trim()).join(' ').slice(0, 40)]);
  }
  return out;
}"""


def small_text(page: Any, min_px: float = 14.0) -> list[list]:
    """Visible texts of the page smaller than ``min_px`` pixels (see :data:`SMALL_TEXT_JS`)."""
    return page.evaluate(SMALL_TEXT_JS, min_px)


def figure_scales(page: Any) -> list[float]:
    """Displayed width over natural width of every figure (1: drawn at its shown size)."""
    return page.eval_on_selector_all(
        "img.widget-image", "ims => ims.map(i => i.getBoundingClientRect().width / i.naturalWidth)"
    )


def scrolls(page: Any) -> bool:
    """True when the page itself scrolls (its content is larger than the window)."""
    return page.evaluate(
        """() => document.documentElement.scrollHeight > innerHeight + 1
            || document.documentElement.scrollWidth > innerWidth + 1"""
    )


def reset(page: Any, images: int) -> None:
    """Press Reset and wait for the new run: week 0, nothing pending, ``images`` plots drawn."""
    page.get_by_role("button", name="Reset").click()
    page.get_by_text("press Reset to apply").wait_for(state="detached")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.collabsim-monitors')].every(
            m => m.querySelector('.collabsim-monitor-value').textContent === '0')"""
    )
    wait_rendered(page, images=images)


def step(page: Any, times: int = 1) -> int:
    """Press Step ``times`` times, waiting each time until the page has fully redrawn.

    Redrawn means the counter moved and every plot image was replaced (a redrawn plot is a new
    ``blob:`` URL). Returns the counter.
    """
    for _ in range(times):
        before = step_count(page)
        sources = page.eval_on_selector_all("img.widget-image", "ims => ims.map(i => i.src)")
        page.get_by_role("button", name="Step").click()
        page.wait_for_function(
            """([n, old]) => {
                const w = document.querySelector('.collabsim-monitors .collabsim-monitor-value');
                const ims = [...document.querySelectorAll('img.widget-image')];
                return w && Number(w.textContent) > n && ims.length === old.length
                    && ims.every(i => !old.includes(i.src) && i.complete && i.naturalWidth > 0);
            }""",
            arg=[before, sources],
        )
    return step_count(page)


def save_png(page: Any, path: Path, **kwargs: Any) -> Path:
    """Screenshot ``page`` to ``path`` (PNG) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), **kwargs)
    return path
