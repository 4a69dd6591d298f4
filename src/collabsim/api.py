"""The public entry points: many seeds, a sweep, a sensitivity analysis, the replication.

One call each, with plain arguments and pandas results, for a notebook or a script. Each one
delegates to the module that does the work (:mod:`collabsim.runner`, :mod:`collabsim.sweep`,
:mod:`collabsim.sensitivity`, :mod:`collabsim.replication`), which also serves the command line,
so a call here and the matching ``collabsim`` command give identical results for the same seed.
They are re-exported from :mod:`collabsim`; this module is imported on first use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collabsim.config import Scenario, load_scenario
from collabsim.params import validate

if TYPE_CHECKING:
    import pandas as pd

    from collabsim.replication import Criteria, Replication
    from collabsim.sensitivity import SAResult
    from collabsim.sweep import Sweep

__all__ = ["replicate", "run_many", "run_sensitivity", "run_sweep"]

#: Parent folder of sweep folders unless ``out`` says otherwise (relative to the current one).
SWEEPS_OUT = Path("results") / "sweeps"


def _scenario(scenario: str | os.PathLike[str] | Scenario) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def run_many(
    scenario: str | os.PathLike[str] | Scenario = "baseline",
    *,
    reps: int = 10,
    seed: int = 2025,
    workers: int = 1,
    series: bool = True,
    **overrides: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run one scenario over ``reps`` seeds: the runs of ``collabsim run``, as DataFrames.

    The seeds are spawned from ``seed`` exactly as ``collabsim run --seed`` spawns them, so the
    same call and command give the same runs, whatever the number of workers.

    Args:
        scenario: A packaged scenario's name, a scenario file's path, or a
            :class:`~collabsim.config.Scenario`.
        reps: Number of runs.
        seed: Root seed; run ``i`` uses child ``i`` of ``numpy.random.SeedSequence(seed)``.
        workers: Processes (1 runs here, in this process).
        series: Also return every run's weekly time series.
        **overrides: Parameter values replacing the scenario's (declared names only).

    Returns:
        ``(summaries, series)``: one row per run (``rep``, ``seed`` and every summary outcome),
        and one row per run and week (``rep``, ``week`` and every series; empty when
        ``series`` is False).

    Raises:
        ConfigError: the scenario is unknown or its file is not valid.
        ParamError: an override's name is unknown or its value is out of range.

    Examples:
        >>> import collabsim
        >>> runs, weekly = collabsim.run_many("louisville", reps=3, seed=1, weeks=20)
        >>> len(runs), list(runs.columns[:3])
        (3, ['rep', 'seed', 'collective_impact'])
        >>> weekly.groupby("rep").size().tolist()  # weeks 0 (the founding) to 20
        [21, 21, 21]
        >>> again = collabsim.CollaborationModel(rng=int(runs.seed[0]), **runs.attrs["params"])
        >>> bool(again.run().summary()["collective_impact"] == runs.collective_impact[0])
        True
    """
    import pandas as pd

    from collabsim.engine import spawn_seeds
    from collabsim.runner import iter_runs

    sc = _scenario(scenario)
    params = {**sc.params, **validate(overrides, partial=True)}
    seeds = spawn_seeds(seed, reps)
    rows, frames = [], []
    for rep, (summ, ts) in enumerate(iter_runs(params, seeds, workers=workers, series=series)):
        rows.append({"rep": rep, "seed": summ.pop("seed"), **summ})
        if series:
            ts.insert(0, "rep", rep)
            frames.append(ts)
    summaries = pd.DataFrame(rows)
    weekly = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for df in (summaries, weekly):
        df.attrs.update(scenario=sc.name, root_seed=seed, params=params)
    return summaries, weekly


def run_sweep(
    config: str | os.PathLike[str] | Sweep,
    *,
    out: str | os.PathLike[str] = SWEEPS_OUT,
    replicates: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    engine: str = "pool",
    workers: int | None = None,
    dask: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run (or resume, or find) a declared sweep and return one row per run.

    The sweep is stored in a resumable folder under ``out`` named after the sweep and its
    fingerprint: run again, the same call resumes an interrupted sweep or reads a finished
    one (never overwriting it). ``collabsim sweep CONFIG`` does the same.

    Args:
        config: A packaged sweep's name (``"sweep_turnover_navigator"``), a sweep file's path,
            or a :class:`~collabsim.sweep.Sweep` built in Python.
        out: Parent folder of the sweep folders.
        replicates: Runs per design point (replaces the file's value).
        seed: Root seed (replaces the file's ``root_seed``).
        overrides: ``key=value`` strings fixing parameters, as ``--set`` does.
        engine: ``"serial"``, ``"pool"`` (processes) or ``"dask"``.
        workers: Processes or Dask workers (default: every core).
        dask: A Dask client or scheduler address for ``engine="dask"``.
        progress: Show a progress bar.

    Returns:
        One row per run: ``run``, ``point``, ``rep``, ``seed``, the varied parameters and
        every summary outcome; ``df.attrs["folder"]`` is the sweep's folder.

    Examples:
        >>> import tempfile, collabsim
        >>> from collabsim.sweep import Sweep, factors_from_params, make_design
        >>> design = make_design("grid", factors_from_params(["navigator"]))
        >>> demo = Sweep("demo", design, base={"weeks": 20}, replicates=2, root_seed=7)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     df = collabsim.run_sweep(demo, out=tmp, engine="serial")
        >>> df[["point", "rep", "navigator"]].values.tolist()
        [[0, 0, False], [0, 1, False], [1, 0, True], [1, 1, True]]
    """
    from collabsim.sweep import Sweep, load_sweep
    from collabsim.sweep import run_sweep as _run_sweep

    if isinstance(config, Sweep):
        sweep = config
    else:
        sweep = load_sweep(config, overrides=overrides, root_seed=seed, replicates=replicates)
    return _run_sweep(
        sweep, Path(out), engine=engine, workers=workers, dask=dask, progress=progress
    )


def run_sensitivity(
    config: str | os.PathLike[str],
    *,
    n: int | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    methods: Sequence[str] | None = None,
    overrides: Sequence[str] = (),
    out: str | os.PathLike[str] = SWEEPS_OUT,
    engine: str = "pool",
    workers: int | None = None,
    dask: Any = None,
    progress: bool = False,
) -> SAResult:
    """Run a declared global sensitivity analysis (Sobol, Morris, PAWN) and return its tables.

    Each method's design runs as a resumable sweep under ``out``; ``collabsim sensitivity
    CONFIG`` does the same and also writes the report.

    Args:
        config: A packaged analysis's name (``"sa_key_actions"``) or a file's path.
        n: Sobol base sample size (a power of 2; replaces the file's ``[sobol] n``).
        replicates: Runs per design point.
        seed: Root seed of the runs, the designs and the bootstrap.
        methods: Analyses to run (``"sobol"``, ``"morris"``, ``"pawn"``; default: the file's).
        overrides: ``key=value`` strings fixing parameters, as ``--set`` does.
        out: Parent folder of the sweep folders.
        engine: ``"serial"``, ``"pool"`` (processes) or ``"dask"``.
        workers: Processes or Dask workers (default: every core).
        dask: A Dask client or scheduler address for ``engine="dask"``.
        progress: Show progress bars.

    Returns:
        A :class:`~collabsim.sensitivity.SAResult`: ``.sobol``, ``.morris``, ``.pawn`` tables
        (one row per parameter and outcome, with confidence intervals).

    Examples:
        >>> import tempfile, collabsim
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     sa = collabsim.run_sensitivity(
        ...         "sa_key_actions", n=4, methods=["sobol"], overrides=["weeks=10"],
        ...         out=tmp, engine="serial")
        >>> sa.designs  # N x (15 parameters + the dummy + 2) runs
        {'sobol': 72}
        >>> sorted(set(sa.sobol["outcome"]))  # learning_share is refused: in 10 weeks most
        ...                                   # runs have no setback, so it is undefined
        ['collective_impact', 'perished', 'weeks_to_first_win']
    """
    from collabsim.sensitivity import ModelEvaluator, analyze, load_sa_config

    cfg = load_sa_config(
        config,
        overrides=overrides,
        n=n,
        replicates=replicates,
        root_seed=seed,
        methods=methods,
    )
    evaluator = ModelEvaluator(
        name=cfg.name,
        base=cfg.base,
        outcomes=cfg.settings.outcomes,
        replicates=cfg.replicates,
        root_seed=cfg.root_seed,
        out=Path(out),
        chunk_size=cfg.chunk_size,
        progress=progress,
        engine=engine,
        workers=workers,
        dask=dask,
    )
    return analyze(evaluator, cfg.factors, cfg.settings)


def replicate(
    patterns: Iterable[str] | None = None,
    *,
    quick: bool = False,
    workers: int = 1,
    criteria: str | os.PathLike[str] | Criteria | None = None,
    progress: Callable[[int], None] | None = None,
) -> Replication:
    """Replicate the published findings: run the patterns and judge each against its criteria.

    The criteria are declared before the runs in the packaged ``replication.toml`` (or the
    file given); ``collabsim replicate`` does the same and writes the report.

    Args:
        patterns: Pattern names to run (all if None): ``formal_structure``, ``key_actions``,
            ``entry_points``, ``not_speed``, ``trust_dynamics``, ``cases``.
        quick: Use the CI-sized designs (``seeds_quick`` per cell).
        workers: Processes for the runs.
        criteria: A criteria file's path, or :class:`~collabsim.replication.Criteria` (e.g.
            the packaged ones with one design level changed); default: the packaged file.
        progress: Called with the number of newly finished runs.

    Returns:
        A :class:`~collabsim.replication.Replication`; ``.results[name]`` is each pattern's
        :class:`~collabsim.replication.PatternResult` (estimates, intervals, checks).

    Examples:
        >>> import collabsim
        >>> rep = collabsim.replicate(["cases"], quick=True)
        >>> list(rep.results), rep.n_runs > 0
        (['cases'], True)
        >>> rep.results["cases"].verdict in ("PASS", "FAIL")
        True
    """
    from collabsim.replication import load_criteria
    from collabsim.replication import replicate as _replicate

    crit = load_criteria(criteria) if isinstance(criteria, str | os.PathLike) else criteria
    return _replicate(crit, patterns, quick=quick, workers=workers, progress=progress)
