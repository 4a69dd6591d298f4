import numpy as np

from collabsim.mechanisms.turnover import turnover
from collabsim.params import weekly_hazard
from conftest import make


def test_weekly_hazard_gives_the_annual_rate():
    h = weekly_hazard(0.3)
    assert np.isclose(-52 * np.log1p(-h), 0.3)  # 0.3 expected departures per seat a year
    assert weekly_hazard(0.0) == 0.0
    # a rate of 1.0 does not mean everyone leaves every week: about 63% within a year
    assert np.isclose(1 - (1 - weekly_hazard(1.0)) ** 52, 1 - np.exp(-1))


def test_turnover_lowers_mean_trust_and_founders_share():
    m = make(5, prior_history=2.0, n_orgs=40)
    s, p = m.state, m.p
    s.edges.t_uv[: s.edges.n] = 0.8
    s.edges.t_vu[: s.edges.n] = 0.8
    p = p.replace(turnover_rate=1.0)  # (a weekly hazard of about 0.02, 120 seats)
    turnover(s.world(), p.kernel, np.random.default_rng(0), 1)
    u, v, tuv, tvu = s.edges.views()
    assert s.left_this_week > 0
    assert np.count_nonzero(s.founder) == s.n_people - s.left_this_week
    assert (tuv.mean() + tvu.mean()) / 2 < 0.8
    # newcomers hold their home frame, not the consensus
    new = ~s.founder
    assert np.all(s.tenure[new] == 0)


def test_navigator_onboarding_keeps_more_trust():
    out = {}
    for nav in (False, True):
        m = make(5, prior_history=2.0, navigator=nav, n_orgs=40)
        s, p = m.state, m.p
        s.edges.t_uv[: s.edges.n] = 0.8
        s.edges.t_vu[: s.edges.n] = 0.8
        p = p.replace(turnover_rate=1.0)  # (a weekly hazard of about 0.02, 120 seats)
        turnover(s.world(), p.kernel, np.random.default_rng(0), 1)
        out[nav] = s.edges.t_uv[: s.edges.n].mean()
    assert out[True] > out[False]


def test_turnover_over_runs_lowers_trust_and_founders(paired_seeds=range(12)):
    lo, hi = [], []
    for seed in paired_seeds:
        lo.append(make(seed, turnover_rate=0.0, weeks=104).run().summary())
        hi.append(make(seed, turnover_rate=0.5, weeks=104).run().summary())
    assert all(r["founders_share"] == 1.0 for r in lo)
    assert np.mean([r["founders_share"] for r in hi]) < 0.6
    assert np.mean([r["mean_trust"] for r in hi]) < np.mean([r["mean_trust"] for r in lo])


def test_leadership_shock_replaces_city_agency_seats():
    m = make(2, leadership_shock_rate=1.0, turnover_rate=0.0)
    s, p = m.state, m.p
    rng = np.random.default_rng(1)
    week = 0
    while s.leadership_shocks == 0:  # a weekly hazard of about 0.02
        week += 1
        turnover(s.world(), p.kernel, rng, week)
    city = s.sector[s.org] == 0
    assert s.leadership_shocks == 1
    assert not s.founder[city].any() and s.founder[~city].all()


def test_leavers_per_week_follow_the_weekly_hazard():
    m = make(1, n_orgs=50, turnover_rate=0.5)
    s, p = m.state, m.p
    rng = np.random.default_rng(4)
    counts = []
    for w in range(1, 400):
        turnover(s.world(), p.kernel, rng, w)
        counts.append(s.left_this_week)
    n, h = s.n_people, p.hazard
    mean, sd = np.mean(counts), np.sqrt(n * h * (1 - h) / len(counts))
    assert abs(mean - n * h) < 4 * sd


def test_newcomers_start_with_low_safety_and_skill_and_break_social_capital():
    m = make(5, prior_history=3.0, n_orgs=40)
    s, p = m.state, m.p
    s.safety[:] = 0.8
    cap = s.capital.t_uv[: s.capital.n].sum()
    assert cap > 0
    p = p.replace(turnover_rate=1.0)
    turnover(s.world(), p.kernel, np.random.default_rng(0), 1)
    new = ~s.founder
    assert new.any()
    assert np.all(s.safety[new] < 0.8) and np.all(s.safety[~new] == 0.8)
    assert np.all(s.skill[new] == p.newcomer_skill)
    assert s.capital.t_uv[: s.capital.n].sum() < cap
    turnover(s.world(), p.replace(turnover_rate=0.0).kernel, np.random.default_rng(0), 2)
    assert np.all(s.skill[new] > p.newcomer_skill)  # the learning curve


def test_leavers_are_drawn_as_numpy_draws_them():
    # the compiled sampler makes numpy's own draws: Floyd's sampling and its shuffle, or the
    # partial shuffle numpy uses for large populations; the generator ends in the same state
    from collabsim.mechanisms.turnover import choose

    for seed in range(40):
        for n, k in ((36, 1), (36, 2), (36, 7), (300, 40), (20_000, 30), (20_000, 900)):
            a, b = np.random.default_rng(seed), np.random.default_rng(seed)
            np.testing.assert_array_equal(choose(a, n, k), b.choice(n, k, replace=False))
            assert a.random() == b.random()
