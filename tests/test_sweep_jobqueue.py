"""The cluster path: a sweep through a dask-jobqueue cluster object gives the pool's results.

dask-jobqueue's own ``LocalCluster`` runs each "job" as a local process through the same
JobQueueCluster machinery (job script, submission, worker start-up) that ``SLURMCluster`` uses
with ``sbatch``: the closest runnable stand-in on a machine without a batch system. Everything
listens on 127.0.0.1.
"""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from collabsim.sweep import run_sweep
from test_sweep_engines import small_sweep

jobqueue = pytest.importorskip("dask_jobqueue")
distributed = pytest.importorskip("distributed")

#: The Slurm recipe of docs/researchers.md (job settings only; account and queue are examples).
SLURM = {
    "queue": "compute",
    "account": "myproject",
    "cores": 32,
    "processes": 32,
    "memory": "64GB",
    "walltime": "04:00:00",
}


@pytest.fixture(scope="module")
def pool_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool")
    return run_sweep(small_sweep(), out, engine="pool", workers=2, progress=False)


def test_sweep_on_a_jobqueue_cluster_equals_the_pool(pool_result, tmp_path):
    from dask_jobqueue.local import LocalCluster as JobQueueLocalCluster

    cluster = JobQueueLocalCluster(
        cores=1,
        processes=1,
        memory="1GiB",
        python=sys.executable,
        scheduler_options={"host": "127.0.0.1", "dashboard_address": None},
        worker_extra_args=["--host", "127.0.0.1"],
        local_directory=str(tmp_path / "dask"),
    )
    try:
        assert "distributed.cli.dask_worker" in cluster.job_script()
        cluster.scale(jobs=2)
        with distributed.Client(cluster) as client:
            client.wait_for_workers(2, timeout=120)
            df = run_sweep(
                small_sweep(), tmp_path / "out", engine="dask", dask=client, progress=False
            )
    finally:
        cluster.close()
    pd.testing.assert_frame_equal(df, pool_result)


def test_the_documented_slurm_recipe_makes_a_job_script():
    from dask_jobqueue import SLURMCluster

    cluster = SLURMCluster(
        **SLURM,
        python=sys.executable,
        scheduler_options={"host": "127.0.0.1", "dashboard_address": None},
    )
    try:
        script = cluster.job_script()  # written, never submitted: no sbatch here
    finally:
        cluster.close()
    assert "#SBATCH -p compute" in script
    assert "#SBATCH -A myproject" in script
    assert "#SBATCH -t 04:00:00" in script
    assert "--nworkers 32" in script and "--nthreads 1" in script
    assert sys.executable in script
