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

from collabsim.mechanisms.trust import update_trust
from collabsim.state import State

__all__ = ["dialogue"]

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


def dialogue(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Run one week of meetings: frames and trust update (in place)."""
    n = s.n_people
    if n < 2 or p.meeting_rate <= 0.0:
        return
    e = s.edges
    m = int(p.meeting_rate * n / 2 + rng.random())
    m_tie = int(TIE_SHARE * m) if e.n else 0
    m_table = m - m_tie
    parts = []
    bonus_parts = []
    if m_tie:
        w = TIE_BASE_WEIGHT + e.t_uv[: e.n] + e.t_vu[: e.n]
        cum = np.cumsum(w)
        rows = np.searchsorted(cum, rng.random(m_tie) * cum[-1], side="right")
        parts.append(np.minimum(rows, e.n - 1))
    if m_table:
        a = rng.integers(n, size=m_table)
        b = rng.integers(n - 1, size=m_table)
        b += b >= a
        parts.append(e.find_or_add(a, b, p.stranger_trust))
    if p.navigator and p.navigator_brokered > 0.0:
        k = int(p.navigator_brokered * n / 2 + rng.random())
        if k:
            a = rng.integers(n, size=k)
            b = rng.integers(n, size=k)
            ok = (s.seat_sector[a] != s.seat_sector[b]) & (a != b)
            if ok.any():
                a, b = a[ok], b[ok]
                rows = e.find_or_add(a, b, p.stranger_trust)
                parts.append(rows)
                bonus_parts.append((len(rows), a, b))
    if not parts:  # no meeting this week (a low meeting rate at a small table)
        return
    rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
    u = e.u[rows]
    v = e.v[rows]
    x = s.frame
    d = x[v] - x[u]
    ad = np.abs(d)
    jps = p.joint_problem_solving
    reach = s.openness * (1.0 + jps)
    tuv = e.t_uv[rows]
    tvu = e.t_vu[rows]
    # people hear out those they trust from further away (trust-weighted bounded confidence)
    in_u = ad < reach[u] * (TRUST_REACH_BASE + tuv)
    in_v = ad < reach[v] * (TRUST_REACH_BASE + tvu)
    mu = p.frame_step
    move = np.bincount(u, mu * tuv * d * in_u, minlength=n)
    move -= np.bincount(v, mu * tvu * d * in_v, minlength=n)
    np.clip(x + move, 0.0, 1.0, out=x)
    # trust signals from the partner's visible effort, conflict and joint problem-solving
    eff = s.effort
    base = jps * JPS_SIGNAL
    pen = (1.0 - jps) * CONFLICT_SIGNAL
    sig_u = 2.0 * (eff[v] - p.effort_expected) + base - pen * (1.0 - tuv) * ~in_u
    sig_v = 2.0 * (eff[u] - p.effort_expected) + base - pen * (1.0 - tvu) * ~in_v
    if bonus_parts:
        k, a, b = bonus_parts[0]
        nav = BROKER_SIGNAL * 0.5 * (s.nav_trust[a] + s.nav_trust[b])
        sig_u[-k:] += nav
        sig_v[-k:] += nav
    np.clip(sig_u, -1.0, 1.0, out=sig_u)
    np.clip(sig_v, -1.0, 1.0, out=sig_v)
    e.t_uv[rows] = update_trust(tuv, sig_u, p.trust_gain, p.trust_loss)
    e.t_vu[rows] = update_trust(tvu, sig_v, p.trust_gain, p.trust_loss)
