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
    view -= x
    view *= s.effort
    view *= p.community_pull
    x += view
    np.minimum(x, 1.0, out=x)
    np.maximum(x, 0.0, out=x)
    s.legitimacy += p.community_legitimacy * p.kappa * (1.0 - s.legitimacy)
    ceiling = p.community_evidence_ceiling * p.kappa
    if s.evidence_precision < ceiling:
        s.evidence_precision += p.community_evidence * (ceiling - s.evidence_precision)
