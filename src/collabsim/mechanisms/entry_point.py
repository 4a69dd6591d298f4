"""Entry points and decisions (submodel 6): from talk to a first project.

When no project is under way, a proposal appears with a weekly probability that rises with the
team's diversity and initiative (Martinez Orbegozo et al. 2022; outward orientation reaches it
only through community engagement, not again here). The proposer aims at the problem as they
frame it; residents engaged in design steer the aim toward *their* view (a noisy, partly biased
signal, weighed by trust in residents and the team's safety), not toward the true point.

With entry points, the proposal is the candidate project nearest the aim, cut to the entry
scope (actionable) and provisional: members accept it if it sits within their openness widened
by its provisionality (acceptable) and they have effort to give. Without entry points, the
proposal is a plan for the whole problem, not provisional: members accept it only within their
plain openness, and it can be adopted only if nearly everyone (``near_full_consensus``) accepts
it and the shared understanding (share of pairs of members who frame the problem alike) is as
high. The decision reads only the proposal and the state: whether the proposal is provisional
is a property of the proposal, which the entry-points lever shaped. The governance mode's rule
then decides, and the mode's fit to the current conditions sets the odds that a decision is
actually made. A failed decision is a small setback: an adaptable collaboration that learns
from it (with the same state-dependent odds as after a failed project) reviews its governance
mode.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.mechanisms.climate import signal_weight
from collabsim.mechanisms.community import resident_view
from collabsim.mechanisms.projects import learning_odds
from collabsim.mechanisms.stat_meeting import leverage
from collabsim.state import (
    ADOPTED,
    CROSS_DENSITY,
    EV_ADOPTED,
    EV_PROPOSAL,
    FIRST_ADOPTION,
    LEGITIMACY,
    MODE,
    PAUSE_UNTIL,
    PLAN,
    PR_ACTIVE,
    PR_DURATION,
    PR_ENTRY,
    PR_LEVERAGE,
    PR_OC_SUM,
    PR_POSITION,
    PR_SIZE,
    PR_STARTED,
    PR_WEEKS_RUN,
    PROPOSAL_CHANCE,
    PROPOSALS,
    TEAM_SAFETY,
    THETA,
    UNDERSTANDING,
    log_event,
)

__all__ = ["adoption_odds", "entry_point", "leverage"]


@numba.njit(cache=True, nogil=True, inline="always")
def adoption_odds(
    w, p, provisional: bool, support: np.ndarray, share: float, fit: np.ndarray
) -> tuple[bool, float]:
    """Whether the decision rule passes a proposal, and the chance the decision is then made.

    The governance mode's rule (:func:`governance.decide`) must pass; a proposal that is not
    provisional (a plan for the whole problem) also needs near-full acceptance and shared
    understanding. The decision is then made with probability ``adopt_floor + (1 -
    adopt_floor) * fit`` of the current mode.

    Args:
        w: The state.
        p: The parameters.
        provisional: Whether the proposal is a provisional entry point (a property of the
            proposal, which the entry-points lever shaped).
        support: Whether each seat supports the proposal.
        share: The share of seats that support it.
        fit: Fit of each governance mode.
    """
    mode = w.ns[MODE]
    passes = gov.decide(p, mode, support, w.org, share)
    if not provisional and min(share, w.fs[UNDERSTANDING]) < p.near_full_consensus:
        passes = False
    return passes, p.adopt_floor + (1.0 - p.adopt_floor) * fit[mode]


@numba.njit(cache=True, nogil=True, inline="always")
def entry_point(w, p, rng, week: int) -> None:
    """Maybe make and decide on a proposal (in place)."""
    fs, ns = w.fs, w.ns
    if ns[PR_ACTIVE] or week < ns[PAUSE_UNTIL]:
        return
    if rng.random() >= fs[PROPOSAL_CHANCE]:
        return
    ns[PROPOSALS] += 1
    eff, x = w.effort, w.frame
    n = x.shape[0]
    cum = np.cumsum(eff)
    proposer = min(np.searchsorted(cum, rng.random() * cum[-1], side="right"), n - 1)
    aim = x[proposer]
    if p.community_stages >= 2:
        weight = signal_weight(p, p.resident_trust, fs[TEAM_SAFETY])
        aim += p.design_pull * weight * (resident_view(w, p, rng) - aim)
    if p.entry_points:
        k = np.argmin(np.abs(w.project_pos - aim))
        z = w.project_pos[k]
        size = p.entry_scope * w.project_size[k]
        widen = 1.0 + p.provisionality
    else:
        z = aim
        size = 1.0
        widen = 1.0
    support = np.empty(n, dtype=np.bool_)
    count = 0
    for i in range(n):
        support[i] = abs(x[i] - z) < w.openness[i] * widen and eff[i] > p.effort_min
        count += support[i]
    share = count / n
    fit = gov.fits(w.sector.shape[0], fs[CROSS_DENSITY], fs[UNDERSTANDING], min(1.0, size))
    dur = max(p.min_project_weeks, round(p.project_weeks * size))
    passes, p_adopt = adoption_odds(w, p, p.entry_points, support, share, fit)
    if not passes or rng.random() >= p_adopt:
        log_event(w, week, EV_PROPOSAL, 1 if passes else 0, 0, z, share, fit[ns[MODE]])
        if p.adaptable and rng.random() < learning_odds(w, p):
            gov.adapt(w, p, week, fit)
        return
    ns[PR_ACTIVE] = 1
    fs[PR_POSITION] = z
    fs[PR_SIZE] = size
    fs[PR_LEVERAGE] = leverage(z, fs[THETA], p.leverage_width)
    fs[PR_OC_SUM] = 0.0
    ns[PR_DURATION] = dur
    ns[PR_STARTED] = week
    ns[PR_ENTRY] = p.entry_points
    ns[PR_WEEKS_RUN] = 0
    ns[ADOPTED] += 1
    fs[PLAN] = z if not math.isfinite(fs[PLAN]) else 0.5 * (fs[PLAN] + z)
    if ns[FIRST_ADOPTION] < 0:
        ns[FIRST_ADOPTION] = week
    mode = ns[MODE]
    if mode == gov.SHARED:
        fs[LEGITIMACY] += p.shared_legitimacy * (1.0 - fs[LEGITIMACY])
    elif mode == gov.LEAD:
        for i in range(n):
            if not support[i]:
                w.commitment[i] *= 1.0 - p.imposed_cost
        fs[LEGITIMACY] -= p.lead_legitimacy * fs[LEGITIMACY]
    log_event(w, week, EV_ADOPTED, 1 if p.entry_points else 0, dur, z, share)
