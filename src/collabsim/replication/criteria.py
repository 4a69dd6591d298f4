"""The pre-declared replication criteria: ``configs/replication.toml`` read and checked.

The file (revision 2) states, for each pattern, its citation, design and calibration label, and
for each lettered part the claim, statistic and criterion with two labels: *verification* (the
part follows from a named model rule) or *validation* (it must emerge), and calibration *target*
or *held out*. This module only reads it: every threshold a pattern compares against, every seed
count and every factor level (the ``levels`` table restates the design text in machine-readable
form) comes from the file. Every table is checked against the keys its reader knows, including
``[pattern.levels]`` and the tables inside it, so a misspelled key can not silently change
nothing. Problems raise :class:`~collabsim.config.ConfigError` with one line naming the file, the
pattern and the key.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from collabsim.config import ConfigError, configs_dir
from collabsim.params import ParamError, validate
from collabsim.replication.spec import Criteria, PartSpec, PatternSpec, _version_tuple

__all__ = [
    "CALIBRATION",
    "CHECKS",
    "CRITERIA_FILE",
    "Criteria",
    "PartSpec",
    "PatternSpec",
    "Schema",
    "load_criteria",
]

#: File name of the criteria in the configs directory.
CRITERIA_FILE = "replication.toml"
#: Allowed values of a part's ``check`` label.
CHECKS = ("verification", "validation")
#: Allowed values of a part's ``calibration`` label.
CALIBRATION = ("target", "held_out")

_TOP_KEYS = (
    "revision",
    "declared",
    "supersedes",
    "held_out_from_version",
    "root_seed",
    "confidence",
    "bootstrap_resamples",
    "near_bound",
)
_PATTERN_TEXT = ("name", "citation", "design", "calibration_reason")
_PATTERN_INT = ("seeds_full", "seeds_quick")
_SIZE2_INT = ("seeds_size2_full", "seeds_size2_quick")
_PART_TEXT = ("id", "claim", "statistic", "criterion", "check", "calibration")
_PART_OPTIONAL = ("rule", "citation", "design")

#: A levels schema: key -> None (a value) or the allowed keys of the table(s) it holds (a table,
#: or a list of tables). Every key is required.
Schema = Mapping[str, "tuple[str, ...] | None"]


def _criteria_path(path: str | os.PathLike[str] | None) -> Path:
    p = Path(path) if path is not None else configs_dir() / CRITERIA_FILE
    if not p.is_file():
        raise ConfigError(f"criteria file {str(p)!r} does not exist")
    return p


def check_number(where: str, key: str, value: Any, low: float, high: float, integer: bool) -> Any:
    """``value`` if it is a finite number (an integer if ``integer``) in ``[low, high]``.

    Raises ConfigError naming ``where``, the key, the value and the valid range.
    """
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer:
        ok = isinstance(value, int)
    if not ok or not math.isfinite(float(value)) or not low <= value <= high:
        kind = "an integer" if integer else "a number"
        raise ConfigError(
            f"{where}: {key} = {value!r} is not valid: expected {kind} in [{low:g}, {high:g}]"
        )
    return value


def _text(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key!r} must be non-empty text")
    return value.strip()


def _keys(where: str, table: Mapping[str, Any], allowed: Iterable[str], what: str) -> None:
    allowed = tuple(allowed)
    extra = sorted(set(table) - set(allowed))
    if extra:
        raise ConfigError(
            f"{where}: unknown key {extra[0]!r} in {what} (allowed: {', '.join(allowed)})"
        )


def _check_levels(where: str, levels: Any, schema: Schema) -> dict[str, Any]:
    if not isinstance(levels, dict):
        raise ConfigError(f"{where}: 'levels' must be a table")
    _keys(where, levels, schema, "[pattern.levels]")
    for key, sub in schema.items():
        if key not in levels:
            raise ConfigError(f"{where}: [pattern.levels] is missing {key!r}")
        if sub is None:
            continue
        value = levels[key]
        tables = value if isinstance(value, list) else [value]
        for j, t in enumerate(tables):
            here = f"levels.{key}" + (f"[{j}]" if isinstance(value, list) else "")
            if not isinstance(t, dict):
                raise ConfigError(f"{where}: {here} must be a table")
            _keys(where, t, sub, here)
            missing = [k for k in sub if k not in t]
            if missing:
                raise ConfigError(f"{where}: {here} is missing {missing[0]!r}")
    return levels


def _params(where: str, table: Any, what: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {what} must be a table of parameter values")
    try:
        return validate(table, partial=True)
    except ParamError as exc:
        raise ConfigError(f"{where}: {what}: {exc}") from None


def _part(where: str, i: int, item: Any) -> PartSpec:
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: part #{i + 1} must be a table")
    pid = item.get("id")
    here = f"{where} part {pid!r}" if isinstance(pid, str) and pid else f"{where} part #{i + 1}"
    _keys(here, item, _PART_TEXT + _PART_OPTIONAL, "[[pattern.part]]")
    text = {k: _text(here, k, item.get(k)) for k in _PART_TEXT}
    if text["check"] not in CHECKS:
        raise ConfigError(
            f"{here}: check = {text['check']!r} is not valid: expected one of {', '.join(CHECKS)}"
        )
    if text["calibration"] not in CALIBRATION:
        raise ConfigError(
            f"{here}: calibration = {text['calibration']!r} is not valid: expected one of "
            f"{', '.join(CALIBRATION)}"
        )
    extra = {k: _text(here, k, item[k]) for k in _PART_OPTIONAL if k in item}
    if text["check"] == "verification" and "rule" not in extra:
        raise ConfigError(f"{here}: a verification must name its 'rule'")
    if text["check"] == "validation" and "rule" in extra:
        raise ConfigError(f"{here}: 'rule' is only for a verification (check = 'validation')")
    return PartSpec(**text, **extra)


def load_criteria(
    path: str | os.PathLike[str] | None = None,
    *,
    modules: Mapping[str, Any] | None = None,
) -> Criteria:
    """Read and check the criteria file.

    Args:
        path: The file (default ``replication.toml`` in :func:`collabsim.config.configs_dir`).
        modules: For each known pattern, what its analysis reads: an object with
            ``THRESHOLDS`` (criterion keys), ``PARTS`` (part letters) and ``LEVELS`` (a
            :data:`Schema`). The file must declare exactly these, so a typo can not silently
            drop a criterion or leave a changed level unread. Defaults to the registered
            patterns.

    Raises:
        ConfigError: naming the file, the pattern and the key.
    """
    if modules is None:
        from collabsim.replication.patterns import PATTERNS, get

        modules = {name: get(name) for name in PATTERNS}
    p = _criteria_path(path)
    where = str(p)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read criteria file {where!r}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"criteria file {where!r} is not valid TOML: {exc}") from None
    unknown = set(data) - {"replication", "pattern"}
    if unknown:
        raise ConfigError(
            f"{where}: unknown table {sorted(unknown)[0]!r} (allowed: replication, pattern)"
        )
    top = data.get("replication")
    if not isinstance(top, dict):
        raise ConfigError(f"{where}: missing [replication] table")
    for key in _TOP_KEYS:
        if key not in top:
            raise ConfigError(f"{where}: [replication] is missing {key!r}")
    _keys(where, top, _TOP_KEYS, "[replication]")
    revision = check_number(where, "revision", top["revision"], 1, 1000, True)
    if not isinstance(top["declared"], _dt.date) or isinstance(top["declared"], _dt.datetime):
        raise ConfigError(
            f"{where}: declared = {top['declared']!r} is not valid: expected a date (2026-11-29)"
        )
    supersedes = _text(where, "supersedes", top["supersedes"])
    since = _text(where, "held_out_from_version", top["held_out_from_version"])
    if not _version_tuple(since):
        raise ConfigError(
            f"{where}: held_out_from_version = {since!r} is not valid: expected a version "
            "such as '0.2'"
        )
    root = check_number(where, "root_seed", top["root_seed"], 0, 2**63 - 1, True)
    conf = check_number(where, "confidence", top["confidence"], 0.5, 0.999, False)
    boot = check_number(where, "bootstrap_resamples", top["bootstrap_resamples"], 100, 100000, True)
    near = check_number(where, "near_bound", top["near_bound"], 0.0, 1.0, False)
    items = data.get("pattern")
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}: no [[pattern]] tables")
    patterns: dict[str, PatternSpec] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: pattern #{i + 1} must be a table")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}: pattern #{i + 1} has no name")
        here = f"{where}: pattern {name!r}"
        if name in patterns:
            raise ConfigError(f"{here} is declared twice")
        if name not in modules:
            raise ConfigError(f"{here} has no analysis: known patterns are {', '.join(modules)}")
        mod = modules[name]
        wanted = tuple(mod.THRESHOLDS)
        allowed = (*_PATTERN_TEXT, *_PATTERN_INT, *_SIZE2_INT, "part", "levels", "size2")
        _keys(here, item, allowed + wanted, "[[pattern]]")
        text = {k: _text(here, k, item.get(k)) for k in _PATTERN_TEXT}
        seeds = {k: check_number(here, k, item.get(k), 1, 100000, True) for k in _PATTERN_INT}
        missing = [k for k in wanted if k not in item]
        if missing:
            raise ConfigError(f"{here}: missing criterion key {missing[0]!r}")
        values = {k: float(check_number(here, k, item[k], -1e9, 1e9, False)) for k in wanted}
        raw_parts = item.get("part")
        if not isinstance(raw_parts, list) or not raw_parts:
            raise ConfigError(f"{here}: no [[pattern.part]] tables")
        parts = tuple(_part(here, j, x) for j, x in enumerate(raw_parts))
        ids = [x.id for x in parts]
        if ids != list(mod.PARTS):
            raise ConfigError(
                f"{here}: parts {', '.join(ids)} do not match the analysis's parts "
                f"{', '.join(mod.PARTS)}"
            )
        levels = _check_levels(here, item.get("levels", {}), mod.LEVELS)
        size2: dict[str, Any] = {}
        s2 = {"seeds_size2_full": 0, "seeds_size2_quick": 0}
        if "size2" in item:
            size2 = _params(here, item["size2"], "[pattern.size2]")
            if not size2:
                raise ConfigError(f"{here}: [pattern.size2] is empty")
            s2 = {k: check_number(here, k, item.get(k), 1, 100000, True) for k in _SIZE2_INT}
        elif any(k in item for k in _SIZE2_INT):
            raise ConfigError(f"{here}: seeds_size2_* given without a [pattern.size2] table")
        patterns[name] = PatternSpec(
            name=name,
            citation=text["citation"],
            design=text["design"],
            calibration_reason=text["calibration_reason"],
            parts=parts,
            seeds_full=seeds["seeds_full"],
            seeds_quick=seeds["seeds_quick"],
            thresholds=values,
            levels=levels,
            size2=size2,
            seeds_size2_full=s2["seeds_size2_full"],
            seeds_size2_quick=s2["seeds_size2_quick"],
            index=i,
        )
    return Criteria(
        revision=int(revision),
        declared=top["declared"],
        supersedes=supersedes,
        held_out_from_version=since,
        root_seed=int(root),
        confidence=float(conf),
        bootstrap_resamples=int(boot),
        near_bound=float(near),
        patterns=patterns,
        path=where,
        raw=data,
    )
