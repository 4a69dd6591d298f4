"""The strategic triangle (submodel 8): operational capacity, legitimacy & support, public value.

- **Operational capacity** is the capacity-weighted effort organizations commit, scaled by the
  collaboration's resources. Service providers (nonprofits, businesses) commit only once a
  decision has been adopted: without decisions there is nothing to deliver (the Hartford
  pattern: no providers to design programs). An NAO adds dedicated capacity; during a change
  of governance mode ``transition_capacity`` of it is lost.
- **Legitimacy** gains from diverse representation and community engagement and decays while no
  visible result is recent (wins and stat-meeting transparency are handled where they happen).
- **Public value** grows each week from the programs that work (won projects keep delivering),
  at ``public_value_rate * min(OC, L) * plan support * programs``, ``programs`` being the sum
  of leverage x size of the won projects and plan support the share of members who can accept
  the current plan (Moore's triangle: value needs capacity, support, and something that works;
  programs keep running only while the people at the table back them, so turnover that brings
  in people who never agreed to the plan slows value until consensus is re-made). Each win also
  adds a lump of value directly. **Programs wither**: each week public value and the running
  programs lose ``value_wither * (1 - health)`` of themselves, health being ``min(OC, L, plan
  support)``; without capacity, legitimacy or backing, what was built decays.
"""

from __future__ import annotations

import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.state import State

__all__ = ["triangle"]


def triangle(s: State, p, rng: np.random.Generator, week: int) -> None:
    """Update capacity, legitimacy and public value (in place)."""
    weight = s.weight_always if s.adopted == 0 else s.weight_all
    per_org = np.bincount(s.org, s.effort, s.n_orgs)  # summed effort of each organization
    per_org *= weight
    committed = float(np.add.reduce(per_org))
    oc = committed * p.inv_reps * (0.4 + 0.6 * p.resources)
    if s.mode == gov.NAO:
        oc += p.nao_capacity * (1.0 - oc)
    if week < s.transition_until:
        oc *= 1.0 - p.transition_capacity
    s.capacity_oc = min(1.0, max(0.0, oc))
    L = s.legitimacy
    gain = p.diversity_legitimacy * s.div_index
    since = week - max(s.last_win_week, 0)
    decay = p.legitimacy_decay if since > p.visible_weeks else 0.0
    L += gain * (1.0 - L) - decay * L
    s.legitimacy = min(1.0, max(0.0, L))
    if s.programs > 0.0:
        flow = p.public_value_rate * min(s.capacity_oc, s.legitimacy) * s.plan_support * s.programs
        if s.mode == gov.NAO:
            flow *= 1.0 - p.nao_overhead
        health = min(s.capacity_oc, s.legitimacy, s.plan_support)
        wither = p.value_wither * (1.0 - health)
        s.programs -= wither * s.programs
        s.public_value += flow - wither * s.public_value
    if s.impact_week < 0 and s.public_value >= p.impact_target:
        s.impact_week = week
