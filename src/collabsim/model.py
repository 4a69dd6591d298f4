"""CollaborationModel: builds the state and runs the submodels in the ODD schedule, week by week.

``CollaborationModel(rng=SEED, **overrides)`` takes keyword arguments only, each a declared
parameter (:mod:`collabsim.params`), and runs with every default. One step is one week. The run
stops by itself after ``weeks`` steps or when the collaboration perishes. Every random draw
comes from ``self.rng``; the seed is always recorded (one is drawn from the OS and kept when
none is given).
"""

from __future__ import annotations

import functools
import math
import os
import sys
from typing import Any

import mesa
import networkx as nx
import numba
import numpy as np
import pandas as pd

from collabsim.agents import Organization
from collabsim.mechanisms import run_week
from collabsim.mechanisms.climate import founding_capital
from collabsim.mechanisms.dialogue import new_ties_at_most
from collabsim.mechanisms.effort import effort
from collabsim.mechanisms.turnover import draw_people
from collabsim.network import build_ties, past_teams, ties_to_graph
from collabsim.outcomes import Recorder, observe, summarize
from collabsim.params import GOVERNANCE_MODES, SECTORS, make_params
from collabsim.state import (
    CROSS_PAIRS,
    DATA_BIAS,
    DIV_INDEX,
    EVENTS_PER_WEEK,
    PERISHED,
    PROPOSAL_CHANCE,
    RESIDENT_CENTER,
    THETA,
    Edges,
    State,
    add_pair,
    total,
)

__all__ = ["CollaborationModel", "compiled_before", "resolve_seed", "warm_up"]

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
        self.params = self.p.as_dict()
        self.recorder = Recorder(self.p.weeks, self.p.n_orgs * self.p.reps_per_org)
        self.state = self._build(self.p)
        self.recorder.n = 1
        for index in range(self.p.n_orgs):  # (Mesa's create_agents costs twice as much)
            Organization(self, index)
        self.running = True

    # ------------------------------------------------------------------ construction
    def _build(self, p: Any) -> State:
        """Draw the organizations, the people and their prior relationships (ODD 5)."""
        rng, kp = self.rng, p.kernel
        n_orgs, reps = p.n_orgs, p.reps_per_org
        n = n_orgs * reps
        org = np.repeat(np.arange(n_orgs), reps)
        # room for every founding tie and a few weeks of new ones (the run grows it by doubling)
        size = min(p.past_team_size, n)
        teams = max(past_teams(n, p.prior_history, p.past_team_size), 0)
        founding = n_orgs * reps * (reps - 1) // 2 + teams * size * (size - 1) // 2
        room = founding + 8 * _new_ties_at_most(p, n)
        s = State(
            **{name: np.zeros(n) for name in _PEOPLE_FLOATS},
            **{name: np.zeros(n_orgs) for name in _ORG_FLOATS},
            org=org,
            tenure=np.zeros(n, dtype=np.int64),
            order=np.arange(n),
            founder=np.ones(n, dtype=bool),
            seat_sector=np.zeros(n, dtype=np.int64),
            sector=np.zeros(n_orgs, dtype=np.int64),
            provider=np.zeros(n_orgs, dtype=bool),
            project_pos=np.zeros(p.n_projects),
            project_size=np.zeros(p.n_projects),
            edges=Edges(n, capacity=min(n * (n - 1) // 2, room) + 1, expected=founding),
            capital=Edges(n_orgs, capacity=min(n_orgs * (n_orgs - 1) // 2, room) + 1),
            events_capacity=EVENTS_PER_WEEK * (p.weeks + 1),
            table=self.recorder.table,
            mode=GOVERNANCE_MODES.index(p.governance),
        )
        self._ties = _found(s.world(), kp, rng)
        self._graph: nx.Graph | None = None
        return s

    # ------------------------------------------------------------------ dynamics
    def step(self) -> None:
        """Advance one week: run every submodel in the fixed order, then record outcomes."""
        if self.running:
            self._advance(self.steps, self.steps)

    def run(self) -> CollaborationModel:
        """Step until the run stops (horizon reached or collaboration perished); return self.

        The weeks run as one compiled loop; ``steps`` counts them as if :meth:`step` had been
        called once per week. A subclass that overrides :meth:`step` (to collect its own data,
        say) has it called once per week instead.
        """
        if type(self).step is not CollaborationModel.step:
            while self.running:
                self.step()
            return self
        if self.running:
            first = self.steps + 1
            last = self._advance(first, self.p.weeks)
            self.steps += last - first + 1
        return self

    def _advance(self, first: int, last: int) -> int:
        """Run weeks ``first`` to at most ``last`` (compiled); return the last week run."""
        s, kp = self.state, self.p.kernel
        s.reserve_events(EVENTS_PER_WEEK * (last - first + 1))
        week = first
        while True:
            week = _run_weeks(s.world(), kp, self.rng, week, last)
            if week < 0:  # stopped: -(the last week run) - 1
                week = -week - 1
                break
            if week > last:
                week = last
                break
            # the relationships need room before ``week``: grow them (by doubling at least)
            need = _new_ties_at_most(self.p, s.n_people)
            s.edges.reserve(max(need, s.edges.n))
            s.capital.reserve(max(_capital_need(s.edges.n + need, s.capital.n, s.n_orgs), 16))
        self.recorder.n = week + 1
        if s.perished or week >= self.p.weeks:
            self.running = False
        return week

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


#: :func:`~collabsim.mechanisms.dialogue.new_ties_at_most` run as Python on the ``Params``
#: (the same code; a compiled call would first convert every parameter).
_new_ties_at_most = getattr(new_ties_at_most, "py_func", new_ties_at_most)

#: People's and organizations' float arrays that :func:`_found_people` fills.
_PEOPLE_FLOATS = (
    "frame", "openness", "commitment", "loyalty", "effort", "nav_trust", "safety", "skill",
    "seat_pressure",
)  # fmt: skip
_ORG_FLOATS = ("home_frame", "pressure", "capacity", "weight_all", "weight_always")


@numba.njit(cache=True, nogil=True, inline="always")
def _found_people(w, p, rng) -> None:
    """The founding draws of organizations, the problem and people (in place).

    Organizations: the convener is a city agency; the others are city agencies unless diverse,
    then drawn by :data:`OTHER_SECTOR_WEIGHTS`. Residents' views centre near, not at, the
    leverage point (community groups share them); the data carry a bias. Every draw in the
    order of numpy's vectorized calls (``rng.random(k)``, ``rng.choice(4, k, p=...)``...).
    """
    fs, ns = w.fs, w.ns
    n_orgs = w.sector.shape[0]
    sector = w.sector
    other = np.empty(n_orgs, dtype=np.bool_)
    for o in range(n_orgs):
        other[o] = rng.random() < p.diversity
    cdf = np.cumsum(OTHER_SECTOR_WEIGHTS)
    cdf /= cdf[-1]
    for o in range(n_orgs):
        pick = np.searchsorted(cdf, rng.random(), side="right") + 1
        sector[o] = pick if other[o] else 0
    sector[0] = 0
    counts = np.zeros(len(SECTORS))
    for o in range(n_orgs):
        counts[sector[o]] += 1.0
    counts /= n_orgs
    fs[DIV_INDEX] = (1.0 - total(counts * counts)) / (1.0 - 1.0 / len(SECTORS))
    theta = 0.2 + 0.6 * rng.random()
    centers = np.empty(len(SECTORS))
    for k in range(len(SECTORS)):
        centers[k] = rng.random()
    center = min(max(theta + p.resident_bias * rng.normal(), 0.0), 1.0)
    centers[4] = center
    fs[THETA], fs[RESIDENT_CENTER] = theta, center
    fs[DATA_BIAS] = p.data_bias * rng.normal()
    for o in range(n_orgs):
        w.home_frame[o] = min(max(centers[sector[o]] + p.frame_spread * rng.normal(), 0.0), 1.0)
    for o in range(n_orgs):
        pull = p.home_pressure * SECTOR_PRESSURE[sector[o]] * (0.75 + 0.5 * rng.random())
        w.pressure[o] = min(max(pull, 0.0), 1.0)
    for o in range(n_orgs):
        w.capacity[o] = SECTOR_CAPACITY[sector[o]] * math.exp(0.2 * rng.normal())
        w.provider[o] = PROVIDERS[sector[o]]
    capacity = total(w.capacity)
    for o in range(n_orgs):
        w.weight_all[o] = w.capacity[o] / capacity
        w.weight_always[o] = 0.0 if w.provider[o] else w.weight_all[o]
    for k in range(w.project_pos.shape[0]):
        w.project_pos[k] = rng.random()
    for k in range(w.project_size.shape[0]):
        w.project_size[k] = 0.5 + rng.random()
    org = w.org
    n = org.shape[0]
    per_org = np.zeros(n_orgs, dtype=np.int64)
    for i in range(n):
        w.seat_pressure[i] = w.pressure[org[i]]
        w.seat_sector[i] = sector[org[i]]
        w.nav_trust[i] = p.navigator_trust if p.navigator else 0.0
        w.safety[i] = p.safety_initial
        w.skill[i] = 1.0
        per_org[org[i]] += 1
    ns[CROSS_PAIRS] = n * (n - 1) - np.sum(per_org * (per_org - 1))
    draw_people(w, p, rng, np.arange(n))
    # outward orientation reaches proposals only through community engagement (ODD 7.6)
    fs[PROPOSAL_CHANCE] = (
        p.proposal_rate * (0.25 + 0.75 * fs[DIV_INDEX]) * (0.25 + 0.75 * p.initiative)
    )


@numba.njit(cache=True, nogil=True)
def _found(w, p, rng):
    """Found the collaboration and record week 0 (in place); return the prior ties.

    People and organizations (:func:`_found_people`), then the prior ties (``(u, v, trust,
    kind)``, :func:`~collabsim.network.prior_ties`) become edges, organization pairs whose
    people shared past teams get social capital
    (:func:`~collabsim.mechanisms.climate.founding_capital`), and effort is set.
    """
    _found_people(w, p, rng)
    u, v, trust, kind = build_ties(
        w.org, rng, p.prior_history, p.prior_p, p.prior_q, p.prior_trust, p.stranger_trust,
        p.conflict_history, p.colleague_trust, p.past_team_size,
    )  # fmt: skip
    n = w.frame.shape[0]
    for j in range(u.shape[0]):
        add_pair(
            u[j], v[j], n, w.e_index, w.e_meta, w.e_ends, w.e_trust, w.e_links, w.e_head, trust[j]
        )
    founding_capital(w, p, u, v, kind)
    effort(w, p, rng, 0)
    observe(w, p, 0)
    return u, v, trust, kind


@numba.njit(cache=True, nogil=True)
def _capital_need(n_edges: int, n_capital: int, n_orgs: int) -> int:
    """Room for new organization pairs that one week may need.

    A win or a learning response adds at most one pair per tie, and never more than the pairs
    not yet holding capital.
    """
    return min(n_edges, n_orgs * (n_orgs - 1) // 2 - n_capital)


@numba.njit(cache=True, nogil=True)
def _run_weeks(w, p, rng, first: int, last: int) -> int:
    """Run weeks ``first`` to ``last`` and record each; return where the run got to.

    Returns ``-(week + 1)`` when the run stopped at ``week`` (the horizon, or the collaboration
    perished), ``last + 1`` when ``last`` was run and the run goes on, or the week not yet run
    when the relationships need room before it (new ties a week at most, see
    :func:`~collabsim.mechanisms.dialogue.new_ties_at_most`, and :func:`_capital_need`).
    """
    n_orgs = w.sector.shape[0]
    need = new_ties_at_most(p, w.frame.shape[0])
    for week in range(first, last + 1):
        n_edges, n_capital = w.e_meta[0], w.c_meta[0]
        if w.e_ends.shape[0] - n_edges < need or w.c_ends.shape[0] - n_capital < _capital_need(
            n_edges + need, n_capital, n_orgs
        ):
            return week
        run_week(w, p, rng, week)
        observe(w, p, week)
        if w.ns[PERISHED] or week >= p.weeks:
            return -(week + 1)
    return last + 1


def compiled_before() -> bool:
    """Whether numba's on-disk cache holds the compiled weekly loop already.

    False on the first run after installing or upgrading (or after ``make clean-cache``): that
    run compiles the model, which takes about a minute. True when it cannot tell (the JIT is
    disabled, or numba keeps its cache differently).
    """
    try:
        index = _run_weeks._cache._cache_file._index_path
    except AttributeError:
        return True
    return os.path.exists(index)


@functools.cache
def warm_up() -> None:
    """Compile (or load from numba's cache) every compiled submodel by running a tiny model.

    The engines call this once before they start workers, so that forked workers inherit the
    compiled code instead of each compiling it (once per process). It lives here, above the
    submodels, so that no lower layer has to build a model. When the model has not been
    compiled yet, it says so on stderr first (the wait is about a minute, once).
    """
    if not compiled_before():
        print(
            "collabsim: compiling the model (once after installing or upgrading; about a "
            "minute)...",
            file=sys.stderr,
            flush=True,
        )
    CollaborationModel(
        rng=0, n_orgs=3, reps_per_org=2, weeks=8, navigator=True, data_use=True,
        community_stages=4, proposal_rate=1.0,
    ).run()  # fmt: skip
    edges = Edges(40, capacity=16)  # grow the pair index once (its rehash is compiled too)
    edges.find_or_add(np.arange(20), np.arange(20, 40), 0.0)
