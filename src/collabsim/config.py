"""Scenarios: TOML files turned into validated parameters, with clear errors.

A scenario file has a ``[scenario]`` table (``name``, ``description``, ``sources``) and a
``[params]`` table whose keys are declared parameters. The scenarios and experiment configs
(sweeps, sensitivity analyses, the replication criteria) ship inside the package, in
``collabsim/configs/``, read with :mod:`importlib.resources` (:func:`configs_dir`); in the
repository that folder is the top-level ``configs/``.

A *name* (``"baseline"``) is always a packaged config; a *path* (it ends in ``.toml`` or has a
folder separator: ``my.toml``, ``./runs/x.toml``) is always a file. The current directory is
never searched for a name. :func:`load_scenario` loads either; :func:`apply_overrides` applies
``key=value`` strings from the command line. Every problem raises :class:`ConfigError` (or
:class:`~collabsim.params.ParamError`) with one line naming the file, key, value and what is
allowed.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from collabsim.params import ParamError, get, validate

__all__ = [
    "ConfigError",
    "Scenario",
    "apply_overrides",
    "configs_dir",
    "find_config",
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
    """The folder of packaged scenarios and experiment configs (``collabsim/configs``).

    Raises:
        ConfigError: the installed package has no configs (a broken build, or a source
            checkout whose ``src/collabsim/configs`` link to ``configs/`` was not kept).
    """
    folder = resources.files("collabsim") / "configs"
    if not isinstance(folder, Path) or not folder.is_dir():
        raise ConfigError(
            f"the packaged configs are missing ({folder}): reinstall collabsim; in a source "
            f"checkout, src/collabsim/configs must link to configs/"
        )
    return folder


def list_scenarios() -> list[Scenario]:
    """Every packaged scenario (the files of :func:`configs_dir` with a ``[scenario]`` table).

    Examples:
        >>> from collabsim import list_scenarios
        >>> [s.name for s in list_scenarios()][:3]
        ['baseline', 'denver', 'hartford']
    """
    out = []
    for path in sorted(configs_dir().glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if "scenario" in data and "params" in data:
            out.append(_from_data(data, path))
    return out


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for names the system cannot even look up (too long, NUL)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    """``path.exists()``, False for names the system cannot even look up (too long, NUL)."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def is_path(name_or_path: str | os.PathLike[str]) -> bool:
    """True if ``name_or_path`` is a file path (not a packaged name).

    A ``Path`` object, or a string that ends in ``.toml`` or contains a folder separator, is a
    path; anything else is the name of a packaged config. Nothing on disk is consulted.
    """
    if not isinstance(name_or_path, str):
        return True
    seps = {os.sep, "/", *([os.altsep] if os.altsep else [])}
    return name_or_path.endswith(".toml") or any(sep in name_or_path for sep in seps)


def packaged_names(kind: str | None = "scenario") -> list[str]:
    """Names of the packaged configs (scenarios only by default; ``None`` for every file)."""
    if kind == "scenario":
        return [s.name for s in list_scenarios()]
    return [p.stem for p in sorted(configs_dir().glob("*.toml"))]


def find_config(name_or_path: str | os.PathLike[str], what: str = "scenario") -> Path:
    """The file of a packaged config (by name) or a config file (by path).

    Args:
        name_or_path: A packaged name (``"baseline"``) or a path (``"my.toml"``).
        what: What is looked for, for messages (``"scenario"``, ``"config"``).

    Raises:
        ConfigError: the name is not packaged, or the path is not an existing file.
    """
    text = str(name_or_path)
    if not text.strip():
        raise ConfigError(f"empty {what} name: give a {what} name or a .toml path")
    if is_path(name_or_path):
        path = Path(name_or_path)
        if not _exists(path):
            raise ConfigError(f"config file {text!r} does not exist")
        if not _is_file(path):
            raise ConfigError(f"config path {text!r} is not a file")
        return path
    candidate = configs_dir() / f"{text}.toml"
    if _is_file(candidate) and (what != "scenario" or text in packaged_names()):
        return candidate
    known = ", ".join(packaged_names("scenario" if what == "scenario" else None)) or "none"
    local = Path(f"{text}.toml")
    hint = f"; to use the file {local} here, give its path: ./{local}" if _is_file(local) else ""
    if what == "scenario":
        raise ConfigError(f"unknown scenario {text!r}: packaged scenarios are {known}{hint}")
    raise ConfigError(f"{what} {text!r} not found: packaged {what}s are {known}{hint}")


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario: a packaged one by name, or a file by path.

    Args:
        name_or_path: A packaged scenario's name (``collabsim scenarios`` lists them) or the
            path of a scenario file (it ends in ``.toml`` or has a folder separator).

    Returns:
        The :class:`Scenario`; its ``params`` are the values the file sets,
        :meth:`Scenario.resolved` fills in every default.

    Raises:
        ConfigError: the name is unknown, or the file is missing, unreadable, not TOML, or has
            an unknown table.
        ParamError: a parameter key is unknown or its value is out of range.

    Examples:
        >>> from collabsim import load_scenario
        >>> sc = load_scenario("louisville")
        >>> sc.name, sc.params["navigator"]
        ('louisville', True)
        >>> sc.resolved()["weeks"]  # a default the file does not set
        156
        >>> load_scenario("hartfort")
        Traceback (most recent call last):
        ...
        collabsim.config.ConfigError: unknown scenario 'hartfort': packaged scenarios are ...
    """
    path = find_config(name_or_path, "scenario")
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
