import hashlib

import numpy as np
import pandas as pd
import pytest

from collabsim import CollaborationModel, kernels

pytest.importorskip("numba")


def fingerprint(m: CollaborationModel) -> str:
    s = m.state
    h = hashlib.sha256(pd.util.hash_pandas_object(m.timeseries(), index=True).values.tobytes())
    h.update(repr(sorted(m.summary().items())).encode())
    for arr in (s.edges.trust[:, : s.edges.n], s.edges.ends[:, : s.edges.n], s.frame):
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


@pytest.mark.parametrize(
    "params",
    [
        {"weeks": 104},
        {"weeks": 60, "navigator": True, "data_use": True, "turnover_rate": 0.4},
        {"weeks": 40, "joint_problem_solving": 0.0, "openness": 0.05, "reps_per_org": 1},
        {"weeks": 8, "n_orgs": 800, "navigator": True},  # pairs in the hash index
    ],
)
def test_compiled_kernel_gives_bit_identical_runs(monkeypatch, params):
    runs = {}
    for enabled in (False, True):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        runs[enabled] = [fingerprint(CollaborationModel(rng=s, **params).run()) for s in (1, 2)]
    assert kernels.meeting_kernel() is not None
    assert runs[True] == runs[False]


def test_disabled_kernel_means_numpy(monkeypatch):
    monkeypatch.setattr(kernels, "ENABLED", False)
    assert kernels.meeting_kernel() is None
