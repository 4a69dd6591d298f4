"""Shared fixtures: small models and helpers to reach their state."""

from __future__ import annotations

import numpy as np
import pytest

from collabsim import CollaborationModel


def make(seed: int = 1, **params) -> CollaborationModel:
    """A model with the given overrides."""
    return CollaborationModel(rng=seed, **params)


@pytest.fixture
def model() -> CollaborationModel:
    return make(3)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)
