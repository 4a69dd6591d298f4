"""The ``collabsim app`` and ``collabsim animate`` commands (registered in ``collabsim.cli``).

``collabsim app`` serves the trainers' page with Solara on localhost, fully offline: Solara's
JavaScript and CSS come from the bundled ``solara-assets`` package, the CDN setting points at a
dead local port so that a missing asset fails loudly instead of reaching out, and telemetry is
off. It prints the address once the page answers. ``collabsim animate`` writes a run's network
and curves to an animated GIF for slides.

This module imports neither Solara nor matplotlib at import time: ``collabsim`` builds every
sub-command's parser on each call.
"""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "FAST_ENV",
    "OFFLINE_ENV",
    "QUIET_ENV",
    "add_parser",
    "app_env",
    "cmd_animate",
    "cmd_app",
    "cmd_snapshot",
    "free_port",
]

#: Environment that keeps the Solara server offline (no telemetry, bundled assets).
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_PROXY": "true",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/",
    # no "This website runs on Solara" banner over the content, no branded loader
    "SOLARA_THEME_SHOW_BANNER": "false",
    "SOLARA_THEME_LOADER": "plain",
}
#: Environment that keeps a trainer's terminal free of developer warnings (Mesa 3.3.1's own
#: components trip Solara's hook checker; Solara warns about cookies on plain http).
QUIET_ENV: dict[str, str] = {
    "SOLARA_CHECK_HOOKS": "off",
    "PYTHONWARNINGS": "ignore:Cookies with samesite=none",
}
#: Environment that makes each redraw cheap: reacton's fast renderer (its documented opt-in,
#: ``REACTON_FAST=1``) skips the parts of the page whose state did not change, instead of
#: walking the whole page at every Step. A participant's Step cost the server 4.9 ms of
#: rendering with the default renderer and 1.2 ms with this one (the lever panel, which a Step
#: does not change, was most of the walk). ``REACTON_FAST=0`` in the environment turns it off.
FAST_ENV: dict[str, str] = {"REACTON_FAST": "1"}
#: Port the app listens on unless ``--port`` says otherwise.
DEFAULT_PORT = 8765
#: The Solara app module served.
APP_MODULE = "collabsim.app.app"
#: How long a workshop session whose page vanished without closing is kept (Solara's syntax).
WORKSHOP_CULL = "10m"


def add_parser(sub: Any) -> None:
    """Add the ``app`` and ``animate`` sub-commands to ``collabsim``'s sub-parsers."""
    from collabsim.cli_options import positive_int, seed_int

    p = sub.add_parser(
        "app",
        help="serve the trainers' app in the browser (offline, on localhost)",
        description="Serve the trainers' app on localhost and print its address. Works "
        "without internet: every asset is served locally. Ctrl+C stops it.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    p.add_argument(
        "--scenario",
        default=None,
        metavar="CONFIG_OR_SCENARIO",
        help="scenario the page opens with (default baseline)",
    )
    p.add_argument("--seed", type=seed_int, default=None, help="seed the page opens with")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.add_argument(
        "--workshop",
        action="store_true",
        help="workshop mode: every participant's browser gets its own collaboration; the "
        "facilitator's page (/facilitator) needs the join code printed at start",
    )
    p.add_argument(
        "--join-code",
        default=None,
        help="the facilitator's join code (default: a random one, printed at start)",
    )
    p.add_argument(
        "--timeout",
        type=positive_int,
        default=120,
        help="seconds to wait for the server to answer (default 120)",
    )
    p.set_defaults(func=cmd_app)

    p = sub.add_parser(
        "animate",
        help="render a run's network and curves to an animated GIF",
        description="Run one collaboration of a scenario and write its network of people "
        "beside its curves (collective impact, trust, consensus, strategic triangle) to an "
        "animated GIF for slides.",
    )
    p.add_argument("scenario", metavar="CONFIG_OR_SCENARIO")
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE.gif", help="the GIF to write"
    )
    p.add_argument("--seed", type=seed_int, default=2025, help="the run's seed (default 2025)")
    p.add_argument(
        "--steps", type=positive_int, default=None, help="weeks to run (overrides 'weeks')"
    )
    p.add_argument(
        "--every",
        type=positive_int,
        default=None,
        help="weeks between frames (default: at most 60 frames)",
    )
    p.add_argument("--fps", type=_fps, default=6.0, help="frames per second (default 6)")
    p.add_argument(
        "--small",
        action="store_true",
        help="small frames (720 x 375) instead of slide size (1920 x 1080, large text)",
    )
    p.add_argument(
        "--max-edges",
        type=positive_int,
        default=None,
        help="ties drawn at most per frame (default 300)",
    )
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable), e.g. --set turnover_rate=0.3",
    )
    p.set_defaults(func=cmd_animate)

    p = sub.add_parser(
        "snapshot",
        help="write one week of a run as a slide (1920 x 1080, PNG and SVG)",
        description="Run one collaboration of a scenario to a week and write its network "
        "beside its curves as a slide: FILE.png and FILE.svg at 1920 x 1080 with large text.",
    )
    p.add_argument("scenario", metavar="CONFIG_OR_SCENARIO")
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write: FILE.png and FILE.svg (a .png or .svg suffix is replaced)",
    )
    p.add_argument("--seed", type=seed_int, default=2025, help="the run's seed (default 2025)")
    p.add_argument(
        "--week", type=_week, default=None, help="the week shown (default: the run's last)"
    )
    p.add_argument("--small", action="store_true", help="720 x 375 instead of slide size")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a parameter (repeatable), e.g. --set navigator=true",
    )
    p.set_defaults(func=cmd_snapshot)


def _ranged(kind: type, low: float, high: float, what: str) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)`` within ``[low, high]``, else a one-line error."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not valid: expected {what} in [{low:g}, {high:g}]"
            )
        return value

    return parse


_port = _ranged(int, 0, 65535, "a port")
_fps = _ranged(float, 0.1, 50, "a number")
_week = _ranged(int, 0, 2080, "a week")


def free_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _check_port(host: str, port: int) -> None:
    from collabsim.cli_options import UsageError

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror}): choose another with --port"
            ) from None


def app_env(
    scenario: str | None = None,
    seed: int | None = None,
    *,
    workshop: bool = False,
    join_code: str | None = None,
) -> dict[str, str]:
    """The server's environment: :data:`QUIET_ENV`, :data:`FAST_ENV`, ours, :data:`OFFLINE_ENV`.

    Later ones win: this process's environment can change the first two, not the offline one.

    In workshop mode the join code is passed to the server, and a session whose page has gone
    without closing (a laptop lid shut) is let go after :data:`WORKSHOP_CULL` instead of
    Solara's 24 hours, so the server's memory stays bounded.
    """
    env = {**QUIET_ENV, **FAST_ENV, **os.environ, **OFFLINE_ENV}
    env.pop("COLLABSIM_APP_WORKSHOP", None)
    env.pop("COLLABSIM_JOIN_CODE", None)
    if scenario is not None:
        env["COLLABSIM_APP_SCENARIO"] = scenario
    if seed is not None:
        env["COLLABSIM_APP_SEED"] = str(seed)
    if workshop:
        env["COLLABSIM_APP_WORKSHOP"] = "1"
        env["COLLABSIM_JOIN_CODE"] = join_code or new_join_code()
        env.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", WORKSHOP_CULL)
    return env


def new_join_code() -> str:
    """A random join code of six digits (``secrets``, not the model's generator)."""
    return f"{secrets.randbelow(10**6):06d}"


def is_loopback(host: str) -> bool:
    """True when ``host`` only listens on this machine."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _missing_app_extra() -> str | None:
    """The first module of the 'app' extra that is not installed (None when all are).

    Only top-level modules are looked up: ``find_spec("mesa.visualization")`` would import
    Mesa (and with it matplotlib, pandas, Solara...) into this process, which only waits for
    the server, and cost it some 300 MB. Mesa's ``visualization`` folder is looked for on disk.
    """
    for module in ("solara", "solara_assets", "mesa", "ipyvuetify"):
        try:
            spec = importlib.util.find_spec(module)
        except (ModuleNotFoundError, ValueError):
            spec = None
        if spec is None:
            return module
        if module == "mesa" and not any(
            (Path(p) / "visualization" / "__init__.py").is_file()
            for p in spec.submodule_search_locations or []
        ):
            return "mesa.visualization"
    return None


def cmd_app(args: argparse.Namespace) -> int:
    """``collabsim app``: serve the page and print its address once it answers."""
    from collabsim.cli_options import UsageError
    from collabsim.config import load_scenario

    missing = _missing_app_extra()
    if missing:
        raise UsageError(f"the app needs {missing!r} from the 'app' extra: pip install -e '.[app]'")
    if args.scenario is not None:
        load_scenario(args.scenario)  # a bad scenario fails here, in one line
    if not is_loopback(args.host):
        print(
            f"collabsim app: warning: listening on {args.host}, beyond this machine: anyone "
            "on this network can open the app. Use it on a trusted network only.",
            file=sys.stderr,
            flush=True,
        )
    port = args.port or free_port(args.host)
    _check_port(args.host, port)
    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{port}/"
    env = app_env(args.scenario, args.seed, workshop=args.workshop, join_code=args.join_code)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        APP_MODULE,
        "--host",
        args.host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
        "--log-level",
        "warning",
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the server too when asked to stop
    try:
        if not _wait_ready(url, proc, args.timeout):
            code = proc.poll()
            if code is None:
                proc.terminate()
                proc.wait(10)
                raise UsageError(f"the app did not answer at {url} within {args.timeout} s")
            print(f"collabsim app: error: the server stopped with status {code}", file=sys.stderr)
            return 2
        if args.workshop:
            where = url
            if not is_loopback(args.host) and args.host in ("0.0.0.0", "::", ""):
                where = f"http://<this computer's address>:{port}/ (hostname -I prints it)"
            print(
                f"collabsim app: workshop: participants open {where}; the facilitator opens "
                f"{url}facilitator with join code {env['COLLABSIM_JOIN_CODE']}",
                flush=True,
            )
        print(
            f"collabsim app: ready at {url} (started in {time.perf_counter() - t0:.1f} s; "
            "offline; Ctrl+C stops it)",
            flush=True,
        )
        if args.open:
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        print("collabsim app: stopped", file=sys.stderr)
        return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def cmd_animate(args: argparse.Namespace) -> int:
    """``collabsim animate``: write one run of a scenario to an animated GIF."""
    from collabsim.animate import animate, frame_size
    from collabsim.cli_options import UsageError
    from collabsim.config import apply_overrides, load_scenario
    from collabsim.results import check_writable
    from collabsim.views import MAX_EDGES

    out: Path = args.output
    if out.suffix.lower() != ".gif":
        raise UsageError(f"output {str(out)!r} must end in .gif")
    if out.is_dir():
        raise UsageError(f"output {str(out)!r} is a directory: give a file name ending in .gif")
    extra = [*args.overrides, *([f"weeks={args.steps}"] if args.steps else [])]
    sc = apply_overrides(load_scenario(args.scenario), extra)
    check_writable(out.parent if str(out.parent) else Path("."))
    t0 = time.perf_counter()
    n = animate(
        sc.params,
        out,
        seed=args.seed,
        every=args.every,
        fps=args.fps,
        title=sc.name,
        max_edges=args.max_edges or MAX_EDGES,
        size="small" if args.small else "slide",
    )
    w, h = frame_size("small" if args.small else "slide")
    size = out.stat().st_size
    print(
        f"wrote {out}: {n} frames of {w}x{h} px, {size / 1e6:.2f} MB, seed {args.seed} "
        f"({time.perf_counter() - t0:.1f} s)"
    )
    return 0


def cmd_snapshot(args: argparse.Namespace) -> int:
    """``collabsim snapshot``: write one week of a run as a slide (PNG and SVG)."""
    from collabsim.animate import frame_size, snapshot_files
    from collabsim.cli_options import UsageError
    from collabsim.config import apply_overrides, load_scenario
    from collabsim.results import check_writable

    out: Path = args.output
    if out.is_dir():
        raise UsageError(f"output {str(out)!r} is a directory: give a file name")
    stem = out.with_suffix("") if out.suffix.lower() in (".png", ".svg") else out
    sc = apply_overrides(load_scenario(args.scenario), args.overrides)
    weeks = int(sc.resolved()["weeks"])
    if args.week is not None and args.week > weeks:
        raise UsageError(f"--week {args.week} is not valid: expected a week in [0, {weeks}]")
    check_writable(stem.parent if str(stem.parent) else Path("."))
    size = "small" if args.small else "slide"
    paths = snapshot_files(
        sc.params, stem, seed=args.seed, week=args.week, title=sc.name, size=size
    )
    w, h = frame_size(size)
    print(f"wrote {', '.join(str(p) for p in paths)}: {w}x{h} px, seed {args.seed}")
    return 0
