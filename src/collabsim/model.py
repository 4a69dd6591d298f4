"""CollaborationModel: builds the state and runs the submodels in the ODD schedule, week by week.

``CollaborationModel(rng=SEED, **overrides)`` takes keyword arguments only, each a declared
parameter (:mod:`collabsim.params`), and runs with every default. One step is one week. The run
stops by itself after ``weeks`` steps or when the collaboration perishes. Every random draw
comes from ``self.rng``; the seed is always recorded (one is drawn from the OS and kept when
none is given).
"""

from __future__ import annotations

import functools
from typing import Any

import mesa
import networkx as nx
import numpy as np
import pandas as pd

from collabsim import mechanisms
from collabsim.agents import Organization
from collabsim.mechanisms.climate import founding_capital
from collabsim.mechanisms.effort import effort
from collabsim.mechanisms.turnover import draw_people
from collabsim.network import prior_ties, ties_to_graph
from collabsim.outcomes import Recorder, summarize
from collabsim.params import GOVERNANCE_MODES, SECTORS, make_params
from collabsim.params import names as params_names
from collabsim.state import Edges, State

__all__ = ["CollaborationModel", "resolve_seed", "warm_up"]

# Sector profiles (one value per sector, in the order of params.SECTORS): assumptions of the
# model, kept as tables because they are vectors.
#: Chance that a non-convening organization is drawn from each non-government sector, given
#: that it is not a city agency (nonprofit, business, funder, community group).
OTHER_SECTOR_WEIGHTS = np.array([0.35, 0.2, 0.15, 0.3])
#: Capacity each sector brings (city agency, nonprofit, business, funder, community group).
SECTOR_CAPACITY = np.array([1.0, 0.8, 0.9, 1.2, 0.5])
#: Home pressure multiplier of each sector.
SECTOR_PRESSURE = np.array([1.2, 1.0, 1.1, 0.8, 0.7])
#: Sectors that provide services and join delivery only once decisions are adopted.
PROVIDERS = np.array([False, True, True, False, False])


def resolve_seed(rng: Any) -> int:
    """Turn ``rng`` into a recorded integer seed.

    ``rng`` is None (a seed is drawn from the OS), a non-negative int, a
    ``numpy.random.SeedSequence`` (its first 63-bit state word) or a ``numpy.random.Generator``
    (one 63-bit integer is drawn from it, so the generator advances by one draw).
    """
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> 1)
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(1, np.uint64)[0] >> 1)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1, dtype=np.int64, endpoint=True))
    if isinstance(rng, bool) or not isinstance(rng, int | np.integer) or rng < 0:
        raise ValueError(
            f"rng = {rng!r} is not valid: expected a non-negative integer seed, "
            f"a numpy SeedSequence or a numpy Generator"
        )
    return int(rng)


class CollaborationModel(mesa.Model):
    """A cross-sector collaboration of organizations and their representatives.

    Args:
        rng: Seed: a non-negative int, a ``numpy.random.SeedSequence`` or a
            ``numpy.random.Generator`` (a seed is drawn from it); drawn from the OS if None.
            The integer seed actually used is recorded as :attr:`seed`.
        **params: Overrides of declared parameters (see ``collabsim params``).

    Attributes:
        state: The :class:`~collabsim.state.State` arrays.
        params: The full, validated parameter dict of this run.
        seed: The integer seed of this run.

    Examples:
        >>> import numpy as np
        >>> from collabsim import CollaborationModel
        >>> model = CollaborationModel(rng=7, navigator=True, turnover_rate=0.25, weeks=30)
        >>> model.run().timeseries()["week"].iloc[-1]  # week 0 is the founding state
        np.int64(30)
        >>> a = CollaborationModel(rng=np.random.default_rng(5))  # a seed is drawn and kept
        >>> b = CollaborationModel(rng=a.seed)
        >>> a.run().timeseries().equals(b.run().timeseries())
        True
    """

    def __init__(self, *, rng: Any = None, **params: Any) -> None:
        self.p = make_params(params)
        seed = resolve_seed(rng)
        super().__init__(rng=seed)
        self.seed = seed
        self.params = {name: getattr(self.p, name) for name in params_names()}
        self.state = self._build(self.p)
        Organization.create_agents(self, self.p.n_orgs, list(range(self.p.n_orgs)))
        self.recorder = Recorder(self.p.weeks, self.state.n_people)
        self.recorder.observe(self.state, self.p, 0)
        self.running = True

    # ------------------------------------------------------------------ construction
    def _build(self, p: Any) -> State:
        rng = self.rng
        n_orgs, reps = p.n_orgs, p.reps_per_org
        n = n_orgs * reps
        # organizations: the convener is a city agency; others are city agencies unless diverse
        other = rng.random(n_orgs) < p.diversity
        pick = rng.choice(4, size=n_orgs, p=OTHER_SECTOR_WEIGHTS) + 1
        sector = np.where(other, pick, 0)
        sector[0] = 0
        counts = np.bincount(sector, minlength=len(SECTORS)) / n_orgs
        div_index = float((1.0 - np.sum(counts**2)) / (1.0 - 1.0 / len(SECTORS)))
        theta = 0.2 + 0.6 * rng.random()
        centers = rng.random(len(SECTORS))
        # residents' views centre near, not at, the leverage point; community groups share them
        resident_center = float(np.clip(theta + p.resident_bias * rng.normal(), 0.0, 1.0))
        centers[4] = resident_center
        data_bias = p.data_bias * float(rng.normal())
        home = np.clip(centers[sector] + p.frame_spread * rng.normal(size=n_orgs), 0.0, 1.0)
        pressure = np.clip(
            p.home_pressure * SECTOR_PRESSURE[sector] * (0.75 + 0.5 * rng.random(n_orgs)), 0, 1
        )
        capacity = SECTOR_CAPACITY[sector] * np.exp(0.2 * rng.normal(size=n_orgs))
        provider = PROVIDERS[sector]
        weight_all = capacity / capacity.sum()
        org = np.repeat(np.arange(n_orgs), reps)
        s = State(
            sector=sector,
            home_frame=home,
            pressure=pressure,
            capacity=capacity,
            provider=provider,
            org=org,
            frame=np.zeros(n),
            openness=np.zeros(n),
            commitment=np.zeros(n),
            loyalty=np.zeros(n),
            effort=np.zeros(n),
            tenure=np.zeros(n, dtype=np.int64),
            founder=np.ones(n, dtype=bool),
            nav_trust=np.full(n, p.navigator_trust if p.navigator else 0.0),
            safety=np.full(n, p.safety_initial),
            skill=np.ones(n),
            seat_pressure=pressure[org],
            seat_sector=sector[org],
            weight_all=weight_all,
            weight_always=np.where(provider, 0.0, weight_all),
            edges=Edges(n),
            capital=Edges(n_orgs),
            theta=float(theta),
            resident_center=resident_center,
            data_bias=data_bias,
            project_pos=rng.random(p.n_projects),
            project_size=0.5 + rng.random(p.n_projects),
            mode=GOVERNANCE_MODES.index(p.governance),
            div_index=div_index,
        )
        draw_people(s, p, rng, np.arange(n))
        self._ties = prior_ties(
            org,
            rng,
            history=p.prior_history,
            p=p.prior_p,
            q=p.prior_q,
            prior_trust=p.prior_trust,
            stranger_trust=p.stranger_trust,
            conflict_history=p.conflict_history,
            colleague_trust=p.colleague_trust,
            team_size=p.past_team_size,
        )
        self._graph: nx.Graph | None = None
        u, v, t, kind = self._ties
        s.edges = Edges(n, capacity=max(64, 2 * len(u) + n))
        s.edges.add_many(u, v, t, t.copy())
        s.capital = founding_capital(org[u], org[v], kind, n_orgs, p.capital_gain)
        effort(s, p, rng, 0)
        # outward orientation reaches proposals only through community engagement (ODD 7.6)
        s.proposal_chance = (
            p.proposal_rate * (0.25 + 0.75 * div_index) * (0.25 + 0.75 * p.initiative)
        )
        return s

    # ------------------------------------------------------------------ dynamics
    def step(self) -> None:
        """Advance one week: run every submodel in the fixed order, then record outcomes."""
        if not self.running:
            return
        week = self.steps
        s, p, rng = self.state, self.p, self.rng
        for submodel in mechanisms.SCHEDULE:
            submodel(s, p, rng, week)
        self.recorder.observe(s, p, week)
        if s.perished or week >= p.weeks:
            self.running = False

    def run(self) -> CollaborationModel:
        """Step until the run stops (horizon reached or collaboration perished); return self."""
        step = self.step
        while self.running:
            step()
        return self

    # ------------------------------------------------------------------ outcomes
    @property
    def graph(self) -> nx.Graph:
        """The network of prior relationships at the founding (built on first use)."""
        if self._graph is None:
            self._graph = ties_to_graph(self.state.n_people, *self._ties)
        return self._graph

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector view of the recorded weeks (for ``mesa.batch_run``).

        Built from the recorder when read (see :mod:`collabsim.datacollection`), so a run
        that never reads it pays nothing. A subclass may assign its own DataCollector.
        """
        own = self.__dict__.get("_own_datacollector")
        if own is not None:
            return own
        cached = self.__dict__.get("_datacollector_view")
        if cached is None or cached[0] != self.recorder.n:
            from collabsim.datacollection import RecorderDataCollector

            cached = self.__dict__["_datacollector_view"] = (
                self.recorder.n,
                RecorderDataCollector(self),
            )
        return cached[1]

    @datacollector.setter
    def datacollector(self, value: mesa.DataCollector) -> None:
        self.__dict__["_own_datacollector"] = value

    @property
    def week(self) -> int:
        """Weeks simulated so far."""
        return self.recorder.n - 1

    def timeseries(self) -> pd.DataFrame:
        """One row per week (week 0 is the founding state), one column per outcome series."""
        return self.recorder.frame()

    def summary(self) -> dict[str, Any]:
        """Every per-run outcome (see :data:`collabsim.outcomes.SUMMARY_KEYS`) and the seed."""
        out = summarize(self.state, self.p, self.recorder, self.week)
        out["seed"] = self.seed
        return out

    def events(self) -> pd.DataFrame:
        """The event log: wins, setbacks (learning or blame), turnover, governance changes."""
        return pd.DataFrame(self.state.events, columns=["week", "kind", "text"])

    @property
    def theta(self) -> float:
        """The problem's true leverage point (hidden from the members)."""
        return self.state.theta

    def __repr__(self) -> str:
        alive = "perished" if self.state.perished else "alive"
        return f"CollaborationModel(seed={self.seed}, week={self.week}, {alive})"


@functools.cache
def warm_up() -> None:
    """Compile (or load from numba's cache) every compiled submodel by running a tiny model.

    The engines call this once before they start workers, so that forked workers inherit the
    compiled code instead of each compiling it (once per process). It lives here, above the
    submodels, so that no lower layer has to build a model.
    """
    CollaborationModel(
        rng=0, n_orgs=3, reps_per_org=2, weeks=8, navigator=True, data_use=True,
        community_stages=4, proposal_rate=1.0,
    ).run()  # fmt: skip
    edges = Edges(40, capacity=16)  # grow the pair index once (its rehash is compiled too)
    edges.find_or_add(np.arange(20), np.arange(20, 40), 0.0)
