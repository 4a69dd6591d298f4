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
    plans = {p.spec.name: p for p in plan(crit, quick=True)}
    expected = {
        "formal_structure": 3 * 3 * 3 * 2,
        "key_actions": 2**5 * 2,
        "entry_points": 2**4,
        "not_speed": 5,
        "trust_dynamics": 1,
        "cases": 2,
    }
    for name, cells in expected.items():
        p = plans[name]
        assert len(p.cells) == cells
        assert len(p.runs) == cells * crit.patterns[name].seeds_quick


def test_cells_set_the_declared_parameters(crit):
    (ka,) = plan(crit, ["key_actions"], quick=True)
    for cell in ka.cells:
        assert cell.params["navigator"] is bool(cell.labels["navigator"])
        assert cell.params["community_stages"] == (3 if cell.labels["community engagement"] else 0)
        cut = cell.labels["channel"] == "cut"
        assert (cell.params.get("learning_trust_weight") == 0.0) is cut
    (fs,) = plan(crit, ["formal_structure"], quick=True)
    sizes = {(c.labels["context"], c.params["n_orgs"]) for c in fs.cells}
    assert sizes == {("small and densely tied", 6), ("medium", 12), ("large and sparse", 30)}
    (cases,) = plan(crit, ["cases"], quick=True)
    hart = next(c for c in cases.cells if c.labels["case"] == "hartford")
    assert hart.params["entry_points"] is False and hart.params["community_stages"] == 0
    (ep,) = plan(crit, ["entry_points"], quick=True)
    assert all(c.params["weeks"] == 39 for c in ep.cells)


def test_bad_levels_fail_with_the_parameter_name():
    with pytest.raises(ParamError, match="diversity = 1.5"):
        make_cell({}, {"diversity": 1.5}, 0)


def test_seeds_are_stable_and_quick_runs_are_the_first_full_runs(crit):
    quick = {p.spec.name: p for p in plan(crit, quick=True)}
    full = {p.spec.name: p for p in plan(crit, quick=False)}
    for name, q in quick.items():
        f = full[name]
        n = q.seeds_per_cell
        for ci in range(len(q.cells)):
            qs = [r.seed for r in q.runs if r.cell == ci]
            fs = [r.seed for r in f.runs if r.cell == ci]
            assert qs == fs[:n]
    # a pattern's seeds do not depend on which other patterns run
    alone = plan(crit, ["cases"], quick=True)[0]
    assert [r.seed for r in alone.runs] == [r.seed for r in quick["cases"].runs]
    assert cell_seeds(crit.root_seed, "cases", 0, 3) == cell_seeds(crit.root_seed, "cases", 0, 3)


def test_only_paired_cells_share_seeds(crit):
    for p in plan(crit, quick=True):
        seeds = [r.seed for r in p.runs]
        if p.spec.name == "key_actions":
            # each seed appears exactly twice: once as the model is, once with learning cut
            _, counts = np.unique(seeds, return_counts=True)
            assert set(counts) == {2}
            by_key = {}
            for r in p.runs:
                c = p.cells[r.cell].labels
                by_key.setdefault((c["combo"], r.rep), set()).add(r.seed)
            assert all(len(s) == 1 for s in by_key.values())
        else:
            assert len(set(seeds)) == len(seeds)


def test_bootstrap_streams_are_seeded_per_pattern(crit):
    a = bootstrap_rng(crit.root_seed, "cases").random(3)
    b = bootstrap_rng(crit.root_seed, "cases").random(3)
    c = bootstrap_rng(crit.root_seed, "not_speed").random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
