"""The analyses: Sobol, Morris and PAWN tables, the convergence check and the pipeline.

Every table marks whether a parameter lies above the noise floor, the index of a dummy
factor the model never reads. :func:`analyze` builds the designs, evaluates them and runs each
requested method.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _st

from collabsim.config import ConfigError
from collabsim.sensitivity.config import Settings
from collabsim.sensitivity.evaluate import Evaluator, ModelEvaluator, function_evaluator
from collabsim.sweep.designs import DUMMY, Design, Factor, make_design, problem_spec

__all__ = [
    "SAError",
    "SAResult",
    "analyze",
    "convergence_verdict",
    "delta_table",
    "elementary_effects",
    "morris_table",
    "pawn_table",
    "sobol_convergence",
    "sobol_table",
]


class SAError(ConfigError):
    """An analysis cannot be done (e.g. every outcome is undefined too often)."""


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
    names = design.index_names()
    rows, rows2 = [], []
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(dtype=float)
        if _constant(y):
            res = {k: np.full(len(names), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
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
        for j, name in enumerate(names):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": name,
                    "S1": float(res["S1"][j]),
                    "S1_conf": float(res["S1_conf"][j]),
                    "ST": float(res["ST"][j]),
                    "ST_conf": float(res["ST_conf"][j]),
                }
            )
        if s2 is not None:
            for a in range(len(names)):
                for b in range(a + 1, len(names)):
                    rows2.append(
                        {
                            "outcome": outcome,
                            "parameter": names[a],
                            "other": names[b],
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

    ``mu_star_conf`` is SALib's; ``sigma_conf`` is ``z`` times the bootstrap standard error of
    ``sigma`` over resampled trajectories (``scipy.stats.bootstrap``).
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
            # bootstrap over trajectories (the same resample for every factor)
            boot = _st.bootstrap(
                (ee,),
                lambda x, axis: x.std(axis=axis, ddof=1),
                n_resamples=max(num_resamples, 2),
                method="percentile",
                axis=-1,
                vectorized=True,
                rng=np.random.default_rng(seed),
            )
            sigma_conf = z * boot.standard_error
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


def _pawn_medians(
    problem: Any, X: np.ndarray, y: np.ndarray, slices: int
) -> Callable[..., np.ndarray]:
    """PAWN medians of the rows given, as a statistic for ``scipy.stats.bootstrap``."""
    from SALib.analyze import pawn

    def medians(rows: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = np.atleast_2d(rows).astype(np.int64)
        out = [pawn.analyze(problem, X[i], y[i], S=slices)["median"] for i in idx]
        return np.asarray(out, dtype=float).T.reshape(-1, *np.shape(rows)[:-1])

    return medians


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
    z = _z(conf_level)
    n = len(X)
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
                    # rows resampled with replacement (the same rows for every factor)
                    boot = _st.bootstrap(
                        (np.arange(n),),
                        _pawn_medians(problem, X, y, slices),
                        n_resamples=num_resamples,
                        method="percentile",
                        vectorized=True,
                        rng=np.random.default_rng(seed),
                    )
                    conf = z * boot.standard_error
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
def convergence_verdict(conv: pd.DataFrame, tol: float = 0.05) -> pd.DataFrame:
    """A verdict in words per outcome from the ``N/4``, ``N/2``, ``N`` Sobol checks.

    Sobol has converged for an outcome when no total index moved by more than ``tol`` from
    ``N/2`` to ``N`` and every total-index interval at ``N`` is within ``tol`` of its estimate
    (half-width). Otherwise both shrink about as ``1 / sqrt(N)``, so the suggested ``N`` is
    the power of two that brings the larger of the two down to ``tol`` (at least ``2 N``); past
    ``16 N`` the verdict says "far from it" and suggests ``16 N`` as a next step.

    Args:
        conv: The table of :func:`sobol_convergence`.
        tol: Tolerance on the change and on the half-widths.

    Returns:
        One row per outcome: ``N``, ``max_change``, ``max_half_width``, ``converged``,
        ``suggested_n`` and ``verdict`` (a sentence).
    """
    rows = []
    for outcome, g in conv.groupby("outcome", sort=False):
        ns = sorted(g["N"].unique())
        n = int(ns[-1])
        last = g[g["N"] == n].set_index("parameter")
        if last["ST"].isna().all():
            rows.append(
                {
                    "outcome": outcome,
                    "N": n,
                    "max_change": math.nan,
                    "max_half_width": math.nan,
                    "converged": pd.NA,
                    "suggested_n": pd.NA,
                    "verdict": "constant over the whole design: nothing to converge",
                }
            )
            continue
        width = float(last["ST_conf"].max())
        change = math.nan
        if len(ns) >= 2:
            prev = g[g["N"] == ns[-2]].set_index("parameter")["ST"]
            change = float((last["ST"] - prev).abs().max())
        worst = max(width, change if math.isfinite(change) else 0.0)
        converged = math.isfinite(change) and change <= tol and width <= tol
        if converged:
            text = (
                f"converged: no total index moved by more than {change:.3f} from "
                f"N = {ns[-2]} to N = {n}, and every interval is within ±{width:.3f}"
            )
            suggested = n
        else:
            factor = (worst / tol) ** 2
            if not math.isfinite(factor) or n * factor <= 1.0:  # no width to go by: double N
                suggested = 2 * n
            else:
                suggested = max(2 * n, 1 << math.ceil(math.log2(n * factor)))
            far = suggested > 16 * n  # the 1/sqrt(N) rule is no guide that far out
            suggested = min(suggested, 16 * n)
            why = []
            if not math.isfinite(change):
                why.append("only one sample size was checked")
            elif change > tol:
                why.append(f"a total index moved by {change:.3f} from N = {ns[-2]} to N = {n}")
            if width > tol:
                why.append(f"the widest total-index interval is ±{width:.3f}")
            text = f"not converged ({'; '.join(why)}; tolerance {tol}): " + (
                f"far from it: raise N to at least {suggested} and check again"
                if far
                else f"raise N to {suggested}"
            )
        rows.append(
            {
                "outcome": outcome,
                "N": n,
                "max_change": change,
                "max_half_width": width,
                "converged": converged,
                "suggested_n": suggested,
                "verdict": text,
            }
        )
    return pd.DataFrame(rows)


def delta_table(
    factors: Sequence[Factor],
    X: np.ndarray,
    Y: pd.DataFrame,
    *,
    num_resamples: int = 20,
    conf_level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Borgonovo's moment-independent delta indices (SALib ``delta``) on an independent sample.

    SALib 1.6 offers three bootstrap schemes; ``delta`` here is its ``delta_raw`` (rows
    resampled as they are), the classic estimator.

    Returns:
        One row per (outcome, parameter) with ``delta``, ``delta_conf`` (half-width) and
        ``above_noise``.
    """
    from SALib.analyze import delta

    # SALib's delta refuses names ending in _step, _raw, ... (e.g. frame_step): index them
    problem = {
        "num_vars": len(factors),
        "names": [f"x{j}" for j in range(len(factors))],
        "bounds": [f.bounds() for f in factors],
    }
    rows = []
    for outcome in Y.columns:
        y = Y[outcome].to_numpy(dtype=float)
        if _constant(y):
            res = {k: np.zeros(len(factors)) for k in ("delta", "delta_conf")}
        else:
            fmt = warnings.formatwarning  # SALib's delta replaces it for the whole process
            with (
                warnings.catch_warnings(),
                contextlib.redirect_stdout(io.StringIO()),
                contextlib.redirect_stderr(io.StringIO()),
            ):
                # SALib warns (and prints) about its other bootstrap schemes on small samples
                warnings.simplefilter("ignore")
                out = delta.analyze(
                    problem,
                    X,
                    y,
                    num_resamples=max(num_resamples, 2),
                    conf_level=conf_level,
                    seed=seed,
                    method="delta",
                )
            warnings.formatwarning = fmt
            res = {"delta": out["delta_raw"], "delta_conf": out["delta_raw_conf"]}
        for j, f in enumerate(factors):
            rows.append(
                {
                    "outcome": outcome,
                    "parameter": f.name,
                    "delta": float(res["delta"][j]),
                    "delta_conf": float(res["delta_conf"][j]),
                }
            )
    return _mark_noise(pd.DataFrame(rows), "delta", "delta_conf")


@dataclass
class SAResult:
    """Every table of an analysis.

    Attributes:
        factors: The factors analysed (the dummy included).
        settings: The settings used.
        sobol: Sobol table (see :func:`sobol_table`), or None.
        sobol_second: Second-order table (empty unless requested).
        convergence: Convergence table (see :func:`sobol_convergence`), or None.
        verdict: Convergence verdict per outcome (see :func:`convergence_verdict`), or None.
        morris: Morris table (see :func:`morris_table`), or None.
        pawn: PAWN table (see :func:`pawn_table`), or None.
        delta: Delta table (see :func:`delta_table`), or None.
        noise: Seed-noise table per outcome of the first design evaluated (see
            :func:`~collabsim.sensitivity.evaluate.seed_noise`), or None for a function.
        undefined: ``{method: {outcome: share of design points without a value}}``.
        refused: ``{outcome: why it was not analysed}``.
        designs: ``{method: number of design points}``.
    """

    factors: list[Factor]
    settings: Settings
    sobol: pd.DataFrame | None = None
    sobol_second: pd.DataFrame | None = None
    convergence: pd.DataFrame | None = None
    verdict: pd.DataFrame | None = None
    morris: pd.DataFrame | None = None
    pawn: pd.DataFrame | None = None
    delta: pd.DataFrame | None = None
    noise: pd.DataFrame | None = None
    undefined: dict[str, dict[str, float]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)
    designs: dict[str, int] = field(default_factory=dict)

    @property
    def outcomes(self) -> list[str]:
        """The outcomes analysed (requested and not refused)."""
        return [o for o in self.settings.outcomes if o not in self.refused]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Non-empty tables by file stem (``sobol``, ``morris``...)."""
        out = {
            "sobol": self.sobol,
            "sobol_second_order": self.sobol_second,
            "convergence": self.convergence,
            "convergence_verdict": self.verdict,
            "morris": self.morris,
            "pawn": self.pawn,
            "delta": self.delta,
            "seed_noise": self.noise,
        }
        return {k: v for k, v in out.items() if v is not None and len(v)}


def _evaluate(
    evaluate: Evaluator, design: Design, s: Settings, result: SAResult, method: str
) -> pd.DataFrame:
    """Evaluate ``design``; record undefined shares and seed noise; drop refused outcomes."""
    Y = evaluate(design)
    meta = dict(Y.attrs)
    Y = _select(Y.copy(), s.outcomes)
    Y.attrs = {}
    imputed = meta.get("imputed") or {}
    shares = {o: imputed.get(o, 0) / design.n_points for o in Y.columns}
    result.undefined[method] = shares
    if result.noise is None and meta.get("noise") is not None:
        result.noise = pd.DataFrame(meta["noise"])
    for outcome, share in shares.items():
        if share > s.max_undefined and outcome not in result.refused:
            result.refused[outcome] = (
                f"{outcome} is undefined at {share:.0%} of the {method} design points (no "
                f"replicate had a value), more than max_undefined = {s.max_undefined:.0%}: "
                f"not analysed; raise the replicates or analyse another outcome"
            )
    keep = [o for o in Y.columns if o not in result.refused]
    if not keep:
        raise SAError(
            "every outcome was refused: " + "; ".join(result.refused[o] for o in Y.columns)
        )
    return Y[keep]


def analyze(
    model: Evaluator | Callable[[np.ndarray], Any],
    factors: Sequence[Factor],
    settings: Settings | None = None,
) -> SAResult:
    """Run every requested analysis of ``model`` over ``factors``.

    Outcomes undefined at more than ``settings.max_undefined`` of the design points are
    refused (listed in :attr:`SAResult.refused` with the reason) and the rest analysed; if
    every outcome is refused, :class:`SAError` is raised.

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
    sample: tuple[np.ndarray, pd.DataFrame] | None = None
    groups = {g: list(names) for g, names in s.groups}
    if "sobol" in s.methods:
        design = make_design(
            "sobol",
            factors,
            n=s.sobol_n,
            seed=s.seed,
            second_order=s.second_order,
            dummy=s.dummy,
            groups=groups or None,
        )
        result.factors = list(design.factors)
        result.designs["sobol"] = design.n_points
        Y = _evaluate(evaluate, design, s, result, "sobol")
        boot = {"num_resamples": s.num_resamples, "conf_level": s.conf_level, "seed": s.seed}
        result.sobol, result.sobol_second = sobol_table(design, Y, **boot)
        if s.convergence:
            result.convergence = sobol_convergence(design, Y, **boot)
            result.verdict = convergence_verdict(result.convergence, s.convergence_tol)
        block = design.block_size()
        ab = np.sort(
            np.concatenate(
                [np.arange(0, design.n_points, block), np.arange(block - 1, design.n_points, block)]
            )
        )
        sample = (design.X[ab], Y.iloc[ab].reset_index(drop=True))
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
        Y = _evaluate(evaluate, design, s, result, "morris")
        result.morris = morris_table(
            design, Y, num_resamples=s.num_resamples, conf_level=s.conf_level, seed=s.seed
        )
    if sample is None and ("pawn" in s.methods or "delta" in s.methods):
        design = make_design("lhs", factors, n=2 * s.sobol_n, seed=s.seed, dummy=s.dummy)
        result.factors = list(design.factors)
        result.designs["lhs"] = design.n_points
        sample = (design.X, _evaluate(evaluate, design, s, result, "lhs"))
    if sample is not None:
        X, Ys = sample
        Ys = Ys[[o for o in Ys.columns if o not in result.refused]]
        if "pawn" in s.methods:
            result.pawn = pawn_table(
                result.factors,
                X,
                Ys,
                slices=s.pawn_slices,
                num_resamples=s.pawn_resamples,
                conf_level=s.conf_level,
                seed=s.seed,
            )
        if "delta" in s.methods:
            result.delta = delta_table(
                result.factors,
                X,
                Ys,
                num_resamples=s.delta_resamples,
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
