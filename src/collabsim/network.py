"""Prior-relationship networks, built from the run's generator.

The people at the table did not meet for the first time at the founding: some worked together
before. Following the team-assembly model of Guimera, Uzzi, Spiro & Amaral (Science 308:697,
2005), the past is a sequence of small teams. Each seat in a past team goes to an *incumbent*
(someone who has been on an earlier team) with probability ``p``, and otherwise to a newcomer;
an incumbent is a *repeat collaborator* of someone already on the team with probability ``q``.
Members of a past team become tied. Colleagues from the same organization are tied too.

The result is a :class:`networkx.Graph` of people (nodes are seat rows) whose edges carry the
initial ``trust`` and a ``kind`` ("colleague", "prior" or "conflict"). Every draw comes from
the numpy ``Generator`` passed in.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

__all__ = ["PAST_TEAM_SIZE", "graph_to_arrays", "prior_relationships"]

#: Members of a past team (Guimera et al. 2005 study teams of a few members).
PAST_TEAM_SIZE = 4


def prior_relationships(
    org: np.ndarray,
    rng: np.random.Generator,
    *,
    history: float,
    p: float,
    q: float,
    prior_trust: float,
    stranger_trust: float,
    conflict_history: float,
    colleague_trust: float = 0.8,
) -> nx.Graph:
    """Build the network of prior relationships among the people at the table.

    Args:
        org: Organization of each person (seat row).
        rng: The run's generator; the only source of randomness.
        history: Past joint projects per person; the number of past teams is
            ``round(history * n / PAST_TEAM_SIZE)``.
        p: Probability that a past-team slot goes to an incumbent.
        q: Probability that an incumbent is a repeat collaborator of a current member.
        prior_trust: Trust on a prior tie.
        stranger_trust: Trust between strangers (conflict ties start at half of it).
        conflict_history: Share of prior ties with a history of conflict.
        colleague_trust: Trust between colleagues of the same organization.

    Returns:
        An undirected graph on ``range(len(org))`` with edge attributes ``trust`` and ``kind``.
    """
    n = len(org)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    # colleagues of the same organization
    order = np.argsort(org, kind="stable")
    bounds = np.flatnonzero(np.diff(org[order])) + 1
    for members in np.split(order, bounds):
        m = members.tolist()
        for i in range(len(m)):
            for j in range(i + 1, len(m)):
                g.add_edge(m[i], m[j], trust=colleague_trust, kind="colleague")

    n_teams = round(history * n / PAST_TEAM_SIZE)
    if n_teams <= 0 or n < 2:
        return g
    fresh = rng.permutation(n).tolist()  # newcomers enter in this order
    incumbents: list[int] = []
    collaborators: dict[int, set[int]] = {}
    size = min(PAST_TEAM_SIZE, n)
    draws = rng.random((n_teams, size, 3))
    for t in range(n_teams):
        team: list[int] = []
        for s in range(size):
            r_inc, r_rep, r_pick = draws[t, s]
            person = -1
            if (r_inc < p or not fresh) and incumbents:
                pool: list[int] = []
                if r_rep < q:
                    for member in team:
                        pool.extend(c for c in collaborators.get(member, ()) if c not in team)
                if not pool:
                    pool = [c for c in incumbents if c not in team]
                if pool:
                    person = pool[int(r_pick * len(pool))]
            if person < 0 and fresh:
                person = fresh.pop()
                incumbents.append(person)
            if person >= 0 and person not in team:
                team.append(person)
        for i in range(len(team)):
            a = team[i]
            for j in range(i + 1, len(team)):
                b = team[j]
                collaborators.setdefault(a, set()).add(b)
                collaborators.setdefault(b, set()).add(a)
                if not g.has_edge(a, b):
                    g.add_edge(a, b, trust=prior_trust, kind="prior")
    # a share of prior ties carries a history of conflict
    prior = [(a, b) for a, b, k in g.edges(data="kind") if k == "prior"]
    if prior and conflict_history > 0:
        hits = rng.random(len(prior)) < conflict_history
        for (a, b), hit in zip(prior, hits, strict=True):
            if hit:
                g.edges[a, b]["trust"] = 0.5 * stranger_trust
                g.edges[a, b]["kind"] = "conflict"
    return g


def graph_to_arrays(g: nx.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge arrays ``(u, v, trust)`` of a graph, with ``u < v``, in a deterministic order."""
    if g.number_of_edges() == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy(), np.zeros(0)
    rows = sorted((min(a, b), max(a, b), float(t)) for a, b, t in g.edges(data="trust"))
    arr = np.array(rows)
    return arr[:, 0].astype(np.int64), arr[:, 1].astype(np.int64), arr[:, 2].copy()
