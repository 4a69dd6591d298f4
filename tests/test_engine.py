"""The execution engine: every back end gives identical results; interruption and resume."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from collabsim.cli import build_parser, main
from collabsim.engine import (
    DaskEngine,
    Engine,
    EngineError,
    ExecutorEngine,
    PoolEngine,
    SerialEngine,
    child_seed,
    make_engine,
    running,
    spawn_seeds,
)
from collabsim.runner import run_many

PARAMS = {"weeks": 20, "turnover_rate": 0.3, "navigator": True}
SEEDS = spawn_seeds(11, 6)


def frames(runs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Summaries and time series of ``run_many`` output, as two frames."""
    summ = pd.DataFrame([s for s, _ in runs])
    ts = pd.concat([t.assign(rep=i) for i, (_, t) in enumerate(runs)], ignore_index=True)
    return summ, ts


@pytest.fixture(scope="module")
def reference():
    with SerialEngine() as eng:
        return frames(run_many(PARAMS, SEEDS, engine=eng))


def _same(runs, reference) -> None:
    summ, ts = frames(runs)
    pd.testing.assert_frame_equal(summ, reference[0])
    pd.testing.assert_frame_equal(ts, reference[1])


# ----------------------------------------------------------------------------- seeds
def test_seeds_are_the_children_of_the_root_as_before():
    # pinned at d5ab33b, before the engine existed: `collabsim run --seed 7` recorded these
    assert spawn_seeds(7, 3) == [1693125408465869867, 2021251017632032385, 8779501138110131270]
    assert [child_seed(7, i) for i in range(3)] == spawn_seeds(7, 3)
    assert spawn_seeds(7, 0) == []
    with pytest.raises(ValueError, match="number of runs = -1 is not valid"):
        spawn_seeds(7, -1)


# ----------------------------------------------------------------------------- back ends
def test_process_pool_gives_identical_results(reference):
    with PoolEngine(workers=2) as eng:
        _same(run_many(PARAMS, SEEDS, engine=eng), reference)
        assert eng.describe() == {"engine": "pool", "workers": 2, "start_method": "fork"}


def test_user_thread_pool_gives_identical_results(reference):
    with ThreadPoolExecutor(max_workers=3) as ex:
        eng = make_engine(ex)
        assert isinstance(eng, ExecutorEngine) and eng.workers == 3
        _same(run_many(PARAMS, SEEDS, engine=eng), reference)
        assert eng.describe()["executor"] == "ThreadPoolExecutor"


def test_dask_local_cluster_gives_identical_results(reference):
    pytest.importorskip("distributed")
    with DaskEngine("local", workers=2) as eng:
        _same(run_many(PARAMS, SEEDS, engine=eng), reference)
        # groups come back whole, each in item order, on the cluster too
        groups = dict(eng.map_groups(abs, [("a", [-1, -2, -3]), ("b", [-4])], batch=2))
        assert groups == {"a": [1, 2, 3], "b": [4]}
        assert eng.describe() == {"engine": "dask", "workers": 2, "address": "local"}


def test_a_sweep_runs_on_a_user_executor(tmp_path):
    from collabsim.sweep import Sweep, execute, factors_from_params, load_results, make_design

    design = make_design("lhs", factors_from_params(["turnover_rate", "governance"]), n=5, seed=2)
    sweep = Sweep("ex", design, base={"weeks": 12}, replicates=2, root_seed=3, chunk_size=4)
    serial = execute(sweep, tmp_path / "s", engine="serial", progress=False)
    with ThreadPoolExecutor(max_workers=2) as ex:
        threads = execute(sweep, tmp_path / "t", engine=ex, progress=False)
    pd.testing.assert_frame_equal(load_results(serial.path), load_results(threads.path))


# ----------------------------------------------------------------------------- streaming
def _slow_negate(x: int) -> int:
    time.sleep(0.01 * (x % 3))
    return -x


@pytest.mark.parametrize("make", [SerialEngine, lambda: PoolEngine(workers=2, window=3)])
def test_map_keeps_order_and_imap_yields_every_task(make):
    with make() as eng:
        assert list(eng.map(_slow_negate, list(range(20)), batch=3)) == [-x for x in range(20)]
        got = dict(eng.imap(_slow_negate, [(f"k{i}", i) for i in range(10)]))
        assert got == {f"k{i}": -i for i in range(10)}
        ordered = [k for k, _ in eng.imap(_slow_negate, [(i, i) for i in range(10)], True)]
        assert ordered == list(range(10))


@pytest.mark.parametrize("ordered", [False, True])
def test_a_stream_holds_at_most_its_window(ordered):
    """Tasks handed out and not yet yielded never exceed the window: memory stays bounded."""
    handed_out = []

    def tasks():
        for i in range(30):
            handed_out.append(i)
            yield i, i

    with PoolEngine(workers=2, window=4) as eng:
        seen = []
        for key, value in eng.imap(_slow_negate, tasks(), ordered=ordered):
            seen.append(key)
            assert value == -key
            assert len(handed_out) - len(seen) < 4
    assert sorted(seen) == list(range(30)) and (not ordered or seen == list(range(30)))


def test_groups_come_back_whole_as_they_complete():
    done = []
    with PoolEngine(workers=2) as eng:
        groups = [(g, list(range(g * 10, g * 10 + 1 + g))) for g in range(5)]
        out = dict(eng.map_groups(_slow_negate, groups, batch=2, progress=done.append))
    assert out == {g: [-x for x in items] for g, items in groups}
    assert sum(done) == sum(len(items) for _, items in groups)


def test_a_failing_task_raises_its_own_error():
    for make in (SerialEngine, lambda: PoolEngine(workers=2)):
        with make() as eng, pytest.raises(ZeroDivisionError):
            list(eng.map(_inverse, [1, 2, 0, 4], batch=1))


def _inverse(x: int) -> float:
    return 1 / x


# ----------------------------------------------------------------------------- interruption
def test_stopping_a_stream_cancels_the_tasks_not_started():
    started = []

    def task(x: int) -> int:
        started.append(x)
        time.sleep(0.02)
        return x

    with ThreadPoolExecutor(max_workers=1) as ex:
        eng = ExecutorEngine(ex, window=8)
        for x in eng.map(task, list(range(100)), batch=1):
            if x == 2:
                break  # what a Ctrl-C in the consumer does
    assert len(started) < 10  # the window's other tasks were cancelled, not run


def test_a_ctrl_c_inside_a_serial_task_stops_at_once():
    started = []

    def task(x: int) -> int:
        started.append(x)
        if x == 3:
            raise KeyboardInterrupt
        return x

    got = []
    with pytest.raises(KeyboardInterrupt), SerialEngine() as eng:
        got.extend(eng.map(task, list(range(10)), batch=1))
    assert started == [0, 1, 2, 3]


def _sleep_then(x: float) -> float:
    time.sleep(x)
    return x


def test_pool_workers_leave_ctrl_c_to_the_parent():
    """A terminal sends Ctrl-C to the whole group: the workers go on, the parent decides."""
    with PoolEngine(workers=2) as eng:
        pids = set(eng._executor._processes)  # type: ignore[union-attr]
        fut = eng.submit(_sleep_then, 0.5)
        time.sleep(0.1)
        for pid in pids:
            os.kill(pid, signal.SIGINT)
        assert fut.result(timeout=30) == 0.5
        assert set(eng._executor._processes) == pids  # type: ignore[union-attr]


def test_interrupted_replication_resumes_from_finished_patterns(tmp_path):
    """Patterns finished before a Ctrl-C are checkpointed; the next run reads them back."""
    from collabsim.replication.criteria import load_criteria
    from collabsim.replication.replicate import plan
    from collabsim.replication.runner import execute

    crit = load_criteria()
    specs = []
    for p in plan(crit, ["cases", "not_speed"], quick=True):
        specs += [
            type(r)(r.pattern, r.cell, r.rep, r.seed, {**r.params, "weeks": 12}, r.series)
            for r in p.runs
            if r.rep < 2
        ]
    first = specs[0].pattern
    n_first = sum(s.pattern == first for s in specs)
    seen = []

    def progress(n: int) -> None:
        seen.append(n)
        if sum(seen) > n_first:  # the first pattern is complete and stored: now a Ctrl-C
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        execute(specs, workers=1, progress=progress, checkpoint_dir=tmp_path)
    assert [p.name.split("-")[0] for p in tmp_path.glob("*.pkl")] == [first]
    resumed = execute(specs, workers=2, checkpoint_dir=tmp_path)
    fresh = execute(specs, workers=1)
    assert [n for n, r in resumed.items() if r.resumed] == [first]
    for name in fresh:
        pd.testing.assert_frame_equal(resumed[name].runs, fresh[name].runs)


# ----------------------------------------------------------------------------- choosing
def test_running_makes_what_is_asked_and_closes_only_what_it_made():
    with running(workers=1) as eng:
        assert isinstance(eng, SerialEngine)
    with running(workers=4, tasks=1) as eng:  # never more processes than tasks
        assert isinstance(eng, SerialEngine)
    with running(workers=2, tasks=5) as eng:
        assert isinstance(eng, PoolEngine) and eng.running
    assert not eng.running
    mine = PoolEngine(workers=2)
    with running(mine) as eng:
        assert eng is mine and mine.running
    assert mine.running  # the caller's engine is left running
    mine.close()


def test_bad_engine_settings_are_clear():
    with pytest.raises(EngineError, match="engine = 'ray' is not valid"):
        make_engine("ray")
    with pytest.raises(EngineError, match="start method = 'spawn' is not valid"):
        make_engine("pool", start_method="spawn")
    with pytest.raises(EngineError, match="dask address = 'nowhere' is not valid"):
        make_engine("dask", dask="nowhere")
    with pytest.raises(EngineError, match="workers = 0 is not valid"):
        Engine(workers=0)
    with pytest.raises(EngineError, match="expected a concurrent.futures.Executor"):
        ExecutorEngine(object())  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- the CLI
COMMANDS = {
    "run": ["run", "baseline"],
    "compare": ["compare", "baseline", "denver"],
    "sweep": ["sweep", "sweep_governance"],
    "sensitivity": ["sensitivity", "sa_key_actions"],
    "replicate": ["replicate"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_shares_the_engine_options(command):
    parser = build_parser()
    base = COMMANDS[command]
    args = parser.parse_args([*base, "--seed", "5", "--workers", "2", "--out", "x"])
    assert (args.seed, args.workers, str(args.out), args.engine) == (5, 2, "x", None)
    assert parser.parse_args([*base, "--serial"]).engine == "serial"
    args = parser.parse_args([*base, "--engine", "dask", "--dask", "tcp://h:1"])
    assert (args.engine, args.dask, args.start_method) == ("dask", "tcp://h:1", "fork")
    assert parser.parse_args([*base, "--start-method", "forkserver", "--no-progress"]).no_progress


def test_conflicting_engine_options_exit_with_status_2(capsys):
    assert main(["run", "baseline", "--serial", "--engine", "pool"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    code = main(["run", "baseline", "--engine", "serial", "--dask", "local", "--reps", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "--dask local cannot go with --engine serial" in err


def test_run_gives_the_same_results_on_every_engine_and_records_it(tmp_path, capsys):
    args = ["run", "baseline", "--reps", "3", "--steps", "10", "--no-progress"]
    assert main([*args, "--engine", "serial", "--out", str(tmp_path / "s")]) == 0
    assert main([*args, "--workers", "2", "--out", str(tmp_path / "p")]) == 0
    capsys.readouterr()
    (s,) = (tmp_path / "s").iterdir()
    (p,) = (tmp_path / "p").iterdir()
    pd.testing.assert_frame_equal(
        pd.read_parquet(s / "timeseries.parquet"), pd.read_parquet(p / "timeseries.parquet")
    )
    engines = [json.loads((f / "metadata.json").read_text())["engine"] for f in (s, p)]
    assert engines == [
        {"engine": "serial", "workers": 1},
        {"engine": "pool", "workers": 2, "start_method": "fork"},
    ]
