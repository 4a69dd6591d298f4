"""ABC-SMC with pyabc, every particle evaluated on a :mod:`collabsim.engine` engine.

pyabc (Klinger, Rickert & Hasenauer 2018; Schaelte et al. 2022) runs the sequential Monte
Carlo: priors, perturbation kernel (a multivariate normal fitted to the last generation),
importance weights, tolerance schedule, stopping rules and the SQLite history that a crashed
calibration resumes from. What it samples with is :class:`EngineSampler`: proposals are
evaluated in batches on the engine (a fork process pool, Dask, or this process), and accepted
in the order they were proposed, so the accepted population does not depend on the engine,
the number of workers or the order in which tasks finish.

Seeds. Proposal ``i`` of generation ``t`` owns ``SeedSequence(root_seed, spawn_key=(t + 1,
i))``; its first child seeds the global numpy generator pyabc draws the proposal from, its
second is the root seed of the particle's model runs (the replication's seed scheme under that
root) and is recorded with the particle's statistics (key ``seed``). The calibration sample
that pyabc takes from the prior to set the first tolerance is generation ``t = -1``. A resumed
calibration therefore draws the same proposals and seeds as one that never stopped.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
from pyabc.sampler import Sampler

from collabsim.calibration.config import CalibrationConfig
from collabsim.calibration.statistics import (
    SEED_KEY,
    statistics,
    target_criteria,
    target_results,
)
from collabsim.engine import Engine, SerialEngine
from collabsim.model import resolve_seed
from collabsim.replication.spec import Criteria

__all__ = [
    "DB_NAME",
    "UNDEFINED_FACTOR",
    "EngineSampler",
    "TargetModel",
    "build_abc",
    "effective_sample_size",
    "generations",
    "particle_seeds",
    "populations",
    "run_abc",
]

#: File name of pyabc's history in a calibration's working and result folders.
DB_NAME = "abc.db"

#: Observed distance: an estimate undefined in a particle's runs (a median when fewer than half
#: get there) counts as this many times the observed value's magnitude (at least 1): far from
#: it, but finite, so that pyabc's adaptive scales and the tolerance stay defined.
UNDEFINED_FACTOR = 10.0
#: The run seed of the particle being evaluated in this process (set by the sampler).
_RUN_SEED: list[int] = []
#: The last unpickled pyabc simulation function of this process, by digest.
_SIMULATE: dict[str, Callable[[], Any]] = {}


def particle_seeds(root_seed: int, t: int, i: int) -> tuple[int, int]:
    """``(proposal seed, run seed)`` of proposal ``i`` of generation ``t`` (see module doc)."""
    ss = np.random.SeedSequence(int(root_seed), spawn_key=(t + 1, i))
    proposal, runs = ss.spawn(2)
    return int(proposal.generate_state(1)[0]), resolve_seed(runs)


class TargetModel:
    """pyabc's model: the calibration-target patterns run and analysed at a particle's weights.

    Called by pyabc with the particle's parameters; returns its summary statistics
    (:func:`collabsim.calibration.statistics.statistics`) plus its run seed. Picklable: it
    travels to the workers inside pyabc's simulation function.
    """

    def __init__(
        self,
        config: CalibrationConfig,
        criteria: Criteria,
        observed: dict[str, float] | None = None,
    ) -> None:
        self.config = config
        self.criteria = target_criteria(criteria, config)
        self.observed = dict(observed or {})

    def weights(self, pars: Any) -> dict[str, Any]:
        """The model's parameter values of a pyabc parameter (integers rounded)."""
        return {p.name: p.value(float(pars[p.name])) for p in self.config.priors}

    def __call__(self, pars: Any) -> dict[str, float]:
        """The statistics of one particle (its run seed set by :class:`EngineSampler`)."""
        if not _RUN_SEED:
            raise RuntimeError("TargetModel runs only inside EngineSampler (no run seed set)")
        seed = _RUN_SEED[-1]
        res = target_results(self.criteria, self.weights(pars), seed)
        stats = statistics(res, self.config)
        for key, value in stats.items():  # observed distance: an undefined estimate is far off
            if not math.isfinite(value):
                stats[key] = UNDEFINED_FACTOR * max(abs(self.observed.get(key, 1.0)), 1.0)
        return {**stats, SEED_KEY: seed}


def _evaluate(payload: tuple[bytes, str, int, int, list[int]]) -> list[Any]:
    """Evaluate proposals ``indices`` of generation ``t`` (in a worker or this process)."""
    blob, digest, root_seed, t, indices = payload
    if digest not in _SIMULATE:
        _SIMULATE.clear()
        _SIMULATE[digest] = pickle.loads(blob)
    simulate_one = _SIMULATE[digest]
    out = []
    for i in indices:
        proposal_seed, run_seed = particle_seeds(root_seed, t, i)
        # pyabc draws proposals from numpy's and Python's global generators
        np.random.seed(proposal_seed)  # noqa: NPY002
        random.seed(proposal_seed)
        _RUN_SEED.append(run_seed)
        try:
            out.append(simulate_one())
        finally:
            _RUN_SEED.pop()
    return out


class EngineSampler(Sampler):
    """A pyabc sampler that evaluates proposals in batches on a collabsim engine.

    Args:
        engine: A running engine (left running).
        root_seed: Root of the proposal and run seeds.
        batch: Proposals per engine task.
        on_particle: Called after each proposal is counted, with whether it was accepted.
        on_start: Called at the start of each generation with ``(t, n)``: its index (-1 for
            the calibration sample from the prior) and the particles it needs.
        max_total: Most proposals to evaluate over the whole calibration (a hard budget: a
            generation that would exceed it stops early and ends the run; the calibration
            sample from the prior is always completed).
        done: Proposals already evaluated (by the run being resumed).
    """

    def __init__(
        self,
        engine: Engine,
        root_seed: int,
        batch: int = 1,
        on_particle: Callable[[bool], None] | None = None,
        on_start: Callable[[int, int], None] | None = None,
        max_total: float = np.inf,
        done: int = 0,
    ) -> None:
        super().__init__()
        self.on_start = on_start
        self.max_total = max_total
        self.total = int(done)
        self.engine = engine
        self.root_seed = int(root_seed)
        self.batch = int(batch)
        self.on_particle = on_particle

    def _results(self, t: int, blob: bytes) -> Iterator[Any]:
        digest = hashlib.sha256(blob).hexdigest()
        if isinstance(self.engine, SerialEngine):  # this process: evaluate exactly what is needed
            i = 0
            while True:
                yield from _evaluate((blob, digest, self.root_seed, t, [i]))
                i += 1
        size = self.batch

        def tasks() -> Iterator[tuple[int, Any]]:
            k = 0
            while True:
                yield k, (blob, digest, self.root_seed, t, list(range(k * size, (k + 1) * size)))
                k += 1

        for _, particles in self.engine.imap(_evaluate, tasks(), ordered=True):
            yield from particles

    def sample_until_n_accepted(  # noqa: D102 (pyabc's docstring applies)
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        if self.on_start:
            self.on_start(t, n)
        if t >= 0:
            max_eval = min(max_eval, self.max_total - self.total)
        blob = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        evaluated = 0
        results = self._results(t, blob)
        try:
            for particle in results:
                evaluated += 1
                sample.append(particle)
                if self.on_particle:
                    self.on_particle(bool(particle.accepted))
                if sample.n_accepted >= n or evaluated >= max_eval:
                    break
        finally:
            results.close()  # stops the stream: tasks not yet started are cancelled
        self.nr_evaluations_ = evaluated
        self.total += evaluated
        if sample.n_accepted < n:
            sample.ok = False
        return sample


def build_abc(
    config: CalibrationConfig,
    criteria: Criteria,
    sampler: EngineSampler,
    observed: dict[str, float] | None = None,
) -> Any:
    """The pyabc ABCSMC object of a calibration (priors, distance, tolerance, sampler)."""
    import pyabc

    prior = pyabc.Distribution(
        **{p.name: pyabc.RV("uniform", p.low, p.width) for p in config.priors}
    )
    if config.distance == "criteria":
        distance = pyabc.PNormDistance(p=config.p)
    else:
        distance = pyabc.AdaptivePNormDistance(p=config.p)
    if config.epsilon == "quantile":
        eps = pyabc.QuantileEpsilon(alpha=config.alpha)
    else:
        eps = pyabc.ListEpsilon(list(config.epsilon_values))
    return pyabc.ABCSMC(
        TargetModel(config, criteria, observed),
        prior,
        distance,
        population_size=config.population,
        eps=eps,
        sampler=sampler,
    )


@dataclass
class AbcRun:
    """What :func:`run_abc` did.

    Attributes:
        db: The pyabc history (SQLite file).
        resumed_from: Generations read from an earlier, interrupted run (0: a new run).
        generations_run: Generations sampled in this call.
    """

    db: Path
    resumed_from: int
    generations_run: int


def run_abc(
    config: CalibrationConfig,
    criteria: Criteria,
    observed: dict[str, float],
    workdir: Path,
    *,
    engine: Engine,
    on_particle: Callable[[bool], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> AbcRun:
    """Run (or resume) the ABC-SMC in ``workdir``; its history is ``workdir/abc.db``.

    A history left by an interrupted run of the same calibration is continued from its last
    finished generation: the generations still allowed by ``config.generations`` are run.

    Args:
        config: The calibration.
        criteria: The replication criteria.
        observed: The statistics the distance compares with.
        workdir: The working folder (created if needed).
        engine: A running engine for the particles.
        on_particle: Progress: called with whether each evaluated proposal was accepted.
        on_start: Progress: called with ``(t, n)`` when a generation starts.
    """
    import pyabc

    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / DB_NAME
    url = f"sqlite:///{db}"
    budget = config.max_simulations or np.inf
    sampler = EngineSampler(
        engine, config.root_seed, config.batch, on_particle, on_start, max_total=budget
    )
    abc = build_abc(config, criteria, sampler, observed)
    done = 0
    if db.is_file():
        history = pyabc.History(url)
        if history.n_populations > 0:
            done = history.n_populations
            abc.load(url, history.id)
            sampler.total = int(history.total_nr_simulations)
    if not done:
        if db.is_file():
            db.unlink()
        abc.new(url, observed)
    remaining = config.generations - done
    if remaining > 0:
        abc.run(
            minimum_epsilon=config.minimum_epsilon,
            max_nr_populations=remaining,
            min_acceptance_rate=config.min_acceptance_rate,
            max_total_nr_simulations=budget,
        )
    n = pyabc.History(url).n_populations
    return AbcRun(db, done, n - done)


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised importance weights."""
    w = np.asarray(weights, dtype=float)
    s = w.sum()
    if s <= 0:
        return math.nan
    w = w / s
    return float(1.0 / np.sum(w**2))


def generations(db: Path) -> pd.DataFrame:
    """One row per generation: tolerance, particles, evaluations, acceptance rate, ESS."""
    import pyabc

    h = pyabc.History(f"sqlite:///{db}")
    pops = h.get_all_populations()
    pops = pops[pops["t"] >= 0].reset_index(drop=True)
    rows = []
    for _, r in pops.iterrows():
        t = int(r["t"])
        _, w = h.get_distribution(m=0, t=t)
        n = len(w)
        rows.append(
            {
                "generation": t,
                "epsilon": float(r["epsilon"]),
                "particles": n,
                "evaluations": int(r["samples"]),
                "acceptance_rate": n / int(r["samples"]) if r["samples"] else math.nan,
                "ess": effective_sample_size(w),
            }
        )
    return pd.DataFrame(rows)


def populations(db: Path, names: list[str]) -> pd.DataFrame:
    """Every accepted particle of every generation: generation, weight, distance, seed, weights.

    Weights sum to 1 within a generation.
    """
    import pyabc

    h = pyabc.History(f"sqlite:///{db}")
    rows = []
    for t in range(h.max_t + 1):
        for particle in h.get_population(t=t).particles:
            rows.append(
                {
                    "generation": t,
                    "weight": float(particle.weight),
                    "distance": float(particle.distance),
                    "seed": int(particle.sum_stat.get(SEED_KEY, -1)),
                    **{name: float(particle.parameter[name]) for name in names},
                }
            )
    df = pd.DataFrame(rows)
    if len(df):
        df["weight"] = df["weight"] / df.groupby("generation")["weight"].transform("sum")
    return df
