"""The patterns at CI size: each part of each pre-declared criterion, on fixed seeds.

The quick design of ``configs/replication.toml`` (``seeds_quick`` per cell, declared as the
CI-sized version) is run once for all patterns in one pool, with the root seed of the file.
Each test asserts one lettered part of a pattern's criterion, which states the pattern's
direction with an interval (e.g. "lower CI bound of the difference > 0"), never a single run.
A failure names the estimates, so it says how far the model is from the claim.
"""

from pathlib import Path

import pytest

from collabsim.engine import default_workers
from collabsim.replication.criteria import load_criteria
from collabsim.replication.replicate import replicate

FILE = Path(__file__).resolve().parents[1] / "configs" / "replication.toml"

#: Every part of every criterion (the pattern modules return one check per part).
PARTS = [
    ("base_rate", "a"),  # about half reach the impact target by week 156 (KM)
    ("base_rate", "b"),  # KM median time to impact in (52, 260] weeks
    ("formal_structure", "a"),  # pooled: governance mode barely predicts success (Cramer's V)
    ("formal_structure", "b"),  # within contexts: MH odds ratios within the equivalence margin
    ("formal_structure", "c"),  # contingent fit: Breslow-Day heterogeneity across contexts
    ("formal_structure", "d"),  # adaptable > rigid (Newcombe CI above 0)
    ("key_actions", "a"),  # every action raises success (risk difference CI above 0)
    ("key_actions", "b"),  # data use helps more with joint problem-solving (interaction)
    ("key_actions", "c"),  # every action raises the learning share (CI above 0)
    ("key_actions", "d"),  # a part of every action's effect runs through learning (NIE)
    ("key_actions", "e"),  # at least half of the summed effect runs through learning
    ("entry_points", "a"),  # without an entry point teams stall (Wilson CI above 0.75)
    ("entry_points", "b"),  # high-trait teams gain momentum more than low-trait ones
    ("entry_points", "c"),  # at least half of high-trait teams gain momentum
    ("not_speed", "a"),  # turnover delays impact (Cox hazard ratio CI below 1)
    ("not_speed", "b"),  # turnover delays the first win
    ("not_speed", "c"),  # turnover makes consensus be lost more often (Poisson)
    ("not_speed", "d"),  # re-making consensus takes longer with turnover (Cox)
    ("trust_dynamics", "a"),  # trust breaks faster than it builds, drift-corrected
    ("trust_dynamics", "b"),  # a first win goes with more impact (observational)
    ("trust_dynamics", "c"),  # forcing the first outcome: it leaves a mark (causal)
    ("cases", "a"),  # Hartford gridlocks
    ("cases", "b"),  # Hartford's uptake is below Louisville's
    ("cases", "c"),  # Louisville's public value keeps rising in year 3
    ("cases", "d"),  # Louisville is slow (KM median weeks to impact above 52)
]


@pytest.fixture(scope="module")
def replication():
    crit = load_criteria(FILE)
    return replicate(crit, quick=True, workers=default_workers())


def _describe(check) -> str:
    ests = "; ".join(f"{e.label} = {e.text()}" for e in check.estimates)
    note = f" ({check.note})" if check.note else ""
    return f"{check.statistic}: {ests}; criterion: {check.criterion}{note}"


def test_every_part_of_every_criterion_is_tested(replication):
    declared = {(n, c.part) for n, r in replication.results.items() for c in r.checks}
    assert declared == set(PARTS)


#: Parts of the pre-declared criteria that the calibrated model does NOT meet at CI size, each
#: with the reason (the full-size reference report in results/replication/ gives the numbers;
#: formal_structure (b) and not_speed (b) pass there: the report flags them as quick/full
#: disagreements). They
#: are strict expected failures: if one starts to pass, the suite fails, so that this list and
#: the report are brought up to date. The criteria themselves are never edited to fit.
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("formal_structure", "b"): (
        "within contexts the Mantel-Haenszel odds ratios of the pairs of modes have CIs wider "
        "than the equivalence margin [1/1.5, 1.5] at CI size"
    ),
    ("formal_structure", "c"): (
        "the best mode hardly depends on the context at CI size (Breslow-Day p 0.015, 0.04, "
        "0.38): fit reads cross-boundary trust density and shared understanding, which are "
        "low and alike in every context, so only the size term tells the contexts apart"
    ),
    ("key_actions", "a"): (
        "not every action clearly raises success at CI size (see the replication report)"
    ),
    ("key_actions", "b"): (
        "data use does not clearly help more with joint problem-solving at CI size"
    ),
    ("key_actions", "c"): (
        "not every action's learning-share difference has a CI above 0 at CI size"
    ),
    ("key_actions", "d"): (
        "the indirect effect through the learning cycle is not clearly positive for every "
        "action at CI size"
    ),
    ("key_actions", "e"): (
        "the summed indirect effect through learning is not clearly above half of the summed "
        "total effect"
    ),
    ("not_speed", "c"): (
        "consensus (largest frame cluster >= 0.8) is lost no more often with more turnover "
        "(rate ratio per +0.1 1.05 [0.90, 1.23]): at these rates a third of the seats or fewer "
        "turn over a year and newcomers, with little effort on their learning curve, barely "
        "move the largest cluster; losses come mostly from drift of the founders' frames"
    ),
    ("not_speed", "d"): (
        "re-making consensus after a loss does not clearly take longer with more turnover "
        "(HR 0.96 [0.82, 1.13]; 90 of 300 runs lost it)"
    ),
}


def _param(pattern: str, part: str):
    reason = KNOWN_FAILURES.get((pattern, part))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(pattern, part, marks=marks, id=f"{pattern}-{part}")


@pytest.mark.slow
@pytest.mark.parametrize(("pattern", "part"), [_param(n, p) for n, p in PARTS])
def test_pattern_holds_at_ci_size(replication, pattern, part):
    check = replication.results[pattern].check(part)
    assert check.passed, _describe(check)


def test_figures_are_readable(replication):
    """Titled, labelled axes (units in the labels), a legend, and a figure title."""
    for name, res in replication.results.items():
        fig = res.figure
        assert fig.get_suptitle(), name
        assert any(ax.get_legend() is not None for ax in fig.axes), name
        for ax in fig.axes:
            assert ax.get_title(), f"{name}: an axes has no title"
            assert ax.get_xlabel(), f"{name}: {ax.get_title()!r} has no x label"
            assert ax.get_ylabel(), f"{name}: {ax.get_title()!r} has no y label"


def test_runs_table_has_one_row_per_planned_run(replication):
    for p in replication.plans:
        res = replication.size2 if p.size2 else replication.results
        runs = res[p.spec.name].runs
        assert len(runs) == len(p.runs)
        assert list(runs["seed"]) == [r.seed for r in p.runs]
