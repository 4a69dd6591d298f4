import networkx as nx
import numpy as np

from collabsim.network import graph_to_arrays, prior_relationships


def build(seed=0, n_orgs=30, reps=3, **kw):
    org = np.repeat(np.arange(n_orgs), reps)
    args = dict(
        history=1.0, p=0.6, q=0.5, prior_trust=0.65, stranger_trust=0.25, conflict_history=0.0
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
