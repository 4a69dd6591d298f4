"""Declared sensitivity analyses: the settings of an analysis and the ``configs/sa_*.toml`` loader.

:class:`Settings` says how to analyse (methods, sample sizes, bootstrap, noise rules);
:class:`SAConfig` is one analysis read from TOML by :func:`load_sa_config`, which checks every
key and builds the designs once so a bad value fails before any run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from collabsim.config import ConfigError
from collabsim.outcomes import SUMMARY_KEYS
from collabsim.sweep.designs import Factor, make_design

__all__ = [
    "CENSORED",
    "METHODS",
    "OUTCOMES",
    "SAConfig",
    "Settings",
    "check_outcomes",
    "load_sa_config",
    "settings_dict",
]

#: Analyses offered, in the order they run.
METHODS: tuple[str, ...] = ("sobol", "morris", "pawn", "delta")
#: Outcomes analysed by default (per-run summary keys).
OUTCOMES: tuple[str, ...] = (
    "collective_impact",
    "weeks_to_first_win",
    "perished",
    "learning_share",
)
#: Time-to-event outcomes: NaN (the event never happened) is censored at the run's horizon.
CENSORED: tuple[str, ...] = (
    "weeks_to_first_win",
    "weeks_to_impact",
    "perished_week",
    "first_setback_week",
)
#: Outcomes that are not numbers per run and cannot be analysed.
_NOT_OUTCOMES = {"seed"}


@dataclass(frozen=True)
class Settings:
    """How to analyse.

    Attributes:
        outcomes: Outcome columns to analyse.
        methods: Any of :data:`METHODS`.
        sobol_n: Sobol base sample size ``N`` (a power of two).
        second_order: Also compute second-order Sobol indices (``N (2D + 2)`` points).
        morris_trajectories: Morris trajectories ``r`` (``r (D + 1)`` points).
        morris_levels: Levels of the Morris grid.
        pawn_slices: PAWN conditioning slices.
        pawn_resamples: PAWN bootstrap resamples (0: no interval).
        num_resamples: Bootstrap resamples for the Sobol and Morris intervals.
        conf_level: Confidence level of every interval.
        seed: Seed of the samplers and of the bootstraps.
        dummy: Add the dummy factor (the noise floor).
        convergence: Re-analyse Sobol at ``N/4`` and ``N/2`` too.
        convergence_tol: The convergence verdict's tolerance: Sobol has converged when no
            total index moves by more than this from ``N/2`` to ``N`` and every total-index
            interval is within this of its estimate.
        max_undefined: Largest share of design points without a value of an outcome (no
            replicate defined it, so it would be imputed) that is still analysed; an outcome
            above it is refused with a message.
        noise_target: Share of seed noise in the point means at which the dummy counts as
            sitting at the noise floor; the report suggests the replicates that reach it.
        delta_resamples: Bootstrap resamples of the delta indices.
        groups: Parameter groups for Sobol, as ``((group, (name, ...)), ...)``; parameters
            in no group are their own group.
    """

    outcomes: tuple[str, ...] = OUTCOMES
    methods: tuple[str, ...] = METHODS
    sobol_n: int = 1024
    second_order: bool = False
    morris_trajectories: int = 20
    morris_levels: int = 4
    pawn_slices: int = 10
    pawn_resamples: int = 50
    num_resamples: int = 200
    conf_level: float = 0.95
    seed: int = 2025
    dummy: bool = True
    convergence: bool = True
    convergence_tol: float = 0.05
    max_undefined: float = 0.2
    noise_target: float = 0.1
    delta_resamples: int = 10
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ConfigError(
                f"methods = {list(self.methods)!r} is not valid: expected one or more of "
                f"{', '.join(METHODS)}"
            )
        if not 0 < self.conf_level < 1:
            raise ConfigError(f"conf_level = {self.conf_level!r} is not valid: expected 0 < c < 1")
        for key in ("convergence_tol", "max_undefined", "noise_target"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise ConfigError(f"{key} = {value!r} is not valid: expected a number in (0, 1)")
        if self.groups and "morris" in self.methods:
            raise ConfigError(
                "groups are used by the Sobol analysis only: drop 'morris' from methods "
                "(or the groups)"
            )
        for key in ("num_resamples", "pawn_resamples", "pawn_slices", "delta_resamples"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{key} = {value!r} is not valid: expected an integer >= 0")
        if not self.outcomes:
            raise ConfigError("outcomes is empty: name at least one outcome")


def check_outcomes(outcomes: Sequence[str]) -> tuple[str, ...]:
    """Check that every outcome is a numeric per-run summary key."""
    valid = [k for k in SUMMARY_KEYS if k not in _NOT_OUTCOMES]
    for name in outcomes:
        if name not in valid:
            raise ConfigError(f"outcome {name!r} is not valid: expected one of {', '.join(valid)}")
    return tuple(outcomes)


def settings_dict(settings: Settings) -> dict[str, Any]:
    """The settings as a JSON-friendly dict."""
    out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()}
    out["groups"] = {g: list(names) for g, names in settings.groups}
    return out


_SA_KEYS = {
    "name",
    "description",
    "scenario",
    "replicates",
    "root_seed",
    "chunk_size",
    "set",
    "outcomes",
    "methods",
    "num_resamples",
    "conf_level",
    "dummy",
    "max_undefined",
    "noise_target",
}
_SECTION_KEYS = {
    "sobol": {"n", "second_order", "convergence", "tolerance", "groups"},
    "morris": {"trajectories", "levels"},
    "pawn": {"slices", "resamples"},
    "delta": {"resamples"},
}
#: Replicates per design point when a file does not say: measured on the baseline (LHS of the
#: key levers, 128 points x 8 replicates), seed noise is 34-62% of a single run's variance;
#: 10 replicates leave about 5-14% of it in the point means (docs/researchers.md).
DEFAULT_REPLICATES = 10


@dataclass
class SAConfig:
    """A sensitivity analysis declared in TOML (see ``configs/sa_*.toml``).

    Attributes:
        name: Short name (folders are named after it).
        description: Free text.
        source: The config file.
        scenario: Base scenario name.
        base: Fixed parameter values.
        factors: The parameters varied (without the dummy).
        settings: How to analyse.
        replicates: Runs per design point.
        root_seed: Root of the runs' seeds.
        chunk_size: Runs per chunk file of the sweeps.
    """

    name: str
    description: str
    source: str
    scenario: str
    base: dict[str, Any]
    factors: list[Factor]
    settings: Settings
    replicates: int = 1
    root_seed: int = 2025
    chunk_size: int = 1000


def load_sa_config(
    name_or_path: str | Path,
    *,
    overrides: Sequence[str] = (),
    n: int | None = None,
    replicates: int | None = None,
    root_seed: int | None = None,
    methods: Sequence[str] | None = None,
    max_undefined: float | None = None,
) -> SAConfig:
    """Load a sensitivity declaration; keyword arguments override the file.

    The file has a ``[sensitivity]`` table (name, scenario, replicates, root seed, outcomes,
    methods, bootstrap settings, ``max_undefined``, ``noise_target``, ``set``), a ``[design]``
    table (``params``, ``exclude``, ``bounds``, ``levels``) and optional ``[sobol]`` (with
    ``tolerance`` and a ``[sobol.groups]`` table of ``group = [names]``), ``[morris]``,
    ``[pawn]`` and ``[delta]`` tables. Replicates default to :data:`DEFAULT_REPLICATES`.
    """
    from collabsim.sweep.config import (
        base_from_table,
        check_keys,
        factors_from_table,
        int_value,
        read_config,
        resolve_config,
    )

    path = resolve_config(name_or_path)
    data = read_config(path, {"sensitivity", "design", *_SECTION_KEYS})
    table = data.get("sensitivity", {})
    where = f"{path} [sensitivity]"
    check_keys(table, _SA_KEYS, where)
    for section, keys in _SECTION_KEYS.items():
        check_keys(data.get(section, {}), keys, f"{path} [{section}]")
    if "design" not in data:
        raise ConfigError(f"{path}: a [design] table listing the parameters is needed")
    design = data["design"]
    check_keys(design, {"params", "exclude", "bounds", "levels"}, f"{path} [design]")
    factors = factors_from_table(design, f"{path} [design]", method="sobol")
    base, scenario = base_from_table(table, where, path, overrides)
    fixed = {*table.get("set", {}), *(t.split("=", 1)[0].strip() for t in overrides)}
    clash = sorted(fixed & {f.name for f in factors})
    if clash:
        raise ConfigError(f"{where}: {clash[0]!r} is both fixed and varied in [design]")
    seed = root_seed if root_seed is not None else int_value(table, "root_seed", 2025, 0, where)
    sobol_t, morris_t, pawn_t, delta_t = (
        data.get(k, {}) for k in ("sobol", "morris", "pawn", "delta")
    )
    outcomes = table.get("outcomes", list(OUTCOMES))
    if not isinstance(outcomes, list):
        raise ConfigError(f"{where}: outcomes = {outcomes!r} is not valid: expected a list")
    meths = list(methods) if methods is not None else table.get("methods", list(METHODS))
    if not isinstance(meths, list):
        raise ConfigError(f"{where}: methods = {meths!r} is not valid: expected a list")
    try:
        settings = Settings(
            outcomes=check_outcomes(outcomes),
            methods=tuple(meths),
            sobol_n=n if n is not None else int_value(sobol_t, "n", 1024, 2, f"{path} [sobol]"),
            second_order=bool(sobol_t.get("second_order", False)),
            convergence=bool(sobol_t.get("convergence", True)),
            morris_trajectories=int_value(morris_t, "trajectories", 20, 2, f"{path} [morris]"),
            morris_levels=int_value(morris_t, "levels", 4, 2, f"{path} [morris]"),
            pawn_slices=int_value(pawn_t, "slices", 10, 2, f"{path} [pawn]"),
            pawn_resamples=int_value(pawn_t, "resamples", 50, 0, f"{path} [pawn]"),
            num_resamples=int_value(table, "num_resamples", 200, 2, where),
            conf_level=float(table.get("conf_level", 0.95)),
            seed=seed,
            dummy=bool(table.get("dummy", True)),
            convergence_tol=_float(sobol_t, "tolerance", 0.05),
            max_undefined=(
                max_undefined if max_undefined is not None else _float(table, "max_undefined", 0.2)
            ),
            noise_target=_float(table, "noise_target", 0.1),
            delta_resamples=int_value(delta_t, "resamples", 10, 2, f"{path} [delta]"),
            groups=_groups(sobol_t.get("groups", {}), f"{path} [sobol.groups]"),
        )
    except ConfigError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    # Check the designs now, so a bad N fails before any run.
    for method, count in (("sobol", settings.sobol_n), ("morris", settings.morris_trajectories)):
        if method in settings.methods:
            try:
                make_design(
                    method,
                    factors,
                    n=count,
                    seed=seed,
                    morris_levels=settings.morris_levels,
                    groups=dict(settings.groups) if method == "sobol" and settings.groups else None,
                )
            except ConfigError as exc:
                raise type(exc)(f"{path} [{method}]: {exc}") from None
    return SAConfig(
        name=str(table.get("name", path.stem)),
        description=str(table.get("description", "")),
        source=str(path),
        scenario=scenario,
        base=base,
        factors=factors,
        settings=settings,
        replicates=replicates or int_value(table, "replicates", DEFAULT_REPLICATES, 1, where),
        root_seed=seed,
        chunk_size=int_value(table, "chunk_size", 1000, 1, where),
    )


def _float(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{key} = {value!r} is not valid: expected a number in (0, 1)")
    return float(value)


def _groups(table: Any, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: groups = {table!r} is not valid: expected group = [names]")
    out = []
    for group, names in table.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(
                f"{where}: {group} = {names!r} is not valid: expected a list of parameter names"
            )
        out.append((str(group), tuple(names)))
    return tuple(out)
