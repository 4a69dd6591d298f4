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
        dialogue(s.world(), p.kernel, rng, w)
    assert s.frame.std() < before


def test_no_openness_no_frame_change():
    m = make(4, openness=0.01, joint_problem_solving=0.0)
    s, p = m.state, m.p
    s.frame[:] = np.linspace(0, 1, s.n_people)  # gaps larger than openness
    before = s.frame.copy()
    dialogue(s.world(), p.kernel, np.random.default_rng(0), 1)
    assert np.array_equal(before, s.frame)


def test_joint_problem_solving_turns_conflict_into_trust():
    out = {}
    for jps in (0.0, 1.0):
        m = make(6, joint_problem_solving=jps, openness=0.05)
        s, p = m.state, m.p
        rng = np.random.default_rng(1)
        for w in range(1, 20):
            dialogue(s.world(), p.kernel, rng, w)
        u, v, tuv, tvu = s.edges.views()
        out[jps] = (tuv.mean() + tvu.mean()) / 2
    assert out[1.0] > out[0.0]


def test_low_partner_effort_erodes_trust():
    m = make(6, openness=1.0)
    s, p = m.state, m.p
    s.effort[:] = 0.05
    t0 = s.edges.t_uv[: s.edges.n].mean()
    dialogue(s.world(), p.kernel, np.random.default_rng(1), 1)
    assert s.edges.t_uv[: s.edges.n].mean() < t0


def test_weighted_tie_sampling_follows_the_weights():
    from scipy import stats

    from collabsim.mechanisms.dialogue import pick_ties
    from collabsim.params import get
    from collabsim.state import Edges

    base = get("tie_base_weight").default

    rng = np.random.default_rng(2)
    e = Edges(40)
    u = np.arange(30)
    e.add_many(u, u + 5, rng.random(30), rng.random(30))
    draws = pick_ties(e.trust, e.n, 60_000, rng, base, mean_trust=0.5)
    counts = np.bincount(draws, minlength=e.n)
    w = base + e.t_uv[: e.n] + e.t_vu[: e.n]
    assert stats.chisquare(counts, 60_000 * w / w.sum()).pvalue > 0.001
    # a poor guess of the acceptance rate changes only the batch sizes
    assert len(pick_ties(e.trust, e.n, 500, rng, base, mean_trust=1.0)) == 500


def test_uniform_pairs_are_distinct_and_uniform():
    from scipy import stats

    from collabsim.mechanisms.dialogue import uniform_pairs

    a, b = uniform_pairs(7, 42_000, np.random.default_rng(3))
    assert np.all(a != b) and a.min() >= 0 and max(a.max(), b.max()) <= 6
    counts = np.bincount(a * 7 + b, minlength=49).reshape(7, 7)
    off = counts[~np.eye(7, dtype=bool)]
    assert stats.chisquare(off).pvalue > 0.001
