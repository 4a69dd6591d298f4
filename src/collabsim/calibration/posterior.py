"""A calibration's posterior: weighted particles, intervals, identifiability, the committed summary.

A calibration result folder holds ``posterior.csv``: the last generation's accepted particles,
one row each, with its importance ``weight`` (summing to 1), its ``distance``, its run ``seed``
and one column per calibrated weight; and ``posterior.toml``: per weight its prior, the
posterior's weighted median and central interval, and the identifiability ratio (interval
width / prior width). ``posterior.toml`` is also what a project commits as
``configs/posterior.toml`` to make ``collabsim params`` show each calibrated weight's interval.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from collabsim.calibration.config import CalibrationConfig
from collabsim.config import ConfigError, configs_dir

__all__ = [
    "EDGE",
    "POSTERIOR_CSV",
    "POSTERIOR_FILE",
    "Posterior",
    "at_prior_edge",
    "committed_intervals",
    "identifiability",
    "load_posterior",
    "read_intervals",
    "sample_sets",
    "summary_toml",
    "weighted_quantile",
]

#: The particles of a result folder.
POSTERIOR_CSV = "posterior.csv"
#: The summary of a result folder, and the committed summary's name in ``configs/``.
POSTERIOR_FILE = "posterior.toml"
_FIXED_COLUMNS = ("generation", "weight", "distance", "seed")


@dataclass
class Posterior:
    """Weighted particles of a calibration's last generation.

    Attributes:
        particles: One row per particle: ``weight`` (sums to 1) and one column per weight
            (and ``generation``, ``distance``, ``seed`` when known).
        names: The calibrated weights.
        priors: Per weight, the prior's ``(low, high)`` (empty when not known).
        path: Where the particles were read from.
    """

    particles: pd.DataFrame
    names: list[str]
    priors: dict[str, tuple[float, float]]
    path: str = ""

    @property
    def weights(self) -> np.ndarray:
        """The importance weights (summing to 1)."""
        w = self.particles["weight"].to_numpy(dtype=float)
        return w / w.sum()

    def quantile(self, name: str, q: float | Sequence[float]) -> np.ndarray:
        """Weighted quantiles of one weight (one or several levels ``q``)."""
        return weighted_quantile(self.particles[name].to_numpy(dtype=float), self.weights, q)

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """The central ``level`` interval of one weight."""
        lo, hi = self.quantile(name, [(1 - level) / 2, (1 + level) / 2])
        return float(lo), float(hi)

    def ess(self) -> float:
        """Kish's effective sample size of the particles."""
        w = self.weights
        return float(1.0 / np.sum(w**2))


def weighted_quantile(
    values: np.ndarray, weights: np.ndarray, q: float | Sequence[float]
) -> np.ndarray:
    """Quantiles of weighted values (the inverse of the weighted empirical CDF, interpolated).

    Examples:
        >>> weighted_quantile(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]), 0.5)
        array(2.)
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = w > 0  # a particle without weight is not part of the distribution
    order = np.argsort(v[keep])
    v, w = v[keep][order], w[keep][order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(np.asarray(q, dtype=float), cdf, v)


def load_posterior(path: str | os.PathLike[str]) -> Posterior:
    """Read a calibration's particles: a result folder or its ``posterior.csv``.

    The priors come from the folder's ``posterior.toml`` when it is there.

    Raises:
        ConfigError: the file is missing or is not a table of weighted particles.
    """
    p = Path(path)
    csv = p / POSTERIOR_CSV if p.is_dir() else p
    if not csv.is_file():
        raise ConfigError(f"posterior file {str(csv)!r} does not exist")
    try:
        df = pd.read_csv(csv)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read posterior file {str(csv)!r}: {exc}") from None
    if "weight" not in df.columns or len(df) == 0:
        raise ConfigError(
            f"posterior file {str(csv)!r} is not a table of weighted particles "
            f"(no 'weight' column or no rows)"
        )
    names = [c for c in df.columns if c not in _FIXED_COLUMNS]
    if not names:
        raise ConfigError(f"posterior file {str(csv)!r} has no parameter columns")
    from collabsim.params import ParamError, get

    for name in names:
        try:
            get(name)
        except ParamError as exc:
            raise ConfigError(f"posterior file {str(csv)!r}: column {exc}") from None
    w = df["weight"].to_numpy(dtype=float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ConfigError(f"posterior file {str(csv)!r}: weights must be >= 0, not all 0")
    priors: dict[str, tuple[float, float]] = {}
    summary = csv.parent / POSTERIOR_FILE
    if summary.is_file():
        for name, row in read_intervals(summary).items():
            if "prior" in row:
                priors[name] = (float(row["prior"][0]), float(row["prior"][1]))
    return Posterior(df, names, priors, str(csv))


#: An interval end within this share of the prior's width from a bound touches the bound.
EDGE = 0.1


def at_prior_edge(low: float, high: float, prior: tuple[float, float]) -> bool:
    """Whether a posterior interval runs into one prior bound (the prior may cut the fit off).

    True when exactly one end of the interval lies within :data:`EDGE` of the prior's width
    from the bound on its side. A weight the targets leave free spans the prior (both ends
    touch); a weight they pin down inside the prior touches neither; a posterior that piles up
    against one bound touches that one.
    """
    lo_p, hi_p = prior
    width = hi_p - lo_p
    if not width > 0:
        return False
    touch_low = low - lo_p <= EDGE * width
    touch_high = hi_p - high <= EDGE * width
    return bool(touch_low != touch_high)


def identifiability(post: Posterior, level: float = 0.9) -> pd.DataFrame:
    """Per weight: prior, posterior median and central interval, width ratio, prior-edge flag.

    A width ratio (interval width / prior width) near 1 means the calibration targets leave
    the weight free (it is not identified by them); a small ratio means they pin it down.
    ``at_prior_edge`` (:func:`at_prior_edge`) flags an interval that runs into one prior
    bound: the prior may cut off the best fit.
    """
    rows = []
    for name in post.names:
        lo, hi = post.interval(name, level)
        plo, phi = post.priors.get(name, (math.nan, math.nan))
        width = phi - plo
        rows.append(
            {
                "weight": name,
                "prior_low": plo,
                "prior_high": phi,
                "median": float(post.quantile(name, 0.5)),
                "low": lo,
                "high": hi,
                "width_ratio": (hi - lo) / width if width > 0 else math.nan,
                "at_prior_edge": at_prior_edge(lo, hi, (plo, phi)),
            }
        )
    return pd.DataFrame(rows)


def summary_toml(
    post: Posterior, config: CalibrationConfig, provenance: dict[str, Any], tag: str = ""
) -> str:
    """The text of ``posterior.toml``: per weight its prior, median, interval and ratio."""
    table = identifiability(post, config.interval)
    lines = [
        "# Posterior of the calibrated weights (collabsim calibrate). Commit this file as",
        "# configs/posterior.toml to show each weight's interval in `collabsim params`.",
        "[calibration]",
        f'result = "{tag}"',
        f'commit = "{provenance.get("git_commit", "unknown")}"',
        f'version = "{provenance.get("collabsim_version", "")}"',
        f'created = "{provenance.get("created", "")}"',
        f"interval = {config.interval:g}",
        f"particles = {len(post.particles)}",
        f"ess = {post.ess():.1f}",
        "",
    ]
    for _, r in table.iterrows():
        lines += [
            f"[weight.{r['weight']}]",
            f"prior = [{r['prior_low']:.6g}, {r['prior_high']:.6g}]",
            f"median = {r['median']:.6g}",
            f"low = {r['low']:.6g}",
            f"high = {r['high']:.6g}",
            f"width_ratio = {r['width_ratio']:.4g}",
            f"at_prior_edge = {str(bool(r['at_prior_edge'])).lower()}",
            "",
        ]
    return "\n".join(lines)


def read_intervals(path: str | os.PathLike[str]) -> dict[str, dict[str, Any]]:
    """The per-weight rows of a ``posterior.toml`` (weight -> prior, median, low, high...).

    Each row also carries ``level``, the central interval's level (e.g. 0.9).

    Raises:
        ConfigError: the file can not be read or has no ``[weight.*]`` tables.
    """
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read posterior summary {str(p)!r}: {exc}") from None
    rows = data.get("weight")
    if not isinstance(rows, dict) or not rows:
        raise ConfigError(f"posterior summary {str(p)!r} has no [weight.NAME] tables")
    for name, row in rows.items():
        if not isinstance(row, dict) or not {"low", "high"} <= set(row):
            raise ConfigError(f"posterior summary {str(p)!r}: [weight.{name}] needs low and high")
    level = float(data.get("calibration", {}).get("interval", 0.9))
    return {name: {**row, "level": level} for name, row in rows.items()}


def committed_intervals(path: str | os.PathLike[str] | None = None) -> dict[str, dict[str, Any]]:
    """The committed posterior summary (``configs/posterior.toml``), or {} when none is.

    Args:
        path: A result folder or a ``posterior.toml`` (default: the committed one).
    """
    if path is None:
        p = configs_dir() / POSTERIOR_FILE
        if not p.is_file():
            return {}
    else:
        p = Path(path)
        if p.is_dir():
            p = p / POSTERIOR_FILE
    return read_intervals(p)


def sample_sets(post: Posterior, n: int, seed: int) -> pd.DataFrame:
    """``n`` parameter sets drawn from the posterior (systematic resampling by weight).

    Systematic resampling keeps every particle whose weight is at least ``1/n`` and needs one
    uniform draw (from ``seed``); the sets come back in the particles' order, with the index
    of the particle each is from in column ``particle``.
    """
    if n < 1:
        raise ValueError(f"sets = {n} is not valid: expected an integer >= 1")
    rng = np.random.default_rng(seed)
    w = post.weights
    positions = (rng.random() + np.arange(n)) / n
    idx = np.searchsorted(np.cumsum(w), positions, side="right")
    idx = np.minimum(idx, len(w) - 1)
    out = post.particles.iloc[idx][post.names].reset_index(drop=True)
    out.insert(0, "particle", idx)
    return out
