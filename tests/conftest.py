"""Shared fixtures: small models and helpers to reach their state."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

# numba's on-disk cache notices edits to a cached function's own file only, not to the compiled
# functions it calls from other files: the tests use a cache keyed by the package's sources
# (set before numba is imported), so they never run stale compiled code.
_SRC = Path(__file__).resolve().parents[1] / "src" / "collabsim"
_DIGEST = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(_SRC.rglob("*.py")))).hexdigest()
os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"collabsim-numba-{_DIGEST[:16]}")
)

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from collabsim import CollaborationModel  # noqa: E402
from collabsim.params import Param  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba submodels once, before any test (later processes load them from disk)."""
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


_EXIT: list[int] = []


def pytest_sessionfinish(session, exitstatus) -> None:
    """Remember the suite's exit status (see :func:`pytest_unconfigure`)."""
    _EXIT.append(int(exitstatus))


def pytest_unconfigure(config) -> None:
    """End the process once pytest is done, even if a thread of solara's in-process kernels lingers.

    Rendering the app in process (tests of workshop pages) leaves solara's kernel event-loop
    threads alive; they are not daemon threads, so the interpreter would wait for them forever.
    """
    if _EXIT and os.environ.get("PYTEST_XDIST_WORKER") is None:
        import sys

        import coverage

        measuring = coverage.Coverage.current()  # (``make coverage``: os._exit skips its save)
        if measuring is not None:
            measuring.stop()
            measuring.save()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT[0])
