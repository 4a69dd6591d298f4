"""The calibration's declaration: ``configs/calibration.toml`` read and checked.

The file names the weights to calibrate (each a declared parameter of :mod:`collabsim.params`;
its prior is its declared range unless the file narrows it), the calibration-target patterns'
seeds per particle, the distance, the tolerance (epsilon) schedule, the population size, the
number of generations and the other stopping rules, and the size of the posterior-predictive
replication. Which patterns are targets is *not* declared here: it is read from the labels of
``configs/replication.toml`` (:func:`target_patterns`). Every problem raises
:class:`~collabsim.config.ConfigError` with one line naming the file, the key, the value and
what is allowed.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collabsim.config import ConfigError, configs_dir
from collabsim.params import Param, ParamError, get, validate
from collabsim.replication.criteria import check_number as _number
from collabsim.replication.spec import Criteria, PatternSpec

__all__ = [
    "CALIBRATION_FILE",
    "DISTANCES",
    "EPSILONS",
    "CalibrationConfig",
    "Prior",
    "held_out_patterns",
    "load_calibration",
    "target_parts",
    "target_patterns",
]

#: File name of the calibration's declaration in the configs directory.
CALIBRATION_FILE = "calibration.toml"
#: Distances the file may choose (see :mod:`collabsim.calibration.statistics`).
DISTANCES = ("criteria", "observed")
#: Tolerance schedules the file may choose.
EPSILONS = ("quantile", "list")

_TOP = {
    "root_seed",
    "weights",
    "population",
    "generations",
    "minimum_epsilon",
    "min_acceptance_rate",
    "max_simulations",
    "batch",
    "patterns",
}
_TABLES = {"calibration", "priors", "seeds", "distance", "epsilon", "observed", "posterior"}
_DISTANCE = {"kind", "p", "default_scale", "undefined_shortfall", "scale"}
_EPSILON = {"kind", "alpha", "values"}
_OBSERVED = {"truth", "seed", "seeds"}
_POSTERIOR = {"sets", "seeds", "level", "interval"}


@dataclass(frozen=True)
class Prior:
    """A uniform prior on one weight.

    Attributes:
        name: The declared parameter.
        low: Lower bound.
        high: Upper bound.
        integer: The parameter is an integer (a drawn value is rounded before a run).
    """

    name: str
    low: float
    high: float
    integer: bool = False

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low

    def value(self, x: float) -> float | int:
        """A drawn value as the model takes it (rounded and clipped for an integer)."""
        if self.integer:
            return int(min(max(round(x), math.ceil(self.low)), math.floor(self.high)))
        return float(x)


@dataclass(frozen=True)
class CalibrationConfig:
    """The whole calibration declaration.

    Attributes:
        priors: One uniform prior per calibrated weight, in the file's order.
        root_seed: Root of every proposal and run seed.
        population: Accepted particles per generation.
        generations: Most generations (populations) to run.
        minimum_epsilon: Stop once the tolerance is at or below this.
        min_acceptance_rate: Stop once a generation's acceptance rate falls below this.
        max_simulations: Stop after this many particle evaluations (0: no limit).
        batch: Particles per engine task.
        patterns: The calibration-target patterns used (all targets unless the file names a
            subset), in the criteria file's order.
        seeds: Seeds per design cell of each pattern, per particle.
        distance: ``"criteria"`` (how far each target part is from passing) or ``"observed"``
            (distance to statistics observed in pseudo-data).
        p: The p of the p-norm that combines the statistics.
        scales: Criteria distance: the scale of each target part (``pattern.part``).
        undefined_shortfall: Criteria distance: the scaled shortfall of a part whose deciding
            number is undefined (e.g. a median when fewer than half reach the event).
        epsilon: ``"quantile"`` (each tolerance the ``alpha`` quantile of the last
            generation's distances) or ``"list"`` (the declared ``values``).
        alpha: The quantile of a quantile schedule.
        epsilon_values: The tolerances of a list schedule.
        truth: Observed distance: the weights that make the pseudo-data.
        observed_seed: Observed distance: root seed of the pseudo-data's runs.
        observed_seeds: Observed distance: seeds per cell of each pattern in the pseudo-data
            (a larger study than one particle's runs; default: ``seeds``).
        posterior_sets: Posterior parameter sets the posterior-predictive replication runs.
        posterior_seeds: Seeds per cell of each held-out pattern per set ({}: seeds_quick).
        level: Confidence level of the posterior-predictive shares' intervals.
        interval: Central posterior interval reported per weight (e.g. 0.9).
        path: Where the file was read from.
        raw: The file's parsed contents (stored with the results).
    """

    priors: tuple[Prior, ...]
    root_seed: int
    population: int
    generations: int
    minimum_epsilon: float
    min_acceptance_rate: float
    max_simulations: int
    batch: int
    patterns: tuple[str, ...]
    seeds: dict[str, int]
    distance: str
    p: float
    scales: dict[str, float]
    undefined_shortfall: float
    epsilon: str
    alpha: float
    epsilon_values: tuple[float, ...]
    truth: dict[str, Any] = field(default_factory=dict)
    observed_seed: int = 0
    observed_seeds: dict[str, int] = field(default_factory=dict)
    posterior_sets: int = 50
    posterior_seeds: dict[str, int] = field(default_factory=dict)
    level: float = 0.95
    interval: float = 0.9
    path: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The calibrated weights, in order."""
        return [p.name for p in self.priors]

    def prior(self, name: str) -> Prior:
        """The prior of one weight."""
        for p in self.priors:
            if p.name == name:
                return p
        raise KeyError(name)


def target_parts(spec: PatternSpec) -> list[str]:
    """The letters of a pattern's parts labelled calibration targets."""
    return [p.id for p in spec.parts if p.calibration == "target"]


def target_patterns(criteria: Criteria) -> list[str]:
    """The patterns with a part labelled calibration target, in the criteria file's order."""
    return [name for name, spec in criteria.patterns.items() if target_parts(spec)]


def held_out_patterns(criteria: Criteria) -> list[str]:
    """The patterns every part of which is held out of calibration, in file order."""
    return [name for name, spec in criteria.patterns.items() if spec.held_out]


def _keys(where: str, table: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {what} must be a table")
    extra = sorted(set(table) - allowed)
    if extra:
        raise ConfigError(
            f"{where}: unknown key {extra[0]!r} in {what} (allowed: {', '.join(sorted(allowed))})"
        )
    return table


def _weight(where: str, name: Any) -> Param:
    if not isinstance(name, str):
        raise ConfigError(f"{where}: weights: {name!r} is not a parameter name")
    try:
        param = get(name)
    except ParamError as exc:
        raise ConfigError(f"{where}: weights: {exc}") from None
    if param.kind not in ("float", "int"):
        raise ConfigError(
            f"{where}: weights: {name!r} is a {param.kind} parameter ({param.range_text()}): "
            f"only numeric weights can be calibrated"
        )
    return param


def _prior(where: str, param: Param, given: Any) -> Prior:
    low, high = float(param.low), float(param.high)  # type: ignore[arg-type]
    if given is None:
        return Prior(param.name, low, high, param.kind == "int")
    ok = (
        isinstance(given, list)
        and len(given) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in given)
    )
    if not ok or not low <= given[0] < given[1] <= high:
        raise ConfigError(
            f"{where}: priors.{param.name} = {given!r} is not valid: expected [low, high] with "
            f"low < high inside the declared range {param.range_text()}"
        )
    return Prior(param.name, float(given[0]), float(given[1]), param.kind == "int")


def load_calibration(
    criteria: Criteria, path: str | os.PathLike[str] | None = None
) -> CalibrationConfig:
    """Read and check the calibration's declaration.

    Args:
        criteria: The replication criteria (their labels say which patterns are targets).
        path: The file (default ``calibration.toml`` in :func:`collabsim.config.configs_dir`).

    Raises:
        ConfigError: naming the file, the key, the value and what is allowed.
    """
    p = Path(path) if path is not None else configs_dir() / CALIBRATION_FILE
    where = str(p)
    if not p.is_file():
        raise ConfigError(f"calibration file {where!r} does not exist")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read calibration file {where!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"calibration file {where!r} is not valid TOML: {exc}") from None
    _keys(where, data, _TABLES, "the file")
    top = _keys(where, data.get("calibration"), _TOP, "[calibration]")
    for key in ("root_seed", "weights", "population", "generations"):
        if key not in top:
            raise ConfigError(f"{where}: [calibration] is missing {key!r}")
    weights = top["weights"]
    if not isinstance(weights, list) or not weights:
        raise ConfigError(f"{where}: weights must be a non-empty list of parameter names")
    if len(set(map(str, weights))) != len(weights):
        raise ConfigError(f"{where}: weights: a name is listed twice")
    params = [_weight(where, w) for w in weights]
    given = _keys(where, data.get("priors", {}), {q.name for q in params}, "[priors]")
    priors = tuple(_prior(where, q, given.get(q.name)) for q in params)

    targets = target_patterns(criteria)
    names = top.get("patterns", targets)
    if not isinstance(names, list) or not names:
        raise ConfigError(f"{where}: patterns must be a non-empty list of pattern names")
    for n in names:
        if not isinstance(n, str) or n not in criteria.patterns:
            raise ConfigError(
                f"{where}: patterns: {n!r} is not a declared pattern "
                f"(declared: {', '.join(criteria.patterns)})"
            )
        if n not in targets:
            raise ConfigError(
                f"{where}: patterns: {n!r} is held out of calibration in {criteria.path} "
                f"(calibration targets: {', '.join(targets)})"
            )
    patterns = tuple(n for n in targets if n in names)
    seeds_given = _keys(where, data.get("seeds", {}), set(patterns), "[seeds]")
    seeds = {
        n: int(_number(where, f"seeds.{n}", seeds_given.get(n, criteria.patterns[n].seeds_quick),
                       1, 100000, True))
        for n in patterns
    }  # fmt: skip

    dist = _keys(where, data.get("distance", {}), _DISTANCE, "[distance]")
    kind = dist.get("kind", "criteria")
    if kind not in DISTANCES:
        raise ConfigError(
            f"{where}: distance.kind = {kind!r} is not valid: expected one of "
            f"{', '.join(DISTANCES)}"
        )
    parts = [f"{n}.{x}" for n in patterns for x in target_parts(criteria.patterns[n])]
    scale_given = _keys(where, dist.get("scale", {}), set(parts), "[distance.scale]")
    default_scale = float(_number(where, "distance.default_scale", dist.get("default_scale", 0.05),
                                  1e-9, 1e9, False))  # fmt: skip
    scales = {
        k: float(_number(where, f"distance.scale.{k}", scale_given.get(k, default_scale),
                         1e-9, 1e9, False))
        for k in parts
    }  # fmt: skip

    truth: dict[str, Any] = {}
    observed_seed = 0
    observed_seeds = dict(seeds)
    obs = _keys(where, data.get("observed", {}), _OBSERVED, "[observed]")
    if kind == "observed":
        if "truth" not in obs:
            raise ConfigError(f"{where}: distance.kind = 'observed' needs [observed] truth")
        t = _keys(where, obs["truth"], {q.name for q in priors}, "observed.truth")
        try:
            truth = validate(t, partial=True)
        except ParamError as exc:
            raise ConfigError(f"{where}: observed.truth: {exc}") from None
        observed_seed = int(_number(where, "observed.seed", obs.get("seed", 0), 0, 2**63, True))
        given_seeds = _keys(where, obs.get("seeds", {}), set(patterns), "observed.seeds")
        for n, v in given_seeds.items():
            observed_seeds[n] = int(_number(where, f"observed.seeds.{n}", v, 1, 100000, True))
    elif obs:
        raise ConfigError(f"{where}: [observed] is only read when distance.kind = 'observed'")

    eps = _keys(where, data.get("epsilon", {}), _EPSILON, "[epsilon]")
    ekind = eps.get("kind", "quantile")
    if ekind not in EPSILONS:
        raise ConfigError(
            f"{where}: epsilon.kind = {ekind!r} is not valid: expected one of {', '.join(EPSILONS)}"
        )
    alpha = float(_number(where, "epsilon.alpha", eps.get("alpha", 0.5), 0.01, 0.99, False))
    values: tuple[float, ...] = ()
    if ekind == "list":
        raw_values = eps.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            raise ConfigError(f"{where}: epsilon.kind = 'list' needs a non-empty list 'values'")
        values = tuple(
            float(_number(where, f"epsilon.values[{i}]", v, 0, 1e12, False))
            for i, v in enumerate(raw_values)
        )

    post = _keys(where, data.get("posterior", {}), _POSTERIOR, "[posterior]")
    held = held_out_patterns(criteria)
    post_seeds = _keys(where, post.get("seeds", {}), set(held), "posterior.seeds")
    return CalibrationConfig(
        priors=priors,
        root_seed=int(_number(where, "root_seed", top["root_seed"], 0, 2**63, True)),
        population=int(_number(where, "population", top["population"], 2, 100000, True)),
        generations=int(_number(where, "generations", top["generations"], 1, 1000, True)),
        minimum_epsilon=float(
            _number(where, "minimum_epsilon", top.get("minimum_epsilon", 0.0), 0, 1e12, False)
        ),
        min_acceptance_rate=float(
            _number(where, "min_acceptance_rate", top.get("min_acceptance_rate", 0.0), 0, 1, False)
        ),
        max_simulations=int(
            _number(where, "max_simulations", top.get("max_simulations", 0), 0, 10**9, True)
        ),
        batch=int(_number(where, "batch", top.get("batch", 1), 1, 10000, True)),
        patterns=patterns,
        seeds=seeds,
        distance=kind,
        p=float(_number(where, "distance.p", dist.get("p", 1), 1, 1e3, False)),
        scales=scales,
        undefined_shortfall=float(
            _number(
                where,
                "distance.undefined_shortfall",
                dist.get("undefined_shortfall", 1.0),
                0,
                1e9,
                False,
            )
        ),
        epsilon=ekind,
        alpha=alpha,
        epsilon_values=values,
        truth=truth,
        observed_seed=observed_seed,
        observed_seeds=observed_seeds,
        posterior_sets=int(_number(where, "posterior.sets", post.get("sets", 50), 1, 100000, True)),
        posterior_seeds={
            k: int(_number(where, f"posterior.seeds.{k}", v, 1, 100000, True))
            for k, v in post_seeds.items()
        },
        level=float(_number(where, "posterior.level", post.get("level", 0.95), 0.5, 0.999, False)),
        interval=float(
            _number(where, "posterior.interval", post.get("interval", 0.9), 0.5, 0.999, False)
        ),
        path=where,
        raw=data,
    )
