"""Evaluators: how a design becomes outcomes per design point.

An evaluator is a callable that takes a :class:`~collabsim.sweep.designs.Design` and returns one
row of outcomes per design point. :class:`ModelEvaluator` runs the design on the collaboration
model as a resumable sweep with replicates and averages them per point (see
:func:`point_outcomes` for how undefined outcomes are handled); :func:`function_evaluator`
wraps any plain function ``f(X) -> Y`` of the design matrix (the tests feed it Ishigami).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.sensitivity.config import CENSORED, OUTCOMES
from collabsim.sweep.designs import Design

__all__ = [
    "Evaluator",
    "ModelEvaluator",
    "function_evaluator",
    "point_outcomes",
    "replicates_for",
    "seed_noise",
]


def point_outcomes(
    runs: pd.DataFrame,
    n_points: int,
    outcomes: Sequence[str],
    horizon: int | pd.Series,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Average replicates per design point, with explicit rules for NaN.

    * Time-to-event outcomes (:data:`CENSORED`): a run in which the event never happened has
      NaN; it is censored at the run's horizon (``weeks``) before averaging.
    * Other outcomes: the mean over the replicates that have a value (``learning_share`` is
      NaN in a run without setbacks). A point where no replicate has a value is imputed with
      the mean over all other points, and the number of imputed points is reported.
    * Switches (``perished``...) average to shares.

    Args:
        runs: One row per run with ``point`` and the outcome columns.
        n_points: Number of design points (rows of the result).
        outcomes: Outcome columns.
        horizon: The horizon in weeks, one value or one per run (aligned with ``runs``).

    Returns:
        ``(frame with one row per point and one column per outcome, imputed counts)``.
    """
    out = {}
    imputed = {}
    point = runs["point"].to_numpy()
    if len(point) and (point.min() < 0 or point.max() >= n_points):
        raise ValueError("runs refer to points outside the design")
    counts = np.bincount(point, minlength=n_points)
    if np.any(counts == 0):
        raise ValueError("some design points have no runs")
    hz = np.asarray(horizon, dtype=float) if isinstance(horizon, pd.Series) else float(horizon)
    for name in outcomes:
        y = runs[name].to_numpy(dtype=float)
        if name in CENSORED:
            y = np.where(np.isnan(y), hz, y)
        ok = ~np.isnan(y)
        sums = np.bincount(point, weights=np.where(ok, y, 0.0), minlength=n_points)
        k = np.bincount(point, weights=ok.astype(float), minlength=n_points)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = sums / k
        missing = k == 0
        imputed[name] = int(missing.sum())
        if missing.all():
            mean[:] = 0.0
        elif missing.any():
            mean[missing] = mean[~missing].mean()
        out[name] = mean
    return pd.DataFrame(out), imputed


def seed_noise(
    runs: pd.DataFrame,
    n_points: int,
    outcomes: Sequence[str],
    horizon: int | pd.Series,
) -> pd.DataFrame:
    """How much of each outcome's variance is seed noise, measured from the replicates.

    With ``R`` replicates per design point, the seed-noise variance is the pooled variance
    within points (replicates differ only in their seed); the variance of single runs is the
    variance over all runs. The share of seed noise left in the replicate means is the noise
    variance divided by the number of defined replicates, over the variance of the point
    means. A dummy parameter's total Sobol index estimates that share, so it is the floor a
    parameter has to clear. Time-to-event outcomes are censored at the horizon first, as in
    :func:`point_outcomes`; undefined values are left out.

    Args:
        runs: One row per run with ``point`` and the outcome columns.
        n_points: Number of design points.
        outcomes: Outcome columns.
        horizon: The horizon in weeks, one value or one per run.

    Returns:
        One row per outcome: ``replicates`` (runs per point), ``undefined_runs`` (share of runs
        without a value), ``run_var``, ``seed_var``, ``seed_share_runs`` (seed noise over the
        variance of single runs), ``seed_share_means`` (seed noise left in the point means);
        NaN where fewer than two replicates have a value.
    """
    point = runs["point"].to_numpy()
    reps = np.bincount(point, minlength=n_points)
    hz = np.asarray(horizon, dtype=float) if isinstance(horizon, pd.Series) else float(horizon)
    rows = []
    for name in outcomes:
        y = runs[name].to_numpy(dtype=float)
        if name in CENSORED:
            y = np.where(np.isnan(y), hz, y)
        ok = ~np.isnan(y)
        k = np.bincount(point, weights=ok.astype(float), minlength=n_points)
        s1 = np.bincount(point, weights=np.where(ok, y, 0.0), minlength=n_points)
        s2 = np.bincount(point, weights=np.where(ok, y * y, 0.0), minlength=n_points)
        multi = k >= 2
        row = {
            "outcome": name,
            "replicates": float(reps.mean()) if n_points else math.nan,
            "undefined_runs": float(1.0 - ok.mean()) if len(ok) else math.nan,
            "run_var": math.nan,
            "seed_var": math.nan,
            "seed_share_runs": math.nan,
            "seed_share_means": math.nan,
        }
        if multi.any():
            # pooled within-point variance: sum of squared deviations over degrees of freedom
            ss = s2[multi] - s1[multi] ** 2 / k[multi]
            seed_var = float(max(ss.sum(), 0.0) / (k[multi] - 1).sum())
            run_var = float(np.var(y[ok], ddof=1))
            means = s1[multi] / k[multi]
            mean_var = float(np.var(means, ddof=1)) if multi.sum() >= 2 else math.nan
            noise_in_means = seed_var * float(np.mean(1.0 / k[multi]))
            row.update(
                run_var=run_var,
                seed_var=seed_var,
                seed_share_runs=min(seed_var / run_var, 1.0) if run_var > 0 else math.nan,
                seed_share_means=(
                    min(noise_in_means / mean_var, 1.0) if mean_var > 0 else math.nan
                ),
            )
        rows.append(row)
    return pd.DataFrame(rows)


def replicates_for(seed_share_runs: float, target: float) -> int:
    """Replicates per point that bring the seed noise in the point means down to ``target``.

    With a share ``s`` of seed noise in single runs, averaging ``R`` replicates leaves
    ``s / (s + R (1 - s))`` of the means' variance to noise; this returns the smallest ``R``
    for which that is at most ``target`` (1 when ``s`` is unknown or 0).
    """
    s = float(seed_share_runs)
    if not math.isfinite(s) or s <= 0:
        return 1
    if s >= 1:
        raise ValueError("the outcome is pure seed noise: no number of replicates helps")
    if not 0 < target < 1:
        raise ValueError(f"target = {target!r} is not valid: expected 0 < target < 1")
    return max(1, math.ceil(s * (1 - target) / (target * (1 - s)) - 1e-12))


# ----------------------------------------------------------------------------- evaluators
Evaluator = Callable[[Design], pd.DataFrame]


def function_evaluator(func: Callable[[np.ndarray], Any]) -> Evaluator:
    """Wrap ``func(X) -> Y`` (X: points x inputs without the dummy) as an evaluator.

    ``Y`` may be a vector (one outcome, ``"y"``), a matrix (outcomes ``"y0"``, ``"y1"``...),
    a mapping of outcome names to vectors, or a DataFrame.
    """

    def evaluate(design: Design) -> pd.DataFrame:
        cols = [j for j, f in enumerate(design.factors) if f.role != "dummy"]
        X = np.column_stack([design.factors[j].decode(design.X[:, j]) for j in cols]).astype(float)
        Y = func(X)
        if isinstance(Y, pd.DataFrame):
            df = Y.reset_index(drop=True)
        elif isinstance(Y, Mapping):
            df = pd.DataFrame({k: np.asarray(v, dtype=float) for k, v in Y.items()})
        else:
            arr = np.asarray(Y, dtype=float)
            if arr.ndim == 1:
                df = pd.DataFrame({"y": arr})
            else:
                df = pd.DataFrame(arr, columns=[f"y{i}" for i in range(arr.shape[1])])
        if len(df) != design.n_points:
            raise ValueError(f"the function returned {len(df)} rows for {design.n_points} points")
        return df

    return evaluate


@dataclass
class ModelEvaluator:
    """Runs a design on the collaboration model as a resumable sweep; averages replicates.

    Attributes:
        name: Prefix of the sweep folders (``<name>-<method>``).
        base: Fixed parameter values.
        outcomes: Outcome columns to return.
        replicates: Runs per design point.
        root_seed: Root of the runs' seeds.
        out: Parent folder of the sweep folders.
        engine: ``"serial"``, ``"pool"``, ``"dask"``, or a running
            :class:`~collabsim.engine.Engine` shared by every design.
        workers: Processes (pool or local Dask cluster).
        dask: Dask address or client.
        chunk_size: Runs per chunk file.
        progress: Show progress bars.
        sweeps: Filled with ``{method: sweep folder}`` as designs run.
        imputed: Filled with ``{method: {outcome: imputed points}}``.
        noise: Filled with ``{method: seed-noise table}`` (see :func:`seed_noise`).
        summary: Write each sweep folder's ``summary.md`` and figures
            (:func:`~collabsim.sweep.summary.write_sweep_summary`).

    The returned frame carries ``attrs["imputed"]`` (points without a value per outcome) and
    ``attrs["noise"]`` (the seed-noise table) for :func:`~collabsim.sensitivity.analyze`.
    """

    name: str
    base: Mapping[str, Any] = field(default_factory=dict)
    outcomes: Sequence[str] = OUTCOMES
    replicates: int = 1
    root_seed: int = 2025
    out: Path | str = Path("results") / "sweeps"
    engine: Any = "pool"
    workers: int | None = None
    dask: Any = None
    chunk_size: int = 1000
    progress: bool = True
    sweeps: dict[str, str] = field(default_factory=dict)
    imputed: dict[str, dict[str, int]] = field(default_factory=dict)
    noise: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: bool = True

    def __call__(self, design: Design) -> pd.DataFrame:
        """Run ``design`` (resuming or reusing a sweep folder) and return per-point outcomes."""
        from collabsim.sweep import Sweep, execute, load_results

        sweep = Sweep(
            f"{self.name}-{design.method}",
            design,
            base=self.base,
            replicates=self.replicates,
            root_seed=self.root_seed,
            chunk_size=self.chunk_size,
        )
        res = execute(
            sweep,
            self.out,
            engine=self.engine,
            workers=self.workers,
            dask=self.dask,
            progress=self.progress,
        )
        self.sweeps[design.method] = str(res.path)
        if self.summary:
            from collabsim.sweep.summary import write_sweep_summary

            write_sweep_summary(res.path, self.outcomes)
        varied = {f.name for f in design.model_factors}
        cols = ["point", *self.outcomes, *(["weeks"] if "weeks" in varied else [])]
        runs = load_results(res.path, columns=list(dict.fromkeys(cols)))
        horizon = runs["weeks"] if "weeks" in varied else sweep.resolved_base()["weeks"]
        y, imputed = point_outcomes(runs, design.n_points, self.outcomes, horizon)
        self.imputed[design.method] = imputed
        noise = seed_noise(runs, design.n_points, self.outcomes, horizon)
        self.noise[design.method] = noise
        y.attrs["imputed"] = imputed
        y.attrs["noise"] = noise
        return y
