import numpy as np

from collabsim.mechanisms.effort import effort
from conftest import make

#: A generator for submodels that draw nothing here.
RNG = np.random.default_rng(0)


def test_effort_falls_with_loyalty_and_rises_with_commitment():
    m = make(1)
    s, p = m.state, m.p
    s.commitment[:] = 0.5
    s.loyalty[:] = 0.2
    effort(s.world(), p.kernel, RNG, 1)
    low_loyalty = s.effort.copy()
    s.loyalty[:] = 0.9
    effort(s.world(), p.kernel, RNG, 1)
    assert np.all(s.effort < low_loyalty)
    s.commitment[:] = 0.9
    high_c = s.effort.copy()
    effort(s.world(), p.kernel, RNG, 1)
    assert np.all(s.effort >= high_c)
    assert np.all((s.effort >= 0) & (s.effort <= 1))


def test_effort_matches_the_formula():
    m = make(1)
    s = m.state
    expect = s.commitment / (s.commitment + s.loyalty * s.seat_pressure)
    assert np.allclose(s.effort, expect)
