"""The declared replication criteria as data: parts, patterns and the whole file (no loading).

The pattern modules and the design read these specs; :mod:`collabsim.replication.criteria`
builds them from ``configs/replication.toml`` and checks every key. Keeping the data here
means no pattern module imports the loader (which imports the patterns to check their keys).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from collabsim.config import ConfigError

__all__ = ["Criteria", "PartSpec", "PatternSpec"]


@dataclass(frozen=True)
class PartSpec:
    """One lettered part of a pattern, as declared.

    Attributes:
        id: The part's letter (``"a"``, ``"b"``...).
        claim: What the part claims, in words.
        statistic: The statistic, in words.
        criterion: The pass criterion, in words.
        check: ``"verification"`` or ``"validation"``.
        calibration: ``"target"`` or ``"held_out"``.
        rule: For a verification, the model rule it follows from ("" otherwise).
        citation: The part's own citation ("" when the pattern's applies).
        design: The part's own design ("" when the pattern's applies).
    """

    id: str
    claim: str
    statistic: str
    criterion: str
    check: str
    calibration: str
    rule: str = ""
    citation: str = ""
    design: str = ""

    @property
    def held_out(self) -> bool:
        """True when the part is declared held out of calibration."""
        return self.calibration == "held_out"

    @property
    def validation(self) -> bool:
        """True when the part must emerge (not follow from a rule by construction)."""
        return self.check == "validation"


@dataclass(frozen=True)
class PatternSpec:
    """One pattern as declared in the criteria file.

    Attributes:
        name: Pattern name (also the module in :mod:`collabsim.replication.patterns`).
        citation: Where the finding comes from.
        design: The experiment design, in words.
        calibration_reason: Why the pattern is a calibration target or held out.
        parts: The lettered parts, in file order.
        seeds_full: Seeds per design cell at full size.
        seeds_quick: Seeds per design cell with ``--quick``.
        thresholds: The criteria's numbers, by key (e.g. ``cramers_v_upper_max``).
        levels: The design's factor levels, restating ``design`` for the code.
        size2: Parameter overrides of the second size ({} when the pattern has none).
        seeds_size2_full: Seeds per cell of the second size at full size (0 if none).
        seeds_size2_quick: The same with ``--quick``.
        index: Position of the pattern in the file.
    """

    name: str
    citation: str
    design: str
    calibration_reason: str
    parts: tuple[PartSpec, ...]
    seeds_full: int
    seeds_quick: int
    thresholds: dict[str, float]
    levels: dict[str, Any]
    size2: dict[str, Any] = field(default_factory=dict)
    seeds_size2_full: int = 0
    seeds_size2_quick: int = 0
    index: int = 0

    def seeds(self, quick: bool, size2: bool = False) -> int:
        """Seeds per design cell at the chosen size."""
        if size2:
            return self.seeds_size2_quick if quick else self.seeds_size2_full
        return self.seeds_quick if quick else self.seeds_full

    def part(self, part_id: str) -> PartSpec:
        """The declared part with this letter."""
        for p in self.parts:
            if p.id == part_id:
                return p
        raise KeyError(part_id)

    @property
    def claim(self) -> str:
        """The parts' claims in one line."""
        return " ".join(f"({p.id}) {p.claim}" for p in self.parts)

    @property
    def held_out(self) -> bool:
        """True when every part is held out of calibration."""
        return all(p.held_out for p in self.parts)


@dataclass(frozen=True)
class Criteria:
    """The whole criteria file.

    Attributes:
        revision: Revision number of the declaration.
        declared: Date the revision was declared.
        supersedes: The earlier revision's file (relative to this one), kept as history.
        held_out_from_version: First collabsim version the calibration labels apply to; for
            older models every part counts as a calibration target.
        root_seed: Root of every run seed and every bootstrap draw.
        confidence: Confidence level of every interval.
        bootstrap_resamples: Bootstrap replicates per interval.
        near_bound: A pass whose deciding bound lies within this distance of the criterion is
            flagged.
        patterns: Pattern specs by name, in file order.
        path: Where the file was read from.
        raw: The file's parsed contents (stored with the results).
    """

    revision: int
    declared: _dt.date
    supersedes: str
    held_out_from_version: str
    root_seed: int
    confidence: float
    bootstrap_resamples: int
    near_bound: float
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

    def labels_apply(self, version: str) -> bool:
        """Whether the declared calibration labels apply to a model of this version."""
        return _version_tuple(version) >= _version_tuple(self.held_out_from_version)


def _version_tuple(text: str) -> tuple[int, ...]:
    out = []
    for piece in str(text).split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(out)
