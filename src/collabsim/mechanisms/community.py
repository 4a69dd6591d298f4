"""Community engagement (submodel 5): residents who know where the problem's leverage lies.

Engagement covers ``community_stages`` stages in order: define, design, implement, evaluate.
Defining the problem with residents pulls members' frames toward the true leverage point each
week; every stage engaged earns legitimacy and support, and what residents know about the
problem raises the collaboration's evidence precision toward a ceiling set by the engagement.
(Designing with residents steers proposals, implementing with them raises program uptake and
evaluating with them sharpens the evidence after an outcome: see ``entry_point`` and
``projects``.)
"""

from __future__ import annotations

import numba
import numpy as np

from collabsim.state import State

__all__ = ["community", "uptake"]


def uptake(s: State, p) -> float:
    """Program uptake: legitimacy times how far implementation engages residents."""
    return s.legitimacy * (0.35 + 0.65 * min(1.0, p.community_stages / 3.0))


def community(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Apply one week of community engagement (in place)."""
    if p.community_stages <= 0:
        return
    x = s.frame
    view = rng.normal(s.theta, p.resident_spread, len(x))  # each member meets residents
    _pull(x, view, s.effort, p.community_pull)
    s.legitimacy += p.community_legitimacy * p.kappa * (1.0 - s.legitimacy)
    ceiling = p.community_evidence_ceiling * p.kappa
    if s.evidence_precision < ceiling:
        s.evidence_precision += p.community_evidence * (ceiling - s.evidence_precision)


@numba.njit(cache=True, nogil=True)
def _pull(x, view, effort, pull):
    """Frames move toward residents' views: ``x += (view - x) * effort * pull``, clipped."""
    for i in range(x.shape[0]):
        x[i] = max(min(x[i] + (view[i] - x[i]) * effort[i] * pull, 1.0), 0.0)
