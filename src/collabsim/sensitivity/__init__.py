"""Global sensitivity analysis of collabsim (or of any function), aware of seed noise.

The SALib problem is built from the parameter declaration (:mod:`collabsim.params`) through
the sweep designs (:mod:`collabsim.sweep.designs`), so bounds default to the declared ranges and
integer, switch and categorical parameters are sampled as valid values. Methods:

* **Sobol** (``SALib.analyze.sobol``): first-order ``S1`` and total-order ``ST`` indices with
  bootstrap intervals (second order optional; parameter groups such as the five key actions
  optional), on a Saltelli sample of ``N (D + 2)`` points. A **convergence check** re-analyses
  the first ``N/4``, ``N/2`` and ``N`` base points of the same sample and gives a verdict in
  words ("converged", or "raise N to ...").
* **Morris** (``SALib.analyze.morris``): ``mu``, ``mu*`` and ``sigma`` with bootstrap intervals.
* **PAWN** (``SALib.analyze.pawn``) and **delta** (``SALib.analyze.delta``, Borgonovo), both
  moment-independent, on the Sobol design's two independent base matrices (no extra runs).

Seed noise: each design point runs several replicates; indices are computed on the replicate
means, and the seed-noise share of the variance is measured from the replicates and reported.
A **dummy** factor the model never reads gives the noise floor: a parameter counts as
influential on an outcome only when its interval lies above the dummy's. Outcomes undefined at
too many design points (``learning_share`` needs a setback) are refused with a message.

Modules: :mod:`.config` (settings and the TOML loader), :mod:`.evaluate` (design -> outcomes
per point, seed noise), :mod:`.analysis` (the methods), :mod:`.plots` (figures) and
:mod:`.report` (summary, tables, figures on disk).
"""

from collabsim.sensitivity.analysis import (
    SAError,
    SAResult,
    analyze,
    convergence_verdict,
    delta_table,
    elementary_effects,
    morris_table,
    pawn_table,
    sobol_convergence,
    sobol_table,
)
from collabsim.sensitivity.config import (
    CENSORED,
    METHODS,
    OUTCOMES,
    SAConfig,
    Settings,
    check_outcomes,
    load_sa_config,
    settings_dict,
)
from collabsim.sensitivity.evaluate import (
    ModelEvaluator,
    function_evaluator,
    point_outcomes,
    replicates_for,
    seed_noise,
)
from collabsim.sensitivity.plots import figure_grid, plot_convergence, plot_morris, plot_sobol
from collabsim.sensitivity.report import lever_ranking, summary_markdown, write_report
from collabsim.sweep.designs import problem_spec

__all__ = [
    "CENSORED",
    "METHODS",
    "OUTCOMES",
    "ModelEvaluator",
    "SAConfig",
    "SAError",
    "SAResult",
    "Settings",
    "analyze",
    "check_outcomes",
    "convergence_verdict",
    "delta_table",
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
    "replicates_for",
    "seed_noise",
    "settings_dict",
    "sobol_convergence",
    "sobol_table",
    "summary_markdown",
    "write_report",
]
