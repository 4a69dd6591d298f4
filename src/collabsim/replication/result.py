"""What a pattern's analysis returns: estimates with intervals, checks against the criteria.

A :class:`Check` is one lettered part of a pattern's pre-declared criterion: the estimates it
looks at (each with its interval) and whether the criterion holds. A pattern PASSES only when
every part holds. Comparisons with a NaN (too few runs, no events, a regression that did not
converge) never hold: a criterion that cannot be evaluated is reported as failing, with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure

from collabsim.replication.spec import PatternSpec

__all__ = ["Check", "Context", "Estimate", "PatternResult", "greater", "less", "margin"]


def greater(x: float, threshold: float) -> bool:
    """``x > threshold``, False when ``x`` is NaN."""
    return bool(math.isfinite(x) and x > threshold)


def less(x: float, threshold: float) -> bool:
    """``x < threshold``, False when ``x`` is NaN."""
    return bool(math.isfinite(x) and x < threshold)


def margin(x: float, threshold: float, direction: str) -> float:
    """How far ``x`` lies on the passing side of ``threshold`` (negative: on the failing side).

    ``direction`` is ``">"`` when the criterion is ``x > threshold`` and ``"<"`` when it is
    ``x < threshold``; NaN when ``x`` is NaN.
    """
    if x is None or not math.isfinite(x):
        return math.nan
    return float(x - threshold) if direction == ">" else float(threshold - x)


def _num(x: float, fmt: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return format(x, fmt)


@dataclass
class Estimate:
    """A number with its confidence interval (NaN bounds when it has none)."""

    label: str
    value: float
    low: float = math.nan
    high: float = math.nan
    fmt: str = ".3f"

    def text(self) -> str:
        """``value [low, high]`` (or just the value when there is no interval)."""
        v = _num(self.value, self.fmt)
        if math.isnan(self.low) and math.isnan(self.high):
            return v
        return f"{v} [{_num(self.low, self.fmt)}, {_num(self.high, self.fmt)}]"


@dataclass
class Check:
    """One part of a pattern's criterion.

    Attributes:
        part: The letter of the part in the criterion (``"a"``, ``"b"``...).
        statistic: What is measured, in a few words.
        criterion: What must hold, with the declared threshold.
        estimates: The estimates the criterion reads.
        passed: Whether it holds.
        note: Anything a reader needs to judge it (a p-value, why it could not be computed).
        margin: How far the deciding number (the bound, or estimate, the criterion reads) lies
            on the passing side of the declared threshold; for "every"/"all" criteria the
            smallest such distance. NaN when not meaningful (a yes/no criterion).
    """

    part: str
    statistic: str
    criterion: str
    estimates: list[Estimate]
    passed: bool
    note: str = ""
    margin: float = math.nan

    def near(self, bound: float) -> bool:
        """True when the part passes by less than ``bound`` (a pass that rests on a hair)."""
        return bool(self.passed and math.isfinite(self.margin) and self.margin < bound)


@dataclass
class Context:
    """What every analysis needs besides its runs: the level, resamples and bootstrap draws.

    ``figures`` False skips drawing the figure (the calibration reads only the statistics).
    """

    level: float
    resamples: int
    rng: object  # numpy.random.Generator
    figures: bool = True

    @property
    def pct(self) -> str:
        """The level as a percentage label, e.g. ``"95%"``."""
        return f"{100 * self.level:g}%"


@dataclass
class PatternResult:
    """The outcome of one pattern's analysis.

    Attributes:
        spec: The pattern as declared.
        checks: One per part of the criterion.
        figure: The pattern's figure (saved by the report); None when not drawn.
        table: Descriptive statistics per group (saved as CSV).
        runs: One row per run with its cell labels, seed and outcomes (saved as CSV).
        interpretation: A few sentences in plain language.
        design_summary: Cells, seeds and runs actually done.
        extra_tables: Further named tables shown in the report (e.g. the trajectory split).
    """

    spec: PatternSpec
    checks: list[Check]
    figure: Figure | None
    table: pd.DataFrame
    runs: pd.DataFrame
    interpretation: str
    design_summary: str
    extra_tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """True when every part of the criterion holds."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def verdict(self) -> str:
        """``"PASS"`` or ``"FAIL"``."""
        return "PASS" if self.passed else "FAIL"

    def check(self, part: str) -> Check:
        """The check of one lettered part."""
        for c in self.checks:
            if c.part == part:
                return c
        raise KeyError(part)
