"""collabsim: an agent-based laboratory for cross-sector collaboration in cities.

The public surface: :class:`CollaborationModel`, the parameter declaration (:data:`PARAMS`,
:func:`defaults`, :func:`validate`), scenarios (:func:`load_scenario`) and run helpers
(:func:`run`, :func:`run_many`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from collabsim.params import PARAMS, ParamError, defaults, validate

if TYPE_CHECKING:
    from collabsim.model import CollaborationModel

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # The model (and Mesa, numpy, pandas) is imported on first use, so that the command line
    # starts light and can answer a Ctrl-C at start-up cleanly (see collabsim.cli.main).
    if name == "CollaborationModel":
        from collabsim.model import CollaborationModel

        return CollaborationModel
    raise AttributeError(f"module 'collabsim' has no attribute {name!r}")


__all__ = [
    "PARAMS",
    "CollaborationModel",
    "ParamError",
    "__version__",
    "defaults",
    "validate",
]
