"""collabsim: an agent-based laboratory for cross-sector collaboration in cities.

The public surface (everything else is in submodules, documented in ``docs/``):

- :class:`CollaborationModel`: one collaboration, a ``mesa.Model`` (``rng=``, then any declared
  parameter as a keyword; ``run()``, ``timeseries()``, ``summary()``, ``events()``).
- :func:`load_scenario`, :func:`list_scenarios`, :class:`Scenario`: the packaged scenarios by
  name, or your own TOML file by path.
- :func:`run_many`: one scenario over many seeds, as DataFrames.
- :func:`run_sweep`: a declared design (grid, Latin hypercube, Sobol, Morris) as a resumable
  sweep.
- :func:`run_sensitivity`: Sobol, Morris and PAWN indices with confidence intervals.
- :func:`replicate`: the published findings against their pre-declared criteria.
- The parameter declaration: :data:`PARAMS`, :func:`defaults`, :func:`validate`, and the
  errors :class:`ParamError` and :class:`ConfigError` (both ``ValueError``).

``import collabsim`` is light: the model, Mesa, numpy and pandas are imported on first use.

Examples:
    >>> import collabsim
    >>> model = collabsim.CollaborationModel(rng=7, navigator=True, weeks=52)
    >>> model.run().week
    52
    >>> summary = model.summary()
    >>> summary["seed"], summary["weeks_run"]
    (7, 52)
    >>> collabsim.PARAMS["turnover_rate"].range_text()
    'a number in [0, 1]'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from collabsim.params import PARAMS, ParamError, defaults, validate

if TYPE_CHECKING:
    from collabsim.api import replicate, run_many, run_sensitivity, run_sweep
    from collabsim.config import ConfigError, Scenario, list_scenarios, load_scenario
    from collabsim.model import CollaborationModel

__version__ = "0.3.1"

#: Public names imported on first use, and the module each comes from.
_LAZY: dict[str, str] = {
    "CollaborationModel": "collabsim.model",
    "ConfigError": "collabsim.config",
    "Scenario": "collabsim.config",
    "list_scenarios": "collabsim.config",
    "load_scenario": "collabsim.config",
    "replicate": "collabsim.api",
    "run_many": "collabsim.api",
    "run_sensitivity": "collabsim.api",
    "run_sweep": "collabsim.api",
}


def __getattr__(name: str) -> Any:
    # The model (and Mesa, numpy, pandas) is imported on first use, so that the command line
    # starts light and can answer a Ctrl-C at start-up cleanly (see collabsim.cli.main).
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'collabsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "PARAMS",
    "CollaborationModel",
    "ConfigError",
    "ParamError",
    "Scenario",
    "__version__",
    "defaults",
    "list_scenarios",
    "load_scenario",
    "replicate",
    "run_many",
    "run_sensitivity",
    "run_sweep",
    "validate",
]
