"""The strategic triangle (submodel 8): operational capacity, legitimacy & support, public value.

- **Operational capacity** is the capacity-weighted effort organizations commit, scaled by the
  collaboration's resources. Service providers (nonprofits, businesses) commit only once a
  decision has been adopted: without decisions there is nothing to deliver (the Hartford
  pattern: no providers to design programs). An NAO adds dedicated capacity.
- **Legitimacy** gains from diverse representation and community engagement and decays while no
  visible result is recent (wins and stat-meeting transparency are handled where they happen).
- **Public value** grows each week once something has been adopted, at ``public_value_rate *
  min(OC, L) * agreement * alignment``, alignment being the leverage of the current plan
  (Moore's triangle: value needs both capacity and support). Wins add to it directly.
"""

from __future__ import annotations

import math

import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.state import State

__all__ = ["triangle"]

#: Weeks a win stays visible before legitimacy starts to decay.
VISIBLE_WEEKS = 26
#: Weekly legitimacy gain from fully diverse representation.
DIVERSITY_LEGITIMACY = 0.005


def triangle(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Update capacity, legitimacy and public value (in place)."""
    per_org = np.bincount(s.org, s.effort, s.n_orgs)  # summed effort of each organization
    per_org *= s.weight_always if s.adopted == 0 else s.weight_all
    oc = float(per_org.sum()) * p.inv_reps * (0.4 + 0.6 * p.resources)
    if s.mode == gov.NAO:
        oc += gov.NAO_CAPACITY * (1.0 - oc)
    s.capacity_oc = min(1.0, max(0.0, oc))
    L = s.legitimacy
    gain = DIVERSITY_LEGITIMACY * p.div_index
    since = week - max(s.last_win_week, 0)
    decay = p.legitimacy_decay if since > VISIBLE_WEEKS else 0.0
    L += gain * (1.0 - L) - decay * L
    s.legitimacy = min(1.0, max(0.0, L))
    if s.adopted > 0:
        align = math.exp(-((s.plan - s.theta) ** 2) / (2.0 * p.leverage_width**2))
        flow = p.public_value_rate * min(s.capacity_oc, s.legitimacy) * s.consensus * align
        if s.mode == gov.NAO:
            flow *= 1.0 - gov.NAO_OVERHEAD
        s.public_value += flow
    if s.impact_week < 0 and s.public_value >= p.impact_target:
        s.impact_week = week
