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
#: with the reason (docs/findings.md explains the mechanisms; the full-size reference report in
#: results/replication/ gives the numbers: formal_structure (a) and (c), key_actions (a) and
#: (c), and not_speed (c) and (d) pass there, and the report flags them as quick/full
#: disagreements). They are strict expected failures: if
#: one starts to pass, the suite fails, so that this list and the report are brought up to date.
#: The criteria themselves are never edited to fit.
KNOWN_FAILURES: dict[tuple[str, str], str] = {
    ("formal_structure", "a"): (
        "at CI size the bootstrap bound of Cramer's V (0.114 [0.053, 0.198], 648 runs) crosses "
        "0.15; at full size it passes (0.072 [0.039, 0.109])"
    ),
    ("formal_structure", "b"): (
        "shared governance does worse than a lead organization or an NAO within contexts: its "
        "fit reads a cross-boundary trust density that is low in every context (full size: "
        "common OR vs lead 0.72 [0.60, 0.85])"
    ),
    ("formal_structure", "c"): (
        "at CI size the Breslow-Day p-values (0.41, 0.057, 0.098) miss 0.01; at full size the "
        "contingency shows (p 0.003)"
    ),
    ("key_actions", "a"): (
        "at CI size the intervals of prior relationships, the navigator and joint "
        "problem-solving include 0; at full size every action raises success, prior "
        "relationships narrowly (+0.050 [0.002, 0.098]; with 0.2's draws it failed, +0.036 "
        "[-0.012, 0.083])"
    ),
    ("key_actions", "b"): (
        "data use helps as much without joint problem-solving as with it (interaction about 0): "
        "joint problem-solving raises safety only a little"
    ),
    ("key_actions", "c"): (
        "at CI size the intervals of community engagement and data use include 0; at full size "
        "every action raises the learning share (prior relationships +0.08 [0.01, 0.15])"
    ),
    ("key_actions", "d"): (
        "the indirect effect through the learning-vs-blame response is about 0 for every "
        "action: the actions mostly prevent setbacks (trust, safety and shared understanding "
        "raise support and backing) rather than change how setbacks are met"
    ),
    ("key_actions", "e"): (
        "the summed indirect effect through learning (0.05) is far below half of the summed "
        "total effect (1.45)"
    ),
    ("not_speed", "c"): (
        "at CI size the rate ratio of consensus losses per +0.1 turnover (1.145 [0.964, 1.361], "
        "300 runs) includes 1; at full size it passes (1.157 [1.077, 1.242]; with 0.2's draws it "
        "failed, 1.07 [0.99, 1.14])"
    ),
    ("not_speed", "d"): (
        "at CI size re-making consensus does not clearly take longer with turnover (HR 0.95 "
        "[0.80, 1.11]); at full size it does (0.86 [0.80, 0.92])"
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
