"""Workshop mode: each participant's browser runs its own collaboration; the room is on one page.

``collabsim app --workshop --host 0.0.0.0`` serves this page to the room. A participant's page
(any path but ``/facilitator``) has a table name, the five key actions, entry points and
turnover, Reset / Step / Play, big-number monitors, a small impact curve and the plain-language
log. It is light on purpose (no matplotlib per step), so 40 tables can step every second on a
laptop. Every participant's run uses the room's scenario and seed, so tables differ by their
choices, not by luck.

The facilitator's page (``/facilitator``) asks for the join code that ``collabsim app``
printed at start (:data:`ENV_CODE`); it lists every table's choices and outcomes side by side
and draws a room-level chart of collective impact by the number of key actions taken.

:data:`ROOM` is the one piece of state shared between sessions: a bounded, locked table of
summaries (numbers and a name). A participant can change only its own entry; names are
trimmed and shown escaped; nothing a participant types reaches the file system.
"""

from __future__ import annotations

import hmac
import html
import io
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import solara

from collabsim.app.components import LeverInput, log_html, monitor_html
from collabsim.app.runs import (
    KEY_ACTIONS,
    TrainerRun,
    key_actions_taken,
    lever_label,
    lever_params,
    show_value,
)
from collabsim.params import PARAMS
from collabsim.views import RUN_COLORS

__all__ = [
    "ENV_CODE",
    "MAX_TABLES",
    "PARTICIPANT_LEVERS",
    "ROOM",
    "Room",
    "Table",
    "WorkshopPage",
    "code_ok",
    "room_chart_png",
    "sparkline_svg",
]

#: Environment variable holding the facilitator's join code (set by ``collabsim app``).
ENV_CODE = "COLLABSIM_JOIN_CODE"
#: Tables the room holds at most (a participant beyond this gets a message, not a run).
MAX_TABLES = 200
#: Characters of a table name kept.
NAME_CHARS = 30
#: The levers a participant moves.
PARTICIPANT_LEVERS = (*KEY_ACTIONS, "entry_points", "turnover_rate")
#: Seconds between refreshes of the facilitator's page and between ticks of a participant's play.
REFRESH_SECONDS = 2.0
PLAY_SECONDS = 0.5

_CSS = """
html, body { overflow: auto !important; }
.v-application, .v-application .v-input, .v-application .v-label, .v-application .v-btn,
.v-application input, .v-application .v-select__selection { font-size: 15px !important; }
.v-application .v-label--active { transform: translateY(-20px) scale(1) !important; }
.collabsim-ws { padding: 10px 16px; max-width: 1100px; }
.collabsim-monitors { display: flex; gap: 10px; padding-left: 8px; }
.collabsim-monitor-run { font-size: 16px; font-weight: 700; flex: 1.4 1 0; }
.collabsim-monitor-state { font-size: 14px; font-weight: 400; color: #374151; }
.collabsim-monitor { flex: 1 1 0; text-align: center; }
.collabsim-monitor-value { font-size: 32px; font-weight: 700; color: #111827; }
.collabsim-monitor-label { font-size: 14px; color: #374151; }
.collabsim-log { width: 100%; border-collapse: collapse; font-size: 15px; }
.collabsim-log td { padding: 1px 6px; vertical-align: top; }
.collabsim-badge { color: white; border-radius: 8px; padding: 0 6px; font-size: 14px;
  white-space: nowrap; }
.collabsim-room { border-collapse: collapse; font-size: 15px; }
.collabsim-room td, .collabsim-room th { padding: 2px 8px; border-bottom: 1px solid #e5e7eb; }
.collabsim-lever-head { display: flex; justify-content: space-between; font-size: 15px; }
.collabsim-lever-value { font-weight: 700; color: #1f4e9c; }
"""


@dataclass
class Table:
    """One participant's table as the facilitator sees it (numbers and a name only)."""

    name: str
    levers: dict[str, Any]
    week: int = 0
    wins: int = 0
    learning: int = 0
    blame: int = 0
    impact: float = 0.0
    dissolved: bool = False
    away: bool = False
    updated: float = field(default_factory=time.monotonic)

    @property
    def key_actions(self) -> int:
        """Key actions this table takes (see :data:`~collabsim.app.runs.KEY_ACTIONS`)."""
        return key_actions_taken(self.levers)


class Room:
    """Every table of the workshop, keyed by session, bounded and thread-safe."""

    def __init__(self, limit: int = MAX_TABLES) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._tables: dict[str, Table] = {}
        self._alive: dict[str, Callable[[], bool]] = {}

    def join(
        self,
        key: str,
        name: str,
        levers: dict[str, Any],
        alive: Callable[[], bool] | None = None,
    ) -> bool:
        """Add (or rename) table ``key``; False when the room is full.

        ``alive`` tells whether the table's browser page is still connected (a table whose
        page went away is listed as away until its session closes).
        """
        with self._lock:
            if key not in self._tables and len(self._tables) >= self.limit:
                return False
            if alive is not None:
                self._alive[key] = alive
            old = self._tables.get(key)
            table = Table(clean_name(name), dict(levers))
            if old is not None:
                table.week, table.wins, table.impact = old.week, old.wins, old.impact
            self._tables[key] = table
            return True

    def update(self, key: str, run: TrainerRun, name: str) -> None:
        """Record table ``key``'s run after a step or a reset."""
        n = run.numbers(0)
        levers = {k: run.a.params[k] for k in PARTICIPANT_LEVERS}
        with self._lock:
            if key not in self._tables:
                if len(self._tables) >= self.limit:
                    return
            self._tables[key] = Table(
                clean_name(name),
                levers,
                week=n["week"],
                wins=n["wins"],
                learning=n["learning"],
                blame=n["blame"],
                impact=n["impact"],
                dissolved=n["perished"],
            )

    def leave(self, key: str) -> None:
        """Remove table ``key`` (its session closed)."""
        with self._lock:
            self._tables.pop(key, None)
            self._alive.pop(key, None)

    def tables(self) -> list[Table]:
        """A copy of every table, by name (``away`` set for pages that went away)."""
        with self._lock:
            items = list(self._tables.items())
            alive = dict(self._alive)
        out = []
        for key, t in items:
            copy = Table(**{**t.__dict__, "levers": dict(t.levers)})
            probe = alive.get(key)
            copy.away = probe is not None and not probe()
            out.append(copy)
        return sorted(out, key=lambda t: t.name)

    def __len__(self) -> int:
        with self._lock:
            return len(self._tables)


#: The room of this server process (shared by every session on purpose).
ROOM = Room()


def clean_name(name: Any) -> str:
    """A table name: printable characters only, trimmed to :data:`NAME_CHARS`."""
    text = "".join(ch for ch in str(name or "") if ch.isprintable()).strip()
    return text[:NAME_CHARS] or "unnamed table"


def code_ok(typed: str | None, code: str | None = None) -> bool:
    """True when ``typed`` is the facilitator's join code (compared in constant time)."""
    code = code if code is not None else os.environ.get(ENV_CODE, "")
    if not code or not typed:
        return False
    return hmac.compare_digest(typed.strip().encode(), code.encode())


def sparkline_svg(values: np.ndarray, weeks: int, color: str, width: int = 520) -> str:
    """A small SVG line of ``values`` over ``weeks`` weeks (collective impact so far)."""
    h = 90
    top = max(1.0, float(np.max(values)) if len(values) else 1.0) * 1.1
    xs = np.arange(len(values)) / max(1, weeks) * (width - 50) + 45
    ys = h - 18 - np.asarray(values, dtype=float) / top * (h - 28)
    pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
    return (
        f'<svg width="{width}" height="{h}" role="img" aria-label="collective impact">'
        f'<line x1="45" y1="{h - 18}" x2="{width - 5}" y2="{h - 18}" stroke="#9ca3af"/>'
        f'<text x="0" y="{h - 18}" font-size="14">0</text>'
        f'<text x="0" y="20" font-size="14">{top:.1f}</text>'
        f'<text x="45" y="{h - 2}" font-size="14">collective impact, weeks 0-{weeks}</text>'
        f'<polyline fill="none" stroke="{color}" stroke-width="3" points="{pts}"/></svg>'
    )


def room_chart_png(tables: list[Table], width: int = 900, height: int = 380) -> bytes:
    """Room-level chart: each table's impact by the number of key actions it takes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width / 96, height / 96), dpi=96)
    ax = fig.add_axes((0.09, 0.17, 0.88, 0.72))
    rng = np.random.default_rng(0)  # jitter only (drawing never touches a run's generator)
    for k in range(6):
        vals = [t.impact for t in tables if t.key_actions == k]
        if vals:
            x = k + rng.uniform(-0.15, 0.15, len(vals))
            ax.scatter(x, vals, s=60, color=RUN_COLORS[0], alpha=0.7)
            ax.hlines(np.median(vals), k - 0.3, k + 0.3, color="#111827", lw=3)
    top = max([1.0, *(t.impact for t in tables)])
    ax.set_ylim(0, top * 1.1)
    ax.set_xlim(-0.5, 5.5)
    ax.set_xticks(range(6))
    ax.set_xlabel("key actions taken (of five)", fontsize=14)
    ax.set_ylabel("collective impact", fontsize=14)
    ax.tick_params(labelsize=13)
    ax.grid(alpha=0.3)
    fig.suptitle(f"The room: {len(tables)} tables (bar: median)", fontsize=15, y=0.98, va="top")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96)
    return buf.getvalue()


def _session_key() -> str:
    try:
        from solara.server import kernel_context

        return str(kernel_context.get_current_context().id)
    except Exception:
        return f"local-{id(threading.current_thread())}"


@solara.component
def _Live(
    run: solara.Reactive[TrainerRun],
    tick: solara.Reactive[int],
    name: solara.Reactive[str],
    playing: solara.Reactive[bool],
    on_reset: Any,
    on_step: Any,
) -> None:
    """The part of a participant's page that changes each step (cheap to redraw)."""
    tick.value  # noqa: B018 - redraw after every step
    current = run.value
    with solara.Row(gap="10px", style={"align-items": "center"}):
        solara.Button("Reset", on_click=on_reset, color="primary")
        solara.Button("Step", on_click=on_step, color="primary", disabled=not current.running)
        solara.Button(
            "Pause" if playing.value else "Play",
            on_click=lambda: playing.set(not playing.value),
            outlined=True,
            disabled=not current.running and not playing.value,
        )
    numbers = current.numbers(0)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=monitor_html(numbers, name.value, RUN_COLORS[0]),
        classes=["collabsim-participant-monitor"],
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=sparkline_svg(
            np.asarray(current.impact[0]), numbers["weeks"], RUN_COLORS[0]
        )
        + log_html(current.entries(0), RUN_COLORS[0], 6),
    )


@solara.component
def _Levers(values: solara.Reactive[dict[str, Any]], pending: bool) -> None:
    """The participant's levers (redrawn only when a lever moves)."""
    levers = {p.name: p for p in lever_params()}
    if pending:
        solara.Warning("Choices changed: press Reset to start again with them.", dense=True)
    with solara.Columns([1, 1]):
        for half in (PARTICIPANT_LEVERS[:4], PARTICIPANT_LEVERS[4:]):
            with solara.Column(gap="2px"):
                for k in half:
                    LeverInput(
                        levers[k],
                        values.value[k],
                        lambda x, k=k: values.set({**values.value, k: levers[k].check(x)}),
                    )


@solara.component
def Participant() -> None:
    """One participant's table: its own collaboration and levers."""
    from collabsim.app.session import initial_settings, session_probe

    key = solara.use_memo(_session_key, [])
    session_connected = solara.use_memo(session_probe, [])
    start = solara.use_memo(initial_settings, [])
    values = solara.use_reactive({k: start[k] for k in PARTICIPANT_LEVERS})
    name = solara.use_reactive(solara.use_memo(lambda: f"table {len(ROOM) + 1}", []))
    run = solara.use_reactive(
        solara.use_memo(lambda: TrainerRun(scenario=start["scenario"], seed=start["seed"]), [])
    )
    error = solara.use_reactive("")
    playing = solara.use_reactive(False)
    tick = solara.use_reactive(0)
    full = solara.use_memo(
        lambda: not ROOM.join(key, name.value, values.value, session_connected), []
    )
    stop = solara.use_memo(threading.Event, [])

    def on_close() -> Any:
        ROOM.update(key, run.value, name.value)

        def cleanup() -> None:
            stop.set()
            ROOM.leave(key)
            run.value.close()

        return cleanup

    solara.use_effect(on_close, [])

    def do_reset() -> None:
        playing.value = False
        try:
            new = TrainerRun(scenario=start["scenario"], seed=start["seed"], **values.value)
        except Exception as exc:
            error.value = f"Could not build the run: {exc}"
            return
        old, run.value = run.value, new
        old.close()
        ROOM.update(key, new, name.value)
        error.value = ""
        tick.value += 1

    def do_step() -> None:
        try:
            run.value.step(1)
            ROOM.update(key, run.value, name.value)
        except Exception as exc:
            playing.value = False
            error.value = f"Step failed: {exc}"
        tick.value += 1

    def play_loop() -> None:
        while playing.value and not stop.is_set():
            if not session_connected() or not run.value.running:
                playing.value = False
                return
            time.sleep(PLAY_SECONDS)
            do_step()

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def rename(text: str | None) -> None:
        name.value = clean_name(text)
        ROOM.update(key, run.value, name.value)

    current = run.value
    pending = {k: current.a.params[k] for k in PARTICIPANT_LEVERS} != values.value
    solara.Title("collabsim workshop")
    solara.Style(_CSS)
    with solara.Column(gap="8px", classes=["collabsim-ws"]):
        if full:
            solara.Error("The room is full: ask the facilitator.")
            return
        if error.value:
            solara.Error(error.value)
        solara.InputText("Your table's name", value=name.value, on_value=rename)
        _Live(run, tick, name, playing, do_reset, do_step)
        _Levers(values, pending)


def _room_html(tables: list[Table]) -> str:
    head = "".join(f"<th>{html.escape(lever_label(PARAMS[k]))}</th>" for k in PARTICIPANT_LEVERS)
    rows = []
    for t in tables:
        cells = "".join(
            f"<td>{html.escape(show_value(PARAMS[k], t.levers[k]))}</td>"
            for k in PARTICIPANT_LEVERS
        )
        rows.append(
            f'<tr class="collabsim-table-row"><td><b>{html.escape(t.name)}</b></td>{cells}'
            f"<td>{t.key_actions}</td><td>{t.week}</td><td>{t.wins}</td>"
            f"<td>{t.learning} : {t.blame}</td><td>{t.impact:.2f}"
            f"{' (dissolved)' if t.dissolved else ''}</td>"
            f'<td class="collabsim-status">{"away" if t.away else "here"}</td></tr>'
        )
    return (
        '<table class="collabsim-room"><tr><th>table</th>'
        + head
        + "<th>key actions</th><th>week</th><th>wins</th><th>learning : blame</th>"
        "<th>impact</th><th>page</th></tr>" + "".join(rows) + "</table>"
    )


@solara.component
def Facilitator() -> None:
    """Every table side by side and the room chart, behind the join code."""
    from collabsim.app.session import in_server_session, session_connected

    served = solara.use_memo(in_server_session, [])  # no page to refresh outside a server
    typed = solara.use_reactive("")
    tries = solara.use_reactive(0)
    allowed = solara.use_reactive(False)
    tick = solara.use_reactive(0)

    def refresh_loop() -> None:
        while served and allowed.value and session_connected():
            time.sleep(REFRESH_SECONDS)
            tick.value += 1

    solara.lab.use_task(refresh_loop, dependencies=[allowed.value], prefer_threaded=True)

    def submit(text: str | None) -> None:
        typed.value = text or ""
        if tries.value >= 10:
            return
        if code_ok(text):
            allowed.value = True
        else:
            tries.value += 1

    solara.Title("collabsim workshop: facilitator")
    solara.Style(_CSS)
    with solara.Column(gap="8px", classes=["collabsim-ws"]):
        if not allowed.value:
            solara.Markdown("## Facilitator\nType the join code printed when the app started.")
            solara.InputText("Join code", value="", on_value=submit, password=True)
            if tries.value >= 10:
                solara.Error("Too many wrong codes: reload the page to try again.")
            elif tries.value:
                solara.Error("That is not the join code.")
            return
        tick.value  # noqa: B018 - redraw at every refresh
        tables = ROOM.tables()
        png = room_chart_png(tables)  # redrawn on each refresh (every few seconds)
        solara.Markdown(f"## The room: {len(tables)} tables")
        solara.Image(png)
        solara.HTML(tag="div", unsafe_innerHTML=_room_html(tables))


@solara.component
def WorkshopPage() -> None:
    """A participant's table, or the facilitator's page at ``/facilitator``."""
    router = solara.use_router()
    if router.path.rstrip("/").endswith("/facilitator"):
        Facilitator()
    else:
        Participant()
