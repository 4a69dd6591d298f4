"""Community engagement (submodel 5): residents' lived experience as a noisy, partly biased signal.

Residents hold a spread of views about the problem (s.d. ``resident_spread``), centred near but
not at the true leverage point: their shared bias is drawn once per run (s.d.
``resident_bias``). Engagement covers ``community_stages`` stages in order: define, design,
implement, evaluate.

- **Every engaged stage** gives a signal about the problem: each week every member hears
  residents once per engaged stage (the views averaged, so more stages give a larger and less
  noisy signal) and moves toward them by ``community_pull`` times the stages engaged times
  their effort times the signal's weight (trust in residents times the team's psychological
  safety: :func:`~collabsim.mechanisms.climate.signal_weight`).
- **Design** (stage 2): a proposal's aim moves toward a resident's view (``entry_point``).
- **Implement** (stage 3): residents' backing of the programs (co-production) builds toward the
  share of implementation engaged with them, at ``backing_rate`` a week, and program uptake is
  legitimacy times that backing (:func:`uptake`).
- **Evaluate** (stage 4): residents' evaluation sharpens the evidence after an outcome
  (``projects``).

Every engaged stage earns legitimacy through procedural fairness (Fung 2006), and what
residents know raises the collaboration's evidence precision toward a ceiling set by the
engagement. Nothing here reads the true leverage point except through the residents' views.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from collabsim.mechanisms.climate import signal_weight
from collabsim.state import State

__all__ = ["community", "resident_view", "uptake"]


def uptake(s: State, p) -> float:
    """Program uptake: legitimacy times residents' backing (``0.35 + 0.65 * backing``)."""
    return s.legitimacy * (0.35 + 0.65 * s.backing)


def resident_view(s: State, p, rng: np.random.Generator, size: int | None = None):
    """Views of residents met (one per draw): their centre plus individual spread."""
    return rng.normal(s.resident_center, p.resident_spread, size)


def community(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Apply one week of community engagement (in place)."""
    target = min(1.0, p.community_stages / 3.0) if p.community_stages >= 3 else 0.0
    s.backing += p.backing_rate * (target - s.backing)
    if p.community_stages <= 0:
        return
    x = s.frame
    k = p.community_stages
    # each member meets residents once per engaged stage: the mean of k views
    view = s.resident_center + (p.resident_spread / math.sqrt(k)) * rng.normal(size=len(x))
    w = signal_weight(p, p.resident_trust, s.team_safety)
    _pull(x, view, s.effort, min(1.0, p.community_pull * k * w))
    s.legitimacy += p.community_legitimacy * p.kappa * (1.0 - s.legitimacy)
    ceiling = p.community_evidence_ceiling * p.kappa
    if s.evidence_precision < ceiling:
        s.evidence_precision += p.community_evidence * (ceiling - s.evidence_precision)


@numba.njit(cache=True, nogil=True)
def _pull(x, view, effort, pull):
    """Frames move toward residents' views: ``x += (view - x) * effort * pull``, clipped."""
    for i in range(x.shape[0]):
        x[i] = max(min(x[i] + (view[i] - x[i]) * effort[i] * pull, 1.0), 0.0)
