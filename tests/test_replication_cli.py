"""``collabsim replicate`` end to end on a tiny design, and its one-line errors."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from collabsim.cli import main
from collabsim.replication.criteria import load_criteria
from collabsim.replication.replicate import plan

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "configs" / "replication.toml"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    """The real criteria with one seed per cell in the quick design (every pattern runs)."""
    path = tmp_path_factory.mktemp("crit") / "tiny.toml"
    path.write_text(re.sub(r"(?m)^seeds_quick = \d+", "seeds_quick = 1", FILE.read_text()))
    return path


@pytest.fixture(scope="module")
def report(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    code = main(
        [
            "replicate",
            "--quick",
            "--config",
            str(tiny),
            "--out",
            str(out),
            "--workers",
            "2",
            "--no-progress",
        ]
    )
    assert code == 0
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert not (out / ".checkpoints").exists()
    return folder


def test_report_folder_holds_every_artifact(report, tiny):
    crit = load_criteria(tiny)
    names = {p.name for p in report.iterdir()}
    assert {"REPORT.md", "REPORT.html", "metadata.json", "figures"} <= names
    for name in crit.patterns:
        assert f"{name}_runs.csv" in names and f"{name}_table.csv" in names
        assert (report / "figures" / f"{name}.png").stat().st_size > 10000
    assert "key_actions_trajectories_by_number_of_key_actions.csv" in names
    assert {"trust_dynamics_series.npz", "cases_series.npz"} <= names


def test_report_states_claims_criteria_and_verdicts(report, tiny):
    crit = load_criteria(tiny)
    md = (report / "REPORT.md").read_text()
    html = (report / "REPORT.html").read_text()
    for spec in crit.patterns.values():
        assert spec.claim in md and spec.citation in md
        assert " ".join(spec.criterion.split()) in md
        assert re.search(rf"## \d\. {spec.name}: (PASS|FAIL)", md)
        assert f"figures/{spec.name}.png" in md
    assert md.count("data:image/png") == 0
    assert html.count("data:image/png;base64,") == len(crit.patterns)
    assert "<table>" in html and "In plain words" in html


def test_runs_csv_records_the_planned_seeds(report, tiny):
    crit = load_criteria(tiny)
    meta = json.loads((report / "metadata.json").read_text())
    assert meta["quick"] is True and meta["root_seed"] == crit.root_seed
    assert meta["criteria"]["replication"]["root_seed"] == crit.root_seed
    assert meta["git_commit"] and meta["model_digest"]
    for p in plan(crit, quick=True):
        runs = pd.read_csv(report / f"{p.spec.name}_runs.csv")
        assert list(runs["seed"]) == [r.seed for r in p.runs]
        assert meta["patterns"][p.spec.name]["runs"] == len(p.runs)
        assert meta["patterns"][p.spec.name]["verdict"] in ("PASS", "FAIL")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "trust"], "unknown pattern 'trust'"),
        (["--config", "/nonexistent/criteria.toml"], "does not exist"),
        (["--workers", "0"], "--workers: '0' is not valid: expected an integer in [1,"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    code = main(["replicate", "--quick", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_unwritable_output_is_refused_before_any_run(tmp_path, tiny, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["replicate", "--quick", "--config", str(tiny), "--out", str(blocker / "sub")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot create output directory" in err


def test_experiment_scripts_are_thin_and_name_their_pattern():
    crit = load_criteria(FILE)
    for name in crit.patterns:
        text = (ROOT / "experiments" / f"{name}.py").read_text()
        assert f'"--only", "{name}"' in text
        assert len(text.splitlines()) < 30
