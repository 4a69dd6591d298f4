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

from collabsim.mechanisms.climate import signal_weight
from collabsim.state import BACKING, EVIDENCE, LEGITIMACY, RESIDENT_CENTER, TEAM_SAFETY

__all__ = ["community", "resident_view", "uptake"]


@numba.njit(cache=True, nogil=True, inline="always")
def uptake(w, p) -> float:
    """Program uptake: legitimacy times residents' backing (``0.35 + 0.65 * backing``)."""
    return w.fs[LEGITIMACY] * (0.35 + 0.65 * w.fs[BACKING])


@numba.njit(cache=True, nogil=True, inline="always")
def resident_view(w, p, rng) -> float:
    """The view of one resident met: their centre plus individual spread."""
    return rng.normal(w.fs[RESIDENT_CENTER], p.resident_spread)


@numba.njit(cache=True, nogil=True, inline="always")
def community(w, p, rng, week: int) -> None:
    """Apply one week of community engagement (in place)."""
    fs = w.fs
    k = p.community_stages
    target = min(1.0, k / 3.0) if k >= 3 else 0.0
    fs[BACKING] += p.backing_rate * (target - fs[BACKING])
    if k <= 0:
        return
    x, eff = w.frame, w.effort
    # each member meets residents once per engaged stage: the mean of k views
    spread = p.resident_spread / math.sqrt(k)
    pull = min(1.0, p.community_pull * k * signal_weight(p, p.resident_trust, fs[TEAM_SAFETY]))
    for i in range(x.shape[0]):
        view = fs[RESIDENT_CENTER] + spread * rng.normal()
        x[i] = max(min(x[i] + (view - x[i]) * eff[i] * pull, 1.0), 0.0)
    fs[LEGITIMACY] += p.community_legitimacy * p.kappa * (1.0 - fs[LEGITIMACY])
    ceiling = p.community_evidence_ceiling * p.kappa
    if fs[EVIDENCE] < ceiling:
        fs[EVIDENCE] += p.community_evidence * (ceiling - fs[EVIDENCE])
