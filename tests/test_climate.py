"""Psychological safety, signal weights and social capital (mechanisms.climate)."""

import numpy as np

from collabsim import CollaborationModel
from collabsim.mechanisms import climate as cl
from collabsim.mechanisms.dialogue import dialogue
from conftest import make

#: A generator for submodels that draw nothing here.
RNG = np.random.default_rng(0)


def test_signal_weight_rises_with_source_trust_and_safety():
    p = make(1).p
    k = p.kernel
    assert cl.signal_weight(k, 0.6, 0.0) == 0.6 * p.signal_safety_floor
    assert cl.signal_weight(k, 0.6, 1.0) == 0.6
    assert cl.signal_weight(k, 0.3, 0.5) < cl.signal_weight(k, 0.6, 0.5)


def test_safety_moves_toward_trust_lifted_by_joint_problem_solving():
    ends = {}
    for jps in (0.0, 0.8):
        m = make(2, joint_problem_solving=jps)
        s, p = m.state, m.p
        s.safety[:] = 0.1
        s.cross_trust = 0.4
        for w in range(1, 200):
            cl.climate(s.world(), p.kernel, RNG, w)
        ends[jps] = s.safety.mean()
    assert 0.3 < ends[0.0] <= 0.4 + 1e-9  # toward cross-boundary trust
    assert ends[0.8] > ends[0.0] + 0.2  # joint problem-solving lifts the climate


def test_prior_relationships_give_social_capital_and_warmer_new_ties():
    low = make(3, prior_history=0.0).state
    high = make(3, prior_history=3.0).state
    assert low.capital.n == 0 and high.capital.n > 0
    assert np.all(
        (high.capital.t_uv[: high.capital.n] > 0) & (high.capital.t_uv[: high.capital.n] < 1)
    )
    # strangers from organizations with social capital meet warmer than plain strangers
    m = make(3, prior_history=3.0, tie_share=0.0, meeting_rate=4.0)
    s, p = m.state, m.p
    n0 = s.edges.n
    dialogue(s.world(), p.kernel, np.random.default_rng(0), 1)
    u, v = s.edges.u[n0 : s.edges.n], s.edges.v[n0 : s.edges.n]
    w = s.world()
    args = (w.c_index, w.c_meta, w.c_trust, s.n_orgs)
    cap = np.array(
        [cl.capital_between(*args, a, b) for a, b in zip(s.org[u], s.org[v], strict=True)]
    )
    assert (cap > 0).any() and (cap == 0).any()


def test_joint_work_adds_capital_and_departures_break_it():
    m = make(4, prior_history=0.0)
    s, p = m.state, m.p
    s.edges.t_uv[: s.edges.n] = 0.9
    s.edges.t_vu[: s.edges.n] = 0.9
    s.effort[:] = 0.9
    cl.joint_work(s.world(), p.kernel)
    u, v, _, _ = s.edges.views()
    assert s.capital.n == len(
        np.unique(np.stack([s.org[u], s.org[v]])[:, s.org[u] != s.org[v]], axis=1).T
    )
    before = s.capital.t_uv[: s.capital.n].copy()
    assert np.allclose(before, p.capital_gain)
    leave = np.zeros(s.n_people, dtype=bool)
    leave[0] = True  # a seat of organization 0 leaves
    cl.break_capital(s.world(), p.kernel, leave)
    after = s.capital.t_uv[: s.capital.n]
    touched = (s.capital.u[: s.capital.n] == 0) | (s.capital.v[: s.capital.n] == 0)
    assert np.all(after[touched] < before[touched]) and np.all(after[~touched] == before[~touched])


def test_cross_boundary_trust_counts_never_met_pairs_and_rises_with_prior_relationships():
    # 0.1's trust measure fell with prior relationships (colleague ties dominated it)
    lo = CollaborationModel(rng=1, prior_history=0.0, weeks=1)
    hi = CollaborationModel(rng=1, prior_history=3.0, weeks=1)
    assert lo.state.cross_trust < hi.state.cross_trust
    assert np.isclose(lo.state.cross_trust, lo.p.stranger_trust)  # nobody met across yet
