"""Fuzzing the inputs: every bad input gives exit status 2 and one clear line, nothing partial.

Random and malformed TOML scenario and sweep files (generated documents, real configs cut,
spliced and corrupted, binary garbage), ``--set`` values of any text, and a list of hostile
command lines (NaN, infinities, huge numbers, unknown names, unusable paths). Every one must
either be accepted and run, or be refused with a :class:`ConfigError`/:class:`ParamError`
whose message is one line naming the file or the key; through the command, exit status 2,
one line on stderr, no traceback and nothing written. Examples are derandomized (CI is
deterministic); ``COLLABSIM_FUZZ_SCALE=20`` runs twenty times as many.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from collabsim.cli import main
from collabsim.config import ConfigError, apply_overrides, configs_dir, load_scenario
from collabsim.params import PARAMS, ParamError
from collabsim.sweep import load_sweep
from conftest import value_strategy

ROOT = Path(__file__).resolve().parents[1]
SCALE = int(os.environ.get("COLLABSIM_FUZZ_SCALE", "1"))
CONFIGS = sorted(configs_dir().glob("*.toml"))
FAST = ["--reps", "1", "--steps", "2", "--workers", "1", "--no-progress"]


def fuzz(examples: int) -> settings:
    """Derandomized settings for ``examples`` examples (times COLLABSIM_FUZZ_SCALE)."""
    return settings(
        max_examples=examples * SCALE,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# ----------------------------------------------------------------------------- documents
def toml_value(v) -> str:
    """``v`` written as a TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        r = repr(v)
        return r if any(c in r for c in ".en") else r + ".0"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_value(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def toml_document(tables: dict[str, dict]) -> bytes:
    """The tables as a TOML file (lone surrogates in strings become invalid UTF-8)."""
    lines = []
    for name, table in tables.items():
        lines.append(f"[{toml_value(name)}]")
        lines += [f"{toml_value(k)} = {toml_value(v)}" for k, v in table.items()]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, -1, 2, 3, 20000, 20001, 2080, 2081, 10**18]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, 0.5, 1.0, 1.5, -0.1, 1e308, 1e-308, 5e-324]),
    st.text(max_size=10),
    st.sampled_from(["true", "shared", "lead", "nao", "nan", "0.5", ""]),
    st.dates(),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=3),
    st.dictionaries(st.text(max_size=4), SCALARS, max_size=2),
)
KEYS = st.one_of(st.sampled_from(list(PARAMS)), st.text(max_size=12))
SCENARIO_META = st.dictionaries(
    st.one_of(st.sampled_from(["name", "title", "description", "sources"]), st.text(max_size=6)),
    VALUES,
    max_size=3,
)
DOCUMENTS = st.builds(
    lambda meta, params, extra: toml_document(
        {**({"scenario": meta} if meta is not None else {}), "params": params, **extra}
    ),
    st.none() | SCENARIO_META,
    st.dictionaries(KEYS, VALUES, max_size=6),
    st.dictionaries(st.sampled_from(["paramz", "design", "x"]), st.just({}), max_size=1),
)


@st.composite
def corrupted_config(draw) -> bytes:
    """A real config file cut, spliced with garbage, or with a byte changed."""
    data = draw(st.sampled_from(CONFIGS)).read_bytes()
    at = draw(st.integers(0, len(data)))
    how = draw(st.sampled_from(["cut", "insert", "flip", "repeat"]))
    if how == "cut":
        return data[:at]
    if how == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    if how == "flip" and at < len(data):
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    return data[:at] + data[max(0, at - 40) : at] + data[at:]


FILES = st.one_of(
    DOCUMENTS,
    corrupted_config(),
    st.binary(max_size=64),
    st.sampled_from([b"", b" \n\t", b"\xef\xbb\xbf[params]\n", b"\x00" * 16, b"[params]\n"]),
)


def one_line(msg: str) -> bool:
    return "\n" not in msg and "Traceback" not in msg and msg.strip() == msg and msg != ""


# ----------------------------------------------------------------------------- config files
@fuzz(300)
@given(data=FILES)
def test_any_scenario_file_loads_or_is_refused_in_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "fuzz.toml"
    path.write_bytes(data)
    try:
        sc = load_scenario(path)
    except (ConfigError, ParamError) as exc:
        msg = str(exc)
        assert one_line(msg) and str(path) in msg, msg
        event(f"refused: {type(exc).__name__}")
        return
    event("accepted")
    # accepted: every value is valid and every other parameter has its default
    full = sc.resolved()
    assert set(full) == set(PARAMS)
    for key, value in sc.params.items():
        assert PARAMS[key].check(value) == value == full[key]


@fuzz(25)
@given(data=FILES)
def test_the_run_command_on_any_file_exits_0_or_2_with_one_line(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("cli")
    path, out = tmp / "fuzz.toml", tmp / "out"
    path.write_bytes(data)
    # the file is validated first; the overrides below only keep accepted runs small
    args = ["run", str(path), *FAST, "--set", "n_orgs=3", "--set", "reps_per_org=1"]
    code, err = call(args, out)
    event(f"exit {code}")
    if code == 0:
        (folder,) = out.iterdir()
        assert (folder / "metadata.json").is_file() and not folder.name.startswith(".")
    else:
        assert code == 2 and one_line(err) and err.startswith("collabsim run: error: "), err
        assert not out.exists() or not any(out.iterdir())


def call(args: list[str], out: Path) -> tuple[int, str]:
    """Run the command in this process; return the exit status and stderr (stripped)."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([*args, "--out", str(out)])
    return code, err.getvalue().strip()


@st.composite
def sweep_document(draw) -> dict[str, dict]:
    """A valid [sweep] and [design] declaration, then (usually) one key deleted or spoiled."""
    method = draw(st.sampled_from(["grid", "lhs", "sobol", "morris"]))
    names = ["loyalty", "navigator", "governance", "turnover_rate", "n_orgs"]
    design: dict = {
        "method": method,
        "params": draw(st.lists(st.sampled_from(names), min_size=1, unique=True)),
    }
    if method != "grid":
        design["n"] = draw(st.sampled_from([2, 4, 8]))
    if method == "morris" and draw(st.booleans()):
        design["morris_levels"] = draw(st.sampled_from([2, 4]))
    if draw(st.booleans()):
        design["seed"] = draw(st.sampled_from([0, 7]))
    sweep = {
        "name": draw(st.text(st.characters(codec="utf-8"), max_size=8)),
        "scenario": draw(st.sampled_from(["baseline", "hartford"])),
        "replicates": draw(st.sampled_from([1, 2])),
        "root_seed": draw(st.sampled_from([0, 2**40])),
        "chunk_size": draw(st.sampled_from([1, 5, 1000])),
    }
    if draw(st.booleans()):
        sweep["set"] = {"weeks": 10}
    tables = {"sweep": sweep, "design": design}
    how = draw(st.sampled_from(["keep", "spoil", "spoil", "delete", "add", "table"]))
    table = tables[draw(st.sampled_from(["sweep", "design"]))]
    if how == "spoil":
        key = draw(st.sampled_from(sorted(table)))
        table[key] = draw(st.one_of(VALUES, st.sampled_from([-1, 0, 2**70, 10**12, "", []])))
    elif how == "delete":
        del table[draw(st.sampled_from(sorted(table)))]
    elif how == "add":
        extra = ["bounds", "levels", "exclude", "grid_levels", "set", "bogus", *PARAMS]
        table[draw(st.sampled_from(extra))] = draw(
            st.one_of(VALUES, st.dictionaries(KEYS, st.lists(SCALARS, max_size=3), max_size=2))
        )
    elif how == "table":
        tables[draw(st.sampled_from(["scenario", "params", "sweep.set", "x"]))] = {}
    return tables


@fuzz(200)
@given(tables=sweep_document())
def test_any_sweep_file_loads_or_is_refused_in_one_line(tmp_path_factory, tables):
    path = tmp_path_factory.mktemp("sweep") / "fuzz.toml"
    path.write_bytes(toml_document(tables))
    try:
        sw = load_sweep(path)
    except (ConfigError, ParamError) as exc:  # DesignError is a ConfigError
        assert one_line(str(exc)), str(exc)
        event(f"refused: {type(exc).__name__}")
        return
    event("accepted")
    assert sw.n_runs >= 1 and sw.design.n_points >= 1
    assert set(sw.resolved_base()) == set(PARAMS)


# ----------------------------------------------------------------------------- --set
NUMBERISH = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.sampled_from(
        ["nan", "NaN", "inf", "-Infinity", "1e400", "-1e400", "9" * 400, "0x10", "1_0", "1,5"]
    ),
    st.sampled_from(["", " ", "true", "false", "yes", "maybe", "None", "[1]", "0.5.5", "½"]),
    st.text(max_size=8),
)


@st.composite
def override_value(draw, key: str) -> str:
    """A value for ``--set key=...``: often a valid one written as text, else anything."""
    p = PARAMS.get(key)
    if p is not None and draw(st.booleans()):
        v = draw(value_strategy(p))
        return str(v).lower() if p.kind == "bool" else str(v)
    return draw(NUMBERISH)


@fuzz(400)
@given(data=st.data(), eq=st.sampled_from(["=", "=", " = ", "==", ""]))
def test_any_set_override_is_applied_or_refused_in_one_line(data, eq):
    key = data.draw(KEYS)
    value = data.draw(override_value(key))
    base = load_scenario("baseline")
    text = f"{key}{eq}{value}"
    try:
        sc = apply_overrides(base, [text])
    except (ConfigError, ParamError) as exc:
        event(f"refused: {type(exc).__name__}")
        msg = str(exc)
        assert one_line(msg), msg
        name = text.split("=", 1)[0].strip()
        if "=" in text and name in PARAMS:  # a known key: the message names it and its range
            assert name in msg and PARAMS[name].range_text() in msg, msg
        return
    event("accepted")
    name, raw = text.split("=", 1)
    name = name.strip()
    assert sc.params[name] == PARAMS[name].check(raw.strip()) == sc.overrides[name]
    assert sc.resolved()[name] == sc.params[name]


@fuzz(25)
@given(data=st.data())
def test_the_run_command_with_any_set_exits_0_or_2_with_one_line(tmp_path_factory, data):
    key = data.draw(KEYS)
    value = data.draw(override_value(key))
    try:  # keep accepted runs small: --steps fixes the weeks, a large table is not tried
        assume(key != "n_orgs" or int(float(value)) <= 40)
    except (ValueError, OverflowError):
        pass
    out = tmp_path_factory.mktemp("set") / "out"
    code, err = call(["run", "baseline", *FAST, "--set", f"{key}={value}"], out)
    event(f"exit {code}")
    if code == 0:
        assert len(list(out.iterdir())) == 1
    else:
        assert code == 2 and one_line(err) and err.startswith("collabsim run: error: "), err
        assert not out.exists() or not any(out.iterdir())


# ----------------------------------------------------------------------------- command lines
def _write(tmp: Path, name: str, data: bytes) -> str:
    path = tmp / name
    path.write_bytes(data)
    return str(path)


HOSTILE = [
    # config files and scenario names
    (lambda t: ["run", _write(t, "garbage.toml", bytes(range(256)))], "UTF-8"),
    (lambda t: ["run", _write(t, "blank.toml", b"  \n\n\t")], "is empty"),
    (lambda t: ["run", _write(t, "nul.toml", b"[params]\x00\n")], "not valid TOML"),
    (lambda t: ["run", _write(t, "arr.toml", b"[params]\nweeks = [1, 2]\n")], "single value"),
    (lambda t: ["run", _write(t, "tbl.toml", b"params = 3\n")], "must be tables"),
    (lambda t: ["run", _write(t, "big.toml", b"[params]\nn_orgs = 1e400\n")], "n_orgs"),
    (lambda t: ["run", _write(t, "nan.toml", b"[params]\nloyalty = nan\n")], "loyalty = nan"),
    (lambda t: ["run", _write(t, "inf.toml", b"[params]\nloyalty = -inf\n")], "loyalty = -inf"),
    (lambda t: ["run", str(t)], "is not a file"),
    (lambda t: ["run", str(t / "missing.toml")], "does not exist"),
    (lambda t: ["run", "x" * 5000], "unknown scenario"),
    (lambda t: ["run", "hartfort"], "unknown scenario 'hartfort'"),
    (lambda t: ["run", " "], "empty scenario name"),
    (lambda t: ["run", "baseline\x00"], "unknown scenario"),
    (lambda t: ["compare", "baseline", str(t / "nope.toml")], "does not exist"),
    # --set values
    (lambda t: ["run", "baseline", "--set", "loyalty=NaN"], "not a finite number"),
    (lambda t: ["run", "baseline", "--set", "loyalty=-inf"], "not a finite number"),
    (lambda t: ["run", "baseline", "--set", "n_orgs=1e400"], "not a finite number"),
    (lambda t: ["run", "baseline", "--set", "n_orgs=" + "9" * 400], "n_orgs = '999"),
    (lambda t: ["run", "baseline", "--set", "n_orgs=3.5"], "not an integer"),
    (lambda t: ["run", "baseline", "--set", "n_orgs=20001"], "[2, 20000]"),
    (lambda t: ["run", "baseline", "--set", "navigator=2"], "true or false"),
    (lambda t: ["run", "baseline", "--set", "governance=LEAD"], "'shared', 'lead', 'nao'"),
    (lambda t: ["run", "baseline", "--set", "weeks="], "weeks = ''"),
    (lambda t: ["run", "baseline", "--set", "=0.5"], "unknown parameter ''"),
    # counts and seeds
    (lambda t: ["run", "baseline", "--reps", "9" * 30], "--reps"),
    (lambda t: ["run", "baseline", "--reps", "1e3"], "--reps"),
    (lambda t: ["run", "baseline", "--workers", "0"], "--workers"),
    (lambda t: ["run", "baseline", "--workers", "9" * 30], "--workers"),
    (lambda t: ["run", "baseline", "--seed", "-1"], "--seed"),
    (lambda t: ["run", "baseline", "--seed", "nan"], "--seed"),
    (lambda t: ["run", "baseline", "--steps", "0"], "--steps"),
    (lambda t: ["run", "baseline", "--steps", "99999"], "weeks = '99999'"),
    (lambda t: ["run", "baseline", "--reps", "100000"], "time-series rows"),
    # sweep command
    (lambda t: ["sweep", "sweep_turnover_navigator", "--reps", "9" * 20], "at most 1,000,000,000"),
    (lambda t: ["sweep", "baseline"], "unknown table 'scenario'"),
    (lambda t: ["sweep", "x" * 5000], "not found"),
    (
        lambda t: [
            "sweep",
            _write(t, "s.toml", b"[design]\nmethod='lhs'\nparams=['loyalty']\nn=1000000000\n"),
        ],
        "n = 1000000000",
    ),
    (lambda t: ["sweep", "sweep_turnover_navigator", "--workers", "9" * 30], "--workers"),
    (lambda t: ["sensitivity", "sa_all", "--n", str(2**40)], "at most 5,000,000 points"),
    (
        lambda t: [
            "sweep",
            _write(
                t,
                "m.toml",
                b"[design]\nmethod='morris'\nparams=['loyalty']\nn=2\nmorris_levels=3576359688\n",
            ),
        ],
        "even number up to 1000",
    ),
]


@pytest.mark.parametrize(("make", "fragment"), HOSTILE)
def test_hostile_command_lines_exit_2_with_one_line_and_write_nothing(tmp_path, make, fragment):
    args = make(tmp_path)
    out = tmp_path / "out"
    code, err = call(args, out)
    assert code == 2, err
    assert fragment in err and one_line(err), err
    assert not out.exists() or not any(out.iterdir())


OUT_PATHS = [
    (lambda t: t / "file" / "sub", "cannot create output directory"),  # under a file
    (lambda t: t / ("d" * 300), "file name too long"),
    (lambda t: Path(str(t / "a") + "\x00b"), "NUL character"),
    (lambda t: Path("/proc/collabsim-cannot-be-here"), "cannot create output directory"),
]


@pytest.mark.parametrize(("make", "fragment"), OUT_PATHS)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_unusable_output_paths_exit_2_before_any_work(tmp_path, capsys, make, fragment, command):
    (tmp_path / "file").write_text("x")
    target = make(tmp_path)
    config = "baseline" if command == "run" else "sweep_turnover_navigator"
    code = main([command, config, "--reps", "1", "--no-progress", "--out", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and fragment in err and one_line(err), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_in_a_real_process_bad_files_give_status_2_and_no_traceback(tmp_path):
    garbage = tmp_path / "garbage.toml"
    garbage.write_bytes(bytes(range(255, -1, -1)) * 4)
    for args, fragment in (
        (["run", str(garbage)], "not UTF-8"),
        (["sweep", "sweep_turnover_navigator", "--reps", "9" * 20], "at most 1,000,000,000"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "collabsim.cli", *args, "--out", str(tmp_path / "out")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=120,
        )
        assert proc.returncode == 2 and fragment in proc.stderr, proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
