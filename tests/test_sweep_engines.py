"""Engines: the same design and root seed give identical results serially, in a pool, on Dask."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from collabsim.engine import PoolEngine, spawn_seeds
from collabsim.sweep import (
    Sweep,
    execute,
    factors_from_params,
    load_results,
    make_design,
    read_metadata,
    run_seed,
    run_sweep,
)

NAMES = ["turnover_rate", "navigator", "governance", "community_stages"]


def small_sweep(chunk_size: int = 8) -> Sweep:
    design = make_design("lhs", factors_from_params(NAMES), n=12, seed=4)
    return Sweep(
        "engines", design, base={"weeks": 26}, replicates=2, root_seed=77, chunk_size=chunk_size
    )


@pytest.fixture(scope="module")
def serial_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    return run_sweep(small_sweep(), out, engine="serial", progress=False)


def test_each_run_records_its_spawned_seed(serial_result):
    df = serial_result
    assert list(df["run"]) == list(range(24))
    assert list(df["point"]) == [i // 2 for i in range(24)]
    assert list(df["rep"]) == [i % 2 for i in range(24)]
    # child i of SeedSequence(root).spawn(n), exactly as the runner of `collabsim run` makes it
    assert list(df["seed"]) == spawn_seeds(77, 24)
    assert run_seed(77, 5) == spawn_seeds(77, 24)[5]
    # replicates of one point differ; the varied parameters are recorded with each run
    assert df.groupby("point")["collective_impact"].nunique().max() == 2
    assert set(df["governance"]) <= {"shared", "lead", "nao"}
    assert df["weeks_run"].max() == 26


@pytest.mark.parametrize("workers", [1, 2])
def test_process_pool_gives_identical_results(serial_result, tmp_path, workers):
    df = run_sweep(small_sweep(), tmp_path, engine="pool", workers=workers, progress=False)
    pd.testing.assert_frame_equal(df, serial_result)


def test_forkserver_pool_gives_identical_results(serial_result, tmp_path):
    df = run_sweep(
        small_sweep(),
        tmp_path,
        engine="pool",
        workers=2,
        start_method="forkserver",
        progress=False,
    )
    pd.testing.assert_frame_equal(df, serial_result)


def test_dask_local_cluster_gives_identical_results(serial_result, tmp_path):
    pytest.importorskip("distributed")
    t0 = time.perf_counter()
    df = run_sweep(small_sweep(), tmp_path, engine="dask", dask="local", workers=2, progress=False)
    pd.testing.assert_frame_equal(df, serial_result)
    meta = read_metadata(df.attrs["folder"])
    assert meta["sessions"][0]["engine"] == {"engine": "dask", "workers": 2, "address": "local"}
    assert time.perf_counter() - t0 < 60


def test_chunking_does_not_change_results(serial_result, tmp_path):
    res = execute(small_sweep(chunk_size=5), tmp_path, engine="serial", progress=False)
    chunks = sorted((res.path / "chunks").glob("chunk-*.parquet"))
    assert len(chunks) == 5  # 24 runs in chunks of 5
    pd.testing.assert_frame_equal(load_results(res.path), serial_result)


def test_metadata_records_provenance_design_and_seed(serial_result):
    meta = read_metadata(serial_result.attrs["folder"])
    assert meta["status"] == "complete"
    assert meta["root_seed"] == 77 and meta["replicates"] == 2 and meta["n_runs"] == 24
    assert meta["design"]["method"] == "lhs"
    assert [f["name"] for f in meta["design"]["factors"]] == NAMES
    assert meta["git_commit"] and meta["collabsim_version"]
    assert meta["base"]["weeks"] == 26


def test_one_engine_serves_several_sweeps(serial_result, tmp_path):
    eng = PoolEngine(workers=2)
    with eng:
        a = execute(small_sweep(), tmp_path / "a", engine=eng, progress=False)
        assert eng.running  # left running for the caller
        b = execute(small_sweep(chunk_size=6), tmp_path / "b", engine=eng, progress=False)
    assert not eng.running
    pd.testing.assert_frame_equal(load_results(a.path), serial_result)
    pd.testing.assert_frame_equal(load_results(b.path), serial_result)


def test_runs_do_not_keep_models_alive():
    """Memory stays bounded over a long sweep: no model outlives its run (Mesa 3.3.1 leak)."""
    import gc

    from collabsim.model import CollaborationModel
    from collabsim.sweep.runner import run_row

    def alive() -> int:
        gc.collect()
        return sum(isinstance(o, CollaborationModel) for o in gc.get_objects())

    before = alive()
    runs = [(i, i, 0, run_seed(1, i), {"turnover_rate": 0.1 * (i % 5)}) for i in range(20)]
    rows = [run_row({"weeks": 8}, run) for run in runs]
    assert len(rows) == 20
    assert alive() == before
