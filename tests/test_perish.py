import numpy as np

from collabsim.mechanisms.perish import perish
from conftest import make

#: A generator for submodels that draw nothing here.
RNG = np.random.default_rng(0)


def test_dissolves_after_enough_weeks_below_the_floor():
    m = make(1, perish_weeks=5, perish_floor=0.3)
    s, p = m.state, m.p
    s.legitimacy = 0.1
    for w in range(1, 5):
        perish(s.world(), p.kernel, RNG, w)
        assert not s.perished
    perish(s.world(), p.kernel, RNG, 5)
    assert s.perished and s.perished_week == 5


def test_recovery_resets_the_count():
    m = make(1, perish_weeks=3, perish_floor=0.3)
    s, p = m.state, m.p
    s.legitimacy = 0.1
    perish(s.world(), p.kernel, RNG, 1)
    perish(s.world(), p.kernel, RNG, 2)
    s.legitimacy = 0.5
    perish(s.world(), p.kernel, RNG, 3)
    s.legitimacy = 0.1
    perish(s.world(), p.kernel, RNG, 4)
    assert not s.perished and s.weeks_below_floor == 1


def test_a_perished_run_stops():
    m = make(
        1,
        legitimacy_decay=0.5,
        community_stages=0,
        perish_weeks=2,
        diversity=0.0,
        entry_points=False,
    )
    m.run()
    assert m.state.perished
    assert m.week == m.state.perished_week < m.params["weeks"]
    assert not m.running
