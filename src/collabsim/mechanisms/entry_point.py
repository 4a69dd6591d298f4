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

import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.mechanisms.climate import signal_weight
from collabsim.mechanisms.community import resident_view
from collabsim.mechanisms.projects import learning_odds
from collabsim.state import Project, State

__all__ = ["adoption_odds", "entry_point"]


def leverage(z: float, theta: float, width: float) -> float:
    """Leverage ``exp(-(z - theta)^2 / 2 w^2)`` of acting at frame position ``z``."""
    return math.exp(-((z - theta) ** 2) / (2.0 * width * width))


def adoption_odds(
    s: State, p, proposal: Project, support: np.ndarray, share: float, fit: np.ndarray
) -> tuple[bool, float]:
    """Whether the decision rule passes a proposal, and the chance the decision is then made.

    The governance mode's rule (:func:`governance.decide`) must pass; a proposal that is not
    provisional (a plan for the whole problem) also needs near-full acceptance and shared
    understanding. The decision is then made with probability ``adopt_floor + (1 -
    adopt_floor) * fit`` of the current mode.
    """
    passes = gov.decide(p, s.mode, support, s.org, share)
    if not proposal.entry_point and min(share, s.understanding) < p.near_full_consensus:
        passes = False
    return passes, p.adopt_floor + (1.0 - p.adopt_floor) * fit[s.mode]


def entry_point(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Maybe make and decide on a proposal (in place)."""
    if s.project is not None or week < s.pause_until:
        return
    if rng.random() >= s.proposal_chance:
        return
    s.proposals += 1
    eff = s.effort
    cum = np.cumsum(eff)
    proposer = int(np.searchsorted(cum, rng.random() * cum[-1], side="right"))
    proposer = min(proposer, len(eff) - 1)
    aim = float(s.frame[proposer])
    if p.community_stages >= 2:
        w = signal_weight(p, p.resident_trust, s.team_safety)
        aim += p.design_pull * w * (float(resident_view(s, p, rng)) - aim)
    if p.entry_points:
        k = int(np.argmin(np.abs(s.project_pos - aim)))
        z = float(s.project_pos[k])
        size = p.entry_scope * float(s.project_size[k])
        widen = 1.0 + p.provisionality
    else:
        z = aim
        size = 1.0
        widen = 1.0
    reach = s.openness * widen if p.entry_points else s.openness
    support = (np.abs(s.frame - z) < reach) & (eff > p.effort_min)
    count = np.count_nonzero(support)
    share = count / len(support)  # (support.mean(), without its overhead)
    fit = gov.fits(s.n_orgs, s.cross_density, s.understanding, min(1.0, size))
    dur = max(p.min_project_weeks, round(p.project_weeks * size))
    proposal = Project(
        position=z,
        size=size,
        leverage=leverage(z, s.theta, p.leverage_width),
        duration=dur,
        started=week,
        entry_point=bool(p.entry_points),
    )
    passes, p_adopt = adoption_odds(s, p, proposal, support, share, fit)
    if not passes or rng.random() >= p_adopt:
        why = (
            "too little support for the decision rule"
            if not passes
            else f"no decision: the governance mode fits poorly (fit {fit[s.mode]:.2f})"
        )
        s.log(
            week,
            "proposal",
            f"proposal at {z:.2f} not adopted, {share:.0%} support: {why}",
        )
        if p.adaptable and rng.random() < learning_odds(s, p):
            gov.adapt(s, p, week, fit)
        return
    s.project = proposal
    s.adopted += 1
    s.plan = z if not math.isfinite(s.plan) else 0.5 * (s.plan + z)
    if s.first_adoption_week < 0:
        s.first_adoption_week = week
    if s.mode == gov.SHARED:
        s.legitimacy += p.shared_legitimacy * (1.0 - s.legitimacy)
    elif s.mode == gov.LEAD:
        against = ~support
        s.commitment[against] *= 1.0 - p.imposed_cost
        s.legitimacy -= p.lead_legitimacy * s.legitimacy
    kind = "entry point" if p.entry_points else "whole plan"
    s.log(week, "adopted", f"{kind} adopted at {z:.2f} ({share:.0%} support, {dur} wk)")
