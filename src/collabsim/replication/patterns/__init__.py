"""The six patterns the model must reproduce, one module each, and their registry.

Each pattern module declares:

- ``THRESHOLDS``: the criterion keys it reads from ``configs/replication.toml``;
- ``PARTS``: the letters of the parts its analysis checks (the file must declare exactly these);
- ``LEVELS``: the keys of its ``[pattern.levels]`` table (and of the tables inside it), so a
  misspelled key is an error, never silently ignored;
- ``SERIES``: the time-series columns its analysis needs (empty: summaries only; a module may
  add a ``series(spec)`` function when the criteria name a column);
- ``cells(spec)``: the design, as a list of :class:`~collabsim.replication.design.Cell`;
- optionally ``followup(spec, cells, runs, root_seed, n_seeds, size2=...)``: a second stage of
  runs planned from the first stage's results (cells and run specs);
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

#: Pattern name -> module: the base rate, then the six patterns in the model design's order.
PATTERNS: dict[str, str] = {
    "base_rate": "collabsim.replication.patterns.base_rate",
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
