"""The public surface: what ``import collabsim`` offers, its doctests, and that it stays light."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys

import pytest

import collabsim

#: Modules whose docstring examples are part of the documentation of the public surface.
DOCTESTED = [
    "collabsim",
    "collabsim.api",
    "collabsim.config",
    "collabsim.datacollection",
    "collabsim.model",
    "collabsim.params",
]


@pytest.mark.parametrize("name", DOCTESTED)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    res = doctest.testmod(module, optionflags=flags, verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples failed in {name}"


#: The entry points: each has a Google-style docstring with examples that run (above).
ENTRY_POINTS = [
    "CollaborationModel",
    "load_scenario",
    "list_scenarios",
    "run_many",
    "run_sweep",
    "run_sensitivity",
    "replicate",
]


def test_every_public_name_is_exported_and_documented():
    assert set(ENTRY_POINTS) <= set(collabsim.__all__)
    for name in collabsim.__all__:
        obj = getattr(collabsim, name)
        assert name in dir(collabsim)
        assert name == "__version__" or (obj.__doc__ or "").strip(), name
    for name in ENTRY_POINTS:
        obj = getattr(collabsim, name)
        assert "Examples:" in obj.__doc__, f"{name} has no Examples section"
        assert any(t.examples for t in doctest.DocTestFinder(recurse=False).find(obj)), name


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nosuch'"):
        collabsim.nosuch  # noqa: B018


def test_import_is_light():
    code = (
        "import sys, collabsim; "
        "print(','.join(m for m in ('numpy', 'pandas', 'mesa', 'scipy', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
