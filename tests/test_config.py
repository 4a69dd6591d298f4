import pytest

from collabsim.config import (
    ConfigError,
    apply_overrides,
    list_scenarios,
    load_scenario,
)
from collabsim.params import ParamError

REQUIRED = {"baseline", "hartford", "louisville", "denver", "south_yorkshire"}


def test_required_scenarios_exist_and_validate():
    found = {s.name: s for s in list_scenarios()}
    assert REQUIRED <= set(found)
    for name in REQUIRED:
        sc = load_scenario(name)
        assert sc.description and sc.sources, name
        assert sc.resolved()["weeks"] >= 1


def test_scenarios_cite_their_sources_in_comments():
    for name in REQUIRED - {"baseline"}:
        text = open(load_scenario(name).path).read()
        assert "seed 00" in text, name


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(ConfigError, match="unknown scenario 'hartfort'.*hartford"):
        load_scenario("hartfort")


def test_bad_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[params\nn_orgs = 3")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_scenario(bad)
    bad.write_text("")
    with pytest.raises(ConfigError, match="empty"):
        load_scenario(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_scenario(bad)
    bad.write_text("[params]\nturnover = 0.2\n")
    with pytest.raises(ParamError, match="unknown parameter 'turnover'"):
        load_scenario(bad)
    bad.write_text("[params]\nturnover_rate = 3\n")
    with pytest.raises(ParamError, match=r"turnover_rate = 3 .*\[0, 1\]"):
        load_scenario(bad)
    bad.write_text("[paramz]\nturnover_rate = 0.1\n")
    with pytest.raises(ConfigError, match="unknown table or key 'paramz'"):
        load_scenario(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_scenario(tmp_path / "missing.toml")


def test_overrides_are_validated_and_recorded():
    sc = apply_overrides(load_scenario("baseline"), ["turnover_rate=0.3", "navigator=true"])
    assert sc.params["turnover_rate"] == 0.3 and sc.params["navigator"] is True
    assert sc.overrides == {"turnover_rate": 0.3, "navigator": True}
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides(sc, ["turnover_rate"])
    with pytest.raises(ParamError):
        apply_overrides(sc, ["n_orgs=abc"])


def test_a_name_is_packaged_and_a_path_is_a_file(tmp_path, monkeypatch):
    """The current directory is never searched for a name, whatever it holds."""
    from collabsim.config import configs_dir, find_config, is_path

    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline.toml").write_text('[scenario]\nname = "mine"\n[params]\nn_orgs = 4\n')
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "hartford.toml").write_text("[params]\nn_orgs = 5\n")
    (tmp_path / "louisville").mkdir()  # a folder named like a scenario
    assert load_scenario("baseline").path == str(configs_dir() / "baseline.toml")
    assert load_scenario("hartford").params != {"n_orgs": 5}
    assert load_scenario("louisville").name == "louisville"
    assert load_scenario("baseline.toml").name == "mine"  # ends in .toml: a path
    assert load_scenario("./baseline.toml").name == "mine"
    assert load_scenario(tmp_path / "baseline.toml").name == "mine"  # a Path is a path
    assert [is_path(x) for x in ("a", "a.toml", "d/a", tmp_path)] == [False, True, True, True]
    with pytest.raises(ConfigError, match="unknown scenario 'mine'"):
        load_scenario("mine")
    (tmp_path / "mine.toml").write_text("[params]\n")
    with pytest.raises(ConfigError, match=r"give its path: \./mine\.toml"):
        load_scenario("mine")
    with pytest.raises(ConfigError, match="unknown scenario 'sweep_governance'"):
        load_scenario("sweep_governance")  # packaged, but not a scenario
    assert find_config("sweep_governance", "config").name == "sweep_governance.toml"
    with pytest.raises(ConfigError, match="config 'nosuch' not found: packaged configs are"):
        find_config("nosuch", "config")


def test_the_packaged_configs_are_the_repository_configs():
    """In a checkout, ``src/collabsim/configs`` is the top-level ``configs/`` folder."""
    from pathlib import Path

    from collabsim.config import configs_dir

    root = Path(__file__).resolve().parents[1]
    assert configs_dir().resolve() == (root / "configs").resolve()
    assert {p.name for p in configs_dir().glob("*.toml")} == {
        p.name for p in (root / "configs").glob("*.toml")
    }
