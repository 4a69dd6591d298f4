"""Calibration as inference: ABC-SMC over the free weights against the calibration targets.

The weights to calibrate, their priors (the declared ranges unless narrowed), the distance,
tolerance schedule, population size and generations are declared in
``configs/calibration.toml`` (:mod:`.config`); which patterns are calibration targets is read
from the labels of ``configs/replication.toml``. Each particle runs the target patterns with the
replication's own designs and statistics (:mod:`.statistics`); pyabc's ABC-SMC samples the
posterior on a :mod:`collabsim.engine` engine, resumable from its SQLite history (:mod:`.smc`).
:mod:`.posterior` reads a result (weighted particles, intervals, identifiability, the
committed summary ``configs/posterior.toml``), :mod:`.predictive` runs the held-out patterns
across posterior parameter sets, :mod:`.plots` draws the figures and :mod:`.cli` is
``collabsim calibrate``.
"""

from collabsim.calibration.config import (
    CalibrationConfig,
    Prior,
    held_out_patterns,
    load_calibration,
    target_patterns,
)

__all__ = [
    "CalibrationConfig",
    "Prior",
    "held_out_patterns",
    "load_calibration",
    "target_patterns",
]
