"""Prior-relationship networks, built from the run's generator.

The people at the table did not meet for the first time at the founding: some worked together
before. Following the team-assembly model of Guimera, Uzzi, Spiro & Amaral (Science 308:697,
2005), the past is a sequence of small teams. Each seat in a past team goes to an *incumbent*
(someone who has been on an earlier team) with probability ``p``, and otherwise to a newcomer;
an incumbent is a *repeat collaborator* of someone already on the team with probability ``q``.
Members of a past team become tied. Colleagues from the same organization are tied too.

The result is a set of edge arrays over people (seat rows) with the initial ``trust`` and a
``kind`` ("colleague", "prior" or "conflict") of every tie, built without a graph object:
the model reads the arrays directly, and :func:`prior_relationships` turns them into a
:class:`networkx.Graph` for whoever wants one. Every draw comes from the numpy ``Generator``
passed in.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numba
import numpy as np

from collabsim.state import probe_set

__all__ = [
    "TIE_KINDS",
    "build_ties",
    "graph_to_arrays",
    "past_teams",
    "prior_relationships",
    "prior_ties",
    "ties_to_graph",
]

#: Kinds of prior tie; :func:`prior_ties` returns each tie's index into this tuple.
TIE_KINDS: tuple[str, ...] = ("colleague", "prior", "conflict")


def prior_ties(
    org: np.ndarray,
    rng: np.random.Generator,
    *,
    history: float,
    p: float,
    q: float,
    prior_trust: float,
    stranger_trust: float,
    conflict_history: float,
    colleague_trust: float,
    team_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Build the prior relationships among the people at the table as edge arrays.

    Args:
        org: Organization of each person (seat row).
        rng: The run's generator; the only source of randomness.
        history: Past joint projects per person; the number of past teams is
            ``round(history * n / team_size)``.
        p: Probability that a past-team slot goes to an incumbent.
        q: Probability that an incumbent is a repeat collaborator of a current member.
        prior_trust: Trust on a prior tie.
        stranger_trust: Trust between strangers (conflict ties start at half of it).
        conflict_history: Share of prior ties with a history of conflict.
        colleague_trust: Trust between colleagues of the same organization.
        team_size: Size of a past project team.

    Returns:
        ``(u, v, trust, kind)``: one row per tie with ``u < v``, sorted by ``(u, v)``;
        ``kind`` indexes :data:`TIE_KINDS`.
    """
    return build_ties(
        np.asarray(org, dtype=np.int64), rng, float(history), float(p), float(q),
        float(prior_trust), float(stranger_trust), float(conflict_history),
        float(colleague_trust), int(team_size),
    )  # fmt: skip


def past_teams(n: int, history: float, team_size: int) -> int:
    """Number of past teams: ``round(history * n / team_size)``."""
    return round(history * n / team_size)


@numba.njit(cache=True, nogil=True)
def build_ties(org, rng, history, p, q, prior_trust, stranger_trust, conflict_history,
               colleague_trust, team_size):  # fmt: skip
    """The compiled body of :func:`prior_ties` (same arguments, positional)."""
    n = org.shape[0]
    # colleagues of the same organization: every pair of seats within each organization
    order = np.argsort(org, kind="mergesort")
    n_col = 0
    start = 0
    while start < n:  # count first
        stop = start
        while stop < n and org[order[stop]] == org[order[start]]:
            stop += 1
        n_col += (stop - start) * (stop - start - 1) // 2
        start = stop
    col = np.empty((n_col, 2), dtype=np.int64)
    k = 0
    start = 0
    while start < n:
        stop = start
        while stop < n and org[order[stop]] == org[order[start]]:
            stop += 1
        for i in range(start, stop):
            for j in range(i + 1, stop):
                col[k, 0] = min(order[i], order[j])
                col[k, 1] = max(order[i], order[j])
                k += 1
        start = stop
    n_teams = round(history * n / team_size)
    size = min(team_size, n)
    most = n_col + max(n_teams, 0) * size * (size - 1) // 2
    keys = np.full(_table_size(most), -1, dtype=np.int64)  # the pairs tied so far
    for k in range(n_col):
        keys[probe_set(col[k, 0] * n + col[k, 1], keys)] = col[k, 0] * n + col[k, 1]
    pa = np.empty(0, dtype=np.int64)
    pb = np.empty(0, dtype=np.int64)
    if n_teams > 0 and n >= 2:
        pa, pb = _assemble_teams(n, rng, n_teams, p, q, keys, size)
    k = pa.shape[0]
    kind = np.ones(n_col + k, dtype=np.int8)
    trust = np.full(n_col + k, prior_trust)
    u = np.empty(n_col + k, dtype=np.int64)
    v = np.empty(n_col + k, dtype=np.int64)
    for j in range(n_col):
        u[j], v[j] = col[j, 0], col[j, 1]
        kind[j] = 0
        trust[j] = colleague_trust
    for j in range(k):
        u[n_col + j] = min(pa[j], pb[j])
        v[n_col + j] = max(pa[j], pb[j])
    if k and conflict_history > 0:
        # one draw per prior tie, in the order a graph built tie by tie lists them (by lower
        # endpoint, then by creation)
        listed = np.argsort(u[n_col:], kind="mergesort")
        for j in range(k):
            if rng.random() < conflict_history:
                kind[n_col + listed[j]] = 2
                trust[n_col + listed[j]] = 0.5 * stranger_trust
    rows = np.argsort(u * n + v, kind="mergesort")
    return u[rows], v[rows], trust[rows], kind[rows]


@numba.njit(cache=True, nogil=True)
def _assemble_teams(n, rng, n_teams, p, q, keys, size):
    """Past teams (Guimera et al. 2005); return the new prior ties in order of creation.

    ``keys`` is a table of pair keys (see :func:`collabsim.state.pair_row`) of the pairs tied
    already (colleagues); new ties are added to it. A repeat collaborator is drawn from the team
    members' past collaborators, each listed in the order they first worked together (a
    collaborator of two members is listed twice). A slot that goes to an incumbent outside
    that pool is drawn uniformly from the incumbents not yet on the team, skipping the team
    members' places in the list of incumbents (O(team size), not O(incumbents)).
    """
    fresh = rng.permutation(n)  # newcomers enter from the end of this order
    n_fresh = n
    incumbents = np.empty(n, dtype=np.int64)
    n_inc = 0
    place = np.full(n, -1, dtype=np.int64)  # person -> index in incumbents
    most = n_teams * size * (size - 1)  # directed collaborator links at most
    head = np.full(n, -1, dtype=np.int64)  # each person's collaborators: a linked list
    tail = np.full(n, -1, dtype=np.int64)
    nxt = np.empty(most, dtype=np.int64)
    who = np.empty(most, dtype=np.int64)
    n_links = 0
    known = np.full(_table_size(most), -1, dtype=np.int64)  # pairs of collaborators
    draws = np.empty((n_teams, size, 3))
    for t in range(n_teams):
        for s in range(size):
            for r in range(3):
                draws[t, s, r] = rng.random()
    new_a = np.empty(most // 2, dtype=np.int64)
    new_b = np.empty(most // 2, dtype=np.int64)
    n_new = 0
    team = np.empty(size, dtype=np.int64)
    pool = np.empty(size * n, dtype=np.int64)
    for t in range(n_teams):
        tlen = 0
        for s in range(size):
            r_inc, r_rep, r_pick = draws[t, s, 0], draws[t, s, 1], draws[t, s, 2]
            person = -1
            if (r_inc < p or n_fresh == 0) and n_inc > 0:
                plen = 0
                if r_rep < q:
                    for mi in range(tlen):
                        link = head[team[mi]]
                        while link >= 0:
                            c = who[link]
                            if not _on(team, tlen, c):
                                pool[plen] = c
                                plen += 1
                            link = nxt[link]
                if plen:
                    person = pool[int(r_pick * plen)]
                elif n_inc > tlen:
                    j = int(r_pick * (n_inc - tlen))
                    for skip in np.sort(place[team[:tlen]]):
                        if skip > j:
                            break
                        j += 1
                    person = incumbents[j]
            if person < 0 and n_fresh:
                n_fresh -= 1
                person = fresh[n_fresh]
                place[person] = n_inc
                incumbents[n_inc] = person
                n_inc += 1
            if person >= 0 and not _on(team, tlen, person):
                team[tlen] = person
                tlen += 1
        for i in range(tlen):
            a = team[i]
            for j in range(i + 1, tlen):
                b = team[j]
                key = min(a, b) * n + max(a, b)
                at = probe_set(key, known)
                if known[at] != key:  # a new pair of collaborators: listed on both sides
                    known[at] = key
                    n_links = _append(head, tail, nxt, who, n_links, a, b)
                    n_links = _append(head, tail, nxt, who, n_links, b, a)
                at = probe_set(key, keys)
                if keys[at] != key:
                    keys[at] = key
                    new_a[n_new] = a
                    new_b[n_new] = b
                    n_new += 1
    return new_a[:n_new], new_b[:n_new]


@numba.njit(cache=True, nogil=True)
def _append(head, tail, nxt, who, n_links: int, x: int, y: int) -> int:
    """Append ``y`` to the end of ``x``'s linked list; return the links now used."""
    who[n_links] = y
    nxt[n_links] = -1
    if head[x] < 0:
        head[x] = n_links
    else:
        nxt[tail[x]] = n_links
    tail[x] = n_links
    return n_links + 1


@numba.njit(cache=True, nogil=True)
def _table_size(pairs: int) -> int:
    """Slots of a pair table that stays at most a quarter full with ``pairs`` keys."""
    size = 16
    while size < 4 * pairs:
        size *= 2
    return size


@numba.njit(cache=True, nogil=True)
def _on(team: np.ndarray, tlen: int, person: int) -> bool:
    """Whether ``person`` is among the first ``tlen`` members of ``team``."""
    for i in range(tlen):
        if team[i] == person:
            return True
    return False


def prior_relationships(org: np.ndarray, rng: np.random.Generator, **kwargs: Any) -> nx.Graph:
    """The network of prior relationships as a :class:`networkx.Graph`.

    Takes the arguments of :func:`prior_ties` (same draws, same ties).

    Returns:
        An undirected graph on ``range(len(org))`` with edge attributes ``trust`` and ``kind``.
    """
    return ties_to_graph(len(org), *prior_ties(org, rng, **kwargs))


def ties_to_graph(
    n: int, u: np.ndarray, v: np.ndarray, trust: np.ndarray, kind: np.ndarray
) -> nx.Graph:
    """A graph on ``range(n)`` from the edge arrays of :func:`prior_ties`."""
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(
        (a, b, {"trust": t, "kind": TIE_KINDS[k]})
        for a, b, t, k in zip(u.tolist(), v.tolist(), trust.tolist(), kind.tolist(), strict=True)
    )
    return g


def graph_to_arrays(g: nx.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge arrays ``(u, v, trust)`` of a graph, with ``u < v``, in a deterministic order."""
    if g.number_of_edges() == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), np.zeros(0)
    rows = sorted((min(a, b), max(a, b), float(t)) for a, b, t in g.edges(data="trust"))
    arr = np.array(rows)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2].copy()
