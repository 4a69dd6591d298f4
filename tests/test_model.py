import hashlib
import inspect
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from collabsim import CollaborationModel
from collabsim.agents import Organization
from collabsim.config import list_scenarios
from collabsim.outcomes import SERIES, SUMMARY_KEYS
from collabsim.params import ParamError

UNIT_SERIES = [
    k for k in SERIES if k not in ("public_value", "wins", "setbacks", "learning", "blame", "mode")
]


def digest(m: CollaborationModel) -> str:
    ts = m.timeseries()
    h = hashlib.sha256(pd.util.hash_pandas_object(ts, index=True).values.tobytes())
    h.update(repr(sorted(m.summary().items())).encode())
    return h.hexdigest()


def test_defaults_run_and_stop_at_the_horizon():
    m = CollaborationModel(rng=1)
    m.run()
    assert not m.running
    assert m.week == m.params["weeks"] or m.state.perished
    ts = m.timeseries()
    assert list(ts.columns) == ["week", *SERIES]
    assert len(ts) == m.week + 1 and ts["week"].iloc[0] == 0


def test_keyword_only_and_size_names():
    sig = inspect.signature(CollaborationModel.__init__)
    assert all(
        p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD) for n, p in sig.parameters.items() if n != "self"
    )
    with pytest.raises(TypeError):
        CollaborationModel(1)  # type: ignore[misc]
    m = CollaborationModel(rng=1, n_orgs=200, weeks=5)
    m.run()
    assert len(m.agents) == 200 and m.state.n_people == 200 * m.params["reps_per_org"]
    assert m.week == 5


def test_organizations_are_handles_onto_the_arrays():
    m = CollaborationModel(rng=2, n_orgs=6, reps_per_org=2)
    orgs = list(m.agents_by_type[Organization])
    assert [o.index for o in orgs] == list(range(6))
    o = orgs[3]
    m.state.frame[o.seats] = 0.123
    assert np.allclose(o.frames, 0.123)
    assert o.sector in ("city_agency", "nonprofit", "business", "funder", "community_group")
    assert orgs[0].sector == "city_agency"


def test_bad_parameters_fail_fast():
    with pytest.raises(ParamError, match="unknown parameter 'turnover'"):
        CollaborationModel(rng=1, turnover=0.1)
    with pytest.raises(ParamError, match=r"n_orgs = 1 .* \[2, 20000\]"):
        CollaborationModel(rng=1, n_orgs=1)
    with pytest.raises(ValueError, match="seed"):
        CollaborationModel(rng=-3)


def test_seed_is_recorded_even_when_not_given():
    m = CollaborationModel(weeks=20)
    m.run()
    again = CollaborationModel(rng=m.seed, weeks=20)
    again.run()
    assert m.summary()["seed"] == m.seed
    assert digest(m) == digest(again)


def test_same_seed_identical_results_in_process():
    a = CollaborationModel(rng=42, navigator=True, data_use=True, turnover_rate=0.3)
    b = CollaborationModel(rng=42, navigator=True, data_use=True, turnover_rate=0.3)
    a.run()
    b.run()
    pd.testing.assert_frame_equal(a.timeseries(), b.timeseries())
    assert digest(a) == digest(b)
    c = CollaborationModel(rng=43, navigator=True, data_use=True, turnover_rate=0.3)
    c.run()
    assert digest(c) != digest(a)


def test_same_seed_identical_results_across_processes():
    code = (
        "import sys; sys.path.insert(0, 'tests');"
        "from test_model import digest; from collabsim import CollaborationModel;"
        "m = CollaborationModel(rng=42, navigator=True, data_use=True, turnover_rate=0.3);"
        "m.run(); print(digest(m))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).parents[1]),
    )
    a = CollaborationModel(rng=42, navigator=True, data_use=True, turnover_rate=0.3)
    a.run()
    assert out.stdout.strip() == digest(a)


def test_summary_has_every_outcome():
    s = CollaborationModel(rng=5).run().summary()
    assert set(SUMMARY_KEYS) <= set(s) and "seed" in s
    for k in (
        "collective_impact",
        "consensus",
        "mean_trust",
        "founders_share",
        "legitimacy",
        "operational_capacity",
    ):
        assert np.isfinite(s[k])


@pytest.mark.parametrize("scenario", [s.name for s in list_scenarios()])
def test_invariants_hold_in_every_scenario(scenario):
    sc = next(s for s in list_scenarios() if s.name == scenario)
    for seed in range(3):
        m = CollaborationModel(rng=seed, **{**sc.params, "weeks": 104})
        m.run()
        ts = m.timeseries()
        assert not ts.isna().any().any()
        for col in UNIT_SERIES:
            assert ts[col].between(0.0, 1.0).all(), col
        assert (ts["public_value"] >= 0).all()  # (public value can fall: programs wither)
        s = m.state
        u, v, tuv, tvu = s.edges.views()
        assert np.all((tuv >= 0) & (tuv <= 1) & (tvu >= 0) & (tvu <= 1))
        for arr in (s.frame, s.commitment, s.loyalty, s.effort, s.openness):
            assert np.all((arr >= 0) & (arr <= 1)) and np.isfinite(arr).all()
        assert np.all(np.bincount(s.org) == m.params["reps_per_org"])
        assert 0.0 <= s.legitimacy <= 1.0 and 0.0 <= s.capacity_oc <= 1.0


def test_events_log_records_what_happened():
    m = CollaborationModel(rng=3, turnover_rate=0.5)
    m.run()
    ev = m.events()
    assert list(ev.columns) == ["week", "kind", "text"]
    assert "turnover" in set(ev["kind"])
    assert ev["week"].is_monotonic_increasing


def test_rng_accepts_an_int_a_seed_sequence_or_a_generator():
    """A Generator's seed is drawn from it (it advances) and recorded, so the run repeats."""
    gen = np.random.default_rng(9)
    a = CollaborationModel(rng=gen, weeks=15)
    b = CollaborationModel(rng=gen, weeks=15)
    assert a.seed != b.seed  # two draws from one generator
    assert a.seed == CollaborationModel(rng=np.random.default_rng(9)).seed
    again = CollaborationModel(rng=a.seed, weeks=15)
    assert a.run().timeseries().equals(again.run().timeseries())
    ss = CollaborationModel(rng=np.random.SeedSequence(4), weeks=15)
    assert ss.seed == CollaborationModel(rng=np.random.SeedSequence(4)).seed
    for bad in (-1, 1.5, "7", True, np.random.RandomState(1)):
        with pytest.raises(ValueError, match="Generator"):
            CollaborationModel(rng=bad)


def test_warm_up_says_when_it_compiles(monkeypatch, capsys):
    """The first run after installing compiles for about a minute: users are told, once."""
    from collabsim import model as model_module

    assert model_module.compiled_before()  # (the session compiled it: numba's cache is read)
    capsys.readouterr()
    model_module.warm_up.__wrapped__()
    assert "compiling" not in capsys.readouterr().err
    monkeypatch.setattr(model_module, "compiled_before", lambda: False)
    model_module.warm_up.__wrapped__()
    assert "collabsim: compiling the model" in capsys.readouterr().err
