"""The one declaration of every model parameter.

Each :class:`Param` carries its name, meaning, unit, default, valid range, concept group and,
where a number comes from the literature, its source. Every consumer reads this module: the
model's defaults, the TOML config loader, the CLI's ``--set`` overrides and ``params`` table,
sweep designs, the SALib problem and the app's sliders. Nothing else declares a default.

Validation (:func:`validate`) names the key, the value and the valid range in its message, so
that a typo or an out-of-range value fails fast with a message a student can act on.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "CONCEPTS",
    "GOVERNANCE_MODES",
    "PARAMS",
    "SECTORS",
    "Param",
    "ParamError",
    "by_concept",
    "coerce",
    "defaults",
    "get",
    "names",
    "validate",
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


def _fmt(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{int(x)}" if float(x).is_integer() else f"{x:g}"


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
        0.8,
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
        "Annual probability that a representative leaves (replaced by a newcomer).",
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
        "Annual probability of a leadership change replacing all city-agency representatives.",
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
        0.55,
        "float",
        "dynamics (calibrated)",
        "Partner effort that reads as neither good nor bad faith.",
        "share",
        0.0,
        1.0,
    ),
    _P(
        "learning_bias",
        -0.5,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning (vs blame) at neutral trust, no evidence, no mediation.",
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
        "learning_mediation_weight",
        2.0,
        "float",
        "dynamics (calibrated)",
        "Log-odds of learning per unit of navigator mediation.",
        "log-odds",
        0.0,
        20.0,
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
        1.0,
        "float",
        "dynamics (calibrated)",
        "Weekly chance of a proposal for a fully diverse, outward, initiative-taking team.",
        "per week",
        0.0,
        1.0,
    ),
    _P(
        "success_base",
        1.0,
        "float",
        "dynamics (calibrated)",
        "Success probability of a perfectly aimed, fully resourced, small project.",
        "probability",
        0.0,
        1.0,
    ),
    _P(
        "public_value_rate",
        0.1,
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


def coerce(p: Param, value: Any) -> Any:
    """Convert ``value`` to the kind of ``p`` and check its range.

    Strings are accepted for every kind (they come from ``--set key=value``). Numbers that
    are NaN or infinite, booleans where numbers are expected and fractional integers are
    rejected.

    Raises:
        ParamError: naming the key, the value and the valid range.
    """

    def bad(why: str = "") -> ParamError:
        extra = f" ({why})" if why else ""
        return ParamError(f"{p.name} = {value!r} is not valid{extra}: expected {p.range_text()}")

    if p.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise bad()
    if p.kind == "choice":
        if isinstance(value, str) and value.strip() in p.choices:
            return value.strip()
        raise bad()
    if isinstance(value, bool):
        raise bad("a boolean is not a number")
    if isinstance(value, str):
        try:
            num = float(value.strip())
        except ValueError:
            raise bad() from None
    elif isinstance(value, int | float):
        num = float(value)
    else:
        try:  # numpy scalars
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
                "default": str(p.default).lower() if p.kind == "bool" else str(p.default),
                "range": p.range_text(),
                "unit": p.unit,
                "description": p.description,
                "source": p.source,
            }
        )
    return rows
