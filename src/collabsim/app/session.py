"""The browser session of the trainers' app: opening settings, and whether the tab is still open.

Shared by the presentation page (``app.py``) and the workshop pages (``workshop.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from collabsim.app.runs import (
    DEFAULT_COMPARE,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    contrast_value,
    scenario_levers,
)
from collabsim.params import get

__all__ = [
    "ENV_SCENARIO",
    "ENV_SEED",
    "in_server_session",
    "initial_settings",
    "session_connected",
    "session_probe",
]

#: Environment variables through which ``collabsim app`` chooses the opening scenario and seed.
ENV_SCENARIO = "COLLABSIM_APP_SCENARIO"
ENV_SEED = "COLLABSIM_APP_SEED"


def initial_settings(scenario: str | None = None, seed: int | None = None) -> dict[str, Any]:
    """The settings the page opens with: a scenario's levers, the seed, side by side off."""
    scenario = scenario or os.environ.get(ENV_SCENARIO) or DEFAULT_SCENARIO
    seed = seed if seed is not None else int(os.environ.get(ENV_SEED) or DEFAULT_SEED)
    levers = scenario_levers(scenario)
    return {
        "scenario": scenario,
        "seed": seed,
        **levers,
        "compare": False,
        "compare_key": DEFAULT_COMPARE,
        "compare_value": contrast_value(get(DEFAULT_COMPARE), levers[DEFAULT_COMPARE]),
    }


def session_probe() -> Callable[[], bool]:
    """A function telling whether the current session still has a connected browser page.

    Outside a server session (tests, scripts) it always says True. A closed tab, a closed
    laptop or a lost network all count as gone; the probe can be called from any thread.
    """
    try:
        from solara.server import kernel_context

        ctx = kernel_context.get_current_context()
    except Exception:  # not in a server session
        return lambda: True

    def connected() -> bool:
        if ctx.closed_event.is_set():
            return False
        status = getattr(ctx, "page_status", None)
        if not status:
            return True
        return any(str(s).endswith("CONNECTED") and "DIS" not in str(s) for s in status.values())

    return connected


def session_connected() -> bool:
    """True while a browser page of the current session is connected (True outside a server)."""
    return session_probe()()


def in_server_session() -> bool:
    """True when called inside a served browser session (False in tests and scripts)."""
    try:
        from solara.server import kernel_context

        kernel_context.get_current_context()
    except Exception:
        return False
    return True
