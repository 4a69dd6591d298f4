import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from collabsim.mechanisms.trust import update_trust
from collabsim.params import PARAMS

GAIN = PARAMS["trust_gain"].default
LOSS = PARAMS["trust_loss"].default


def test_plus_one_then_minus_one_leaves_trust_below_start():
    t0 = 0.5
    t1 = update_trust(t0, 1.0, GAIN, LOSS)
    t2 = update_trust(t1, -1.0, GAIN, LOSS)
    assert t1 > t0 > t2
    assert np.isclose(t2, 0.385)


def test_loss_is_three_times_faster_than_gain_at_midpoint():
    up = update_trust(0.5, 1.0, GAIN, LOSS) - 0.5
    down = 0.5 - update_trust(0.5, -1.0, GAIN, LOSS)
    assert np.isclose(down / up, 3.0)


@given(st.floats(0, 1), st.floats(-1, 1), st.floats(0, 1), st.floats(0, 1))
def test_trust_stays_in_unit_interval(t, s, g, loss):
    out = float(update_trust(t, s, g, loss))
    assert 0.0 <= out <= 1.0
