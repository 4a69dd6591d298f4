import networkx as nx
import numpy as np

from collabsim.network import TIE_KINDS, graph_to_arrays, prior_relationships, prior_ties
from collabsim.params import get

#: The fixed constants prior_ties needs (their declared defaults).
FIXED = {
    "colleague_trust": get("colleague_trust").default,
    "team_size": get("past_team_size").default,
}


def build(seed=0, n_orgs=30, reps=3, **kw):
    org = np.repeat(np.arange(n_orgs), reps)
    args = dict(
        history=1.0,
        p=0.6,
        q=0.5,
        prior_trust=0.65,
        stranger_trust=0.25,
        conflict_history=0.0,
        **FIXED,
    )
    args.update(kw)
    return prior_relationships(org, np.random.default_rng(seed), **args)


def test_no_history_means_only_colleague_ties():
    g = build(history=0.0)
    assert all(k == "colleague" for _, _, k in g.edges(data="kind"))
    assert g.number_of_edges() == 30 * 3  # three pairs per organization of three


def test_more_history_gives_more_prior_ties():
    few = build(history=0.5).number_of_edges()
    many = build(history=3.0).number_of_edges()
    assert many > few


def test_incumbents_connect_the_network():
    # with p = 0 every past team is made of newcomers: disjoint small teams
    lone = build(p=0.0, history=1.0)
    linked = build(p=0.9, history=1.0)

    def giant(g):
        prior = nx.Graph([(a, b) for a, b, k in g.edges(data="kind") if k != "colleague"])
        return max(len(c) for c in nx.connected_components(prior))

    assert giant(linked) > giant(lone)


def test_repeat_collaboration_concentrates_ties():
    # with high q, incumbents return with past partners: fewer distinct prior ties
    lo = [build(seed=s, q=0.0, p=0.9, history=2.0).number_of_edges() for s in range(5)]
    hi = [build(seed=s, q=1.0, p=0.9, history=2.0).number_of_edges() for s in range(5)]
    assert np.mean(hi) < np.mean(lo)


def test_same_generator_seed_same_graph():
    a, b = build(seed=7), build(seed=7)
    assert sorted(a.edges(data=True)) == sorted(b.edges(data=True))


def test_conflict_history_lowers_trust_on_a_share_of_prior_ties():
    g = build(conflict_history=1.0, history=2.0)
    kinds = {k for _, _, k in g.edges(data="kind")}
    assert "conflict" in kinds and "prior" not in kinds
    assert all(
        t == 0.125
        for _, _, t in (
            (a, b, d["trust"]) for a, b, d in g.edges(data=True) if d["kind"] == "conflict"
        )
    )


def test_graph_to_arrays_is_ordered_and_complete():
    g = build()
    u, v, t = graph_to_arrays(g)
    assert len(u) == g.number_of_edges()
    assert np.all(u < v)
    keys = u * 1000 + v
    assert np.all(np.diff(keys) > 0)


def naive_teams(n, rng, n_teams, p, q):
    """The team assembly written plainly, the incumbent pool rebuilt for every slot.

    Each person's collaborators are kept in the order they first worked together.
    """
    fresh = rng.permutation(n).tolist()
    incumbents, collaborators, ties = [], {}, []
    size = min(4, n)
    draws = rng.random((n_teams, size, 3))
    for t in range(n_teams):
        team = []
        for s in range(size):
            r_inc, r_rep, r_pick = draws[t, s]
            person = -1
            if (r_inc < p or not fresh) and incumbents:
                pool = []
                if r_rep < q:
                    for member in team:
                        pool.extend(c for c in collaborators.get(member, {}) if c not in team)
                if not pool:
                    pool = [c for c in incumbents if c not in team]
                if pool:
                    person = pool[int(r_pick * len(pool))]
            if person < 0 and fresh:
                person = fresh.pop()
                incumbents.append(person)
            if person >= 0 and person not in team:
                team.append(person)
        for i, a in enumerate(team):
            for b in team[i + 1 :]:
                collaborators.setdefault(a, {})[b] = None
                collaborators.setdefault(b, {})[a] = None
                if (min(a, b), max(a, b)) not in ties:
                    ties.append((min(a, b), max(a, b)))
    return ties


def test_linear_time_team_assembly_makes_the_same_teams_from_the_same_draws():
    from collabsim.network import _assemble_teams, _table_size

    for seed in range(40):
        r = np.random.default_rng(seed)
        n, teams = int(r.integers(2, 60)), int(r.integers(1, 40))
        p, q = float(r.random()), float(r.random())
        size = min(4, n)
        keys = np.full(_table_size(teams * size * (size - 1) // 2), -1, dtype=np.int64)
        a, b = _assemble_teams(n, np.random.default_rng(seed), teams, p, q, keys, size)
        fast = [(min(x, y), max(x, y)) for x, y in zip(a, b, strict=True)]
        assert fast == naive_teams(n, np.random.default_rng(seed), teams, p, q)


def test_prior_ties_and_graph_agree():
    org = np.repeat(np.arange(20), 3)
    args = dict(history=2.0, p=0.6, q=0.5, prior_trust=0.65, stranger_trust=0.25, **FIXED)
    u, v, t, kind = prior_ties(org, np.random.default_rng(3), conflict_history=0.3, **args)
    g = prior_relationships(org, np.random.default_rng(3), conflict_history=0.3, **args)
    assert sorted((a, b, d["trust"], d["kind"]) for a, b, d in g.edges(data=True)) == sorted(
        zip(u.tolist(), v.tolist(), t.tolist(), [TIE_KINDS[k] for k in kind], strict=True)
    )
    assert {TIE_KINDS[k] for k in kind} == {"colleague", "prior", "conflict"}
