"""What the app steps: one collaboration, or two side by side, built from a scenario and levers.

:class:`TrainerRun` loads the scenario, applies the levers the trainer set, and builds run A,
plus run B when a side-by-side comparison is on (B differs from A in one lever and shares its
seed, so the room sees the lever's effect, not another roll of the dice). It steps both in
step, narrates each step in plain language (:mod:`collabsim.app.narrate`) and hands out copies
(:meth:`TrainerRun.views`) under a lock, so a picture never races a step. No app-only logic
enters the model.

The controls are generated from the parameter declaration: :func:`lever_params` lists the
parameters declared with ``lever=True``; :func:`scenario_levers` gives a scenario's values of
them; :func:`contrast_value` proposes B's value of a lever. The app names the levers as the
trainers' script does (:data:`LEVER_LABELS`), keeps sliders within ranges that give meaningful
runs (:func:`app_range`) and checks every input before it builds a run
(:func:`check_settings`). :func:`typical_runs` runs many seeds of A and B for "How typical is
this?".
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from collabsim.app.narrate import Entry, Narrator, group_turnover
from collabsim.config import Scenario, list_scenarios, load_scenario
from collabsim.engine import spawn_seeds
from collabsim.model import CollaborationModel
from collabsim.params import GOVERNANCE_MODES, PARAMS, Param, ParamError, get, validate
from collabsim.runner import release
from collabsim.views import RunView, people_layout, snapshot

__all__ = [
    "APP_RANGES",
    "DEFAULT_COMPARE",
    "DEFAULT_SCENARIO",
    "DEFAULT_SEED",
    "KEY_ACTIONS",
    "LEVER_LABELS",
    "MAX_SEED",
    "TrainerRun",
    "Typical",
    "app_range",
    "check_settings",
    "contrast_value",
    "key_actions_taken",
    "lever_label",
    "lever_params",
    "param_label",
    "same_settings",
    "scenario_levers",
    "scenario_names",
    "show_value",
    "slider_step",
    "typical_runs",
]

#: Scenario shown when the app opens (unless ``collabsim app --scenario`` says otherwise).
DEFAULT_SCENARIO = "baseline"
#: Seed of the first run (the CLI's default root seed).
DEFAULT_SEED = 2025
#: Lever that run B changes when side by side is first switched on.
DEFAULT_COMPARE = "turnover_rate"
#: Steps of a float slider across its range.
SLIDER_STEPS = 100
#: Largest seed the app accepts (the people layout uses the seed modulo 2**32).
MAX_SEED = 2**32 - 1
#: The levers' names in the trainers' script: the five key actions first, numbered.
LEVER_LABELS: dict[str, str] = {
    "prior_history": "1. Prior relationships",
    "navigator": "2. Navigator",
    "community_stages": "3. Community engagement",
    "data_use": "4. Data use",
    "joint_problem_solving": "5. Joint problem-solving",
    "entry_points": "Entry points",
    "turnover_rate": "Turnover",
    "diversity": "Diversity of sectors",
    "initiative": "Initiative",
    "loyalty": "Loyalty to home organization",
    "governance": "Governance",
    "adaptable": "Governance can adapt",
}
#: The five key actions: each lever, and the value from which the action counts as taken
#: (switches: on; numbers: at least this). Used by the workshop's room chart.
KEY_ACTIONS: dict[str, Any] = {
    "prior_history": 2.0,
    "navigator": True,
    "community_stages": 2,
    "data_use": True,
    "joint_problem_solving": 0.5,
}
#: Slider ranges of the app where they are narrower than the declared range, so that every
#: position gives a run worth showing. Turnover of 1.0 per year means a weekly hazard of 1:
#: every seat turns over every week. At 0.9 per year about 4% of seats turn over each week.
APP_RANGES: dict[str, tuple[float, float]] = {"turnover_rate": (0.0, 0.9)}


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


def lever_label(p: Param) -> str:
    """The lever's name in the trainers' script (falls back to :func:`param_label`)."""
    return LEVER_LABELS.get(p.name, param_label(p))


def app_range(p: Param) -> tuple[float, float]:
    """The range of a numeric lever's slider in the app (within the declared range)."""
    assert p.low is not None and p.high is not None
    low, high = APP_RANGES.get(p.name, (p.low, p.high))
    return max(low, p.low), min(high, p.high)


def slider_step(p: Param) -> float:
    """Step of a float parameter's slider: about a hundredth of its app range, rounded.

    The step is rounded up to 1, 2 or 5 times a power of ten, so that values such as 0.15 sit
    on the slider's grid.
    """
    low, high = app_range(p)
    raw = (high - low) / SLIDER_STEPS
    if raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(round(k * power, 12) for k in (1, 2, 5, 10) if k * power >= raw * (1 - 1e-9))


def same_settings(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when two settings give the same runs (numbers within half a slider step)."""
    if set(a) != set(b):
        return False
    for key in a:
        x, y = a[key], b[key]
        p = PARAMS.get(key)
        if key == "compare_value":
            p = PARAMS.get(a.get("compare_key"))
        if p is not None and p.kind == "float" and x is not None and y is not None:
            try:
                if abs(float(x) - float(y)) > slider_step(p) / 2:
                    return False
            except (TypeError, ValueError):
                return False
        elif x != y:
            return False
    return True


def show_value(p: Param, value: Any) -> str:
    """A lever's value in words: on/off, a percentage of a share, a count with its unit."""
    if p.kind == "bool":
        return "on" if value else "off"
    if p.kind == "choice":
        return str(value)
    if p.kind == "int":
        return f"{int(value)} of {int(p.high or 0)}" if p.unit == "stages" else f"{int(value)}"
    v = float(value)
    if p.unit == "per year":
        return f"{v:.0%} a year"
    if p.unit in ("share", "probability"):
        return f"{v:.0%}"
    return f"{v:.1f}"


def key_actions_taken(values: dict[str, Any]) -> int:
    """How many of the five key actions ``values`` takes (see :data:`KEY_ACTIONS`)."""
    n = 0
    for name, threshold in KEY_ACTIONS.items():
        v = values[name]
        n += bool(v) if isinstance(threshold, bool) else v >= threshold
    return int(n)


def check_settings(settings: dict[str, Any]) -> dict[str, str]:
    """Problems with the page's settings, by key (empty when a run can be built).

    Checks the scenario (one of :func:`scenario_names`, never a path typed by a user), the seed
    (an integer in [0, :data:`MAX_SEED`]), every lever (declared kind and app range) and B's
    lever and value. Messages name the value and the valid range.
    """
    out: dict[str, str] = {}
    if settings.get("scenario") not in scenario_names():
        out["scenario"] = f"unknown scenario {settings.get('scenario')!r}"
    seed = settings.get("seed")
    if isinstance(seed, str):
        try:
            seed = int(seed.strip())
        except ValueError:
            seed = None
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        out["seed"] = f"seed {settings.get('seed')!r} is not valid: expected a whole number "
        out["seed"] += f"from 0 to {MAX_SEED:,}"
    for p in lever_params():
        if p.name not in settings:
            continue
        problem = _check_lever(p, settings[p.name])
        if problem:
            out[p.name] = problem
    if settings.get("compare"):
        key = settings.get("compare_key")
        if key not in {p.name for p in lever_params()}:
            out["compare_key"] = f"{key!r} is not a lever"
        else:
            problem = _check_lever(get(key), settings.get("compare_value"))
            if problem:
                out["compare_value"] = problem
    return out


def _check_lever(p: Param, value: Any) -> str:
    try:
        v = p.check(value)
    except ParamError as exc:
        return str(exc)
    if p.kind in ("int", "float"):
        low, high = app_range(p)
        if not low <= v <= high:
            return f"{p.name} = {v!r} is outside the app's range [{low:g}, {high:g}]"
    return ""


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
        ParamError: a key is not a declared parameter, a value is out of range, or the seed
            is not an integer in [0, :data:`MAX_SEED`].
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
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
            raise ParamError(f"seed = {seed!r} is not valid: expected an integer seed")
        if not 0 <= int(seed) <= MAX_SEED:
            raise ParamError(
                f"seed = {seed!r} is not valid: expected an integer in [0, {MAX_SEED}]"
            )
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
        self.narrators = [Narrator(m) for m in self.models]
        #: Collective impact of each run week by week (kept here so that light views need
        #: no data frame).
        self.impact: list[list[float]] = [[float(m.state.public_value)] for m in self.models]
        self.steps = 0
        self.closed = False

    @property
    def models(self) -> list[CollaborationModel]:
        """Run A, then run B if there is one."""
        return [self.a] if self.b is None else [self.a, self.b]

    @property
    def running(self) -> bool:
        """True while any of the runs is still going."""
        return any(m.running for m in self.models)

    def step(self, weeks: int = 1) -> None:
        """Advance every run that is still going by ``weeks`` weeks (fewer if all end)."""
        with self.lock:
            if self.closed:
                raise RuntimeError("this run was closed: press Reset")
            for _ in range(weeks):
                if not any(m.running for m in self.models):
                    break
                for m, narrator, impact in zip(
                    self.models, self.narrators, self.impact, strict=True
                ):
                    if m.running:
                        narrator.before()
                        m.step()
                        narrator.after()
                        impact.append(float(m.state.public_value))
                self.steps += 1

    @property
    def week(self) -> int:
        """Weeks run A has simulated."""
        return int(self.a.week)

    def numbers(self, index: int = 0) -> dict[str, Any]:
        """Run ``index``'s monitors now (week, wins, learning, blame, safety, impact, state).

        ``safety`` is the team's psychological safety as last recorded (the series' last row).
        """
        with self.lock:
            m = self.models[index]
            s = m.state
            return {
                "week": int(m.week),
                "weeks": int(m.params["weeks"]),
                "wins": int(s.wins),
                "learning": int(s.learning),
                "blame": int(s.blame),
                "impact": float(s.public_value),
                "safety": float(s.team_safety),
                "perished": bool(s.perished),
                "mode": GOVERNANCE_MODES[int(s.mode)],
            }

    def views(self) -> list[RunView]:
        """A copy of each run's current state for drawing (A first)."""
        with self.lock:
            return [snapshot(m) for m in self.models]

    def entries(self, index: int = 0) -> list[Entry]:
        """Run ``index``'s plain-language log so far, turnover grouped (oldest first)."""
        with self.lock:
            return group_turnover(self.narrators[index].entries)

    def close(self) -> None:
        """Let the models go (Mesa 3.3.1 keeps every model alive otherwise); idempotent."""
        with self.lock:
            if not self.closed:
                self.closed = True
                for m in self.models:
                    release(m)

    def __repr__(self) -> str:
        return f"TrainerRun({', '.join(self.labels)}, seed={self.seed}, steps={self.steps})"


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Typical:
    """Many seeds of A (and B): collective impact week by week, for "How typical is this?".

    Attributes:
        seeds: The seeds run (spawned from the live run's seed).
        impact: One array per run kind (A, then B): seeds x (weeks + 1) collective impact;
            a run that dissolved keeps its last value.
        labels: The runs' labels (as in :class:`TrainerRun`).
        seconds: Time the runs took.
    """

    seeds: tuple[int, ...]
    impact: tuple[np.ndarray, ...]
    labels: tuple[str, ...]
    seconds: float

    def band(self, index: int, week: int) -> tuple[float, float, float]:
        """10th percentile, median and 90th percentile of run ``index``'s impact at ``week``."""
        col = self.impact[index][:, min(week, self.impact[index].shape[1] - 1)]
        lo, mid, hi = np.quantile(col, [0.1, 0.5, 0.9])
        return float(lo), float(mid), float(hi)

    def rank(self, index: int, week: int, value: float) -> float:
        """Share of seeds whose impact at ``week`` is below ``value`` (ties count half)."""
        col = self.impact[index][:, min(week, self.impact[index].shape[1] - 1)]
        return float(((col < value).sum() + 0.5 * (col == value).sum()) / len(col))

    def b_beats_a(self) -> tuple[int, int]:
        """Seeds in which B ends with more impact than A, and seeds compared."""
        if len(self.impact) < 2:
            return 0, 0
        a, b = self.impact[0][:, -1], self.impact[1][:, -1]
        return int((b > a).sum()), len(a)


def typical_runs(
    run: TrainerRun,
    n: int = 30,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Typical | None:
    """Run ``n`` seeds of ``run``'s A (and B) to the end; None if ``cancelled()`` turns true.

    The seeds are spawned from the live run's seed (``SeedSequence(seed).spawn(n)``), so the
    same settings always give the same spread.
    """
    import time

    if not 1 <= n <= 200:
        raise ValueError(f"n = {n!r} is not valid: expected 1 to 200 seeds")
    t0 = time.perf_counter()
    seeds = spawn_seeds(run.seed, n)
    out = []
    for model in run.models:
        params = dict(model.params)
        weeks = int(params["weeks"])
        rows = np.empty((n, weeks + 1))
        for i, seed in enumerate(seeds):
            if cancelled is not None and cancelled():
                return None
            m = CollaborationModel(rng=seed, **params)
            try:
                m.run()
                pv = m.timeseries()["public_value"].to_numpy()
            finally:
                release(m)
            rows[i, : len(pv)] = pv
            rows[i, len(pv) :] = pv[-1]
        out.append(rows)
    return Typical(tuple(seeds), tuple(out), tuple(run.labels), time.perf_counter() - t0)
