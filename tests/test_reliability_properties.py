"""Property-based tests over the whole declared parameter space (hypothesis).

For any valid parameter set and seed, every state variable stays in its range after every
week, nothing becomes NaN or infinite, people per organization are conserved, cumulative
counts only grow and add up, the run finishes by itself, and the summary has every outcome,
NaN exactly when the event it times never happened. The strategies are derived from
:data:`collabsim.params.PARAMS`: no range is restated here. Only the two sizes that set a run's
cost are capped (organizations and weeks), so that the test stays CI-sized; the examples are
derandomized so CI is deterministic. ``COLLABSIM_FUZZ_SCALE=20`` runs twenty times as many.
"""

from __future__ import annotations

import math
import os

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collabsim import CollaborationModel
from collabsim.config import list_scenarios
from collabsim.outcomes import SERIES, SUMMARY_KEYS
from collabsim.params import PARAMS, Param, ParamError, coerce, validate
from collabsim.runner import release
from conftest import COST_CAPS, value_strategy

SCALE = int(os.environ.get("COLLABSIM_FUZZ_SCALE", "1"))
#: Summary outcomes that are shares (in [0, 1] whenever they are defined).
SHARE_OUTCOMES = (
    "consensus",
    "mean_trust",
    "working_trust",
    "trust_density",
    "learning_share",
    "founders_share",
    "legitimacy",
    "operational_capacity",
    "uptake",
)
#: Time series that are not shares (public value and counts).
NOT_SHARES = {"public_value", "wins", "setbacks", "learning", "blame", "mode"}


#: Weeks of a run started from a scenario (long enough for projects, wins and setbacks).
SCENARIO_WEEKS = 104
ANYWHERE = st.fixed_dictionaries({name: value_strategy(p) for name, p in PARAMS.items()})
SCENARIOS = [s.params for s in list_scenarios()]


@st.composite
def near_scenarios(draw) -> dict:
    """A scenario's parameters with a few of them changed to any valid value."""
    values = dict(draw(st.sampled_from(SCENARIOS)))
    for name in draw(st.lists(st.sampled_from(list(PARAMS)), max_size=6, unique=True)):
        values[name] = draw(value_strategy(PARAMS[name]))
    values["weeks"] = draw(st.integers(1, SCENARIO_WEEKS) | st.integers(52, SCENARIO_WEEKS))
    if values.get("n_orgs", PARAMS["n_orgs"].default) > COST_CAPS["n_orgs"]:
        values["n_orgs"] = draw(value_strategy(PARAMS["n_orgs"]))
    return values


#: Anywhere in the declared space, or near a scenario (where projects win and fail).
PARAM_SETS = st.one_of(ANYWHERE, near_scenarios())
SEEDS = st.integers(0, 2**64 - 1)


def check_state(m: CollaborationModel, prev: dict[str, float]) -> None:
    """Every invariant of the state after a step (``prev``: counters of the step before)."""
    s, p = m.state, m.params
    n_orgs, reps = p["n_orgs"], p["reps_per_org"]
    # people per organization are conserved, arrays keep their sizes
    assert s.n_orgs == n_orgs and s.n_people == n_orgs * reps
    assert np.array_equal(np.bincount(s.org, minlength=n_orgs), np.full(n_orgs, reps))
    assert len(m.agents) == n_orgs
    # every per-person variable in [0, 1] and finite
    for name in ("frame", "openness", "commitment", "loyalty", "effort", "nav_trust"):
        arr = getattr(s, name)
        assert np.isfinite(arr).all(), name
        assert ((arr >= 0.0) & (arr <= 1.0)).all(), (name, arr.min(), arr.max())
    assert (s.tenure >= 0).all()
    # trust on every tie, in both directions
    u, v, t_uv, t_vu = s.edges.views()
    assert ((u < v) & (u >= 0) & (v < s.n_people)).all()
    for t in (t_uv, t_vu):
        assert np.isfinite(t).all() and ((t >= 0.0) & (t <= 1.0)).all()
    # collaboration-level quantities
    for name in (
        "legitimacy", "capacity_oc", "evidence_precision", "mean_trust", "consensus",
        "cross_trust", "cross_density", "team_safety", "understanding", "backing",
    ):  # fmt: skip
        x = getattr(s, name)
        assert math.isfinite(x) and 0.0 <= x <= 1.0, (name, x)
    for arr in (s.safety, s.skill, s.nav_trust, s.capital.t_uv[: s.capital.n]):
        assert np.isfinite(arr).all() and ((arr >= 0.0) & (arr <= 1.0)).all()
    # public value can fall (programs wither), but never below zero
    assert math.isfinite(s.public_value) and s.public_value >= 0.0
    assert math.isfinite(s.programs) and s.programs >= 0.0
    assert s.mode in (0, 1, 2)
    # cumulative counts only grow and add up
    for name in ("wins", "setbacks", "learning", "blame", "leavers_total", "adopted"):
        assert getattr(s, name) >= prev[name], name
    assert s.learning + s.blame == s.setbacks
    assert np.count_nonzero(s.founder) <= prev["founders"]  # nobody becomes a founder later


def counters(m: CollaborationModel) -> dict[str, float]:
    s = m.state
    out = {
        k: getattr(s, k)
        for k in ("wins", "setbacks", "learning", "blame", "leavers_total", "adopted")
    }
    out["public_value"] = s.public_value
    out["founders"] = np.count_nonzero(s.founder)
    return out


def check_summary(m: CollaborationModel) -> None:
    """The summary has every outcome; NaN exactly when the event it times never happened."""
    out = m.summary()
    s = m.state
    assert set(SUMMARY_KEYS) <= set(out) and out["seed"] == m.seed
    for key in SUMMARY_KEYS:
        assert not (isinstance(out[key], float) and math.isinf(out[key])), key
    nan_when = {
        "weeks_to_first_win": s.wins == 0,
        "weeks_to_impact": s.impact_week < 0,
        "perished_week": not s.perished,
        "learning_share": s.setbacks == 0,
        "first_setback_week": s.setbacks == 0,
        "first_outcome_win": s.wins == 0 and s.setbacks == 0,
        **{f"impact_by_{h}": m.p.weeks < h and s.impact_week < 0 for h in (104, 156, 260)},
    }
    for key in SUMMARY_KEYS:
        value = out[key]
        expect_nan = nan_when.get(key, False)
        is_nan = isinstance(value, float) and math.isnan(value)
        assert is_nan == expect_nan, (key, value)
    for key in SHARE_OUTCOMES:
        if not math.isnan(out[key]):
            assert 0.0 <= out[key] <= 1.0, (key, out[key])
    assert out["learning"] + out["blame"] == out["setbacks"]
    assert out["any_win"] == (out["wins"] > 0)
    assert out["success"] <= (not out["perished"])


@settings(
    max_examples=200 * SCALE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(params=PARAM_SETS, seed=SEEDS)
def test_any_valid_parameters_keep_every_invariant(params, seed):
    m = CollaborationModel(rng=seed, **params)
    try:
        run_and_check(m)
    finally:
        release(m)  # Mesa 3.3.1 would keep every model of the test alive


def run_and_check(m: CollaborationModel) -> None:
    check_state(m, counters(m))
    weeks = m.params["weeks"]
    for _ in range(weeks + 1):  # the run must stop by itself within its horizon
        if not m.running:
            break
        before = counters(m)
        m.step()
        check_state(m, before)
    assert not m.running, "the run did not stop at its horizon"
    s = m.state
    run = m.week
    assert run == (s.perished_week if s.perished else weeks)
    ts = m.timeseries()
    assert len(ts) == run + 1 and list(ts.columns) == ["week", *SERIES]
    values = ts[list(SERIES)].to_numpy(dtype=float)
    assert np.isfinite(values).all()
    for col in SERIES:
        if col not in NOT_SHARES:
            assert ts[col].between(0.0, 1.0).all(), col
    assert (ts["public_value"] >= 0).all()  # (it can fall: programs wither)
    check_summary(m)
    assert m.summary()["weeks_run"] == run


@settings(max_examples=40 * SCALE, derandomize=True, deadline=None, database=None)
@given(params=PARAM_SETS, seed=SEEDS)
def test_same_parameters_and_seed_give_the_same_run(params, seed):
    a = CollaborationModel(rng=seed, **params).run()
    b = CollaborationModel(rng=seed, **params).run()
    release(a)
    release(b)
    assert a.timeseries().equals(b.timeseries())
    sa, sb = a.summary(), b.summary()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert sa[k] == sb[k] or (sa[k] != sa[k] and sb[k] != sb[k]), k


# ----------------------------------------------------------------------------- validation
@settings(max_examples=300 * SCALE, derandomize=True, database=None)
@given(data=st.data())
def test_every_valid_value_is_accepted_as_itself_and_as_text(data):
    p = data.draw(st.sampled_from(list(PARAMS.values())))
    value = data.draw(value_strategy(p, capped=False))
    assert coerce(p, value) == value
    text = str(value).lower() if p.kind == "bool" else repr(value)
    assert coerce(p, text.strip("'")) == value


def _invalid(p: Param) -> st.SearchStrategy:
    junk = st.one_of(
        st.text(max_size=12),
        st.binary(max_size=8),
        st.none(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
    )
    if p.kind in ("bool", "choice"):
        return junk.filter(lambda v: _rejects(p, v))
    assert p.low is not None and p.high is not None
    low, high = p.low, p.high
    numbers = st.one_of(
        st.floats(max_value=low, exclude_max=True),
        st.floats(min_value=high, exclude_min=True),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.integers(max_value=math.ceil(low) - 1),
        st.integers(min_value=math.floor(high) + 1),
        st.booleans(),
        st.sampled_from(["nan", "inf", "-inf", "1e400", "9" * 400, "", " ", "0x10", "1,5"]),
    )
    if p.kind == "int":
        numbers = st.one_of(
            numbers,
            st.floats(p.low, p.high).filter(lambda x: not float(x).is_integer()),
        )
    return st.one_of(numbers, junk.filter(lambda v: _rejects(p, v)))


def _rejects(p: Param, value) -> bool:
    try:
        coerce(p, value)
    except ParamError:
        return True
    return False


@settings(max_examples=400 * SCALE, derandomize=True, database=None)
@given(data=st.data())
def test_every_invalid_value_is_refused_with_key_and_range(data):
    p = data.draw(st.sampled_from(list(PARAMS.values())))
    value = data.draw(_invalid(p))
    try:
        validate({p.name: value})
    except ParamError as exc:
        msg = str(exc)
    else:
        raise AssertionError(f"{p.name} = {value!r} was accepted")
    assert p.name in msg and p.range_text() in msg and "\n" not in msg
