import numpy as np

from collabsim.mechanisms import governance as gov
from collabsim.params import make_params
from conftest import make


def test_each_mode_fits_its_own_conditions_best():
    # Provan & Kenis (2008): few members, dense trust, high consensus -> shared
    assert np.argmax(gov.fits(5, 0.85, 0.9, 0.2)) == gov.SHARED
    # low trust, moderate size, moderately low consensus -> lead organization
    assert np.argmax(gov.fits(15, 0.15, 0.35, 0.5)) == gov.LEAD
    # many members, moderate trust, high need for competencies -> NAO
    assert np.argmax(gov.fits(60, 0.5, 0.65, 0.9)) == gov.NAO


def test_no_mode_is_best_everywhere():
    best = set()
    for n in (4, 12, 40, 100):
        for t in (0.2, 0.5, 0.8):
            for c in (0.4, 0.7, 0.95):
                best.add(int(np.argmax(gov.fits(n, t, c, 0.5))))
    assert best == {gov.SHARED, gov.LEAD, gov.NAO}


def test_fits_are_in_unit_interval():
    for n in (2, 10, 1000):
        for t in (0.0, 1.0):
            for c in (0.0, 1.0):
                f = gov.fits(n, t, c, 0.3)
                assert np.all((f >= 0) & (f <= 1))


def test_decision_rules():
    p = make_params().kernel
    org = np.repeat(np.arange(4), 3)
    support = np.zeros(12, dtype=bool)
    support[:3] = True  # only the lead organization supports: 25%
    assert gov.decide(p, gov.LEAD, support, org, support.mean())
    assert not gov.decide(p, gov.SHARED, support, org, support.mean())
    assert not gov.decide(p, gov.NAO, support, org, support.mean())
    support[:7] = True  # 58%
    share = support.mean()
    assert gov.decide(p, gov.NAO, support, org, share)
    assert not gov.decide(p, gov.SHARED, support, org, share)
    support[:9] = True  # 75%
    assert gov.decide(p, gov.SHARED, support, org, support.mean())


def test_only_an_adaptable_collaboration_changes_mode():
    fit = np.array([0.2, 0.9, 0.3])
    for adaptable, expect in ((False, 0), (True, 1)):
        m = make(1, adaptable=adaptable, governance="shared")
        gov.adapt(m.state.world(), m.p.kernel, 10, fit)
        assert m.state.mode == expect
        assert m.state.governance_changes == expect


def test_fit_is_smooth_in_size_and_trust():
    # no breakpoints: small steps in the conditions make small steps in fit
    sizes = np.arange(2.0, 60.0, 0.1)
    f = np.array([gov.fits(k, 0.4, 0.5, 0.5) for k in sizes])
    assert np.abs(np.diff(f, axis=0)).max() < 0.01
    t = np.linspace(0, 1, 201)
    g = np.array([gov.fits(12, float(x), 0.5, 0.5) for x in t])
    assert np.abs(np.diff(g, axis=0)).max() < 0.01


def test_a_change_of_mode_costs_a_transition_and_commitment():
    m = make(1, adaptable=True)
    s, p = m.state, m.p
    c = s.commitment.copy()
    gov.adapt(s.world(), p.kernel, 20, np.array([0.1, 0.9, 0.1]))
    assert s.mode == gov.LEAD and s.governance_changes == 1
    assert s.transition_until == 20 + p.transition_weeks
    assert np.all(s.commitment < c)
