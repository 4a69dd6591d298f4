"""Outcomes: declared once, recorded per step into preallocated arrays, and summarized.

:data:`SERIES_OUTCOMES` and :data:`SUMMARY_OUTCOMES` declare every outcome of a run (name,
meaning, unit, kind, range and how a run that never reaches an event is recorded); the
recorder, :func:`summarize`, sweeps, sensitivity analysis, plots, reports and tests read that
declaration.

:class:`Recorder` writes one row per week (row 0 is the founding state) into numpy arrays sized
for the horizon, so recording costs a few array writes per step and no copies. The measures of
the collaboration's state that mechanisms also use (consensus, mean trust) are computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd

from collabsim.mechanisms.community import uptake
from collabsim.state import State

__all__ = [
    "ENTRY_WINDOW",
    "OUTCOMES",
    "SERIES",
    "SERIES_OUTCOMES",
    "SUMMARY_KEYS",
    "SUMMARY_OUTCOMES",
    "Outcome",
    "Recorder",
    "consensus_share",
    "markdown_table",
    "shared_understanding",
    "summarize",
]

#: Sum of an array without ``ndarray.sum``'s Python wrapper (same pairwise summation).
_sum = np.add.reduce

#: Consensus above which the collaboration counts as agreed; below the lower mark agreement is
#: lost, and a return above the upper mark after a loss counts as consensus re-made.
CONSENSUS_HIGH, CONSENSUS_LOW = 0.8, 0.6
#: Weeks within which an entry point should bring momentum (9 months: Martinez Orbegozo 2022).
ENTRY_WINDOW = 39
#: Tenure below which a representative counts as a newcomer (weeks).
NEWCOMER_WEEKS = 13


@dataclass(frozen=True)
class Outcome:
    """One declared outcome of a run.

    Attributes:
        name: Column of the time series or key of :func:`summarize`.
        meaning: What it measures, in one sentence.
        unit: Unit (``"share"`` for values in [0, 1], ``"weeks"``, ``"count"``...).
        kind: ``"float"``, ``"int"`` or ``"bool"`` (how a value is stored).
        low: Lowest possible value.
        high: Highest possible value (``math.inf`` when unbounded).
        censored: How a run in which the event never happens is recorded (empty: the outcome
            is always defined). Time-to-event outcomes are right-censored at ``weeks_run``.
    """

    name: str
    meaning: str
    unit: str
    kind: str = "float"
    low: float = 0.0
    high: float = 1.0
    censored: str = ""

    def label(self) -> str:
        """An axis label: the meaning (capitalized) with its unit."""
        text = self.meaning[:1].upper() + self.meaning[1:]
        return f"{text} ({self.unit})" if self.unit else text


_INF = math.inf
_NEVER = "NaN when it never happens within the run (right-censored at weeks_run)"
_O = Outcome

#: The weekly time series (row 0 is the founding state), in the recorder's column order.
SERIES_OUTCOMES: tuple[Outcome, ...] = (
    _O("public_value", "collective impact achieved so far", "PV units", high=_INF),
    _O("legitimacy", "legitimacy and support", "share"),
    _O("operational_capacity", "operational capacity", "share"),
    _O("uptake", "program uptake: legitimacy x residents engaged in implementation", "share"),
    _O("mean_trust", "mean trust on existing ties", "share"),
    _O("working_trust", "trust met in meetings: ties weighted by how often they are used", "share"),
    _O("trust_density", "share of all ordered pairs with trust above 0.5", "share"),
    _O("consensus", "share of people in the largest frame cluster", "share"),
    _O(
        "shared_understanding",
        "share of pairs of people whose frames of the problem differ by less than "
        "understanding_gap (does not depend on group size)",
        "share",
    ),
    _O(
        "cross_trust",
        "cross-boundary trust: mean over all cross-organization ordered pairs, pairs that "
        "never met at stranger trust",
        "share",
    ),
    _O("safety", "psychological safety: members' mean", "share"),
    _O("social_capital", "mean social capital over all pairs of organizations", "share"),
    _O("navigator_trust", "members' mean trust in the navigator (0 without one)", "share"),
    _O(
        "plan_support",
        "share of members who can accept the adopted plan (0 without a plan)",
        "share",
    ),
    _O("frame_sd", "standard deviation of frames", "frame units", high=0.5),
    _O("plan_alignment", "leverage of the current plan (0 without a plan)", "share"),
    _O("commitment", "mean commitment", "share"),
    _O("effort", "mean effort given to the collaboration", "share"),
    _O("founders_share", "share of seats still held by founders", "share"),
    _O(
        "newcomers_share",
        f"share of seats held by newcomers (under {NEWCOMER_WEEKS} weeks)",
        "share",
    ),
    _O("evidence_precision", "how precisely the collaboration knows where leverage lies", "share"),
    _O("wins", "cumulative small wins", "count", "int", high=_INF),
    _O("setbacks", "cumulative setbacks", "count", "int", high=_INF),
    _O("learning", "cumulative setbacks met by learning", "count", "int", high=_INF),
    _O("blame", "cumulative setbacks met by blame", "count", "int", high=_INF),
    _O("mode", "governance mode (0 shared, 1 lead, 2 NAO)", "code", "int", high=2),
    _O("project_active", "1 while a project is under way", "flag", "int"),
    _O("alive", "1 while the collaboration exists", "flag", "int"),
)

#: The per-run summary (:func:`summarize`), read at the end of the run (the horizon, or the
#: week the collaboration perished).
SUMMARY_OUTCOMES: tuple[Outcome, ...] = (
    _O("collective_impact", "public value at the end of the run", "PV units", high=_INF),
    _O("success", "alive at the end with public value at least impact_target", "flag", "bool"),
    _O("any_win", "at least one small win", "flag", "bool"),
    _O("weeks_to_first_win", "week of the first small win", "weeks", high=_INF, censored=_NEVER),
    _O("weeks_to_impact", "week public value first reached impact_target", "weeks", high=_INF,
       censored=_NEVER),
    _O("momentum", f"a first small win within {ENTRY_WINDOW} weeks (9 months)", "flag", "bool"),
    _O("perished", "the collaboration dissolved", "flag", "bool"),
    _O("perished_week", "week the collaboration dissolved", "weeks", high=_INF, censored=_NEVER),
    _O("talk_only", f"no decision adopted by week {ENTRY_WINDOW} (perished runs counted)",
       "flag", "bool"),
    _O("consensus", "share of people in the largest frame cluster at the end", "share"),
    _O("mean_trust", "mean trust on existing ties at the end", "share"),
    _O("cross_trust", "cross-boundary trust at the end", "share"),
    _O("safety", "psychological safety at the end", "share"),
    _O("shared_understanding", "shared understanding at the end", "share"),
    _O("social_capital", "mean social capital of organization pairs at the end", "share"),
    _O("working_trust", "trust met in meetings at the end", "share"),
    _O("trust_density", "share of ordered pairs with trust above 0.5 at the end", "share"),
    _O("learning_share", "share of setbacks met by learning", "share",
       censored="NaN when the run had no setback (undefined, not censored)"),
    _O("founders_share", "share of seats still held by founders at the end", "share"),
    _O("legitimacy", "legitimacy and support at the end", "share"),
    _O("operational_capacity", "operational capacity at the end", "share"),
    _O("uptake", "program uptake at the end", "share"),
    _O("governance_changes", "changes of governance mode", "count", "int", high=_INF),
    _O("final_mode", "governance mode at the end (0 shared, 1 lead, 2 NAO)", "code", "int", high=2),
    _O("wins", "small wins", "count", "int", high=_INF),
    _O("setbacks", "setbacks", "count", "int", high=_INF),
    _O("learning", "setbacks met by learning", "count", "int", high=_INF),
    _O("blame", "setbacks met by blame", "count", "int", high=_INF),
    _O("proposals", "proposals made", "count", "int", high=_INF),
    _O("adopted", "decisions adopted", "count", "int", high=_INF),
    _O("consensus_remade", "times consensus was lost and re-made", "count", "int", high=_INF),
    _O("leadership_shocks", "leadership changes", "count", "int", high=_INF),
    _O("leavers", "representatives who left", "count", "int", high=_INF),
    _O("first_setback_week", "week of the first setback", "weeks", high=_INF, censored=_NEVER),
    _O("first_outcome_win", "the first project outcome was a win (1) or a setback (0)", "flag",
       censored="NaN when no project ended within the run"),
    *(
        _O(f"impact_by_{h}", f"public value reached impact_target by week {h}", "flag",
           censored=f"NaN when the run was set to last fewer than {h} weeks and had not "
                    "reached it (unknown)")
        for h in (104, 156, 260)
    ),
    _O("weeks_run", "weeks simulated (the horizon, or fewer if the collaboration perished)",
       "weeks", "int", high=_INF),
    _O("horizon", "weeks the run was set to last (the weeks parameter): the censoring time of "
       "every time-to-event outcome", "weeks", "int", low=1, high=_INF),
)  # fmt: skip

#: Every declared outcome, by scope and name.
OUTCOMES: dict[str, dict[str, Outcome]] = {
    "series": {o.name: o for o in SERIES_OUTCOMES},
    "summary": {o.name: o for o in SUMMARY_OUTCOMES},
}


def markdown_table(scope: str) -> str:
    """A Markdown table of the ``"series"`` or ``"summary"`` outcomes (generated into the ODD)."""
    lines = ["| name | meaning | unit | kind | range | when the event never happens |"]
    lines.append("|---|---|---|---|---|---|")
    for o in OUTCOMES[scope].values():
        high = "inf" if math.isinf(o.high) else f"{o.high:g}"
        lines.append(
            f"| `{o.name}` | {o.meaning} | {o.unit} | {o.kind} | [{o.low:g}, {high}] "
            f"| {o.censored or 'always defined'} |"
        )
    return "\n".join(lines)


#: Columns of the time series, with their meaning (read from :data:`SERIES_OUTCOMES`).
SERIES: dict[str, str] = {o.name: o.meaning for o in SERIES_OUTCOMES}
#: Keys of the per-run summary (read from :data:`SUMMARY_OUTCOMES`).
SUMMARY_KEYS: tuple[str, ...] = tuple(o.name for o in SUMMARY_OUTCOMES)


def consensus_share(frames: np.ndarray, gap: float) -> float:
    """Share of people in the largest cluster of frames (clusters split at gaps > ``gap``)."""
    return float(_consensus(np.asarray(frames, dtype=float), gap))


@numba.njit(cache=True, nogil=True)
def _consensus(frames: np.ndarray, gap: float) -> float:
    n = frames.shape[0]
    if n == 0:
        return 0.0
    xs = np.sort(frames)
    best = 0
    start = -1  # clusters span sorted rows (start, i]; a gap > ``gap`` ends one
    for i in range(n - 1):
        if xs[i + 1] - xs[i] > gap:
            best = max(best, i - start)
            start = i
    return 1.0 if start == -1 else max(best, n - 1 - start) / n


@numba.njit(cache=True, nogil=True)
def _agreement(frames: np.ndarray, gap: float) -> float:
    """Share of unordered pairs of ``frames`` closer than ``gap`` (1 with fewer than 2 people)."""
    n = frames.shape[0]
    if n < 2:
        return 1.0
    xs = np.sort(frames)
    close = 0
    hi = 0
    for i in range(n):
        hi = max(hi, i + 1)
        while hi < n and xs[hi] - xs[i] < gap:
            hi += 1
        close += hi - i - 1
    return close / (n * (n - 1) / 2.0)


def shared_understanding(frames: np.ndarray, gap: float) -> float:
    """Share of pairs of people whose frames differ by less than ``gap``.

    Unlike the largest-cluster share (:func:`consensus_share`), its expected value does not
    depend on the number of people: it is the probability that two members drawn at random
    frame the problem alike.
    """
    return float(_agreement(np.asarray(frames, dtype=float), gap))


@numba.njit(cache=True, nogil=True)
def _measure(
    trust, ends, n_edges, org, frame, openness, tenure, founder, plan, gap, agree_gap, newcomer,
    edge_rows, out,
):  # fmt: skip
    """The week's measures that are counts, or element-wise terms of sums (in place).

    Writes ``edge_rows[0] = t_uv + t_vu``, ``edge_rows[1]`` its square and ``edge_rows[2]``
    the same pair sum on cross-organization edges only (0 elsewhere) over the edges in use
    (numpy then sums each row, with its own pairwise summation) and into ``out``: strong
    ordered pairs (trust above 0.5), consensus, people who can accept the plan, founders,
    newcomers, cross-organization edges, strong cross-organization ordered pairs and the
    shared understanding.
    """
    strong = 0
    cross = 0
    strong_cross = 0
    for j in range(n_edges):
        pair = trust[0, j] + trust[1, j]
        edge_rows[0, j] = pair
        edge_rows[1, j] = pair * pair
        k = int(trust[0, j] > 0.5) + int(trust[1, j] > 0.5)  # (np.bool_ + is or)
        strong += k
        if org[ends[0, j]] != org[ends[1, j]]:
            edge_rows[2, j] = pair
            cross += 1
            strong_cross += k
        else:
            edge_rows[2, j] = 0.0
    n = frame.shape[0]
    near = founders = newcomers = 0
    for i in range(n):
        if plan == plan and abs(frame[i] - plan) < openness[i]:  # (plan is NaN without a plan)
            near += 1
        founders += int(founder[i])
        newcomers += int(tenure[i] < newcomer)
    out[0] = strong
    out[1] = _consensus(frame, gap)
    out[2] = near
    out[3] = founders
    out[4] = newcomers
    out[5] = cross
    out[6] = strong_cross
    out[7] = _agreement(frame, agree_gap)


#: Series taken from the state's scalars, in the order of the recorder's table.
_SCALAR_SERIES = (
    "public_value",
    "legitimacy",
    "operational_capacity",
    "uptake",
    "plan_alignment",
    "evidence_precision",
    "wins",
    "setbacks",
    "learning",
    "blame",
    "mode",
    "project_active",
    "alive",
)
#: Series measured from the arrays, in the order :meth:`Recorder.observe` writes them.
_MEASURED_SERIES = (
    "mean_trust",
    "working_trust",
    "trust_density",
    "consensus",
    "shared_understanding",
    "cross_trust",
    "safety",
    "social_capital",
    "navigator_trust",
    "plan_support",
    "frame_sd",
    "commitment",
    "effort",
    "founders_share",
    "newcomers_share",
)
_N_SCALAR = len(_SCALAR_SERIES)
#: Column of each series in the recorder's table.
_COLUMN = {k: i for i, k in enumerate((*_SCALAR_SERIES, *_MEASURED_SERIES))}
assert sorted(_COLUMN) == sorted(SERIES)


class Recorder:
    """Preallocated per-week outcome arrays for one run.

    The weeks are the rows of one ``(weeks + 1, series)`` table, so a week is written as one
    row; :attr:`data` maps each series to its column (a view).
    """

    def __init__(self, weeks: int, n_people: int) -> None:
        self.rows = weeks + 1
        self._edge_rows = np.empty((3, 64))
        self._people_rows = np.empty((5, n_people))
        self._counts = np.empty(8)
        self._cross_pairs = -1  # cross-organization ordered pairs (set at the first week)
        self.table = np.zeros((self.rows, len(_COLUMN)))
        self.data = {k: self.table[:, _COLUMN[k]] for k in SERIES}
        self.n = 0

    @staticmethod
    def _track_consensus(s: State, c: float) -> None:
        s.consensus = c
        if c >= CONSENSUS_HIGH:
            if not s.consensus_reached and s.consensus_lost:
                s.consensus_remade += 1
            s.consensus_reached = True
            s.consensus_lost = False
        elif c < CONSENSUS_LOW and s.consensus_reached:
            s.consensus_reached = False
            s.consensus_lost = True

    @staticmethod
    def _scalars(s: State, p: Any) -> tuple[float, ...]:
        """The scalar series of the current week, in the order of ``_SCALAR_SERIES``."""
        plan = s.plan
        return (
            s.public_value,
            s.legitimacy,
            s.capacity_oc,
            uptake(s, p),
            (
                math.exp(-((plan - s.theta) ** 2) / (2 * p.leverage_width**2))
                if math.isfinite(plan)
                else 0.0
            ),
            s.evidence_precision,
            s.wins,
            s.setbacks,
            s.learning,
            s.blame,
            s.mode,
            s.project is not None,
            not s.perished,
        )

    def observe(self, s: State, p: Any, week: int) -> None:
        """Measure the state, update the measures mechanisms use, and record row ``week``.

        Counts and element-wise terms come from one compiled call (:func:`_measure`); every sum
        is taken by numpy (its pairwise summation), one reduction per group of rows.
        """
        e = s.edges
        n = e.n
        npeople = s.n_people
        if self._edge_rows.shape[1] < n:
            self._edge_rows = np.empty((3, 2 * n))
        if self._cross_pairs < 0:
            per_org = np.bincount(s.org, minlength=s.n_orgs)
            self._cross_pairs = int(npeople * (npeople - 1) - np.sum(per_org * (per_org - 1)))
        edge_rows = self._edge_rows
        out = self._counts
        _measure(
            e.trust, e.ends, n, s.org, s.frame, s.openness, s.tenure, s.founder, s.plan,
            p.cluster_gap, p.understanding_gap, NEWCOMER_WEEKS, edge_rows, out,
        )  # fmt: skip
        strong, c, near, founders, newcomers, cross, strong_cross, agree = out.tolist()
        row = self.table[week]
        pairs = self._cross_pairs
        tot = sq = cross_tot = 0.0
        if n:
            tot, sq, cross_tot = _sum(edge_rows[:, :n], axis=1).tolist()
        if pairs > 0:
            # cross-boundary trust: every cross-organization ordered pair, never-met ones at
            # stranger trust
            never = pairs - 2 * cross
            s.cross_trust = (cross_tot + never * p.stranger_trust) / pairs
            s.cross_density = (strong_cross + (never if p.stranger_trust > 0.5 else 0)) / pairs
        else:
            s.cross_trust = s.cross_density = 0.0
        s.understanding = agree
        if n:
            s.mean_trust = tot / (2 * n)
            # working trust: ties weighted as meetings choose them (tie_base_weight + trusts)
            base = p.tie_base_weight
            s.working_trust = float(sq + base * tot) / (2.0 * (tot + base * n))
            row[_COLUMN["trust_density"]] = strong / max(1, npeople * (npeople - 1))
        else:
            s.mean_trust = s.working_trust = 0.0
        self._track_consensus(s, c)
        s.plan_support = near / npeople if math.isfinite(s.plan) else 0.0
        people = self._people_rows
        people[0] = s.frame
        people[1] = s.commitment
        people[2] = s.effort
        people[3] = s.safety
        people[4] = s.nav_trust
        f_sum, c_sum, e_sum, safe_sum, nav_sum = _sum(people, axis=1).tolist()
        s.team_safety = safe_sum / npeople
        cap = s.capital
        org_pairs = s.n_orgs * (s.n_orgs - 1) / 2
        capital = float(_sum(cap.t_uv[: cap.n])) / org_pairs if cap.n and org_pairs else 0.0
        dev = people[0]
        dev -= f_sum / npeople
        dev *= dev
        row[:_N_SCALAR] = self._scalars(s, p)
        row[_N_SCALAR:] = (
            s.mean_trust,
            s.working_trust,
            row[_COLUMN["trust_density"]],
            s.consensus,
            agree,
            s.cross_trust,
            s.team_safety,
            capital,
            nav_sum / npeople,
            s.plan_support,
            math.sqrt(_sum(dev) / npeople),  # the population s.d. of frames
            c_sum / npeople,
            e_sum / npeople,
            founders / npeople,
            newcomers / npeople,
        )
        self.n = week + 1

    def frame(self) -> pd.DataFrame:
        """The recorded rows as a tidy DataFrame with a ``week`` column."""
        n = self.n
        df = pd.DataFrame({k: v[:n].copy() for k, v in self.data.items()})
        df.insert(0, "week", np.arange(n))
        for o in SERIES_OUTCOMES:
            if o.kind == "int":
                df[o.name] = df[o.name].astype(np.int64)
        return df


def _reached_by(s: State, p: Any, h: int) -> float:
    """Whether public value reached the impact target by week ``h`` (1.0 or 0.0).

    A run that perished before ``h`` without reaching it counts as not reaching it; NaN when
    the run was set to last fewer than ``h`` weeks and had not reached it (unknown).
    """
    if 0 <= s.impact_week <= h:
        return 1.0
    return float("nan") if p.weeks < h else 0.0


def summarize(s: State, p: Any, rec: Recorder, weeks_run: int) -> dict[str, Any]:
    """Every per-run outcome of the model, as a flat dict."""
    d = rec.data
    last = rec.n - 1
    nan = float("nan")
    alive_at_window = (not s.perished) or s.perished_week > ENTRY_WINDOW
    no_adoption = s.first_adoption_week < 0 or s.first_adoption_week > ENTRY_WINDOW
    return {
        "collective_impact": float(s.public_value),
        "success": bool((not s.perished) and s.public_value >= p.impact_target),
        "any_win": bool(s.wins > 0),
        "weeks_to_first_win": float(s.first_win_week) if s.first_win_week >= 0 else nan,
        "weeks_to_impact": float(s.impact_week) if s.impact_week >= 0 else nan,
        "momentum": bool(0 <= s.first_win_week <= ENTRY_WINDOW),
        "perished": bool(s.perished),
        "perished_week": float(s.perished_week) if s.perished else nan,
        "talk_only": bool(alive_at_window and no_adoption and weeks_run >= ENTRY_WINDOW),
        "consensus": float(d["consensus"][last]),
        "mean_trust": float(d["mean_trust"][last]),
        "cross_trust": float(d["cross_trust"][last]),
        "safety": float(d["safety"][last]),
        "shared_understanding": float(d["shared_understanding"][last]),
        "social_capital": float(d["social_capital"][last]),
        "working_trust": float(d["working_trust"][last]),
        "trust_density": float(d["trust_density"][last]),
        "learning_share": s.learning / s.setbacks if s.setbacks else nan,
        "founders_share": float(d["founders_share"][last]),
        "legitimacy": float(s.legitimacy),
        "operational_capacity": float(s.capacity_oc),
        "uptake": float(d["uptake"][last]),
        "governance_changes": int(s.governance_changes),
        "final_mode": int(s.mode),
        "wins": int(s.wins),
        "setbacks": int(s.setbacks),
        "learning": int(s.learning),
        "blame": int(s.blame),
        "proposals": int(s.proposals),
        "adopted": int(s.adopted),
        "consensus_remade": int(s.consensus_remade),
        "leadership_shocks": int(s.leadership_shocks),
        "leavers": int(s.leavers_total),
        "first_setback_week": float(s.first_setback_week) if s.first_setback_week >= 0 else nan,
        "first_outcome_win": (
            nan
            if s.first_win_week < 0 and s.first_setback_week < 0
            else float(
                s.first_win_week >= 0
                and (s.first_setback_week < 0 or s.first_win_week < s.first_setback_week)
            )
        ),
        **{f"impact_by_{h}": _reached_by(s, p, h) for h in (104, 156, 260)},
        "weeks_run": int(weeks_run),
        "horizon": int(p.weeks),
    }
