"""Designs: a pattern's cells (group labels + parameter overrides) and its seeded run list.

Seeds. Pattern ``P`` of the criteria file owns the seed stream
``SeedSequence(root_seed, spawn_key=(crc32(P), 0, c))`` for its seed cell ``c`` and the
bootstrap stream ``SeedSequence(root_seed, spawn_key=(crc32(P), 1))``. Run ``k`` of a cell gets
the ``k``-th child of its cell's stream, turned into an integer and recorded with the run. So:

- a pattern's seeds do not depend on which other patterns run, nor on their order in the file;
- the quick design's runs are the first ``seeds_quick`` runs of the full design's cells;
- two cells that share a ``seed_cell`` (e.g. the same factorial cell with and without the
  learning channel) run on the same seeds: a paired comparison.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collabsim.model import resolve_seed
from collabsim.params import validate
from collabsim.replication.criteria import PatternSpec

__all__ = [
    "Cell",
    "RunSpec",
    "bootstrap_rng",
    "cell_seeds",
    "make_cell",
    "pattern_key",
    "run_specs",
]

_RUN_STREAM, _BOOT_STREAM = 0, 1


@dataclass(frozen=True)
class Cell:
    """One cell of a design.

    Attributes:
        labels: Factor values that identify the cell in tables (column name -> value).
        params: Parameter overrides of the cell's runs (validated declared parameters).
        seed_cell: Index of the cell's seed stream (cells sharing it run on the same seeds).
    """

    labels: dict[str, Any]
    params: dict[str, Any]
    seed_cell: int


@dataclass(frozen=True)
class RunSpec:
    """One run to do: which pattern and cell it belongs to, its parameters and its seed."""

    pattern: str
    cell: int
    rep: int
    seed: int
    params: dict[str, Any] = field(repr=False)
    series: tuple[str, ...] = ()


def pattern_key(name: str) -> int:
    """A stable integer for a pattern name (its CRC-32), used in seed spawn keys."""
    return zlib.crc32(name.encode("utf-8"))


def cell_seeds(root_seed: int, pattern: str, seed_cell: int, n: int) -> list[int]:
    """The first ``n`` integer seeds of a pattern's seed cell."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(pattern_key(pattern), _RUN_STREAM, seed_cell))
    return [resolve_seed(child) for child in ss.spawn(n)]


def bootstrap_rng(root_seed: int, pattern: str) -> np.random.Generator:
    """The generator of a pattern's bootstrap draws."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(pattern_key(pattern), _BOOT_STREAM))
    return np.random.default_rng(ss)


def make_cell(labels: dict[str, Any], params: dict[str, Any], seed_cell: int) -> Cell:
    """A cell with validated parameter overrides (bad levels fail with the key and range)."""
    return Cell(dict(labels), validate(params, partial=True), seed_cell)


def run_specs(
    spec: PatternSpec,
    cells: list[Cell],
    root_seed: int,
    n_seeds: int,
    series: tuple[str, ...] = (),
) -> list[RunSpec]:
    """Every run of a pattern: ``n_seeds`` per cell, in cell order then seed order."""
    cache: dict[int, list[int]] = {}
    out = []
    for i, cell in enumerate(cells):
        if cell.seed_cell not in cache:
            cache[cell.seed_cell] = cell_seeds(root_seed, spec.name, cell.seed_cell, n_seeds)
        for k, seed in enumerate(cache[cell.seed_cell]):
            out.append(RunSpec(spec.name, i, k, seed, cell.params, series))
    return out
