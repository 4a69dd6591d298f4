import numpy as np

from collabsim.mechanisms import projects as pj
from collabsim.state import Project
from conftest import make


def with_project(m, size=0.3, lev=0.8):
    m.state.project = Project(
        position=m.state.theta, size=size, leverage=lev, duration=10, started=0, entry_point=True
    )
    return m


def test_success_rises_with_leverage_and_capacity_and_falls_with_size():
    m = with_project(make(1, success_base=0.5))  # (below the cap of 1)
    s, p = m.state, m.p
    base = pj.success_probability(s.world(), p.kernel, 0.5, 0.5)
    s.project.leverage = 1.0
    assert pj.success_probability(s.world(), p.kernel, 0.5, 0.5) > base
    assert pj.success_probability(s.world(), p.kernel, 0.9, 0.5) > pj.success_probability(
        s.world(), p.kernel, 0.5, 0.5
    )
    s.project.size = 1.0
    assert pj.success_probability(s.world(), p.kernel, 0.9, 0.5) < pj.success_probability(
        with_project(make(1, success_base=0.5), size=0.3, lev=1.0).state.world(), p.kernel, 0.9, 0.5
    )


def test_success_rises_with_members_backing():
    m = with_project(make(1, success_base=0.5))
    s, p = m.state, m.p
    s.frame[:] = s.project.position  # everyone accepts the project
    backed = pj.success_probability(s.world(), p.kernel, 0.5, 0.5)
    s.frame[:] = np.where(s.project.position > 0.5, 0.0, 1.0)  # nobody does
    assert pj.backing(s.world(), s.project.position) == 0.0
    assert pj.success_probability(s.world(), p.kernel, 0.5, 0.5) < backed


def test_learning_probability_rises_with_trust_evidence_and_safety():
    p = make(1).p
    base = pj.learning_probability(p.kernel, 0.5, 0.0, 0.0)
    assert pj.learning_probability(p.kernel, 0.8, 0.0, 0.0) > base
    assert pj.learning_probability(p.kernel, 0.5, 0.8, 0.0) > base
    assert pj.learning_probability(p.kernel, 0.5, 0.0, 0.8) > base


def test_blame_breaks_trust_faster_than_a_win_builds_it():
    m = with_project(
        make(
            1,
            learning_bias=-5.0,
            learning_trust_weight=0.0,
            learning_evidence_weight=0.0,
            learning_safety_weight=0.0,
        )
    )
    s, p = m.state, m.p
    s.edges.t_uv[: s.edges.n] = 0.5
    s.edges.t_vu[: s.edges.n] = 0.5
    pj.resolve_win(s.world(), p.kernel, 5)
    up = s.edges.t_uv[: s.edges.n].mean() - 0.5
    s.edges.t_uv[: s.edges.n] = 0.5
    s.edges.t_vu[: s.edges.n] = 0.5
    pj.resolve_setback(s.world(), p.kernel, np.random.default_rng(0), 6, np.array([0.5, 0.5, 0.5]))
    down = 0.5 - s.edges.t_uv[: s.edges.n].mean()
    assert down > 3 * up > 0


def test_a_win_raises_commitment_legitimacy_value_and_trust():
    m = with_project(make(1))
    s, p = m.state, m.p
    c, L, pv = s.commitment.mean(), s.legitimacy, s.public_value
    t = s.edges.t_uv[: s.edges.n].mean()
    pj.resolve_win(s.world(), p.kernel, 5)
    assert s.commitment.mean() > c and s.legitimacy > L and s.public_value > pv
    assert s.edges.t_uv[: s.edges.n].mean() > t
    assert s.first_win_week == 5 and s.wins == 1


def test_blame_lowers_trust_in_the_least_trusted_partner():
    m = with_project(
        make(
            1,
            learning_bias=-5.0,
            learning_trust_weight=0.0,
            learning_evidence_weight=0.0,
            learning_safety_weight=0.0,
        )
    )
    s, p = m.state, m.p
    e = s.edges
    u, v, tuv, tvu = e.views()
    rng = np.random.default_rng(0)
    # make organization 4 the least trusted
    tuv[s.org[v] == 4] = 0.05
    tvu[s.org[u] == 4] = 0.05
    into4 = np.concatenate(
        [tuv[(s.org[v] == 4) & (s.org[u] != 4)], tvu[(s.org[u] == 4) & (s.org[v] != 4)]]
    )
    others = tuv[(s.org[v] != 4)].copy()
    c, loyal = s.commitment.mean(), s.loyalty.mean()
    learned = pj.resolve_setback(s.world(), p.kernel, rng, 7, np.array([0.5, 0.5, 0.5]))
    assert not learned and s.blame == 1
    after = np.concatenate(
        [tuv[(s.org[v] == 4) & (s.org[u] != 4)], tvu[(s.org[u] == 4) & (s.org[v] != 4)]]
    )
    assert np.all(after < into4)
    # the climate sours for everyone, but the blamed partner loses a far larger share
    lost_other = 1 - tuv[(s.org[v] != 4)] / np.maximum(others, 1e-12)
    lost_target = 1 - after / np.maximum(into4, 1e-12)
    assert np.all(lost_other > 0) and lost_target.mean() > 3 * lost_other.mean()
    assert s.commitment.mean() < c and s.loyalty.mean() > loyal


def test_learning_keeps_trust_and_moves_frames_toward_evidence():
    m = with_project(make(1, learning_bias=5.0))
    s, p = m.state, m.p
    t = s.edges.t_uv[: s.edges.n].copy()
    gap = np.abs(s.frame - s.theta).mean()
    learned = pj.resolve_setback(
        s.world(), p.kernel, np.random.default_rng(0), 7, np.array([0.5, 0.5, 0.5])
    )
    assert learned and s.learning == 1
    assert np.array_equal(t, s.edges.t_uv[: s.edges.n])
    assert np.abs(s.frame - s.theta).mean() < gap


def test_navigator_mediation_raises_safety_as_often_as_it_is_trusted():
    worked = []
    for seed in range(200):
        m = make(1, navigator=True, navigator_trust=0.7)
        s, p = m.state, m.p
        before = s.safety.copy()
        pj.mediate(s.world(), p.kernel, np.random.default_rng(seed), 3)
        worked.append(bool(np.all(s.safety > before)))
        assert np.all(s.nav_trust > 0.7) if worked[-1] else np.all(s.nav_trust < 0.7)
    assert 0.6 < np.mean(worked) < 0.8


def test_blame_destroys_safety_and_learning_builds_it():
    out = {}
    for learn in (True, False):
        m = with_project(
            make(1, learning_bias=5.0 if learn else -5.0, learning_trust_weight=0.0,
                 learning_evidence_weight=0.0, learning_safety_weight=0.0)
        )  # fmt: skip
        s, p = m.state, m.p
        before = s.safety.mean()
        pj.resolve_setback(
            s.world(), p.kernel, np.random.default_rng(0), 6, np.array([0.5, 0.5, 0.5])
        )
        out[learn] = s.safety.mean() - before
    assert out[True] > 0 > out[False]
