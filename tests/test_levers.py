"""Which levers each outcome probability reads, found by running it on a recording parameter set.

Revision 2 of the model (issue 13) requires that no lever enters an outcome probability
(adoption, project success, learning vs blame, perishing): levers change state, and only state
enters those probabilities. Model 0.1 does not meet that rule; :data:`LEVER_INPUTS_0_1` states
exactly where it breaks it, and this test fails as soon as the code and that statement differ
(so the revised model must empty every set, and the ODD's lever table must follow).
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim.mechanisms import OUTCOME_PROBABILITIES
from collabsim.params import DERIVED, PARAMS
from collabsim.state import Project
from conftest import make

LEVERS = {q.name for q in PARAMS.values() if q.lever}

#: Levers that model 0.1's outcome probabilities read directly (verification that the review's
#: findings are real: the entry-point rule inside adoption, community stages inside uptake,
#: the navigator switch inside the learning odds).
LEVER_INPUTS_0_1 = {
    "adoption": {"entry_points"},
    "project success": {"community_stages"},
    "learning vs blame": {"navigator"},
    "perishing": set(),
}


class Recording:
    """A parameter set that records every name read from it (derived names count as sources)."""

    def __init__(self, p) -> None:
        self._p = p
        self.read: set[str] = set()

    def __getattr__(self, name: str):
        self.read.update(DERIVED[name][1] if name in DERIVED else (name,))
        return getattr(self._p, name)


def levers_read(name: str, overrides: dict) -> set[str]:
    m = make(3, **overrides)
    s = m.state
    rec = Recording(m.p)
    fn = OUTCOME_PROBABILITIES[name]
    fit = np.array([0.5, 0.5, 0.5])
    if name == "adoption":
        support = np.ones(s.n_people, dtype=bool)
        fn(s, rec, support, 1.0, fit)
    elif name == "project success":
        s.project = Project(0.5, 0.3, 0.8, 10, 0, True)
        fn(s, rec, 0.5, 0.5)
    elif name == "learning vs blame":
        fn(s, rec)
    else:
        fn(s, rec, np.random.default_rng(0), 1)
    return rec.read & LEVERS


@pytest.mark.parametrize("name", sorted(LEVER_INPUTS_0_1))
def test_outcome_probabilities_read_exactly_the_stated_levers(name):
    # both settings of every switch, so that no branch hides a read
    seen = set()
    for on in (False, True):
        overrides = {"navigator": on, "entry_points": on, "data_use": on, "adaptable": on}
        seen |= levers_read(name, overrides)
    assert seen == LEVER_INPUTS_0_1[name]


def test_every_outcome_probability_is_checked():
    assert set(OUTCOME_PROBABILITIES) == set(LEVER_INPUTS_0_1)
