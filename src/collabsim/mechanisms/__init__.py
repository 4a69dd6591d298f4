"""The model's submodels, one module each, run by the model in this fixed order every week.

1. turnover 2. effort 3. dialogue, then climate (psychological safety) 4. stat_meeting
5. community 6. entry_point 7. projects 8. triangle 9. perish (one module each, holding a
function of the same name). Each is a compiled function ``(world, params, rng, week) -> None``
acting in place on the arrays of a :data:`~collabsim.state.World` (``State.world()``) with the
parameters' :data:`~collabsim.params.KernelParams` (``Params.kernel``); :func:`run_week` runs
them all, so a whole week is one compiled call. ``NUMBA_DISABLE_JIT=1`` runs the same code as
plain Python.
"""

import numba

from collabsim.mechanisms import (
    climate,
    community,
    dialogue,
    effort,
    entry_point,
    perish,
    projects,
    stat_meeting,
    triangle,
    turnover,
)

#: The schedule: submodels in the order they run each week (ODD "process overview").
SCHEDULE = (
    turnover.turnover,
    effort.effort,
    dialogue.dialogue,
    climate.climate,
    stat_meeting.stat_meeting,
    community.community,
    entry_point.entry_point,
    projects.projects,
    triangle.triangle,
    perish.perish,
)


@numba.njit(cache=True, nogil=True)
def run_week(w, p, rng, week: int) -> None:
    """Run every submodel of :data:`SCHEDULE`, in its order, for one week (in place)."""
    turnover.turnover(w, p, rng, week)
    effort.effort(w, p, rng, week)
    dialogue.dialogue(w, p, rng, week)
    climate.climate(w, p, rng, week)
    stat_meeting.stat_meeting(w, p, rng, week)
    community.community(w, p, rng, week)
    entry_point.entry_point(w, p, rng, week)
    projects.projects(w, p, rng, week)
    triangle.triangle(w, p, rng, week)
    perish.perish(w, p, rng, week)


#: The functions that compute the model's outcome probabilities: the rule "no lever in an
#: outcome probability" (ODD 7.14) is checked on them by tests/test_levers.py.
OUTCOME_PROBABILITIES = {
    "adoption": entry_point.adoption_odds,
    "project success": projects.success_probability,
    "learning vs blame": projects.learning_odds,
    "perishing": perish.perish,
}

__all__ = ["OUTCOME_PROBABILITIES", "SCHEDULE", "run_week"]
