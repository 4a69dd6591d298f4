"""Calibration as inference: declaration, statistics, ABC-SMC machinery, recovery, posterior."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

pytest.importorskip("pyabc")

from collabsim.calibration.config import (
    held_out_patterns,
    load_calibration,
    target_patterns,
)
from collabsim.calibration.posterior import (
    Posterior,
    committed_intervals,
    identifiability,
    load_posterior,
    read_intervals,
    sample_sets,
    weighted_quantile,
)
from collabsim.calibration.predictive import (
    held_out_criteria,
    posterior_replication,
    statement,
)
from collabsim.calibration.smc import (
    TargetModel,
    generations,
    particle_seeds,
    populations,
    run_abc,
)
from collabsim.calibration.statistics import (
    observed_statistics,
    statistics,
    target_criteria,
    target_results,
)
from collabsim.cli import main
from collabsim.config import ConfigError, configs_dir
from collabsim.engine import SerialEngine, running
from collabsim.params import get
from collabsim.replication.criteria import load_criteria
from collabsim.replication.replicate import replicate
from collabsim.replication.result import Check, Estimate, PatternResult

CRIT = load_criteria()
RECOVERY = configs_dir() / "calibration_recovery.toml"

# A calibration small enough to run in a second or two: one weight, the base-rate pattern at 4
# seeds, 4 particles.
TINY = """
[calibration]
root_seed = 5
weights = ["public_value_rate"]
patterns = ["base_rate"]
population = 4
generations = {generations}
batch = 1

[seeds]
base_rate = 4
"""


def _write(tmp_path: Path, text: str, name: str = "cal.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _relabel(crit, labels: dict[str, str]):
    patterns = {
        name: dataclasses.replace(
            spec,
            parts=tuple(
                dataclasses.replace(p, calibration=labels.get(name, p.calibration))
                for p in spec.parts
            ),
        )
        for name, spec in crit.patterns.items()
    }
    return dataclasses.replace(crit, patterns=patterns)


# ------------------------------------------------------------------------------- declaration
@pytest.mark.parametrize("name", ["calibration.toml", "calibration_recovery.toml"])
def test_every_weight_in_the_shipped_configs_is_declared_and_its_prior_inside_its_range(name):
    cfg = load_calibration(CRIT, configs_dir() / name)
    assert cfg.priors
    for prior in cfg.priors:
        param = get(prior.name)  # raises for an undeclared name
        assert param.kind in ("float", "int")
        assert param.low <= prior.low < prior.high <= param.high
    assert set(cfg.patterns) <= set(target_patterns(CRIT))


def test_priors_are_the_declared_ranges_unless_narrowed(tmp_path):
    cfg = load_calibration(CRIT, _write(tmp_path, TINY.format(generations=1)))
    p = get("public_value_rate")
    assert (cfg.priors[0].low, cfg.priors[0].high) == (p.low, p.high)
    text = TINY.format(generations=1) + "\n[priors]\npublic_value_rate = [0.05, 0.5]\n"
    cfg = load_calibration(CRIT, _write(tmp_path, text))
    assert (cfg.priors[0].low, cfg.priors[0].high) == (0.05, 0.5)


def test_targets_and_held_out_patterns_come_from_the_labels():
    expected = [
        n for n, s in CRIT.patterns.items() if any(p.calibration == "target" for p in s.parts)
    ]
    assert target_patterns(CRIT) == expected
    assert not set(target_patterns(CRIT)) & set(held_out_patterns(CRIT))
    relabelled = _relabel(CRIT, {"not_speed": "target", "base_rate": "held_out"})
    assert "not_speed" in target_patterns(relabelled)
    assert "base_rate" not in target_patterns(relabelled)
    assert "base_rate" in held_out_patterns(relabelled)
    assert "base_rate" in held_out_criteria(relabelled).patterns


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("public_value_rate", "public_value_rat"), ["public_value_rat", "did you mean"]),
        (('["public_value_rate"]', '["navigator"]'), ["navigator", "only numeric"]),
        (('["base_rate"]', '["not_speed"]'), ["not_speed", "held out"]),
        (('["base_rate"]', '["no_such"]'), ["no_such", "not a declared pattern"]),
        (("population = 4", "population = 0"), ["population = 0", "[2, 100000]"]),
        (("batch = 1", "batch = 1\nbatches = 2"), ["unknown key 'batches'"]),
        (("base_rate = 4", "base_rate = 0"), ["seeds.base_rate = 0", "[1, 100000]"]),
    ],
)
def test_bad_declarations_name_key_value_and_range(tmp_path, change, words):
    text = TINY.format(generations=1).replace(*change)
    with pytest.raises(ConfigError) as err:
        load_calibration(CRIT, _write(tmp_path, text))
    for w in words:
        assert w in str(err.value)


def test_bad_priors_and_distances_are_refused(tmp_path):
    base = TINY.format(generations=1)
    cases = [
        (
            "\n[priors]\npublic_value_rate = [0.5, 2.0]\n",
            ["priors.public_value_rate", "[0.5, 2.0]", "[0, 1]"],
        ),
        ("\n[distance]\nkind = 'observed'\n", ["needs [observed] truth"]),
        ("\n[distance]\nkind = 'fuzzy'\n", ["distance.kind = 'fuzzy'"]),
        ("\n[distance.scale]\n'base_rate.z' = 1.0\n", ["unknown key 'base_rate.z'"]),
        ("\n[epsilon]\nkind = 'list'\n", ["non-empty list 'values'"]),
    ]
    for extra, words in cases:
        with pytest.raises(ConfigError) as err:
            load_calibration(CRIT, _write(tmp_path, base + extra))
        for w in words:
            assert w in str(err.value), (extra, str(err.value))


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(data=st.data())
def test_a_damaged_declaration_fails_with_a_config_error_or_loads(tmp_path_factory, data):
    text = (configs_dir() / "calibration.toml").read_bytes()
    at = data.draw(st.integers(0, len(text)))
    how = data.draw(st.sampled_from(["cut", "insert", "flip"]))
    if how == "cut":
        text = text[:at]
    elif how == "insert":
        text = text[:at] + data.draw(st.binary(min_size=1, max_size=6)) + text[at:]
    elif at < len(text):
        text = text[:at] + bytes([text[at] ^ data.draw(st.integers(1, 255))]) + text[at + 1 :]
    path = tmp_path_factory.mktemp("fuzz") / "cal.toml"
    path.write_bytes(text)
    try:
        load_calibration(CRIT, path)
    except ConfigError as exc:
        assert "\n" not in str(exc) and str(exc)


def test_the_command_exits_2_with_one_line_on_a_bad_declaration(tmp_path, capsys):
    bad = _write(tmp_path, TINY.format(generations=1).replace("population = 4", "population = 1"))
    assert main(["calibrate", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert "population = 1" in err and len(err.splitlines()) == 1


# -------------------------------------------------------------------------------- statistics
def _result(spec, checks):
    return PatternResult(spec, checks, None, pd.DataFrame(), pd.DataFrame(), "", "")


def test_criteria_statistics_are_scaled_shortfalls_from_the_replications_margins(tmp_path):
    spec = CRIT.patterns["entry_points"]
    text = TINY.format(generations=1).replace('["base_rate"]', '["entry_points"]')
    text = text.replace("base_rate = 4", "entry_points = 4")
    cfg = load_calibration(
        CRIT, _write(tmp_path, text + "\n[distance.scale]\n'entry_points.b' = 0.2\n")
    )
    checks = [
        Check("a", "", "", [Estimate("x", 0.9)], True, margin=0.1),
        Check("b", "", "", [Estimate("x", 0.1)], False, margin=-0.1),
        Check("c", "", "", [Estimate("x", math.nan)], False, margin=math.nan),
    ]
    stats = statistics({"entry_points": _result(spec, checks)}, cfg)
    assert stats == {
        "entry_points.a": 0.0,
        "entry_points.b": pytest.approx(0.1 / 0.2),
        "entry_points.c": cfg.undefined_shortfall,
    }
    observed = dataclasses.replace(cfg, distance="observed")
    checks[1].estimates.append(Estimate("y", 0.3))
    stats = statistics({"entry_points": _result(spec, checks)}, observed)
    assert stats == {
        "entry_points.a.0": 0.9,
        "entry_points.b.0": 0.1,
        "entry_points.b.1": 0.3,
        "entry_points.c.0": math.inf,
    }


def test_statistics_follow_the_weights_and_match_the_replication(tmp_path):
    cfg = load_calibration(CRIT, RECOVERY)
    crit = target_criteria(CRIT, cfg)
    low = statistics(target_results(crit, {"success_base": 1.0}, 3), cfg)
    high = statistics(target_results(crit, {"success_base": 8.0}, 3), cfg)
    assert low["base_rate.a.0"] < high["base_rate.a.0"]  # more projects succeed: more reach it
    # the same numbers as the replication's own analysis (with its figure) at the same seeds
    rep = replicate(dataclasses.replace(crit, root_seed=3), ["base_rate"], quick=True,
                    base={"success_base": 8.0})  # fmt: skip
    assert rep.results["base_rate"].figure is not None
    est = rep.results["base_rate"].check("a").estimates[0].value
    assert high["base_rate.a.0"] == est


def test_particle_seeds_are_reproducible_and_distinct():
    a = particle_seeds(1, 0, 0)
    assert a == particle_seeds(1, 0, 0)
    seen = {particle_seeds(1, t, i) for t in (-1, 0, 1) for i in range(20)}
    assert len(seen) == 60
    assert particle_seeds(2, 0, 0) != a


def test_the_model_refuses_to_run_outside_the_sampler():
    cfg = load_calibration(CRIT, RECOVERY)
    with pytest.raises(RuntimeError, match="no run seed"):
        TargetModel(cfg, CRIT)({"success_base": 1.0})


# ----------------------------------------------------------------------------- the machinery
def _tiny(tmp_path, generations=2):
    return load_calibration(CRIT, _write(tmp_path, TINY.format(generations=generations)))


def test_the_posterior_does_not_depend_on_the_engine(tmp_path):
    cfg = _tiny(tmp_path)
    obs, _ = observed_statistics(CRIT, cfg)
    runs = {}
    for label, engine in (("serial", "serial"), ("pool", "pool")):
        with running(engine, workers=2) as eng:
            run = run_abc(cfg, CRIT, obs, tmp_path / label, engine=eng)
        runs[label] = populations(run.db, cfg.names)
    pd.testing.assert_frame_equal(runs["serial"], runs["pool"])
    with running("dask", dask="local", workers=2) as eng:  # a LocalCluster on 127.0.0.1
        run = run_abc(cfg, CRIT, obs, tmp_path / "dask", engine=eng)
    pd.testing.assert_frame_equal(runs["serial"], populations(run.db, cfg.names))
    assert runs["serial"]["generation"].nunique() == 2
    assert runs["serial"]["seed"].nunique() == len(runs["serial"])  # one run seed per particle


def test_an_interrupted_calibration_resumes_to_the_same_result(tmp_path):
    cfg1 = _tiny(tmp_path, generations=1)
    cfg2 = _tiny(tmp_path, generations=2)
    obs, _ = observed_statistics(CRIT, cfg2)
    eng = SerialEngine()
    first = run_abc(cfg1, CRIT, obs, tmp_path / "a", engine=eng)
    assert (first.resumed_from, first.generations_run) == (0, 1)
    resumed = run_abc(cfg2, CRIT, obs, tmp_path / "a", engine=eng)
    assert (resumed.resumed_from, resumed.generations_run) == (1, 1)
    whole = run_abc(cfg2, CRIT, obs, tmp_path / "b", engine=eng)
    pd.testing.assert_frame_equal(
        populations(resumed.db, cfg2.names), populations(whole.db, cfg2.names)
    )
    gens = generations(resumed.db)
    assert list(gens["generation"]) == [0, 1]
    assert (gens["acceptance_rate"] <= 1).all() and (gens["ess"] <= cfg2.population + 1e-9).all()


def test_the_simulation_budget_is_a_hard_cap(tmp_path):
    text = TINY.format(generations=5).replace("batch = 1\n", "batch = 1\nmax_simulations = 12\n")
    cfg = load_calibration(CRIT, _write(tmp_path, text))
    assert cfg.max_simulations == 12
    obs, _ = observed_statistics(CRIT, cfg)
    seen = []
    run = run_abc(cfg, CRIT, obs, tmp_path / "w", engine=SerialEngine(),
                  on_particle=seen.append)  # fmt: skip
    gens = generations(run.db)
    assert len(seen) <= 12  # the calibration sample (4) and every proposal after it
    assert len(gens) < 5 and gens["evaluations"].sum() <= 12 - cfg.population


def test_the_command_writes_a_complete_result_and_params_shows_its_intervals(tmp_path, capsys):
    cfg = _write(tmp_path, TINY.format(generations=1))
    out = tmp_path / "out"
    assert main(["calibrate", "--config", str(cfg), "--out", str(out), "--serial",
                 "--no-progress"]) == 0  # fmt: skip
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    for name in ("REPORT.md", "posterior.csv", "populations.csv", "generations.csv",
                 "identifiability.csv", "posterior.toml", "statistics.json", "abc.db",
                 "metadata.json", "figures/marginals.png", "figures/diagnostics.png"):  # fmt: skip
        assert (folder / name).is_file(), name
    assert not (out / ".running").exists()  # the working folder is removed once written
    post = load_posterior(folder)
    assert post.names == ["public_value_rate"] and len(post.particles) == 4
    rows = read_intervals(folder / "posterior.toml")
    lo, hi = post.interval("public_value_rate", 0.9)
    assert rows["public_value_rate"]["low"] == pytest.approx(lo, rel=1e-5)
    capsys.readouterr()
    assert main(["params", "--concept", "dynamics (calibrated)", "--posterior", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "posterior 90%" in text
    line = next(x for x in text.splitlines() if x.strip().startswith("public_value_rate"))
    assert f"[{lo:.4g}, {hi:.4g}]" in line


def test_params_shows_the_committed_posterior_and_no_column_without_one(
    capsys, monkeypatch, tmp_path
):
    import collabsim.calibration.posterior as posterior_module

    committed = committed_intervals()
    assert committed, "configs/posterior.toml is committed: its intervals must be read"
    assert main(["params"]) == 0
    text = capsys.readouterr().out
    assert "posterior 90%" in text
    for name, row in committed.items():
        line = next(x for x in text.splitlines() if x.strip().startswith(name + " "))
        assert f"[{row['low']:.4g}, {row['high']:.4g}]" in line
    # with no committed summary there is no column
    monkeypatch.setattr(posterior_module, "configs_dir", lambda: tmp_path)
    assert committed_intervals() == {}
    assert main(["params", "--concept", "dynamics (calibrated)"]) == 0
    assert "posterior" not in capsys.readouterr().out


# ----------------------------------------------------------- parameter recovery (CI-sized)
def _calibrate(tmp_path, cfg):
    obs, _ = observed_statistics(CRIT, cfg)
    with running("pool", workers=2) as eng:
        run = run_abc(cfg, CRIT, obs, tmp_path, engine=eng)
    pops = populations(run.db, cfg.names)
    last = pops[pops["generation"] == pops["generation"].max()]
    post = Posterior(last, cfg.names, {p.name: (p.low, p.high) for p in cfg.priors})
    return identifiability(post, cfg.interval).set_index("weight")


@pytest.mark.slow
def test_parameter_recovery_puts_the_truth_inside_the_90_percent_interval(tmp_path):
    cfg = load_calibration(CRIT, RECOVERY)
    table = _calibrate(tmp_path, cfg)
    for name, truth in cfg.truth.items():
        row = table.loc[name]
        assert truth != get(name).default  # the truth is not where a broken machinery sits
        assert row["low"] <= truth <= row["high"], row.to_dict()
        assert row["width_ratio"] < 0.5, row.to_dict()  # the targets pin it down
        assert not row["at_prior_edge"]


@pytest.mark.slow
def test_a_prior_that_excludes_the_truth_is_detected(tmp_path):
    cfg = load_calibration(CRIT, RECOVERY)
    ((name, truth),) = cfg.truth.items()
    # the prior lies above the truth, where the median time to impact is defined (below the
    # truth no run reaches the median within the horizon: that statistic would be infinite for
    # every particle and could not tell them apart)
    prior = dataclasses.replace(cfg.prior(name), low=1.6 * truth, high=cfg.prior(name).high)
    cfg = dataclasses.replace(cfg, priors=(prior,), population=10, generations=2)
    row = _calibrate(tmp_path, cfg).loc[name]
    assert not row["low"] <= truth <= row["high"]
    assert row["at_prior_edge"], row.to_dict()  # the posterior piles against the lower bound
    assert row["low"] - prior.low < 0.1 * (prior.high - prior.low)


# -------------------------------------------------------------------------------- posterior
def test_weighted_quantiles_and_systematic_resampling():
    v = np.array([3.0, 1.0, 2.0])
    assert weighted_quantile(v, np.ones(3), 0.5) == pytest.approx(2.0)
    assert weighted_quantile(v, np.array([0.0, 0.0, 1.0]), [0.05, 0.95]) == pytest.approx([2, 2])
    post = Posterior(
        pd.DataFrame({"weight": [0.5, 0.5, 0.0], "public_value_rate": [0.1, 0.2, 0.9]}),
        ["public_value_rate"],
        {"public_value_rate": (0.0, 1.0)},
    )
    sets = sample_sets(post, 4, seed=3)
    assert sorted(sets["particle"]) == [0, 0, 1, 1]  # each half-weight particle twice
    assert sets.equals(sample_sets(post, 4, seed=3))
    table = identifiability(post).set_index("weight")
    assert table.loc["public_value_rate", "width_ratio"] < 0.2


def test_edge_flag_separates_a_piled_up_posterior_from_a_free_or_pinned_one():
    x = np.linspace(0.0, 1.0, 101)

    def row(values):
        post = Posterior(pd.DataFrame({"weight": 1.0, "w": values}), ["w"], {"w": (0.0, 1.0)})
        return identifiability(post).iloc[0]

    free, piled, pinned = row(x), row(0.9 + 0.1 * x), row(0.15 + 0.1 * x)
    assert free["width_ratio"] > 0.85 and not free["at_prior_edge"]
    assert piled["at_prior_edge"]
    assert pinned["width_ratio"] < 0.1 and not pinned["at_prior_edge"]


def test_load_posterior_refuses_what_it_can_not_use(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_posterior(tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="weight"):
        load_posterior(bad)
    bad.write_text("weight,no_such_param\n1,2\n")
    with pytest.raises(ConfigError, match="no_such_param"):
        load_posterior(bad)


# ------------------------------------------------------------ posterior-predictive replication
def test_statement_is_plain():
    assert statement(50, 50) == "holds across the plausible region"
    assert statement(0, 50) == "holds nowhere in the plausible region"
    assert statement(7, 50) == "holds only in part of the plausible region"


def test_posterior_replication_counts_where_each_held_out_part_holds():
    # base_rate made the only held-out pattern: cheap, and its parts have known answers
    crit = _relabel(
        CRIT, {n: ("held_out" if n == "base_rate" else "target") for n in CRIT.patterns}
    )
    particles = pd.DataFrame({"weight": [0.5, 0.5], "public_value_rate": [0.0, 0.1]})
    post = Posterior(particles, ["public_value_rate"], {})
    pred = posterior_replication(crit, post, sets=4, seed=9, seeds={"base_rate": 6})
    assert list(pred.shares["part"]) == ["a", "b"]
    assert len(pred.sets) == 4 and pred.sets["seed"].nunique() == 4
    zero = pred.sets[pred.sets["public_value_rate"] == 0.0]
    assert len(zero) == 2 and not zero["base_rate.a"].any()  # no public value: nobody gets there
    for _, r in pred.shares.iterrows():
        assert r["holds"] == pred.sets[f"base_rate.{r['part']}"].sum()
        assert r["ci_low"] <= r["share"] <= r["ci_high"]
        assert r["statement"] == statement(r["holds"], r["sets"])
    again = posterior_replication(crit, post, sets=4, seed=9, seeds={"base_rate": 6})
    pd.testing.assert_frame_equal(pred.sets, again.sets)
    nowhere = Posterior(particles.assign(public_value_rate=0.0), ["public_value_rate"], {})
    pred0 = posterior_replication(crit, nowhere, sets=2, seed=9, seeds={"base_rate": 6})
    assert pred0.shares.set_index("part").loc["a", "statement"] == statement(0, 2)


def test_replicate_posterior_refuses_bad_input(tmp_path, capsys):
    out = ["--out", str(tmp_path / "o")]
    assert main(["replicate", "--posterior", str(tmp_path / "missing.csv"), *out]) == 2
    assert "does not exist" in capsys.readouterr().err
    good = tmp_path / "p.csv"
    good.write_text("weight,public_value_rate\n1,0.1\n")
    assert main(["replicate", "--posterior", str(good), "--quick", *out]) == 2
    assert "--quick" in capsys.readouterr().err
    assert main(["replicate", "--sets", "3", *out]) == 2
    assert "--posterior" in capsys.readouterr().err


def test_replicate_posterior_writes_the_report_of_the_held_out_patterns(tmp_path, capsys):
    # a criteria file in which base_rate is the only held-out pattern keeps the run small
    head, sep, body = (configs_dir() / "replication.toml").read_text().partition("[[pattern]]")
    body = body.replace('calibration = "target"', 'calibration = "SWAP"')
    body = body.replace('calibration = "held_out"', 'calibration = "target"')
    body = body.replace('calibration = "SWAP"', 'calibration = "held_out"', 2)  # base_rate's
    body = body.replace('calibration = "SWAP"', 'calibration = "target"')
    criteria = _write(tmp_path, head + sep + body, "replication.toml")
    assert held_out_patterns(load_criteria(criteria)) == ["base_rate"]
    cal = _write(
        tmp_path,
        "[calibration]\nroot_seed = 1\nweights = ['public_value_rate']\npopulation = 4\n"
        "generations = 1\n\n[posterior]\nseeds = { base_rate = 4 }\n",
    )
    post = _write(tmp_path, "weight,public_value_rate\n0.5,0.0\n0.5,0.2\n", "posterior.csv")
    out = tmp_path / "out"
    args = ["replicate", "--posterior", str(post), "--config", str(criteria), "--calibration",
            str(cal), "--sets", "2", "--out", str(out), "--serial", "--no-progress"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "base_rate (a): holds at" in printed and "base_rate (b): holds at" in printed
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    shares = pd.read_csv(folder / "shares.csv")
    sets = pd.read_csv(folder / "sets.csv")
    assert list(shares["part"]) == ["a", "b"] and len(sets) == 2
    assert sorted(sets["public_value_rate"]) == [0.0, 0.2]  # one set from each particle
    assert "holds" in (folder / "REPORT.md").read_text()
