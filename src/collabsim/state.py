"""The arrays that hold the state of people, organizations, relationships and the collaboration.

Representatives are rows of arrays (one row per seat at the table; a newcomer takes over the
seat of a leaver). Relationships are an undirected edge list with one trust value for each
direction, grown as strangers meet; a compiled hash table indexes the pairs.
Collaboration-level quantities (legitimacy, capacity, public value, the active project) are
plain attributes. Mechanisms (``collabsim.mechanisms``) read and write this object in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba
import numpy as np

__all__ = ["Edges", "Project", "State", "pair_find", "pair_row"]

# murmur3's 64-bit finalizer: pair keys are far from random (a * n + b over colleagues and past
# teams), and plain multiplicative hashing of them builds long probe chains
_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)


@numba.njit(cache=True, nogil=True)
def _slot(key: int, mask: int) -> int:
    """Home slot of a pair key in a hash table of ``mask + 1`` slots."""
    h = np.uint64(key)
    h ^= h >> np.uint64(33)
    h *= _M1
    h ^= h >> np.uint64(33)
    h *= _M2
    h ^= h >> np.uint64(33)
    return np.int64(h & np.uint64(mask))


@numba.njit(cache=True, nogil=True)
def _probe(key: int, keys: np.ndarray) -> int:
    """Slot of ``key`` in the table, or the empty slot where it would go (linear probing)."""
    mask = keys.shape[0] - 1
    i = _slot(key, mask)
    while keys[i] != -1 and keys[i] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True, nogil=True)
def pair_row(
    a: int, b: int, n_people: int, keys: np.ndarray, slots: np.ndarray, ends: np.ndarray,
    trust: np.ndarray, n_edges: int, trust0: float,
) -> int:  # fmt: skip
    """Edge row of the pair ``(a, b)``, adding it as row ``n_edges`` at ``trust0`` if new.

    The pair index is a hash table with open addressing and linear probing (``keys`` holds
    ``lo * n_people + hi`` or -1, ``slots`` the edge row). The caller keeps the table at most
    half full and the edge arrays large enough (:meth:`Edges.reserve`).
    """
    lo, hi = min(a, b), max(a, b)
    key = lo * n_people + hi
    i = _probe(key, keys)
    if keys[i] == key:
        return slots[i]
    keys[i] = key
    slots[i] = n_edges
    ends[0, n_edges] = lo
    ends[1, n_edges] = hi
    trust[0, n_edges] = trust0
    trust[1, n_edges] = trust0
    return n_edges


@numba.njit(cache=True, nogil=True)
def pair_find(a: int, b: int, n_people: int, keys: np.ndarray, slots: np.ndarray) -> int:
    """Edge row of the pair ``(a, b)``, or -1 if the pair has no edge (nothing is added)."""
    key = min(a, b) * n_people + max(a, b)
    i = _probe(key, keys)
    return slots[i] if keys[i] == key else -1


@numba.njit(cache=True, nogil=True)
def _find_all(a: np.ndarray, b: np.ndarray, n_people: int, keys, slots, out: np.ndarray) -> None:
    for k in range(a.shape[0]):
        out[k] = pair_find(a[k], b[k], n_people, keys, slots)


@numba.njit(cache=True, nogil=True)
def _find_or_add(
    a: np.ndarray, b: np.ndarray, n_people: int, keys: np.ndarray, slots: np.ndarray,
    ends: np.ndarray, trust: np.ndarray, n_edges: int, trust0: float, rows: np.ndarray,
) -> int:  # fmt: skip
    """Rows of the pairs ``(a[k], b[k])`` into ``rows`` (new pairs added); return the edge count."""
    for k in range(a.shape[0]):
        row = pair_row(a[k], b[k], n_people, keys, slots, ends, trust, n_edges, trust0)
        n_edges = max(n_edges, row + 1)
        rows[k] = row
    return n_edges


@numba.njit(cache=True, nogil=True)
def _rehash(ends: np.ndarray, n_edges: int, n_people: int, keys: np.ndarray, slots: np.ndarray):
    """Insert the first ``n_edges`` edges into an empty table (after it grew)."""
    mask = keys.shape[0] - 1
    for row in range(n_edges):
        key = ends[0, row] * n_people + ends[1, row]
        i = _slot(key, mask)
        while keys[i] != -1:
            i = (i + 1) & mask
        keys[i] = key
        slots[i] = row


class Edges:
    """Undirected relationships with directed trust, stored in growable arrays.

    The two endpoints and the two trusts of each edge are the rows of two ``(2, capacity)``
    arrays, so that a batch of meetings reads or writes both sides in one operation. A hash
    table (``keys``, ``slots``; see :func:`pair_row`) maps each pair of people to its column;
    compiled submodels look pairs up and add new ones in place.

    Attributes:
        ends: ``ends[0]`` is ``u``, ``ends[1]`` is ``v`` (person rows, ``u < v``).
        trust: ``trust[0]`` is ``t_uv`` (trust of ``u`` in ``v``), ``trust[1]`` is ``t_vu``.
        u, v, t_uv, t_vu: Views of those rows (renewed whenever the arrays grow).
        keys, slots: The pair index.
        n: Number of edges in use (columns ``[0, n)`` are valid).
    """

    def __init__(self, n_people: int, capacity: int = 64) -> None:
        self.n_people = n_people
        cap = max(int(capacity), 16)
        self.ends = np.zeros((2, cap), dtype=np.int64)
        self.trust = np.zeros((2, cap))
        self._views()
        self.n = 0
        self.keys = np.full(1 << (2 * cap - 1).bit_length(), -1, dtype=np.int64)
        self.slots = np.zeros(len(self.keys), dtype=np.int64)

    def _views(self) -> None:
        self.u, self.v = self.ends
        self.t_uv, self.t_vu = self.trust

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more edges (arrays, and a pair index at most half full)."""
        need = self.n + k
        cap = self.ends.shape[1]
        if need > cap:
            new = max(need, 2 * cap)
            for name in ("ends", "trust"):
                old = getattr(self, name)
                arr = np.zeros((2, new), dtype=old.dtype)
                arr[:, : self.n] = old[:, : self.n]
                setattr(self, name, arr)
            self._views()
        if 2 * need > len(self.keys):
            self.keys = np.full(1 << (4 * need - 1).bit_length(), -1, dtype=np.int64)
            self.slots = np.zeros(len(self.keys), dtype=np.int64)
            _rehash(self.ends, self.n, self.n_people, self.keys, self.slots)

    def add_many(self, u: np.ndarray, v: np.ndarray, t_uv: np.ndarray, t_vu: np.ndarray) -> None:
        """Append edges known to be new and distinct (``u < v`` is enforced here)."""
        n0 = self.n
        self.find_or_add(np.asarray(u), np.asarray(v), 0.0)
        if self.n != n0 + len(u):
            raise ValueError("add_many: some pairs were already present or repeated")
        s = slice(self.n - len(u), self.n)
        swap = u > v
        self.trust[0, s] = np.where(swap, t_vu, t_uv)
        self.trust[1, s] = np.where(swap, t_uv, t_vu)

    def find_or_add(self, a: np.ndarray, b: np.ndarray, trust0: float) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``; pairs met for the first time get a new edge.

        New edges start at ``trust0`` in both directions and take rows in order of first
        appearance. Self-pairs must not be passed.
        """
        self.reserve(len(a))
        rows = np.empty(len(a), dtype=np.int64)
        self.n = _find_or_add(
            a.astype(np.int64), b.astype(np.int64), self.n_people, self.keys, self.slots,
            self.ends, self.trust, self.n, trust0, rows,
        )  # fmt: skip
        return rows

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``, or -1 where the pair has no edge."""
        out = np.empty(len(a), dtype=np.int64)
        _find_all(
            np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), self.n_people,
            self.keys, self.slots, out,
        )  # fmt: skip
        return out

    def views(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views ``(u, v, t_uv, t_vu)`` of the rows in use."""
        n = self.n
        return self.u[:n], self.v[:n], self.t_uv[:n], self.t_vu[:n]

    def __len__(self) -> int:
        return self.n


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
    safety: np.ndarray  # psychological safety felt by each member
    skill: np.ndarray  # effectiveness at the table (newcomers climb a learning curve)
    seat_pressure: np.ndarray  # home pressure on each seat (pressure of its organization)
    seat_sector: np.ndarray  # sector of each seat
    weight_all: np.ndarray  # capacity weight of each organization (sums to 1)
    weight_always: np.ndarray  # the same with providers zeroed (before any decision)
    edges: Edges
    capital: Edges  # social capital of organization pairs (trust[0] holds it), from joint work
    # problem
    theta: float
    resident_center: float  # where residents' views centre (theta plus their shared bias)
    data_bias: float  # the data's systematic bias about where leverage lies
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
    div_index: float = 0.0  # diversity of sectors at the founding (0-1)
    proposal_chance: float = 0.0  # weekly chance of a proposal
    mean_trust: float = 0.0  # measured at the end of the previous week
    cross_trust: float = 0.0  # cross-boundary trust (never-met pairs at stranger trust), likewise
    cross_density: float = 0.0  # share of cross-organization ordered pairs above 0.5, likewise
    team_safety: float = 0.0  # mean psychological safety, likewise
    understanding: float = 0.0  # shared understanding (share of pairs in agreement), likewise
    backing: float = 0.0  # residents' backing of the programs (co-production)
    transition_until: int = 0  # a change of governance mode is under way until this week
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
