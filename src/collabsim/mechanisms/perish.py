"""Perishing (submodel 9): a collaboration dissolves when commitment or legitimacy stays too low.

If mean commitment or legitimacy is below ``perish_floor`` for ``perish_weeks`` consecutive
weeks, the collaboration dissolves and the run stops.
"""

from __future__ import annotations

import numpy as np

from collabsim.state import State

__all__ = ["perish"]


def perish(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Count weeks below the floor and dissolve the collaboration when too many (in place)."""
    low = s.legitimacy < p.perish_floor or np.add.reduce(s.commitment) / s.n_people < p.perish_floor
    s.weeks_below_floor = s.weeks_below_floor + 1 if low else 0
    if s.weeks_below_floor >= p.perish_weeks and not s.perished:
        s.perished = True
        s.perished_week = week
        s.log(week, "perished", "the collaboration dissolved")
