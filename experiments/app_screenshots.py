"""Screenshots of the trainers' app for docs/trainers.md, made in Debian's headless chromium.

Usage: ``python experiments/app_screenshots.py [OUT_DIR]`` (default ``docs/img``). Starts
``collabsim app`` on a free local port, drives the page as a trainer would (scenario, levers,
side by side, Step) and saves small palette PNGs. Needs ``apt-get install -y chromium``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

from collabsim.app.browser import choose, launch, reset, serve, step, switch, wait_rendered

VIEWPORT = {"width": 1440, "height": 1380}
#: Colours kept in a screenshot (palette PNGs stay well under 300 KB).
COLORS = 160


def shrink(path: Path) -> int:
    """Re-save ``path`` as a palette PNG; return its size in bytes."""
    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=COLORS, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path.stat().st_size


def shoot(page, path: Path, images: int) -> None:
    wait_rendered(page, images=images)
    page.screenshot(path=str(path))
    print(f"{path}: {shrink(path) / 1000:.0f} KB")


#: The seed of docs/trainers.md, chosen by ``experiments/trainer_demo_stats.py --pick-seed``.
SEED = 346


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with serve(seed=SEED) as (url, started), sync_playwright() as pw:
        print(f"app ready in {started:.1f} s at {url}")
        browser = launch(pw)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(url)
        wait_rendered(page, images=3)
        page.wait_for_timeout(1500)  # let the first page's fade-in finish
        shoot(page, out / "app-start.png", 3)

        # scene 1: Hartford, two years (resources, but no entry point, navigator or community)
        choose(page, "Scenario", "hartford")
        reset(page, 3)
        page.get_by_role("button", name="13", exact=True).click()
        step(page, 8)
        shoot(page, out / "app-hartford.png", 3)

        # scene 2: Louisville, the same two years
        choose(page, "Scenario", "louisville")
        reset(page, 3)
        step(page, 8)
        shoot(page, out / "app-louisville.png", 3)

        # scene 3: the baseline with low vs high turnover, one year
        choose(page, "Scenario", "baseline")
        switch(page, "Run B beside A")
        choose(page, "B differs from A in", "Turnover rate")
        reset(page, 4)
        step(page, 4)
        shoot(page, out / "app-turnover.png", 4)

        # scene 4: the baseline without vs with a navigator, two years
        choose(page, "B differs from A in", "Navigator")
        reset(page, 4)
        step(page, 8)
        shoot(page, out / "app-navigator.png", 4)
        browser.close()
    print(f"done in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img"))
