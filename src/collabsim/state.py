"""The arrays that hold the state of people, organizations, relationships and the collaboration.

Representatives are rows of arrays (one row per seat at the table; a newcomer takes over the
seat of a leaver). Relationships are an undirected edge list with one trust value for each
direction, grown as strangers meet; a dict from the pair to its row makes look-ups O(1).
Collaboration-level quantities (legitimacy, capacity, public value, the active project) are
plain attributes. Mechanisms (``collabsim.mechanisms``) read and write this object in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Edges", "Project", "State"]


class Edges:
    """Undirected relationships with directed trust, stored in growable arrays.

    Attributes:
        u, v: Endpoints (person rows), ``u < v``.
        t_uv: Trust of ``u`` in ``v``.
        t_vu: Trust of ``v`` in ``u``.
        n: Number of edges in use (rows ``[0, n)`` are valid).
    """

    def __init__(self, n_people: int, capacity: int = 64) -> None:
        self.n_people = n_people
        cap = max(int(capacity), 16)
        self.u = np.zeros(cap, dtype=np.int64)
        self.v = np.zeros(cap, dtype=np.int64)
        self.t_uv = np.zeros(cap)
        self.t_vu = np.zeros(cap)
        self.n = 0
        self._index: dict[int, int] = {}

    def _grow(self, need: int) -> None:
        cap = len(self.u)
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("u", "v", "t_uv", "t_vu"):
            old = getattr(self, name)
            arr = np.zeros(new, dtype=old.dtype)
            arr[: self.n] = old[: self.n]
            setattr(self, name, arr)

    def add_many(self, u: np.ndarray, v: np.ndarray, t_uv: np.ndarray, t_vu: np.ndarray) -> None:
        """Append edges known to be new and distinct (``u < v`` is enforced here)."""
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        swap = u > v
        a = np.where(swap, t_vu, t_uv)
        b = np.where(swap, t_uv, t_vu)
        k = len(lo)
        self._grow(self.n + k)
        s = slice(self.n, self.n + k)
        self.u[s], self.v[s], self.t_uv[s], self.t_vu[s] = lo, hi, a, b
        npp = self.n_people
        for j, key in enumerate((lo * npp + hi).tolist()):
            self._index[key] = self.n + j
        self.n += k

    def find_or_add(self, a: np.ndarray, b: np.ndarray, trust0: float) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``; pairs met for the first time get a new edge.

        New edges start at ``trust0`` in both directions. Self-pairs must not be passed.
        """
        lo = np.minimum(a, b)
        hi = np.maximum(a, b)
        keys = (lo * self.n_people + hi).tolist()
        index = self._index
        rows = np.empty(len(keys), dtype=np.int64)
        new_lo: list[int] = []
        new_hi: list[int] = []
        for j, key in enumerate(keys):
            r = index.get(key)
            if r is None:
                r = self.n + len(new_lo)
                index[key] = r
                new_lo.append(int(lo[j]))
                new_hi.append(int(hi[j]))
            rows[j] = r
        if new_lo:
            k = len(new_lo)
            self._grow(self.n + k)
            s = slice(self.n, self.n + k)
            self.u[s] = new_lo
            self.v[s] = new_hi
            self.t_uv[s] = trust0
            self.t_vu[s] = trust0
            self.n += k
        return rows

    def trust_of(self, a: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Trust that person ``a[k]`` holds on edge ``rows[k]`` (toward the other end)."""
        return np.where(self.u[rows] == a, self.t_uv[rows], self.t_vu[rows])

    def views(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views ``(u, v, t_uv, t_vu)`` of the rows in use."""
        n = self.n
        return self.u[:n], self.v[:n], self.t_uv[:n], self.t_vu[:n]


@dataclass
class Project:
    """An active project (entry point or whole plan) under way."""

    position: float
    size: float
    leverage: float
    duration: int
    started: int
    entry_point: bool
    oc_sum: float = 0.0
    weeks_run: int = 0


@dataclass
class State:
    """Everything that changes during a run.

    People arrays have one row per seat; organization arrays one row per organization.
    """

    # organizations
    sector: np.ndarray  # int, index into params.SECTORS
    home_frame: np.ndarray  # float, m_o
    pressure: np.ndarray  # float, home pressure on representatives
    capacity: np.ndarray  # float, what the organization can contribute
    provider: np.ndarray  # bool, service provider (joins delivery once decisions are adopted)
    # people
    org: np.ndarray  # int, organization of the seat
    frame: np.ndarray  # x_i
    openness: np.ndarray  # eps_i
    commitment: np.ndarray  # c_i
    loyalty: np.ndarray  # l_i
    effort: np.ndarray  # e_i
    tenure: np.ndarray  # weeks at the table
    founder: np.ndarray  # bool, was at founding
    nav_trust: np.ndarray  # trust in the navigator
    seat_pressure: np.ndarray  # home pressure on each seat (pressure of its organization)
    seat_sector: np.ndarray  # sector of each seat
    weight_all: np.ndarray  # capacity weight of each organization (sums to 1)
    weight_always: np.ndarray  # the same with providers zeroed (before any decision)
    edges: Edges
    # problem
    theta: float
    project_pos: np.ndarray
    project_size: np.ndarray
    # collaboration
    mode: int = 0
    legitimacy: float = 0.5
    capacity_oc: float = 0.0
    public_value: float = 0.0
    programs: float = 0.0  # sum of leverage x size of won projects (running programs)
    evidence_precision: float = 0.0
    plan: float = float("nan")
    mean_trust: float = 0.0  # measured at the end of the previous week
    working_trust: float = 0.0  # trust weighted by tie use, measured likewise
    consensus: float = 0.0  # measured at the end of the previous week
    plan_support: float = 0.0  # share of members who can accept the plan, measured likewise
    project: Project | None = None
    adopted: int = 0
    wins: int = 0
    setbacks: int = 0
    learning: int = 0
    blame: int = 0
    proposals: int = 0
    governance_changes: int = 0
    leadership_shocks: int = 0
    leavers_total: int = 0
    first_win_week: int = -1
    first_adoption_week: int = -1
    first_setback_week: int = -1
    impact_week: int = -1
    last_win_week: int = -1
    pause_until: int = 0
    weeks_below_floor: int = 0
    perished: bool = False
    perished_week: int = -1
    consensus_reached: bool = False
    consensus_lost: bool = False
    consensus_remade: int = 0
    left_this_week: int = 0
    events: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def n_people(self) -> int:
        """Number of seats at the table."""
        return len(self.frame)

    @property
    def n_orgs(self) -> int:
        """Number of organizations."""
        return len(self.sector)

    def log(self, week: int, kind: str, text: str) -> None:
        """Append an event (week, kind, text) to the event log."""
        self.events.append((week, kind, text))
