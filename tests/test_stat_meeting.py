import numpy as np

from collabsim.mechanisms.stat_meeting import evidence_noise, stat_meeting
from collabsim.params import make_params
from conftest import make


def test_data_use_narrows_frame_dispersion():
    m = make(3, data_use=True, stat_interval=1, data_quality=0.9)
    s, p = m.state, m.p
    s.team_safety = 1.0  # a team that can talk about what the data show
    before = s.frame.std()
    rng = np.random.default_rng(0)
    for w in range(1, 9):
        stat_meeting(s.world(), p.kernel, rng, w)
    assert s.frame.std() < 0.75 * before
    assert s.evidence_precision > 0.5


def test_data_is_used_only_as_far_as_safety_allows():
    spread = {}
    for safety in (0.0, 1.0):
        m = make(3, data_use=True, stat_interval=1, data_quality=0.9)
        s, p = m.state, m.p
        s.team_safety = safety
        rng = np.random.default_rng(0)
        for w in range(1, 9):
            stat_meeting(s.world(), p.kernel, rng, w)
        spread[safety] = (s.frame.std(), s.evidence_precision)
    assert spread[1.0][0] < spread[0.0][0]
    assert spread[1.0][1] > spread[0.0][1]


def test_the_data_are_biased_not_an_oracle():
    m = make(3, data_use=True, stat_interval=1, data_quality=1.0)
    s, p = m.state, m.p
    s.team_safety, s.data_bias = 1.0, 0.2
    rng = np.random.default_rng(0)
    for w in range(1, 200):
        stat_meeting(s.world(), p.kernel, rng, w)
    assert abs(s.frame.mean() - (s.theta + 0.2)) < abs(s.frame.mean() - s.theta)


def test_data_use_over_runs_lowers_frame_sd():
    sds = {False: [], True: []}
    for seed in range(10):
        for data in (False, True):
            ts = make(seed, data_use=data, weeks=52).run().timeseries()
            sds[data].append(ts["frame_sd"].iloc[13:].mean())
    assert np.mean(sds[True]) < np.mean(sds[False])


def test_no_meeting_when_data_use_is_off_or_not_due():
    m = make(3, data_use=False)
    s, p = m.state, m.p
    before = s.frame.copy()
    stat_meeting(s.world(), p.kernel, np.random.default_rng(0), 4)
    assert np.array_equal(before, s.frame)
    m = make(3, data_use=True, stat_interval=4)
    s, p = m.state, m.p
    before = s.frame.copy()
    stat_meeting(s.world(), p.kernel, np.random.default_rng(0), 3)
    assert np.array_equal(before, s.frame)


def test_evidence_is_sharper_with_better_data():
    p = make_params().kernel
    assert evidence_noise(p, 1.0) < evidence_noise(p, 0.5) < evidence_noise(p, 0.0)
