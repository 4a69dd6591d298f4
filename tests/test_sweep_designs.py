"""Designs: grid, LHS, Sobol, Morris from the parameter declaration; typed values; clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from collabsim.cli import main
from collabsim.params import PARAMS, ParamError
from collabsim.sweep import DUMMY, DesignError, Factor, factors_from_params, load_sweep, make_design


def test_bounds_default_to_declared_ranges_and_can_be_narrowed():
    f_rate, f_stages = factors_from_params(
        ["turnover_rate", "community_stages"], bounds={"turnover_rate": [0.1, 0.4]}
    )
    assert (f_rate.low, f_rate.high) == (0.1, 0.4)
    p = PARAMS["community_stages"]
    assert (f_stages.kind, f_stages.low, f_stages.high) == ("int", p.low, p.high)


def test_grid_is_the_full_factorial_with_typed_values():
    factors = factors_from_params(
        ["turnover_rate", "navigator", "governance", "community_stages"],
        levels={"turnover_rate": [0.0, 0.2, 0.5]},
        method="grid",
    )
    d = make_design("grid", factors, grid_levels=3)
    assert d.n_points == 3 * 2 * 3 * 3
    pts = d.points()
    assert len(pts.drop_duplicates()) == d.n_points
    assert set(pts["turnover_rate"]) == {0.0, 0.2, 0.5}
    assert set(pts["navigator"]) == {False, True}
    assert set(pts["governance"]) == {"shared", "lead", "nao"}
    # an integer range [0, 4] on three levels: 0, 2, 4
    assert sorted(set(pts["community_stages"])) == [0, 2, 4]
    assert pts["community_stages"].dtype == np.int64
    first = d.point_values()[0]
    assert type(first["navigator"]) is bool and type(first["community_stages"]) is int


def test_choice_levels_can_restrict_the_categories():
    (f,) = factors_from_params(["governance"], levels={"governance": ["lead", "nao"]})
    d = make_design("lhs", [f], n=200, seed=1)
    assert set(d.points()["governance"]) == {"lead", "nao"}


@pytest.mark.parametrize("method,n", [("lhs", 400), ("sobol", 64), ("morris", 40)])
def test_sampled_designs_give_valid_values_of_every_kind(method, n):
    names = ["turnover_rate", "community_stages", "navigator", "governance", "n_projects"]
    d = make_design(method, factors_from_params(names), n=n, seed=3, dummy=True)
    assert d.names[-1] == DUMMY and DUMMY not in d.points().columns
    pts = d.points()
    for name in names:
        p = PARAMS[name]
        for v in pts[name]:
            assert p.check(v) == v  # every value is valid for the declaration
    assert set(pts["navigator"]) == {False, True}
    assert set(pts["governance"]) == {"shared", "lead", "nao"}
    if method == "lhs":
        # every integer of [0, 4] equally likely: 400 draws, 80 expected per level
        counts = pts["community_stages"].value_counts()
        assert sorted(counts.index) == [0, 1, 2, 3, 4]
        assert counts.min() >= 60 and counts.max() <= 100
        assert pts["n_projects"].min() == 1 and pts["n_projects"].max() == 50


def test_design_sizes_follow_the_methods():
    fs = factors_from_params(["turnover_rate", "loyalty", "navigator"])
    assert make_design("sobol", fs, n=16).n_points == 16 * (3 + 2)
    assert make_design("sobol", fs, n=16, dummy=True).n_points == 16 * (4 + 2)
    assert make_design("sobol", fs, n=16, second_order=True).n_points == 16 * (2 * 3 + 2)
    assert make_design("morris", fs, n=10).n_points == 10 * (3 + 1)
    assert make_design("lhs", fs, n=33).n_points == 33


def test_sobol_head_is_the_smaller_sample():
    """The convergence check relies on it: the first N/4 blocks are the sample at N/4."""
    fs = factors_from_params(["turnover_rate", "loyalty", "governance"])
    big = make_design("sobol", fs, n=64, seed=5, dummy=True)
    small = make_design("sobol", fs, n=16, seed=5, dummy=True)
    np.testing.assert_array_equal(big.head(16).X, small.X)


def test_designs_are_reproducible_from_their_seed():
    fs = factors_from_params(["turnover_rate", "loyalty"])
    a, b = make_design("lhs", fs, n=20, seed=9), make_design("lhs", fs, n=20, seed=9)
    assert a.digest() == b.digest()
    assert make_design("lhs", fs, n=20, seed=10).digest() != a.digest()


def test_plain_inputs_for_functions():
    f = Factor.input("x1", -np.pi, np.pi)
    d = make_design("sobol", [f], n=8)
    assert d.X.min() >= -np.pi and d.X.max() <= np.pi
    with pytest.raises(DesignError, match="low < high"):
        Factor.input("x", 1.0, 1.0)


@pytest.mark.parametrize(
    "call,exc,pattern",
    [
        (lambda: factors_from_params(["turnover_rat"]), ParamError, "did you mean 'turnover_rate'"),
        (
            lambda: factors_from_params(["turnover_rate"], bounds={"turnover_rate": [0.0, 1.5]}),
            DesignError,
            r"outside the declared range: expected a number in \[0, 1\]",
        ),
        (
            lambda: factors_from_params(["turnover_rate"], bounds={"turnover_rate": [0.5, 0.2]}),
            DesignError,
            "low < high",
        ),
        (
            lambda: factors_from_params(["navigator"], bounds={"navigator": [0, 1]}),
            DesignError,
            "give 'levels'",
        ),
        (
            lambda: factors_from_params(["governance"], levels={"governance": ["central"]}),
            DesignError,
            "'central'",
        ),
        (
            lambda: factors_from_params(["loyalty"], levels={"loyalty": [0.1, 0.2]}, method="lhs"),
            DesignError,
            "only used by a grid",
        ),
        (
            lambda: make_design("sobol", factors_from_params(["loyalty"]), n=1000),
            DesignError,
            "n = 1000 is not valid for a Sobol design: expected a power of two",
        ),
        (
            lambda: make_design("latin", factors_from_params(["loyalty"]), n=10),
            DesignError,
            "expected one of grid, lhs, sobol, morris",
        ),
        (
            lambda: make_design("morris", factors_from_params(["loyalty"]), n=5, morris_levels=3),
            DesignError,
            "even",
        ),
        (lambda: factors_from_params([]), DesignError, "varies no parameter"),
    ],
)
def test_bad_designs_give_a_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


BAD_CONFIGS = {
    "unknown parameter": (
        'method = "lhs"\nn = 10\nparams = ["loyalty", "turnover"]\n',
        "unknown parameter 'turnover'",
    ),
    "bounds outside": (
        'method = "lhs"\nn = 10\nparams = ["loyalty"]\n[design.bounds]\nloyalty = [-0.5, 0.5]\n',
        "bounds of loyalty",
    ),
    "sobol n": (
        'method = "sobol"\nn = 100\nparams = ["loyalty"]\n',
        "n = 100 is not valid for a Sobol design: expected a power of two",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_design_in_a_config_exits_2_with_one_line(tmp_path, capsys, case):
    body, expected = BAD_CONFIGS[case]
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[sweep]\nname = "bad"\n[design]\n' + body)
    status = main(["sweep", str(cfg), "--out", str(tmp_path / "out"), "--serial"])
    err = capsys.readouterr().err
    assert status == 2
    assert expected in err and str(cfg) in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_config_rejects_a_parameter_both_fixed_and_varied(tmp_path):
    cfg = tmp_path / "clash.toml"
    cfg.write_text(
        '[sweep]\nname = "c"\n[sweep.set]\nloyalty = 0.3\n'
        '[design]\nmethod = "lhs"\nn = 4\nparams = ["loyalty"]\n'
    )
    with pytest.raises(Exception, match="both fixed"):
        load_sweep(cfg)


def test_shipped_sweep_configs_load():
    for name in (
        "sweep_turnover_navigator",
        "sweep_governance",
        "sweep_key_actions_lhs",
        "sweep_levers_sobol",
    ):
        sweep = load_sweep(name)
        assert sweep.n_runs == sweep.design.n_points * sweep.replicates > 0


def test_all_means_every_declared_parameter_not_marked_fixed(monkeypatch):
    import dataclasses

    from collabsim import params as params_mod
    from collabsim.sweep import designs as designs_mod

    names = [f.name for f in factors_from_params("all")]
    assert names == [p.name for p in params_mod.PARAMS.values() if not getattr(p, "fixed", False)]

    @dataclasses.dataclass(frozen=True)
    class Fixed:
        name: str
        fixed: bool = True

    fake = dict(params_mod.PARAMS)
    fake["tie_share"] = Fixed("tie_share")
    monkeypatch.setattr(designs_mod, "PARAMS", fake)
    assert "tie_share" not in [f.name for f in factors_from_params("all")]
