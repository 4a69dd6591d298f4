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

The week's meetings are one compiled function; every random number comes from the run's
generator. ``NUMBA_DISABLE_JIT=1`` runs the same code as plain Python (for debugging and
coverage).
"""

from __future__ import annotations

import numba
import numpy as np

from collabsim.mechanisms.climate import capital_between
from collabsim.mechanisms.trust import trust_after
from collabsim.state import MEAN_TRUST, add_pair, pair_find

__all__ = ["dialogue", "pick_ties", "uniform_pairs"]


@numba.njit(cache=True, nogil=True)
def pick_ties(
    trust: np.ndarray, n_edges: int, k: int, rng, base: float, mean_trust: float = 0.5
) -> np.ndarray:
    """Draw ``k`` edge rows with replacement, each with probability proportional to its weight.

    The weight of a tie is ``base + t_uv + t_vu`` (``trust[0]``, ``trust[1]``). Rejection
    sampling: a row is proposed uniformly and accepted with probability ``weight / max
    weight``; the accepted rows, in order, are independent draws from the weighted
    distribution, at a cost of O(k) rather than O(edges). Proposals come in batches of ``2c``
    uniforms (``c`` rows, then ``c`` acceptance draws), sized from ``mean_trust``.

    Args:
        trust: The edges' trust (``(capacity, 2)``).
        n_edges: Edges in use (at least one).
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
        r = np.empty(2 * c)
        for j in range(2 * c):
            r[j] = rng.random()
        # every proposal is judged first, without a branch, so that the reads of random rows
        # overlap in memory; the accepted ones are then taken in order until ``k`` are drawn
        row = np.empty(c, dtype=np.int64)
        ok = np.empty(c, dtype=np.bool_)
        for j in range(c):
            row[j] = int(r[j] * n_edges)
            ok[j] = r[c + j] * top - base < trust[row[j], 0] + trust[row[j], 1]
        for j in range(c):
            if filled >= k:
                break
            if ok[j]:
                out[filled] = row[j]
                filled += 1
    return out


@numba.njit(cache=True, nogil=True)
def _decode_pair(r0: float, r1: float, n: int) -> tuple[int, int]:
    """Two distinct people from two uniforms: ``a = floor(r0 n)``, ``b`` among the others."""
    a = int(r0 * n)
    b = int(r1 * (n - 1))
    if b >= a:
        b += 1
    return a, b


def uniform_pairs(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``k`` pairs of distinct people drawn uniformly (the decoding the dialogue uses)."""
    if n < 2:
        raise ValueError(f"n = {n} is not valid: two distinct people need n >= 2")
    r = rng.random(2 * k)
    a = np.empty(k, dtype=np.int64)
    b = np.empty(k, dtype=np.int64)
    for j in range(k):
        a[j], b[j] = _decode_pair(r[j], r[k + j], n)
    return a, b


@numba.njit(cache=True, nogil=True, inline="always")
def _first_trust(p, capital: float) -> float:
    """Trust a new tie starts at: warmer where the organizations have social capital.

    ``stranger_trust + capital_warmth * capital * (1 - stranger_trust)``.
    """
    return p.stranger_trust + p.capital_warmth * capital * (1.0 - p.stranger_trust)


@numba.njit(cache=True, nogil=True, inline="always")
def new_ties_at_most(p, n: int) -> int:
    """The most edges one week of dialogue can add (table and brokered meetings)."""
    m = int(p.meeting_rate * n / 2 + 1.0)
    k = int(p.navigator_brokered * n / 2 + 1.0) if p.navigator else 0
    return m + k


@numba.njit(cache=True, nogil=True, inline="always")
def dialogue(w, p, rng, week: int) -> None:
    """Run one week of meetings: frames and trust update (in place).

    Meetings are the tie rows drawn by :func:`pick_ties`, then the table pairs, then the
    navigator's brokered pairs. If a tie meets twice in a week, the frame moves add up and the
    trust update of the later meeting is the one kept. Side 0 of a meeting is the edge's
    ``u``, side 1 its ``v``. The caller keeps room for :func:`new_ties_at_most` new edges.
    """
    frame, openness, effort = w.frame, w.openness, w.effort
    n = frame.shape[0]
    if n < 2 or p.meeting_rate <= 0.0:
        return
    ends, trust = w.e_ends, w.e_trust
    m = int(p.meeting_rate * n / 2 + rng.random())
    m_tie = int(p.tie_share * m) if w.e_meta[0] else 0
    k_table = m - m_tie
    ties = np.empty(0, dtype=np.int64)
    if m_tie:
        ties = pick_ties(trust, w.e_meta[0], m_tie, rng, p.tie_base_weight, w.fs[MEAN_TRUST])
    r_table = np.empty(2 * k_table)
    for j in range(2 * k_table):
        r_table[j] = rng.random()
    k_nav = 0
    if p.navigator and p.navigator_brokered > 0.0:
        k_nav = int(p.navigator_brokered * n / 2 + rng.random())
    r_nav = np.empty(2 * k_nav)
    for j in range(2 * k_nav):
        r_nav[j] = rng.random()
    jps = p.joint_problem_solving
    reach_scale = 1.0 + jps
    signal_base = jps * p.jps_signal - 2.0 * p.effort_expected  # before the partner's effort
    penalty = (1.0 - jps) * p.conflict_signal  # conflict signal at zero trust
    broker = p.broker_signal * 0.5
    rows = np.empty(m_tie + k_table + k_nav, dtype=np.int64)
    rows[:m_tie] = ties
    # the table's pairs are first looked up independently of each other (their reads of the
    # pair index and of the organizations' capital overlap in memory); pairs found have their
    # edge, as edges are never removed, and the others are added (or found, if met earlier
    # this week) in meeting order. The loops read arrays, not the state: handing the state to
    # a helper costs more than a look-up.
    index, meta, links, head = w.e_index, w.e_meta, w.e_links, w.e_head
    org, c_index, c_meta, c_trust = w.org, w.c_index, w.c_meta, w.c_trust
    n_orgs = w.sector.shape[0]
    warm = p.capital_warmth > 0.0
    first = np.empty(k_table)  # where the pair is new, the trust its tie starts at
    for j in range(k_table):
        a, b = _decode_pair(r_table[j], r_table[k_table + j], n)
        found = pair_find(a, b, n, index, meta)
        rows[m_tie + j] = found
        capital = 0.0
        if found < 0 and warm:
            capital = capital_between(c_index, c_meta, c_trust, n_orgs, org[a], org[b])
        first[j] = _first_trust(p, capital)
    mm = m_tie
    for j in range(k_table):  # strangers and acquaintances meeting at the table
        if rows[mm] < 0:
            a, b = _decode_pair(r_table[j], r_table[k_table + j], n)
            rows[mm] = add_pair(a, b, n, index, meta, ends, trust, links, head, first[j])
        mm += 1
    bonus = np.empty(k_nav)
    nb = 0
    for j in range(k_nav):  # the navigator brokers meetings across sectors
        a = int(r_nav[j] * n)
        b = int(r_nav[k_nav + j] * n)
        if w.seat_sector[a] != w.seat_sector[b] and a != b:
            capital = 0.0
            if warm:
                capital = capital_between(c_index, c_meta, c_trust, n_orgs, org[a], org[b])
            t0 = _first_trust(p, capital)
            rows[mm] = add_pair(a, b, n, index, meta, ends, trust, links, head, t0)
            mm += 1
            bonus[nb] = broker * (w.nav_trust[a] + w.nav_trust[b])
            nb += 1
    # one pass over the meetings reads each tie once: both sides' pull on their frames
    # (bounded confidence, scaled by trust) and trust signals (effort, conflict, brokering),
    # from the frames and trusts before the meetings
    who = np.empty((2, mm), dtype=np.int64)
    was = np.empty((2, mm))
    for j in range(mm):  # (a loop that only gathers the ties' rows, so that the reads overlap)
        r = rows[j]
        who[0, j], who[1, j] = ends[r, 0], ends[r, 1]
        was[0, j], was[1, j] = trust[r, 0], trust[r, 1]
    pull = np.empty((2, mm))
    new = np.empty((2, mm))
    for j in range(mm):
        for s in range(2):
            me = who[s, j]
            other = who[1 - s, j]
            gap = frame[other] - frame[me]
            t = was[s, j]
            ok = abs(gap) < openness[me] * reach_scale * (p.trust_reach_base + t)
            pull[s, j] = t * gap * (1.0 if ok else 0.0) * p.frame_step
            sig = effort[other] * 2.0 + signal_base
            if not ok:
                sig -= (1.0 - t) * penalty
            if j >= mm - nb:
                sig += bonus[j - (mm - nb)]
            new[s, j] = trust_after(t, max(min(sig, 1.0), -1.0), p.trust_gain, p.trust_loss)
    move = np.zeros(n)
    for s in range(2):  # moves summed per person, side 0's meetings first
        for j in range(mm):
            move[who[s, j]] += pull[s, j]
    for i in range(n):
        frame[i] = max(min(frame[i] + move[i], 1.0), 0.0)
    for s in range(2):  # written in meeting order: a tie met twice keeps the later update
        for j in range(mm):
            trust[rows[j], s] = new[s, j]
