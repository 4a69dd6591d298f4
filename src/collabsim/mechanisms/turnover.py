"""Turnover (submodel 1): people leave, newcomers take their seats without the old consensus.

Each representative leaves with a weekly hazard derived from the annual rate. The newcomer
holds the home organization's frame (not the collaboration's consensus), starts with less
commitment than a founder (no ownership of what was agreed before them), keeps only a
``handoff`` share of the leaver's interpersonal trust (the navigator's onboarding raises it),
and is not a founder. A leadership shock replaces every city-agency representative at once
and redraws city agencies' home frames (a new mayor with new priorities). Turnover also erodes
the collaboration's evidence precision, unless a navigator carries the memory.
"""

from __future__ import annotations

import numpy as np

from collabsim.state import State

__all__ = ["draw_people", "turnover", "weekly_hazard"]

#: A newcomer's commitment relative to a founder's: they did not make the earlier consensus.
NEWCOMER_COMMITMENT = 0.7
#: Trust of a newcomer in the navigator, as a share of the founders' trust in it.
NEWCOMER_NAV_TRUST = 0.6


def weekly_hazard(annual: float) -> float:
    """Weekly probability of an event that happens with probability ``annual`` per year."""
    return 1.0 - (1.0 - annual) ** (1.0 / 52.0)


def draw_people(s: State, p, rng: np.random.Generator, rows: np.ndarray) -> None:
    """Draw fresh representatives into seats ``rows`` (at founding or as newcomers)."""
    k = len(rows)
    home = s.home_frame[s.org[rows]]
    z = rng.normal(size=(4, k))
    frame = home + 0.25 * p.frame_spread * z[0]
    if p.navigator and np.isfinite(s.plan) and s.adopted > 0:
        frame = frame + p.onboarding * (s.plan - frame)  # institutional memory
    s.frame[rows] = np.clip(frame, 0.0, 1.0)
    s.openness[rows] = np.clip(p.openness * (1.0 + 0.25 * z[1]), 0.01, 1.0)
    s.commitment[rows] = np.clip(p.commitment + 0.1 * z[2], 0.0, 1.0)
    s.loyalty[rows] = np.clip(p.loyalty + 0.1 * z[3], 0.0, 1.0)
    s.tenure[rows] = 0


def turnover(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Replace leavers by newcomers (in place)."""
    n = s.n_people
    leave = rng.random(n) < p.hazard
    if p.shock_hazard > 0.0 and rng.random() < p.shock_hazard:
        city = s.sector == 0
        center = rng.random()
        s.home_frame[city] = np.clip(
            center + p.frame_spread * rng.normal(size=int(city.sum())), 0.0, 1.0
        )
        leave |= city[s.org]
        s.leadership_shocks += 1
        s.log(week, "shock", "leadership change: every city-agency seat turns over")
    s.tenure += 1
    if not leave.any():
        s.left_this_week = 0
        return
    rows = np.flatnonzero(leave)
    s.left_this_week = len(rows)
    s.leavers_total += len(rows)
    draw_people(s, p, rng, rows)
    s.commitment[rows] *= NEWCOMER_COMMITMENT
    s.founder[rows] = False
    if p.navigator:
        s.nav_trust[rows] = NEWCOMER_NAV_TRUST * p.navigator_trust
    # trust on every tie of a leaver is handed over only in part
    e = s.edges
    u, v, t_uv, t_vu = e.views()
    hit = leave[u] | leave[v]
    if hit.any():
        h = p.handoff + (p.onboarding * (1.0 - p.handoff) if p.navigator else 0.0)
        t0 = p.stranger_trust
        t_uv[hit] = h * t_uv[hit] + (1.0 - h) * t0
        t_vu[hit] = h * t_vu[hit] + (1.0 - h) * t0
    memory = p.onboarding if p.navigator else 0.0
    s.evidence_precision *= 1.0 - (len(rows) / n) * (1.0 - memory)
    s.log(week, "turnover", f"{len(rows)} newcomer(s) joined")
