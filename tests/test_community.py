import itertools

import numpy as np

from collabsim.mechanisms.community import community, uptake
from conftest import make


def test_engagement_pulls_frames_toward_the_leverage_point_and_raises_legitimacy():
    m = make(8, community_stages=4)
    s, p = m.state, m.p
    gap = np.abs(s.frame - s.theta).mean()
    L = s.legitimacy
    rng = np.random.default_rng(0)
    for w in range(1, 40):
        community(s, p, rng, w)
    assert np.abs(s.frame - s.theta).mean() < gap
    assert s.legitimacy > L


def test_no_engagement_changes_nothing():
    m = make(8, community_stages=0)
    s, p = m.state, m.p
    before = s.frame.copy()
    community(s, p, np.random.default_rng(0), 1)
    assert np.array_equal(before, s.frame)


def test_uptake_rises_with_implementation_stage():
    vals = []
    for stages in (0, 1, 2, 3, 4):
        m = make(1, community_stages=stages)
        vals.append(uptake(m.state, m.p))
    assert all(b >= a for a, b in itertools.pairwise(vals)) and vals[3] > vals[0]
