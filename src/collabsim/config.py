"""Scenarios: TOML files in ``configs/`` turned into validated parameters, with clear errors.

A scenario file has a ``[scenario]`` table (``name``, ``description``, ``sources``) and a
``[params]`` table whose keys are declared parameters. :func:`load_scenario` accepts a scenario
name (looked up in the configs directory) or a path. :func:`apply_overrides` applies
``key=value`` strings from the command line. Every problem raises :class:`ConfigError` (or
:class:`~collabsim.params.ParamError`) with one line naming the file, key, value and what is
allowed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collabsim.params import ParamError, get, validate

__all__ = [
    "ConfigError",
    "Scenario",
    "apply_overrides",
    "configs_dir",
    "list_scenarios",
    "load_scenario",
]

_TABLES = {"scenario", "params"}
_SCENARIO_KEYS = {"name", "description", "sources", "title"}


class ConfigError(ValueError):
    """A scenario or config file cannot be used; the message says which and why."""


@dataclass
class Scenario:
    """A named, validated set of parameter values."""

    name: str
    params: dict[str, Any]
    description: str = ""
    title: str = ""
    sources: list[str] = field(default_factory=list)
    path: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)

    def resolved(self) -> dict[str, Any]:
        """Every parameter's value for this scenario (defaults filled in), validated."""
        return validate(self.params)


def configs_dir() -> Path:
    """The directory holding scenario files.

    ``$COLLABSIM_CONFIGS`` if set; otherwise ``./configs`` if it exists; otherwise the
    repository's ``configs/`` next to ``src/``.
    """
    env = os.environ.get("COLLABSIM_CONFIGS")
    if env:
        return Path(env)
    local = Path.cwd() / "configs"
    if local.is_dir():
        return local
    return Path(__file__).resolve().parents[2] / "configs"


def list_scenarios() -> list[Scenario]:
    """Every scenario file in :func:`configs_dir` (files with a ``[scenario]`` table)."""
    out = []
    for path in sorted(configs_dir().glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if "scenario" in data and "params" in data:
            out.append(_from_data(data, path))
    return out


def _exists(path: Path) -> bool:
    """``path.exists()``, False for names the system cannot even look up (too long, NUL)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the system cannot even look up (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _resolve_path(name_or_path: str | os.PathLike[str]) -> Path:
    text = str(name_or_path)
    if not text.strip():
        raise ConfigError("empty scenario name: give a scenario name or a .toml path")
    path = Path(text)
    if path.suffix == ".toml" or os.sep in text or _exists(path):
        if not _exists(path):
            raise ConfigError(f"config file {text!r} does not exist")
        if not _is_file(path):
            raise ConfigError(f"config path {text!r} is not a file")
        return path
    candidate = configs_dir() / f"{text}.toml"
    if _is_file(candidate):
        return candidate
    known = ", ".join(s.name for s in list_scenarios()) or "none found"
    raise ConfigError(f"unknown scenario {text!r}: known scenarios are {known}")


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario by name (in ``configs/``) or by path.

    Raises:
        ConfigError: the file is missing, unreadable, not TOML, or has an unknown table.
        ParamError: a parameter key is unknown or its value is out of range.
    """
    path = _resolve_path(name_or_path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {str(path)!r}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"config file {str(path)!r} is not UTF-8 text") from None
    if not text.strip():
        raise ConfigError(f"config file {str(path)!r} is empty: it needs a [params] table")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    return _from_data(data, path)


def _from_data(data: dict[str, Any], path: Path) -> Scenario:
    where = str(path)
    for key in data:
        if key not in _TABLES:
            raise ConfigError(
                f"{where}: unknown table or key {key!r} at top level "
                f"(allowed: [scenario] and [params])"
            )
    meta = data.get("scenario", {})
    params = data.get("params", {})
    if not isinstance(meta, dict) or not isinstance(params, dict):
        raise ConfigError(f"{where}: [scenario] and [params] must be tables")
    for key in meta:
        if key not in _SCENARIO_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r} in [scenario] "
                f"(allowed: {', '.join(sorted(_SCENARIO_KEYS))})"
            )
    for key, value in params.items():
        if isinstance(value, dict | list):
            raise ConfigError(f"{where}: [params] {key!r} must be a single value, not {value!r}")
    try:
        checked = validate(params, partial=True)
    except ParamError as exc:
        raise ParamError(f"{where}: {exc}") from None
    sources = meta.get("sources", [])
    return Scenario(
        name=str(meta.get("name", path.stem)),
        params=checked,
        description=str(meta.get("description", "")),
        title=str(meta.get("title", "")),
        sources=[str(s) for s in sources] if isinstance(sources, list) else [str(sources)],
        path=where,
    )


def parse_override(text: str) -> tuple[str, Any]:
    """Parse one ``key=value`` string into a validated ``(key, value)`` pair."""
    if "=" not in text:
        raise ConfigError(f"--set {text!r} is not key=value")
    key, value = text.split("=", 1)
    key = key.strip()
    param = get(key)
    return key, param.check(value.strip())


def apply_overrides(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """Return ``scenario`` with ``key=value`` overrides applied and validated."""
    extra = dict(parse_override(t) for t in overrides)
    if not extra:
        return scenario
    params = {**scenario.params, **extra}
    return Scenario(
        name=scenario.name,
        params=params,
        description=scenario.description,
        title=scenario.title,
        sources=scenario.sources,
        path=scenario.path,
        overrides={**scenario.overrides, **extra},
    )
