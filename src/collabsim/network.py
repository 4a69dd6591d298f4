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
import numpy as np

__all__ = [
    "TIE_KINDS",
    "graph_to_arrays",
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
    org = np.asarray(org)
    n = len(org)
    # colleagues of the same organization: pairs at every offset within the sorted seats
    order = np.argsort(org, kind="stable")
    grouped = org[order]
    cu, cv = [], []
    for d in range(1, n):
        same = grouped[:-d] == grouped[d:]
        if not same.any():
            break
        cu.append(order[:-d][same])
        cv.append(order[d:][same])
    col_a = np.concatenate(cu) if cu else np.zeros(0, dtype=np.int64)
    col_b = np.concatenate(cv) if cv else np.zeros(0, dtype=np.int64)
    col_lo, col_hi = np.minimum(col_a, col_b), np.maximum(col_a, col_b)

    prior_a: list[int] = []
    prior_b: list[int] = []
    n_teams = round(history * n / team_size)
    if n_teams > 0 and n >= 2:
        prior_a, prior_b = _assemble_teams(
            n, rng, n_teams, p, q, set((col_lo * n + col_hi).tolist()), team_size
        )
    pa = np.asarray(prior_a, dtype=np.int64)
    pb = np.asarray(prior_b, dtype=np.int64)
    p_lo, p_hi = np.minimum(pa, pb), np.maximum(pa, pb)
    p_kind = np.full(len(pa), 1, dtype=np.int8)
    p_trust = np.full(len(pa), float(prior_trust))
    if len(pa) and conflict_history > 0:
        # one draw per prior tie, in the order a networkx graph built tie by tie lists them
        # (by lower endpoint, then by creation): the same draws as the graph-based builder
        listed = np.argsort(p_lo, kind="stable")
        hits = listed[rng.random(len(pa)) < conflict_history]
        p_kind[hits] = 2
        p_trust[hits] = 0.5 * stranger_trust
    u = np.concatenate([col_lo, p_lo])
    v = np.concatenate([col_hi, p_hi])
    trust = np.concatenate([np.full(len(col_lo), float(colleague_trust)), p_trust])
    kind = np.concatenate([np.zeros(len(col_lo), dtype=np.int8), p_kind])
    rows = np.lexsort((v, u))
    return u[rows].astype(np.int64), v[rows].astype(np.int64), trust[rows], kind[rows]


def _assemble_teams(
    n: int,
    rng: np.random.Generator,
    n_teams: int,
    p: float,
    q: float,
    taken: set[int],
    team_size: int,
) -> tuple[list[int], list[int]]:
    """Past teams (Guimera et al. 2005); return the new prior ties in order of creation.

    A slot that goes to an incumbent outside the repeat-collaborator pool is drawn uniformly
    from the incumbents not yet on the team: the pick skips the team members' places in the
    list of incumbents, so it costs O(team size), not O(incumbents).
    """
    fresh = rng.permutation(n).tolist()  # newcomers enter in this order
    incumbents: list[int] = []
    place: dict[int, int] = {}  # person -> index in incumbents
    collaborators: dict[int, set[int]] = {}
    size = min(team_size, n)
    draws = rng.random((n_teams, size, 3)).tolist()
    new_a: list[int] = []
    new_b: list[int] = []
    for t in range(n_teams):
        team: list[int] = []
        for r_inc, r_rep, r_pick in draws[t]:
            person = -1
            if (r_inc < p or not fresh) and incumbents:
                pool: list[int] = []
                if r_rep < q:
                    for member in team:
                        pool.extend(c for c in collaborators.get(member, ()) if c not in team)
                if pool:
                    person = pool[int(r_pick * len(pool))]
                elif len(incumbents) > len(team):
                    j = int(r_pick * (len(incumbents) - len(team)))
                    for skip in sorted(place[m] for m in team):
                        if skip > j:
                            break
                        j += 1
                    person = incumbents[j]
            if person < 0 and fresh:
                person = fresh.pop()
                place[person] = len(incumbents)
                incumbents.append(person)
            if person >= 0 and person not in team:
                team.append(person)
        for i in range(len(team)):
            a = team[i]
            for j in range(i + 1, len(team)):
                b = team[j]
                collaborators.setdefault(a, set()).add(b)
                collaborators.setdefault(b, set()).add(a)
                key = a * n + b if a < b else b * n + a
                if key not in taken:
                    taken.add(key)
                    new_a.append(a)
                    new_b.append(b)
    return new_a, new_b


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
