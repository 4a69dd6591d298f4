"""The compiled kernels (numba) give runs bit-identical to the numpy path."""

import hashlib
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collabsim import CollaborationModel, kernels
from collabsim.params import PARAMS
from collabsim.runner import release
from conftest import value_strategy

pytest.importorskip("numba")

#: ``COLLABSIM_FUZZ_SCALE=20`` draws twenty times as many parameter sets (as the property tests).
SCALE = int(os.environ.get("COLLABSIM_FUZZ_SCALE", "1"))


def fingerprint(m: CollaborationModel) -> str:
    s = m.state
    h = hashlib.sha256(pd.util.hash_pandas_object(m.timeseries(), index=True).values.tobytes())
    h.update(repr(sorted(m.summary().items())).encode())
    h.update(repr(m.events().values.tolist()).encode())
    for arr in (s.edges.trust[:, : s.edges.n], s.edges.ends[:, : s.edges.n], s.frame):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def both_ways(monkeypatch, seed: int, params: dict) -> dict[bool, str]:
    runs = {}
    for enabled in (False, True):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        m = CollaborationModel(rng=seed, **params).run()
        runs[enabled] = fingerprint(m)
        release(m)
    return runs


@pytest.mark.parametrize(
    "params",
    [
        {"weeks": 104},
        {"weeks": 60, "navigator": True, "data_use": True, "turnover_rate": 0.4},
        {"weeks": 40, "joint_problem_solving": 0.0, "openness": 0.05, "reps_per_org": 1},
        {"weeks": 104, "entry_points": False, "governance": "lead", "community_stages": 4},
        {"weeks": 80, "governance": "nao", "adaptable": True, "leadership_shock_rate": 0.5},
        {"weeks": 10, "n_orgs": 300, "reps_per_org": 2, "navigator": True},  # dense, larger
        {"weeks": 8, "n_orgs": 800, "navigator": True},  # pairs in the hash index
    ],
)
def test_compiled_kernels_give_bit_identical_runs(monkeypatch, params):
    for seed in (1, 2):
        runs = both_ways(monkeypatch, seed, params)
        assert runs[True] == runs[False]
    for name in ("community", "effort", "org_capacity", "handoff", "proposer", "support"):
        assert kernels.kernel(name) is not None
    assert kernels.dialogue_kernel() is not None and kernels.observe_kernel() is not None


#: Any valid parameters (the sizes that set a run's cost capped, as in the property tests:
#: ``n_orgs`` <= 40, ``weeks`` <= 30; the fixed cases above cover larger groups).
ANY = st.fixed_dictionaries({name: value_strategy(p) for name, p in PARAMS.items()})


@settings(
    max_examples=40 * SCALE,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(params=ANY, seed=st.integers(0, 2**32))
def test_any_valid_parameters_give_the_same_run_with_and_without_kernels(monkeypatch, params, seed):
    runs = both_ways(monkeypatch, seed, params)
    assert runs[True] == runs[False]


@pytest.mark.parametrize("scale", [1.0, 1e-3, 1e6])
def test_pairwise_sum_is_numpy_sum_to_the_last_bit(scale):
    rng = np.random.default_rng(7)
    kernels.observe_kernel()  # compiles the helpers
    for n in [*range(0, 300), 1023, 4097, 8192, 8193, 30_001, 100_000]:
        a = (rng.random(n) - 0.3) * scale
        assert kernels.pairwise_sum(a) == np.add.reduce(a), n
    zero = np.array([-0.0])  # numpy adds its identity, 0.0
    assert np.signbit(kernels.pairwise_sum(zero)) == np.signbit(np.add.reduce(zero))


def test_disabled_kernels_mean_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "ENABLED", False)
    assert kernels.meeting_kernel() is None
    assert kernels.dialogue_kernel() is None
    assert kernels.kernel("effort") is None


def test_unknown_kernel_name_is_a_clear_error():
    with pytest.raises(KeyError, match="no kernel 'nope'"):
        kernels.kernel("nope")
