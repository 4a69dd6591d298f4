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

import numba
import numpy as np

from collabsim.state import (
    EV_GOVERNANCE,
    GOVERNANCE_CHANGES,
    MODE,
    PAUSE_UNTIL,
    TRANSITION_UNTIL,
    log_event,
)

__all__ = ["LEAD", "NAO", "SHARED", "adapt", "decide", "fits"]

#: Mode codes (index into :data:`collabsim.params.GOVERNANCE_MODES`).
SHARED, LEAD, NAO = 0, 1, 2


@numba.njit(cache=True, nogil=True)
def _bump(x: float, center: float) -> float:
    """A smooth bump in [0, 1], 1 at ``center`` (Gaussian, s.d. 0.25)."""
    z = (x - center) / 0.25
    return math.exp(-0.5 * z * z)


@numba.njit(cache=True, nogil=True)
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
    a, b, c = n_orgs / 7.0, n_orgs / 25.0, math.log(n_orgs / 14.0) / 0.5
    few = 1.0 / (1.0 + a * a * a)
    many = 1.0 - 1.0 / (1.0 + b * b * b)
    moderate = math.exp(-0.5 * c * c)
    w0, w1, w2, w3 = 2.0, 1.0, 0.5, 0.5
    tot = w0 + w1 + w2 + w3
    out = np.empty(3)
    out[SHARED] = (w0 * few + w1 * trust + w2 * consensus + w3 * (1.0 - need)) / tot
    out[LEAD] = (
        w0 * moderate + w1 * (1.0 - trust) + w2 * _bump(consensus, 0.35) + w3 * _bump(need, 0.5)
    ) / tot
    out[NAO] = (w0 * many + w1 * _bump(trust, 0.5) + w2 * _bump(consensus, 0.65) + w3 * need) / tot
    return out


@numba.njit(cache=True, nogil=True, inline="always")
def decide(p, mode: int, support: np.ndarray, org: np.ndarray, share: float) -> bool:
    """Apply the decision rule of ``mode`` to members' support (bool per seat).

    Args:
        p: The parameters (quorums).
        mode: The governance mode.
        support: Whether each seat supports the proposal.
        org: Organization of each seat.
        share: The share of seats that support it.
    """
    if mode == LEAD:
        n_lead = 0
        yes = 0
        for i in range(org.shape[0]):
            if org[i] == 0:
                n_lead += 1
                yes += support[i]
        return n_lead > 0 and yes / n_lead >= 0.5
    return share >= (p.shared_quorum if mode == SHARED else p.nao_quorum)


@numba.njit(cache=True, nogil=True, inline="always")
def adapt(w, p, week: int, fit: np.ndarray) -> None:
    """Move an adaptable collaboration to the best-fitting mode after a setback (in place)."""
    if not p.adaptable:
        return
    ns = w.ns
    best = int(np.argmax(fit))
    mode = ns[MODE]
    if best != mode and fit[best] > fit[mode] + p.switch_margin:
        ns[MODE] = best
        ns[GOVERNANCE_CHANGES] += 1
        ns[PAUSE_UNTIL] = week + p.switch_pause
        ns[TRANSITION_UNTIL] = week + p.transition_weeks
        c = w.commitment
        for i in range(c.shape[0]):
            c[i] -= p.transition_commitment * c[i]
        log_event(w, week, EV_GOVERNANCE, mode, best)
