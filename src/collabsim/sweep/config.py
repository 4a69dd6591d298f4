"""Sweep declarations in TOML: a ``[sweep]`` table and a ``[design]`` table, with clear errors.

A sweep file looks like this (see ``configs/sweep_*.toml`` and ``docs/researchers.md``)::

    [sweep]
    name = "turnover-navigator"
    scenario = "baseline"      # base scenario: a packaged name or a .toml path
    replicates = 20
    root_seed = 2025
    chunk_size = 500           # runs per chunk file (optional)
    series = ["public_value", "cross_trust"]   # weekly series to keep (optional; or "all")
    series_every = 4           # keep weeks 0, 4, 8, ... of them (optional, default 1)

    [sweep.set]                # fixed overrides of the scenario (optional)
    weeks = 104

    [design]
    method = "grid"            # grid | lhs | sobol | morris
    params = ["turnover_rate", "navigator"]   # or "all" / "levers"
    # n = 1024                 # lhs samples, Sobol base size (a power of two), Morris trajectories
    # seed = 1                 # sampler seed (default: the root seed)
    # second_order = false     # Sobol
    # morris_levels = 4        # Morris
    # grid_levels = 3          # grid: levels of a number without explicit levels
    # exclude = ["weeks"]

    [design.bounds]            # narrower ranges (default: the declared ranges)
    turnover_rate = [0.0, 0.5]

    [design.levels]            # grid levels, or a subset of a categorical parameter's choices
    turnover_rate = [0.0, 0.15, 0.3, 0.5]

Every problem raises :class:`~collabsim.config.ConfigError` (a :class:`DesignError` for the
design) or :class:`~collabsim.params.ParamError`, one line naming the file, key and value.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from collabsim.config import ConfigError, apply_overrides, find_config, load_scenario
from collabsim.params import ParamError, validate
from collabsim.sweep.designs import Design, DesignError, Factor, factors_from_params, make_design
from collabsim.sweep.runner import DEFAULT_CHUNK_SIZE, Sweep, check_series

__all__ = [
    "base_from_table",
    "check_keys",
    "design_from_table",
    "factors_from_table",
    "int_value",
    "load_sweep",
    "read_config",
    "resolve_config",
]

_SWEEP_KEYS = {
    "name",
    "description",
    "scenario",
    "replicates",
    "root_seed",
    "chunk_size",
    "series",
    "series_every",
    "set",
}
_DESIGN_KEYS = {
    "method",
    "params",
    "exclude",
    "bounds",
    "levels",
    "n",
    "seed",
    "second_order",
    "morris_levels",
    "grid_levels",
    "dummy",
}


def resolve_config(name_or_path: str | os.PathLike[str]) -> Path:
    """A packaged config by name, or a file by path (:func:`collabsim.config.find_config`)."""
    return find_config(name_or_path, "config")


def read_config(path: Path, allowed: set[str]) -> dict[str, Any]:
    """Parse a TOML file and check its top-level tables."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    for key, value in data.items():
        if key not in allowed:
            raise ConfigError(
                f"{path}: unknown table {key!r} (allowed: {', '.join(sorted(allowed))})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {key!r} must be a table")
    return data


def check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Raise :class:`ConfigError` naming the first key of ``table`` not in ``allowed``."""
    for key in table:
        if key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
            )


def int_value(table: Mapping[str, Any], key: str, default: Any, low: int, where: str) -> Any:
    """``table[key]`` (or ``default``) checked to be an integer of at least ``low``."""
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}: {key} = {value!r} is not valid: expected an integer >= {low}")
    return value


def factors_from_table(table: Mapping[str, Any], where: str, method: str = "sobol") -> list[Factor]:
    """The factors of a ``[design]`` table (``params``, ``exclude``, ``bounds``, ``levels``)."""
    params = table.get("params")
    if params is None:
        raise DesignError(f"{where}: 'params' is missing (a list of names, 'all' or 'levers')")
    if not isinstance(params, str | list):
        raise DesignError(f"{where}: params = {params!r} is not valid: expected a list of names")
    for key in ("bounds", "levels"):
        if not isinstance(table.get(key, {}), dict):
            raise DesignError(f"{where}: '{key}' must be a table of parameter = [values]")
    exclude = table.get("exclude", [])
    if not isinstance(exclude, list):
        raise DesignError(f"{where}: exclude = {exclude!r} is not valid: expected a list of names")
    try:
        return factors_from_params(
            params,
            bounds=table.get("bounds"),
            levels=table.get("levels"),
            exclude=exclude,
            method=method,
        )
    except DesignError as exc:
        raise DesignError(f"{where}: {exc}") from None
    except ParamError as exc:
        raise ParamError(f"{where}: {exc}") from None


def design_from_table(
    table: Mapping[str, Any],
    where: str,
    *,
    method: str | None = None,
    n: int | None = None,
    dummy: bool = False,
    seed: int = 0,
    extra: Mapping[str, Any] | None = None,
) -> Design:
    """Build a :class:`Design` from a ``[design]`` table.

    Args:
        table: The table's contents.
        where: File (and table) named in error messages.
        method: Overrides ``method`` in the table (the sensitivity analysis sets it).
        n: Overrides ``n`` in the table.
        dummy: Add the dummy factor (``dummy = true`` in the table does the same).
        seed: Sampler seed when the table gives none.
        extra: Further keyword arguments for :func:`make_design`.
    """
    check_keys(table, _DESIGN_KEYS, where)
    method = method or table.get("method")
    if method is None:
        raise DesignError(f"{where}: 'method' is missing (grid, lhs, sobol or morris)")
    factors = factors_from_table(table, where, method=str(method))
    try:
        kwargs: dict[str, Any] = {
            "n": n if n is not None else table.get("n"),
            "seed": table.get("seed", seed),
            "dummy": bool(table.get("dummy", dummy)),
        }
        if method == "sobol":
            kwargs["second_order"] = bool(table.get("second_order", False))
        if method == "morris" and "morris_levels" in table:
            kwargs["morris_levels"] = table["morris_levels"]
        if method == "grid" and "grid_levels" in table:
            kwargs["grid_levels"] = table["grid_levels"]
        kwargs.update(extra or {})
        return make_design(str(method), factors, **kwargs)
    except DesignError as exc:
        raise DesignError(f"{where}: {exc}") from None


def base_from_table(
    table: Mapping[str, Any], where: str, config_path: Path, overrides: Iterable[str] = ()
) -> tuple[dict[str, Any], str]:
    """The fixed parameters of a sweep: a base scenario, its ``set`` table and ``--set`` overrides.

    Returns:
        ``(base parameters, scenario name)``.
    """
    scenario = table.get("scenario", "baseline")
    if not isinstance(scenario, str):
        raise ConfigError(f"{where}: scenario = {scenario!r} is not valid: expected a name or path")
    ref: str | Path = scenario
    if scenario.endswith(".toml") and not Path(scenario).is_absolute():
        ref = config_path.parent / scenario
    sc = load_scenario(ref)
    fixed = table.get("set", {})
    if not isinstance(fixed, dict):
        raise ConfigError(f"{where}: 'set' must be a table of parameter = value")
    try:
        fixed = validate(fixed, partial=True)
    except ParamError as exc:
        raise ParamError(f"{where}.set: {exc}") from None
    sc = apply_overrides(sc, overrides)
    return {**sc.params, **fixed, **sc.overrides}, sc.name


def load_sweep(
    name_or_path: str | os.PathLike[str],
    *,
    overrides: Iterable[str] = (),
    root_seed: int | None = None,
    replicates: int | None = None,
) -> Sweep:
    """Load a sweep declaration (``[sweep]`` and ``[design]`` tables).

    Args:
        name_or_path: A config name in ``configs/`` or a path.
        overrides: ``key=value`` strings fixing parameters (the command line's ``--set``).
        root_seed: Overrides ``root_seed``.
        replicates: Overrides ``replicates``.
    """
    path = resolve_config(name_or_path)
    data = read_config(path, {"sweep", "design"})
    if "design" not in data:
        raise ConfigError(f"{path}: a [design] table is needed")
    table = data.get("sweep", {})
    where = f"{path} [sweep]"
    check_keys(table, _SWEEP_KEYS, where)
    base, _ = base_from_table(table, where, path, overrides)
    seed = root_seed if root_seed is not None else int_value(table, "root_seed", 2025, 0, where)
    design = design_from_table(data["design"], f"{path} [design]", seed=seed)
    series = check_series(table.get("series", ()), key=f"{where}: series")
    every = int_value(table, "series_every", 1, 1, where)
    if every != 1 and not series:
        raise ConfigError(
            f"{where}: series_every = {every!r} is not valid without series: name the weekly "
            f"series to keep (series = [...]) or leave series_every out"
        )
    fixed = {*table.get("set", {}), *(t.split("=", 1)[0].strip() for t in overrides)}
    clash = sorted(fixed & set(design.names))
    if clash:
        raise ConfigError(
            f"{where}: {clash[0]!r} is both fixed ([sweep.set] or --set) and varied in [design]"
        )
    return Sweep(
        name=str(table.get("name", path.stem)),
        design=design,
        base=base,
        replicates=replicates or int_value(table, "replicates", 1, 1, where),
        root_seed=seed,
        chunk_size=int_value(table, "chunk_size", DEFAULT_CHUNK_SIZE, 1, where),
        description=str(table.get("description", "")),
        source=str(path),
        series=series,
        series_every=every,
    )
