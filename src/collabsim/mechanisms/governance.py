"""Governance modes (part of submodels 6 and 7): who must agree, what it costs, how well it fits.

Three modes follow Provan & Kenis (2008, JPART 18:229):

- **shared** governance fits few members, dense trust, high goal consensus and a small need for
  network-level competencies; a proposal needs two thirds of the members; adoption earns
  legitimacy.
- a **lead** organization fits low trust, a moderate number of members, moderately low
  consensus; the lead (organization 0, the convening city agency) decides alone, fast, but
  members who did not support the decision lose commitment and legitimacy suffers.
- a **network administrative organization (NAO)** fits many members, moderate trust and a high
  need for competencies; a simple majority decides; it adds dedicated capacity at an overhead.

:func:`fits` scores each mode against the measured conditions in [0, 1], as smooth functions
(logistic in the logarithm of size, Gaussian bumps elsewhere, no breakpoints) of the number of
members, the density of cross-boundary trust (share of cross-organization ordered pairs whose
trust is above 0.5), the shared understanding (goal consensus) and the need for network-level
competencies. Fit raises the odds of adoption and of execution. An adaptable collaboration that
learns from a setback, or from a proposal it failed to decide on, moves to the best-fitting
mode (:func:`adapt`) when it fits clearly better; the change costs a transition of
``transition_weeks`` with ``transition_capacity`` of operational capacity lost, and
``transition_commitment`` of everyone's commitment. A rigid collaboration keeps its mode.
"""

from __future__ import annotations

import math

import numpy as np

from collabsim.params import GOVERNANCE_MODES
from collabsim.state import State

__all__ = ["LEAD", "NAO", "SHARED", "adapt", "decide", "fits"]

#: Mode codes (index into :data:`collabsim.params.GOVERNANCE_MODES`).
SHARED, LEAD, NAO = 0, 1, 2


def _bump(x: float, center: float) -> float:
    """A smooth bump in [0, 1], 1 at ``center`` (Gaussian, s.d. 0.25)."""
    return math.exp(-0.5 * ((x - center) / 0.25) ** 2)


def fits(n_orgs: int, trust: float, consensus: float, need: float) -> np.ndarray:
    """Fit of each mode (shared, lead, NAO) to the conditions, each in [0, 1].

    A weighted mean of how well the number of members (weight 2), trust density (1), goal
    consensus (0.5) and the need for network-level competencies (0.5) match what the mode
    needs (Provan & Kenis 2008), every term a smooth function.

    Args:
        n_orgs: Number of member organizations.
        trust: Trust density: share of cross-organization ordered pairs with trust above 0.5.
        consensus: Goal consensus (shared understanding, 0-1).
        need: Need for network-level competencies (size of the task, 0-1).
    """
    few = 1.0 / (1.0 + (n_orgs / 7.0) ** 3)
    many = 1.0 - 1.0 / (1.0 + (n_orgs / 25.0) ** 3)
    moderate = math.exp(-0.5 * (math.log(n_orgs / 14.0) / 0.5) ** 2)
    w = (2.0, 1.0, 0.5, 0.5)
    tot = sum(w)
    shared = (w[0] * few + w[1] * trust + w[2] * consensus + w[3] * (1.0 - need)) / tot
    lead = (
        w[0] * moderate
        + w[1] * (1.0 - trust)
        + w[2] * _bump(consensus, 0.35)
        + w[3] * _bump(need, 0.5)
    ) / tot
    nao = (
        w[0] * many + w[1] * _bump(trust, 0.5) + w[2] * _bump(consensus, 0.65) + w[3] * need
    ) / tot
    return np.array([shared, lead, nao])


def decide(p, mode: int, support: np.ndarray, org: np.ndarray, share: float | None = None) -> bool:
    """Apply the decision rule of ``mode`` to members' support (bool per seat).

    Args:
        p: The parameters (quorums).
        mode: The governance mode.
        support: Whether each seat supports the proposal.
        org: Organization of each seat.
        share: ``support.mean()``, if the caller has it already.
    """
    if mode == LEAD:
        lead = org == 0
        n_lead = np.count_nonzero(lead)
        return bool(np.count_nonzero(support & lead) / n_lead >= 0.5) if n_lead else False
    if share is None:
        share = np.count_nonzero(support) / len(support)
    return bool(share >= (p.shared_quorum if mode == SHARED else p.nao_quorum))


def adapt(s: State, p, week: int, fit: np.ndarray) -> None:
    """Move an adaptable collaboration to the best-fitting mode after a setback (in place)."""
    if not p.adaptable:
        return
    best = int(np.argmax(fit))
    if best != s.mode and fit[best] > fit[s.mode] + p.switch_margin:
        old = GOVERNANCE_MODES[s.mode]
        s.mode = best
        s.governance_changes += 1
        s.pause_until = week + p.switch_pause
        s.transition_until = week + p.transition_weeks
        s.commitment -= p.transition_commitment * s.commitment
        s.log(week, "governance", f"governance changed from {old} to {GOVERNANCE_MODES[best]}")
