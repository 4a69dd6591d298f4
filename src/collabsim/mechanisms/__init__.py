"""The model's submodels, one module each, run by the model in this fixed order every week.

1. :func:`turnover` 2. :func:`effort` 3. :func:`dialogue` 4. :func:`stat_meeting`
5. :func:`community` 6. :func:`entry_point` 7. :func:`projects` 8. :func:`triangle`
9. :func:`perish`. Each is a function ``(state, params, rng, week) -> None`` acting on arrays.
"""

from collabsim.mechanisms.community import community
from collabsim.mechanisms.dialogue import dialogue
from collabsim.mechanisms.effort import effort
from collabsim.mechanisms.entry_point import entry_point
from collabsim.mechanisms.perish import perish
from collabsim.mechanisms.projects import projects
from collabsim.mechanisms.stat_meeting import stat_meeting
from collabsim.mechanisms.triangle import triangle
from collabsim.mechanisms.turnover import turnover

#: The schedule: submodels in the order they run each week (ODD "process overview").
SCHEDULE = (
    turnover,
    effort,
    dialogue,
    stat_meeting,
    community,
    entry_point,
    projects,
    triangle,
    perish,
)

__all__ = [
    "SCHEDULE",
    "community",
    "dialogue",
    "effort",
    "entry_point",
    "perish",
    "projects",
    "stat_meeting",
    "triangle",
    "turnover",
]
