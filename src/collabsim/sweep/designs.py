"""Sweep designs built from the parameter declaration: full grid, Latin hypercube, Sobol, Morris.

A design varies a subset of the declared parameters (:data:`collabsim.params.PARAMS`); each
varied parameter is a :class:`Factor` whose bounds default to the declared range and may only
be narrowed. Sampled designs (``lhs``, ``sobol``, ``morris``) come from SALib on a problem whose
bounds encode every kind of parameter as an interval, and :meth:`Factor.decode` maps a sampled
value back to a valid parameter value:

* ``float``: the value itself, in ``[low, high]``;
* ``int``: sampled in ``[low, high + 1]`` and floored (clipped to ``high``), so every integer
  of the range is equally likely;
* ``bool`` and ``choice``: sampled in ``[0, k]`` for ``k`` levels, floored to an index (clipped
  to ``k - 1``), so every level is equally likely.

A grid design lists levels: explicit ones, or ``grid_levels`` evenly spaced values over the
bounds for numbers (rounded and de-duplicated for integers), both values of a switch and every
choice of a categorical parameter. A design may carry a ``dummy`` factor that the model never
sees: in a sensitivity analysis its index is the noise floor.

Every problem with a design (unknown parameter, bounds outside the declared range, a Sobol
``n`` that is not a power of two...) raises :class:`DesignError`, one line naming the key, the
value and what is allowed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from collabsim.config import ConfigError
from collabsim.params import PARAMS, Param, ParamError, coerce, free, get

__all__ = [
    "DUMMY",
    "METHODS",
    "Design",
    "DesignError",
    "Factor",
    "factors_from_params",
    "make_design",
]

#: Design methods, in the order the docs present them.
METHODS: tuple[str, ...] = ("grid", "lhs", "sobol", "morris")
#: Name of the dummy factor (a column the model never reads; its index is the noise floor).
DUMMY = "dummy"
#: Most points a design may have, and most values (points x factors): a design is held in
#: memory (about 80 bytes per value once decoded), so a typo such as n = 10**12 fails at once
#: with a clear message instead of exhausting the memory.
MAX_POINTS = 5_000_000
MAX_VALUES = 50_000_000
#: Most levels of a Morris grid (SALib builds the grid in memory; 4 to 10 are usual).
MAX_MORRIS_LEVELS = 1000

Role = Literal["param", "input", "dummy"]


class DesignError(ConfigError):
    """A design cannot be built; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Factor:
    """One varied input of a design.

    Attributes:
        name: Parameter name (or input name for a plain function, or :data:`DUMMY`).
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        low: Lowest value (numeric kinds).
        high: Highest value (numeric kinds).
        levels: Values of a ``bool``/``choice`` factor, or explicit grid levels of a number.
        role: ``"param"`` (a declared model parameter), ``"input"`` (an input of a plain
            function) or ``"dummy"`` (sampled, never passed to the model).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    levels: tuple[Any, ...] = ()
    role: Role = "param"

    @classmethod
    def input(cls, name: str, low: float, high: float) -> Factor:
        """A continuous input of a plain function (not a declared parameter)."""
        if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
            raise DesignError(
                f"bounds of {name} = [{low}, {high}] are not valid: expected low < high"
            )
        return cls(name, "float", float(low), float(high), role="input")

    @classmethod
    def dummy(cls) -> Factor:
        """The dummy factor: uniform on ``[0, 1]``, never passed to the model."""
        return cls(DUMMY, "float", 0.0, 1.0, role="dummy")

    @property
    def categorical(self) -> bool:
        """True for switches and categorical parameters (sampled as a level index)."""
        return self.kind in ("bool", "choice")

    def bounds(self) -> list[float]:
        """The interval SALib samples for this factor (see the module docstring)."""
        if self.categorical:
            return [0.0, float(len(self.levels))]
        assert self.low is not None and self.high is not None
        if self.kind == "int":
            return [float(self.low), float(self.high) + 1.0]
        return [float(self.low), float(self.high)]

    def decode(self, raw: np.ndarray) -> np.ndarray:
        """Map sampled values (SALib encoding) to valid parameter values."""
        raw = np.asarray(raw, dtype=float)
        if self.categorical:
            idx = np.clip(np.floor(raw), 0, len(self.levels) - 1).astype(np.int64)
            if self.kind == "bool":
                return np.asarray(self.levels, dtype=bool)[idx]
            return np.asarray(self.levels, dtype=object)[idx]
        if self.kind == "int":
            assert self.low is not None and self.high is not None
            return np.clip(np.floor(raw), self.low, self.high).astype(np.int64)
        return raw.copy()

    def encode(self, values: Sequence[Any]) -> np.ndarray:
        """Map valid values to the SALib encoding (the inverse of :meth:`decode` on levels)."""
        if self.categorical:
            return np.array([float(self.levels.index(v)) for v in values])
        return np.asarray(values, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description (stored in ``metadata.json``)."""
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "role": self.role}
        if not self.categorical:
            out["low"], out["high"] = self.low, self.high
        if self.levels:
            out["levels"] = list(self.levels)
        return out


def _param_factor(
    p: Param,
    bounds: Sequence[Any] | None,
    levels: Sequence[Any] | None,
    method: str,
) -> Factor:
    if p.kind in ("bool", "choice"):
        if bounds is not None:
            raise DesignError(
                f"bounds of {p.name} = {list(bounds)!r} are not valid: {p.name} is "
                f"{p.range_text()}; give 'levels' to restrict its values"
            )
        allowed: tuple[Any, ...] = (False, True) if p.kind == "bool" else p.choices
        chosen = tuple(_coerce_level(p, v) for v in levels) if levels is not None else allowed
        if len(set(chosen)) != len(chosen):
            raise DesignError(f"levels of {p.name} = {list(levels or [])!r} repeat a value")
        if len(chosen) < 2:
            raise DesignError(
                f"levels of {p.name} = {list(chosen)!r} are not valid: a varied parameter needs "
                f"at least two levels (fix it in the base parameters instead)"
            )
        return Factor(p.name, p.kind, levels=chosen)
    assert p.low is not None and p.high is not None
    low, high = float(p.low), float(p.high)
    if bounds is not None:
        if not isinstance(bounds, Sequence) or isinstance(bounds, str) or len(bounds) != 2:
            raise DesignError(
                f"bounds of {p.name} = {bounds!r} are not valid: expected [low, high]"
            )
        try:
            lo, hi = (float(coerce(p, b)) for b in bounds)
        except ParamError:
            raise DesignError(
                f"bounds of {p.name} = {list(bounds)!r} are outside the declared range: "
                f"expected {p.range_text()}"
            ) from None
        if not lo < hi:
            raise DesignError(
                f"bounds of {p.name} = {list(bounds)!r} are not valid: expected low < high "
                f"(a fixed value belongs in the base parameters)"
            )
        low, high = lo, hi
    if levels is not None:
        if method != "grid":
            raise DesignError(
                f"levels of {p.name} are only used by a grid design (method = {method!r}); "
                f"use 'bounds' to narrow its range"
            )
        vals = tuple(_coerce_level(p, v) for v in levels)
        if len(vals) < 2 or len(set(vals)) != len(vals):
            raise DesignError(
                f"levels of {p.name} = {list(levels)!r} are not valid: expected two or more "
                f"distinct values in {p.range_text()}"
            )
        bad = [v for v in vals if not low <= v <= high]
        if bad:
            raise DesignError(
                f"levels of {p.name} = {list(levels)!r} fall outside its bounds [{low:g}, {high:g}]"
            )
        return Factor(p.name, p.kind, min(vals), max(vals), levels=vals)
    if p.kind == "int":
        return Factor(p.name, "int", int(low), int(high))
    return Factor(p.name, "float", low, high)


def _coerce_level(p: Param, value: Any) -> Any:
    try:
        return coerce(p, value)
    except ParamError as exc:
        raise DesignError(f"level of {exc}") from None


def factors_from_params(
    params: str | Iterable[str],
    *,
    bounds: Mapping[str, Sequence[Any]] | None = None,
    levels: Mapping[str, Sequence[Any]] | None = None,
    exclude: Iterable[str] = (),
    method: str = "sobol",
) -> list[Factor]:
    """Factors for declared parameters, with bounds defaulting to the declared ranges.

    Args:
        params: Parameter names, or ``"all"`` (every declared parameter that is not a fixed
            modelling constant; name fixed ones to vary them) or ``"levers"``
            (the parameters declared as levers).
        bounds: Narrower ``[low, high]`` per numeric parameter (within the declared range).
        levels: Levels per parameter: a subset of choices/switch values, or grid levels.
        exclude: Names left out (useful with ``"all"``).
        method: The design method (levels of numbers are only allowed for ``"grid"``).

    Raises:
        ParamError: a name is not a declared parameter (with a suggestion).
        DesignError: bounds or levels are not valid.
    """
    if isinstance(params, str):
        if params == "all":  # every free parameter; fixed constants only when named
            names = [p.name for p in free()]
        elif params == "levers":
            names = [p.name for p in PARAMS.values() if p.lever]
        else:
            raise DesignError(
                f"params = {params!r} is not valid: expected a list of parameter names, "
                f"'all' or 'levers'"
            )
    else:
        names = list(params)
    excluded = set()
    for name in exclude:
        get(name)
        excluded.add(name)
    names = [n for n in names if n not in excluded]
    bounds = dict(bounds or {})
    levels = dict(levels or {})
    for name in (*bounds, *levels):
        get(name)
        if name not in names:
            raise DesignError(
                f"bounds or levels given for {name!r}, which the design does not vary"
            )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DesignError(f"parameter {dup[0]!r} is listed twice in the design")
    if not names:
        raise DesignError("the design varies no parameter: list at least one in 'params'")
    return [_param_factor(get(n), bounds.get(n), levels.get(n), method) for n in names]


@dataclass(frozen=True)
class Design:
    """A sampled or gridded design: one row of ``X`` per design point.

    Attributes:
        method: One of :data:`METHODS`.
        factors: The varied inputs, in column order of ``X``.
        X: The design matrix in SALib encoding (see the module docstring).
        options: The settings that produced it (``n``, ``seed``, ``second_order``...).
    """

    method: str
    factors: tuple[Factor, ...]
    X: np.ndarray = field(repr=False)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        """Number of design points (rows of ``X``)."""
        return int(self.X.shape[0])

    @property
    def names(self) -> list[str]:
        """Factor names in column order."""
        return [f.name for f in self.factors]

    @property
    def model_factors(self) -> list[Factor]:
        """The factors passed to the model or function (every factor but the dummy)."""
        return [f for f in self.factors if f.role != "dummy"]

    def problem(self) -> dict[str, Any]:
        """The SALib problem of this design (a ``ProblemSpec``), with its groups if any."""
        return problem_spec(self.factors, self.options.get("groups"))

    def index_names(self) -> list[str]:
        """Names that a Sobol analysis reports on: the groups in order, else the factors."""
        groups = self.options.get("groups")
        return list(dict.fromkeys(groups)) if groups else self.names

    def points(self) -> pd.DataFrame:
        """Decoded parameter values, one row per point, one column per non-dummy factor."""
        cols = {}
        for j, f in enumerate(self.factors):
            if f.role == "dummy":
                continue
            vals = f.decode(self.X[:, j])
            cols[f.name] = pd.Series(vals, dtype=str) if f.kind == "choice" else vals
        return pd.DataFrame(cols)

    def point_values(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Values to pass to the model for points ``start`` to ``stop`` (plain Python values)."""
        rows = self.X[start:stop]
        decoded = []
        for j, f in enumerate(self.factors):
            if f.role != "dummy":
                decoded.append((f.name, f.decode(rows[:, j]).tolist()))
        return [{name: vals[i] for name, vals in decoded} for i in range(len(rows))]

    def raw_frame(self) -> pd.DataFrame:
        """``X`` as a DataFrame with a ``point`` column (stored as ``design.parquet``)."""
        df = pd.DataFrame(self.X, columns=self.names)
        df.insert(0, "point", np.arange(self.n_points, dtype=np.int64))
        return df

    def spec(self) -> dict[str, Any]:
        """A JSON-friendly description that, with the same SALib, regenerates ``X``."""
        return {
            "method": self.method,
            "factors": [f.to_dict() for f in self.factors],
            "options": dict(self.options),
            "n_points": self.n_points,
        }

    def digest(self) -> str:
        """SHA-256 of the spec and the bytes of ``X`` (detects any change of the design)."""
        h = hashlib.sha256(json.dumps(self.spec(), sort_keys=True, default=str).encode())
        h.update(np.ascontiguousarray(self.X, dtype=np.float64).tobytes())
        return h.hexdigest()

    def head(self, n_base: int) -> Design:
        """The Sobol design at a smaller base size: its first ``n_base`` blocks of rows.

        SALib lays out a Sobol sample block by block (one block of ``D + 2`` rows, or
        ``2D + 2`` with second order, per base point of the Sobol sequence), so the first
        ``n_base`` blocks are exactly the sample at ``N = n_base``.
        """
        if self.method != "sobol":
            raise DesignError(f"head() needs a Sobol design, not {self.method!r}")
        rows = n_base * self.block_size()
        if not 0 < rows <= self.n_points:
            raise DesignError(f"n = {n_base} is not valid: expected 1 to {self.options['n']}")
        return Design(self.method, self.factors, self.X[:rows], {**self.options, "n": n_base})

    def block_size(self) -> int:
        """Rows per base point of a Sobol design (``D + 2``, or ``2D + 2`` with second order)."""
        d = len(self.index_names())
        return 2 * d + 2 if self.options.get("second_order") else d + 2


def problem_spec(factors: Sequence[Factor], groups: Sequence[str] | None = None) -> dict[str, Any]:
    """A SALib ``ProblemSpec`` for ``factors`` (bounds in the encoding of the module docstring).

    Args:
        factors: The inputs, in column order.
        groups: Optional group name per factor (SALib then reports one index per group).
    """
    from SALib import ProblemSpec

    spec = {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [f.bounds() for f in factors],
    }
    if groups:
        spec["groups"] = list(groups)
    return ProblemSpec(spec)


def _group_labels(factors: Sequence[Factor], groups: Mapping[str, Sequence[str]]) -> list[str]:
    """One group name per factor; a factor in no group is a group of its own."""
    names = [f.name for f in factors]
    owner: dict[str, str] = {}
    for group, members in groups.items():
        if not members:
            raise DesignError(f"group {group!r} is empty: list at least one parameter")
        for m in members:
            if m not in names:
                raise DesignError(f"group {group!r} lists {m!r}, which the design does not vary")
            if m in owner:
                raise DesignError(f"parameter {m!r} is in two groups: {owner[m]!r} and {group!r}")
            owner[m] = group
    clash = sorted(set(groups) & (set(names) - set(owner)))
    if clash:
        raise DesignError(f"group name {clash[0]!r} is also an ungrouped parameter's name")
    return [owner.get(n, n) for n in names]


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and (n & (n - 1)) == 0


def _check_count(name: str, value: Any, minimum: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise DesignError(
            f"{name} = {value!r} is not valid for {what}: expected an integer >= {minimum}"
        )
    return int(value)


def _check_size(key: str, value: int, points: int, n_factors: int) -> None:
    """Refuse a design too large to hold in memory, naming the key that makes it so."""
    if points > MAX_POINTS or points * n_factors > MAX_VALUES:
        raise DesignError(
            f"{key} = {value} is not valid: the design would have {points:,} points x "
            f"{n_factors} parameters; at most {MAX_POINTS:,} points and {MAX_VALUES:,} values"
        )


def make_design(
    method: str,
    factors: Sequence[Factor],
    *,
    n: int | None = None,
    seed: int = 0,
    second_order: bool = False,
    morris_levels: int = 4,
    grid_levels: int = 3,
    dummy: bool = False,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> Design:
    """Build a design over ``factors``.

    Args:
        method: ``"grid"``, ``"lhs"``, ``"sobol"`` or ``"morris"``.
        factors: The varied inputs (see :func:`factors_from_params` and :meth:`Factor.input`).
        n: Samples (``lhs``), base sample size, a power of two (``sobol``), or trajectories
            (``morris``); not used by ``grid``.
        seed: Seed of the sampler (the Sobol scramble, the Latin hypercube, the trajectories).
        second_order: Sobol only: add the rows second-order indices need.
        morris_levels: Morris only: levels of the grid the trajectories move on (even, >= 2).
        grid_levels: Grid only: levels of a number without explicit levels.
        dummy: Add the :data:`DUMMY` factor (not for grids).
        groups: Sobol only: ``{group: [parameter, ...]}``; the sample and the indices are then
            per group (``N (G + 2)`` points for ``G`` groups, the dummy a group of its own).

    Raises:
        DesignError: on an unknown method or a count that the method cannot use.
    """
    if method not in METHODS:
        raise DesignError(
            f"design method = {method!r} is not valid: expected one of {', '.join(METHODS)}"
        )
    factors = list(factors)
    if not factors:
        raise DesignError("the design varies no parameter: list at least one")
    names = [f.name for f in factors]
    if len(set(names)) != len(names) or (DUMMY in names and dummy):
        raise DesignError(f"factor names repeat: {', '.join(names)}")
    seed = _check_count("seed", seed, 0, "a design")
    if method == "grid":
        if n is not None:
            raise DesignError("n is not used by a grid design: give levels per parameter instead")
        if dummy:
            raise DesignError("a dummy factor needs a sampled design (lhs, sobol or morris)")
        grid_levels = _check_count("grid_levels", grid_levels, 2, "a grid design")
        _check_size(
            "grid_levels",
            grid_levels,
            math.prod(_n_grid_levels(f, grid_levels) for f in factors),
            len(factors),
        )
        return _grid(factors, grid_levels)
    if dummy:
        factors.append(Factor.dummy())
    labels = None
    if groups:
        if method != "sobol":
            raise DesignError(f"groups are for Sobol designs, not {method!r}")
        labels = _group_labels(factors, groups)
    problem = problem_spec(factors, labels)
    d = len(factors)
    if method == "sobol":
        from SALib.sample import sobol

        n = _check_count("n", n, 2, "a Sobol design")
        if not _is_power_of_two(n):
            lower = 1 << (n.bit_length() - 1)
            raise DesignError(
                f"n = {n} is not valid for a Sobol design: expected a power of two "
                f"(e.g. {lower} or {2 * lower})"
            )
        g = len(set(labels)) if labels else d
        _check_size("n", n, n * (2 * g + 2 if second_order else g + 2), d)
        X = sobol.sample(problem, n, calc_second_order=bool(second_order), scramble=True, seed=seed)
        opts = {"n": n, "seed": seed, "second_order": bool(second_order)}
        if labels:
            opts["groups"] = labels
    elif method == "lhs":
        from SALib.sample import latin

        n = _check_count("n", n, 1, "a Latin hypercube design")
        _check_size("n", n, n, d)
        X = latin.sample(problem, n, seed=seed)
        opts = {"n": n, "seed": seed}
    else:
        from SALib.sample import morris

        n = _check_count("n", n, 2, "a Morris design (trajectories)")
        morris_levels = _check_count("levels", morris_levels, 2, "a Morris design")
        if morris_levels % 2 or morris_levels > MAX_MORRIS_LEVELS:
            raise DesignError(
                f"levels = {morris_levels} is not valid for a Morris design: expected an even "
                f"number up to {MAX_MORRIS_LEVELS} (4 is usual)"
            )
        _check_size("n", n, n * (d + 1), d)
        X = morris.sample(problem, n, num_levels=morris_levels, seed=seed)
        opts = {"n": n, "seed": seed, "levels": morris_levels}
    return Design(method, tuple(factors), np.asarray(X, dtype=np.float64), opts)


def _n_grid_levels(f: Factor, count: int) -> int:
    """How many levels :func:`_grid_levels` gives, without making them."""
    if f.levels:
        return len(f.levels)
    assert f.low is not None and f.high is not None
    if f.kind == "int":  # evenly spaced values at least 1 apart round to distinct integers
        return min(count, int(f.high) - int(f.low) + 1)
    return count


def _grid_levels(f: Factor, count: int) -> tuple[Any, ...]:
    if f.levels:
        return f.levels
    assert f.low is not None and f.high is not None
    if f.kind == "int":
        return tuple(dict.fromkeys(int(np.rint(v)) for v in np.linspace(f.low, f.high, count)))
    return tuple(float(v) for v in np.linspace(f.low, f.high, count))


def _grid(factors: list[Factor], count: int) -> Design:
    levels = [_grid_levels(f, count) for f in factors]
    fixed = [
        Factor(f.name, f.kind, f.low, f.high, lv, f.role) if not f.categorical else f
        for f, lv in zip(factors, levels, strict=True)
    ]
    encoded = [f.encode(lv) for f, lv in zip(fixed, levels, strict=True)]
    rows = list(itertools.product(*encoded))
    X = np.array(rows, dtype=np.float64).reshape(len(rows), len(fixed))
    return Design("grid", tuple(fixed), X, {"grid_levels": count})
