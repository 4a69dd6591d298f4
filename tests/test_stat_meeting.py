import numpy as np

from collabsim.mechanisms.stat_meeting import evidence_noise, stat_meeting
from collabsim.params import make_params
from conftest import make


def test_data_use_narrows_frame_dispersion():
    m = make(3, data_use=True, stat_interval=1, data_quality=0.9)
    s, p = m.state, m.p
    before = s.frame.std()
    rng = np.random.default_rng(0)
    for w in range(1, 9):
        stat_meeting(s, p, rng, w)
    assert s.frame.std() < 0.75 * before
    assert s.evidence_precision > 0.5


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
    stat_meeting(s, p, np.random.default_rng(0), 4)
    assert np.array_equal(before, s.frame)
    m = make(3, data_use=True, stat_interval=4)
    s, p = m.state, m.p
    before = s.frame.copy()
    stat_meeting(s, p, np.random.default_rng(0), 3)
    assert np.array_equal(before, s.frame)


def test_evidence_is_sharper_with_better_data():
    p = make_params()
    assert evidence_noise(p, 1.0) < evidence_noise(p, 0.5) < evidence_noise(p, 0.0)
