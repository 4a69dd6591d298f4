"""The benchmark script runs, writes its JSON and never overwrites a result (a smoke check)."""

import importlib.util
import json
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_model.py"


def load():
    sys.path.insert(0, str(_PATH.parent))
    spec = importlib.util.spec_from_file_location("bench_model", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quick_default_section_writes_tagged_json_add_only(tmp_path, capsys):
    bench = load()
    args = ["--quick", "--only", "default", "--out", str(tmp_path), "--tag", "smoke"]
    assert bench.main(args) == 0
    assert bench.main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["smoke-2.json", "smoke.json"]
    res = json.loads((tmp_path / "smoke.json").read_text())
    d = res["default"]
    assert d["weeks"] == 156 and 0 < d["build_ms"] < d["end_to_end_ms"]
    assert res["provenance"]["git_commit"] and res["machine"]["cores_usable"] >= 1
    assert "Default run" in capsys.readouterr().out


def test_fitted_exponent_recovers_a_power_law():
    bench = load()
    x = [100, 1000, 2000, 10000]
    assert abs(bench.fit_exponent(x, [3.0 * v**1.05 for v in x]) - 1.05) < 1e-9
