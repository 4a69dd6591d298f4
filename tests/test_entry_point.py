import numpy as np

from collabsim.mechanisms.entry_point import entry_point, leverage
from conftest import make


def test_leverage_peaks_at_theta():
    assert leverage(0.4, 0.4, 0.15) == 1.0
    assert leverage(0.6, 0.4, 0.15) < leverage(0.5, 0.4, 0.15) < 1.0


def adoption_weeks(entry_points, seeds=range(20), **kw):
    out = []
    for seed in seeds:
        m = make(seed, entry_points=entry_points, weeks=52, **kw)
        m.run()
        w = m.state.first_adoption_week
        out.append(w if w >= 0 else np.inf)
    return np.array(out)


def test_entry_points_bring_action_sooner():
    on = adoption_weeks(True)
    off = adoption_weeks(False)
    assert np.mean(on <= 39) > np.mean(off <= 39) + 0.3


def test_proposals_need_diversity_outward_orientation_and_initiative():
    lo = make(1, diversity=0.0, community_stages=0, initiative=0.0).state.proposal_chance
    hi = make(1, diversity=1.0, community_stages=4, initiative=1.0).state.proposal_chance
    assert hi > 5 * lo


def test_no_proposal_while_a_project_is_active():
    m = make(2, proposal_rate=1.0)
    s, p = m.state, m.p
    s.frame[:] = s.project_pos[0]  # everyone agrees: a proposal will pass
    rng = np.random.default_rng(0)
    for w in range(1, 60):
        entry_point(s.world(), p.kernel, rng, w)
        if s.project is not None:
            break
    assert s.project is not None
    n = s.proposals
    entry_point(s.world(), p.kernel, rng, w + 1)
    assert s.proposals == n
