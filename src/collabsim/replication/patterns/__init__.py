"""The six patterns the model must reproduce, one module each, and their registry.

Each pattern module declares:

- ``THRESHOLDS``: the criterion keys it reads from ``configs/replication.toml``;
- ``SERIES``: the time-series columns its analysis needs (empty: summaries only);
- ``cells(spec)``: the design, as a list of :class:`~collabsim.replication.design.Cell`;
- ``analyze(spec, cells, runs, ctx)``: the statistics, the checks against the criterion, the
  figure and a plain-language interpretation, as a
  :class:`~collabsim.replication.result.PatternResult`.

No module special-cases the model: each sets declared parameters, runs the model and reads its
recorded outcomes.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["PATTERNS", "get", "threshold_keys"]

#: Pattern name -> module, in the order of MODEL.md's list.
PATTERNS: dict[str, str] = {
    "formal_structure": "collabsim.replication.patterns.formal_structure",
    "key_actions": "collabsim.replication.patterns.key_actions",
    "entry_points": "collabsim.replication.patterns.entry_points",
    "not_speed": "collabsim.replication.patterns.not_speed",
    "trust_dynamics": "collabsim.replication.patterns.trust_dynamics",
    "cases": "collabsim.replication.patterns.cases",
}


def get(name: str) -> ModuleType:
    """The module of a pattern."""
    return importlib.import_module(PATTERNS[name])


def threshold_keys() -> dict[str, tuple[str, ...]]:
    """Every pattern's criterion keys (what the criteria file must declare for it)."""
    return {name: tuple(get(name).THRESHOLDS) for name in PATTERNS}
