"""Summary statistics: the calibration-target patterns run at one parameter set and analysed.

A particle's model output is the replication's own analysis of the calibration-target patterns
(the patterns of ``configs/replication.toml`` with parts labelled ``calibration = "target"``),
run with the particle's weights under every design cell: the designs, seeds scheme, statistics
and criteria are those of :mod:`collabsim.replication`, called through
:func:`collabsim.replication.replicate.replicate`, never copied. Only the seeds per cell (the
calibration's ``[seeds]``) and the root seed (the particle's) differ from a replication.

Two readings of the analysis serve as summary statistics:

- ``"criteria"``: for each target part, how far it is from passing its declared criterion, in
  units of the part's declared scale: ``max(0, -margin) / scale``, where the margin is the
  replication's own distance of the deciding number from the criterion's threshold
  (:attr:`collabsim.replication.result.Check.margin`); a failing part whose deciding number is
  undefined counts ``undefined_shortfall``. All zero: every target part passes.
- ``"observed"``: every estimate of every target part (point values), to compare with the same
  statistics of pseudo-data (parameter recovery).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from collabsim.calibration.config import CalibrationConfig, target_parts
from collabsim.engine import Engine
from collabsim.replication.replicate import replicate
from collabsim.replication.result import PatternResult
from collabsim.replication.spec import Criteria

__all__ = [
    "SEED_KEY",
    "observed_statistics",
    "statistic_labels",
    "statistics",
    "target_criteria",
    "target_results",
]

#: Key of the run seed in a particle's statistics (recorded, never compared).
SEED_KEY = "seed"


def target_criteria(criteria: Criteria, config: CalibrationConfig) -> Criteria:
    """The criteria cut to the calibration's target patterns at its seeds per cell.

    The quick seed count of each pattern becomes the calibration's seeds per cell, and the
    second size is dropped (it is a check of held-out patterns, not a target statistic).
    """
    patterns = {
        name: dataclasses.replace(
            criteria.patterns[name],
            seeds_quick=config.seeds[name],
            size2={},
            seeds_size2_full=0,
            seeds_size2_quick=0,
        )
        for name in config.patterns
    }
    return dataclasses.replace(criteria, patterns=patterns)


def target_results(
    criteria: Criteria,
    params: Mapping[str, Any],
    root_seed: int,
    *,
    engine: Engine | None = None,
) -> dict[str, PatternResult]:
    """Run and analyse every pattern of ``criteria`` with ``params`` under every cell.

    Args:
        criteria: Criteria cut to the target patterns (:func:`target_criteria`).
        params: The weights (validated declared parameters) under every design cell.
        root_seed: Root of the runs' seeds (the replication's seed scheme under this root).
        engine: A running engine for the runs (this process if None).

    Returns:
        Pattern name -> its analysis (no figures drawn).
    """
    crit = dataclasses.replace(criteria, root_seed=int(root_seed))
    rep = replicate(
        crit, list(crit.patterns), quick=True, engine=engine, base=dict(params), figures=False
    )
    return rep.results


def statistics(results: Mapping[str, PatternResult], config: CalibrationConfig) -> dict[str, float]:
    """The summary statistics of one particle (see the module docstring), by key.

    Keys are ``pattern.part`` for the criteria distance and ``pattern.part.k`` (the part's
    ``k``-th estimate) for the observed distance.
    """
    out: dict[str, float] = {}
    for name, res in results.items():
        for part in target_parts(res.spec):
            check = res.check(part)
            if config.distance == "criteria":
                key = f"{name}.{part}"
                if math.isfinite(check.margin):
                    short = max(0.0, -check.margin) / config.scales[key]
                else:
                    short = 0.0 if check.passed else config.undefined_shortfall
                out[key] = float(short)
            else:
                for k, est in enumerate(check.estimates):
                    v = float(est.value)
                    out[f"{name}.{part}.{k}"] = v if math.isfinite(v) else math.inf
    return out


def statistic_labels(results: Mapping[str, PatternResult], config: CalibrationConfig) -> dict:
    """What each statistic key means, in words (stored with the results)."""
    out: dict[str, str] = {}
    for name, res in results.items():
        for part in target_parts(res.spec):
            check = res.check(part)
            if config.distance == "criteria":
                out[f"{name}.{part}"] = (
                    f"shortfall from '{check.criterion}' ({check.statistic}) in units of "
                    f"{config.scales[f'{name}.{part}']:g}"
                )
            else:
                for k, est in enumerate(check.estimates):
                    out[f"{name}.{part}.{k}"] = est.label
    return out


def observed_statistics(
    criteria: Criteria, config: CalibrationConfig, *, engine: Engine | None = None
) -> tuple[dict[str, float], dict[str, str]]:
    """The statistics the distance compares with, and their labels.

    For the criteria distance every statistic is 0 (every target part passes); the labels come
    from one analysis at the declared defaults. For the observed distance they are the
    statistics of pseudo-data: the target patterns run at the declared ``truth`` (other
    weights at their defaults) from root seed ``observed_seed``, at ``observed_seeds`` seeds per
    cell.

    Raises:
        ValueError: a statistic of the pseudo-data is undefined (it could not be matched).
    """
    crit = target_criteria(criteria, config)
    if config.distance == "criteria":
        res = target_results(crit, {}, config.root_seed, engine=engine)
        return {k: 0.0 for k in statistics(res, config)}, statistic_labels(res, config)
    study = target_criteria(criteria, dataclasses.replace(config, seeds=config.observed_seeds))
    res = target_results(study, config.truth, config.observed_seed, engine=engine)
    stats = statistics(res, config)
    bad = [k for k, v in stats.items() if not math.isfinite(v)]
    if bad:
        raise ValueError(
            f"statistic {bad[0]!r} of the pseudo-data is undefined: choose other weights, "
            f"seeds or patterns for the observed distance"
        )
    return stats, statistic_labels(res, config)
