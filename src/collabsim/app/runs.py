"""What the app steps: one collaboration, or two side by side, built from a scenario and levers.

Mesa's :func:`~mesa.visualization.solara_viz.ModelController` rebuilds what it steps as
``cls(**parameters)`` on Reset. A scenario is not a model parameter, so :class:`TrainerRun` is
the thin factory it rebuilds: it loads the scenario, applies the levers the trainer set, and
builds run A, plus run B when a side-by-side comparison is on (B differs from A in one lever
and shares its seed, so the room sees the lever's effect, not another roll of the dice). It
steps both in step and hands out copies (:meth:`TrainerRun.views`) under a lock, so a picture
never races a step. No app-only logic enters the model.

The controls are generated from the parameter declaration: :func:`lever_params` lists the
parameters declared with ``lever=True``; :func:`scenario_levers` gives a scenario's values of
them; :func:`contrast_value` proposes B's value of a lever.
"""

from __future__ import annotations

import threading
from typing import Any

from collabsim.config import Scenario, list_scenarios, load_scenario
from collabsim.model import CollaborationModel
from collabsim.params import PARAMS, Param, get, validate
from collabsim.views import RunView, people_layout, snapshot

__all__ = [
    "DEFAULT_COMPARE",
    "DEFAULT_SCENARIO",
    "DEFAULT_SEED",
    "TrainerRun",
    "contrast_value",
    "lever_params",
    "param_label",
    "scenario_levers",
    "scenario_names",
    "slider_step",
]

#: Scenario shown when the app opens (unless ``collabsim app --scenario`` says otherwise).
DEFAULT_SCENARIO = "baseline"
#: Seed of the first run (the CLI's default root seed).
DEFAULT_SEED = 2025
#: Lever that run B changes when side by side is first switched on.
DEFAULT_COMPARE = "turnover_rate"
#: Steps of a float slider across its range.
SLIDER_STEPS = 100


def lever_params() -> list[Param]:
    """Parameters declared as levers, in declaration order (grouped by concept there)."""
    return [p for p in PARAMS.values() if p.lever]


def param_label(p: Param) -> str:
    """A readable label: the name in words, with the unit when the name does not say it."""
    words = p.name.replace("_", " ")
    unit = p.unit
    if unit and unit not in words and unit not in ("share", "trust", "probability"):
        return f"{words.capitalize()} ({unit})"
    return words.capitalize()


def slider_step(p: Param) -> float:
    """Step of a float parameter's slider: a hundredth of its range."""
    assert p.low is not None and p.high is not None
    return (p.high - p.low) / SLIDER_STEPS


def scenario_names() -> list[str]:
    """Names of the scenarios in the configs directory (see ``list_scenarios``)."""
    return [s.name for s in list_scenarios()]


def scenario_levers(scenario: str | Scenario) -> dict[str, Any]:
    """Every lever's value in ``scenario`` (its own setting, else the declared default)."""
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    values = sc.resolved()
    return {p.name: values[p.name] for p in lever_params()}


def contrast_value(p: Param, value: Any) -> Any:
    """A clearly different value of lever ``p`` for run B, given run A's ``value``.

    Switches flip; choices move to the next choice; numbers go to the far quarter of the range
    (to three quarters of it when A sits in the lower half, to one quarter otherwise).
    """
    value = p.check(value)
    if p.kind == "bool":
        return not value
    if p.kind == "choice":
        return p.choices[(p.choices.index(value) + 1) % len(p.choices)]
    assert p.low is not None and p.high is not None
    mid = (p.low + p.high) / 2
    target = p.low + (0.75 if value <= mid else 0.25) * (p.high - p.low)
    if p.kind == "int":
        return round(target)
    return round(target, 6)


class TrainerRun:
    """Run A (a scenario with the trainer's levers) and optionally run B, stepped together.

    Args:
        scenario: Scenario name (in ``configs/``) or path to a scenario file.
        seed: Seed of both runs.
        compare: Build run B beside run A.
        compare_key: The lever in which B differs from A.
        compare_value: B's value of that lever (default: :func:`contrast_value` of A's).
        **overrides: Values of declared parameters that replace the scenario's (the levers).

    Raises:
        ConfigError: the scenario cannot be loaded.
        ParamError: a key is not a declared parameter or a value is out of range.
    """

    def __init__(
        self,
        *,
        scenario: str = DEFAULT_SCENARIO,
        seed: int = DEFAULT_SEED,
        compare: bool = False,
        compare_key: str = DEFAULT_COMPARE,
        compare_value: Any = None,
        **overrides: Any,
    ) -> None:
        sc = load_scenario(scenario)
        params = {**sc.params, **validate(overrides, partial=True)}
        self.scenario = sc.name
        self.seed = int(seed)
        self.settings: dict[str, Any] = {
            "scenario": scenario,
            "seed": self.seed,
            "compare": bool(compare),
            "compare_key": compare_key,
            "compare_value": compare_value,
            **overrides,
        }
        self.lock = threading.Lock()
        self.a = CollaborationModel(rng=self.seed, **params)
        self.b: CollaborationModel | None = None
        self.labels = [f"A: {sc.name}"]
        if compare:
            p = get(compare_key)
            a_value = self.a.params[compare_key]
            b_value = (
                contrast_value(p, a_value) if compare_value is None else p.check(compare_value)
            )
            self.b = CollaborationModel(rng=self.seed, **{**params, compare_key: b_value})
            lever = compare_key.replace("_", " ")
            self.labels = [
                f"A: {sc.name}, {lever} = {_show(a_value)}",
                f"B: {lever} = {_show(b_value)}",
            ]
        self.layouts = [people_layout(m) for m in self.models]
        self.steps = 0

    @property
    def models(self) -> list[CollaborationModel]:
        """Run A, then run B if there is one."""
        return [self.a] if self.b is None else [self.a, self.b]

    @property
    def running(self) -> bool:
        """True while any of the runs is still going."""
        return any(m.running for m in self.models)

    def step(self) -> None:
        """Advance every run that is still going by one week."""
        with self.lock:
            for m in self.models:
                m.step()
            self.steps += 1

    def views(self) -> list[RunView]:
        """A copy of each run's current state for drawing (A first)."""
        with self.lock:
            return [snapshot(m) for m in self.models]

    def __repr__(self) -> str:
        return f"TrainerRun({', '.join(self.labels)}, seed={self.seed}, steps={self.steps})"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
