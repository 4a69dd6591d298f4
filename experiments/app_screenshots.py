"""Screenshots of the trainers' app for docs/trainers.md, taken by the browser tests.

Usage: ``python experiments/app_screenshots.py [OUT_DIR]`` (default ``docs/img``), the same as
``make app-screenshots``. Runs ``tests/test_app_browser.py`` in Debian's headless chromium at
1280 x 720 with ``COLLABSIM_SCREENSHOTS=OUT_DIR``: the tests drive the page as a trainer would
(the scenes of docs/trainers.md, seed 547) and save each scene as a palette PNG. Needs
``apt-get install -y chromium``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def main(out: Path) -> int:
    env = {**os.environ, "COLLABSIM_SCREENSHOTS": str(out)}
    test = Path(__file__).resolve().parents[1] / "tests" / "test_app_browser.py"
    return subprocess.call([sys.executable, "-m", "pytest", "-q", str(test)], env=env)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/img")))
