"""The arrays that hold the state of people, organizations, relationships and the collaboration.

Representatives are rows of arrays (one row per seat at the table; a newcomer takes over the
seat of a leaver). Relationships are an undirected edge list with one trust value for each
direction, grown as strangers meet; a pair index (a dense table for small groups, a numpy hash
table for large ones) finds a batch of pairs' rows with a few numpy calls.
Collaboration-level quantities (legitimacy, capacity, public value, the active project) are
plain attributes. Mechanisms (``collabsim.mechanisms``) read and write this object in place.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

__all__ = ["DENSE_MAX_CELLS", "DensePairIndex", "Edges", "HashPairIndex", "Project", "State"]

#: Largest ``n_people ** 2`` for which pairs are indexed in a dense table (32 MB of int64).
DENSE_MAX_CELLS = 1 << 22


class DensePairIndex:
    """Edge row of every pair of people in an ``n x n`` table (for small tables).

    Both ``(a, b)`` and ``(b, a)`` are stored, so a look-up is one gather with no ordering of
    the pair. Used while ``n * n`` is at most :data:`DENSE_MAX_CELLS`.
    """

    def __init__(self, n_people: int) -> None:
        self.n_people = n_people
        self.table = np.full(n_people * n_people, -1, dtype=np.int64)
        self.size = 0

    def get(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
        """Row of each pair (-1 if absent), and whether every pair was found."""
        rows = self.table[a * self.n_people + b]
        return rows, len(rows) == 0 or rows.min() >= 0

    def insert(self, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> None:
        """Add pairs ``lo < hi`` that are not in the table yet."""
        self.table[lo * self.n_people + hi] = rows
        self.table[hi * self.n_people + lo] = rows
        self.size += len(rows)

    def __len__(self) -> int:
        return self.size


class HashPairIndex:
    """A hash table from pairs of people to edge rows (for large populations).

    Open addressing with linear probing and a mixing hash of the key ``lo * n + hi``,
    held in two numpy arrays and kept at most half full. Every operation handles a whole batch
    of pairs with a few numpy calls per probing round (about 1.5 rounds on average), so a
    week's look-ups cost O(meetings) whatever the number of edges, with no loop over pairs.
    """

    # murmur3's 64-bit finalizer: pair keys are far from random (a * n + b over colleagues and
    # past teams), and plain multiplicative hashing of them built probe chains of ~100 slots
    _M1, _M2, _S = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53), np.uint64(33)

    def __init__(self, n_people: int, capacity: int = 16) -> None:
        self.n_people = n_people
        self._alloc(max(4, int(2 * max(capacity, 8) - 1).bit_length()))
        self.size = 0

    def _alloc(self, bits: int) -> None:
        self.keys = np.full(1 << bits, -1, dtype=np.int64)
        self.rows = np.zeros(1 << bits, dtype=np.int64)
        self._shift = np.uint64(64 - bits)
        self._mask = (1 << bits) - 1

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        h = keys.view(np.uint64) >> self._S
        h ^= keys.view(np.uint64)
        h *= self._M1
        h ^= h >> self._S
        h *= self._M2
        h ^= h >> self._S
        return (h >> self._shift).astype(np.intp)

    def get(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, bool]:
        """Row of each pair (-1 if absent), and whether every pair was found."""
        keys = np.minimum(a, b) * self.n_people + np.maximum(a, b)
        slot = self._slots(keys)
        found = self.keys[slot]
        if (found == keys).all():  # the usual case: every key at its first slot
            return self.rows[slot], True
        out = np.full(len(keys), -1, dtype=np.int64)
        todo = np.arange(len(keys))
        while len(todo):
            hit = found == keys
            out[todo[hit]] = self.rows[slot[hit]]
            go = ~hit & (found != -1)  # occupied by another key: probe the next slot
            todo, keys = todo[go], keys[go]
            slot = (slot[go] + 1) & self._mask
            found = self.keys[slot]
        return out, bool(out.min() >= 0)

    def insert(self, lo: np.ndarray, hi: np.ndarray, rows: np.ndarray) -> None:
        """Add pairs ``lo < hi`` that are not in the table yet."""
        self._insert_keys(lo * self.n_people + hi, rows)

    def _insert_keys(self, keys: np.ndarray, rows: np.ndarray) -> None:
        if 2 * (self.size + len(keys)) > len(self.keys):
            old = self.keys != -1
            old_keys, old_rows = self.keys[old], self.rows[old]
            self._alloc(int(4 * (self.size + len(keys)) - 1).bit_length())
            self.size = 0
            self._insert_keys(old_keys, old_rows)
        self.size += len(keys)
        slot = self._slots(keys)
        while len(keys):
            free = self.keys[slot] == -1
            self.keys[slot[free]] = keys[free]  # several keys may claim one slot: one wins
            won = free.copy()
            won[free] = self.keys[slot[free]] == keys[free]
            self.rows[slot[won]] = rows[won]
            lost = ~won
            keys, rows = keys[lost], rows[lost]
            slot = (slot[lost] + 1) & self._mask

    def __len__(self) -> int:
        return self.size


class Edges:
    """Undirected relationships with directed trust, stored in growable arrays.

    The two endpoints and the two trusts of each edge are the rows of two ``(2, capacity)``
    arrays, so that a batch of meetings reads or writes both sides in one operation. A pair
    index (:class:`DensePairIndex` for small groups, :class:`HashPairIndex` for large ones)
    maps each pair of people to its column.

    Attributes:
        ends: ``ends[0]`` is ``u``, ``ends[1]`` is ``v`` (person rows, ``u < v``).
        trust: ``trust[0]`` is ``t_uv`` (trust of ``u`` in ``v``), ``trust[1]`` is ``t_vu``.
        u, v, t_uv, t_vu: Views of those rows (renewed whenever the arrays grow).
        n: Number of edges in use (columns ``[0, n)`` are valid).
    """

    def __init__(self, n_people: int, capacity: int = 64) -> None:
        self.n_people = n_people
        cap = max(int(capacity), 16)
        self.ends = np.zeros((2, cap), dtype=np.int64)
        self.trust = np.zeros((2, cap))
        self._views()
        self.n = 0
        self._index: DensePairIndex | HashPairIndex = (
            DensePairIndex(n_people)
            if n_people * n_people <= DENSE_MAX_CELLS
            else HashPairIndex(n_people, cap)
        )

    def _views(self) -> None:
        self.u, self.v = self.ends
        self.t_uv, self.t_vu = self.trust

    def _grow(self, need: int) -> None:
        cap = self.ends.shape[1]
        if need <= cap:
            return
        new = max(need, 2 * cap)
        for name in ("ends", "trust"):
            old = getattr(self, name)
            arr = np.zeros((2, new), dtype=old.dtype)
            arr[:, : self.n] = old[:, : self.n]
            setattr(self, name, arr)
        self._views()

    @property
    def dense_table(self) -> np.ndarray | None:
        """The dense pair index's table (``a * n_people + b`` -> row), or None (hash index)."""
        return self._index.table if isinstance(self._index, DensePairIndex) else None

    def reserve(self, k: int) -> None:
        """Make room for ``k`` more edges (for kernels that add edges in place)."""
        self._grow(self.n + k)

    def added_in_place(self, n: int) -> None:
        """Record that a kernel appended edges up to row ``n`` (arrays and dense table)."""
        self.n = n
        self._index.size = n

    def _append(self, lo: np.ndarray, hi: np.ndarray) -> slice:
        k = len(lo)
        self._grow(self.n + k)
        s = slice(self.n, self.n + k)
        self.ends[0, s], self.ends[1, s] = lo, hi
        self._index.insert(lo, hi, np.arange(self.n, self.n + k))
        self.n += k
        return s

    def add_many(self, u: np.ndarray, v: np.ndarray, t_uv: np.ndarray, t_vu: np.ndarray) -> None:
        """Append edges known to be new and distinct (``u < v`` is enforced here)."""
        swap = u > v
        s = self._append(np.minimum(u, v), np.maximum(u, v))
        self.trust[0, s] = np.where(swap, t_vu, t_uv)
        self.trust[1, s] = np.where(swap, t_uv, t_vu)

    def find_or_add(self, a: np.ndarray, b: np.ndarray, trust0: float) -> np.ndarray:
        """Row of each pair ``(a[k], b[k])``; pairs met for the first time get a new edge.

        New edges start at ``trust0`` in both directions and take rows in order of first
        appearance. Self-pairs must not be passed.
        """
        rows, complete = self._index.get(a, b)
        if complete:
            return rows
        new = rows < 0
        a, b = a[new], b[new]
        pending = (np.minimum(a, b) * self.n_people + np.maximum(a, b)).tolist()
        # distinct new pairs, in order of first appearance, with their new rows
        fresh = dict(zip(dict.fromkeys(pending), itertools.count(self.n)))
        lo, hi = np.divmod(np.fromiter(fresh, dtype=np.int64, count=len(fresh)), self.n_people)
        added = self._append(lo, hi)  # (may grow the arrays: index self.trust only after)
        self.trust[:, added] = trust0
        rows[new] = np.fromiter(map(fresh.__getitem__, pending), np.int64, len(pending))
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
