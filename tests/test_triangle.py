import numpy as np

from collabsim.mechanisms.triangle import triangle
from conftest import make

#: A generator for submodels that draw nothing here.
RNG = np.random.default_rng(0)


def test_providers_join_only_after_a_decision():
    m = make(1, diversity=1.0, n_orgs=30)
    s, p = m.state, m.p
    assert s.provider.any()
    triangle(s.world(), p.kernel, RNG, 1)
    before = s.capacity_oc
    s.adopted = 1
    s.plan = s.theta
    triangle(s.world(), p.kernel, RNG, 2)
    assert s.capacity_oc > before


def test_legitimacy_decays_without_visible_results():
    m = make(1, community_stages=0)
    s, p = m.state, m.p
    L0 = s.legitimacy
    for w in range(1, p.visible_weeks + 30):
        triangle(s.world(), p.kernel, RNG, w)
    assert s.legitimacy < L0


def test_public_value_flows_only_from_programs_that_work():
    m = make(1)
    s, p = m.state, m.p
    s.adopted, s.plan, s.plan_support = 1, s.theta, 1.0
    for w in range(1, 10):
        triangle(s.world(), p.kernel, RNG, w)
    assert s.public_value == 0.0  # adopted, but nothing has worked yet
    s.programs = 0.3
    for w in range(10, 20):
        triangle(s.world(), p.kernel, RNG, w)
    assert s.public_value > 0.0


def test_programs_need_the_support_of_the_people_at_the_table():
    vals = []
    for support in (1.0, 0.4):
        m = make(1)
        s, p = m.state, m.p
        s.adopted, s.plan, s.plan_support, s.programs = 1, s.theta, support, 0.3
        for w in range(1, 20):
            triangle(s.world(), p.kernel, RNG, w)
        vals.append(s.public_value)
    assert vals[0] > vals[1] > 0.0
    assert np.isfinite(vals).all()


def test_public_value_withers_without_capacity_legitimacy_or_backing():
    m = make(1)
    s, p = m.state, m.p
    s.public_value, s.programs, s.plan, s.adopted = 2.0, 1.0, s.theta, 1
    s.legitimacy, s.plan_support = 0.0, 0.0  # no legitimacy, nobody backs the plan
    for w in range(1, 30):
        triangle(s.world(), p.kernel, RNG, w)
    assert s.public_value < 2.0 and s.programs < 1.0


def test_a_change_of_mode_costs_capacity_while_it_lasts():
    m = make(1)
    s, p = m.state, m.p
    s.adopted = 1
    triangle(s.world(), p.kernel, RNG, 1)
    full = s.capacity_oc
    s.transition_until = 10
    triangle(s.world(), p.kernel, RNG, 2)
    assert np.isclose(s.capacity_oc, full * (1 - p.transition_capacity))
