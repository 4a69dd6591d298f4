"""The pre-declared criteria file is read faithfully and checked strictly."""

import re
import tomllib
from pathlib import Path

import pytest

from collabsim.config import ConfigError
from collabsim.params import PARAMS
from collabsim.replication.criteria import load_criteria
from collabsim.replication.patterns import PATTERNS, threshold_keys

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "configs" / "replication.toml"


def _numbers(text: str) -> set[float]:
    return {float(m) for m in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", text)}


def _leaves(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "param":  # a parameter name: checked against the declaration instead
                assert v in PARAMS, f"{v!r} is not a declared parameter"
            else:
                yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


def test_the_six_patterns_are_read_with_their_declared_numbers():
    crit = load_criteria(FILE)
    raw = tomllib.loads(FILE.read_text())
    assert list(crit.patterns) == list(PATTERNS)
    assert crit.root_seed == raw["replication"]["root_seed"]
    for item in raw["pattern"]:
        spec = crit.patterns[item["name"]]
        assert spec.seeds_full == item["seeds_full"] and spec.seeds_quick == item["seeds_quick"]
        assert spec.seeds_quick < spec.seeds_full
        for key in threshold_keys()[spec.name]:
            assert spec.thresholds[key] == item[key]


def test_levels_restate_the_design_text():
    """Every number and name in a pattern's levels appears in its design or statistic text."""
    crit = load_criteria(FILE)
    for spec in crit.patterns.values():
        text = f"{spec.design} {spec.statistic}"
        nums = _numbers(text)
        for leaf in _leaves(spec.levels):
            if isinstance(leaf, bool):
                continue
            if isinstance(leaf, int | float):
                assert float(leaf) in nums, f"{spec.name}: {leaf} not in the design text"
            else:
                assert str(leaf).lower() in text.lower(), f"{spec.name}: {leaf!r} not in text"


def _write(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    text = FILE.read_text()
    assert old in text
    path = tmp_path / "criteria.toml"
    path.write_text(text.replace(old, new, count))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("cramers_v_upper_max = 0.15\n", "", "missing criterion key 'cramers_v_upper_max'"),
        ("rho_lower_min = 0.0\n", "rho_lower_min = 0.0\nrho_lower_mn = 0.1\n", "unknown key"),
        ("seeds_quick = 12", "seeds_quick = 0", "seeds_quick = 0 is not valid"),
        ("seeds_full = 60", 'seeds_full = "sixty"', "seeds_full = 'sixty' is not valid"),
        ('name = "cases"', 'name = "casez"', "pattern 'casez' has no analysis"),
        ("confidence = 0.95", "confidence = 95", "confidence = 95 is not valid"),
        ("root_seed = 20251121\n", "", "missing 'root_seed'"),
        ('claim = "Formal', 'claim = "" # "Formal', "'claim' must be non-empty text"),
        ("[replication]", "[replicaton]", "unknown table 'replicaton'"),
    ],
)
def test_bad_criteria_files_name_the_problem(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_criteria(_write(tmp_path, old, new))


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_criteria(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[replication\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_criteria(bad)


def test_select_keeps_file_order_and_rejects_unknown_names():
    crit = load_criteria(FILE)
    assert [p.name for p in crit.select(["cases", "key_actions"])] == ["key_actions", "cases"]
    assert len(crit.select(None)) == 6
    with pytest.raises(ConfigError, match="unknown pattern 'trust'"):
        crit.select(["trust"])
