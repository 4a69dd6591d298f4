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

from collabsim.kernels import kernel
from collabsim.state import State

__all__ = ["community", "uptake"]

#: Weekly share of the gap to residents' view closed by a fully engaged member (define stage).
COMMUNITY_PULL = 0.02
#: Spread of residents' views around the true leverage point.
RESIDENT_SPREAD = 0.1
#: Weekly legitimacy gain at full engagement (all four stages).
COMMUNITY_LEGITIMACY = 0.02
#: Weekly share of the gap to the engagement's evidence ceiling closed (residents' knowledge).
COMMUNITY_EVIDENCE = 0.02
#: Evidence precision that residents' knowledge alone can bring, at full engagement.
COMMUNITY_EVIDENCE_CEILING = 0.6


def uptake(s: State, p) -> float:
    """Program uptake: legitimacy times how far implementation engages residents."""
    return s.legitimacy * (0.35 + 0.65 * min(1.0, p.community_stages / 3.0))


def community(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Apply one week of community engagement (in place)."""
    if p.community_stages <= 0:
        return
    x = s.frame
    view = rng.normal(s.theta, RESIDENT_SPREAD, len(x))  # each member meets residents
    compiled = kernel("community")
    if compiled is not None:  # the same update, compiled (collabsim.kernels)
        compiled(x, view, s.effort, COMMUNITY_PULL)
    else:
        _pull(x, view, s.effort)
    s.legitimacy += COMMUNITY_LEGITIMACY * p.kappa * (1.0 - s.legitimacy)
    ceiling = COMMUNITY_EVIDENCE_CEILING * p.kappa
    if s.evidence_precision < ceiling:
        s.evidence_precision += COMMUNITY_EVIDENCE * (ceiling - s.evidence_precision)


def _pull(x: np.ndarray, view: np.ndarray, effort: np.ndarray) -> None:
    """Move frames ``x`` toward residents' ``view`` (numpy path, in place)."""
    view -= x
    view *= effort
    view *= COMMUNITY_PULL
    x += view
    np.minimum(x, 1.0, out=x)
    np.maximum(x, 0.0, out=x)
