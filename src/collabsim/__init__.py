"""collabsim: an agent-based laboratory for cross-sector collaboration in cities.

The public surface: :class:`CollaborationModel`, the parameter declaration (:data:`PARAMS`,
:func:`defaults`, :func:`validate`), scenarios (:func:`load_scenario`) and run helpers
(:func:`run`, :func:`run_many`).
"""

from collabsim.model import CollaborationModel
from collabsim.params import PARAMS, ParamError, defaults, validate

__version__ = "0.1.0"

__all__ = [
    "PARAMS",
    "CollaborationModel",
    "ParamError",
    "__version__",
    "defaults",
    "validate",
]
