"""Sensitivity analysis: known Ishigami indices, noise floor, NaN rules, the CLI end to end."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from collabsim import sensitivity as sa
from collabsim.cli import main
from collabsim.config import ConfigError
from collabsim.sweep import DUMMY, Factor, factors_from_params, make_design

# Ishigami function, a = 7, b = 0.1, inputs uniform on [-pi, pi] (Ishigami & Homma 1990).
A, B = 7.0, 0.1
_V1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
_V2 = A**2 / 8
_V13 = B**2 * math.pi**8 * (1 / 18 - 1 / 50)
_V = _V1 + _V2 + _V13
S1 = {"x1": _V1 / _V, "x2": _V2 / _V, "x3": 0.0}
ST = {"x1": (_V1 + _V13) / _V, "x2": _V2 / _V, "x3": _V13 / _V}


def ishigami(X: np.ndarray) -> np.ndarray:
    return np.sin(X[:, 0]) + A * np.sin(X[:, 1]) ** 2 + B * X[:, 2] ** 4 * np.sin(X[:, 0])


@pytest.fixture(scope="module")
def ishigami_result():
    factors = [Factor.input(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    settings = sa.Settings(
        outcomes=("y",),
        sobol_n=1024,
        morris_trajectories=40,
        pawn_resamples=20,
        num_resamples=100,
        seed=11,
    )
    return sa.analyze(ishigami, factors, settings)


def _index(table: pd.DataFrame, name: str, column: str) -> float:
    return float(table.loc[table["parameter"] == name, column].iloc[0])


def test_sobol_recovers_the_ishigami_indices(ishigami_result):
    t = ishigami_result.sobol
    for name in ("x1", "x2", "x3"):
        assert _index(t, name, "S1") == pytest.approx(S1[name], abs=0.05)
        assert _index(t, name, "ST") == pytest.approx(ST[name], abs=0.05)
        # the known value lies within (a little more than) the bootstrap interval
        assert abs(_index(t, name, "ST") - ST[name]) <= 2 * _index(t, name, "ST_conf") + 0.01


def test_dummy_is_the_noise_floor(ishigami_result):
    t = ishigami_result.sobol
    # a deterministic function ignores the dummy: its indices vanish exactly
    assert _index(t, DUMMY, "ST") == 0.0
    assert t.set_index("parameter")["above_noise"].to_dict() == {
        "x1": True,
        "x2": True,
        "x3": True,
        DUMMY: False,
    }


def test_morris_known_answers(ishigami_result):
    m = ishigami_result.morris
    # on a 4-level grid x2 steps between sin^2 = 0 and sin^2 = 3/4, a jump of 2/3 of the range:
    # every |elementary effect| of x2 is 7 * 0.75 / (2/3) = 7.875
    assert _index(m, "x2", "mu_star") == pytest.approx(7.875)
    assert _index(m, "x2", "mu_star_conf") == pytest.approx(0.0, abs=1e-9)
    # its effects are +-7.875, so sigma follows from mu: sigma^2 = (7.875^2 - mu^2) r / (r - 1)
    r, mu = 40, _index(m, "x2", "mu")
    assert _index(m, "x2", "sigma") ** 2 == pytest.approx((7.875**2 - mu**2) * r / (r - 1))
    assert _index(m, DUMMY, "mu_star") == 0.0
    for name in ("x1", "x3"):
        assert _index(m, name, "mu_star") > 1.0 and _index(m, name, "sigma_conf") > 0


def test_elementary_effects_match_salib(ishigami_result):
    design = make_design("morris", [Factor.input("a", 0, 2), Factor.input("b", -1, 1)], n=6, seed=1)
    y = 3 * design.X[:, 0] - design.X[:, 1] ** 2
    ee = sa.elementary_effects(design, y)
    # a is linear: effect of a full-range step is 3 * range = 6
    np.testing.assert_allclose(ee[0], 6.0)
    table = sa.morris_table(design, pd.DataFrame({"y": y}), num_resamples=10)
    assert _index(table, "a", "mu_star") == pytest.approx(6.0)


def test_pawn_ranks_and_noise_floor(ishigami_result):
    p = ishigami_result.pawn
    med = p.set_index("parameter")["median"]
    assert med["x2"] > med["x1"] > med["x3"] > med[DUMMY]
    assert bool(p.set_index("parameter").loc["x1", "above_noise"])


def test_convergence_at_three_sample_sizes(ishigami_result):
    conv = ishigami_result.convergence
    assert sorted(conv["N"].unique()) == [256, 512, 1024]
    w = conv[conv["parameter"] == "x1"].set_index("N")["ST_width"]
    assert w[1024] < w[256]  # intervals shrink as N grows
    last = conv[conv["N"] == 1024].set_index("parameter")["ST"]
    pd.testing.assert_series_equal(
        last, ishigami_result.sobol.set_index("parameter")["ST"], check_names=False
    )


def test_summary_ranks_the_inputs(ishigami_result):
    text = sa.summary_markdown(ishigami_result, "ishigami")
    ranking = sa.lever_ranking(ishigami_result)
    assert list(ranking["parameter"]) == ["x1", "x2", "x3", DUMMY]
    assert "| 1 | `x1` |" in text and "noise floor" in text and "Convergence" in text


def test_point_outcomes_rules():
    runs = pd.DataFrame(
        {
            "point": [0, 0, 1, 1, 2, 2],
            "weeks_to_first_win": [10.0, np.nan, np.nan, np.nan, 4.0, 6.0],
            "learning_share": [0.5, np.nan, np.nan, np.nan, 1.0, 0.0],
            "perished": [True, False, False, False, True, True],
        }
    )
    y, imputed = sa.point_outcomes(
        runs, 3, ["weeks_to_first_win", "learning_share", "perished"], horizon=52
    )
    # never won: censored at the horizon
    assert list(y["weeks_to_first_win"]) == [31.0, 52.0, 5.0]
    # mean over replicates with a setback; a point without any is imputed with the others' mean
    assert list(y["learning_share"]) == [0.5, 0.5, 0.5]
    assert imputed == {"weeks_to_first_win": 0, "learning_share": 1, "perished": 0}
    assert list(y["perished"]) == [0.5, 0.0, 1.0]


def test_unknown_outcome_is_a_clear_error():
    with pytest.raises(ConfigError, match="outcome 'impact' is not valid"):
        sa.check_outcomes(["impact"])


SA_CONFIG = """
[sensitivity]
name = "tiny-sa"
scenario = "baseline"
replicates = 2
root_seed = 3
chunk_size = 16
outcomes = ["collective_impact", "weeks_to_first_win", "perished", "learning_share"]
num_resamples = 20

[sensitivity.set]
weeks = 20

[design]
params = ["navigator", "community_stages", "turnover_rate"]

[sobol]
n = 8

[morris]
trajectories = 4

[pawn]
resamples = 5
"""


def test_sensitivity_command_end_to_end(tmp_path, capsys):
    cfg = tmp_path / "sa.toml"
    cfg.write_text(SA_CONFIG)
    args = [
        "sensitivity",
        str(cfg),
        "--out",
        str(tmp_path / "sa"),
        "--sweeps-out",
        str(tmp_path / "sweeps"),
        "--serial",
        "--no-progress",
    ]
    assert main(args) == 0
    (folder,) = list((tmp_path / "sa").iterdir())
    names = {p.name for p in folder.iterdir()}
    assert {
        "sobol.csv",
        "morris.csv",
        "pawn.csv",
        "convergence.csv",
        "sobol.png",
        "morris.png",
        "convergence.png",
        "summary.md",
        "metadata.json",
    } <= names
    sobol = pd.read_csv(folder / "sobol.csv")
    assert set(sobol["parameter"]) == {"navigator", "community_stages", "turnover_rate", DUMMY}
    # 20 weeks and one replicate: most points have no setback, so learning_share is refused
    assert set(sobol["outcome"]) == set(sa.OUTCOMES) - {"learning_share"}
    assert "learning_share is undefined at" in capsys.readouterr().err
    meta = json.loads((folder / "metadata.json").read_text())
    assert set(meta["refused"]) == {"learning_share"}
    assert meta["undefined_share"]["sobol"]["learning_share"] > 0.2
    summary = (folder / "summary.md").read_text()
    assert "**Refused**" in summary
    assert "Convergence verdict" in summary
    assert "raise N to" in summary or "converged" in summary
    assert meta["designs"] == {"sobol": 8 * 6, "morris": 4 * 5}
    assert set(meta["sweeps"]) == {"sobol", "morris"}
    assert "Levers ranked" in (folder / "summary.md").read_text()
    # running it again reuses the finished sweeps (no run is repeated) and gives the same tables
    assert main([*args, "--methods", "sobol"]) == 0
    second = [p for p in (tmp_path / "sa").iterdir() if p != folder]
    assert len(second) == 1
    pd.testing.assert_frame_equal(pd.read_csv(second[0] / "sobol.csv"), sobol)
    assert len(list((tmp_path / "sweeps").iterdir())) == 2


def test_sensitivity_bad_n_exits_2(tmp_path, capsys):
    cfg = tmp_path / "sa.toml"
    cfg.write_text(SA_CONFIG)
    status = main(["sensitivity", str(cfg), "--n", "12", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2 and "n = 12 is not valid for a Sobol design" in err
    assert len(err.strip().splitlines()) == 1


def test_shipped_sa_configs_load():
    key = sa.load_sa_config("sa_key_actions")
    assert len(key.factors) >= 15 and key.settings.sobol_n == 256
    assert key.replicates == 10  # several replicates per point: indices on replicate means
    names = {f.name for f in key.factors}
    assert {
        "prior_history",
        "navigator",
        "community_stages",
        "data_use",
        "joint_problem_solving",
        "entry_points",
        "turnover_rate",
        "loyalty",
        "governance",
        "adaptable",
    } <= names
    turnover = sa.load_sa_config("sa_high_turnover")
    assert turnover.base["turnover_rate"] == 0.5
    assert "turnover_rate" not in {f.name for f in turnover.factors}
    everything = sa.load_sa_config("sa_all")
    assert everything.replicates > 1
    assert {f.name for f in everything.factors} == set(
        f.name for f in factors_from_params("all", exclude=["weeks"])
    )


def test_second_order_recovers_the_ishigami_interaction():
    factors = [Factor.input(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    settings = sa.Settings(
        outcomes=("y",),
        methods=("sobol",),
        sobol_n=1024,
        second_order=True,
        dummy=False,
        convergence=False,
        num_resamples=50,
        seed=4,
    )
    result = sa.analyze(ishigami, factors, settings)
    s2 = result.sobol_second.set_index(["parameter", "other"])["S2"]
    # the only interaction of the Ishigami function is x1 with x3
    assert s2[("x1", "x3")] == pytest.approx(_V13 / _V, abs=0.08)
    assert abs(s2[("x1", "x2")]) < 0.08 and abs(s2[("x2", "x3")]) < 0.08
    assert result.designs["sobol"] == 1024 * (2 * 3 + 2)


# ----------------------------------------------------------------------------- noise-aware SA
def test_delta_ranks_the_ishigami_inputs_above_the_dummy(ishigami_result):
    t = ishigami_result.delta
    d = {n: _index(t, n, "delta") for n in ("x1", "x2", "x3", DUMMY)}
    assert d["x2"] > d["x1"] > d[DUMMY]
    assert d["x3"] > d[DUMMY]
    assert bool(t.loc[t["parameter"] == "x2", "above_noise"].iloc[0])


def test_sobol_groups_give_the_known_group_indices():
    # Ishigami: x2 acts alone, x1 and x3 interact; the group {x1, x3} has
    # S1 = ST = (V1 + V13) / V and x2 keeps its own indices.
    factors = [Factor.input(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    settings = sa.Settings(
        outcomes=("y",),
        methods=("sobol",),
        sobol_n=2048,
        num_resamples=50,
        seed=5,
        groups=(("x13", ("x1", "x3")),),
    )
    res = sa.analyze(ishigami, factors, settings)
    t = res.sobol
    assert list(t["parameter"]) == ["x13", "x2", DUMMY]
    assert res.designs["sobol"] == 2048 * (3 + 2)  # three groups, not four inputs
    both = (_V1 + _V13) / _V
    assert _index(t, "x13", "S1") == pytest.approx(both, abs=0.05)
    assert _index(t, "x13", "ST") == pytest.approx(both, abs=0.05)
    assert _index(t, "x2", "ST") == pytest.approx(ST["x2"], abs=0.05)


def test_groups_are_checked():
    factors = [Factor.input(f"x{i}", 0, 1) for i in (1, 2)]
    with pytest.raises(ConfigError, match="'x9'"):
        make_design("sobol", factors, n=8, groups={"g": ["x1", "x9"]})
    with pytest.raises(ConfigError, match="two groups"):
        make_design("sobol", factors, n=8, groups={"g": ["x1"], "h": ["x1"]})
    with pytest.raises(ConfigError, match="morris"):
        sa.Settings(methods=("sobol", "morris"), groups=(("g", ("x1",)),))


def _runs(signal: np.ndarray, sigma: float, reps: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    point = np.repeat(np.arange(len(signal)), reps)
    y = signal[point] + rng.normal(0.0, sigma, len(point))
    return pd.DataFrame({"point": point, "y": y})


def test_seed_noise_recovers_a_known_noise_share():
    # signal variance 1, noise variance 1: half of a single run is noise; with 8 replicates
    # the means keep 1/8 / (1 + 1/8) = 1/9 of it.
    signal = np.random.default_rng(1).normal(0.0, 1.0, 4000)
    signal = (signal - signal.mean()) / signal.std(ddof=1)
    t = sa.seed_noise(_runs(signal, 1.0, 8, 2), len(signal), ["y"], 100).iloc[0]
    assert t["replicates"] == 8
    assert t["seed_var"] == pytest.approx(1.0, rel=0.03)
    assert t["seed_share_runs"] == pytest.approx(0.5, abs=0.02)
    assert t["seed_share_means"] == pytest.approx(1 / 9, abs=0.01)
    # one replicate per point: the noise cannot be measured
    one = sa.seed_noise(_runs(signal, 1.0, 1, 2), len(signal), ["y"], 100).iloc[0]
    assert math.isnan(one["seed_share_runs"])


def test_replicates_for_reaches_the_target():
    for s in (0.1, 0.5, 0.74, 0.9):
        for target in (0.05, 0.1):
            r = sa.replicates_for(s, target)
            assert s / (s + r * (1 - s)) <= target + 1e-12
            assert r == 1 or s / (s + (r - 1) * (1 - s)) > target
    assert sa.replicates_for(float("nan"), 0.1) == 1
    with pytest.raises(ValueError, match="pure seed noise"):
        sa.replicates_for(1.0, 0.1)


def test_dummy_measures_the_seed_noise_left_in_the_means():
    # y = x1 + noise, noise variance = signal variance; 8 replicates averaged per point: the
    # dummy's ST estimates the noise share of the means (1/9), and the report says whether
    # it is at the floor.
    def noisy(design):
        rng = np.random.default_rng(design.n_points)
        x = design.factors[0].decode(design.X[:, 0])
        reps = 8
        point = np.repeat(np.arange(design.n_points), reps)
        sd = math.sqrt(1 / 12)  # the variance of a uniform input on [0, 1]
        runs = pd.DataFrame({"point": point, "y": x[point] + rng.normal(0, sd, len(point))})
        y, imputed = sa.point_outcomes(runs, design.n_points, ["y"], 100)
        y.attrs["imputed"] = imputed
        y.attrs["noise"] = sa.seed_noise(runs, design.n_points, ["y"], 100).to_dict("records")
        return y

    noisy.evaluates_designs = True
    settings = sa.Settings(
        outcomes=("y",), methods=("sobol",), sobol_n=1024, num_resamples=50, seed=3
    )
    res = sa.analyze(noisy, [Factor.input("x1", 0, 1)], settings)
    dummy = _index(res.sobol, DUMMY, "ST")
    measured = float(res.noise["seed_share_means"].iloc[0])
    assert measured == pytest.approx(1 / 9, abs=0.02)
    assert dummy == pytest.approx(measured, abs=0.03)
    from collabsim.sensitivity.report import noise_floor

    floor = noise_floor(res).iloc[0]
    # half of a single run is noise: 9 replicates bring it to 10% of the means (the target)
    assert "above 10%: raise replicates to" in floor["verdict"]
    assert 8 <= floor["replicates_for_target"] <= 10
    text = sa.summary_markdown(res, "noisy")
    assert "Seed noise and the noise floor" in text


def test_outcomes_undefined_too_often_are_refused():
    def evaluator(design):
        x = design.factors[0].decode(design.X[:, 0])
        y = pd.DataFrame({"rare": x, "common": 2 * x})
        y.attrs["imputed"] = {"rare": int(0.3 * design.n_points), "common": 0}
        return y

    evaluator.evaluates_designs = True
    settings = sa.Settings(
        outcomes=("rare", "common"), methods=("sobol",), sobol_n=16, num_resamples=10
    )
    res = sa.analyze(evaluator, [Factor.input("x1", 0, 1)], settings)
    assert set(res.sobol["outcome"]) == {"common"}
    assert "rare is undefined at 30%" in res.refused["rare"]
    assert res.outcomes == ["common"]
    assert "**Refused**" in sa.summary_markdown(res, "t")
    loose = sa.Settings(
        outcomes=("rare", "common"),
        methods=("sobol",),
        sobol_n=16,
        num_resamples=10,
        max_undefined=0.5,
    )
    assert not sa.analyze(evaluator, [Factor.input("x1", 0, 1)], loose).refused
    only = sa.Settings(outcomes=("rare",), methods=("sobol",), sobol_n=16, num_resamples=10)
    with pytest.raises(sa.SAError, match="every outcome was refused"):
        sa.analyze(evaluator, [Factor.input("x1", 0, 1)], only)


def test_convergence_verdict_in_words():
    rows = []
    for n, st_x, conf in ((64, 0.40, 0.2), (128, 0.52, 0.12), (256, 0.50, 0.08)):
        rows.append({"outcome": "y", "parameter": "x", "N": n, "ST": st_x, "ST_conf": conf})
        rows.append({"outcome": "z", "parameter": "x", "N": n, "ST": 0.5, "ST_conf": 0.01})
    v = sa.convergence_verdict(pd.DataFrame(rows), tol=0.05).set_index("outcome")
    # y: moved 0.02 (fine) but the interval is +/-0.08: (0.08 / 0.05)^2 * 256 = 655 -> 1024
    assert not v.loc["y", "converged"]
    assert v.loc["y", "verdict"].endswith("raise N to 1024")
    assert v.loc["z", "converged"]
    assert v.loc["z", "verdict"].startswith("converged")


def test_sensitivity_figures_have_no_overlapping_text(ishigami_result):
    import matplotlib.pyplot as plt

    from test_sweep_summary import _overlapping_texts

    r = ishigami_result
    for plot, table, size in (
        (sa.plot_sobol, r.sobol, (6.5, 2.2)),
        (sa.plot_morris, r.morris, (6, 5)),
        (sa.plot_convergence, r.convergence, (6, 4)),
    ):
        fig = sa.figure_grid(plot, table, ["y"], size)
        try:
            assert _overlapping_texts(fig) == [], plot.__name__
        finally:
            plt.close(fig)


def test_scipy_bootstraps_equal_the_former_hand_written_ones(ishigami_result):
    """sigma_conf and the PAWN half-widths come from scipy.stats.bootstrap now: the same draws."""
    from SALib.analyze import pawn
    from scipy import stats as st

    factors = [Factor.input(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    design = make_design("morris", factors, n=40, seed=11, morris_levels=4, dummy=True)
    cols = [f.decode(design.X[:, j]) for j, f in enumerate(design.factors) if f.role != "dummy"]
    y = ishigami(np.column_stack(cols))
    ee = sa.elementary_effects(design, y)
    z = st.norm.ppf(0.975)
    idx = np.random.default_rng(11).integers(ee.shape[1], size=(100, ee.shape[1]))
    former = z * ee[:, idx].std(axis=2, ddof=1).std(axis=1, ddof=1)
    got = ishigami_result.morris.set_index("parameter")["sigma_conf"]
    np.testing.assert_allclose(got[design.names].to_numpy(), former, rtol=1e-12)

    rng = np.random.default_rng(2)
    X = rng.uniform(-math.pi, math.pi, (200, 3))
    Y = pd.DataFrame({"y": ishigami(X)})
    table = sa.pawn_table(factors, X, Y, slices=8, num_resamples=6, seed=4)
    draws = np.random.default_rng(4)
    rows = [draws.integers(200, size=200) for _ in range(6)]
    problem = sa.problem_spec(factors)
    boots = np.array(
        [pawn.analyze(problem, X[i], Y["y"].to_numpy()[i], S=8)["median"] for i in rows]
    )
    np.testing.assert_allclose(table["median_conf"], z * boots.std(axis=0, ddof=1), rtol=1e-12)


def test_delta_accepts_names_salib_would_refuse():
    # SALib's delta refuses column names ending in _step or _conf (frame_step is a parameter)
    factors = [Factor.input("frame_step", 0, 1), Factor.input("b_conf", 0, 1)]
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (256, 2))
    Y = pd.DataFrame({"y": X[:, 0] + 0.01 * X[:, 1]})
    t = sa.delta_table(factors, X, Y, num_resamples=4)
    assert list(t["parameter"]) == ["frame_step", "b_conf"]
    assert t["delta"].iloc[0] > t["delta"].iloc[1]


def test_convergence_verdict_far_from_converged_caps_the_suggestion():
    rows = [
        {"outcome": "y", "parameter": "x", "N": n, "ST": st_x, "ST_conf": conf}
        for n, st_x, conf in ((16, 3.0, 20.0), (32, 6.0, 25.0), (64, 1.0, 25.0))
    ]
    v = sa.convergence_verdict(pd.DataFrame(rows), tol=0.05).iloc[0]
    assert v["suggested_n"] == 16 * 64
    assert "far from it: raise N to at least 1024" in v["verdict"]
