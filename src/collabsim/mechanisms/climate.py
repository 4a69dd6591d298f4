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

from collabsim.state import Edges, State

__all__ = [
    "break_capital",
    "capital_between",
    "climate",
    "founding_capital",
    "joint_work",
    "signal_weight",
]


def signal_weight(p, source_trust: float, safety: float) -> float:
    """Weight of a signal: trust in its source times how far the climate lets people use it.

    ``source_trust * (signal_safety_floor + (1 - signal_safety_floor) * safety)``.
    """
    floor = p.signal_safety_floor
    return source_trust * (floor + (1.0 - floor) * safety)


def climate(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Move every member's psychological safety toward the team climate (in place)."""
    target = min(1.0, s.cross_trust + p.jps_safety * p.joint_problem_solving)
    _toward(s.safety, s.effort, target, p.safety_rate)


@numba.njit(cache=True, nogil=True)
def _toward(safety, effort, target, rate):
    """``safety += rate * effort * (target - safety)``, element by element, kept in [0, 1]."""
    for i in range(safety.shape[0]):
        safety[i] = max(min(safety[i] + rate * effort[i] * (target - safety[i]), 1.0), 0.0)


def founding_capital(
    ou: np.ndarray, ov: np.ndarray, kind: np.ndarray, n_orgs: int, gain: float
) -> Edges:
    """Social capital at the founding: organization pairs whose people shared past teams.

    Each prior tie (``kind`` 1, not a colleague tie and not one with a history of conflict)
    between two organizations counts as one past joint project: ``1 - (1 - gain) ** count``.
    """
    cap = Edges(n_orgs, capacity=max(16, len(ou)))
    sel = (kind == 1) & (ou != ov)
    if not sel.any():
        return cap
    lo = np.minimum(ou[sel], ov[sel])
    hi = np.maximum(ou[sel], ov[sel])
    keys, count = np.unique(lo * n_orgs + hi, return_counts=True)
    a, b = keys // n_orgs, keys % n_orgs
    value = 1.0 - (1.0 - gain) ** count
    cap.add_many(a, b, value, value.copy())
    return cap


def capital_between(s: State, oa: np.ndarray, ob: np.ndarray) -> np.ndarray:
    """Social capital of each organization pair ``(oa[k], ob[k])`` (0 without joint work)."""
    rows = s.capital.find(oa, ob)
    out = np.zeros(len(rows))
    hit = rows >= 0
    out[hit] = s.capital.t_uv[rows[hit]]
    out[oa == ob] = 0.0
    return out


def joint_work(s: State, p) -> None:
    """Add social capital between organizations whose people worked closely on a project.

    A pair of organizations gains ``capital_gain`` of the gap to full capital when at least one
    tie between their people has trust above 0.5 both ways and both people give effort above
    ``effort_min`` (they did the work together).
    """
    u, v, t_uv, t_vu = s.edges.views()
    ou, ov = s.org[u], s.org[v]
    eff = s.effort
    close = (ou != ov) & (t_uv > 0.5) & (t_vu > 0.5) & (eff[u] > p.effort_min)
    close &= eff[v] > p.effort_min
    if not close.any():
        return
    lo = np.minimum(ou[close], ov[close])
    hi = np.maximum(ou[close], ov[close])
    keys = np.unique(lo * s.n_orgs + hi)
    cap = s.capital
    rows = cap.find_or_add(keys // s.n_orgs, keys % s.n_orgs, 0.0)
    value = cap.t_uv[rows]
    value += p.capital_gain * (1.0 - value)
    cap.t_uv[rows] = value
    cap.t_vu[rows] = value


def break_capital(s: State, p, leavers: np.ndarray) -> None:
    """Departures break social capital: each leaver takes ``capital_loss / reps`` of it along.

    Args:
        s: The state.
        p: The parameters.
        leavers: Seat rows of the people who left this week.
    """
    cap = s.capital
    if cap.n == 0 or len(leavers) == 0:
        return
    per_org = np.bincount(s.org[leavers], minlength=s.n_orgs)
    keep = (1.0 - p.capital_loss * p.inv_reps) ** per_org
    u, v, t_uv, t_vu = cap.views()
    factor = keep[u] * keep[v]
    t_uv *= factor
    t_vu *= factor
