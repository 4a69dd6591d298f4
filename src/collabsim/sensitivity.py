"""Global sensitivity analysis: Sobol, Morris and PAWN indices of collabsim or of any function.

The SALib problem is built from the parameter declaration (:mod:`collabsim.params`) through
the sweep designs (:mod:`collabsim.sweep.designs`), so bounds default to the declared ranges and
integer, switch and categorical parameters are sampled as valid values. Three methods:

* **Sobol** (``SALib.analyze.sobol``): first-order ``S1`` and total-order ``ST`` indices with
  bootstrap confidence intervals (second order optional), on a Saltelli sample of
  ``N (D + 2)`` points. A **convergence check** re-analyses the first ``N/4``, ``N/2`` and
  ``N`` base points of the same sample (SALib lays a Sobol sample out block by block, so these
  are exactly the samples of those sizes): indices and CI widths at ``N', 2N', 4N'``.
* **Morris** (``SALib.analyze.morris``): ``mu``, ``mu*`` and ``sigma`` of the elementary
  effects, with bootstrap intervals for ``mu*`` (SALib) and for ``sigma`` (here, resampling
  trajectories the same way).
* **PAWN** (``SALib.analyze.pawn``), moment-independent: the median over conditioning slices of
  the Kolmogorov-Smirnov distance, with a bootstrap interval. It uses the Sobol design's two
  independent base matrices ``A`` and ``B`` (``2N`` points, no extra runs), or its own Latin
  hypercube when Sobol is not requested.

Every analysis runs on a **dummy** factor too, which the model never reads: its index is the
noise floor (replicate noise plus estimation error). A parameter counts as influential on an
outcome only when its interval lies above the dummy's.

The model enters through an *evaluator*: a callable that takes a :class:`Design` and returns
one row of outcomes per design point. :class:`ModelEvaluator` runs the design as a resumable
sweep with replicates and averages them per point (see :func:`point_outcomes` for how NaN
outcomes are handled). Any plain function ``f(X) -> Y`` of the design matrix is accepted too,
which is how the tests feed it the Ishigami function.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from collabsim.config import ConfigError
from collabsim.outcomes import SUMMARY_KEYS
from collabsim.sweep.designs import DUMMY, Design, Factor, make_design, problem_spec

__all__ = [
    "CENSORED",
    "METHODS",
    "OUTCOMES",
    "ModelEvaluator",
    "SAConfig",
    "SAResult",
    "Settings",
    "analyze",
    "check_outcomes",
    "elementary_effects",
    "figure_grid",
    "function_evaluator",
    "lever_ranking",
    "load_sa_config",
    "morris_table",
    "pawn_table",
    "plot_convergence",
    "plot_morris",
    "plot_sobol",
    "point_outcomes",
    "problem_spec",
    "settings_dict",
    "sobol_convergence",
    "sobol_table",
    "summary_markdown",
    "write_report",
]

#: Analyses offered, in the order they run.
METHODS: tuple[str, ...] = ("sobol", "morris", "pawn")
#: Outcomes analysed by default (per-run summary keys).
OUTCOMES: tuple[str, ...] = (
    "collective_impact",
    "weeks_to_first_win",
    "perished",
    "learning_share",
)
#: Time-to-event outcomes: NaN (the event never happened) is censored at the run's horizon.
CENSORED: tuple[str, ...] = (
    "weeks_to_first_win",
    "weeks_to_impact",
    "perished_week",
    "first_setback_week",
)
#: Outcomes that are not numbers per run and cannot be analysed.
_NOT_OUTCOMES = {"seed"}


@dataclass(frozen=True)
class Settings:
    """How to analyse.

    Attributes:
        outcomes: Outcome columns to analyse.
        methods: Any of :data:`METHODS`.
        sobol_n: Sobol base sample size ``N`` (a power of two).
        second_order: Also compute second-order Sobol indices (``N (2D + 2)`` points).
        morris_trajectories: Morris trajectories ``r`` (``r (D + 1)`` points).
        morris_levels: Levels of the Morris grid.
        pawn_slices: PAWN conditioning slices.
        pawn_resamples: PAWN bootstrap resamples (0: no interval).
        num_resamples: Bootstrap resamples for the Sobol and Morris intervals.
        conf_level: Confidence level of every interval.
        seed: Seed of the samplers and of the bootstraps.
        dummy: Add the dummy factor (the noise floor).
        convergence: Re-analyse Sobol at ``N/4`` and ``N/2`` too.
    """

    outcomes: tuple[str, ...] = OUTCOMES
    methods: tuple[str, ...] = METHODS
    sobol_n: int = 1024
    second_order: bool = False
    morris_trajectories: int = 20
    morris_levels: int = 4
    pawn_slices: int = 10
    pawn_resamples: int = 50
    num_resamples: int = 200
    conf_level: float = 0.95
    seed: int = 2025
    dummy: bool = True
    convergence: bool = True

    def __post_init__(self) -> None:
        bad = [m for m in self.methods if m not in METHODS]
        if bad or not self.methods:
            raise ConfigError(
                f"methods = {list(self.methods)!r} is not valid: expected one or more of "
                f"{', '.join(METHODS)}"
            )
        if not 0 < self.conf_level < 1:
            raise ConfigError(f"conf_level = {self.conf_level!r} is not valid: expected 0 < c < 1")
        for key in ("num_resamples", "pawn_resamples", "pawn_slices"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError(f"{key} = {value!r} is not valid: expected an integer >= 0")
        if not self.outcomes:
            raise ConfigError("outcomes is empty: name at least one outcome")


# ----------------------------------------------------------------------------- outcomes
def check_outcomes(outcomes: Sequence[str]) -> tuple[str, ...]:
    """Check that every outcome is a numeric per-run summary key."""
    valid = [k for k in SUMMARY_KEYS if k not in _NOT_OUTCOMES]
    for name in outcomes:
        if name not in valid:
            raise ConfigError(f"outcome {name!r} is not valid: expected one of {', '.join(valid)}")
    return tuple(outcomes)


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
            :class:`~collabsim.sweep.engines.Engine` shared by every design.
        workers: Processes (pool or local Dask cluster).
        dask: Dask address or client.
        chunk_size: Runs per chunk file.
        progress: Show progress bars.
        sweeps: Filled with ``{method: sweep folder}`` as designs run.
        imputed: Filled with ``{method: {outcome: imputed points}}``.
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
        varied = {f.name for f in design.model_factors}
        cols = ["point", *self.outcomes, *(["weeks"] if "weeks" in varied else [])]
        runs = load_results(res.path, columns=list(dict.fromkeys(cols)))
        horizon = runs["weeks"] if "weeks" in varied else sweep.resolved_base()["weeks"]
        y, imputed = point_outcomes(runs, design.n_points, self.outcomes, horizon)
        self.imputed[design.method] = imputed
        return y


# ----------------------------------------------------------------------------- analyses
def _z(conf_level: float) -> float:
    return float(_st.norm.ppf(0.5 + conf_level / 2))


def _constant(y: np.ndarray) -> bool:
    return not np.isfinite(y).all() or float(np.ptp(y)) == 0.0


def sobol_table(
    design: Design,
    Y: pd.DataFrame,
    *,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """First- and total-order Sobol indices (and second order if the design has its rows).

    Returns:
        ``(table, second)``: ``table`` has one row per (outcome, parameter) with ``S1``,
        ``S1_conf``, ``ST``, ``ST_conf`` (half-widths of the intervals); ``second`` one row per
        (outcome, pair) with ``S2`` and ``S2_conf`` (empty without second order).
    """
    from SALib.analyze import sobol

    problem = design.problem()
    second = bool(design.options.get("second_order"))
    rows, rows2 = [], []
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(dtype=float)
        if _constant(y):
            res = {
                k: np.full(len(design.factors), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")
            }
            s2 = None
        else:
            res = sobol.analyze(
                problem,
                y,
                calc_second_order=second,
                num_resamples=num_resamples,
                conf_level=conf_level,
                seed=seed,
            )
            s2 = res.get("S2") if second else None
        for j, f in enumerate(design.factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": f.name,
                    "S1": float(res["S1"][j]),
                    "S1_conf": float(res["S1_conf"][j]),
                    "ST": float(res["ST"][j]),
                    "ST_conf": float(res["ST_conf"][j]),
                }
            )
        if s2 is not None:
            for a in range(len(design.factors)):
                for b in range(a + 1, len(design.factors)):
                    rows2.append(
                        {
                            "outcome": outcome,
                            "parameter": design.factors[a].name,
                            "other": design.factors[b].name,
                            "S2": float(res["S2"][a, b]),
                            "S2_conf": float(res["S2_conf"][a, b]),
                        }
                    )
    table = _mark_noise(pd.DataFrame(rows), "ST", "ST_conf")
    return table, pd.DataFrame(rows2, columns=["outcome", "parameter", "other", "S2", "S2_conf"])


def _mark_noise(table: pd.DataFrame, index: str, conf: str) -> pd.DataFrame:
    """Add ``above_noise``: the interval of ``index`` lies above the dummy's interval."""
    table = table.copy()
    table["above_noise"] = pd.NA
    if DUMMY not in set(table["parameter"]):
        return table
    for _, g in table.groupby("outcome", sort=False):
        d = g[g["parameter"] == DUMMY].iloc[0]
        ceiling = d[index] + (d[conf] if np.isfinite(d[conf]) else 0.0)
        lower = g[index] - g[conf].fillna(0.0)
        flags = (lower > ceiling) & (g["parameter"] != DUMMY)
        table.loc[g.index, "above_noise"] = flags.to_numpy()
    table["above_noise"] = table["above_noise"].astype("boolean")
    return table


def sobol_convergence(
    design: Design,
    Y: pd.DataFrame,
    *,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol indices and CI widths at ``N/4``, ``N/2`` and ``N`` base points of one sample.

    Returns:
        One row per (outcome, parameter, N) with ``S1``, ``ST``, their half-widths and the
        full CI widths ``S1_width``, ``ST_width``.
    """
    n = int(design.options["n"])
    sizes = [m for m in (n // 4, n // 2, n) if m >= 4]
    frames = []
    for m in sizes:
        sub = design.head(m)
        table, _ = sobol_table(
            sub,
            Y.iloc[: sub.n_points],
            num_resamples=num_resamples,
            conf_level=conf_level,
            seed=seed,
        )
        table.insert(2, "N", m)
        frames.append(table.drop(columns="above_noise"))
    conv = pd.concat(frames, ignore_index=True)
    conv["S1_width"] = 2 * conv["S1_conf"]
    conv["ST_width"] = 2 * conv["ST_conf"]
    return conv


def elementary_effects(design: Design, y: np.ndarray) -> np.ndarray:
    """Morris elementary effects, one row per factor and one column per trajectory.

    An effect is the change of ``y`` over one step of a trajectory divided by the step in
    units of the factor's range (``levels / (2 (levels - 1))``), signed so that it is the
    change when the factor increases: exactly SALib's definition.
    """
    d = len(design.factors)
    levels = int(design.options["levels"])
    delta = levels / (2.0 * (levels - 1))
    r = design.n_points // (d + 1)
    Xr = design.X.reshape(r, d + 1, d)
    yr = np.asarray(y, dtype=float).reshape(r, d + 1)
    dX = np.diff(Xr, axis=1)
    dy = np.diff(yr, axis=1)
    which = np.abs(dX).argmax(axis=2)
    sign = np.sign(np.take_along_axis(dX, which[..., None], axis=2)[..., 0])
    ee = np.empty((d, r))
    rows = np.arange(r)[:, None].repeat(d, axis=1)
    ee[which, rows] = dy * sign / delta
    return ee


def morris_table(
    design: Design,
    Y: pd.DataFrame,
    *,
    num_resamples: int = 200,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Morris screening: ``mu``, ``mu_star`` and ``sigma`` with bootstrap half-widths.

    ``mu_star_conf`` is SALib's; ``sigma_conf`` resamples trajectories the same way (normal
    approximation of the bootstrap distribution).
    """
    from SALib.analyze import morris

    problem = design.problem()
    levels = int(design.options["levels"])
    rows = []
    z = _z(conf_level)
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(dtype=float)
        ee = elementary_effects(design, y)
        if _constant(y):
            res = {
                k: np.zeros(len(design.factors)) for k in ("mu", "mu_star", "sigma", "mu_star_conf")
            }
            sigma_conf = np.zeros(len(design.factors))
        else:
            res = morris.analyze(
                problem,
                design.X,
                y,
                num_resamples=num_resamples,
                conf_level=conf_level,
                num_levels=levels,
                seed=seed,
            )
            if not np.allclose(res["mu_star"], np.abs(ee).mean(axis=1)):
                raise RuntimeError("elementary effects disagree with SALib's mu_star")
            rng = np.random.default_rng(seed)
            r = ee.shape[1]
            idx = rng.integers(r, size=(max(num_resamples, 2), r))
            boot = ee[:, idx].std(axis=2, ddof=1)
            sigma_conf = z * boot.std(axis=1, ddof=1)
        for j, f in enumerate(design.factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": f.name,
                    "mu": float(res["mu"][j]),
                    "mu_star": float(res["mu_star"][j]),
                    "mu_star_conf": float(res["mu_star_conf"][j]),
                    "sigma": float(res["sigma"][j]),
                    "sigma_conf": float(sigma_conf[j]),
                }
            )
    return _mark_noise(pd.DataFrame(rows), "mu_star", "mu_star_conf")


def pawn_table(
    factors: Sequence[Factor],
    X: np.ndarray,
    Y: pd.DataFrame,
    *,
    slices: int = 10,
    num_resamples: int = 50,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """PAWN indices (median KS distance over slices) with a bootstrap half-width.

    Args:
        factors: The factors (columns of ``X``).
        X: An independent sample of the inputs (SALib encoding).
        Y: Outcomes per row of ``X``.
        slices: Conditioning slices.
        num_resamples: Bootstrap resamples of the rows (0: no interval).
        conf_level: Confidence level.
        seed: Bootstrap seed.
    """
    from SALib.analyze import pawn

    problem = problem_spec(factors)
    rng = np.random.default_rng(seed)
    z = _z(conf_level)
    n = len(X)
    boot_idx = [rng.integers(n, size=n) for _ in range(num_resamples)]
    rows = []
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(dtype=float)
        if _constant(y):
            # Identical conditional and unconditional distributions: every KS distance is 0.
            med = conf = np.zeros(len(factors))
            res = {"minimum": med, "maximum": med}
        else:
            with warnings.catch_warnings():
                # SALib's PAWN divides by a zero mean for its CV on flat slices; CV is unused.
                warnings.simplefilter("ignore", RuntimeWarning)
                res = pawn.analyze(problem, X, y, S=slices)
                med = np.asarray(res["median"], dtype=float)
                if num_resamples >= 2:
                    boots = np.array(
                        [pawn.analyze(problem, X[i], y[i], S=slices)["median"] for i in boot_idx]
                    )
                    conf = z * boots.std(axis=0, ddof=1)
                else:
                    conf = np.full(len(factors), np.nan)
        for j, f in enumerate(factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": f.name,
                    "median": float(med[j]),
                    "median_conf": float(conf[j]),
                    "minimum": float(res["minimum"][j]),
                    "maximum": float(res["maximum"][j]),
                }
            )
    return _mark_noise(pd.DataFrame(rows), "median", "median_conf")


# ----------------------------------------------------------------------------- pipeline
@dataclass
class SAResult:
    """Every table of an analysis.

    Attributes:
        factors: The factors analysed (the dummy included).
        settings: The settings used.
        sobol: Sobol table (see :func:`sobol_table`), or None.
        sobol_second: Second-order table (empty unless requested).
        convergence: Convergence table (see :func:`sobol_convergence`), or None.
        morris: Morris table (see :func:`morris_table`), or None.
        pawn: PAWN table (see :func:`pawn_table`), or None.
        designs: ``{method: number of design points}``.
    """

    factors: list[Factor]
    settings: Settings
    sobol: pd.DataFrame | None = None
    sobol_second: pd.DataFrame | None = None
    convergence: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    pawn: pd.DataFrame | None = None
    designs: dict[str, int] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Non-empty tables by file stem (``sobol``, ``morris``...)."""
        out = {
            "sobol": self.sobol,
            "sobol_second_order": self.sobol_second,
            "convergence": self.convergence,
            "morris": self.morris,
            "pawn": self.pawn,
        }
        return {k: v for k, v in out.items() if v is not None and len(v)}


def analyze(
    model: Evaluator | Callable[[np.ndarray], Any],
    factors: Sequence[Factor],
    settings: Settings | None = None,
) -> SAResult:
    """Run every requested analysis of ``model`` over ``factors``.

    Args:
        model: A :class:`ModelEvaluator` (or any callable taking a :class:`Design` and
            returning outcomes per point, marked by an ``evaluates_designs`` attribute), or a
            plain function ``f(X) -> Y`` of the design matrix.
        factors: The inputs to vary (without the dummy: it is added if ``settings.dummy``).
        settings: How to analyse (defaults: :class:`Settings`).

    Returns:
        An :class:`SAResult`.
    """
    s = settings or Settings()
    evaluate: Evaluator
    if isinstance(model, ModelEvaluator) or getattr(model, "evaluates_designs", False):
        evaluate = model  # type: ignore[assignment]
    else:
        evaluate = function_evaluator(model)
    factors = [f for f in factors if f.role != "dummy"]
    result = SAResult(factors=list(factors), settings=s)
    pawn_sample: tuple[np.ndarray, pd.DataFrame] | None = None
    if "sobol" in s.methods:
        design = make_design(
            "sobol", factors, n=s.sobol_n, seed=s.seed, second_order=s.second_order, dummy=s.dummy
        )
        result.factors = list(design.factors)
        result.designs["sobol"] = design.n_points
        Y = _select(evaluate(design), s.outcomes)
        boot = {"num_resamples": s.num_resamples, "conf_level": s.conf_level, "seed": s.seed}
        result.sobol, result.sobol_second = sobol_table(design, Y, **boot)
        if s.convergence:
            result.convergence = sobol_convergence(design, Y, **boot)
        block = design.block_size()
        ab = np.sort(
            np.concatenate(
                [np.arange(0, design.n_points, block), np.arange(block - 1, design.n_points, block)]
            )
        )
        pawn_sample = (design.X[ab], Y.iloc[ab].reset_index(drop=True))
    if "morris" in s.methods:
        design = make_design(
            "morris",
            factors,
            n=s.morris_trajectories,
            seed=s.seed,
            morris_levels=s.morris_levels,
            dummy=s.dummy,
        )
        result.factors = list(design.factors)
        result.designs["morris"] = design.n_points
        Y = _select(evaluate(design), s.outcomes)
        result.morris = morris_table(
            design, Y, num_resamples=s.num_resamples, conf_level=s.conf_level, seed=s.seed
        )
    if "pawn" in s.methods:
        if pawn_sample is None:
            design = make_design("lhs", factors, n=2 * s.sobol_n, seed=s.seed, dummy=s.dummy)
            result.factors = list(design.factors)
            result.designs["lhs"] = design.n_points
            pawn_sample = (design.X, _select(evaluate(design), s.outcomes))
        result.pawn = pawn_table(
            result.factors,
            pawn_sample[0],
            pawn_sample[1],
            slices=s.pawn_slices,
            num_resamples=s.pawn_resamples,
            conf_level=s.conf_level,
            seed=s.seed,
        )
    return result


def _select(Y: pd.DataFrame, outcomes: Sequence[str]) -> pd.DataFrame:
    """The requested outcomes (all of a function's outcomes when it names none of them)."""
    have = [o for o in outcomes if o in Y.columns]
    if not have:
        return Y
    missing = [o for o in outcomes if o not in Y.columns]
    if missing:
        raise ValueError(f"outcomes missing from the evaluation: {', '.join(missing)}")
    return Y[list(outcomes)]


# ----------------------------------------------------------------------------- plots
def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    _, ax = plt.subplots(figsize=size)
    return ax


def _constant_panel(ax: Any, outcome: str) -> Any:
    ax.text(
        0.5,
        0.5,
        "constant over the whole design:\nno index to show",
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="grey",
    )
    ax.set_title(outcome)
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


def plot_sobol(table: pd.DataFrame, outcome: str, ax: Any = None) -> Any:
    """Bars of ``S1`` and ``ST`` with their intervals for one outcome; dummy's ST as a line."""
    ax = _axes(ax, (7, 4))
    g = table[table["outcome"] == outcome].sort_values("ST", ascending=False)
    if g["ST"].isna().all():
        return _constant_panel(ax, outcome)
    x = np.arange(len(g))
    ax.bar(x - 0.2, g["S1"], 0.4, yerr=g["S1_conf"], capsize=2, label="first order S1")
    ax.bar(x + 0.2, g["ST"], 0.4, yerr=g["ST_conf"], capsize=2, label="total order ST")
    dummy = g[g["parameter"] == DUMMY]
    if len(dummy):
        floor = float(dummy["ST"].iloc[0] + dummy["ST_conf"].fillna(0).iloc[0])
        ax.axhline(floor, color="grey", ls="--", lw=1, label="noise floor (dummy ST, upper)")
    ax.set_xticks(x)
    ax.set_xticklabels(g["parameter"], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("Sobol index")
    ax.set_title(outcome)
    ax.legend(fontsize=7)
    return ax


def plot_morris(table: pd.DataFrame, outcome: str, ax: Any = None) -> Any:
    """``mu*`` against ``sigma`` with both intervals, one labelled point per parameter."""
    ax = _axes(ax, (6, 5))
    g = table[table["outcome"] == outcome]
    if (g["mu_star"].fillna(0) == 0).all() and (g["sigma"].fillna(0) == 0).all():
        return _constant_panel(ax, outcome)
    ax.errorbar(
        g["mu_star"],
        g["sigma"],
        xerr=g["mu_star_conf"],
        yerr=g["sigma_conf"],
        fmt="o",
        ms=4,
        capsize=2,
        lw=0.8,
    )
    for _, row in g.iterrows():
        style = {"color": "grey"} if row["parameter"] == DUMMY else {}
        ax.annotate(
            row["parameter"],
            (row["mu_star"], row["sigma"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
            **style,
        )
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (s.d. of elementary effects)")
    ax.set_title(outcome)
    return ax


def plot_convergence(conv: pd.DataFrame, outcome: str, ax: Any = None, top: int = 8) -> Any:
    """Total-order indices with intervals against ``N`` for the ``top`` parameters."""
    ax = _axes(ax, (6, 4))
    g = conv[conv["outcome"] == outcome]
    if g["ST"].isna().all():
        return _constant_panel(ax, outcome)
    last = g[g["N"] == g["N"].max()].sort_values("ST", ascending=False)
    keep = list(last["parameter"].head(top))
    if DUMMY in set(g["parameter"]) and DUMMY not in keep:
        keep.append(DUMMY)
    for name in keep:
        h = g[g["parameter"] == name].sort_values("N")
        style = {"color": "grey", "ls": "--"} if name == DUMMY else {}
        ax.errorbar(
            h["N"], h["ST"], yerr=h["ST_conf"], marker="o", ms=3, capsize=2, label=name, **style
        )
    ax.set_xscale("log", base=2)
    ax.set_xlabel("Sobol base sample size N")
    ax.set_ylabel("total-order index ST")
    ax.set_title(outcome)
    ax.legend(fontsize=6, ncol=2)
    return ax


def figure_grid(
    plot: Callable[..., Any],
    table: pd.DataFrame,
    outcomes: Sequence[str],
    size: tuple[float, float],
) -> Any:
    """One panel per outcome drawn by ``plot(table, outcome, ax=...)``; returns the Figure."""
    import matplotlib.pyplot as plt

    from collabsim import plotting  # noqa: F401  (selects the headless backend)

    k = len(outcomes)
    cols = min(2, k)
    rows = math.ceil(k / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(size[0] * cols, size[1] * rows), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes, strict=False):
        plot(table, outcome, ax=ax)
    for ax in list(axes.flat)[k:]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- summary
def _fmt(v: float, c: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:.3f} ± {c:.3f}" if np.isfinite(c) else f"{v:.3f}"


def lever_ranking(result: SAResult) -> pd.DataFrame:
    """Parameters ranked by their mean rank of ``ST`` (else ``mu*``) over the outcomes."""
    if result.sobol is not None:
        table, index = result.sobol, "ST"
    elif result.morris is not None:
        table, index = result.morris, "mu_star"
    else:
        assert result.pawn is not None
        table, index = result.pawn, "median"
    wide = table.pivot(index="parameter", columns="outcome", values=index)
    order = [o for o in result.settings.outcomes if o in wide.columns]
    wide = wide[order + [c for c in wide.columns if c not in order]]
    ranks = wide.rank(ascending=False)
    above = table.groupby("parameter")["above_noise"].apply(lambda s: int(s.fillna(False).sum()))
    out = pd.DataFrame({"mean_rank": ranks.mean(axis=1), "outcomes_above_noise": above})
    out = out.join(wide).sort_values(["mean_rank"]).reset_index()
    out.attrs["index"] = index
    return out


def summary_markdown(result: SAResult, title: str, context: Mapping[str, Any] | None = None) -> str:
    """A short Markdown summary that ranks the levers and states the noise floor."""
    s = result.settings
    lines = [f"# Sensitivity analysis: {title}", ""]
    for key, value in (context or {}).items():
        lines.append(f"- **{key}**: {value}")
    params = [f.name for f in result.factors if f.role != "dummy"]
    lines.append(f"- **parameters** ({len(params)}): {', '.join(params)}")
    sizes = ", ".join(f"{m} {n:,} points" for m, n in result.designs.items())
    lines.append(
        f"- **designs**: {sizes}; Sobol N = {s.sobol_n}, Morris r = "
        f"{s.morris_trajectories}; intervals at {s.conf_level:.0%}"
    )
    lines += [
        "- **outcomes**: replicates averaged per design point; time-to-event outcomes "
        "(weeks to first win) censored at the horizon when the event never happened; "
        "learning share averaged over the replicates that had a setback.",
    ]
    if any(f.role == "dummy" for f in result.factors):
        lines.append(
            "- **noise floor**: a dummy parameter the model never reads; a parameter counts as "
            "influential only when its interval lies above the dummy's."
        )
    lines.append("")
    ranking = lever_ranking(result)
    index = ranking.attrs["index"]
    outcomes = [
        c for c in ranking.columns if c not in ("parameter", "mean_rank", "outcomes_above_noise")
    ]
    lines += [f"## Levers ranked by {index} (mean rank over outcomes)", ""]
    lines.append("| rank | parameter | " + " | ".join(outcomes) + " | above noise in |")
    lines.append("|---|---|" + "---|" * len(outcomes) + "---|")
    for i, row in ranking.iterrows():
        cells = " | ".join(f"{row[o]:.3f}" if np.isfinite(row[o]) else "n/a" for o in outcomes)
        lines.append(
            f"| {i + 1} | `{row['parameter']}` | {cells} | "
            f"{row['outcomes_above_noise']} of {len(outcomes)} |"
        )
    lines.append("")
    for outcome in outcomes:
        lines += [f"## {outcome}", ""]
        if result.sobol is not None:
            g = result.sobol[result.sobol["outcome"] == outcome]
            if g["ST"].isna().all():
                lines += ["- constant over the whole design: no index to report", ""]
                continue
        if result.sobol is not None:
            g = result.sobol[result.sobol["outcome"] == outcome].sort_values("ST", ascending=False)
            d = g[g["parameter"] == DUMMY]
            if len(d):
                lines.append(
                    f"- Sobol noise floor (dummy): ST = "
                    f"{_fmt(d['ST'].iloc[0], d['ST_conf'].iloc[0])}"
                )
            top = g[g["above_noise"].fillna(False).astype(bool)]
            lines.append(
                "- Sobol, above the noise floor: "
                + (
                    ", ".join(
                        f"`{r.parameter}` ST {_fmt(r.ST, r.ST_conf)} (S1 {_fmt(r.S1, r.S1_conf)})"
                        for r in top.itertuples()
                    )
                    or "none"
                )
            )
        if result.morris is not None:
            g = result.morris[result.morris["outcome"] == outcome]
            g = g.sort_values("mu_star", ascending=False).head(5)
            lines.append(
                "- Morris, top mu*: "
                + ", ".join(
                    f"`{r.parameter}` {_fmt(r.mu_star, r.mu_star_conf)}" for r in g.itertuples()
                )
            )
        if result.pawn is not None:
            g = result.pawn[result.pawn["outcome"] == outcome]
            g = g.sort_values("median", ascending=False).head(5)
            lines.append(
                "- PAWN, top median KS: "
                + ", ".join(
                    f"`{r.parameter}` {_fmt(r.median, r.median_conf)}" for r in g.itertuples()
                )
            )
        lines.append("")
    if result.convergence is not None and len(result.convergence):
        conv = result.convergence
        ns = sorted(conv["N"].unique())
        lines += ["## Convergence (Sobol)", ""]
        widths = conv.groupby("N")["ST_width"].mean()
        lines.append(
            "- mean width of the ST intervals: " + ", ".join(f"N={n}: {widths[n]:.3f}" for n in ns)
        )
        if len(ns) >= 2:
            a = conv[conv["N"] == ns[-2]].set_index(["outcome", "parameter"])["ST"]
            b = conv[conv["N"] == ns[-1]].set_index(["outcome", "parameter"])["ST"]
            lines.append(
                f"- largest change of an ST index from N={ns[-2]} to N={ns[-1]}: "
                f"{float((b - a).abs().max()):.3f}"
            )
        lines.append("")
    return "\n".join(lines)


def settings_dict(settings: Settings) -> dict[str, Any]:
    """The settings as a JSON-friendly dict."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(settings).items()}


# ----------------------------------------------------------------------------- configs
_SA_KEYS = {
    "name",
    "description",
    "scenario",
    "replicates",
    "root_seed",
    "chunk_size",
    "set",
    "outcomes",
    "methods",
    "num_resamples",
    "conf_level",
    "dummy",
}
_SECTION_KEYS = {
    "sobol": {"n", "second_order", "convergence"},
    "morris": {"trajectories", "levels"},
    "pawn": {"slices", "resamples"},
}


@dataclass
class SAConfig:
    """A sensitivity analysis declared in TOML (see ``configs/sa_*.toml``).

    Attributes:
        name: Short name (folders are named after it).
        description: Free text.
        source: The config file.
        scenario: Base scenario name.
        base: Fixed parameter values.
        factors: The parameters varied (without the dummy).
        settings: How to analyse.
        replicates: Runs per design point.
        root_seed: Root of the runs' seeds.
        chunk_size: Runs per chunk file of the sweeps.
    """

    name: str
    description: str
    source: str
    scenario: str
    base: dict[str, Any]
    factors: list[Factor]
    settings: Settings
    replicates: int = 1
    root_seed: int = 2025
    chunk_size: int = 1000


def load_sa_config(
    name_or_path: str | Path,
    *,
    overrides: Sequence[str] = (),
    n: int | None = None,
    replicates: int | None = None,
    root_seed: int | None = None,
    methods: Sequence[str] | None = None,
) -> SAConfig:
    """Load a sensitivity declaration; keyword arguments override the file.

    The file has a ``[sensitivity]`` table (name, scenario, replicates, root seed, outcomes,
    methods, bootstrap settings, ``set``), a ``[design]`` table (``params``, ``exclude``,
    ``bounds``, ``levels``) and optional ``[sobol]``, ``[morris]`` and ``[pawn]`` tables.
    """
    from collabsim.sweep.config import (
        base_from_table,
        check_keys,
        factors_from_table,
        int_value,
        read_config,
        resolve_config,
    )

    path = resolve_config(name_or_path)
    data = read_config(path, {"sensitivity", "design", *_SECTION_KEYS})
    table = data.get("sensitivity", {})
    where = f"{path} [sensitivity]"
    check_keys(table, _SA_KEYS, where)
    for section, keys in _SECTION_KEYS.items():
        check_keys(data.get(section, {}), keys, f"{path} [{section}]")
    if "design" not in data:
        raise ConfigError(f"{path}: a [design] table listing the parameters is needed")
    design = data["design"]
    check_keys(design, {"params", "exclude", "bounds", "levels"}, f"{path} [design]")
    factors = factors_from_table(design, f"{path} [design]", method="sobol")
    base, scenario = base_from_table(table, where, path, overrides)
    fixed = {*table.get("set", {}), *(t.split("=", 1)[0].strip() for t in overrides)}
    clash = sorted(fixed & {f.name for f in factors})
    if clash:
        raise ConfigError(f"{where}: {clash[0]!r} is both fixed and varied in [design]")
    seed = root_seed if root_seed is not None else int_value(table, "root_seed", 2025, 0, where)
    sobol_t, morris_t, pawn_t = (data.get(k, {}) for k in ("sobol", "morris", "pawn"))
    outcomes = table.get("outcomes", list(OUTCOMES))
    if not isinstance(outcomes, list):
        raise ConfigError(f"{where}: outcomes = {outcomes!r} is not valid: expected a list")
    meths = list(methods) if methods is not None else table.get("methods", list(METHODS))
    if not isinstance(meths, list):
        raise ConfigError(f"{where}: methods = {meths!r} is not valid: expected a list")
    try:
        settings = Settings(
            outcomes=check_outcomes(outcomes),
            methods=tuple(meths),
            sobol_n=n if n is not None else int_value(sobol_t, "n", 1024, 2, f"{path} [sobol]"),
            second_order=bool(sobol_t.get("second_order", False)),
            convergence=bool(sobol_t.get("convergence", True)),
            morris_trajectories=int_value(morris_t, "trajectories", 20, 2, f"{path} [morris]"),
            morris_levels=int_value(morris_t, "levels", 4, 2, f"{path} [morris]"),
            pawn_slices=int_value(pawn_t, "slices", 10, 2, f"{path} [pawn]"),
            pawn_resamples=int_value(pawn_t, "resamples", 50, 0, f"{path} [pawn]"),
            num_resamples=int_value(table, "num_resamples", 200, 2, where),
            conf_level=float(table.get("conf_level", 0.95)),
            seed=seed,
            dummy=bool(table.get("dummy", True)),
        )
    except ConfigError as exc:
        raise type(exc)(f"{where}: {exc}") from None
    # Check the designs now, so a bad N fails before any run.
    for method, count in (("sobol", settings.sobol_n), ("morris", settings.morris_trajectories)):
        if method in settings.methods:
            try:
                make_design(
                    method, factors, n=count, seed=seed, morris_levels=settings.morris_levels
                )
            except ConfigError as exc:
                raise type(exc)(f"{path} [{method}]: {exc}") from None
    return SAConfig(
        name=str(table.get("name", path.stem)),
        description=str(table.get("description", "")),
        source=str(path),
        scenario=scenario,
        base=base,
        factors=factors,
        settings=settings,
        replicates=replicates or int_value(table, "replicates", 1, 1, where),
        root_seed=seed,
        chunk_size=int_value(table, "chunk_size", 1000, 1, where),
    )


def write_report(
    result: SAResult,
    folder: Path,
    *,
    title: str,
    context: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write the tables (CSV), figures (PNG) and ``summary.md`` of ``result`` into ``folder``.

    Returns:
        The names of the files written.
    """
    import matplotlib.pyplot as plt

    from collabsim.results import atomic_write_bytes

    written = []
    for stem, table in result.tables().items():
        table.to_csv(folder / f"{stem}.csv", index=False)
        written.append(f"{stem}.csv")
    outcomes = list(result.settings.outcomes)
    figures = []
    if result.sobol is not None:
        outs = [o for o in outcomes if o in set(result.sobol["outcome"])] or sorted(
            set(result.sobol["outcome"])
        )
        figures.append(("sobol.png", figure_grid(plot_sobol, result.sobol, outs, (7, 4.2))))
    if result.morris is not None:
        outs = [o for o in outcomes if o in set(result.morris["outcome"])] or sorted(
            set(result.morris["outcome"])
        )
        figures.append(("morris.png", figure_grid(plot_morris, result.morris, outs, (6, 5))))
    if result.convergence is not None and len(result.convergence):
        outs = [o for o in outcomes if o in set(result.convergence["outcome"])] or sorted(
            set(result.convergence["outcome"])
        )
        figures.append(
            ("convergence.png", figure_grid(plot_convergence, result.convergence, outs, (6, 4)))
        )
    for name, fig in figures:
        fig.savefig(folder / name, dpi=110)
        plt.close(fig)
        written.append(name)
    text = summary_markdown(result, title, context)
    atomic_write_bytes(folder / "summary.md", (text + "\n").encode())
    written.append("summary.md")
    return written
