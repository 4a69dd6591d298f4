"""Designs: the cells say what the criteria file says; seeds are spawned, stable and recorded."""

from pathlib import Path

import numpy as np
import pytest

from collabsim.params import ParamError
from collabsim.replication.criteria import load_criteria
from collabsim.replication.design import bootstrap_rng, cell_seeds, make_cell
from collabsim.replication.replicate import plan

FILE = Path(__file__).resolve().parents[1] / "configs" / "replication.toml"


@pytest.fixture(scope="module")
def crit():
    return load_criteria(FILE)


def test_cell_counts_follow_the_declared_designs(crit):
    plans = {p.label: p for p in plan(crit, quick=True)}
    expected = {
        "base_rate": (1, 1),
        "formal_structure": (3 * 3 * 3 * 2, 3 * 3 * 3 * 2),
        # factorial, then each action off and on (mediation arms: twice the seeds)
        "key_actions": (2**5 + 5 * 2, 2**5 + 5 * 2 * 2),
        "entry_points": (2**4, 2**4),
        "not_speed": (5, 5),
        "trust_dynamics": (3, 3),  # as it is, first outcome forced to a win, to a setback
        "cases": (2, 2),
    }
    for name, (cells, seed_units) in expected.items():
        p = plans[name]
        assert len(p.cells) == cells
        assert len(p.runs) == seed_units * crit.patterns[name].seeds_quick
        if crit.patterns[name].size2:
            p2 = plans[name + "@size2"]
            assert len(p2.runs) == seed_units * crit.patterns[name].seeds_size2_quick
            assert all(
                c.params[k] == v for c in p2.cells for k, v in crit.patterns[name].size2.items()
            )


def test_cells_set_the_declared_parameters(crit):
    (ka, _) = plan(crit, ["key_actions"], quick=True)
    for cell in ka.cells:
        if cell.labels["design"] != "factorial":
            continue
        assert cell.params["navigator"] is bool(cell.labels["navigator"])
        assert cell.params["community_stages"] == (3 if cell.labels["community engagement"] else 0)
    arms = [c for c in ka.cells if c.labels["design"] == "mediation"]
    nav_on = next(c for c in arms if c.labels["action"] == "navigator" and c.labels["arm"] == "on")
    assert nav_on.params["navigator"] is True and nav_on.seeds_factor == 2
    (fs, _) = plan(crit, ["formal_structure"], quick=True)
    sizes = {(c.labels["context"], c.params["n_orgs"]) for c in fs.cells}
    assert sizes == {("small and densely tied", 6), ("medium", 12), ("large and sparse", 30)}
    (cases,) = plan(crit, ["cases"], quick=True)
    hart = next(c for c in cases.cells if c.labels["case"] == "hartford")
    assert hart.params["entry_points"] is False and hart.params["community_stages"] == 0
    (ep,) = plan(crit, ["entry_points"], quick=True)
    assert all(c.params["weeks"] == 39 for c in ep.cells)
    (td, _) = plan(crit, ["trust_dynamics"], quick=True)
    assert [c.params.get("first_outcome", "free") for c in td.cells] == ["free", "win", "setback"]


def test_the_base_goes_under_every_design_and_the_design_wins(crit):
    base = {"turnover_rate": 0.3, "navigator": True}
    for p in plan(crit, quick=True, base=base):
        if p.spec.name in ("not_speed", "cases"):  # these designs set turnover themselves
            continue
        assert all(c.params["turnover_rate"] == 0.3 for c in p.cells)
    (ns, _) = plan(crit, ["not_speed"], quick=True, base=base)
    assert [c.params["turnover_rate"] for c in ns.cells] == [0.0, 0.1, 0.2, 0.3, 0.4]
    (ka, _) = plan(crit, ["key_actions"], quick=True, base=base)
    off = [c for c in ka.cells if c.labels["design"] == "factorial" and not c.labels["navigator"]]
    assert off and all(c.params["navigator"] is False for c in off)  # the factor wins


def test_bad_levels_fail_with_the_parameter_name():
    with pytest.raises(ParamError, match="diversity = 1.5"):
        make_cell({}, {"diversity": 1.5}, 0)


def test_seeds_are_stable_and_quick_runs_are_the_first_full_runs(crit):
    quick = {p.label: p for p in plan(crit, quick=True)}
    full = {p.label: p for p in plan(crit, quick=False)}
    for label, q in quick.items():
        f = full[label]
        for ci, cell in enumerate(q.cells):
            n = q.seeds_per_cell * cell.seeds_factor
            qs = [r.seed for r in q.runs if r.cell == ci]
            fs = [r.seed for r in f.runs if r.cell == ci]
            assert len(qs) == n and qs == fs[:n]
    # a pattern's seeds do not depend on which other patterns run
    alone = plan(crit, ["cases"], quick=True)[0]
    assert [r.seed for r in alone.runs] == [r.seed for r in quick["cases"].runs]
    assert cell_seeds(crit.root_seed, "cases", 0, 3) == cell_seeds(crit.root_seed, "cases", 0, 3)
    # the second size draws its own seeds
    s2 = {r.seed for r in quick["not_speed@size2"].runs}
    assert not s2 & {r.seed for r in quick["not_speed"].runs}


def test_only_paired_cells_share_seeds(crit):
    for p in plan(crit, quick=True):
        by_seed_cell: dict[int, list[int]] = {}
        for r in p.runs:
            by_seed_cell.setdefault(p.cells[r.cell].seed_cell, []).append(r.seed)
        # cells with different seed streams never share a seed
        pools = [set(v) for v in by_seed_cell.values()]
        assert sum(len(x) for x in pools) == len(set().union(*pools))
        if p.spec.name == "trust_dynamics":
            # the run as it is and both forced runs: the same seeds, each seed three times
            _, counts = np.unique([r.seed for r in p.runs], return_counts=True)
            assert set(counts) == {3}
        if p.spec.name == "key_actions":
            med = [r for r in p.runs if p.cells[r.cell].labels["design"] == "mediation"]
            _, counts = np.unique([r.seed for r in med], return_counts=True)
            assert set(counts) == {10}  # five actions, off and on, on the same seeds


def test_bootstrap_streams_are_seeded_per_pattern(crit):
    a = bootstrap_rng(crit.root_seed, "cases").random(3)
    b = bootstrap_rng(crit.root_seed, "cases").random(3)
    c = bootstrap_rng(crit.root_seed, "not_speed").random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
