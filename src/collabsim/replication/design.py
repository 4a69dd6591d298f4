"""Designs: a pattern's cells (group labels + parameter overrides) and its seeded run list.

Seeds. Pattern ``P`` of the criteria file owns the seed stream
``SeedSequence(root_seed, spawn_key=(crc32(P), 0, c))`` for its seed cell ``c`` and the
bootstrap stream ``SeedSequence(root_seed, spawn_key=(crc32(P), 1))``. Run ``k`` of a cell gets
the ``k``-th child of its cell's stream, turned into an integer and recorded with the run. So:

- a pattern's seeds do not depend on which other patterns run, nor on their order in the file;
- the quick design's runs are the first ``seeds_quick`` runs of the full design's cells;
- two cells that share a ``seed_cell`` (e.g. the arms of the mediation design, or a run and
  the same run with its first outcome forced) run on the same seeds: a paired comparison;
- a cell with ``seeds_factor`` k runs k times the pattern's seeds per cell (the first
  ``k * seeds_quick`` of them in the quick design);
- the second size of a pattern draws from its own streams, ``spawn_key=(crc32(P), 2, c)``.

Assumptions a student changes (``collabsim replicate --set`` / ``--scenario``) form the *base*
of every cell: a cell's parameters are the base, then the design's own settings on top (a
factor the design varies wins over the base), then the second size's overrides.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from collabsim.model import resolve_seed
from collabsim.params import validate
from collabsim.replication.spec import PatternSpec

__all__ = [
    "SIZE2_SUFFIX",
    "Cell",
    "RunSpec",
    "apply_base",
    "bootstrap_rng",
    "cell_seeds",
    "make_cell",
    "pattern_key",
    "run_specs",
]

_RUN_STREAM, _BOOT_STREAM, _SIZE2_STREAM = 0, 1, 2
#: Suffix of the pattern label of a pattern's second-size runs.
SIZE2_SUFFIX = "@size2"


@dataclass(frozen=True)
class Cell:
    """One cell of a design.

    Attributes:
        labels: Factor values that identify the cell in tables (column name -> value).
        params: Parameter overrides of the cell's runs (validated declared parameters).
        seed_cell: Index of the cell's seed stream (cells sharing it run on the same seeds).
        seeds_factor: The cell runs this many times the pattern's seeds per cell.
    """

    labels: dict[str, Any]
    params: dict[str, Any]
    seed_cell: int
    seeds_factor: int = 1


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


def cell_seeds(
    root_seed: int, pattern: str, seed_cell: int, n: int, *, size2: bool = False
) -> list[int]:
    """The first ``n`` integer seeds of a pattern's seed cell (of its second size if ``size2``)."""
    stream = _SIZE2_STREAM if size2 else _RUN_STREAM
    ss = np.random.SeedSequence(root_seed, spawn_key=(pattern_key(pattern), stream, seed_cell))
    return [resolve_seed(child) for child in ss.spawn(n)]


def bootstrap_rng(root_seed: int, pattern: str) -> np.random.Generator:
    """The generator of a pattern's bootstrap draws."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(pattern_key(pattern), _BOOT_STREAM))
    return np.random.default_rng(ss)


def make_cell(
    labels: dict[str, Any], params: dict[str, Any], seed_cell: int, seeds_factor: int = 1
) -> Cell:
    """A cell with validated parameter overrides (bad levels fail with the key and range)."""
    return Cell(dict(labels), validate(params, partial=True), seed_cell, seeds_factor)


def apply_base(
    cells: list[Cell], base: dict[str, Any], size2: dict[str, Any] | None = None
) -> list[Cell]:
    """The cells with the base under their own settings and ``size2`` over them (validated)."""
    return [
        Cell(
            c.labels,
            validate({**base, **c.params, **(size2 or {})}, partial=True),
            c.seed_cell,
            c.seeds_factor,
        )
        for c in cells
    ]


def run_specs(
    spec: PatternSpec,
    cells: list[Cell],
    root_seed: int,
    n_seeds: int,
    series: tuple[str, ...] = (),
    *,
    size2: bool = False,
    first_cell: int = 0,
) -> list[RunSpec]:
    """Every run of a pattern: ``n_seeds`` (times the cell's factor) per cell, cell by cell.

    Args:
        spec: The pattern.
        cells: The cells to run.
        root_seed: Root of the seeds.
        n_seeds: Seeds per cell (before each cell's ``seeds_factor``).
        series: Time-series columns to keep.
        size2: The runs belong to the pattern's second size (own seed streams and label).
        first_cell: Index of ``cells[0]`` in the pattern's cell list (for follow-up cells).
    """
    cache: dict[tuple[int, int], list[int]] = {}
    label = spec.name + (SIZE2_SUFFIX if size2 else "")
    out = []
    for i, cell in enumerate(cells):
        n = n_seeds * cell.seeds_factor
        key = (cell.seed_cell, n)
        if key not in cache:
            cache[key] = cell_seeds(root_seed, spec.name, cell.seed_cell, n, size2=size2)
        for k, seed in enumerate(cache[key]):
            out.append(RunSpec(label, first_cell + i, k, seed, cell.params, series))
    return out
