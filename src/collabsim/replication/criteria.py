"""The pre-declared replication criteria: ``configs/replication.toml`` read and checked.

The file states, for each pattern, the claim and its citation, the design, the statistic and the
pass criterion, written before the runs. This module only reads it: every threshold a pattern
compares against, every seed count and every factor level (the ``levels`` table restates the
design text in machine-readable form) comes from the file. Problems raise
:class:`~collabsim.config.ConfigError` with one line naming the file, the pattern and the key.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collabsim.config import ConfigError, configs_dir

__all__ = ["CRITERIA_FILE", "Criteria", "PatternSpec", "load_criteria"]

#: File name of the criteria in the configs directory.
CRITERIA_FILE = "replication.toml"

_TEXT_KEYS = ("name", "claim", "citation", "design", "statistic", "criterion")
_INT_KEYS = ("seeds_full", "seeds_quick")
_TOP_KEYS = {"root_seed", "confidence", "bootstrap_resamples"}


@dataclass(frozen=True)
class PatternSpec:
    """One pattern as declared in the criteria file.

    Attributes:
        name: Pattern name (also the module in :mod:`collabsim.replication.patterns`).
        claim: The finding, in words.
        citation: Where the finding comes from.
        design: The experiment design, in words.
        statistic: The statistics computed, in words.
        criterion: The pass criterion, in words.
        seeds_full: Seeds per design cell at full size.
        seeds_quick: Seeds per design cell with ``--quick`` (the CI-sized version).
        thresholds: The criterion's numbers, by key (e.g. ``cramers_v_upper_max``).
        levels: The design's factor levels, restating ``design`` for the code.
        index: Position of the pattern in the file.
    """

    name: str
    claim: str
    citation: str
    design: str
    statistic: str
    criterion: str
    seeds_full: int
    seeds_quick: int
    thresholds: dict[str, float]
    levels: dict[str, Any]
    index: int = 0

    def seeds(self, quick: bool) -> int:
        """Seeds per design cell at the chosen size."""
        return self.seeds_quick if quick else self.seeds_full


@dataclass(frozen=True)
class Criteria:
    """The whole criteria file.

    Attributes:
        root_seed: Root of every run seed and every bootstrap draw.
        confidence: Confidence level of every interval.
        bootstrap_resamples: Bootstrap replicates per interval.
        patterns: Pattern specs by name, in file order.
        path: Where the file was read from.
        raw: The file's parsed contents (stored with the results).
    """

    root_seed: int
    confidence: float
    bootstrap_resamples: int
    patterns: dict[str, PatternSpec]
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    def select(self, names: Iterable[str] | None) -> list[PatternSpec]:
        """The named patterns in file order (all if ``names`` is empty or None).

        Raises:
            ConfigError: a name is not a declared pattern.
        """
        wanted = list(dict.fromkeys(names or []))
        for n in wanted:
            if n not in self.patterns:
                raise ConfigError(
                    f"unknown pattern {n!r}: declared patterns are {', '.join(self.patterns)}"
                )
        return [p for p in self.patterns.values() if not wanted or p.name in wanted]


def _criteria_path(path: str | os.PathLike[str] | None) -> Path:
    p = Path(path) if path is not None else configs_dir() / CRITERIA_FILE
    if not p.is_file():
        raise ConfigError(f"criteria file {str(p)!r} does not exist")
    return p


def _number(where: str, key: str, value: Any, low: float, high: float, integer: bool) -> Any:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer:
        ok = isinstance(value, int)
    if not ok or not math.isfinite(float(value)) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ConfigError(
            f"{where}: {key} = {value!r} is not valid: expected {kind} in [{low}, {high}]"
        )
    return value


def load_criteria(
    path: str | os.PathLike[str] | None = None,
    *,
    thresholds: Mapping[str, Iterable[str]] | None = None,
) -> Criteria:
    """Read and check the criteria file.

    Args:
        path: The file (default ``replication.toml`` in :func:`collabsim.config.configs_dir`).
        thresholds: For each known pattern, the threshold keys its analysis reads; the file
            must declare exactly these (a missing or unknown key is an error, so a typo can
            not silently drop a criterion). Defaults to the registered patterns' keys.

    Raises:
        ConfigError: naming the file, the pattern and the key.
    """
    if thresholds is None:
        from collabsim.replication.patterns import threshold_keys

        thresholds = threshold_keys()
    p = _criteria_path(path)
    where = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read criteria file {where!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"criteria file {where!r} is not valid TOML: {exc}") from None
    unknown = set(data) - {"replication", "pattern"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown table {sorted(unknown)[0]!r} (allowed: replication, pattern)"
        )
    top = data.get("replication")
    if not isinstance(top, dict):
        raise ConfigError(f"{where}: missing [replication] table")
    for key in _TOP_KEYS:
        if key not in top:
            raise ConfigError(f"{where}: [replication] is missing {key!r}")
    extra = set(top) - _TOP_KEYS
    if extra:
        raise ConfigError(f"{where}: unknown key {sorted(extra)[0]!r} in [replication]")
    root = _number(where, "root_seed", top["root_seed"], 0, 2**63 - 1, True)
    conf = _number(where, "confidence", top["confidence"], 0.5, 0.999, False)
    boot = _number(where, "bootstrap_resamples", top["bootstrap_resamples"], 100, 100000, True)
    items = data.get("pattern")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: no [[pattern]] tables")
    patterns: dict[str, PatternSpec] = {}
    for i, item in enumerate(items):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: pattern #{i + 1} has no name")
        here = f"{where}: pattern {name!r}"
        if name in patterns:
            raise ConfigError(f"{here} is declared twice")
        if name not in thresholds:
            raise ConfigError(f"{here} has no analysis: known patterns are {', '.join(thresholds)}")
        for key in _TEXT_KEYS:
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ConfigError(f"{here}: {key!r} must be non-empty text")
        seeds = {k: _number(here, k, item.get(k), 1, 100000, True) for k in _INT_KEYS}
        levels = item.get("levels", {})
        if not isinstance(levels, dict):
            raise ConfigError(f"{here}: 'levels' must be a table")
        wanted = set(thresholds[name])
        given = set(item) - set(_TEXT_KEYS) - set(_INT_KEYS) - {"levels"}
        if wanted - given:
            raise ConfigError(f"{here}: missing criterion key {sorted(wanted - given)[0]!r}")
        if given - wanted:
            raise ConfigError(
                f"{here}: unknown key {sorted(given - wanted)[0]!r} "
                f"(criterion keys: {', '.join(sorted(wanted))})"
            )
        values = {k: float(_number(here, k, item[k], -1e9, 1e9, False)) for k in sorted(wanted)}
        patterns[name] = PatternSpec(
            name=name,
            claim=item["claim"].strip(),
            citation=item["citation"].strip(),
            design=item["design"].strip(),
            statistic=item["statistic"].strip(),
            criterion=item["criterion"].strip(),
            seeds_full=seeds["seeds_full"],
            seeds_quick=seeds["seeds_quick"],
            thresholds=values,
            levels=levels,
            index=i,
        )
    return Criteria(
        root_seed=int(root),
        confidence=float(conf),
        bootstrap_resamples=int(boot),
        patterns=patterns,
        path=where,
        raw=data,
    )
