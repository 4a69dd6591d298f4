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
    text = re.sub(r"(?m)^seeds_quick = \d+", "seeds_quick = 2", FILE.read_text())
    path.write_text(re.sub(r"(?m)^seeds_size2_quick = \d+", "seeds_size2_quick = 2", text))
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
            "--set",
            "meeting_rate=0.9",
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
    for name, spec in crit.patterns.items():
        assert (f"{name}_size2_runs.csv" in names) is bool(spec.size2)


def test_report_states_claims_criteria_and_verdicts(report, tiny):
    crit = load_criteria(tiny)
    md = (report / "REPORT.md").read_text()
    html = (report / "REPORT.html").read_text()
    for spec in crit.patterns.values():
        assert spec.citation in md
        for part in spec.parts:
            for text in (part.claim, part.statistic, part.criterion):
                assert text.replace("|", "\\|") in md  # as a Markdown table cell
            assert (part.rule in md) if part.rule else True
        assert re.search(rf"## \d\. {spec.name}: (PASS|FAIL)", md)
        assert f"figures/{spec.name}.png" in md
    # the header: revision, the changed assumption, the in-sample statement, the summary line
    assert "criteria revision 2, declared 2026-11-29" in md
    assert "--set meeting_rate=0.9" in md
    # collabsim 0.2 on: the revision's calibration labels apply
    assert "The calibration labels declared in revision 2 apply to this model" in md
    held = [
        p for s in crit.patterns.values() for p in s.parts
        if p.validation and p.calibration == "held_out"
    ]  # fmt: skip
    assert re.search(
        rf"\*\*\d+ of {len(held)} validation parts pass on held-out patterns\.\*\*", md
    )
    # both labels on every part, and the second size where declared
    labelled = sum(
        md.count(f"{check}; {cal}")
        for check in ("validation", ")")  # ")" closes "verification (rule: ...)"
        for cal in ("held out", "calibration target")
    )
    assert labelled >= sum(len(s.parts) for s in crit.patterns.values())
    assert md.count("**Second size (") == sum(bool(s.size2) for s in crit.patterns.values())
    assert md.count("data:image/png") == 0
    assert html.count("data:image/png;base64,") == len(crit.patterns)
    assert "<table>" in html and "In plain words" in html


def test_runs_csv_records_the_planned_seeds(report, tiny):
    crit = load_criteria(tiny)
    meta = json.loads((report / "metadata.json").read_text())
    assert meta["quick"] is True and meta["root_seed"] == crit.root_seed
    assert meta["criteria"]["replication"]["root_seed"] == crit.root_seed
    assert meta["git_commit"] and meta["model_digest"]
    assert meta["assumptions"]["set"] == {"meeting_rate": 0.9}
    assert meta["calibration_labels_apply"] is True
    for p in plan(crit, quick=True, base={"meeting_rate": 0.9}):
        if p.size2:
            continue
        runs = pd.read_csv(report / f"{p.spec.name}_runs.csv")
        first = runs[runs.index < len(p.runs)]  # second-stage runs follow the planned ones
        assert list(first["seed"]) == [r.seed for r in p.runs]
        assert meta["patterns"][p.spec.name]["runs"] >= len(p.runs)
        assert meta["patterns"][p.spec.name]["verdict"] in ("PASS", "FAIL")
        assert all(c["params"]["meeting_rate"] == 0.9 for c in meta["patterns"][p.label]["cells"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "trust"], "unknown pattern 'trust'"),
        (["--config", "/nonexistent/criteria.toml"], "does not exist"),
        (["--workers", "0"], "--workers: '0' is not valid: expected an integer in [1,"),
        (["--set", "meeting_rat=0.9"], "unknown parameter 'meeting_rat'"),
        (["--set", "turnover_rate=3"], "turnover_rate = '3' is not valid"),
        (["--set", "turnover_rate"], "is not key=value"),
        (["--scenario", "/nonexistent/s.toml"], "/nonexistent/s.toml"),
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
