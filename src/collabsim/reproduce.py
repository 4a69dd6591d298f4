"""Re-run any single run of a saved result exactly, from what its folder recorded.

A result folder of ``collabsim run``/``compare`` records each scenario's resolved parameters
and every replicate's seed in ``metadata.json``; a sweep folder records the base parameters in
``metadata.json`` and each run's varied values and seed in its row. :func:`run_spec` reads
them back as ``(params, seed)`` and :func:`rerun` runs that model again, so anyone can check
one run of a large result without repeating the rest::

    from collabsim.reproduce import rerun
    summary, series = rerun("results/runs/louisville-20250101-120000-abc1234", rep=3)
    summary, _ = rerun("results/sweeps/turnover-navigator-0123456789ab", run=1234)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from collabsim.params import validate
from collabsim.runner import RunResult, run_one

__all__ = ["ReproduceError", "rerun", "run_spec"]


class ReproduceError(ValueError):
    """The folder or the run asked for cannot be found; the message says which."""


def _metadata(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "metadata.json").read_text())
    except FileNotFoundError:
        raise ReproduceError(f"{str(folder)!r} is not a result folder (no metadata.json)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ReproduceError(f"cannot read {str(folder / 'metadata.json')!r}: {exc}") from None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def run_spec(
    folder: Path | str,
    *,
    run: int | None = None,
    scenario: str | None = None,
    rep: int | None = None,
) -> tuple[dict[str, Any], int]:
    """The full parameters and the seed of one recorded run.

    Args:
        folder: A result folder (``collabsim run``/``compare``) or a sweep folder.
        run: For a sweep folder: the run number (column ``run``).
        scenario: For a result folder: the scenario (default: its only one).
        rep: For a result folder: the replicate (0-based).

    Returns:
        ``(params, seed)``: ``CollaborationModel(rng=seed, **params)`` is that run.

    Raises:
        ReproduceError: the folder, the scenario or the run is not there.
    """
    folder = Path(folder)
    meta = _metadata(folder)
    if meta.get("kind") == "sweep":
        from collabsim.sweep.store import load_results

        if run is None:
            raise ReproduceError("a sweep folder needs run=<run number>")
        n = int(meta["n_runs"])
        if not 0 <= run < n:
            raise ReproduceError(f"run = {run} is not valid: expected 0 to {n - 1}")
        names = [f["name"] for f in meta["design"]["factors"] if f.get("role", "param") == "param"]
        rows = load_results(folder, columns=["run", "seed", *names])
        row = rows[rows["run"] == run]
        if row.empty:
            raise ReproduceError(f"run {run} has not finished in {str(folder)!r}")
        values = {k: _plain(row.iloc[0][k]) for k in names}
        return validate({**meta["base"], **values}), int(row.iloc[0]["seed"])
    scenarios = meta.get("scenarios")
    seeds = meta.get("seeds")
    if not isinstance(scenarios, dict) or not isinstance(seeds, list):
        raise ReproduceError(f"{str(folder)!r} records no scenarios and seeds")
    if scenario is None:
        if len(scenarios) != 1:
            raise ReproduceError(f"give scenario=, one of {', '.join(scenarios)}")
        (scenario,) = scenarios
    if scenario not in scenarios:
        raise ReproduceError(f"scenario {scenario!r} is not in {', '.join(scenarios)}")
    if rep is None or not 0 <= rep < len(seeds):
        raise ReproduceError(f"rep = {rep!r} is not valid: expected 0 to {len(seeds) - 1}")
    params = validate(scenarios[scenario]["resolved_params"])
    return params, int(seeds[rep])


def rerun(
    folder: Path | str,
    *,
    run: int | None = None,
    scenario: str | None = None,
    rep: int | None = None,
    series: bool = True,
) -> RunResult:
    """Run one recorded run again; return its summary and (optionally) its time series.

    The arguments are those of :func:`run_spec`; the result equals the recorded one.
    """
    params, seed = run_spec(folder, run=run, scenario=scenario, rep=rep)
    return run_one(params, seed, series=series)
