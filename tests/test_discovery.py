"""Scenario discovery: PRIM finds a planted box; the command reports it from a real sweep."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.discovery import discover, inputs_of


def test_prim_finds_a_planted_box():
    rng = np.random.default_rng(1)
    n = 4000
    runs = pd.DataFrame(
        {
            "a": rng.uniform(0, 1, n),
            "b": rng.uniform(0, 1, n),
            "c": rng.uniform(0, 1, n),
            "switch": rng.integers(0, 2, n).astype(bool),
        }
    )
    inside = (runs["a"] > 0.6) & (runs["b"] < 0.4) & runs["switch"]
    y = inside.to_numpy() & (rng.uniform(size=n) < 0.95)  # a little noise
    d = discover(runs, ["a", "b", "c", "switch"], y, density=0.8, seed=3)
    lim = d.limits.set_index("parameter")
    assert set(lim.index) >= {"a", "b", "switch"}
    assert lim.loc["a", "low"] == pytest.approx(0.6, abs=0.05)
    assert lim.loc["b", "high"] == pytest.approx(0.4, abs=0.05)
    assert lim.loc["switch", "levels"] == "True"
    assert d.box["density"] >= 0.8
    assert d.box["coverage"] > 0.8
    # the trajectory starts from the whole space and the chosen box is the best qualifying one
    assert d.trajectory["coverage"].iloc[0] == pytest.approx(1.0)
    ok = d.trajectory[d.trajectory["density"] >= 0.8]
    assert d.box["coverage"] == ok["coverage"].max()
    # the feature scores put the irrelevant input last
    assert d.scores["parameter"].iloc[-1] == "c"


def test_inputs_make_switches_and_choices_nominal():
    runs = pd.DataFrame({"n": [1, 2], "s": [True, False], "g": ["lead", "nao"]})
    x = inputs_of(runs, ["n", "s", "g"])
    assert x["n"].dtype == float
    assert str(x["s"].dtype) == "category" and str(x["g"].dtype) == "category"


def test_nothing_to_discover_is_a_clear_error():
    from collabsim.config import ConfigError

    runs = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    with pytest.raises(ConfigError, match="never a case of interest"):
        discover(runs, ["a"], np.zeros(50, bool), outcome="success")


SWEEP = """
[sweep]
name = "disc"
scenario = "baseline"
replicates = 2
root_seed = 9
chunk_size = 100

[sweep.set]
weeks = 80

[design]
method = "lhs"
n = 60
params = ["community_stages", "turnover_rate", "navigator"]
"""


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("disc")
    (tmp / "s.toml").write_text(SWEEP)
    args = ["sweep", str(tmp / "s.toml"), "--out", str(tmp / "sweeps"), "--serial", "--no-progress"]
    assert main(args) == 0
    (folder,) = list((tmp / "sweeps").iterdir())
    return folder


def test_discover_command_writes_a_tagged_report(sweep_dir, tmp_path, capsys):
    out = tmp_path / "disc"
    from collabsim.sweep import load_results

    runs = load_results(sweep_dir)
    cut = round(float(runs["collective_impact"].quantile(0.75)), 3)  # the best quarter of runs
    args = ["discover", str(sweep_dir), "--outcome", "collective_impact", "--threshold", str(cut)]
    assert main([*args, "--density", "0.4", "--out", str(out)]) == 0
    (folder,) = list(out.iterdir())
    names = {p.name for p in folder.iterdir()}
    for stem in ("tradeoff", "box", "feature_scores"):
        assert {f"{stem}.png", f"{stem}.svg", f"{stem}.pdf"} <= names
    assert {"peeling_trajectory.csv", "box_limits.csv", "summary.md", "metadata.json"} <= names
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["outcome"] == f"collective_impact > {cut:g}"
    traj = pd.read_csv(folder / "peeling_trajectory.csv")
    assert meta["coverage"] == pytest.approx(traj["coverage"].iloc[meta["chosen_box"]])
    text = (folder / "summary.md").read_text()
    assert "## The chosen box" in text and "Peeling trajectory" in text
    # the cases are counted from the runs themselves
    cases = int((runs["collective_impact"] > cut).sum())
    assert f"{cases:,} of {len(runs):,} runs" in text
    # a quarter of the runs cannot be reached without restricting some factor
    limits = pd.read_csv(folder / "box_limits.csv")
    assert set(limits["parameter"]) and set(limits["parameter"]) <= {
        "community_stages", "turnover_rate", "navigator",
    }  # fmt: skip
    scores = pd.read_csv(folder / "feature_scores.csv")
    assert set(scores["parameter"]) == {"community_stages", "turnover_rate", "navigator"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--outcome", "collective_impact"], "is numeric: give --threshold"),
        (["--outcome", "nope"], "--outcome 'nope' is not valid"),
        (["--outcome", "success", "--density", "1.5"], "--density = 1.5 is not valid"),
    ],
)
def test_discover_bad_input_exits_2(sweep_dir, tmp_path, capsys, extra, message):
    assert main(["discover", str(sweep_dir), *extra, "--out", str(tmp_path / "d")]) == 2
    assert message in capsys.readouterr().err
