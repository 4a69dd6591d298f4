"""The one declaration of every model parameter.

Each :class:`Param` carries its name, meaning, unit, default, valid range, concept group and,
where a number comes from the literature, its source. Every consumer reads this module: the
model's defaults, the TOML config loader, the CLI's ``--set`` overrides and ``params`` table,
sweep designs, the SALib problem and the app's sliders. Nothing else declares a default.

Validation (:func:`validate`) names the key, the value and the valid range in its message, so
that a typo or an out-of-range value fails fast with a message a student can act on.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
from collections import namedtuple
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, make_dataclass
from functools import partial
from typing import Any, Literal

__all__ = [
    "CONCEPTS",
    "DERIVED",
    "GOVERNANCE_MODES",
    "PARAMS",
    "SECTORS",
    "Param",
    "ParamError",
    "Params",
    "by_concept",
    "coerce",
    "defaults",
    "free",
    "get",
    "make_params",
    "markdown_table",
    "names",
    "validate",
    "weekly_hazard",
]

Kind = Literal["float", "int", "bool", "choice"]

#: The five sectors of organizations at the table, in a fixed order (index = sector code).
SECTORS: tuple[str, ...] = ("city_agency", "nonprofit", "business", "funder", "community_group")

#: Governance modes of Provan & Kenis (2008), in a fixed order (index = mode code).
GOVERNANCE_MODES: tuple[str, ...] = ("shared", "lead", "nao")

#: Concept groups, in the order the parameter table lists them.
CONCEPTS: tuple[str, ...] = (
    "size and time",
    "prior relationships",
    "navigator",
    "community engagement",
    "data use",
    "joint problem-solving",
    "entry points",
    "diversity and initiative",
    "turnover",
    "loyalty and commitment",
    "governance",
    "problem",
    "dynamics (calibrated)",
    "dialogue and trust",
    "projects and setbacks",
    "strategic triangle",
    "climate",
)


class ParamError(ValueError):
    """A parameter name or value is not valid; the message names key, value and valid range."""


@dataclass(frozen=True)
class Param:
    """One declared parameter.

    Attributes:
        name: Keyword used everywhere (model, TOML, ``--set``, sweeps, app).
        default: Default value; ``CollaborationModel()`` runs with all defaults.
        kind: ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``.
        low: Lowest valid value (numeric kinds).
        high: Highest valid value (numeric kinds).
        choices: Valid values of a ``"choice"`` parameter.
        unit: Unit of the value (``"share"``, ``"weeks"``, ``"per year"``...).
        concept: Concept group (one of :data:`CONCEPTS`).
        description: What the parameter means, in one sentence.
        source: Where a number comes from, when it comes from the literature.
        lever: True for the levers a trainer or a sensitivity analysis would vary first.
        fixed: True for modelling constants: assumptions held at their default unless a
            design varies them explicitly (``"all"`` in a design leaves them out).
    """

    name: str
    default: Any
    kind: Kind
    concept: str
    description: str
    unit: str = ""
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    source: str = ""
    lever: bool = False
    fixed: bool = False

    def range_text(self) -> str:
        """Human-readable valid range, used in error messages and tables."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        kind = "an integer" if self.kind == "int" else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    def check(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's kind, or raise :class:`ParamError`."""
        return coerce(self, value)


def _fmt(x: float | None, digits: int = 6) -> str:
    if x is None:
        return "?"
    return f"{int(x)}" if float(x).is_integer() else f"{x:.{digits}g}"


_P = Param
_PARAMS: list[Param] = [
    # --- size and time -------------------------------------------------------------------
    _P("n_orgs", 12, "int", "size and time", "Organizations at the table.", "orgs", 2, 20000),
    _P(
        "reps_per_org",
        3,
        "int",
        "size and time",
        "Representatives per organization.",
        "people",
        1,
        4,
    ),
    _P(
        "weeks",
        156,
        "int",
        "size and time",
        "Horizon of a run (one step is one week).",
        "weeks",
        1,
        2080,
    ),
    _P(
        "impact_target",
        1.0,
        "float",
        "size and time",
        "Public value counted as reaching impact (for weeks-to-impact and success).",
        "PV units",
        0.05,
        20.0,
    ),
    # --- prior relationships (key action 1) ----------------------------------------------
    _P(
        "prior_history",
        1.0,
        "float",
        "prior relationships",
        "Past joint projects per person before the collaboration starts (0: all strangers).",
        "projects/person",
        0.0,
        5.0,
        lever=True,
    ),
    _P(
        "prior_p",
        0.6,
        "float",
        "prior relationships",
        "Team assembly: probability a past-team slot goes to an incumbent.",
        "probability",
        0.0,
        1.0,
        source="Guimera, Uzzi, Spiro & Amaral 2005, Science 308:697",
    ),
    _P(
        "prior_q",
        0.5,
        "float",
        "prior relationships",
        "Team assembly: probability an incumbent is a repeat collaborator.",
        "probability",
        0.0,
        1.0,
        source="Guimera, Uzzi, Spiro & Amaral 2005, Science 308:697",
    ),
    _P(
        "prior_trust",
        0.65,
        "float",
        "prior relationships",
        "Initial trust on a prior tie.",
        "trust",
        0.0,
        1.0,
    ),
    _P(
        "stranger_trust",
        0.25,
        "float",
        "prior relationships",
        "Initial trust between people with no prior tie.",
        "trust",
        0.0,
        1.0,
    ),
    _P(
        "conflict_history",
        0.1,
        "float",
        "prior relationships",
        "Share of prior ties that carry a history of conflict (start at half stranger trust).",
        "share",
        0.0,
        1.0,
    ),
    # --- navigator (key action 2) --------------------------------------------------------
    _P(
        "navigator",
        False,
        "bool",
        "navigator",
        "A trusted person or small group brokers meetings, mediates and carries memory.",
        lever=True,
    ),
    _P(
        "navigator_trust",
        0.85,
        "float",
        "navigator",
        "Everyone's trust in the navigator.",
        "trust",
        0.0,
        1.0,
    ),
    _P(
        "navigator_brokered",
        0.3,
        "float",
        "navigator",
        "Brokered cross-sector meetings per person per week.",
        "meetings/person/week",
        0.0,
        2.0,
    ),
    _P(
        "onboarding",
        0.5,
        "float",
        "navigator",
        "Extra share of trust and of the plan the navigator hands to a newcomer.",
        "share",
        0.0,
        1.0,
    ),
    # --- community engagement (key action 3) -----------------------------------------------
    _P(
        "community_stages",
        1,
        "int",
        "community engagement",
        "Stages with community engagement, in order: define, design, implement, evaluate.",
        "stages",
        0,
        4,
        lever=True,
    ),
    # --- data use (key action 4) ---------------------------------------------------------
    _P(
        "data_use",
        False,
        "bool",
        "data use",
        "Regular stat meetings read progress and evidence on the problem (LouieStat style).",
        lever=True,
        source="Behn 2014, The PerformanceStat Potential",
    ),
    _P("stat_interval", 4, "int", "data use", "Weeks between stat meetings.", "weeks", 1, 52),
    _P(
        "data_quality",
        0.6,
        "float",
        "data use",
        "Precision of the data read at a stat meeting.",
        "share",
        0.0,
        1.0,
    ),
    # --- joint problem-solving (key action 5) ---------------------------------------------
    _P(
        "joint_problem_solving",
        0.2,
        "float",
        "joint problem-solving",
        "Share of meeting time spent solving problems together.",
        "share",
        0.0,
        1.0,
        lever=True,
    ),
    # --- entry points --------------------------------------------------------------------
    _P(
        "entry_points",
        True,
        "bool",
        "entry points",
        "Start with a meaningful, actionable, acceptable, provisional first project.",
        lever=True,
        source="Martinez Orbegozo et al. 2022, J. Applied Behavioral Science",
    ),
    _P(
        "entry_scope",
        0.3,
        "float",
        "entry points",
        "Size of an entry-point project relative to the whole problem.",
        "share",
        0.05,
        1.0,
    ),
    _P(
        "provisionality",
        1.0,
        "float",
        "entry points",
        "How provisional a first project is (widens who can accept it; can be adjusted).",
        "share",
        0.0,
        1.0,
    ),
    # --- diversity and initiative --------------------------------------------------------
    _P(
        "diversity",
        0.6,
        "float",
        "diversity and initiative",
        "Share of organizations from outside city government.",
        "share",
        0.0,
        1.0,
        lever=True,
    ),
    _P(
        "initiative",
        0.5,
        "float",
        "diversity and initiative",
        "Propensity to propose action despite ambiguity.",
        "share",
        0.0,
        1.0,
        lever=True,
    ),
    # --- turnover ------------------------------------------------------------------------
    _P(
        "turnover_rate",
        0.15,
        "float",
        "turnover",
        "Annual rate at which a representative leaves (expected departures per seat per year; "
        "a newcomer takes the seat).",
        "per year",
        0.0,
        1.0,
        lever=True,
    ),
    _P(
        "handoff",
        0.2,
        "float",
        "turnover",
        "Share of a leaver's interpersonal trust that carries over to the successor.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "leadership_shock_rate",
        0.0,
        "float",
        "turnover",
        "Annual rate of leadership changes that replace all city-agency representatives.",
        "per year",
        0.0,
        1.0,
    ),
    # --- loyalty and commitment ----------------------------------------------------------
    _P(
        "loyalty",
        0.5,
        "float",
        "loyalty and commitment",
        "Mean loyalty of a representative to the home organization.",
        "share",
        0.0,
        1.0,
        lever=True,
    ),
    _P(
        "home_pressure",
        0.5,
        "float",
        "loyalty and commitment",
        "Mean pressure from home organizations on their representatives.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "commitment",
        0.5,
        "float",
        "loyalty and commitment",
        "Mean initial commitment of a representative to the collaboration.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "openness",
        0.15,
        "float",
        "loyalty and commitment",
        "Mean openness (bounded-confidence radius) of a representative's frame.",
        "frame units",
        0.01,
        1.0,
        source="Deffuant et al. 2000; Lorenz 2007",
    ),
    _P(
        "resources",
        0.5,
        "float",
        "loyalty and commitment",
        "Money and staff the collaboration commands (scales operational capacity).",
        "share",
        0.0,
        1.0,
    ),
    # --- governance ----------------------------------------------------------------------
    _P(
        "governance",
        "shared",
        "choice",
        "governance",
        "Initial governance mode (Provan & Kenis 2008).",
        choices=GOVERNANCE_MODES,
        lever=True,
        source="Provan & Kenis 2008, JPART 18:229",
    ),
    _P(
        "adaptable",
        False,
        "bool",
        "governance",
        "The collaboration may change its governance mode after a setback it learns from.",
        lever=True,
        source="Pulido-Gomez, de Jong & Rivkin 2025, JPART",
    ),
    # --- problem -------------------------------------------------------------------------
    _P(
        "first_outcome",
        "free",
        "choice",
        "problem",
        "Experiment control: 'free' lets the first project's outcome be drawn as usual; 'win' "
        "or 'setback' forces it (the deciding draw is still taken, so runs on one seed share "
        "every draw before it). Used to measure path dependence causally.",
        choices=("free", "win", "setback"),
        fixed=True,  # an experiment control, not a property of a collaboration: "all" skips it
    ),
    _P(
        "n_projects",
        8,
        "int",
        "problem",
        "Candidate projects in the problem space.",
        "projects",
        1,
        50,
    ),
    _P(
        "leverage_width",
        0.15,
        "float",
        "problem",
        "Width w of the leverage peak around the true leverage point.",
        "frame units",
        0.02,
        1.0,
    ),
    _P(
        "frame_spread",
        0.2,
        "float",
        "problem",
        "Spread of home frames around their sector's view of the problem.",
        "frame units",
        0.0,
        0.5,
    ),
    # --- dynamics (calibrated free weights) ----------------------------------------------
    _P(
        "trust_gain",
        0.10,
        "float",
        "dynamics (calibrated)",
        "Trust learning rate after a positive signal (lambda+).",
        "per signal",
        0.0,
        1.0,
        source="Pant & Yu 2025, arXiv 2510.24909",
    ),
    _P(
        "trust_loss",
        0.30,
        "float",
        "dynamics (calibrated)",
        "Trust learning rate after a negative signal (lambda-).",
        "per signal",
        0.0,
        1.0,
        source="Pant & Yu 2025, arXiv 2510.24909",
    ),
    _P(
        "meeting_rate",
        1.0,
        "float",
        "dynamics (calibrated)",
        "Meetings per person per week.",
        "meetings/person/week",
        0.0,
        5.0,
    ),
    _P(
        "frame_step",
        0.1,
        "float",
        "dynamics (calibrated)",
        "Deffuant convergence step mu (scaled by trust).",
        "share",
        0.0,
        0.5,
        source="Deffuant et al. 2000",
    ),
    _P(
        "effort_expected",
        0.45,
        "float",
        "dynamics (calibrated)",
        "Partner effort that reads as neither good nor bad faith.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "learning_bias",
        0.7,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning (vs blame) at cross-boundary trust and safety 0.5, no evidence.",
        "log-odds",
        -5.0,
        5.0,
    ),
    _P(
        "learning_trust_weight",
        4.0,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning per unit of mean trust above 0.5.",
        "log-odds",
        0.0,
        20.0,
    ),
    _P(
        "learning_evidence_weight",
        2.5,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning per unit of evidence precision.",
        "log-odds",
        0.0,
        20.0,
    ),
    _P(
        "learning_safety_weight",
        3.0,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning per unit of psychological safety above 0.5.",
        "log-odds",
        0.0,
        20.0,
        source="Edmondson 1999, ASQ 44:350",
    ),
    _P(
        "legitimacy_decay",
        0.02,
        "float",
        "dynamics (calibrated)",
        "Weekly loss of legitimacy while no visible result is recent.",
        "per week",
        0.0,
        0.5,
    ),
    _P(
        "proposal_rate",
        0.4,
        "float",
        "dynamics (calibrated)",
        "Weekly chance of a proposal for a fully diverse, outward, initiative-taking team.",
        "per week",
        0.0,
        1.0,
    ),
    _P(
        "success_base",
        5.0,
        "float",
        "dynamics (calibrated)",
        "Scale of the project success probability (the product of leverage, delivery, fit, "
        "size and backing terms, capped at 1).",
        "scale",
        0.0,
        10.0,
    ),
    _P(
        "public_value_rate",
        0.2,
        "float",
        "dynamics (calibrated)",
        "Weekly public value produced at full capacity, legitimacy, agreement and alignment.",
        "PV units/week",
        0.0,
        1.0,
    ),
    _P(
        "perish_floor",
        0.2,
        "float",
        "dynamics (calibrated)",
        "Mean commitment or legitimacy below which the collaboration is at risk.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "perish_weeks",
        12,
        "int",
        "dynamics (calibrated)",
        "Consecutive weeks below the floor after which the collaboration dissolves.",
        "weeks",
        1,
        208,
    ),
]

# --- modelling constants (assumptions, declared *fixed*: not varied unless a design asks) ----
# Each was a module constant of a submodel; declared here so that sweeps and sensitivity
# analysis can reach them and the ODD's tables are generated from this declaration.
_F = partial(Param, fixed=True)
_FIXED: list[Param] = [
    # dialogue and trust (submodel 3)
    _F(
        "tie_share",
        0.85,
        "float",
        "dialogue and trust",
        "Share of meetings that follow existing ties (the rest happen at the table at random).",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "trust_reach_base",
        0.5,
        "float",
        "dialogue and trust",
        "Reach of bounded confidence is openness x (1 + jps) x (this + trust in the partner).",
        "trust units",
        0.0,
        2.0,
    ),
    _F(
        "tie_base_weight",
        0.1,
        "float",
        "dialogue and trust",
        "Baseline weight of a tie in the choice of meetings (added to the pair's two trusts).",
        "weight",
        0.001,
        2.0,
    ),
    _F(
        "conflict_signal",
        0.6,
        "float",
        "dialogue and trust",
        "Trust signal lost when a frame gap beyond reach reads as conflict "
        "(at zero trust, no joint problem-solving).",
        "signal",
        0.0,
        1.0,
    ),
    _F(
        "jps_signal",
        0.5,
        "float",
        "dialogue and trust",
        "Trust signal gained in a meeting at full joint problem-solving.",
        "signal",
        0.0,
        1.0,
    ),
    _F(
        "broker_signal",
        0.3,
        "float",
        "navigator",
        "Extra trust signal of a brokered meeting per unit of trust in the navigator.",
        "signal",
        0.0,
        1.0,
    ),
    _F(
        "cluster_gap",
        0.05,
        "float",
        "dialogue and trust",
        "Gap between sorted frames that separates two clusters (consensus measure).",
        "frame units",
        0.001,
        0.5,
    ),
    _F(
        "colleague_trust",
        0.8,
        "float",
        "prior relationships",
        "Trust between colleagues of one organization.",
        "trust",
        0.0,
        1.0,
    ),
    _F(
        "past_team_size",
        4,
        "int",
        "prior relationships",
        "Size of a past project team in the team-assembly model of prior ties.",
        "people",
        2,
        10,
        source="Guimera, Uzzi, Spiro & Amaral 2005, Science 308:697",
    ),
    # community engagement (submodel 5)
    _F(
        "community_pull",
        0.02,
        "float",
        "community engagement",
        "Weekly share of the gap to residents' view closed by a fully engaged member "
        "(define stage).",
        "share/week",
        0.0,
        0.5,
    ),
    _F(
        "resident_spread",
        0.1,
        "float",
        "community engagement",
        "Spread of residents' views around the true leverage point.",
        "frame units",
        0.0,
        0.5,
    ),
    _F(
        "community_legitimacy",
        0.02,
        "float",
        "community engagement",
        "Weekly legitimacy gain at full engagement (all four stages).",
        "share/week",
        0.0,
        0.5,
    ),
    _F(
        "community_evidence",
        0.02,
        "float",
        "community engagement",
        "Weekly share of the gap to the engagement's evidence ceiling closed.",
        "share/week",
        0.0,
        0.5,
    ),
    _F(
        "community_evidence_ceiling",
        0.6,
        "float",
        "community engagement",
        "Evidence precision that residents' knowledge alone can bring, at full engagement.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "resident_bias",
        0.1,
        "float",
        "community engagement",
        "S.d. of the residents' shared bias: their views centre on the true leverage point "
        "plus this bias, drawn once per run (lived experience is informative but partial).",
        "frame units",
        0.0,
        0.5,
    ),
    _F(
        "resident_trust",
        0.6,
        "float",
        "community engagement",
        "How much members trust what residents tell them (weight of the residents' signal).",
        "trust",
        0.0,
        1.0,
    ),
    _F(
        "design_pull",
        0.5,
        "float",
        "community engagement",
        "Share of the gap to a residents' signal a proposal's aim closes when residents help "
        "design (before weighting by trust and safety).",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "backing_rate",
        0.03,
        "float",
        "community engagement",
        "Weekly rate at which residents' backing of the programs moves toward the share of "
        "implementation engaged with them.",
        "share/week",
        0.0,
        1.0,
    ),
    # data use (submodel 4)
    _F(
        "data_noise",
        0.3,
        "float",
        "data use",
        "Evidence noise at zero data quality (0.02 remains at full quality).",
        "frame units",
        0.0,
        1.0,
    ),
    _F(
        "data_pull",
        0.1,
        "float",
        "data use",
        "Share of the gap to the evidence a fully engaged member closes at one stat meeting.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "precision_step",
        0.3,
        "float",
        "data use",
        "Share of the gap between evidence precision and data quality closed per stat meeting.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "transparency_gain",
        0.03,
        "float",
        "data use",
        "Legitimacy gained per stat meeting when progress is visible.",
        "share",
        0.0,
        0.5,
    ),
    # entry points and decisions (submodel 6)
    _F(
        "effort_min",
        0.3,
        "float",
        "entry points",
        "Effort below which a member has nothing to give to a new project.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "near_full_consensus",
        0.9,
        "float",
        "entry points",
        "Share of members who must accept a whole-problem plan, and share in one frame "
        "cluster, without entry points.",
        "share",
        0.5,
        1.0,
    ),
    _F(
        "project_weeks",
        40,
        "int",
        "entry points",
        "Weeks a whole-problem project (size 1) takes; smaller ones take proportionally less.",
        "weeks",
        1,
        208,
    ),
    _F("min_project_weeks", 4, "int", "entry points", "Shortest project.", "weeks", 1, 52),
    _F(
        "adopt_floor",
        0.2,
        "float",
        "governance",
        "Chance that a decision the rule passes is made at zero governance fit "
        "(rises linearly to 1 at fit 1).",
        "probability",
        0.0,
        1.0,
    ),
    _F(
        "shared_legitimacy",
        0.03,
        "float",
        "governance",
        "Legitimacy gained when shared governance adopts (broad agreement).",
        "share",
        0.0,
        0.5,
    ),
    _F(
        "lead_legitimacy",
        0.02,
        "float",
        "governance",
        "Legitimacy lost when a lead organization imposes a decision.",
        "share",
        0.0,
        0.5,
    ),
    _F(
        "shared_quorum",
        2.0 / 3.0,
        "float",
        "governance",
        "Support share a shared-governance proposal needs.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "nao_quorum",
        0.5,
        "float",
        "governance",
        "Support share an NAO proposal needs.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "imposed_cost",
        0.1,
        "float",
        "governance",
        "Commitment lost by a member who did not support a lead organization's decision.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "nao_capacity",
        0.15,
        "float",
        "governance",
        "Capacity the NAO adds (share of the gap to full capacity).",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "nao_overhead",
        0.15,
        "float",
        "governance",
        "Share of the public value flow spent on NAO overhead.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "switch_margin",
        0.05,
        "float",
        "governance",
        "Fit margin a new mode must offer before an adaptable collaboration switches.",
        "fit",
        0.0,
        1.0,
    ),
    _F(
        "switch_pause",
        4,
        "int",
        "governance",
        "Weeks without proposals while a new governance mode settles in.",
        "weeks",
        0,
        52,
    ),
    # projects, wins and setbacks (submodel 7)
    _F(
        "win_commitment",
        0.15,
        "float",
        "projects and setbacks",
        "Share of the gap to full commitment a win closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "win_legitimacy",
        0.2,
        "float",
        "projects and setbacks",
        "Share of the gap to full legitimacy a win closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "win_signal",
        0.3,
        "float",
        "projects and setbacks",
        "Trust signal every member reads from a shared win (asymmetric update).",
        "signal",
        0.0,
        1.0,
    ),
    _F(
        "win_value",
        0.5,
        "float",
        "projects and setbacks",
        "Public value of a won project per unit of leverage x size x uptake.",
        "PV units",
        0.0,
        5.0,
    ),
    _F(
        "setback_legitimacy",
        0.1,
        "float",
        "projects and setbacks",
        "Share of legitimacy a setback costs.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learn_pull",
        0.4,
        "float",
        "projects and setbacks",
        "Share of the gap to the evidence frames and plan close when a setback is met by learning.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learn_precision",
        0.15,
        "float",
        "projects and setbacks",
        "Share of the gap to full evidence precision a learning response closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learn_evidence_floor",
        0.5,
        "float",
        "projects and setbacks",
        "Precision of what a setback examined in good faith reveals, even without data.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learn_commitment",
        0.05,
        "float",
        "projects and setbacks",
        "Share of the gap to full commitment a learning response closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "evaluate_precision",
        0.1,
        "float",
        "community engagement",
        "Extra evidence precision from a learning response when residents help evaluate "
        "(fourth stage).",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "blame_trust",
        0.4,
        "float",
        "projects and setbacks",
        "Share of trust in the blamed organization's people lost in a blame game.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "blame_signal",
        -0.3,
        "float",
        "projects and setbacks",
        "Trust signal every member reads from a blame game (asymmetric update).",
        "signal",
        -1.0,
        0.0,
    ),
    _F(
        "blame_commitment",
        0.15,
        "float",
        "projects and setbacks",
        "Share of commitment lost in a blame game.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "blame_loyalty",
        0.15,
        "float",
        "projects and setbacks",
        "Share of the gap to full loyalty to home a blame game closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "blame_legitimacy",
        0.05,
        "float",
        "projects and setbacks",
        "Extra share of legitimacy lost in a public blame game.",
        "share",
        0.0,
        1.0,
    ),
    # strategic triangle (submodel 8)
    _F(
        "visible_weeks",
        26,
        "int",
        "strategic triangle",
        "Weeks a win stays visible before legitimacy starts to decay.",
        "weeks",
        0,
        208,
    ),
    _F(
        "diversity_legitimacy",
        0.005,
        "float",
        "strategic triangle",
        "Weekly legitimacy gain from fully diverse representation.",
        "share/week",
        0.0,
        0.5,
    ),
    # turnover (submodel 1)
    _F(
        "newcomer_commitment",
        0.7,
        "float",
        "turnover",
        "A newcomer's commitment relative to a founder's "
        "(they did not make the earlier consensus).",
        "ratio",
        0.0,
        1.0,
    ),
    _F(
        "newcomer_safety",
        0.5,
        "float",
        "turnover",
        "A newcomer's psychological safety as a share of the team's (they do not yet know "
        "whether it is safe to speak up).",
        "ratio",
        0.0,
        1.0,
    ),
    _F(
        "newcomer_skill",
        0.4,
        "float",
        "turnover",
        "A newcomer's effectiveness at the table in the first week (the learning curve).",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learning_weeks",
        26,
        "int",
        "turnover",
        "Weeks over which a newcomer's effectiveness closes most of the gap to a founder's "
        "(time constant of the learning curve).",
        "weeks",
        1,
        208,
    ),
    _F(
        "capital_loss",
        0.5,
        "float",
        "turnover",
        "Share of an organization's social capital a departing representative takes along "
        "(divided by the representatives per organization).",
        "share",
        0.0,
        1.0,
    ),
    # psychological safety and social capital (submodels 3 and 7)
    _F(
        "safety_initial",
        0.35,
        "float",
        "climate",
        "Psychological safety of the founding members.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "safety_rate",
        0.04,
        "float",
        "climate",
        "Weekly rate (per unit effort) at which a member's safety moves toward the team climate.",
        "share/week",
        0.0,
        1.0,
    ),
    _F(
        "jps_safety",
        0.5,
        "float",
        "climate",
        "How far joint problem-solving lifts the climate above cross-boundary trust (at jps 1).",
        "share",
        0.0,
        1.0,
        source="Edmondson 1999, ASQ 44:350",
    ),
    _F(
        "signal_safety_floor",
        0.25,
        "float",
        "climate",
        "Weight of a signal (data, residents) in a team with no safety, relative to full safety.",
        "ratio",
        0.0,
        1.0,
        source="Moynihan & Lavertu 2012, PAR 72:592",
    ),
    _F(
        "win_safety",
        0.1,
        "float",
        "climate",
        "Share of the gap to full safety a win closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "learn_safety",
        0.15,
        "float",
        "climate",
        "Share of the gap to full safety a setback met by learning closes.",
        "share",
        0.0,
        1.0,
        source="Edmondson 1999, ASQ 44:350",
    ),
    _F(
        "blame_safety",
        0.3,
        "float",
        "climate",
        "Share of safety a setback met by blame destroys.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "mediation_safety",
        0.2,
        "float",
        "navigator",
        "Share of the gap to full safety the navigator's successful mediation closes.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "capital_gain",
        0.3,
        "float",
        "climate",
        "Share of the gap to full social capital one joint project (or past team) closes "
        "for a pair of organizations whose people worked closely.",
        "share",
        0.0,
        1.0,
        source="Gulati 1995, AMJ 38:85",
    ),
    _F(
        "capital_warmth",
        0.3,
        "float",
        "climate",
        "Share of the gap from stranger trust to full trust a new tie starts with, between "
        "organizations with full social capital.",
        "share",
        0.0,
        1.0,
        source="Gulati 1995, AMJ 38:85",
    ),
    _F(
        "capital_handoff",
        0.4,
        "float",
        "climate",
        "Extra share of a leaver's trust that survives the hand-over, between organizations "
        "with full social capital.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "understanding_gap",
        0.1,
        "float",
        "climate",
        "Two people share an understanding of the problem when their frames differ by less "
        "than this.",
        "frame units",
        0.001,
        0.5,
    ),
    _F(
        "backing_floor",
        0.3,
        "float",
        "projects and setbacks",
        "Project success at zero members' backing, relative to full backing.",
        "ratio",
        0.0,
        1.0,
    ),
    _F(
        "value_wither",
        0.02,
        "float",
        "strategic triangle",
        "Weekly share of public value and running programs lost when capacity, legitimacy or "
        "members' backing is gone (scaled by what is missing).",
        "share/week",
        0.0,
        0.5,
    ),
    _F(
        "transition_weeks",
        8,
        "int",
        "governance",
        "Weeks a change of governance mode takes (capacity is reduced meanwhile).",
        "weeks",
        0,
        52,
    ),
    _F(
        "transition_capacity",
        0.3,
        "float",
        "governance",
        "Share of operational capacity lost during a change of governance mode.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "transition_commitment",
        0.05,
        "float",
        "governance",
        "Share of commitment lost at a change of governance mode.",
        "share",
        0.0,
        1.0,
    ),
    _F(
        "data_bias",
        0.05,
        "float",
        "data use",
        "S.d. of the data's systematic bias about where leverage lies, drawn once per run.",
        "frame units",
        0.0,
        0.5,
    ),
    _F(
        "newcomer_nav_trust",
        0.6,
        "float",
        "navigator",
        "A newcomer's trust in the navigator as a share of the founders' trust.",
        "ratio",
        0.0,
        1.0,
    ),
]
#: Where the ODD describes the submodel that uses a fixed constant of each concept.
_ODD_SECTION = {
    "dialogue and trust": "7.3",
    "navigator": "7.1, 7.3",
    "prior relationships": "5.5",
    "community engagement": "7.5",
    "data use": "7.4",
    "entry points": "7.6",
    "governance": "7.6, 7.7",
    "projects and setbacks": "7.8",
    "strategic triangle": "7.9",
    "turnover": "7.1",
    "climate": "7.3, 7.8",
}
_PARAMS += [
    q if q.source else dataclasses.replace(q, source=f"assumption (ODD {_ODD_SECTION[q.concept]})")
    for q in _FIXED
]

#: Every declared parameter, by name, in declaration order.
PARAMS: dict[str, Param] = {p.name: p for p in _PARAMS}
assert len(PARAMS) == len(_PARAMS), "duplicate parameter name"
assert all(p.concept in CONCEPTS for p in _PARAMS), "unknown concept"


def names() -> list[str]:
    """Names of every declared parameter, in declaration order."""
    return list(PARAMS)


def defaults() -> dict[str, Any]:
    """A fresh dict of every parameter's default value."""
    return {p.name: p.default for p in PARAMS.values()}


def by_concept() -> dict[str, list[Param]]:
    """Parameters grouped by concept, in :data:`CONCEPTS` order."""
    out: dict[str, list[Param]] = {c: [] for c in CONCEPTS}
    for p in PARAMS.values():
        out[p.concept].append(p)
    return out


def get(name: str) -> Param:
    """Return the declaration of ``name`` or raise :class:`ParamError` with a suggestion."""
    try:
        return PARAMS[name]
    except KeyError:
        raise ParamError(_unknown_message(name)) from None


def _unknown_message(name: str) -> str:
    close = difflib.get_close_matches(str(name), PARAMS, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown parameter {name!r}{hint} (run 'collabsim params' for the list)"


def _numpy_kind(value: Any) -> str:
    """The dtype kind (``"b"``, ``"i"``, ``"u"``, ``"f"``...) of a numpy scalar, else ``""``.

    Duck-typed, so that this module does not import numpy.
    """
    dtype = getattr(value, "dtype", None)
    if dtype is None or getattr(value, "shape", None) != ():
        return ""
    return str(getattr(dtype, "kind", ""))


def coerce(p: Param, value: Any) -> Any:
    """Convert ``value`` to the kind of ``p`` and check its range.

    Strings are accepted for every kind (they come from ``--set key=value``). numpy and pandas
    scalars are accepted where their type matches the declared kind (``numpy.bool_`` for an
    on/off parameter, ``numpy.int64`` or ``numpy.float64`` for a number) and are returned as
    plain Python values. Numbers that are NaN or infinite, booleans where numbers are expected,
    integers where a boolean is expected and fractional integers are rejected.

    Raises:
        ParamError: naming the key, the value and the valid range.

    Examples:
        >>> import numpy as np
        >>> coerce(get("navigator"), np.bool_(True))
        True
        >>> coerce(get("n_orgs"), np.int64(12))
        12
        >>> try:
        ...     coerce(get("navigator"), 1)
        ... except ParamError as err:
        ...     print(err)
        navigator = 1 is not valid (an integer is not a boolean): expected true or false
    """

    def bad(why: str = "") -> ParamError:
        extra = f" ({why})" if why else ""
        return ParamError(f"{p.name} = {value!r} is not valid{extra}: expected {p.range_text()}")

    np_kind = _numpy_kind(value)
    if p.kind == "bool":
        if isinstance(value, bool) or np_kind == "b":
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
            return False
        if isinstance(value, int) or np_kind in ("i", "u"):
            raise bad("an integer is not a boolean")
        raise bad()
    if p.kind == "choice":
        if isinstance(value, str) and value.strip() in p.choices:
            return str(value.strip())
        raise bad()
    if isinstance(value, bool) or np_kind == "b":
        raise bad("a boolean is not a number")
    if isinstance(value, str):
        try:
            num = float(value.strip())
        except ValueError:
            raise bad() from None
    elif isinstance(value, int | float) or np_kind in ("i", "u", "f"):
        num = float(value)
    else:
        try:  # other numbers (Decimal, Fraction...)
            num = float(value)
        except (TypeError, ValueError):
            raise bad() from None
    if not math.isfinite(num):
        raise bad("not a finite number")
    if p.kind == "int":
        if not num.is_integer():
            raise bad("not an integer")
        out: float | int = int(num)
    else:
        out = num
    assert p.low is not None and p.high is not None
    if not p.low <= out <= p.high:
        raise bad("out of range")
    return out


def validate(values: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate parameter values and fill in defaults.

    Args:
        values: Mapping of parameter name to value (strings are converted).
        partial: If True, return only the given keys (validated); otherwise return every
            parameter with defaults for the missing ones.

    Returns:
        A new dict of validated values.

    Raises:
        ParamError: on the first unknown key or invalid value.
    """
    out = {} if partial else defaults()
    for key, value in values.items():
        out[key] = coerce(get(key), value)
    return out


def table_rows(params: Iterable[Param] | None = None) -> list[dict[str, str]]:
    """Rows describing parameters, for the CLI's table and the docs."""
    rows = []
    for p in params if params is not None else PARAMS.values():
        rows.append(
            {
                "name": p.name,
                "concept": p.concept,
                "default": (
                    str(p.default).lower()
                    if p.kind == "bool"
                    else _fmt(p.default, 4)
                    if p.kind == "float"
                    else str(p.default)
                ),
                "range": p.range_text(),
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
                "status": "fixed" if p.fixed else ("lever" if p.lever else "free"),
            }
        )
    return rows


def markdown_table(params: Iterable[Param] | None = None) -> str:
    """A Markdown table of parameters (the ODD's parameter tables are generated by this)."""
    lines = [
        "| name | concept | status | default | valid range | unit | meaning | source |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table_rows(params):
        lines.append(
            f"| `{r['name']}` | {r['concept']} | {r['status']} | {r['default']} | {r['range']} "
            f"| {r['unit']} | {r['description']} | {r['source']} |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------- the typed parameter set
def weekly_hazard(annual: float) -> float:
    """Weekly probability of an event with an annual rate ``annual`` (a Poisson process).

    ``1 - exp(-annual / 52)``: a rate of 1.0 per year means one expected event per year
    (about 63% of seats turn over within a year), never everyone every week.
    """
    return -math.expm1(-annual / 52.0)


#: Quantities derived from the declared values, computed once per run by :func:`make_params`
#: (name -> (meaning, the parameters it derives from, function of the validated values)).
#: Nothing else derives parameters.
DERIVED: dict[str, tuple[str, tuple[str, ...], Any]] = {
    "hazard": (
        "weekly hazard of a representative leaving",
        ("turnover_rate",),
        lambda v: weekly_hazard(v["turnover_rate"]),
    ),
    "shock_hazard": (
        "weekly hazard of a leadership change",
        ("leadership_shock_rate",),
        lambda v: weekly_hazard(v["leadership_shock_rate"]),
    ),
    "kappa": (
        "share of the four stages engaged with the community",
        ("community_stages",),
        lambda v: v["community_stages"] / 4.0,
    ),
    "inv_reps": (
        "1 / representatives per organization",
        ("reps_per_org",),
        lambda v: 1.0 / v["reps_per_org"],
    ),
}

_PY_TYPE = {"float": float, "int": int, "bool": bool, "choice": str}

#: (declaration, exact Python type a valid value already has) of every parameter.
_FAST = [(q, {"float": float, "int": int, "bool": bool, "choice": str}[q.kind]) for q in _PARAMS]


def _post_init(self: Any) -> None:
    """Validate every declared field and compute the derived ones (also after ``replace``)."""
    values = {}
    setter = object.__setattr__
    for q, exact in _FAST:
        value = getattr(self, q.name)
        # values that already have the exact type and lie in range skip the full conversion
        if (
            type(value) is not exact
            or (
                q.low is not None and not q.low <= value <= q.high  # type: ignore[operator]
            )
            or (exact is str and value not in q.choices)
        ):
            value = coerce(q, value)
            setter(self, q.name, value)
        values[q.name] = value
    setter(self, "_declared", dict(values))
    for name, (_, _, derive) in DERIVED.items():
        values[name] = derive(values)
        setter(self, name, values[name])
    setter(self, "kernel", _kernel(values))


def _as_dict(self: Any) -> dict[str, Any]:
    """Every declared parameter's value, by name (a new dict; derived quantities left out)."""
    return dict(self._declared)


#: The parameters as compiled submodels receive them (``Params.kernel``): a named tuple with one
#: field per declared parameter (a choice as the index of its value in ``choices``) and per
#: derived quantity, in that order. Generated from the declaration.
KernelParams = namedtuple("KernelParams", [*PARAMS, *DERIVED])
KernelParams.__module__ = __name__
_CHOICES = {q.name: q.choices for q in PARAMS.values() if q.kind == "choice"}


def _kernel(values: dict[str, Any]) -> Any:
    """The :data:`KernelParams` of validated ``values`` (with the derived quantities)."""
    for name, choices in _CHOICES.items():
        values = {**values, name: choices.index(values[name])}  # type: ignore[union-attr]
    return KernelParams(**values)


def _replace(self: Any, **changes: Any) -> Any:
    """A copy with ``changes`` applied, validated, and derived quantities recomputed."""
    return dataclasses.replace(self, **changes)


#: The typed, frozen parameter set that mechanisms receive: one field per declared parameter
#: (declaration order, each validated on construction) and one per derived quantity
#: (:data:`DERIVED`, computed on construction and never passed in). Generated from the
#: declaration, so a new parameter needs no edit here; build it with :func:`make_params` and
#: change it with ``p.replace(name=value)`` (or :func:`dataclasses.replace`), which validate
#: again and recompute the derived quantities.
Params = make_dataclass(
    "Params",
    [(q.name, _PY_TYPE[q.kind]) for q in PARAMS.values()]
    + [(k, float, dataclasses.field(init=False)) for k in DERIVED]
    + [
        (name, Any, dataclasses.field(init=False, repr=False, compare=False))
        for name in ("kernel", "_declared")
    ],
    frozen=True,
    slots=True,
    namespace={
        "__doc__": "A run's validated parameters and derived quantities (frozen).",
        "__post_init__": _post_init,
        "replace": _replace,
        "as_dict": _as_dict,
    },
)
Params.__module__ = __name__


def make_params(values: Mapping[str, Any] | None = None) -> Any:
    """Validate ``values`` (defaults for the rest) and return the frozen :data:`Params`.

    Raises:
        ParamError: an unknown key or an invalid value (naming key, value and valid range).
    """
    values = values or {}
    # the same overrides (same values of the same types) give the same frozen Params: cached
    key = tuple((k, type(v), v) for k, v in sorted(values.items()))
    try:
        return _make_cached(key)
    except TypeError:  # an unhashable value: validated (and refused) without the cache
        return _make(values)


def _make(values: Mapping[str, Any]) -> Any:
    for key in values:
        get(key)  # unknown keys fail with a suggestion
    return Params(**{**defaults(), **values})


@functools.lru_cache(maxsize=256)
def _make_cached(items: tuple[tuple[str, type, Any], ...]) -> Any:
    """:func:`_make` of the same overrides once (a frozen ``Params`` can be shared)."""
    return _make({k: v for k, _, v in items})


def free() -> list[Param]:
    """Parameters that are not fixed modelling constants, in declaration order."""
    return [q for q in PARAMS.values() if not q.fixed]
