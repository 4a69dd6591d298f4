"""Dialogue and joint problem-solving (submodel 3): substance and teaming.

Each week about ``meeting_rate * n / 2`` pairs meet. 85% of the meetings follow existing ties,
chosen with probability rising with the pair's trust; the rest happen at the table between
people picked at random (strangers who meet get a tie at stranger trust). A navigator adds
brokered meetings between people of different sectors, vouching for each side.

In a meeting each side moves its frame toward the other's if the gap is within its reach
(bounded confidence: Deffuant et al. 2000), by a step scaled by its trust in the partner. The
reach is the person's openness, widened by joint problem-solving and by trust in the partner
(people hear out those they trust from further away): ``openness * (1 + jps) * (0.5 + trust)``.
Each side then reads a trust signal from the partner's visible effort; a frame gap beyond reach
reads as conflict, less so the more the meeting time goes to joint problem-solving and the more
the pair already trusts each other (task conflict need not turn into relationship conflict).
"""

from __future__ import annotations

import numpy as np

from collabsim.kernels import dialogue_kernel, meeting_kernel, ties_kernel
from collabsim.mechanisms.trust import update_trust
from collabsim.state import Edges, State

__all__ = ["dialogue", "meet", "pick_ties", "uniform_pairs"]

#: Share of meetings that follow existing ties (the rest happen at the table at random).
TIE_SHARE = 0.85
#: Reach of bounded confidence is ``openness * (1 + jps) * (TRUST_REACH_BASE + trust)``.
TRUST_REACH_BASE = 0.5
#: Baseline weight of a tie in the choice of meetings (added to the pair's two trusts).
TIE_BASE_WEIGHT = 0.1
#: Trust signal lost when a frame gap reads as conflict, at zero trust and without joint
#: problem-solving (scaled by ``(1 - jps) * (1 - trust)``).
CONFLICT_SIGNAL = 0.6
#: Trust signal gained at full joint problem-solving.
JPS_SIGNAL = 0.5
#: Extra signal of a meeting brokered by the navigator, per unit of trust in the navigator.
BROKER_SIGNAL = 0.3


_NO_BONUS = np.zeros(0)
_NO_ROWS = np.zeros(0, dtype=np.int64)
#: Highest weight a tie can have in the choice of meetings (both trusts at 1).
_MAX_TIE_WEIGHT = TIE_BASE_WEIGHT + 2.0


def pick_ties(e: Edges, k: int, rng: np.random.Generator, mean_trust: float = 0.5) -> np.ndarray:
    """Draw ``k`` edge rows with replacement, each with probability proportional to its weight.

    The weight of a tie is ``TIE_BASE_WEIGHT + t_uv + t_vu``. Rejection sampling: a row is
    proposed uniformly and accepted with probability ``weight / max weight``; the accepted
    rows, in order, are independent draws from the weighted distribution (the same one as
    inverse-CDF sampling over the cumulative weights), at a cost of O(k) rather than O(edges).

    Args:
        e: The edges (at least one).
        k: Rows to draw.
        rng: The run's generator.
        mean_trust: Expected mean trust, used only to size the batches of proposals.
    """
    n = e.n
    accept = max(0.05, (TIE_BASE_WEIGHT + 2.0 * mean_trust) / _MAX_TIE_WEIGHT)
    t_uv, t_vu = e.t_uv, e.t_vu
    kernel = ties_kernel()
    if kernel is not None:  # the same acceptance, compiled (collabsim.kernels)
        out = np.empty(k, dtype=np.int64)
        filled = 0
        while filled < k:
            c = int((k - filled) / accept * 1.15) + 8
            r = rng.random(2 * c)
            filled = kernel(r, c, n, t_uv, t_vu, _MAX_TIE_WEIGHT, TIE_BASE_WEIGHT, out, filled)
        return out
    got: list[np.ndarray] = []
    need = k
    while need > 0:
        c = int(need / accept * 1.15) + 8
        r = rng.random(2 * c)
        rows = (r[:c] * n).astype(np.intp)
        # accept when u * max weight < weight, i.e. u * max - base < t_uv + t_vu
        r = r[c:]
        r *= _MAX_TIE_WEIGHT
        r -= TIE_BASE_WEIGHT
        rows = rows[r < t_uv[rows] + t_vu[rows]]
        got.append(rows[:need])
        need -= len(got[-1])
    return got[0] if len(got) == 1 else np.concatenate(got)


def uniform_pairs(n: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``k`` pairs of distinct people drawn uniformly (``floor(u * n)`` from one batch)."""
    r = rng.random(2 * k)
    r[:k] *= n
    r[k:] *= n - 1
    ab = r.astype(np.intp)
    a, b = ab[:k], ab[k:]
    b += b >= a
    return a, b


def dialogue(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Run one week of meetings: frames and trust update (in place).

    Both sides of every meeting are handled at once: ``ends[:, rows]`` is a ``(2, m)`` array
    whose row 0 is one side (``u``) and row 1 the other (``v``), so ``[::-1]`` gives each
    side its partner. If a tie meets twice in a week, the frame moves add up and the trust
    update of the later meeting is the one kept.
    """
    n = s.n_people
    if n < 2 or p.meeting_rate <= 0.0:
        return
    e = s.edges
    m = int(p.meeting_rate * n / 2 + rng.random())
    m_tie = int(TIE_SHARE * m) if e.n else 0
    m_table = m - m_tie
    if e.dense_table is not None and (kernel := dialogue_kernel()) is not None:
        _dialogue_compiled(kernel, s, p, rng, m_tie, m_table)
        return
    parts = []
    nav = _NO_BONUS
    if m_tie:
        parts.append(pick_ties(e, m_tie, rng, s.mean_trust))
    if m_table:
        parts.append(e.find_or_add(*uniform_pairs(n, m_table, rng), p.stranger_trust))
    if p.navigator and p.navigator_brokered > 0.0:
        k = int(p.navigator_brokered * n / 2 + rng.random())
        if k:
            ab = (rng.random(2 * k) * n).astype(np.intp)
            a, b = ab[:k], ab[k:]
            ok = (s.seat_sector[a] != s.seat_sector[b]) & (a != b)
            if ok.any():
                a, b = a[ok], b[ok]
                parts.append(e.find_or_add(a, b, p.stranger_trust))
                nav = BROKER_SIGNAL * 0.5 * (s.nav_trust[a] + s.nav_trust[b])
    if not parts:
        return
    rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
    jps = p.joint_problem_solving
    pen = (1.0 - jps) * CONFLICT_SIGNAL
    base = jps * JPS_SIGNAL - 2.0 * p.effort_expected
    kernel = meeting_kernel()
    if kernel is not None:  # the same update, compiled (collabsim.kernels)
        kernel(
            rows, e.ends, e.trust, s.frame, s.openness, s.effort, nav, 1.0 + jps,
            TRUST_REACH_BASE, p.frame_step, base, pen, p.trust_gain, p.trust_loss,
        )  # fmt: skip
        return
    meet(s, p, rows, nav, base, pen)


def _dialogue_compiled(
    kernel, s: State, p, rng: np.random.Generator, m_tie: int, m_table: int
) -> None:
    """The week's meetings by the compiled kernel (dense pair index); the same draws, in order."""
    n = s.n_people
    e = s.edges
    ties = pick_ties(e, m_tie, rng, s.mean_trust) if m_tie else _NO_ROWS
    r_table = rng.random(2 * m_table) if m_table else _NO_BONUS
    r_nav = _NO_BONUS
    if p.navigator and p.navigator_brokered > 0.0:
        k = int(p.navigator_brokered * n / 2 + rng.random())
        if k:
            r_nav = rng.random(2 * k)
    e.reserve(m_table + len(r_nav) // 2)
    jps = p.joint_problem_solving
    n_edges = kernel(
        ties, r_table, r_nav, s.seat_sector, s.nav_trust, BROKER_SIGNAL * 0.5,
        e.dense_table, e.n, p.stranger_trust, e.ends, e.trust, s.frame, s.openness,
        s.effort, 1.0 + jps, TRUST_REACH_BASE, p.frame_step,
        jps * JPS_SIGNAL - 2.0 * p.effort_expected, (1.0 - jps) * CONFLICT_SIGNAL,
        p.trust_gain, p.trust_loss,
    )  # fmt: skip
    e.added_in_place(n_edges)


def meet(s: State, p, rows: np.ndarray, nav: np.ndarray, base: float, pen: float) -> None:
    """Apply a week's meetings on edge ``rows`` to frames and trust (numpy path, in place).

    Args:
        s: The state.
        p: The parameters.
        rows: Edge of each meeting.
        nav: The navigator's bonus signal of the last ``len(nav)`` meetings.
        base: Signal before the partner's effort: ``jps * JPS_SIGNAL - 2 effort_expected``.
        pen: Conflict signal at zero trust, ``(1 - jps) * CONFLICT_SIGNAL``.
    """
    e = s.edges
    n = s.n_people
    uv = e.ends.take(rows, axis=1)  # (2, m): each side of each meeting
    x = s.frame
    side = x[uv]
    gap = side[::-1] - side  # each side's gap toward its partner
    t = e.trust.take(rows, axis=1)  # each side's trust in its partner
    # people hear out those they trust from further away (trust-weighted bounded confidence)
    reach = s.openness[uv]
    reach *= 1.0 + p.joint_problem_solving
    reach *= TRUST_REACH_BASE + t
    within = np.abs(gap) < reach
    step = t * gap
    step *= within
    step *= p.frame_step  # move toward the partner by mu * trust * gap, if within reach
    x += np.bincount(uv.ravel(), step.ravel(), minlength=n)
    np.minimum(x, 1.0, out=x)
    np.maximum(x, 0.0, out=x)
    # trust signals from the partner's visible effort, conflict and joint problem-solving:
    # 2 (e_partner - expected) + jps * JPS_SIGNAL - pen * (1 - trust) * (not within)
    sig = s.effort[uv[::-1]]
    sig *= 2.0
    sig += base
    conflict = 1.0 - t
    conflict *= pen
    np.subtract(sig, conflict, out=sig, where=~within)
    if len(nav):
        sig[:, -len(nav) :] += nav
    np.minimum(sig, 1.0, out=sig)
    np.maximum(sig, -1.0, out=sig)
    t = update_trust(t, sig, p.trust_gain, p.trust_loss)
    e.t_uv[rows] = t[0]  # a tie met twice keeps the later update
    e.t_vu[rows] = t[1]
