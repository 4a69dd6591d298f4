"""Levers set conditions; the cycle produces outcomes (ODD 7.14).

Model revision 2 requires that no lever enters an outcome probability (adoption, project
success, learning vs blame, perishing): levers change state, and only state enters those
probabilities. The first tests run every outcome probability on a parameter set that records
every name read from it, with both settings of every switch, and assert that no lever is read
(0.1 read ``entry_points`` in adoption, ``community_stages`` in success and ``navigator`` in
the learning odds: this test failed on it). The last test checks that each of the five key
actions, switched on alone from the baseline, moves the state it is meant to move (the
mediators of the ODD's lever table) in the direction the literature expects.
"""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollaborationModel
from collabsim.mechanisms import OUTCOME_PROBABILITIES
from collabsim.params import DERIVED, PARAMS
from collabsim.state import Project
from conftest import make

LEVERS = {q.name for q in PARAMS.values() if q.lever}


class Recording:
    """A parameter set that records every name read from it (derived names count as sources)."""

    def __init__(self, p) -> None:
        self._p = p
        self.read: set[str] = set()

    def __getattr__(self, name: str):
        self.read.update(DERIVED[name][1] if name in DERIVED else (name,))
        return getattr(self._p, name)


def names_read(name: str, overrides: dict) -> set[str]:
    m = make(3, **overrides)
    s = m.state
    rec = Recording(m.p)
    fn = OUTCOME_PROBABILITIES[name]
    fit = np.array([0.5, 0.5, 0.5])
    if name == "adoption":
        support = np.ones(s.n_people, dtype=bool)
        proposal = Project(0.5, 0.3, 0.8, 10, 0, bool(overrides["entry_points"]))
        fn(s, rec, proposal, support, 1.0, fit)
    elif name == "project success":
        s.project = Project(0.5, 0.3, 0.8, 10, 0, True)
        fn(s, rec, 0.5, 0.5)
    elif name == "learning vs blame":
        fn(s, rec)
    else:
        fn(s, rec, np.random.default_rng(0), 1)
    return rec.read


@pytest.mark.parametrize("name", sorted(OUTCOME_PROBABILITIES))
def test_no_outcome_probability_reads_a_lever(name):
    seen: set[str] = set()
    for on in (False, True):  # both settings of every switch, so that no branch hides a read
        overrides = {"navigator": on, "entry_points": on, "data_use": on, "adaptable": on}
        seen |= names_read(name, overrides)
    assert seen, "the recording saw no parameter at all: the probe is broken"
    assert not seen & LEVERS, f"{name} reads the levers {sorted(seen & LEVERS)}"


def test_the_probe_detects_a_lever():
    # the recording must be able to fail: reading a lever through it is seen
    rec = Recording(make(3).p)
    _ = rec.community_stages, rec.kappa
    assert rec.read & LEVERS == {"community_stages"}


#: Each key action's "on" level from the baseline, and the mediators (ODD lever table) it
#: must raise: cross-boundary trust, psychological safety or shared understanding.
KEY_ACTIONS = {
    "prior relationships": ({"prior_history": 2.0}, ("cross_trust",)),
    "navigator": ({"navigator": True}, ("safety", "cross_trust")),
    "community engagement": ({"community_stages": 3}, ("shared_understanding",)),
    "data use": ({"data_use": True}, ("shared_understanding",)),
    "joint problem-solving": ({"joint_problem_solving": 0.5}, ("safety",)),
}
SEEDS = range(24)
WEEKS = 52


def _mean_path(overrides: dict, names: tuple[str, ...]) -> np.ndarray:
    rows = []
    for seed in SEEDS:
        ts = CollaborationModel(rng=9100 + seed, weeks=WEEKS, **overrides).run().timeseries()
        rows.append(ts[list(names)].to_numpy()[1:].mean(axis=0))  # mean over the year
    return np.asarray(rows)


@pytest.mark.parametrize("action", sorted(KEY_ACTIONS))
def test_each_key_action_alone_moves_its_mediator_up(action):
    overrides, names = KEY_ACTIONS[action]
    off = _mean_path({}, names)
    on = _mean_path(overrides, names)
    diff = on - off  # paired by seed
    se = diff.std(axis=0, ddof=1) / np.sqrt(len(diff))
    for k, name in enumerate(names):
        assert diff[:, k].mean() - 2 * se[k] > 0, (
            f"{action}: {name} moved by {diff[:, k].mean():+.3f} (s.e. {se[k]:.3f})"
        )
