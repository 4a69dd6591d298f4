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

import numba
import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.state import (
    ADOPTED,
    CAPACITY_OC,
    DIV_INDEX,
    IMPACT_WEEK,
    LAST_WIN,
    LEGITIMACY,
    MODE,
    PLAN_SUPPORT,
    PROGRAMS,
    PUBLIC_VALUE,
    TRANSITION_UNTIL,
)

__all__ = ["triangle"]


@numba.njit(cache=True, nogil=True, inline="always")
def triangle(w, p, rng, week: int) -> None:
    """Update capacity, legitimacy and public value (in place)."""
    fs, ns = w.fs, w.ns
    weight = w.weight_always if ns[ADOPTED] == 0 else w.weight_all
    per_org = np.zeros(weight.shape[0])  # summed effort of each organization
    for i in range(w.org.shape[0]):
        per_org[w.org[i]] += w.effort[i]
    committed = 0.0
    for o in range(per_org.shape[0]):
        committed += per_org[o] * weight[o]
    oc = committed * p.inv_reps * (0.4 + 0.6 * p.resources)
    if ns[MODE] == gov.NAO:
        oc += p.nao_capacity * (1.0 - oc)
    if week < ns[TRANSITION_UNTIL]:
        oc *= 1.0 - p.transition_capacity
    fs[CAPACITY_OC] = min(1.0, max(0.0, oc))
    legit = fs[LEGITIMACY]
    gain = p.diversity_legitimacy * fs[DIV_INDEX]
    since = week - max(ns[LAST_WIN], 0)
    decay = p.legitimacy_decay if since > p.visible_weeks else 0.0
    legit += gain * (1.0 - legit) - decay * legit
    fs[LEGITIMACY] = min(1.0, max(0.0, legit))
    if fs[PROGRAMS] > 0.0:
        oc, support = fs[CAPACITY_OC], fs[PLAN_SUPPORT]
        flow = p.public_value_rate * min(oc, fs[LEGITIMACY]) * support * fs[PROGRAMS]
        if ns[MODE] == gov.NAO:
            flow *= 1.0 - p.nao_overhead
        health = min(oc, fs[LEGITIMACY], support)
        wither = p.value_wither * (1.0 - health)
        fs[PROGRAMS] -= wither * fs[PROGRAMS]
        fs[PUBLIC_VALUE] += flow - wither * fs[PUBLIC_VALUE]
    if ns[IMPACT_WEEK] < 0 and fs[PUBLIC_VALUE] >= p.impact_target:
        ns[IMPACT_WEEK] = week
