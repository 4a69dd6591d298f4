"""The vectorized model against the idiomatic Mesa reference (benchmarks/reference_model.py).

The two implementations draw different random numbers, so runs cannot match one by one; they
must agree in distribution. For three configurations (all defaults; a small collaboration with
the navigator, stat meetings, all community stages, lead governance that can adapt, leadership
shocks and turnover; and a "teaming" one: an NAO, much joint problem-solving, dense prior
relationships, residents in implementation and an annual turnover rate of 1.0), each
implementation runs on its own seeds and the key outcomes are compared with two-sample tests
(Mann-Whitney U and Kolmogorov-Smirnov): collective impact, weeks to the first win (runs
without a win count as ``weeks + 1``), mean trust, legitimacy, cross-boundary trust,
psychological safety and shared understanding at the end. Family-wise alpha is 0.01, split
evenly (Bonferroni) over the tests. To show that the comparison has power, the model with one
rate wrong must be told apart from the reference: the declared ``trust_gain`` doubled (as a
typo might), or the climate's lift from joint problem-solving left out (``jps_safety`` 0, a
revision-2 mechanism that only the safety outcome sees).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from collabsim import CollaborationModel
from collabsim.outcomes import SUMMARY_KEYS
from collabsim.params import PARAMS

pytestmark = pytest.mark.slow

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "reference_model.py"
_spec = importlib.util.spec_from_file_location("reference_model", _PATH)
assert _spec is not None and _spec.loader is not None
reference_model = importlib.util.module_from_spec(_spec)
sys.modules["reference_model"] = reference_model
_spec.loader.exec_module(reference_model)
ReferenceModel = reference_model.ReferenceModel

SEEDS = 150
WEEKS = 104
CONFIGS: dict[str, dict] = {
    "defaults": {"weeks": WEEKS},
    "levers": {
        "weeks": WEEKS,
        "n_orgs": 8,
        "reps_per_org": 2,
        "navigator": True,
        "data_use": True,
        "community_stages": 4,
        "adaptable": True,
        "governance": "lead",
        "leadership_shock_rate": 0.5,
        "turnover_rate": 0.3,
    },
    "teaming": {
        "weeks": WEEKS,
        "n_orgs": 10,
        "reps_per_org": 2,
        "governance": "nao",
        "joint_problem_solving": 0.8,
        "prior_history": 3.0,
        "community_stages": 3,
        "turnover_rate": 1.0,
    },
}
OUTCOMES = (
    "collective_impact",
    "weeks_to_first_win",
    "mean_trust",
    "legitimacy",
    "cross_trust",
    "safety",
    "shared_understanding",
)
TESTS = ("mannwhitneyu", "ks_2samp")
FAMILY_ALPHA = 0.01
#: Per-test level: the family-wise alpha split over every comparison of the agreement tests.
ALPHA = FAMILY_ALPHA / (len(CONFIGS) * len(OUTCOMES) * len(TESTS))


def outcomes(rows: list[dict], weeks: int) -> dict[str, np.ndarray]:
    out = {}
    for key in OUTCOMES:
        a = np.array([r[key] for r in rows], dtype=float)
        if key == "weeks_to_first_win":
            a = np.where(np.isfinite(a), a, weeks + 1)  # no win: after the horizon
        out[key] = a
    return out


def p_values(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    return {
        f"{key} {test}": float(getattr(stats, test)(a[key], b[key]).pvalue)
        for key in OUTCOMES
        for test in TESTS
    }


def run(cls, params: dict, first_seed: int) -> dict[str, np.ndarray]:
    rows = [cls(rng=first_seed + s, **params).run().summary() for s in range(SEEDS)]
    return outcomes(rows, params["weeks"])


@pytest.fixture(scope="module")
def reference() -> dict[str, dict[str, np.ndarray]]:
    return {name: run(ReferenceModel, params, 0) for name, params in CONFIGS.items()}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_model_and_reference_agree_in_distribution(reference, name):
    model = run(CollaborationModel, CONFIGS[name], 100_000)
    ps = p_values(model, reference[name])
    worst = min(ps, key=ps.get)
    assert ps[worst] >= ALPHA, f"{name}: {worst} p = {ps[worst]:.2g} < {ALPHA:.2g} ({ps})"


@pytest.mark.parametrize(
    "name, value",
    [("trust_gain", 2 * PARAMS["trust_gain"].default), ("jps_safety", 0.0)],
)
def test_the_comparison_detects_a_perturbed_rate(reference, name, value):
    assert value != PARAMS[name].default
    params = {**CONFIGS["defaults"], name: value}
    ps = p_values(run(CollaborationModel, params, 100_000), reference["defaults"])
    assert min(ps.values()) < ALPHA, ps


@pytest.mark.parametrize("name", ["levers", "teaming"])
def test_reference_runs_are_reproducible_and_bounded(name):
    a = ReferenceModel(rng=3, **CONFIGS[name]).run()
    b = ReferenceModel(rng=3, **CONFIGS[name]).run()
    assert repr(a.summary()) == repr(b.summary())  # (repr: NaN equals NaN)
    assert set(a.summary()) == {*SUMMARY_KEYS, "seed"}  # every declared outcome, same names
    for q in a.people:
        for x in (q.frame, q.effort, q.safety, q.skill, q.nav_trust, q.commitment):
            assert 0.0 <= x <= 1.0
        assert all(0.0 <= t <= 1.0 for t in q.trust.values())
    for o in a.orgs:
        assert all(0.0 <= k <= 1.0 and o in other.capital for other, k in o.capital.items())
    assert 0.0 <= a.legitimacy <= 1.0 and 0.0 <= a.backing <= 1.0
    assert a.public_value >= 0.0 and a.programs >= 0.0
