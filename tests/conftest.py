"""Shared fixtures: small models and helpers to reach their state."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import strategies as st

from collabsim import CollaborationModel
from collabsim.params import Param


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba kernels once, before any test (later processes load them from disk)."""
    from collabsim.engine import warm_up

    warm_up()


#: Caps on the sizes that set a run's cost (CI budget), not on the declared ranges.
COST_CAPS = {"n_orgs": 40, "weeks": 30}


def make(seed: int = 1, **params) -> CollaborationModel:
    """A model with the given overrides."""
    return CollaborationModel(rng=seed, **params)


@pytest.fixture
def model() -> CollaborationModel:
    return make(3)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


def value_strategy(p: Param, capped: bool = True) -> st.SearchStrategy:
    """Hypothesis strategy of every valid value of ``p``, read from its declaration.

    With ``capped``, the sizes that set a run's cost stay within :data:`COST_CAPS`.
    """
    if p.kind == "bool":
        return st.booleans()
    if p.kind == "choice":
        return st.sampled_from(p.choices)
    assert p.low is not None and p.high is not None
    high = min(p.high, COST_CAPS.get(p.name, p.high)) if capped else p.high
    if p.kind == "int":
        return st.integers(int(p.low), int(high))
    return st.floats(p.low, high, allow_nan=False, allow_infinity=False)
