"""Dialogue and joint problem-solving (submodel 3): substance and teaming.

Each week about ``meeting_rate * n / 2`` pairs meet. A share ``tie_share`` of the meetings
follow existing ties, chosen with probability rising with the pair's trust; the rest happen at
the table between people picked at random (strangers who meet get a tie at stranger trust,
warmer between organizations with social capital: ``stranger_trust + capital_warmth * capital
* (1 - stranger_trust)``). A navigator adds brokered meetings between people of different
sectors, vouching for each side as far as each trusts the navigator.

In a meeting each side moves its frame toward the other's if the gap is within its reach
(bounded confidence: Deffuant et al. 2000), by a step scaled by its trust in the partner. The
reach is the person's openness, widened by joint problem-solving and by trust in the partner
(people hear out those they trust from further away): ``openness * (1 + jps) *
(trust_reach_base + trust)``. Each side then reads a trust signal from the partner's visible
effort; a frame gap beyond reach reads as conflict, less so the more the meeting time goes to
joint problem-solving and the more the pair already trusts each other (task conflict need not
turn into relationship conflict).

The week's meetings are one compiled function (:func:`_week`); numpy draws every random number
from the run's generator and the compiled code only consumes them. ``NUMBA_DISABLE_JIT=1``
runs the same code as plain Python (for debugging and coverage).
"""

from __future__ import annotations

import numba
import numpy as np

from collabsim.mechanisms.trust import trust_after
from collabsim.state import Edges, State, pair_find, pair_row

__all__ = ["dialogue", "pick_ties", "uniform_pairs"]

_NO_DRAWS = np.zeros(0)
_NO_ROWS = np.zeros(0, dtype=np.int64)


def pick_ties(
    e: Edges, k: int, rng: np.random.Generator, base: float, mean_trust: float = 0.5
) -> np.ndarray:
    """Draw ``k`` edge rows with replacement, each with probability proportional to its weight.

    The weight of a tie is ``base + t_uv + t_vu``. Rejection sampling: a row is proposed
    uniformly and accepted with probability ``weight / max weight``; the accepted rows, in
    order, are independent draws from the weighted distribution, at a cost of O(k) rather than
    O(edges).

    Args:
        e: The edges (at least one).
        k: Rows to draw.
        rng: The run's generator.
        base: Baseline weight of a tie (``tie_base_weight``).
        mean_trust: Expected mean trust, used only to size the batches of proposals.
    """
    top = base + 2.0
    accept = max(0.05, (base + 2.0 * mean_trust) / top)
    out = np.empty(k, dtype=np.int64)
    filled = 0
    while filled < k:
        c = int((k - filled) / accept * 1.15) + 8
        filled = _accept_ties(rng.random(2 * c), c, e.n, e.t_uv, e.t_vu, top, base, out, filled)
    return out


def uniform_pairs(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``k`` pairs of distinct people drawn uniformly (the decoding :func:`_week` uses)."""
    if n < 2:
        raise ValueError(f"n = {n} is not valid: two distinct people need n >= 2")
    r = rng.random(2 * k)
    a = np.empty(k, dtype=np.int64)
    b = np.empty(k, dtype=np.int64)
    for j in range(k):
        a[j], b[j] = _decode_pair(r[j], r[k + j], n)
    return a, b


def dialogue(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Run one week of meetings: frames and trust update (in place).

    Meetings are the tie rows drawn by :func:`pick_ties`, then the table pairs, then the
    navigator's brokered pairs. If a tie meets twice in a week, the frame moves add up and the
    trust update of the later meeting is the one kept.
    """
    n = s.n_people
    if n < 2 or p.meeting_rate <= 0.0:
        return
    e = s.edges
    m = int(p.meeting_rate * n / 2 + rng.random())
    m_tie = int(p.tie_share * m) if e.n else 0
    m_table = m - m_tie
    ties = pick_ties(e, m_tie, rng, p.tie_base_weight, s.mean_trust) if m_tie else _NO_ROWS
    r_table = rng.random(2 * m_table) if m_table else _NO_DRAWS
    r_nav = _NO_DRAWS
    if p.navigator and p.navigator_brokered > 0.0:
        k = int(p.navigator_brokered * n / 2 + rng.random())
        if k:
            r_nav = rng.random(2 * k)
    e.reserve(m_table + len(r_nav) // 2)
    jps = p.joint_problem_solving
    coef = (
        1.0 + jps,  # reach scale
        p.trust_reach_base,
        p.frame_step,
        jps * p.jps_signal - 2.0 * p.effort_expected,  # signal before the partner's effort
        (1.0 - jps) * p.conflict_signal,  # conflict signal at zero trust
        p.trust_gain,
        p.trust_loss,
        p.broker_signal * 0.5,
        p.stranger_trust,
    )
    people = (s.frame, s.openness, s.effort, s.seat_sector, s.nav_trust, s.org)
    edges = (e.ends, e.trust, e.keys, e.slots)
    c = s.capital
    capital = (c.keys, c.slots, c.trust, s.n_orgs, p.capital_warmth)
    e.n = _week(ties, r_table, r_nav, people, edges, e.n, coef, capital)


# ------------------------------------------------------------------------------ compiled core
@numba.njit(cache=True, nogil=True)
def _decode_pair(r0: float, r1: float, n: int) -> tuple[int, int]:
    """Two distinct people from two uniforms: ``a = floor(r0 n)``, ``b`` among the others."""
    a = int(r0 * n)
    b = int(r1 * (n - 1))
    if b >= a:
        b += 1
    return a, b


@numba.njit(cache=True, nogil=True)
def _meet(a, b, n, edges, n_edges, trust0, org, capital):
    """Edge row of the pair ``(a, b)``, a new tie warmer where organizations have capital.

    ``capital`` is ``(keys, slots, trust, n_orgs, warmth)`` of the organizations' social capital.
    """
    ends, trust, keys, slots = edges
    row = pair_row(a, b, n, keys, slots, ends, trust, n_edges, trust0)
    cap_keys, cap_slots, cap_trust, n_orgs, warmth = capital
    if row == n_edges and org[a] != org[b] and warmth > 0.0:
        c = pair_find(org[a], org[b], n_orgs, cap_keys, cap_slots)
        if c >= 0:
            t0 = trust0 + warmth * cap_trust[0, c] * (1.0 - trust0)
            trust[0, row] = t0
            trust[1, row] = t0
    return row


@numba.njit(cache=True, nogil=True)
def _accept_ties(r, c, n_edges, t_uv, t_vu, top, base, out, filled):
    """Accept proposals ``r`` (``2c`` uniforms) into ``out[filled:]``; return the new fill.

    Proposal ``j`` is edge row ``int(r[j] * n_edges)``, accepted when ``r[c + j] * top - base
    < t_uv + t_vu`` (its weight over the top weight exceeds a uniform).
    """
    k = out.shape[0]
    for j in range(c):
        if filled >= k:
            break
        row = int(r[j] * n_edges)
        if r[c + j] * top - base < t_uv[row] + t_vu[row]:
            out[filled] = row
            filled += 1
    return filled


@numba.njit(cache=True, nogil=True)
def _week(tie_rows, r_table, r_nav, people, edges, n_edges, coef, capital):
    """One week of meetings (in place); return the new edge count.

    ``people`` is ``(frame, openness, effort, seat_sector, nav_trust, org)``, ``edges`` is
    ``(ends, trust, keys, slots)``, ``coef`` the week's coefficients built by :func:`dialogue`
    and ``capital`` the organizations' social capital (see :func:`_meet`). Side 0 of a meeting
    is the edge's ``u``, side 1 its ``v``.
    """
    frame, openness, effort, seat_sector, nav_trust, org = people
    ends, trust, keys, slots = edges
    reach_scale, reach_base, step_size, signal_base, penalty, gain, loss, broker, trust0 = coef
    n = frame.shape[0]
    m_tie = tie_rows.shape[0]
    k_table = r_table.shape[0] // 2
    k_nav = r_nav.shape[0] // 2
    rows = np.empty(m_tie + k_table + k_nav, dtype=np.int64)
    rows[:m_tie] = tie_rows
    m = m_tie
    for j in range(k_table):  # strangers and acquaintances meeting at the table
        a, b = _decode_pair(r_table[j], r_table[k_table + j], n)
        row = _meet(a, b, n, edges, n_edges, trust0, org, capital)
        n_edges = max(n_edges, row + 1)
        rows[m] = row
        m += 1
    bonus = np.empty(k_nav)
    nb = 0
    for j in range(k_nav):  # the navigator brokers meetings across sectors
        a = int(r_nav[j] * n)
        b = int(r_nav[k_nav + j] * n)
        if seat_sector[a] != seat_sector[b] and a != b:
            row = _meet(a, b, n, edges, n_edges, trust0, org, capital)
            n_edges = max(n_edges, row + 1)
            rows[m] = row
            m += 1
            bonus[nb] = broker * (nav_trust[a] + nav_trust[b])
            nb += 1
    move = np.zeros(n)
    within = np.empty((2, m), dtype=np.bool_)
    for s in range(2):  # bounded confidence, scaled by trust; moves summed per person
        for j in range(m):
            r = rows[j]
            me = ends[s, r]
            gap = frame[ends[1 - s, r]] - frame[me]
            t = trust[s, r]
            w = abs(gap) < openness[me] * reach_scale * (reach_base + t)
            within[s, j] = w
            move[me] += t * gap * (1.0 if w else 0.0) * step_size
    for i in range(n):
        frame[i] = max(min(frame[i] + move[i], 1.0), 0.0)
    new = np.empty((2, m))
    for s in range(2):  # trust signals from effort, conflict and brokering; asymmetric update
        for j in range(m):
            r = rows[j]
            t = trust[s, r]
            sig = effort[ends[1 - s, r]] * 2.0 + signal_base
            if not within[s, j]:
                sig -= (1.0 - t) * penalty
            if j >= m - nb:
                sig += bonus[j - (m - nb)]
            new[s, j] = trust_after(t, max(min(sig, 1.0), -1.0), gain, loss)
    for s in range(2):  # written in meeting order: a tie met twice keeps the later update
        for j in range(m):
            trust[s, rows[j]] = new[s, j]
    return n_edges
