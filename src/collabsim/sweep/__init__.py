"""Parameter sweeps at scale: designs, engines (serial, process pool, Dask), a resumable store.

The public surface, usable from a notebook::

    from collabsim.sweep import Sweep, factors_from_params, make_design, run_sweep

    design = make_design("lhs", factors_from_params(["turnover_rate", "navigator"]), n=200)
    df = run_sweep(Sweep("demo", design, base={"weeks": 104}, replicates=5, root_seed=7))

or from a TOML declaration: ``run_sweep(load_sweep("configs/sweep_turnover.toml"))``, and on the
command line ``collabsim sweep CONFIG``. A sweep can also keep chosen weekly series of every run
(``Sweep(..., series=["public_value"], series_every=4)``, read back with
``load_series(folder, "public_value")``). See ``docs/researchers.md``.
"""

from collabsim.engine import ENGINES, EngineError, make_engine
from collabsim.sweep.config import load_sweep
from collabsim.sweep.designs import (
    DUMMY,
    METHODS,
    Design,
    DesignError,
    Factor,
    factors_from_params,
    make_design,
)
from collabsim.sweep.runner import Sweep, SweepRun, execute, run_seed, run_sweep
from collabsim.sweep.store import (
    SweepError,
    kept_series,
    load_design,
    load_results,
    load_series,
    read_metadata,
)

__all__ = [
    "DUMMY",
    "ENGINES",
    "METHODS",
    "Design",
    "DesignError",
    "EngineError",
    "Factor",
    "Sweep",
    "SweepError",
    "SweepRun",
    "execute",
    "factors_from_params",
    "kept_series",
    "load_design",
    "load_results",
    "load_series",
    "load_sweep",
    "make_design",
    "make_engine",
    "read_metadata",
    "run_seed",
    "run_sweep",
]
