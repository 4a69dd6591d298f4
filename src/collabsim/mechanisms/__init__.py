"""The model's submodels, one module each, run by the model in this fixed order every week.

1. turnover 2. effort 3. dialogue, then climate (psychological safety) 4. stat_meeting
5. community 6. entry_point 7. projects 8. triangle 9. perish (one module each, holding a
function of the same name). Each is a function ``(state, params, rng, week) -> None`` acting on
arrays.
"""

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

#: The functions that compute the model's outcome probabilities: the rule "no lever in an
#: outcome probability" (ODD 7.14) is checked on them by tests/test_levers.py.
OUTCOME_PROBABILITIES = {
    "adoption": entry_point.adoption_odds,
    "project success": projects.success_probability,
    "learning vs blame": projects.learning_odds,
    "perishing": perish.perish,
}

__all__ = ["OUTCOME_PROBABILITIES", "SCHEDULE"]
