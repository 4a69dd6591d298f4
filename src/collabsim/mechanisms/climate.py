"""Team climate (part of submodel 3, and used by 4, 5, 7): psychological safety and social capital.

**Psychological safety** (Edmondson 1999) is each member's belief that it is safe to raise
problems and admit mistakes at this table; the team's safety ``S`` is its mean. Every week a
member's safety moves, at ``safety_rate`` per unit of effort given, toward the team's climate:
the cross-boundary trust measured last week, lifted by the share of meeting time spent on joint
problem-solving (``jps_safety * jps``). Wins, learning responses and a navigator's successful
mediation raise it; blame destroys a share of it (submodel 7); newcomers arrive with less of it
(submodel 1).

Signals (residents' views, stat-meeting data) are weighed by trust in their source and by the
team's safety (:func:`signal_weight`): a team that cannot safely discuss bad news uses little
of what the data show (Moynihan & Lavertu 2012).

**Social capital** (Gulati 1995) is the record of prior joint work between organizations: one
value in [0, 1] per pair of organizations, kept in an :class:`~collabsim.state.Edges` table over
organizations. Past teams create it at the founding, projects that people worked on closely
add to it, departures break part of it. New ties between organizations with social capital
start warmer than stranger trust, and more trust survives a hand-over between them.
"""

from __future__ import annotations

import numba
import numpy as np

from collabsim.state import CROSS_TRUST, pair_find, pair_row

__all__ = [
    "break_capital",
    "capital_between",
    "climate",
    "founding_capital",
    "joint_work",
    "signal_weight",
]


@numba.njit(cache=True, nogil=True, inline="always")
def signal_weight(p, source_trust: float, safety: float) -> float:
    """Weight of a signal: trust in its source times how far the climate lets people use it.

    ``source_trust * (signal_safety_floor + (1 - signal_safety_floor) * safety)``.
    """
    floor = p.signal_safety_floor
    return source_trust * (floor + (1.0 - floor) * safety)


@numba.njit(cache=True, nogil=True, inline="always")
def climate(w, p, rng, week: int) -> None:
    """Move every member's psychological safety toward the team climate (in place).

    ``safety += safety_rate * effort * (target - safety)``, kept in [0, 1], the target being
    cross-boundary trust lifted by joint problem-solving.
    """
    target = min(1.0, w.fs[CROSS_TRUST] + p.jps_safety * p.joint_problem_solving)
    safety, effort, rate = w.safety, w.effort, p.safety_rate
    for i in range(safety.shape[0]):
        safety[i] = max(min(safety[i] + rate * effort[i] * (target - safety[i]), 1.0), 0.0)


@numba.njit(cache=True, nogil=True)
def founding_capital(w, p, u: np.ndarray, v: np.ndarray, kind: np.ndarray) -> None:
    """Social capital at the founding: organization pairs whose people shared past teams.

    Each prior tie ``(u, v)`` of ``kind`` 1 (not a colleague tie and not one with a history of
    conflict) between two organizations counts as one past joint project: the pair gets
    ``1 - (1 - capital_gain) ** count``. Pairs are added in the order of their key (lower
    organization first).
    """
    n_orgs = w.sector.shape[0]
    org = w.org
    keys = np.empty(u.shape[0], dtype=np.int64)
    k = 0
    for j in range(u.shape[0]):
        oa, ob = org[u[j]], org[v[j]]
        if kind[j] == 1 and oa != ob:
            keys[k] = min(oa, ob) * n_orgs + max(oa, ob)
            k += 1
    keys = np.sort(keys[:k])
    start = 0
    while start < k:
        stop = start
        while stop < k and keys[stop] == keys[start]:
            stop += 1
        value = 1.0 - (1.0 - p.capital_gain) ** float(stop - start)
        c_n = w.c_meta[0]
        key = keys[start]
        row = pair_row(
            key // n_orgs, key % n_orgs, n_orgs, w.c_index, w.c_meta, w.c_ends, w.c_trust, c_n,
            value,
        )  # fmt: skip
        w.c_meta[0] = max(c_n, row + 1)
        start = stop


@numba.njit(cache=True, nogil=True, inline="always")
def capital_between(
    index: np.ndarray, meta: np.ndarray, capital: np.ndarray, n_orgs: int, oa: int, ob: int
) -> float:
    """Social capital of the organization pair ``(oa, ob)`` (0 without joint work).

    It takes the capital's arrays (``w.c_index, w.c_meta, w.c_trust``), not the whole state:
    loops over ties call it, and handing the state to a helper costs more than the look-up.
    """
    if oa == ob:
        return 0.0
    row = pair_find(oa, ob, n_orgs, index, meta)
    return capital[row, 0] if row >= 0 else 0.0


@numba.njit(cache=True, nogil=True, inline="always")
def joint_work(w, p) -> None:
    """Add social capital between organizations whose people worked closely on a project.

    A pair of organizations gains ``capital_gain`` of the gap to full capital when at least one
    tie between their people has trust above 0.5 both ways and both people give effort above
    ``effort_min`` (they did the work together). New pairs are added in the order of their
    key (lower organization first).
    """
    n_orgs = w.sector.shape[0]
    n = w.e_meta[0]
    ends, trust, org, eff = w.e_ends, w.e_trust, w.org, w.effort
    keys = np.empty(n, dtype=np.int64)
    k = 0
    for j in range(n):
        a, b = ends[j, 0], ends[j, 1]
        oa, ob = org[a], org[b]
        if (
            oa != ob
            and trust[j, 0] > 0.5
            and trust[j, 1] > 0.5
            and eff[a] > p.effort_min
            and eff[b] > p.effort_min
        ):
            keys[k] = min(oa, ob) * n_orgs + max(oa, ob)
            k += 1
    if k == 0:
        return
    ct = w.c_trust
    for key in np.unique(keys[:k]):
        c_n = w.c_meta[0]
        row = pair_row(
            key // n_orgs, key % n_orgs, n_orgs, w.c_index, w.c_meta, w.c_ends, ct, c_n, 0.0
        )
        if row == c_n:
            w.c_meta[0] = c_n + 1
        value = ct[row, 0] + p.capital_gain * (1.0 - ct[row, 0])
        ct[row, 0] = value
        ct[row, 1] = value


@numba.njit(cache=True, nogil=True, inline="always")
def break_capital(w, p, leave: np.ndarray) -> None:
    """Departures break social capital: each leaver takes ``capital_loss / reps`` of it along.

    Args:
        w: The state.
        p: The parameters.
        leave: Whether each seat's person left this week.
    """
    c_n = w.c_meta[0]
    if c_n == 0:
        return
    n_orgs = w.sector.shape[0]
    per_org = np.zeros(n_orgs, dtype=np.int64)
    for i in range(leave.shape[0]):
        if leave[i]:
            per_org[w.org[i]] += 1
    base = 1.0 - p.capital_loss * p.inv_reps
    keep = np.empty(n_orgs)
    for o in range(n_orgs):  # (pow only where someone left: base ** 0 is exactly 1)
        keep[o] = base ** float(per_org[o]) if per_org[o] else 1.0
    ends, ct = w.c_ends, w.c_trust
    for j in range(c_n):
        factor = keep[ends[j, 0]] * keep[ends[j, 1]]
        ct[j, 0] *= factor
        ct[j, 1] *= factor
