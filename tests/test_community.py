import itertools

import numpy as np

from collabsim.mechanisms.community import community, uptake
from conftest import make


def test_engagement_pulls_frames_toward_residents_views_not_the_leverage_point():
    m = make(8, community_stages=4)
    s, p = m.state, m.p
    s.theta, s.resident_center = 0.2, 0.7  # residents are informative but biased
    s.frame[:] = 0.45
    s.team_safety = 1.0
    L = s.legitimacy
    rng = np.random.default_rng(0)
    for w in range(1, 80):
        community(s.world(), p.kernel, rng, w)
    assert abs(s.frame.mean() - 0.7) < 0.1  # toward the residents' centre, away from theta
    assert s.legitimacy > L


def test_residents_signal_is_used_as_far_as_safety_allows():
    moved = {}
    for safety in (0.0, 1.0):
        m = make(8, community_stages=2)
        s, p = m.state, m.p
        s.resident_center = 0.9
        s.frame[:] = 0.3
        s.team_safety = safety
        rng = np.random.default_rng(0)
        for w in range(1, 20):
            community(s.world(), p.kernel, rng, w)
        moved[safety] = s.frame.mean() - 0.3
    assert moved[1.0] > moved[0.0] > 0


def test_no_engagement_changes_nothing():
    m = make(8, community_stages=0)
    s, p = m.state, m.p
    before = s.frame.copy()
    community(s.world(), p.kernel, np.random.default_rng(0), 1)
    assert np.array_equal(before, s.frame)


def test_residents_backing_builds_with_implementation_stage_and_raises_uptake():
    vals, backing = [], []
    for stages in (0, 1, 2, 3, 4):
        m = make(1, community_stages=stages)
        s, p = m.state, m.p
        rng = np.random.default_rng(0)
        for w in range(1, 53):
            community(s.world(), p.kernel, rng, w)
        s.legitimacy = 0.5
        backing.append(s.backing)
        vals.append(uptake(s.world(), p.kernel))
    assert backing[:3] == [0.0, 0.0, 0.0] and 0.5 < backing[3] < 1.0
    assert all(b >= a for a, b in itertools.pairwise(vals)) and vals[3] > vals[0]


def test_backing_withers_when_engagement_stops():
    m = make(1, community_stages=3)
    s = m.state
    s.backing = 0.8
    community(s.world(), m.p.replace(community_stages=1).kernel, np.random.default_rng(0), 1)
    assert s.backing < 0.8
