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

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from collabsim import CollaborationModel
from collabsim.mechanisms import OUTCOME_PROBABILITIES
from collabsim.params import DERIVED, PARAMS
from collabsim.state import Project
from conftest import make

LEVERS = {q.name for q in PARAMS.values() if q.lever}
#: Both settings of every switch, so that no branch hides a read.
SWITCHES = ("navigator", "entry_points", "data_use", "adaptable")


class Recording:
    """A parameter set that records every name read from it (derived names count as sources)."""

    def __init__(self, p) -> None:
        self._p = p
        self.read: set[str] = set()

    def __getattr__(self, name: str):
        self.read.update(DERIVED[name][1] if name in DERIVED else (name,))
        return getattr(self._p, name)


def names_read(name: str, overrides: dict) -> set[str]:
    """Names one outcome probability reads, run as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    m = make(3, **overrides)
    s = m.state
    w = s.world()
    rec = Recording(m.p.kernel)
    fn = OUTCOME_PROBABILITIES[name]
    fit = np.array([0.5, 0.5, 0.5])
    if name == "adoption":
        support = np.ones(s.n_people, dtype=bool)
        fn(w, rec, bool(overrides["entry_points"]), support, 1.0, fit)
    elif name == "project success":
        s.project = Project(0.5, 0.3, 0.8, 10, 0, True)
        fn(w, rec, 0.5, 0.5)
    elif name == "learning vs blame":
        fn(w, rec)
    else:
        fn(w, rec, np.random.default_rng(0), 1)
    return rec.read


def _probe_all() -> dict[str, list[str]]:
    """Every outcome probability's names read, with both settings of every switch."""
    out = {}
    for name in sorted(OUTCOME_PROBABILITIES):
        seen: set[str] = set()
        for on in (False, True):
            seen |= names_read(name, dict.fromkeys(SWITCHES, on))
        out[name] = sorted(seen)
    return out


@pytest.fixture(scope="module")
def names_read_by_outcome() -> dict[str, list[str]]:
    # the compiled functions take numba's typed parameters: the probe runs the same code as
    # plain Python, in a process with NUMBA_DISABLE_JIT=1
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    here = Path(__file__).resolve()
    out = subprocess.run(
        [sys.executable, str(here), "--probe"], env=env, cwd=here.parent, capture_output=True,
        text=True, timeout=600, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(OUTCOME_PROBABILITIES))
def test_no_outcome_probability_reads_a_lever(name, names_read_by_outcome):
    seen = set(names_read_by_outcome[name])
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


if __name__ == "__main__" and sys.argv[1:] == ["--probe"]:
    print(json.dumps(_probe_all()))
