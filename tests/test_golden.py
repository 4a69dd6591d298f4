"""Golden runs: whole runs pinned by hashes of their time series, summary and event log.

A refactoring that keeps the model's behaviour keeps every hash; a change of the model's
behaviour changes them, and the file is then regenerated on purpose (``python
tests/test_golden.py --update``) in the same commit that changes ``docs/ODD.md``. History: pinned
before issue 11's refactoring (which kept every hash); regenerated for model revision 2 (0.2);
regenerated for 0.3, whose compiled run sums in index order and lists repeat collaborators in
the order they first worked together (``docs/ODD.md`` section 10: the event logs of 0.2's
golden runs were first checked identical under the new summation, before the collaborator
order changed the draws).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import conftest  # noqa: F401  (before collabsim: the source-keyed numba cache, also as a script)
from collabsim.config import load_scenario
from collabsim.model import CollaborationModel

GOLDEN = Path(__file__).with_name("golden.json")

#: (label, scenario, overrides, seed): the scenarios, the rarely used switches and a group large
#: enough for the hash pair index (more than 2,048 people).
CASES: list[tuple[str, str, dict, int]] = [
    ("baseline-1", "baseline", {}, 1),
    ("baseline-2025", "baseline", {}, 2025),
    ("hartford-7", "hartford", {}, 7),
    ("louisville-7", "louisville", {}, 7),
    ("denver-3", "denver", {}, 3),
    ("south_yorkshire-3", "south_yorkshire", {}, 3),
    (
        "switches-11",
        "baseline",
        {
            "navigator": True,
            "data_use": True,
            "community_stages": 4,
            "adaptable": True,
            "entry_points": False,
            "leadership_shock_rate": 0.5,
            "turnover_rate": 0.6,
            "governance": "nao",
            "weeks": 260,
        },
        11,
    ),
    ("lead-5", "baseline", {"governance": "lead", "adaptable": True, "data_use": True}, 5),
    ("large-hash-index", "baseline", {"n_orgs": 700, "weeks": 40, "navigator": True}, 9),
]


def fingerprint(scenario: str, overrides: dict, seed: int) -> dict[str, str]:
    """Hashes of one run's time series (bytes), summary (JSON) and event log (JSON)."""
    params = {**load_scenario(scenario).params, **overrides}
    model = CollaborationModel(rng=seed, **params).run()
    ts = model.timeseries()
    table = np.ascontiguousarray(ts.to_numpy(dtype=float))
    summary = model.summary()
    summary_text = json.dumps(
        {k: (None if isinstance(v, float) and v != v else v) for k, v in summary.items()},
        sort_keys=True,
    )
    return {
        "series": hashlib.sha256(table.tobytes() + ",".join(ts.columns).encode()).hexdigest(),
        "summary": hashlib.sha256(summary_text.encode()).hexdigest(),
        "events": hashlib.sha256(json.dumps(model.state.events).encode()).hexdigest(),
    }


@pytest.mark.parametrize(
    ("label", "scenario", "overrides", "seed"), CASES, ids=[c[0] for c in CASES]
)
def test_golden_run(label: str, scenario: str, overrides: dict, seed: int) -> None:
    golden = json.loads(GOLDEN.read_text())
    assert fingerprint(scenario, overrides, seed) == golden[label], (
        f"run {label} differs from its golden hashes: the model's behaviour changed"
    )


if __name__ == "__main__":  # python tests/test_golden.py --update
    if "--update" not in sys.argv:
        sys.exit("usage: python tests/test_golden.py --update")
    out = {c[0]: fingerprint(*c[1:]) for c in CASES}
    GOLDEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} golden runs to {GOLDEN}")


def test_golden_runs_hold_with_the_jit_disabled():
    """Numba's NUMBA_DISABLE_JIT=1 runs the compiled submodels as Python: the same results."""
    import os
    import subprocess

    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd += [f"{__file__}::test_golden_run", "-k", "not large"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:]
    assert re.search(r"\b8 passed\b", done.stdout), done.stdout[-500:]
