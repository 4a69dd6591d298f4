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

import math

import numba
import numpy as np

from collabsim.mechanisms.climate import break_capital, capital_between
from collabsim.state import (
    ADOPTED,
    EV_SHOCK,
    EV_TURNOVER,
    EVIDENCE,
    LEADERSHIP_SHOCKS,
    LEAVERS_TOTAL,
    LEFT_THIS_WEEK,
    PLAN,
    log_event,
)

__all__ = ["choose", "draw_people", "turnover"]


@numba.njit(cache=True, nogil=True)
def choose(rng, n: int, k: int) -> np.ndarray:
    """``k`` distinct seats out of ``n``, as ``rng.choice(n, k, replace=False)`` draws them.

    The same algorithm, so the same draws: Floyd's sampling then a shuffle, or a partial
    shuffle of every seat when ``n > 10000`` and ``k > n // 50``.
    """
    if n > 10000 and k > n // 50:
        idx = np.arange(n)
        for i in range(n - 1, max(n - k, 1) - 1, -1):
            j = rng.integers(0, i + 1)
            idx[i], idx[j] = idx[j], idx[i]
        return idx[n - k :].copy()
    idx = np.empty(k, dtype=np.int64)
    for t in range(k):
        j = n - k + t
        val = rng.integers(0, j + 1)
        for q in range(t):
            if idx[q] == val:
                val = j
                break
        idx[t] = val
    for i in range(k - 1, 0, -1):
        j = rng.integers(0, i + 1)
        idx[i], idx[j] = idx[j], idx[i]
    return idx


@numba.njit(cache=True, nogil=True, inline="always")
def draw_people(w, p, rng, rows: np.ndarray) -> None:
    """Draw fresh representatives into seats ``rows`` (at founding or as newcomers)."""
    k = rows.shape[0]
    z = np.empty((4, k))
    for r in range(4):
        for j in range(k):
            z[r, j] = rng.normal()
    plan = w.fs[PLAN]
    memory = p.navigator and math.isfinite(plan) and w.ns[ADOPTED] > 0
    for j in range(k):
        i = rows[j]
        frame = w.home_frame[w.org[i]] + 0.25 * p.frame_spread * z[0, j]
        if memory:
            frame = frame + p.onboarding * (plan - frame)  # institutional memory
        w.frame[i] = min(max(frame, 0.0), 1.0)
        w.openness[i] = min(max(p.openness * (1.0 + 0.25 * z[1, j]), 0.01), 1.0)
        w.commitment[i] = min(max(p.commitment + 0.1 * z[2, j], 0.0), 1.0)
        w.loyalty[i] = min(max(p.loyalty + 0.1 * z[3, j], 0.0), 1.0)
        w.tenure[i] = 0


@numba.njit(cache=True, nogil=True, inline="always")
def turnover(w, p, rng, week: int) -> None:
    """Replace leavers by newcomers (in place)."""
    fs, ns = w.fs, w.ns
    n = w.frame.shape[0]
    leave = np.zeros(n, dtype=np.bool_)
    # each seat leaves with the weekly hazard: a binomial number of leavers, then a uniform
    # choice of which seats (the same distribution as one Bernoulli draw per seat)
    k = rng.binomial(n, p.hazard) if p.hazard > 0.0 else 0
    if k:
        for i in choose(rng, n, k):
            leave[i] = True
    if p.shock_hazard > 0.0 and rng.random() < p.shock_hazard:
        center = rng.random()
        for o in range(w.sector.shape[0]):
            if w.sector[o] == 0:
                w.home_frame[o] = min(max(center + p.frame_spread * rng.normal(), 0.0), 1.0)
        for i in range(n):
            if w.sector[w.org[i]] == 0:
                leave[i] = True
        ns[LEADERSHIP_SHOCKS] += 1
        log_event(w, week, EV_SHOCK)
    for i in range(n):
        w.tenure[i] += 1
    if ns[LEAVERS_TOTAL]:  # the learning curve (while nobody has left, everyone is at 1)
        for i in range(n):
            w.skill[i] += (1.0 - w.skill[i]) / p.learning_weeks
    rows = np.flatnonzero(leave)
    left = rows.shape[0]
    ns[LEFT_THIS_WEEK] = left
    if left == 0:
        return
    ns[LEAVERS_TOTAL] += left
    stay = n - left
    safety_sum = nav_sum = 0.0
    for i in range(n):
        if not leave[i]:
            safety_sum += w.safety[i]
            nav_sum += w.nav_trust[i]
    team_safety = safety_sum / stay if stay else p.safety_initial
    nav_now = nav_sum / stay if stay else p.navigator_trust
    draw_people(w, p, rng, rows)
    onboard = p.onboarding if p.navigator else 0.0
    safe = p.newcomer_safety * team_safety
    for i in rows:
        w.commitment[i] *= p.newcomer_commitment
        w.founder[i] = False
        w.skill[i] = p.newcomer_skill
        w.safety[i] = safe + onboard * (team_safety - safe)
        if p.navigator:
            w.nav_trust[i] = p.newcomer_nav_trust * nav_now
    # trust on every tie of a leaver is handed over only in part: more between organizations
    # that have worked together, and more with the navigator's onboarding
    # (each leaver's ties are walked through its list of edges, all leavers' lists a step at a
    # time so that the walks' reads overlap; a tie between two leavers is handed over once,
    # from the lower seat, so the order of the ties does not matter)
    ends, trust, links, org = w.e_ends, w.e_trust, w.e_links, w.org
    c_index, c_meta, c_trust, n_orgs = w.c_index, w.c_meta, w.c_trust, w.sector.shape[0]
    at = np.empty(left, dtype=np.int64)  # each leaver's next tie
    for q in range(left):
        at[q] = w.e_head[rows[q]]
    walking = left
    while walking:
        walking = 0
        for q in range(left):
            j = at[q]
            if j < 0:
                continue
            walking += 1
            a = rows[q]
            s = 0 if ends[j, 0] == a else 1
            b = ends[j, 1 - s]
            if not (leave[b] and b < a):
                cap = capital_between(c_index, c_meta, c_trust, n_orgs, org[a], org[b])
                h = p.handoff + p.capital_handoff * cap * (1.0 - p.handoff)
                h += onboard * (1.0 - h)
                for side in range(2):
                    trust[j, side] = trust[j, side] * h + (1.0 - h) * p.stranger_trust
            at[q] = links[j, s]
    break_capital(w, p, leave)
    memory = p.onboarding if p.navigator else 0.0
    fs[EVIDENCE] *= 1.0 - (left / n) * (1.0 - memory)
    log_event(w, week, EV_TURNOVER, left)
