"""What the app steps: scenario + levers -> run A (and B), in step, drawn without side effects."""

from __future__ import annotations

import pytest

from collabsim import CollaborationModel, ParamError
from collabsim.app.runs import (
    TrainerRun,
    contrast_value,
    lever_params,
    param_label,
    scenario_levers,
    scenario_names,
)
from collabsim.config import ConfigError, load_scenario
from collabsim.params import PARAMS


def test_levers_are_the_declared_ones() -> None:
    names = [p.name for p in lever_params()]
    assert names == [p.name for p in PARAMS.values() if p.lever]
    for key in (
        "navigator",
        "data_use",
        "community_stages",
        "joint_problem_solving",
        "prior_history",
        "entry_points",
        "turnover_rate",
        "loyalty",
        "governance",
    ):
        assert key in names


def test_scenario_levers_follow_the_scenario_file() -> None:
    assert set(scenario_names()) >= {"baseline", "hartford", "louisville"}
    lv = scenario_levers("louisville")
    resolved = load_scenario("louisville").resolved()
    assert lv == {p.name: resolved[p.name] for p in lever_params()}
    assert lv["navigator"] is True
    assert scenario_levers("baseline")["navigator"] is PARAMS["navigator"].default


def test_run_a_is_the_scenario_with_the_levers() -> None:
    run = TrainerRun(scenario="hartford", seed=4, turnover_rate=0.4)
    for _ in range(15):
        run.step()
    plain = CollaborationModel(rng=4, **{**load_scenario("hartford").params, "turnover_rate": 0.4})
    for _ in range(15):
        plain.step()
    assert run.a.params == plain.params
    assert run.a.timeseries().equals(plain.timeseries())
    assert run.b is None
    assert run.steps == 15
    assert run.labels == ["A: hartford"]


def test_run_b_differs_from_a_in_one_lever_only() -> None:
    run = TrainerRun(scenario="louisville", seed=8, compare=True, compare_key="navigator")
    assert run.b is not None
    diff = {k for k in run.a.params if run.a.params[k] != run.b.params[k]}
    assert diff == {"navigator"}
    assert run.b.seed == run.a.seed
    assert run.labels == ["A: louisville, navigator = on", "B: navigator = off"]
    for _ in range(30):
        run.step()
    assert run.a.week == run.b.week == 30
    assert not run.a.timeseries().equals(run.b.timeseries())


def test_explicit_b_value_is_validated() -> None:
    run = TrainerRun(compare=True, compare_key="loyalty", compare_value=0.9)
    assert run.b is not None and run.b.params["loyalty"] == 0.9
    with pytest.raises(ParamError, match="loyalty"):
        TrainerRun(compare=True, compare_key="loyalty", compare_value=1.5)


def test_drawing_does_not_change_the_runs() -> None:
    run = TrainerRun(scenario="baseline", seed=12, compare=True)
    plain = TrainerRun(scenario="baseline", seed=12, compare=True)
    for _ in range(20):
        run.step()
        run.views()
        plain.step()
    for a, b in zip(run.models, plain.models, strict=True):
        assert a.timeseries().equals(b.timeseries())


def test_runs_stop_when_both_have_stopped() -> None:
    run = TrainerRun(seed=1, compare=True, weeks=5)
    while run.running:
        run.step()
    assert run.steps == 5
    assert not run.a.running and run.b is not None and not run.b.running


@pytest.mark.parametrize(
    ("name", "a", "b"),
    [
        ("navigator", False, True),
        ("governance", "shared", "lead"),
        ("governance", "nao", "shared"),
        ("turnover_rate", 0.15, 0.75),
        ("turnover_rate", 0.8, 0.25),
        ("community_stages", 1, 3),
        ("community_stages", 4, 1),
    ],
)
def test_contrast_value(name: str, a, b) -> None:
    assert contrast_value(PARAMS[name], a) == b
    PARAMS[name].check(contrast_value(PARAMS[name], a))


def test_bad_scenario_or_key_fails_clearly() -> None:
    with pytest.raises(ConfigError, match="unknown scenario 'atlantis'"):
        TrainerRun(scenario="atlantis")
    with pytest.raises(ParamError, match="turnover_rat"):
        TrainerRun(turnover_rat=0.3)


def test_labels_read_well() -> None:
    assert param_label(PARAMS["turnover_rate"]) == "Turnover rate (per year)"
    assert param_label(PARAMS["navigator"]) == "Navigator"
    assert param_label(PARAMS["community_stages"]) == "Community stages"
