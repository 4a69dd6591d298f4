"""End to end: the app in Debian's headless chromium, offline, driven by Playwright.

Presentation mode at 1280 x 720 and 1920 x 1080 (one screen, no scrolling, text of at least
14 px, figures drawn at the size they are shown), the crash cases, "How typical is this?",
the trainers' scenes and workshop mode. With ``COLLABSIM_SCREENSHOTS=DIR`` the scenes are
saved as PNGs in DIR (``docs/img`` holds the ones docs/trainers.md shows).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

pytest.importorskip("playwright.sync_api")
from PIL import Image
from playwright.sync_api import sync_playwright

from collabsim.app.browser import (
    choose,
    chromium_path,
    figure_scales,
    is_local,
    launch,
    reset,
    scrolls,
    serve,
    small_text,
    step,
    step_count,
    switch,
    wait_rendered,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

IN_CI = os.environ.get("COLLABSIM_CI") == "1"
SHOTS = os.environ.get("COLLABSIM_SCREENSHOTS")
#: The seed of docs/trainers.md (chosen by experiments/trainer_demo_stats.py --pick-seed).
SEED = 547


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("chromium is missing in CI: .ci/run should have installed it with apt-get")
        pytest.skip("no system chromium (install it with: apt-get install -y chromium)")
    return path


@pytest.fixture(scope="module")
def server():
    with serve(seed=SEED) as (url, started):
        yield url


def test_is_local() -> None:
    assert is_local("http://127.0.0.1:8765/_solara/cdn/x.js")
    assert is_local("http://localhost:1/")
    assert is_local("blob:http://127.0.0.1:8765/abc")
    assert not is_local("https://cdn.jsdelivr.net/npm/x.js")
    assert not is_local("http://127.0.0.2.example.com/")


def _shot(page, name: str, tmp_path: Path) -> Path:
    out = Path(SHOTS) if SHOTS else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    page.screenshot(path=str(path))
    with Image.open(path) as im:  # palette PNG: small files in git
        small = im.convert("RGB").quantize(colors=160, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


def _fits(page) -> None:
    """One screen: no page scrolling, nothing cut in the main area, text >= 14 px."""
    assert not scrolls(page), "the page scrolls"
    cut = page.evaluate(
        """() => { const m = document.querySelector('.collabsim-main');
                   return m.scrollHeight - m.clientHeight; }"""
    )
    assert cut <= 1, f"the main area's content is {cut} px taller than the window"
    small = small_text(page, 14.0)
    assert not small, f"text under 14 px: {small[:5]}"
    scales = figure_scales(page)
    # figures carry 11-point text at 96 dpi (14.7 px): shown at >= 95.5% of their size
    assert scales and min(scales) >= 14.0 / (11 * 96 / 72), scales
    assert page.get_by_text("This website runs on").count() == 0
    assert page.get_by_text("Made with").count() == 0


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080)])
def test_presentation_mode_fits_one_screen(chromium, server, tmp_path, width, height) -> None:
    with sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(server)
            wait_rendered(page, images=3)
            widths = page.eval_on_selector_all(
                "img.widget-image", "ims => ims.map(i => i.naturalWidth)"
            )
            _fits(page)
            # big-number monitors, lever names and values, nothing pending
            assert page.locator(".collabsim-monitor-value").count() == 5
            assert page.get_by_text("safety", exact=True).count() == 1  # psychological safety
            for text in ("1. Prior relationships", "3. Community engagement", "Turnover"):
                assert page.get_by_text(text, exact=True).count() == 1
            assert page.get_by_text("15% a year").count() == 1
            assert page.get_by_text("press Reset").count() == 0
            page.get_by_role("button", name="13", exact=True).click()
            assert step(page) == 13
            _fits(page)
            if width == 1280:
                _shot(page, "app-start", tmp_path)
            # A beside B, the same
            switch(page, "Run B beside A")
            page.get_by_text("press Reset to apply").wait_for()
            reset(page, images=3)
            assert step(page) == 13 and step_count(page, 1) == 13
            _fits(page)
        finally:
            browser.close()
    assert min(widths) > (500 if width == 1920 else 280), widths
    outside = sorted({u for u in requests if not is_local(u)})
    assert not outside, f"requests left localhost: {outside[:5]}"
    assert any("/_solara/cdn/" in u for u in requests)


def test_bad_inputs_never_crash_the_page(chromium, server) -> None:
    with sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server)
            wait_rendered(page, images=3)
            seed = page.get_by_label("Seed", exact=True)
            for bad in ("-5", "123456789012345678901234567890", "", "twelve"):
                seed.fill(bad)
                seed.press("Enter")
                page.get_by_text("is not valid").first.wait_for()  # said in place
                page.get_by_role("button", name="Reset").click()
                banner = page.locator(".collabsim-banner")
                banner.get_by_text("Check the settings").wait_for()
                assert page.get_by_text("Traceback").count() == 0
                before = step_count(page)
                assert step(page) == before + 1  # the old run still steps
                page.get_by_role("button", name="Dismiss").click()
                banner.wait_for(state="detached")
            seed.fill("7")
            seed.press("Enter")
            reset(page, images=3)
            assert page.locator(".collabsim-banner").count() == 0
            # Play, then Pause: the page stays alive and the weeks move
            page.get_by_role("button", name="Play").click()
            page.wait_for_function(
                """() => Number(document.querySelector(
                    '.collabsim-monitors .collabsim-monitor-value').textContent) >= 3"""
            )
            page.get_by_role("button", name="Pause").click()
            page.get_by_role("button", name="Play").wait_for()
        finally:
            browser.close()


def test_how_typical_is_this(chromium, server, tmp_path) -> None:
    with sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server)
            wait_rendered(page, images=3)
            page.get_by_role("button", name="13", exact=True).click()
            step(page, 4)
            t0 = time.perf_counter()
            page.get_by_role("button", name="How typical is this?").click()
            page.get_by_text("of 30 runs").wait_for(timeout=120_000)
            took = time.perf_counter() - t0
            wait_rendered(page, images=3)
            page.get_by_text("Running 30 seeds").wait_for(state="detached")
            title = page.get_by_text("of 30 runs").inner_text()
            assert "beats" in title
            _fits(page)
            _shot(page, "app-typical", tmp_path)
        finally:
            browser.close()
    print(f"\ntypical runs shown after {took:.1f} s")


def test_trainers_scenes(chromium, server, tmp_path) -> None:
    """The scenes of docs/trainers.md, click for click, at 1280 x 720."""
    with sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(server)
            wait_rendered(page, images=3)
            page.get_by_role("button", name="13", exact=True).click()
            choose(page, "Scenario", "hartford")
            reset(page, 3)
            assert step(page, 8) == 104
            _fits(page)
            _shot(page, "app-hartford", tmp_path)
            choose(page, "Scenario", "louisville")
            reset(page, 3)
            step(page, 8)
            _shot(page, "app-louisville", tmp_path)
            choose(page, "Scenario", "baseline")
            switch(page, "Run B beside A")
            choose(page, "B differs from A in", "Turnover")
            reset(page, 3)
            step(page, 4)
            assert page.get_by_text("B: turnover rate = 0.75").count() >= 1
            _fits(page)
            _shot(page, "app-turnover", tmp_path)
            choose(page, "B differs from A in", "2. Navigator")
            reset(page, 3)
            step(page, 8)
            assert page.get_by_text("B: navigator = on").count() >= 1
            _shot(page, "app-navigator", tmp_path)
            log = page.locator(".collabsim-log").first.inner_text()
            assert "organization " not in log
        finally:
            browser.close()


def test_workshop_sessions_are_separate_and_the_facilitator_needs_the_code(
    chromium, tmp_path
) -> None:
    code = "246810"
    extra = ("--workshop", "--join-code", code)
    with serve(seed=SEED, extra=extra) as (url, _), sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            tables = []
            for i in range(3):
                page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
                page.goto(url)
                page.get_by_role("button", name="Step").wait_for()
                box = page.get_by_label("Your table's name")
                box.fill(f"<b>table {i}</b>")
                box.press("Enter")
                tables.append(page)
            tables[0].get_by_role("button", name="Play").click()
            tables[1].get_by_role("button", name="Step").click()
            # week 1 (exactly: the safety monitor's value may contain a 1 before the step)
            week = tables[1].locator(".collabsim-monitor-value")
            week.filter(has_text=re.compile(r"^\s*1\s*$")).first.wait_for()
            _shot(tables[1], "app-workshop-participant", tmp_path)

            fac = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            fac.goto(url + "facilitator")
            box = fac.get_by_label("Join code")
            box.wait_for()
            assert fac.locator(".collabsim-room").count() == 0
            box.fill("000000")
            box.press("Enter")
            fac.get_by_text("not the join code").wait_for()
            assert fac.locator(".collabsim-room").count() == 0
            box.fill(code)
            box.press("Enter")
            fac.locator(".collabsim-room").wait_for()
            rows = fac.locator(".collabsim-table-row")
            assert rows.count() == 3
            assert fac.get_by_text("<b>table 2</b>").count() == 1  # shown as text, not HTML
            fac.wait_for_timeout(2500)  # a refresh
            _shot(fac, "app-workshop-facilitator", tmp_path)
            # the playing table's tab closes: its session ends, its run stops, it leaves
            assert "table 0" in rows.first.inner_text()
            assert int(rows.first.locator("td").nth(9).inner_text()) > 0  # it was playing
            tables[0].close(run_before_unload=True)
            tables[0].context.close()
            fac.wait_for_function(
                "() => document.querySelectorAll('.collabsim-table-row').length === 2",
                timeout=30_000,
            )
            assert step_count(tables[2]) == 0  # untouched by the others
        finally:
            browser.close()
