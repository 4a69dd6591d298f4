"""Any single run of a saved result re-runs exactly from what its folder recorded."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.reproduce import ReproduceError, rerun, run_spec
from collabsim.sweep import Sweep, execute, factors_from_params, load_results, make_design


def same_summary(a: dict, b: dict) -> None:
    for k, v in b.items():
        w = a[k]
        assert w == v or (isinstance(v, float) and math.isnan(v) and math.isnan(w)), k


def test_every_replicate_of_a_compare_folder_reruns_exactly(tmp_path, capsys):
    code = main(
        [
            "compare",
            "hartford",
            "louisville",
            "--reps",
            "3",
            "--steps",
            "25",
            "--seed",
            "91",
            "--workers",
            "2",
            "--no-progress",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0, capsys.readouterr().err
    (folder,) = tmp_path.iterdir()
    summ = pd.read_csv(folder / "summary.csv")
    ts = pd.read_parquet(folder / "timeseries.parquet")
    for scenario in ("hartford", "louisville"):
        for rep in range(3):
            summary, series = rerun(folder, scenario=scenario, rep=rep)
            row = summ[(summ["scenario"] == scenario) & (summ["rep"] == rep)].iloc[0]
            assert summary["seed"] == row["seed"]
            for key in ("collective_impact", "mean_trust", "wins", "setbacks", "weeks_run"):
                assert summary[key] == pytest.approx(row[key], rel=1e-12), key
            saved = ts[(ts["scenario"] == scenario) & (ts["rep"] == rep)]
            saved = saved.drop(columns=["scenario", "rep"]).reset_index(drop=True)
            pd.testing.assert_frame_equal(series, saved)
    with pytest.raises(ReproduceError, match="give scenario="):
        run_spec(folder, rep=0)
    with pytest.raises(ReproduceError, match="rep = 3 is not valid"):
        run_spec(folder, scenario="hartford", rep=3)


def test_any_run_of_a_sweep_reruns_exactly_from_its_row(tmp_path):
    names = ["turnover_rate", "navigator", "governance", "n_orgs"]
    design = make_design("lhs", factors_from_params(names, bounds={"n_orgs": [2, 30]}), n=6)
    sweep = Sweep("rerun", design, base={"weeks": 20}, replicates=2, root_seed=13, chunk_size=5)
    res = execute(sweep, tmp_path, engine="pool", workers=2, progress=False)
    df = load_results(res.path)
    for run in (0, 5, 11):
        summary, _ = rerun(res.path, run=run, series=False)
        same_summary(
            summary,
            {
                k: v.item() if hasattr(v, "item") else v
                for k, v in df.iloc[run].drop(["run", "point", "rep", *design.names]).items()
            },
        )
        params, seed = run_spec(res.path, run=run)
        assert seed == df.loc[run, "seed"] and params["weeks"] == 20
        assert params["governance"] == df.loc[run, "governance"]
    with pytest.raises(ReproduceError, match="run = 12 is not valid"):
        run_spec(res.path, run=12)
    with pytest.raises(ReproduceError, match="not a result folder"):
        run_spec(tmp_path / "nowhere")
