import numpy as np

from collabsim.mechanisms.dialogue import dialogue
from conftest import make


def cross_sector_ties(m, threshold):
    s = m.state
    u, v, tuv, tvu = s.edges.views()
    cross = s.seat_sector[u] != s.seat_sector[v]
    return int(np.count_nonzero(cross & (np.minimum(tuv, tvu) > threshold)))


def test_navigator_adds_cross_cluster_ties():
    diff = []
    for seed in range(8):
        counts = {}
        for nav in (False, True):
            m = make(seed, navigator=nav, weeks=26, prior_history=0.5, turnover_rate=0.0)
            m.run()
            counts[nav] = (m.state.edges.n, cross_sector_ties(m, m.params["stranger_trust"]))
        diff.append(counts[True][1] - counts[False][1])
        assert counts[True][0] > counts[False][0]  # more ties in all
    assert np.mean(diff) > 0 and sum(d > 0 for d in diff) >= 6


def test_meetings_pull_frames_together_within_openness():
    m = make(4, openness=0.6, turnover_rate=0.0)
    s, p = m.state, m.p
    before = s.frame.std()
    rng = np.random.default_rng(0)
    for w in range(1, 30):
        dialogue(s, p, rng, w)
    assert s.frame.std() < before


def test_no_openness_no_frame_change():
    m = make(4, openness=0.01, joint_problem_solving=0.0)
    s, p = m.state, m.p
    s.frame[:] = np.linspace(0, 1, s.n_people)  # gaps larger than openness
    before = s.frame.copy()
    dialogue(s, p, np.random.default_rng(0), 1)
    assert np.array_equal(before, s.frame)


def test_joint_problem_solving_turns_conflict_into_trust():
    out = {}
    for jps in (0.0, 1.0):
        m = make(6, joint_problem_solving=jps, openness=0.05)
        s, p = m.state, m.p
        rng = np.random.default_rng(1)
        for w in range(1, 20):
            dialogue(s, p, rng, w)
        u, v, tuv, tvu = s.edges.views()
        out[jps] = (tuv.mean() + tvu.mean()) / 2
    assert out[1.0] > out[0.0]


def test_low_partner_effort_erodes_trust():
    m = make(6, openness=1.0)
    s, p = m.state, m.p
    s.effort[:] = 0.05
    t0 = s.edges.t_uv[: s.edges.n].mean()
    dialogue(s, p, np.random.default_rng(1), 1)
    assert s.edges.t_uv[: s.edges.n].mean() < t0
