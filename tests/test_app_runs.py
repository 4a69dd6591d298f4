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


def test_seed_is_checked() -> None:
    from collabsim.app.runs import MAX_SEED

    for bad in (-1, MAX_SEED + 1, 1.5, "3", True):
        with pytest.raises(ParamError, match="seed"):
            TrainerRun(seed=bad)
    assert TrainerRun(seed=MAX_SEED, weeks=2).seed == MAX_SEED


def test_check_settings_names_each_problem() -> None:
    from collabsim.app.runs import check_settings

    good = {"scenario": "baseline", "seed": 5, **scenario_levers("baseline")}
    assert check_settings(good) == {}
    assert check_settings({**good, "seed": "12"}) == {}
    bad = {
        **good,
        "scenario": "../../etc/passwd",
        "seed": "",
        "turnover_rate": 1.0,
        "navigator": "maybe",
        "compare": True,
        "compare_key": "loyalty",
        "compare_value": 2.0,
    }
    problems = check_settings(bad)
    assert set(problems) == {"scenario", "seed", "turnover_rate", "navigator", "compare_value"}
    assert "0.9" in problems["turnover_rate"] and "loyalty" in problems["compare_value"]


@pytest.mark.parametrize("name", [p.name for p in lever_params() if p.kind in ("int", "float")])
def test_every_slider_end_gives_a_meaningful_run(name: str) -> None:
    from collabsim.app.runs import app_range

    for value in app_range(PARAMS[name]):
        run = TrainerRun(seed=3, weeks=26, **{name: value})
        run.step(26)
        ts = run.a.timeseries()
        assert len(ts) == 27 or run.a.state.perished
        # nobody is replaced every week: most of the founders are still there after a month
        assert ts["founders_share"].iloc[min(4, len(ts) - 1)] > 0.5


def test_narrated_steps_match_plain_steps() -> None:
    run = TrainerRun(seed=9, compare=True)
    run.step(60)
    plain = CollaborationModel(rng=9, **load_scenario("baseline").params)
    for _ in range(60):
        plain.step()
    assert run.a.timeseries().equals(plain.timeseries())
    assert len(run.narrators[0].entries) == len(run.a.events())
    assert sum(e.count for e in run.entries(0) if e.kind == "turnover") >= 1


def test_typical_runs_are_reproducible_and_cancellable() -> None:
    from collabsim.app.runs import typical_runs

    run = TrainerRun(seed=4, compare=True, weeks=30)
    one, two = typical_runs(run, 6), typical_runs(run, 6)
    assert one is not None and two is not None
    assert one.seeds == two.seeds and all(
        (a == b).all() for a, b in zip(one.impact, two.impact, strict=True)
    )
    assert one.impact[0].shape == (6, 31)
    lo, mid, hi = one.band(0, 30)
    assert lo <= mid <= hi
    assert 0.0 <= one.rank(0, 30, mid) <= 1.0
    assert one.b_beats_a()[1] == 6
    assert typical_runs(run, 6, cancelled=lambda: True) is None
    with pytest.raises(ValueError, match="seeds"):
        typical_runs(run, 0)


def test_closed_runs_refuse_to_step() -> None:
    run = TrainerRun(weeks=3)
    run.close()
    run.close()
    with pytest.raises(RuntimeError, match="Reset"):
        run.step()


def test_show_value_and_steps() -> None:
    from collabsim.app.runs import show_value, slider_step

    assert show_value(PARAMS["turnover_rate"], 0.15) == "15% a year"
    assert show_value(PARAMS["community_stages"], 2) == "2 of 4"
    assert show_value(PARAMS["navigator"], True) == "on"
    assert slider_step(PARAMS["turnover_rate"]) == 0.01
    assert slider_step(PARAMS["prior_history"]) == 0.05
