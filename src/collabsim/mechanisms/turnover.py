"""Turnover (submodel 1): people leave, newcomers take their seats without the old consensus.

Each representative leaves with a weekly hazard ``1 - exp(-rate / 52)`` from the annual rate (a
rate of 1.0 means one expected departure per seat a year). The newcomer holds the home
organization's frame (not the collaboration's consensus), starts with less commitment than a
founder (no ownership of what was agreed before them), with less psychological safety than the
team (``newcomer_safety`` of it) and low effectiveness that climbs a learning curve (time
constant ``learning_weeks``). The newcomer keeps only a ``handoff`` share of the leaver's
interpersonal trust, more between organizations with social capital (``capital_handoff``) and
more with a navigator's onboarding; each departure breaks part of its organization's social
capital. The newcomer is not a founder. A leadership shock replaces every city-agency
representative at once and redraws city agencies' home frames (a new mayor with new
priorities). Turnover also erodes the collaboration's evidence precision, unless a navigator
carries the memory.
"""

from __future__ import annotations

import numpy as np

from collabsim.mechanisms.climate import break_capital, capital_between
from collabsim.state import State

__all__ = ["draw_people", "turnover"]


def draw_people(s: State, p, rng: np.random.Generator, rows: np.ndarray) -> None:
    """Draw fresh representatives into seats ``rows`` (at founding or as newcomers)."""
    k = len(rows)
    home = s.home_frame[s.org[rows]]
    z = rng.normal(size=(4, k))
    frame = home + 0.25 * p.frame_spread * z[0]
    if p.navigator and np.isfinite(s.plan) and s.adopted > 0:
        frame = frame + p.onboarding * (s.plan - frame)  # institutional memory
    # (np.minimum(np.maximum(.)) is np.clip without its overhead)
    s.frame[rows] = np.minimum(np.maximum(frame, 0.0), 1.0)
    s.openness[rows] = np.minimum(np.maximum(p.openness * (1.0 + 0.25 * z[1]), 0.01), 1.0)
    s.commitment[rows] = np.minimum(np.maximum(p.commitment + 0.1 * z[2], 0.0), 1.0)
    s.loyalty[rows] = np.minimum(np.maximum(p.loyalty + 0.1 * z[3], 0.0), 1.0)
    s.tenure[rows] = 0


def turnover(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Replace leavers by newcomers (in place)."""
    n = s.n_people
    # each seat leaves with the weekly hazard: a binomial number of leavers, then a uniform
    # choice of which seats (the same distribution as one Bernoulli draw per seat)
    k = int(rng.binomial(n, p.hazard)) if p.hazard > 0.0 else 0
    rows = np.sort(rng.choice(n, k, replace=False)) if k else None
    if p.shock_hazard > 0.0 and rng.random() < p.shock_hazard:
        city = s.sector == 0
        center = rng.random()
        s.home_frame[city] = np.clip(
            center + p.frame_spread * rng.normal(size=int(city.sum())), 0.0, 1.0
        )
        leave = city[s.org]
        if rows is not None:
            leave[rows] = True
        rows = np.flatnonzero(leave)
        s.leadership_shocks += 1
        s.log(week, "shock", "leadership change: every city-agency seat turns over")
    s.tenure += 1
    if s.leavers_total:  # the learning curve (while nobody has left, everyone is at 1)
        s.skill += (1.0 - s.skill) / p.learning_weeks
    if rows is None or len(rows) == 0:
        s.left_this_week = 0
        return
    leave = np.zeros(n, dtype=bool)
    leave[rows] = True
    s.left_this_week = len(rows)
    s.leavers_total += len(rows)
    stay = ~leave
    team_safety = float(s.safety[stay].mean()) if stay.any() else p.safety_initial
    nav_now = float(s.nav_trust[stay].mean()) if stay.any() else p.navigator_trust
    draw_people(s, p, rng, rows)
    s.commitment[rows] *= p.newcomer_commitment
    s.founder[rows] = False
    s.skill[rows] = p.newcomer_skill
    onboard = p.onboarding if p.navigator else 0.0
    safe = p.newcomer_safety * team_safety
    s.safety[rows] = safe + onboard * (team_safety - safe)
    if p.navigator:
        s.nav_trust[rows] = p.newcomer_nav_trust * nav_now
    # trust on every tie of a leaver is handed over only in part: more between organizations
    # that have worked together, and more with the navigator's onboarding
    e = s.edges
    u, v = e.u[: e.n], e.v[: e.n]
    hit = (leave[u] | leave[v]).nonzero()[0]
    if len(hit):
        cap = capital_between(s, s.org[u[hit]], s.org[v[hit]])
        h = p.handoff + p.capital_handoff * cap * (1.0 - p.handoff)
        h += onboard * (1.0 - h)
        t = e.trust.take(hit, axis=1)  # both directions
        t *= h
        t += (1.0 - h) * p.stranger_trust
        e.t_uv[hit], e.t_vu[hit] = t
    break_capital(s, p, rows)
    memory = p.onboarding if p.navigator else 0.0
    s.evidence_precision *= 1.0 - (len(rows) / n) * (1.0 - memory)
    s.log(week, "turnover", f"{len(rows)} newcomer(s) joined")
