"""The pre-declared criteria file (revision 2) is read faithfully and checked strictly."""

import re
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collabsim.config import ConfigError
from collabsim.params import PARAMS
from collabsim.replication.criteria import load_criteria
from collabsim.replication.patterns import PATTERNS, get, threshold_keys

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


def test_the_patterns_are_read_with_their_declared_numbers():
    crit = load_criteria(FILE)
    raw = tomllib.loads(FILE.read_text())
    assert list(crit.patterns) == list(PATTERNS)
    assert crit.root_seed == raw["replication"]["root_seed"]
    assert crit.revision == 2 and crit.declared.isoformat() == "2026-11-29"
    assert (FILE.parent / crit.supersedes).is_file()  # revision 1 is kept as history
    for item in raw["pattern"]:
        spec = crit.patterns[item["name"]]
        assert spec.seeds_full == item["seeds_full"] and spec.seeds_quick == item["seeds_quick"]
        assert spec.seeds_quick < spec.seeds_full
        for key in threshold_keys()[spec.name]:
            assert spec.thresholds[key] == item[key]
        assert [p.id for p in spec.parts] == list(get(spec.name).PARTS)


def test_every_part_carries_both_labels_and_verifications_name_their_rule():
    crit = load_criteria(FILE)
    for spec in crit.patterns.values():
        for part in spec.parts:
            assert part.check in ("verification", "validation")
            assert part.calibration in ("target", "held_out")
            assert bool(part.rule) is (part.check == "verification")
            assert part.claim and part.statistic and part.criterion
        assert spec.calibration_reason
        # held-out patterns are run at a second size
        assert bool(spec.size2) is spec.held_out


def test_labels_apply_from_the_declared_version_only():
    crit = load_criteria(FILE)
    assert not crit.labels_apply("0.1.0")  # the hand-calibrated model: nothing out of sample
    assert crit.labels_apply(crit.held_out_from_version)
    assert crit.labels_apply("1.0")


def test_levels_restate_the_design_text():
    """Every number and name in a pattern's levels appears in its design or statistic text."""
    crit = load_criteria(FILE)
    for spec in crit.patterns.values():
        text = " ".join([spec.design, *(p.statistic for p in spec.parts)])
        nums = _numbers(text)
        for leaf in _leaves(spec.levels):
            if isinstance(leaf, bool):
                continue
            if isinstance(leaf, int | float):
                assert float(leaf) in nums, f"{spec.name}: {leaf} not in the design text"
            else:
                name = str(leaf).lower()  # a series name may be written with spaces
                assert name in text.lower() or name.replace("_", " ") in text.lower(), (
                    f"{spec.name}: {leaf!r} not in text"
                )


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
        (
            "impact_hr_upper_max = 1.0\n",
            "impact_hr_upper_max = 1.0\nimpact_hr_upper_mx = 1.0\n",
            "unknown key 'impact_hr_upper_mx'",
        ),
        ("seeds_quick = 12", "seeds_quick = 0", "seeds_quick = 0 is not valid"),
        ("seeds_full = 60", 'seeds_full = "sixty"', "seeds_full = 'sixty' is not valid"),
        ('name = "cases"', 'name = "casez"', "pattern 'casez' has no analysis"),
        ("confidence = 0.95", "confidence = 95", "confidence = 95 is not valid"),
        ("root_seed = 20261129\n", "", "missing 'root_seed'"),
        ("declared = 2026-11-29", 'declared = "yesterday"', "declared = 'yesterday' is not valid"),
        ("[replication]", "[replicaton]", "unknown table 'replicaton'"),
        # [pattern.levels]: a misspelled or missing key is an error, never silently ignored
        ("window_weeks = 4", "window_wekes = 4", "unknown key 'window_wekes' in [pattern.levels]"),
        ("gridlock_weeks = 52\n", "", "[pattern.levels] is missing 'gridlock_weeks'"),
        (
            '{ name = "medium", n_orgs = 12,',
            '{ name = "medium", n_orgz = 12,',
            "unknown key 'n_orgz' in levels.contexts[1]",
        ),
        ('param = "navigator", off', 'parm = "navigator", off', "unknown key 'parm'"),
        ("per_turnover = 0.1", "per_turnover = 0.1\nturnover_step = 2", "'turnover_step'"),
        # parts and their labels
        ('check = "validation"\ncal', 'check = "valid"\ncal', "check = 'valid' is not valid"),
        ('calibration = "held_out"\n\n', 'calibration = "heldout"\n\n', "calibration = 'heldout'"),
        ('id = "d"\nclaim = "The ability', 'id = "x"\nclaim = "The ability', "parts a, b, c, x"),
        ('rule = "governance fit', 'rules = "governance fit', "unknown key 'rules'"),
        (
            '[[pattern.part]]\nid = "c"\nclaim = "Which',
            '[[pattern.part]]\nid = "c"\nclaimm = "x"\nclaim = "Which',
            "unknown key 'claimm'",
        ),
        # the second size: declared parameters only
        (
            "[pattern.size2]\nreps_per_org = 2",
            "[pattern.size2]\nreps_per_orgs = 2",
            "reps_per_orgs",
        ),
        ("[pattern.size2]\nreps_per_org = 2", "[pattern.size2]\nreps_per_org = 9", "reps_per_org"),
    ],
)
def test_bad_criteria_files_name_the_problem(tmp_path, old, new, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_criteria(_write(tmp_path, old, new))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('["data use", "navigator"]]', '["data use", "navigatr"]]', "levels.interactions"),
        ("learning_share_clip = [0.01, 0.99]", "learning_share_clip = [0.5, 0.2]", "clip"),
        ('trust_series = "mean_trust"', 'trust_series = "mean_trst"', "levels.trust_series"),
        ('forced = ["win", "setback"]', 'forced = ["win", "loss"]', "first_outcome = 'loss'"),
        ("diversity = [0.2, 0.8]", "diversity = [0.2, 1.8]", "diversity = 1.8"),
    ],
)
def test_bad_level_values_fail_before_any_run(tmp_path, old, new, message):
    from collabsim.params import ParamError
    from collabsim.replication.replicate import plan

    crit = load_criteria(_write(tmp_path, old, new))
    with pytest.raises((ConfigError, ParamError), match=re.escape(message)):
        plan(crit, quick=True)


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
    assert len(crit.select(None)) == len(PATTERNS)
    with pytest.raises(ConfigError, match="unknown pattern 'trust'"):
        crit.select(["trust"])


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(
    at=st.integers(0, 20000), how=st.sampled_from(["cut", "flip", "repeat"]), x=st.integers(1, 255)
)
def test_a_damaged_criteria_file_loads_or_is_refused_in_one_line(tmp_path_factory, at, how, x):
    data = FILE.read_bytes()
    at = at % len(data)
    if how == "cut":
        data = data[:at]
    elif how == "flip":
        data = data[:at] + bytes([data[at] ^ x]) + data[at + 1 :]
    else:
        data = data[:at] + data[max(0, at - 40) : at] + data[at:]
    path = tmp_path_factory.mktemp("crit") / "c.toml"
    path.write_bytes(data)
    try:
        load_criteria(path)
    except ConfigError as exc:
        msg = str(exc)
        assert "\n" not in msg and str(path) in msg, msg
