"""End to end: the app in Debian's headless chromium, offline, driven by Playwright."""

from __future__ import annotations

import os
import time

import pytest

pytest.importorskip("playwright.sync_api")
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import sync_playwright

from collabsim.app.browser import (
    choose,
    chromium_path,
    is_local,
    launch,
    reset,
    save_png,
    serve,
    step,
    step_count,
    switch,
    wait_rendered,
)
from collabsim.params import PARAMS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

IN_CI = os.environ.get("COLLABSIM_CI") == "1"


@pytest.fixture(scope="module")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        if IN_CI:
            pytest.fail("chromium is missing in CI: .ci/run should have installed it with apt-get")
        pytest.skip("no system chromium (install it with: apt-get install -y chromium)")
    return path


def test_is_local() -> None:
    assert is_local("http://127.0.0.1:8765/_solara/cdn/x.js")
    assert is_local("http://localhost:1/")
    assert is_local("blob:http://127.0.0.1:8765/abc")
    assert not is_local("https://cdn.jsdelivr.net/npm/x.js")
    assert not is_local("http://127.0.0.2.example.com/")


def _shot(page, index: int) -> bytes:
    return page.locator("img.widget-image").nth(index).screenshot()


def test_app_end_to_end_offline(chromium: str, tmp_path) -> None:
    t0 = time.perf_counter()
    with serve() as (url, started), sync_playwright() as pw:
        browser = launch(pw, chromium)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            wait_rendered(page, images=3)
            assert step_count(page) == 0
            opening = _shot(page, 0)
            page.locator(".v-input", has_text="Navigator").first.hover()  # levers explain
            page.get_by_text(PARAMS["navigator"].description).wait_for()

            # a scenario and a slider: the levers follow the scenario, Reset applies both
            choose(page, "Scenario", "hartford")
            page.get_by_text("Settings changed").wait_for()
            thumb = page.locator(".v-input", has_text="Turnover rate").locator(
                ".v-slider__thumb-container"
            )
            thumb.focus()
            for _ in range(10):  # hartford's 0.15 per year, plus 10 x 0.01
                page.keyboard.press("ArrowRight")
            # On a loaded machine the last key presses can reach the server after a Reset; the
            # banner then (rightly) says the settings changed again, and a second Reset applies
            # them. Three attempts at most: the banner must go once nothing is pending.
            for attempt in range(3):
                page.get_by_role("button", name="Reset").click()
                page.get_by_text("A: hartford").first.wait_for()
                try:
                    page.get_by_text("Settings changed").wait_for(state="detached", timeout=10_000)
                    break
                except PlaywrightTimeoutError:
                    if attempt == 2:
                        raise
            wait_rendered(page, images=3)
            network0, plots0, triangle0 = (_shot(page, i) for i in range(3))
            assert network0 != opening, "the network did not change with the scenario"

            page.get_by_role("button", name="4", exact=True).click()  # 4 weeks per step
            assert step(page) == 4
            assert step(page) == 8  # waits until every plot image was replaced
            wait_rendered(page, images=3)
            assert page.get_by_text("A: week 8 of 156").count() == 1
            network1, plots1, triangle1 = (_shot(page, i) for i in range(3))
            assert network1 != network0, "the network view did not change"
            assert plots1 != plots0, "the outcome plots did not change"
            assert triangle1 != triangle0, "the triangle did not change"
            shot = save_png(page, tmp_path / "app.png")
            assert shot.stat().st_size > 10_000

            # side by side: run B appears beside A and steps with it
            switch(page, "Run B beside A")
            reset(page, images=4)
            assert step(page) == 4  # still 4 weeks per step
            assert page.get_by_text("B: week 4 of 156").count() == 1
            # the slider's value reached the model: A shows it, B the contrasting value
            assert page.get_by_text("A: hartford, turnover rate = 0.25").count() >= 1
            assert page.get_by_text("B: turnover rate = 0.75").count() >= 1
        finally:
            browser.close()
    outside = sorted({u for u in requests if not is_local(u)})
    assert not outside, f"requests left localhost: {outside[:5]}"
    assert len(requests) > 10
    # Solara's JavaScript and CSS came from the bundled assets, served by the app itself
    assert any("/_solara/cdn/" in u for u in requests)
    print(f"\napp ready in {started:.1f} s; e2e {time.perf_counter() - t0:.1f} s; {shot}")
