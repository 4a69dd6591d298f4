import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_every_artifact(tmp_path, capsys):
    code, out, err = run_cli(
        [
            "run",
            "baseline",
            "--reps",
            "3",
            "--seed",
            "7",
            "--steps",
            "30",
            "--out",
            str(tmp_path),
            "--workers",
            "1",
        ],
        capsys,
    )
    assert code == 0, err
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    names = {p.name for p in folder.iterdir()}
    assert {"timeseries.parquet", "summary.csv", "figure.png", "metadata.json"} <= names
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["root_seed"] == 7 and len(meta["seeds"]) == 3
    assert meta["scenarios"]["baseline"]["resolved_params"]["weeks"] == 30
    assert meta["collabsim_version"] and meta["git_commit"]
    summ = pd.read_csv(folder / "summary.csv")
    assert list(summ["seed"]) == meta["seeds"]
    ts = pd.read_parquet(folder / "timeseries.parquet")
    assert set(ts["rep"]) == {0, 1, 2} and ts["week"].max() <= 30
    assert "impact (PV)" in out and "baseline" in out


def test_ctrl_c_after_the_last_run_saves_complete_results(tmp_path, capsys, monkeypatch):
    # found by experiments/fault_injection.py: a Ctrl-C between the last run and the end of
    # the loop saved all 24 of 24 runs marked incomplete
    import collabsim.runner as runner

    real = runner.iter_runs

    def iter_then_interrupt(*args, **kwargs):
        yield from real(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "iter_runs", iter_then_interrupt)
    args = ["run", "baseline", "--reps", "2", "--steps", "5", "--workers", "1"]
    code, _, err = run_cli([*args, "--out", str(tmp_path)], capsys)
    assert code == 130
    assert "every run had finished and the complete results were saved" in err
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert "incomplete" not in folder.name
    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["complete"] and meta["runs_finished"] == 2 and "stopped" not in meta
    monkeypatch.setattr(runner, "iter_runs", real)
    code, _, err = run_cli([*args, "--out", str(tmp_path / "ref")], capsys)
    assert code == 0, err
    (ref,) = list((tmp_path / "ref").iterdir())
    pd.testing.assert_frame_equal(
        pd.read_csv(folder / "summary.csv"), pd.read_csv(ref / "summary.csv")
    )


def test_results_are_add_only(tmp_path, capsys):
    for _ in range(2):
        code, _, err = run_cli(
            ["run", "baseline", "--reps", "1", "--steps", "5", "--out", str(tmp_path)], capsys
        )
        assert code == 0, err
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 2


def test_same_seed_same_results_whatever_the_workers(tmp_path, capsys):
    frames = []
    for workers in ("1", "2"):
        out = tmp_path / workers
        code, _, err = run_cli(
            [
                "run",
                "louisville",
                "--reps",
                "4",
                "--steps",
                "40",
                "--workers",
                workers,
                "--out",
                str(out),
            ],
            capsys,
        )
        assert code == 0, err
        (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
        frames.append(pd.read_parquet(folder / "timeseries.parquet"))
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_compare_writes_one_figure_and_table(tmp_path, capsys):
    code, out, err = run_cli(
        ["compare", "baseline", "hartford", "--reps", "2", "--steps", "20", "--out", str(tmp_path)],
        capsys,
    )
    assert code == 0, err
    (folder,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    table = pd.read_csv(folder / "table.csv")
    assert list(table["scenario"]) == ["baseline", "hartford"]
    assert (folder / "figure.png").stat().st_size > 10_000


def test_params_and_scenarios_list(capsys):
    code, out, _ = run_cli(["params"], capsys)
    assert code == 0 and "turnover_rate" in out and "[0, 1]" in out
    code, out, _ = run_cli(["params", "--markdown"], capsys)
    assert code == 0 and out.startswith("| name |")
    code, out, _ = run_cli(["scenarios"], capsys)
    assert code == 0 and "hartford" in out and "louisville" in out


BAD = [
    (["run", "baseline", "--set", "turnover=0.1"], "unknown parameter 'turnover'"),
    (["run", "baseline", "--set", "turnover_rate=2"], "turnover_rate = '2'"),
    (["run", "baseline", "--set", "n_orgs=abc"], "n_orgs = 'abc'"),
    (["run", "baseline", "--set", "weeks=nan"], "weeks = 'nan'"),
    (["run", "baseline", "--set", "navigator"], "key=value"),
    (["run", "nowhere"], "unknown scenario 'nowhere'"),
    (["run", "baseline", "--reps", "-1"], "--reps"),
    (["run", "baseline", "--reps", "0"], "--reps"),
    (["run", "baseline", "--seed", "x"], "--seed"),
    (["compare", "baseline", "baseline"], "scenario given twice"),
    (["params", "--concept", "magic"], "unknown concept 'magic'"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, args, fragment):
    code, out, err = run_cli(
        [*args, "--out", str(tmp_path)] if args[0] != "params" else args, capsys
    )
    assert code == 2
    assert fragment in err and err.count("\n") == 1 and "Traceback" not in err
    assert not any(tmp_path.iterdir())


def test_malformed_toml_and_unwritable_output(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[params]\nn_orgs = = 3\n")
    code, _, err = run_cli(["run", str(bad), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "not valid TOML" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run_cli(
        ["run", "baseline", "--reps", "1", "--out", str(blocker / "sub")], capsys
    )
    assert code == 2 and "cannot create output directory" in err


def test_real_process_exit_status_and_no_traceback(tmp_path):
    for args, fragment in (
        (["run", "baseline", "--set", "loyalty=1.5"], "loyalty = '1.5'"),
        (["run", "baseline", "--reps", "-2"], "--reps"),
        (["frobnicate"], "invalid choice"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "collabsim.cli", *args, "--out", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert proc.returncode == 2, proc.stderr
        assert fragment in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stderr.count("\n") == 1
    assert not any(tmp_path.iterdir())


def test_help_on_every_command():
    for cmd in ([], ["run"], ["compare"], ["params"], ["scenarios"]):
        proc = subprocess.run(
            [sys.executable, "-m", "collabsim.cli", *cmd, "--help"],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert proc.returncode == 0 and "usage:" in proc.stdout
