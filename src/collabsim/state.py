"""The arrays that hold the state of people, organizations, relationships and the collaboration.

Representatives are rows of arrays (one row per seat at the table; a newcomer takes over the
seat of a leaver). Relationships are an undirected edge list with one trust value for each
direction, grown as strangers meet; a compiled hash table indexes the pairs.
Collaboration-level quantities (legitimacy, capacity, public value, the active project) are
slots of two small arrays that read as attributes; events are records (a kind code and the
numbers of its sentence). The compiled submodels (``collabsim.mechanisms``) receive all of it
as one :data:`World` of arrays and change it in place.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

__all__ = [
    "EVENT_KINDS",
    "FLOATS",
    "INTS",
    "Edges",
    "Project",
    "State",
    "World",
    "add_pair",
    "link_edge",
    "log_event",
    "pair_find",
    "pair_row",
]

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
def probe_set(key: int, keys: np.ndarray) -> int:
    """Slot of ``key`` in a set of keys (a table of keys alone, -1 empty), or where it would go."""
    mask = keys.shape[0] - 1
    i = _slot(key, mask)
    while keys[i] != -1 and keys[i] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True, nogil=True)
def _probe(key: int, index: np.ndarray, size: int) -> int:
    """Slot of ``key`` in the table, or the empty slot where it would go (linear probing)."""
    mask = size - 1
    i = _slot(key, mask)
    while index[i, 0] != -1 and index[i, 0] != key:
        i = (i + 1) & mask
    return i


@numba.njit(cache=True, nogil=True)
def _rehash(ends: np.ndarray, n_rows: int, n_people: int, index: np.ndarray, size: int) -> None:
    """Index the first ``n_rows`` rows in the first ``size`` slots of ``index`` (emptied first)."""
    for i in range(size):
        index[i, 0] = -1
    for row in range(n_rows):
        key = ends[row, 0] * n_people + ends[row, 1]
        i = _probe(key, index, size)  # (rows are distinct pairs: the probe ends at an empty slot)
        index[i, 0] = key
        index[i, 1] = row


@numba.njit(cache=True, nogil=True)
def pair_row(
    a: int, b: int, n_people: int, index: np.ndarray, meta: np.ndarray, ends: np.ndarray,
    trust: np.ndarray, n_edges: int, trust0: float,
) -> int:  # fmt: skip
    """Edge row of the pair ``(a, b)``, adding it as row ``n_edges`` at ``trust0`` if new.

    The pair index is a hash table with open addressing and linear probing in the first
    ``meta[1]`` rows of ``index`` (``index[i, 0]`` holds the key ``lo * n_people + hi`` or -1,
    ``index[i, 1]`` the edge row, side by side so that a look-up reads one place). The table is
    kept at most half full: it doubles (re-indexing every row) before an addition would pass
    that; ``index`` has room for twice the edge arrays' rows, which the caller keeps large
    enough (:meth:`Edges.reserve`). The caller counts the new row.
    """
    lo, hi = min(a, b), max(a, b)
    key = lo * n_people + hi
    i = _probe(key, index, meta[1])
    if index[i, 0] == key:
        return index[i, 1]
    if 2 * (n_edges + 1) > meta[1]:
        meta[1] *= 2
        _rehash(ends, n_edges, n_people, index, meta[1])
        i = _probe(key, index, meta[1])
    index[i, 0] = key
    index[i, 1] = n_edges
    ends[n_edges, 0] = lo
    ends[n_edges, 1] = hi
    trust[n_edges, 0] = trust0
    trust[n_edges, 1] = trust0
    return n_edges


@numba.njit(cache=True, nogil=True)
def pair_find(a: int, b: int, n_people: int, index: np.ndarray, meta: np.ndarray) -> int:
    """Edge row of the pair ``(a, b)``, or -1 if the pair has no edge (nothing is added)."""
    key = min(a, b) * n_people + max(a, b)
    i = _probe(key, index, meta[1])
    return index[i, 1] if index[i, 0] == key else -1


@numba.njit(cache=True, nogil=True)
def _find_all(a: np.ndarray, b: np.ndarray, n_people: int, index, meta, out: np.ndarray) -> None:
    for k in range(a.shape[0]):
        out[k] = pair_find(a[k], b[k], n_people, index, meta)


@numba.njit(cache=True, nogil=True)
def link_edge(ends: np.ndarray, links: np.ndarray, head: np.ndarray, row: int) -> None:
    """Put the new edge ``row`` at the front of both its endpoints' lists of edges."""
    for s in range(2):
        person = ends[row, s]
        links[row, s] = head[person]
        head[person] = row


@numba.njit(cache=True, nogil=True)
def add_pair(
    a: int, b: int, n_people: int, index: np.ndarray, meta: np.ndarray, ends: np.ndarray,
    trust: np.ndarray, links: np.ndarray, head: np.ndarray, trust0: float,
) -> int:  # fmt: skip
    """Edge row of the pair ``(a, b)``; a new pair gets the next row, at ``trust0``.

    The new row is counted in ``meta[0]`` and linked to its endpoints (:func:`pair_row`,
    :func:`link_edge`).
    """
    n_edges = meta[0]
    row = pair_row(a, b, n_people, index, meta, ends, trust, n_edges, trust0)
    if row == n_edges:
        link_edge(ends, links, head, row)
        meta[0] = n_edges + 1
    return row


@numba.njit(cache=True, nogil=True)
def _find_or_add(
    a: np.ndarray, b: np.ndarray, n_people: int, index: np.ndarray, meta: np.ndarray,
    ends: np.ndarray, trust: np.ndarray, links: np.ndarray, head: np.ndarray, trust0: float,
    rows: np.ndarray,
) -> None:  # fmt: skip
    """Rows of the pairs ``(a[k], b[k])`` into ``rows`` (new pairs added and counted)."""
    for k in range(a.shape[0]):
        rows[k] = add_pair(a[k], b[k], n_people, index, meta, ends, trust, links, head, trust0)


def _pow2_at_least(k: int) -> int:
    return 1 << max(int(k) - 1, 1).bit_length()


class Edges:
    """Undirected relationships with directed trust, stored in growable arrays.

    The two endpoints and the two trusts of each edge are a row of two ``(capacity, 2)`` arrays
    (both directions of a tie sit side by side in memory, so a meeting touches one place). A
    hash table (``index``; see :func:`pair_row`) maps each pair to its row; compiled submodels
    look pairs up and add new ones in place, and keep the edge count in ``meta[0]`` and the
    table's size in ``meta[1]`` (so that they change in place too). The table grows with the
    edges in use, not with the arrays' room, so that it stays small enough to stay in the
    caches.

    Attributes:
        ends: ``ends[:, 0]`` is ``u``, ``ends[:, 1]`` is ``v`` (rows, ``u < v``).
        trust: ``trust[:, 0]`` is ``t_uv`` (trust of ``u`` in ``v``), ``trust[:, 1]`` is
            ``t_vu``.
        u, v, t_uv, t_vu: Views of those columns (renewed whenever the arrays grow).
        index: The pair index: ``(slots, 2)``, keys and rows (see :func:`pair_row`).
        head, links: Each endpoint's edges as a linked list: ``head[i]`` is the last edge row
            added with ``i`` as an endpoint, and ``links[row, s]`` the row added before it with
            the same endpoint ``ends[row, s]`` (-1 ends a list). See :func:`link_edge`.
        cross: Whether each edge joins people of different organizations, for the rows
            ``[0, meta[2])`` (the weekly measures fill it in for new rows; seats keep their
            organization, so a row's flag never changes).
        meta: ``meta[0]`` is the number of edges in use (rows ``[0, n)`` are valid),
            ``meta[1]`` the size of the pair index's table, ``meta[2]`` the rows whose
            ``cross`` flag is set.
    """

    def __init__(self, n_people: int, capacity: int = 64, expected: int = 8) -> None:
        """Room for ``capacity`` edges, with a pair index sized for ``expected`` of them."""
        self.n_people = n_people
        cap = max(int(capacity), 16)
        self.ends = np.zeros((cap, 2), dtype=np.int64)
        self.trust = np.zeros((cap, 2))
        self.links = np.empty((cap, 2), dtype=np.int64)  # (written as each edge is added)
        self.cross = np.empty(cap, dtype=np.bool_)  # (written by the weekly measures)
        self.head = np.full(n_people, -1, dtype=np.int64)
        self._views()
        self.index = np.empty((_pow2_at_least(2 * cap), 2), dtype=np.int64)
        size = min(_pow2_at_least(2 * max(int(expected), 8)), len(self.index))
        self.index[:size, 0] = -1
        self.meta = np.array([0, size, 0], dtype=np.int64)

    @property
    def n(self) -> int:
        """Number of edges in use."""
        return int(self.meta[0])

    @n.setter
    def n(self, value: int) -> None:
        self.meta[0] = value

    @property
    def keys(self) -> np.ndarray:
        """The keys of the pair index's table (-1 marks an empty slot)."""
        return self.index[: self.meta[1], 0]

    def _views(self) -> None:
        self.u, self.v = self.ends.T
        self.t_uv, self.t_vu = self.trust.T

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more edges (the arrays, and the index's room to grow)."""
        n = self.n
        need = n + k
        cap = self.ends.shape[0]
        if need > cap:
            new = max(need, 2 * cap)
            for name in ("ends", "trust", "links", "cross"):  # (rows written before being read)
                old = getattr(self, name)
                arr = np.empty((new, *old.shape[1:]), dtype=old.dtype)
                arr[:n] = old[:n]
                setattr(self, name, arr)
            self._views()
            if 2 * new > len(self.index):  # (the table in use keeps its size and slots)
                index = np.empty((_pow2_at_least(2 * new), 2), dtype=np.int64)
                size = self.meta[1]
                index[:size] = self.index[:size]
                self.index = index

    def add_many(self, u: np.ndarray, v: np.ndarray, t_uv: np.ndarray, t_vu: np.ndarray) -> None:
        """Append edges known to be new and distinct (``u < v`` is enforced here)."""
        n0 = self.n
        self.find_or_add(np.asarray(u), np.asarray(v), 0.0)
        if self.n != n0 + len(u):
            raise ValueError("add_many: some pairs were already present or repeated")
        s = slice(self.n - len(u), self.n)
        swap = u > v
        self.trust[s, 0] = np.where(swap, t_vu, t_uv)
        self.trust[s, 1] = np.where(swap, t_uv, t_vu)

    def find_or_add(self, a: np.ndarray, b: np.ndarray, trust0: float) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``; pairs met for the first time get a new edge.

        New edges start at ``trust0`` in both directions and take rows in order of first
        appearance. Self-pairs must not be passed.
        """
        self.reserve(len(a))
        rows = np.empty(len(a), dtype=np.int64)
        _find_or_add(
            a.astype(np.int64), b.astype(np.int64), self.n_people, self.index, self.meta,
            self.ends, self.trust, self.links, self.head, trust0, rows,
        )  # fmt: skip
        return rows

    def find(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``, or -1 where the pair has no edge."""
        out = np.empty(len(a), dtype=np.int64)
        _find_all(
            np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), self.n_people,
            self.index, self.meta, out,
        )  # fmt: skip
        return out

    def views(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Views ``(u, v, t_uv, t_vu)`` of the rows in use."""
        n = self.n
        return self.u[:n], self.v[:n], self.t_uv[:n], self.t_vu[:n]

    def __len__(self) -> int:
        return self.n


# ------------------------------------------------------------------ scalars of the collaboration
#: Float scalars of the collaboration (one slot each in ``State.fs``), with their initial values.
FLOATS: dict[str, float] = {
    "theta": 0.0,  # the problem's true leverage point (hidden from the members)
    "resident_center": 0.0,  # where residents' views centre (theta plus their shared bias)
    "data_bias": 0.0,  # the data's systematic bias about where leverage lies
    "legitimacy": 0.5,
    "capacity_oc": 0.0,
    "public_value": 0.0,
    "programs": 0.0,  # sum of leverage x size of won projects (running programs)
    "evidence_precision": 0.0,
    "plan": float("nan"),  # the collaboration's plan (NaN before any)
    "div_index": 0.0,  # diversity of sectors at the founding (0-1)
    "proposal_chance": 0.0,  # weekly chance of a proposal
    "mean_trust": 0.0,  # measured at the end of the previous week
    "cross_trust": 0.0,  # cross-boundary trust (never-met pairs at stranger trust), likewise
    "cross_density": 0.0,  # share of cross-organization ordered pairs above 0.5, likewise
    "team_safety": 0.0,  # mean psychological safety, likewise
    "understanding": 0.0,  # shared understanding (share of pairs in agreement), likewise
    "backing": 0.0,  # residents' backing of the programs (co-production)
    "working_trust": 0.0,  # trust weighted by tie use, measured likewise
    "consensus": 0.0,  # measured at the end of the previous week
    "plan_support": 0.0,  # share of members who can accept the plan, measured likewise
    "pr_position": 0.0,  # the active project (when ``pr_active``)
    "pr_size": 0.0,
    "pr_leverage": 0.0,
    "pr_oc_sum": 0.0,
}
#: Integer (and boolean) scalars of the collaboration (one slot each in ``State.ns``).
INTS: dict[str, int] = {
    "mode": 0,
    "transition_until": 0,  # a change of governance mode is under way until this week
    "adopted": 0,
    "wins": 0,
    "setbacks": 0,
    "learning": 0,
    "blame": 0,
    "proposals": 0,
    "governance_changes": 0,
    "leadership_shocks": 0,
    "leavers_total": 0,
    "first_win_week": -1,
    "first_adoption_week": -1,
    "first_setback_week": -1,
    "impact_week": -1,
    "last_win_week": -1,
    "pause_until": 0,
    "weeks_below_floor": 0,
    "perished": 0,
    "perished_week": -1,
    "consensus_reached": 0,
    "consensus_lost": 0,
    "consensus_remade": 0,
    "left_this_week": 0,
    "pr_active": 0,
    "pr_duration": 0,
    "pr_started": 0,
    "pr_entry": 0,  # the active project is a provisional entry point
    "pr_weeks_run": 0,
    "n_events": 0,
    "cross_pairs": 0,  # cross-organization ordered pairs of people (fixed at the founding)
}
BOOLS = frozenset({"perished", "consensus_reached", "consensus_lost"})

# Slot of each scalar (compile-time constants of the compiled submodels).
(
    THETA, RESIDENT_CENTER, DATA_BIAS, LEGITIMACY, CAPACITY_OC, PUBLIC_VALUE, PROGRAMS,
    EVIDENCE, PLAN, DIV_INDEX, PROPOSAL_CHANCE, MEAN_TRUST, CROSS_TRUST, CROSS_DENSITY,
    TEAM_SAFETY, UNDERSTANDING, BACKING, WORKING_TRUST, CONSENSUS, PLAN_SUPPORT, PR_POSITION,
    PR_SIZE, PR_LEVERAGE, PR_OC_SUM,
) = range(len(FLOATS))  # fmt: skip
(
    MODE, TRANSITION_UNTIL, ADOPTED, WINS, SETBACKS, LEARNING, BLAME, PROPOSALS,
    GOVERNANCE_CHANGES, LEADERSHIP_SHOCKS, LEAVERS_TOTAL, FIRST_WIN, FIRST_ADOPTION,
    FIRST_SETBACK, IMPACT_WEEK, LAST_WIN, PAUSE_UNTIL, WEEKS_BELOW_FLOOR, PERISHED,
    PERISHED_WEEK, CONSENSUS_REACHED, CONSENSUS_LOST, CONSENSUS_REMADE, LEFT_THIS_WEEK,
    PR_ACTIVE, PR_DURATION, PR_STARTED, PR_ENTRY, PR_WEEKS_RUN, N_EVENTS, CROSS_PAIRS,
) = range(len(INTS))  # fmt: skip
assert PR_OC_SUM == len(FLOATS) - 1 and CROSS_PAIRS == len(INTS) - 1

# ------------------------------------------------------------------------------------ events
#: Kinds of event, in code order (``State.ev_i[:, 1]``).
EVENT_KINDS = (
    "mediation", "win", "learning", "blame", "proposal", "adopted", "governance", "shock",
    "turnover", "perished",
)  # fmt: skip
(EV_MEDIATION, EV_WIN, EV_LEARNING, EV_BLAME, EV_PROPOSAL, EV_ADOPTED, EV_GOVERNANCE, EV_SHOCK,
 EV_TURNOVER, EV_PERISHED) = range(len(EVENT_KINDS))  # fmt: skip
#: Events one week can log at most (room the run keeps free before each week).
EVENTS_PER_WEEK = 12


@numba.njit(cache=True, nogil=True, inline="always")
def total(x: np.ndarray) -> float:
    """Sum of ``x`` in index order (the same rounding compiled and as plain Python)."""
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i]
    return s


@numba.njit(cache=True, nogil=True, inline="always")
def log_event(w, week: int, kind: int, a: int = 0, b: int = 0, x: float = 0.0, y: float = 0.0,
              z: float = 0.0) -> None:  # fmt: skip
    """Append an event: its week, kind code, two integers and three numbers for its text."""
    k = w.ns[N_EVENTS]
    w.ev_i[k, 0] = week
    w.ev_i[k, 1] = kind
    w.ev_i[k, 2] = a
    w.ev_i[k, 3] = b
    w.ev_f[k, 0] = x
    w.ev_f[k, 1] = y
    w.ev_f[k, 2] = z
    w.ns[N_EVENTS] = k + 1


def event_text(kind: int, a: int, b: int, x: float, y: float, z: float) -> str:
    """The event log's sentence for one event record (see :func:`log_event`)."""
    from collabsim.params import GOVERNANCE_MODES

    if kind == EV_MEDIATION:
        return "the navigator's mediation restores some safety"
    if kind == EV_WIN:
        return f"small win at {x:.2f} (leverage {y:.2f})"
    if kind == EV_LEARNING:
        return "setback met by learning: frames move toward the evidence"
    if kind == EV_BLAME:
        return f"setback met by blame: trust in organization {a} falls"
    if kind == EV_PROPOSAL:
        why = (
            "too little support for the decision rule"
            if a == 0
            else f"no decision: the governance mode fits poorly (fit {z:.2f})"
        )
        return f"proposal at {x:.2f} not adopted, {y:.0%} support: {why}"
    if kind == EV_ADOPTED:
        what = "entry point" if a else "whole plan"
        return f"{what} adopted at {x:.2f} ({y:.0%} support, {b} wk)"
    if kind == EV_GOVERNANCE:
        return f"governance changed from {GOVERNANCE_MODES[a]} to {GOVERNANCE_MODES[b]}"
    if kind == EV_SHOCK:
        return "leadership change: every city-agency seat turns over"
    if kind == EV_TURNOVER:
        return f"{a} newcomer(s) joined"
    return "the collaboration dissolved"


# ------------------------------------------------------------------------------ the state
#: Arrays of the state, in the order of :class:`World` (people, organizations, problem).
ARRAYS = (
    "org", "frame", "openness", "commitment", "loyalty", "effort", "tenure", "founder",
    "nav_trust", "safety", "skill", "seat_pressure", "seat_sector", "sector", "home_frame",
    "pressure", "capacity", "provider", "weight_all", "weight_always", "project_pos",
    "project_size", "order",
)  # fmt: skip

#: What compiled submodels receive: every array of the state, the scalars (``fs``, ``ns``),
#: the relationships (``e_*``), the organizations' social capital (``c_*``), the event records
#: and the recorder's table. Built by :meth:`State.world`.
World = namedtuple(
    "World",
    [*ARRAYS, "fs", "ns", "e_ends", "e_trust", "e_index", "e_meta", "e_links", "e_head",
     "e_cross", "c_ends", "c_trust", "c_index", "c_meta", "ev_i", "ev_f", "table"],
)  # fmt: skip


@dataclass
class Project:
    """A project (entry point or whole plan): a view of the state's ``project_*`` scalars."""

    position: float
    size: float
    leverage: float
    duration: int
    started: int
    entry_point: bool
    oc_sum: float = 0.0
    weeks_run: int = 0


class ProjectView:
    """The active project, read from and written to the state's scalars (``pr_*``)."""

    __slots__ = ("_fs", "_ns")

    def __init__(self, fs: np.ndarray, ns: np.ndarray) -> None:
        self._fs, self._ns = fs, ns

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _PROJECT_SLOTS)
        return f"ProjectView({fields})"


def _view_property(name: str, scalars: str, slot: int, cast: type) -> property:
    def get(self: ProjectView) -> Any:
        return cast(getattr(self, scalars)[slot])

    def put(self: ProjectView, value: Any) -> None:
        getattr(self, scalars)[slot] = value

    return property(get, put, doc=f"The project's ``{name}``.")


_PROJECT_SLOTS = {
    "position": ("_fs", PR_POSITION, float),
    "size": ("_fs", PR_SIZE, float),
    "leverage": ("_fs", PR_LEVERAGE, float),
    "duration": ("_ns", PR_DURATION, int),
    "started": ("_ns", PR_STARTED, int),
    "entry_point": ("_ns", PR_ENTRY, bool),
    "oc_sum": ("_fs", PR_OC_SUM, float),
    "weeks_run": ("_ns", PR_WEEKS_RUN, int),
}
for _field, _where in _PROJECT_SLOTS.items():
    setattr(ProjectView, _field, _view_property(_field, *_where))


class State:
    """Everything that changes during a run.

    People arrays have one row per seat; organization arrays one row per organization. The
    collaboration's scalars live in two small arrays (``fs`` floats, ``ns`` integers; their
    slots are :data:`FLOATS` and :data:`INTS`) and read as attributes (``s.legitimacy``), so
    that compiled submodels change them in place.

    Args:
        edges: The people's relationships.
        capital: Social capital of organization pairs (``trust[0]`` holds it).
        events_capacity: Event records to allocate (grown by :meth:`reserve_events`).
        table: The recorder's table (one row per week), or None.
        **values: Every array of :data:`ARRAYS`, and any scalar to set.
    """

    def __init__(self, *, edges: Edges, capital: Edges, events_capacity: int = 64,
                 table: np.ndarray | None = None, **values) -> None:  # fmt: skip
        self.fs = np.array(list(FLOATS.values()), dtype=np.float64)
        self.ns = np.array(list(INTS.values()), dtype=np.int64)
        self.edges = edges
        self.capital = capital
        self.ev_i = np.zeros((events_capacity, 4), dtype=np.int64)
        self.ev_f = np.zeros((events_capacity, 3))
        self.table = np.zeros((1, 1)) if table is None else table
        self.extra_events: list[tuple[int, str, str]] = []
        for name in ARRAYS:
            setattr(self, name, values.pop(name))
        for name, value in values.items():
            if name not in FLOATS and name not in INTS:
                raise TypeError(f"State got an unknown field {name!r}")
            setattr(self, name, value)

    def world(self) -> World:
        """The state as the compiled submodels receive it (views of the same arrays)."""
        e, c = self.edges, self.capital
        d = self.__dict__
        return World(
            *[d[name] for name in ARRAYS], self.fs, self.ns, e.ends, e.trust, e.index, e.meta,
            e.links, e.head, e.cross, c.ends, c.trust, c.index, c.meta, self.ev_i, self.ev_f,
            self.table,
        )  # fmt: skip

    def reserve_events(self, k: int) -> None:
        """Make room for ``k`` more event records."""
        need = int(self.ns[N_EVENTS]) + k
        if need > len(self.ev_i):
            new = max(need, 2 * len(self.ev_i))
            for name in ("ev_i", "ev_f"):
                old = getattr(self, name)
                arr = np.zeros((new, old.shape[1]), dtype=old.dtype)
                arr[: len(old)] = old
                setattr(self, name, arr)

    @property
    def project(self) -> ProjectView | None:
        """The active project (a live view of the state), or None.

        Assigning a :class:`Project` (or None) sets it.
        """
        return ProjectView(self.fs, self.ns) if self.ns[PR_ACTIVE] else None

    @project.setter
    def project(self, pr: Project | ProjectView | None) -> None:
        self.ns[PR_ACTIVE] = pr is not None
        if pr is not None:
            self.fs[[PR_POSITION, PR_SIZE, PR_LEVERAGE, PR_OC_SUM]] = (
                pr.position, pr.size, pr.leverage, pr.oc_sum,
            )  # fmt: skip
            self.ns[[PR_DURATION, PR_STARTED, PR_ENTRY, PR_WEEKS_RUN]] = (
                pr.duration, pr.started, pr.entry_point, pr.weeks_run,
            )  # fmt: skip

    @property
    def events(self) -> list[tuple[int, str, str]]:
        """The event log as ``(week, kind, text)`` tuples, in order."""
        return self.events_since(0)

    @property
    def event_count(self) -> int:
        """Number of events in the log (``len(self.events)`` without decoding them)."""
        return int(self.ns[N_EVENTS]) + len(self.extra_events)

    def events_since(self, start: int) -> list[tuple[int, str, str]]:
        """``self.events[start:]``, decoding only those records (an app reads each step's)."""
        if self.extra_events:  # merged by week with the compiled records: decode them all
            return self._decoded(0)[start:]
        return self._decoded(start)

    def _decoded(self, start: int) -> list[tuple[int, str, str]]:
        out = []
        for k in range(start, int(self.ns[N_EVENTS])):
            week, kind, a, b = (int(x) for x in self.ev_i[k])
            x, y, z = (float(v) for v in self.ev_f[k])
            out.append((week, EVENT_KINDS[kind], event_text(kind, a, b, x, y, z)))
        if start == 0 and self.extra_events:
            out = sorted(out + self.extra_events, key=lambda ev: ev[0])
        return out

    @property
    def n_people(self) -> int:
        """Number of seats at the table."""
        return len(self.frame)

    @property
    def n_orgs(self) -> int:
        """Number of organizations."""
        return len(self.sector)

    def log(self, week: int, kind: str, text: str) -> None:
        """Append an event written outside the compiled submodels (e.g. by an application)."""
        self.extra_events.append((week, kind, text))


def _scalar_property(name: str) -> property:
    if name in FLOATS:
        i = list(FLOATS).index(name)

        def get(self: State) -> float:
            return float(self.fs[i])

        def put(self: State, value: float) -> None:
            self.fs[i] = value
    else:
        i = list(INTS).index(name)
        cast = bool if name in BOOLS else int

        def get(self: State) -> int:  # type: ignore[misc]
            return cast(self.ns[i])

        def put(self: State, value: int) -> None:  # type: ignore[misc]
            self.ns[i] = value

    return property(get, put, doc=f"The collaboration's ``{name}`` (a slot of the scalars).")


for _name in (*FLOATS, *INTS):
    setattr(State, _name, _scalar_property(_name))
