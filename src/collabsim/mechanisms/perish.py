"""Perishing (submodel 9): a collaboration dissolves when commitment or legitimacy stays too low.

If mean commitment or legitimacy is below ``perish_floor`` for ``perish_weeks`` consecutive
weeks, the collaboration dissolves and the run stops.
"""

from __future__ import annotations

import numba

from collabsim.state import (
    EV_PERISHED,
    LEGITIMACY,
    PERISHED,
    PERISHED_WEEK,
    WEEKS_BELOW_FLOOR,
    log_event,
    total,
)

__all__ = ["perish"]


@numba.njit(cache=True, nogil=True, inline="always")
def perish(w, p, rng, week: int) -> None:
    """Count weeks below the floor and dissolve the collaboration when too many (in place)."""
    fs, ns = w.fs, w.ns
    low = fs[LEGITIMACY] < p.perish_floor
    if not low:
        low = total(w.commitment) / w.commitment.shape[0] < p.perish_floor
    ns[WEEKS_BELOW_FLOOR] = ns[WEEKS_BELOW_FLOOR] + 1 if low else 0
    if ns[WEEKS_BELOW_FLOOR] >= p.perish_weeks and not ns[PERISHED]:
        ns[PERISHED] = 1
        ns[PERISHED_WEEK] = week
        log_event(w, week, EV_PERISHED)
