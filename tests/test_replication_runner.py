"""The replication runner: same results on any number of workers; checkpoints resume exactly."""

from pathlib import Path

import numpy as np
import pandas as pd

from collabsim.replication.criteria import load_criteria
from collabsim.replication.replicate import plan
from collabsim.replication.runner import execute, remove_checkpoints
from collabsim.runner import run_one

FILE = Path(__file__).resolve().parents[1] / "configs" / "replication.toml"


def _specs():
    crit = load_criteria(FILE)
    ns, cases = plan(crit, ["cases", "base_rate"], quick=True)  # in file order
    assert (ns.spec.name, cases.spec.name) == ("base_rate", "cases")
    short = {"weeks": 30}
    # a few short runs of each: one pattern with series, one without
    pick = [r for r in cases.runs if r.rep < 2] + [r for r in ns.runs if r.rep < 2]
    return [
        type(r)(r.pattern, r.cell, r.rep, r.seed, {**r.params, **short}, r.series) for r in pick
    ]


def test_same_results_with_one_or_two_workers():
    specs = _specs()
    one = execute(specs, workers=1)
    two = execute(specs, workers=2)
    assert set(one) == {"cases", "base_rate"}
    for name in one:
        pd.testing.assert_frame_equal(one[name].runs, two[name].runs)
        assert one[name].series.keys() == two[name].series.keys()
        for col, arr in one[name].series.items():
            np.testing.assert_array_equal(arr, two[name].series[col])
    # the runs' CPU time is measured where they ran (a pool's workers outlive the call, so the
    # parent's accounting of finished children would miss it)
    for name in one:
        assert one[name].cpu_seconds > 0 and two[name].cpu_seconds > 0
    assert set(one["cases"].series) == {"project_active", "public_value", "uptake", "alive"}
    assert one["base_rate"].series == {}
    # each row is the model's own summary for the recorded seed
    row = one["cases"].runs.iloc[1]
    spec = specs[1]
    summary, ts = run_one(spec.params, int(row["seed"]))
    assert summary["collective_impact"] == row["collective_impact"]
    n = len(ts)
    np.testing.assert_allclose(
        one["cases"].series["public_value"][1, :n], ts["public_value"], rtol=1e-6
    )


def test_checkpoints_resume_with_identical_results(tmp_path):
    specs = _specs()
    first = execute(specs, workers=1, checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("*.pkl"))) == 2
    calls = []
    again = execute(specs, workers=1, checkpoint_dir=tmp_path, progress=calls.append)
    assert all(a.resumed for a in again.values()) and sum(calls) == len(specs)
    for name in first:
        pd.testing.assert_frame_equal(first[name].runs, again[name].runs)
    # a different run list does not reuse them
    other = execute(specs[:3], workers=1, checkpoint_dir=tmp_path)
    assert set(other) == {"cases"}
    assert not other["cases"].resumed
    (tmp_path / "junk").write_text("x")
    remove_checkpoints(tmp_path, ["cases", "base_rate"])
    assert not list(tmp_path.glob("*.pkl"))
