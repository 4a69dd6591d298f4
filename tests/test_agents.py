"""Organization agents: numbering per model, finished models freed, what subclassing changes."""

from __future__ import annotations

import gc
import tracemalloc

import mesa
import numpy as np

from collabsim import CollaborationModel
from collabsim.agents import Organization


def test_unique_ids_count_from_one_in_every_model():
    a = CollaborationModel(rng=1, n_orgs=5, weeks=1)
    b = CollaborationModel(rng=2, n_orgs=7, weeks=1)
    assert sorted(o.unique_id for o in a.agents) == [1, 2, 3, 4, 5]
    assert sorted(o.unique_id for o in b.agents) == list(range(1, 8))


def _loop(n: int) -> None:
    for i in range(n):
        CollaborationModel(rng=i, n_orgs=4, reps_per_org=2, weeks=2).run()


def test_models_built_in_a_loop_are_freed_without_any_special_call():
    """Memory stays flat: before the fix every model stayed in Mesa's class-level id dict."""
    _loop(30)
    gc.collect()
    tracemalloc.start()
    try:
        _loop(50)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        _loop(300)
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # A retained model of this size costs about 20 KB: 300 of them would be ~6 MB.
    assert growth < 300 * 1024, f"memory grew by {growth / 1024:.0f} KiB over 300 models"
    assert not any(isinstance(k, CollaborationModel) for k in getattr(mesa.Agent, "_ids", {}))


class Quiet(Organization):
    """A subclass that overrides a property: only what reads the agent sees the change."""

    @property
    def pressure(self) -> float:
        return 0.0


class Noisy(Organization):
    """A subclass with a step of its own (the model never calls agents' step)."""

    calls = 0

    def step(self) -> None:
        Noisy.calls += 1


class QuietModel(CollaborationModel):
    """Builds ``Quiet`` organizations in place of the default ones."""

    def __init__(self, **kw):
        super().__init__(**kw)
        for agent in list(self.agents):
            agent.remove()
        Quiet.create_agents(self, self.params["n_orgs"], list(range(self.params["n_orgs"])))


def test_subclassing_an_agent_changes_what_reads_it_not_the_dynamics():
    """The behaviour written down in docs/mesa.md: the arrays, not the agents, drive a run."""
    base = CollaborationModel(rng=11, weeks=30).run()
    quiet = QuietModel(rng=11, weeks=30).run()
    assert all(isinstance(a, Quiet) and a.pressure == 0.0 for a in quiet.agents)
    assert len(quiet.agents) == quiet.params["n_orgs"]
    assert np.any(quiet.state.pressure > 0)  # the arrays are unchanged...
    assert quiet.timeseries().equals(base.timeseries())  # ...and so is the run
    m = CollaborationModel(rng=3, weeks=5)
    Noisy.create_agents(m, 2, [0, 1])
    m.run()
    assert Noisy.calls == 0  # the schedule is the mechanisms, not agents' step methods
    assert sorted(a.unique_id for a in m.agents_by_type[Noisy]) == [13, 14]
